"""GET /workspace/onboarding and POST /workspace/activate."""

from tests.bookings.factories import enable_email, make_service, outbox, set_hours
from tests.conftest import assert_error

KEYS = [
    "workspace",
    "communication",
    "contact_form",
    "services",
    "availability",
    "forms",
    "inventory",
    "staff",
    "activation",
]


def steps(owner):
    body = owner.get("/api/v1/workspace/onboarding").get_json()
    return body, {s["key"]: s["done"] for s in body["steps"]}


def test_new_workspace_checklist(owner):
    body, done = steps(owner)
    assert [s["key"] for s in body["steps"]] == KEYS
    assert all(s["detail"] for s in body["steps"])
    assert body["ready_to_activate"] is False
    assert body["missing"] == ["communication", "services", "availability"]
    assert done["contact_form"] is True and done["activation"] is False


def test_activation_needs_channel_service_and_hours(owner, app, client):
    payload = assert_error(owner.post("/api/v1/workspace/activate"), 409, "ACTIVATION_INCOMPLETE")
    assert payload["missing"] == ["communication", "services", "availability"]
    assert "communication" in payload["detail"]
    make_service(owner)
    set_hours(owner)
    payload = assert_error(owner.post("/api/v1/workspace/activate"), 409, "ACTIVATION_INCOMPLETE")
    assert payload["missing"] == ["communication"]
    enable_email(app, owner.workspace_id)
    body, done = steps(owner)
    assert body["ready_to_activate"] is True and body["missing"] == []
    response = owner.post("/api/v1/workspace/activate")
    assert response.status_code == 200
    assert response.get_json()["status"] == "active" and response.get_json()["activated_at"]
    assert [e["workspace_id"] for e in outbox(app, "workspace_activated")] == [owner.workspace_id]
    assert steps(owner)[1]["activation"] is True
    # activating again changes nothing and emits nothing
    assert owner.post("/api/v1/workspace/activate").status_code == 200
    assert len(outbox(app, "workspace_activated")) == 1
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    assert client.get(f"/api/v1/public/{slug}").status_code == 200


def test_inactive_service_does_not_count(owner, app):
    service = make_service(owner)
    owner.delete(f"/api/v1/services/{service['id']}")
    set_hours(owner)
    enable_email(app, owner.workspace_id)
    assert assert_error(owner.post("/api/v1/workspace/activate"), 409)["missing"] == ["services"]


def test_staff_and_optional_steps(owner, make_staff):
    make_staff(owner)
    assert steps(owner)[1]["staff"] is True
    owner.patch("/api/v1/workspace", json={"contact_email": "hello@example.com"})
    assert steps(owner)[1]["workspace"] is True


def test_roles(owner, make_staff, client):
    staff = make_staff(owner)
    assert staff.get("/api/v1/workspace/onboarding").status_code == 200
    assert_error(staff.post("/api/v1/workspace/activate"), 403)
    assert_error(client.post("/api/v1/workspace/activate"), 401)
