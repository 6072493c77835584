"""Tenant isolation: a second workspace's token sees none of the first workspace's rows.

Every model with a ``workspace_id`` column is discovered from the metadata and
must appear in :data:`EXPOSED` (how the API shows its rows, and how to make
one) or in :data:`NOT_EXPOSED` (why the API never shows it); a model in
neither fails :func:`test_every_workspace_model_is_walked`, so a model added
later cannot slip through. Likewise every route naming a row by id must be
walked (:func:`test_every_id_route_is_walked`).

For each exposed model a row is made in workspace A; then A's token must see
it (the mapping is right), and B's token gets 404 from every endpoint naming
it, does not find it in any list, and changes nothing by trying.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from careops.extensions import db
from tests.conftest import Actor, assert_error

API = "/api/v1"


@dataclass
class World:
    A: Actor
    B: Actor
    app: object
    make_staff: Callable


@dataclass
class Exposure:
    #: Makes one row in workspace A; returns its identity (``id`` and any ids the templates name).
    create: Callable[[World], dict]
    #: GET endpoints listing the row (templates may name identity keys).
    lists: tuple[str, ...] = ()
    #: ``(method, template, body)`` of every endpoint naming the row: B gets 404 from each.
    details: tuple[tuple[str, str, dict | None], ...] = ()
    #: The field naming the row in list items; None compares whole answers (singletons, per-key settings).
    ident: str | None = "id"
    #: The items of a list answer.
    items: Callable[[object], list] = field(default=lambda payload: payload)


def ok(response, status=None) -> dict:
    assert response.status_code < 300 and (status is None or response.status_code == status), (
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
    return response.get_json()


# --- factories: one row of each model in workspace A -------------------------------------------------


def make_contact(w: World, email="isolation@example.com") -> dict:
    return {"id": ok(w.A.post(f"{API}/contacts", json={"name": "Iso Contact", "email": email}), 201)["id"]}


def make_conversation(w: World) -> dict:
    contact = make_contact(w, "isolation-conversation@example.com")
    return {"id": ok(w.A.get(f"{API}/contacts/{contact['id']}"))["conversation_id"]}


def make_message(w: World) -> dict:
    conversation = make_conversation(w)
    message = ok(w.A.post(f"{API}/conversations/{conversation['id']}/messages", json={"body": "Hello there"}), 201)
    return {"id": message["id"], "conversation_id": conversation["id"]}


def make_resource(w: World) -> dict:
    return {"id": ok(w.A.post(f"{API}/resources", json={"name": "Room 2", "capacity": 2}), 201)["id"]}


def make_service(w: World) -> dict:
    return {"id": ok(w.A.post(f"{API}/services", json={"name": "Iso consult", "duration_minutes": 30}), 201)["id"]}


def set_availability(w: World) -> dict:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    ok(w.A.put(f"{API}/availability", json={"rules": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in days]}))
    return {}


def make_booking(w: World) -> dict:
    service = make_service(w)
    set_availability(w)
    tomorrow = datetime.now(ZoneInfo(w.A.workspace["timezone"])).date() + timedelta(days=2)
    start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, 0, tzinfo=ZoneInfo(w.A.workspace["timezone"]))
    booking = ok(
        w.A.post(
            f"{API}/bookings",
            json={
                "service_id": service["id"],
                "start": start.isoformat(),
                "contact": {"name": "Iso Booker", "email": "booker@example.com"},
            },
        ),
        201,
    )
    return {"id": booking["id"]}


def make_override(w: World) -> dict:
    return {"id": ok(w.A.post(f"{API}/availability/overrides", json={"date": "2031-01-02", "closed": True}), 201)["id"]}


def change_contact_form(w: World) -> dict:
    ok(
        w.A.put(
            f"{API}/contact-form",
            json={
                "enabled": False,
                "success_message": "A's own message",
                "fields": [
                    {"key": "name", "label": "Name", "type": "text", "required": True},
                    {"key": "phone", "label": "Phone", "type": "phone", "required": True},
                ],
            },
        )
    )
    return {}


def make_invitation(w: World) -> dict:
    return {"id": ok(w.A.post(f"{API}/staff/invitations", json={"email": "invitee@example.com"}), 201)["id"]}


def make_user(w: World) -> dict:
    return {"id": w.make_staff(w.A, inbox=True).user["id"]}


def configure_integration(w: World) -> dict:
    ok(w.A.put(f"{API}/integrations/email-2", json={"provider": "console", "config": {}}))
    return {}


def change_automation_rule(w: World) -> dict:
    ok(w.A.patch(f"{API}/automation/rules/welcome_contact", json={"enabled": False}))
    return {}


def make_alert(w: World) -> dict:
    """Alerts are raised by the system only: written directly."""
    from careops.alerts.models import Alert

    with w.app.app_context():
        alert = Alert(workspace_id=w.A.workspace_id, kind="low_inventory", title="Isolation probe")
        db.session.add(alert)
        db.session.commit()
        return {"id": alert.id}


def make_audit_entry(w: World) -> dict:
    """Audit entries are written by every write: make one, take the newest."""
    ok(w.A.post(f"{API}/resources", json={"name": "Audited room"}), 201)
    return {"id": ok(w.A.get(f"{API}/audit-log?page_size=1"))[0]["id"]}


def make_inventory_item(w: World) -> dict:
    return {"id": ok(w.A.post(f"{API}/inventory", json={"name": "Iso gloves", "quantity": 5}), 201)["id"]}


def make_inventory_movement(w: World) -> dict:
    item = make_inventory_item(w)
    ok(w.A.post(f"{API}/inventory/{item['id']}/adjust", json={"delta": 2, "reason": "isolation"}))
    return {"id": ok(w.A.get(f"{API}/inventory/{item['id']}/movements"))[0]["id"], "item_id": item["id"]}


def make_form_template(w: World) -> dict:
    return {
        "id": ok(
            w.A.post(
                f"{API}/form-templates",
                json={"name": "Iso form", "fields": [{"key": "ok", "label": "OK?", "type": "checkbox"}]},
            ),
            201,
        )["id"]
    }


def make_form_submission(w: World) -> dict:
    """Sent by the forms domain after a booking of a service with a template."""
    template = make_form_template(w)
    booking = make_booking(w)
    service_id = ok(w.A.get(f"{API}/bookings/{booking['id']}"))["service_id"]
    ok(w.A.patch(f"{API}/services/{service_id}", json={"form_template_ids": [template["id"]]}))
    later = ok(w.A.get(f"{API}/bookings/{booking['id']}"))["start"].replace("T10:00", "T14:00")
    booking = ok(
        w.A.post(
            f"{API}/bookings",
            json={
                "service_id": service_id,
                "start": later,
                "contact": {"name": "Iso Form", "email": "form@example.com"},
            },
        ),
        201,
    )
    return {"id": booking["forms"][0]["id"]}


def make_webhook_endpoint(w: World) -> dict:
    """Disabled and at a public address literal: nothing is ever sent from this test."""
    return {
        "id": ok(
            w.A.post(
                f"{API}/webhooks",
                json={"url": "https://93.184.215.14/iso", "enabled": False, "events": ["inventory.low"]},
            ),
            201,
        )["id"]
    }


def make_webhook_delivery(w: World) -> dict:
    """Deliveries are written by the outbox receivers: written directly, already failed (never sent)."""
    from careops.db import new_id
    from careops.webhooks.models import WebhookDelivery

    endpoint = make_webhook_endpoint(w)
    with w.app.app_context():
        delivery = WebhookDelivery(
            workspace_id=w.A.workspace_id,
            endpoint_id=endpoint["id"],
            event_id=new_id(),
            event_type="inventory.low",
            payload={},
            status="failed",
        )
        db.session.add(delivery)
        db.session.commit()
        return {"id": delivery.id, "endpoint_id": endpoint["id"]}


TAKE_OVER = {"name": "Taken over"}

#: Models the API serves, keyed by table name.
EXPOSED: dict[str, Exposure] = {
    "contacts": Exposure(
        make_contact,
        lists=(f"{API}/contacts",),
        details=(("GET", f"{API}/contacts/{{id}}", None), ("PATCH", f"{API}/contacts/{{id}}", TAKE_OVER)),
    ),
    "conversations": Exposure(
        make_conversation,
        lists=(f"{API}/conversations",),
        details=(
            ("GET", f"{API}/conversations/{{id}}", None),
            ("POST", f"{API}/conversations/{{id}}/messages", {"body": "Taken over"}),
            ("POST", f"{API}/conversations/{{id}}/automation", {"paused": True}),
            ("POST", f"{API}/conversations/{{id}}/read", None),
            ("POST", f"{API}/conversations/{{id}}/status", {"status": "closed"}),
        ),
    ),
    "messages": Exposure(
        make_message, lists=(f"{API}/conversations/{{conversation_id}}",), items=lambda payload: payload["messages"]
    ),
    "resources": Exposure(
        make_resource,
        lists=(f"{API}/resources",),
        details=(
            ("GET", f"{API}/resources/{{id}}", None),
            ("PATCH", f"{API}/resources/{{id}}", TAKE_OVER),
            ("DELETE", f"{API}/resources/{{id}}", None),
        ),
    ),
    "services": Exposure(
        make_service,
        lists=(f"{API}/services",),
        details=(
            ("GET", f"{API}/services/{{id}}", None),
            ("PATCH", f"{API}/services/{{id}}", TAKE_OVER),
            ("DELETE", f"{API}/services/{{id}}", None),
        ),
    ),
    "bookings": Exposure(
        make_booking,
        lists=(f"{API}/bookings",),
        details=(
            ("GET", f"{API}/bookings/{{id}}", None),
            ("PATCH", f"{API}/bookings/{{id}}", {"notes": "Taken over"}),
            ("POST", f"{API}/bookings/{{id}}/status", {"status": "cancelled"}),
        ),
    ),
    "availability_rules": Exposure(set_availability, lists=(f"{API}/availability",), ident=None),
    "availability_overrides": Exposure(
        make_override,
        lists=(f"{API}/availability/overrides",),
        details=(("DELETE", f"{API}/availability/overrides/{{id}}", None),),
    ),
    "contact_forms": Exposure(change_contact_form, lists=(f"{API}/contact-form",), ident=None),
    "invitations": Exposure(make_invitation, lists=(f"{API}/staff/invitations",)),
    "users": Exposure(
        make_user, lists=(f"{API}/staff",), details=(("PATCH", f"{API}/staff/{{id}}", {"is_active": False}),)
    ),
    "integrations": Exposure(configure_integration, lists=(f"{API}/integrations",), ident=None),
    "automation_rules": Exposure(change_automation_rule, lists=(f"{API}/automation/rules",), ident=None),
    "alerts": Exposure(make_alert, lists=(f"{API}/alerts",), details=(("POST", f"{API}/alerts/{{id}}/resolve", None),)),
    "audit_log": Exposure(make_audit_entry, lists=(f"{API}/audit-log",)),
    "form_templates": Exposure(
        make_form_template,
        lists=(f"{API}/form-templates",),
        details=(
            ("GET", f"{API}/form-templates/{{id}}", None),
            ("PATCH", f"{API}/form-templates/{{id}}", TAKE_OVER),
            ("DELETE", f"{API}/form-templates/{{id}}", None),
        ),
    ),
    "form_submissions": Exposure(
        make_form_submission,
        lists=(f"{API}/form-submissions",),
        details=(("GET", f"{API}/form-submissions/{{id}}", None),),
    ),
    "inventory_items": Exposure(
        make_inventory_item,
        lists=(f"{API}/inventory",),
        details=(
            ("GET", f"{API}/inventory/{{id}}", None),
            ("PATCH", f"{API}/inventory/{{id}}", TAKE_OVER),
            ("DELETE", f"{API}/inventory/{{id}}", None),
            ("POST", f"{API}/inventory/{{id}}/adjust", {"delta": 1, "reason": "taken over"}),
        ),
    ),
    "inventory_movements": Exposure(make_inventory_movement, lists=(f"{API}/inventory/{{item_id}}/movements",)),
    "webhook_endpoints": Exposure(
        make_webhook_endpoint,
        lists=(f"{API}/webhooks",),
        details=(
            ("GET", f"{API}/webhooks/{{id}}", None),
            ("PATCH", f"{API}/webhooks/{{id}}", {"description": "Taken over"}),
            ("DELETE", f"{API}/webhooks/{{id}}", None),
            ("POST", f"{API}/webhooks/{{id}}/rotate-secret", None),
            ("POST", f"{API}/webhooks/{{id}}/test", None),
            ("GET", f"{API}/webhooks/{{id}}/deliveries", None),
        ),
    ),
    "webhook_deliveries": Exposure(
        make_webhook_delivery,
        lists=(f"{API}/webhooks/{{endpoint_id}}/deliveries",),
        details=(("POST", f"{API}/webhooks/{{endpoint_id}}/deliveries/{{id}}/redeliver", None),),
    ),
}

#: Workspace models the API never serves, with the reason.
NOT_EXPOSED: dict[str, str] = {
    "outbox_events": "the internal queue of domain events; delivered to receivers, never served",
    "scheduled_automations": "automation's internal schedule; seen only as the messages it sends",
    "booking_manage_tokens": "hashes of customers' manage links; reached by the token under /public, never by id",
    "form_access_tokens": "hashes of customers' form links; reached by the token under /public, never by id",
    "short_links": "hashed codes of the short links in SMS; reached by the code at /m/<code>, never by id",
    "inventory_booking_deductions": "the once-per-booking key of a deduction; seen as the movement it wrote",
}

#: Routes with a path parameter that is not a row of a workspace model.
NOT_ROW_ROUTES = {
    ("GET", f"{API}/docs/assets/{{}}"),  # static files
    ("PUT", f"{API}/integrations/{{}}"),
    ("POST", f"{API}/integrations/{{}}/test"),  # the caller's own, by key
    ("PATCH", f"{API}/automation/rules/{{}}"),  # the caller's own rule, by fixed key
}


def template(path: str) -> str:
    """``/x/<id>/y`` and ``/x/{id}/y`` both become ``/x/{}/y``."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def workspace_tables() -> set[str]:
    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if mapper.local_table is not None and "workspace_id" in mapper.local_table.c
    }


def test_every_workspace_model_is_walked(app):
    tables = workspace_tables()
    assert {"contacts", "users", "invitations", "outbox_events"} <= tables
    unaccounted = tables - set(EXPOSED) - set(NOT_EXPOSED)
    assert not unaccounted, f"add these workspace models to EXPOSED or NOT_EXPOSED in {__file__}: {unaccounted}"
    assert not set(EXPOSED) & set(NOT_EXPOSED)
    stale = (set(EXPOSED) | set(NOT_EXPOSED)) - tables
    assert not stale, f"these entries name no workspace model any more: {stale}"


def test_every_id_route_is_walked(app):
    walked = {(method, template(path)) for exposure in EXPOSED.values() for method, path, _ in exposure.details}
    walked |= {("GET", template(path)) for exposure in EXPOSED.values() for path in exposure.lists}
    missing = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule.startswith(f"{API}/public") or not rule.arguments:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, template(rule.rule)) not in walked | NOT_ROW_ROUTES:
                missing.add((method, rule.rule))
    assert not missing, f"map these routes to a model's details in {__file__} (or to NOT_ROW_ROUTES): {missing}"


@pytest.mark.parametrize("table", sorted(EXPOSED))
def test_rows_are_invisible_to_another_workspace(app, owner, other_owner, make_staff, table):
    exposure = EXPOSED[table]
    if table not in workspace_tables():
        pytest.skip(f"no {table} model in this build")
    world = World(A=owner, B=other_owner, app=app, make_staff=make_staff)
    plain_lists = [path for path in exposure.lists if "{" not in path]
    before = {
        who: {path: ok(actor.get(path)) for path in plain_lists} for who, actor in (("A", owner), ("B", other_owner))
    }
    identity = exposure.create(world)

    # A sees its row: the mapping names the right endpoints.
    seen_by_a = {}
    for path in exposure.lists:
        url = path.format(**identity)
        seen_by_a[url] = ok(owner.get(url))
        if exposure.ident:
            assert identity[exposure.ident] in [i[exposure.ident] for i in exposure.items(seen_by_a[url])], url
        else:
            assert seen_by_a[url] != before["A"][path], f"{url} does not show A's change"
    for method, path, _ in exposure.details:
        if method == "GET":
            ok(owner.get(path.format(**identity)))

    # B gets 404 from every endpoint naming it, and changes nothing.
    for method, path, body in exposure.details:
        assert_error(
            other_owner.client.open(path.format(**identity), method=method, json=body, headers=other_owner.headers),
            404,
            "NOT_FOUND",
        )
    for path in exposure.lists:
        url = path.format(**identity)
        response = other_owner.get(url)
        if "{" in path and response.status_code == 404:
            continue  # the list lives under a parent of A's: not found at all
        payload = ok(response)
        if path in before["B"]:
            assert payload == before["B"][path], f"B's {url} changed when A made a row"
        if exposure.ident:
            assert identity[exposure.ident] not in [i[exposure.ident] for i in exposure.items(payload)], url
    for url, payload in seen_by_a.items():
        assert ok(owner.get(url)) == payload, f"B's requests changed A's {url}"
