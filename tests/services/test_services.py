"""/services: defaults, validation, resources, deactivation, roles and isolation."""

from tests.bookings.factories import first_resource_id, make_service
from tests.conftest import assert_error

URL = "/api/v1/services"


def test_defaults(owner):
    created = owner.post(URL, json={"name": "Massage", "duration_minutes": 45})
    assert created.status_code == 201, created.get_json()
    service = created.get_json()
    assert service == {
        "id": service["id"],
        "name": "Massage",
        "description": None,
        "duration_minutes": 45,
        "location": None,
        "resource_ids": [first_resource_id(owner)],
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 0,
        "min_notice_minutes": 60,
        "booking_horizon_days": 60,
        "slot_interval_minutes": 45,
        "requires_confirmation": False,
        "is_active": True,
        "form_template_ids": [],
        "inventory_usage": [],
    }


def test_every_field_is_stored(owner):
    room = owner.post("/api/v1/resources", json={"name": "Room", "capacity": 2}).get_json()
    gel = owner.post("/api/v1/inventory", json={"name": "Gel", "unit": "ml"}).get_json()
    tpl_1, tpl_2 = (
        owner.post(
            "/api/v1/form-templates", json={"name": name, "fields": [{"key": "ok", "label": "OK?", "type": "checkbox"}]}
        ).get_json()["id"]
        for name in ("One", "Two")
    )
    body = {
        "name": "Facial",
        "description": "Deep clean",
        "duration_minutes": 90,
        "location": "Room 1",
        "resource_ids": [room["id"], first_resource_id(owner)],
        "buffer_before_minutes": 10,
        "buffer_after_minutes": 15,
        "min_notice_minutes": 120,
        "booking_horizon_days": 30,
        "slot_interval_minutes": 30,
        "requires_confirmation": True,
        "is_active": True,
        "form_template_ids": [tpl_1, tpl_2],
        "inventory_usage": [{"item_id": gel["id"], "quantity": 2.5}],
    }
    service = owner.post(URL, json=body).get_json()
    assert {k: service[k] for k in body} == body
    assert owner.get(f"{URL}/{service['id']}").get_json() == service


def test_interval_follows_duration_until_set(owner):
    service = make_service(owner, duration_minutes=30)
    patched = owner.patch(f"{URL}/{service['id']}", json={"duration_minutes": 50}).get_json()
    assert patched["slot_interval_minutes"] == 50
    patched = owner.patch(f"{URL}/{service['id']}", json={"slot_interval_minutes": 15}).get_json()
    assert (patched["duration_minutes"], patched["slot_interval_minutes"]) == (50, 15)


def test_validation(owner):
    bad = [
        ({"name": "X"}, "duration_minutes"),
        ({"name": "X", "duration_minutes": 0}, "duration_minutes"),
        ({"name": "X", "duration_minutes": 30, "buffer_before_minutes": -5}, "buffer_before_minutes"),
        ({"name": "X", "duration_minutes": 30, "booking_horizon_days": 0}, "booking_horizon_days"),
        ({"name": "X", "duration_minutes": 30, "resource_ids": []}, "resource_ids"),
        ({"name": "X", "duration_minutes": 30, "inventory_usage": [{"item_id": "a"}]}, "inventory_usage"),
        (
            {"name": "X", "duration_minutes": 30, "inventory_usage": [{"item_id": "a", "quantity": 0}]},
            "inventory_usage",
        ),
        (
            {
                "name": "X",
                "duration_minutes": 30,
                "inventory_usage": [{"item_id": "a", "quantity": 1}, {"item_id": "a", "quantity": 2}],
            },
            "inventory_usage",
        ),
        ({"name": "X", "duration_minutes": 30, "form_template_ids": "tpl"}, "form_template_ids"),
        ({"name": "X", "duration_minutes": 30, "price": 10}, "price"),
    ]
    for body, field in bad:
        payload = assert_error(owner.post(URL, json=body), 422, "VALIDATION_ERROR")
        assert field in payload["errors"], (body, payload)
    assert owner.get(URL).get_json() == []


def test_resources_must_be_the_workspaces_and_active(owner, other_owner):
    foreign = first_resource_id(other_owner)
    assert_error(owner.post(URL, json={"name": "X", "duration_minutes": 30, "resource_ids": [foreign]}), 404)
    idle = owner.post("/api/v1/resources", json={"name": "Idle", "is_active": False}).get_json()
    payload = assert_error(
        owner.post(URL, json={"name": "X", "duration_minutes": 30, "resource_ids": [idle["id"]]}), 422
    )
    assert "resource_ids" in payload["errors"]
    assert owner.get(URL).get_json() == []


def test_delete_deactivates(owner):
    service = make_service(owner)
    assert owner.delete(f"{URL}/{service['id']}").status_code == 204
    assert owner.get(f"{URL}/{service['id']}").get_json()["is_active"] is False
    assert [s["id"] for s in owner.get(f"{URL}?is_active=false").get_json()] == [service["id"]]
    assert owner.get(f"{URL}?is_active=true").get_json() == []
    assert owner.patch(f"{URL}/{service['id']}", json={"is_active": True}).get_json()["is_active"] is True


def test_roles_and_isolation(owner, other_owner, make_staff, client):
    service = make_service(owner)
    staff = make_staff(owner)
    assert staff.get(URL).status_code == 200
    assert staff.get(f"{URL}/{service['id']}").status_code == 200
    assert_error(staff.post(URL, json={"name": "X", "duration_minutes": 30}), 403, "FORBIDDEN")
    assert_error(staff.patch(f"{URL}/{service['id']}", json={"name": "Y"}), 403, "FORBIDDEN")
    assert_error(staff.delete(f"{URL}/{service['id']}"), 403, "FORBIDDEN")
    for call in (other_owner.get, other_owner.delete):
        assert_error(call(f"{URL}/{service['id']}"), 404, "NOT_FOUND")
    assert_error(other_owner.patch(f"{URL}/{service['id']}", json={"name": "Y"}), 404, "NOT_FOUND")
    assert other_owner.get(URL).get_json() == []
    assert_error(client.get(URL), 401)
