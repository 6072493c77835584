"""GET /audit-log: the owner's, filtered and paginated; staff 403; another workspace's entries invisible."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import assert_error

SHAPE = {"id", "at", "actor", "action", "entity_type", "entity_id", "changes", "ip", "request_id"}


def make_service(owner, name="Facial") -> str:
    response = owner.post("/api/v1/services", json={"name": name, "duration_minutes": 30})
    assert response.status_code == 201
    return response.get_json()["id"]


def test_the_owner_reads_the_log_newest_first(owner):
    service_id = make_service(owner)
    owner.patch(f"/api/v1/services/{service_id}", json={"name": "Long facial"})
    response = owner.get("/api/v1/audit-log")
    assert response.status_code == 200
    log = response.get_json()
    assert all(set(entry) == SHAPE for entry in log)
    assert log[0]["entity_type"] == "service" and log[0]["action"] == "update"
    assert log[0]["changes"] == {"name": ["Facial", "Long facial"]}
    assert log[0]["actor"] == {"type": "user", "id": owner.user["id"], "email": owner.user["email"]}
    assert [e["at"] for e in log] == sorted((e["at"] for e in log), reverse=True)
    assert json.loads(response.headers["X-Pagination"])["total"] == len(log)


def test_filters(owner):
    first = make_service(owner, "One")
    make_service(owner, "Two")
    owner.patch(f"/api/v1/services/{first}", json={"name": "Uno"})

    def ids(query):
        response = owner.get(f"/api/v1/audit-log?{query}")
        assert response.status_code == 200, response.get_json()
        return [(e["entity_id"], e["action"]) for e in response.get_json()]

    assert ids(f"entity_type=service&entity_id={first}") == [(first, "update"), (first, "create")]
    assert ids("entity_type=service&action=update") == [(first, "update")]
    assert len(ids(f"actor_id={owner.user['id']}&entity_type=service")) == 3
    assert ids("actor_id=nobody") == []
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    assert len(ids(f"entity_type=service&from={today}&to={today}")) == 3
    assert ids(f"entity_type=service&from={today + timedelta(days=1)}") == []
    assert ids(f"entity_type=service&to={today - timedelta(days=1)}") == []
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert ids(f"entity_type=service&from={later}") == []
    assert len(ids("entity_type=service&page_size=2")) == 2


def test_invalid_filters_are_422(owner):
    for query in (
        "action=rename",
        "from=yesterday",
        "to=2026-13-01",
        "from=2026-03-02&to=2026-03-01",
        "from=2026-03-01T10:00:00",
        "from=" + "2" * 50,
        "to=9999-12-31T23:59:59+14:00x",
        "from=0001-01-01T00:00:00%2B14:00",
        "to=9999-12-31",
        "from=0001-01-01",
        "page_size=500",
    ):
        assert_error(owner.get(f"/api/v1/audit-log?{query}"), 422)


def test_owner_only(client, owner, make_staff):
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    assert_error(staff.get("/api/v1/audit-log"), 403, "FORBIDDEN")
    assert_error(client.get("/api/v1/audit-log"), 401)


def test_other_workspaces_see_none_of_it(owner, other_owner):
    service_id = make_service(owner)
    theirs = other_owner.get(f"/api/v1/audit-log?entity_id={service_id}").get_json()
    assert theirs == []
    assert all(e["entity_id"] != service_id for e in other_owner.get("/api/v1/audit-log?page_size=100").get_json())


def test_nothing_changes_or_deletes_it_over_http(owner):
    for method in ("put", "patch", "delete", "post"):
        response = getattr(owner.client, method)("/api/v1/audit-log", headers=owner.headers)
        assert_error(response, 405)
