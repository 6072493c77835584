"""Who sees and resolves which alert: staff by area, the owner everything, other workspaces nothing."""

import pytest

from careops.alerts.service import raise_alert
from careops.extensions import db
from tests.conftest import assert_error

AREAS = {
    "missed_message": ("conversation", "inbox"),
    "delivery_failed": ("conversation", "inbox"),
    "unconfirmed_booking": ("booking", "bookings"),
    "overdue_form": ("form_submission", "forms"),
    "low_inventory": ("inventory_item", "inventory"),
    "out_of_stock": ("inventory_item", "inventory"),
    "integration_error": ("integration", None),
}


@pytest.fixture
def raised(owner) -> dict:
    """One open alert of every kind in the owner's workspace: kind → id."""
    ids = {}
    for kind, (entity_type, _) in AREAS.items():
        alert = raise_alert(
            owner.workspace_id,
            kind=kind,
            title=f"A {kind}",
            entity_type=entity_type,
            entity_id=f"{kind}-entity",
            severity="critical" if kind == "out_of_stock" else "warning",
        )
        ids[kind] = alert.id
    db.session.commit()
    return ids


def kinds(actor, query="") -> set:
    response = actor.get(f"/api/v1/alerts{query}")
    assert response.status_code == 200, response.get_json()
    return {a["kind"] for a in response.get_json()}


def test_the_owner_sees_every_kind(owner, raised):
    assert kinds(owner) == set(AREAS)
    assert kinds(owner, "?kind=low_inventory") == {"low_inventory"}


@pytest.mark.parametrize("permission", ["inbox", "bookings", "forms", "inventory"])
def test_staff_see_and_resolve_only_their_areas(owner, make_staff, raised, permission):
    staff = make_staff(owner, **{permission: True})
    mine = {kind for kind, (_, area) in AREAS.items() if area == permission}
    assert kinds(staff) == mine
    for kind, alert_id in raised.items():
        response = staff.post(f"/api/v1/alerts/{alert_id}/resolve")
        if kind in mine:
            assert response.status_code == 200 and response.get_json()["status"] == "resolved"
        else:
            assert_error(response, 404, "NOT_FOUND")
    still_open = {a["id"] for a in owner.get("/api/v1/alerts?status=open").get_json()}
    assert {kind for kind, alert_id in raised.items() if alert_id in still_open} == set(AREAS) - mine


def test_staff_without_permissions_see_nothing(owner, make_staff, raised):
    staff = make_staff(owner)
    assert kinds(staff) == set()
    assert_error(staff.post(f"/api/v1/alerts/{raised['missed_message']}/resolve"), 404)


def test_a_failed_system_email_is_the_owners(owner, make_staff):
    staff = make_staff(owner, inbox=True)  # no provider is configured: the invitation email fails
    assert kinds(staff) == set() and kinds(owner) == {"delivery_failed"}
    [alert] = owner.get("/api/v1/alerts").get_json()
    assert alert["entity_type"] == "message" and alert["link"] == "/api/v1/staff/invitations"
    assert owner.get(alert["link"]).status_code == 200
    assert_error(staff.post(f"/api/v1/alerts/{alert['id']}/resolve"), 404)


def test_other_workspaces_get_404(owner, other_owner, raised):
    assert kinds(other_owner) == set()
    assert_error(other_owner.post(f"/api/v1/alerts/{raised['missed_message']}/resolve"), 404)
    assert_error(owner.post("/api/v1/alerts/no-such-alert/resolve"), 404)


def test_resolving_twice_changes_nothing(owner, raised):
    first = owner.post(f"/api/v1/alerts/{raised['low_inventory']}/resolve").get_json()
    second = owner.post(f"/api/v1/alerts/{raised['low_inventory']}/resolve").get_json()
    assert first == second and first["status"] == "resolved"


def test_errors(client, owner, raised):
    assert_error(client.get("/api/v1/alerts"), 401)
    assert_error(client.post(f"/api/v1/alerts/{raised['low_inventory']}/resolve"), 401)
    assert_error(owner.get("/api/v1/alerts?status=maybe"), 422)
    assert_error(owner.get("/api/v1/alerts?kind=fire"), 422)


def test_one_open_alert_per_kind_and_entity(owner):
    assert (
        raise_alert(owner.workspace_id, kind="low_inventory", title="Low", entity_type="inventory_item", entity_id="i1")
        is not None
    )
    assert (
        raise_alert(owner.workspace_id, kind="low_inventory", title="Low", entity_type="inventory_item", entity_id="i1")
        is None
    )
    with pytest.raises(ValueError):
        raise_alert(owner.workspace_id, kind="fire", title="?")
    db.session.commit()
    from tests.messaging.fixtures import outbox_events

    assert len(outbox_events(owner.workspace_id, "alert_raised")) == 1
