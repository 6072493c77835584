"""/resources: staff read, owner writes, capacity, no removal while an active service needs it."""

from tests.bookings.factories import first_resource_id, make_service
from tests.conftest import assert_error

URL = "/api/v1/resources"


def test_new_workspace_has_main_calendar(owner):
    response = owner.get(URL)
    assert response.status_code == 200
    assert [(r["name"], r["capacity"], r["is_active"]) for r in response.get_json()] == [("Main calendar", 1, True)]
    assert '"total": 1' in response.headers["X-Pagination"]


def test_owner_creates_reads_updates(owner):
    created = owner.post(URL, json={"name": "Room 2", "capacity": 4})
    assert created.status_code == 201
    room = created.get_json()
    assert room == {"id": room["id"], "name": "Room 2", "capacity": 4, "is_active": True}
    assert owner.get(f"{URL}/{room['id']}").get_json() == room
    patched = owner.patch(f"{URL}/{room['id']}", json={"capacity": 2, "name": "Room B"})
    assert patched.status_code == 200 and patched.get_json()["capacity"] == 2
    assert owner.get(f"{URL}/{room['id']}").get_json()["name"] == "Room B"


def test_invalid_input_is_422_and_nothing_is_written(owner):
    for body in (
        {"name": "X", "capacity": 0},
        {"name": ""},
        {"capacity": 2},
        {"name": "X", "colour": "red"},
        {"name": "X" * 121},
    ):
        payload = assert_error(owner.post(URL, json=body), 422, "VALIDATION_ERROR")
        assert payload["errors"]
    assert len(owner.get(URL).get_json()) == 1
    assert (
        "capacity"
        in assert_error(owner.patch(f"{URL}/{first_resource_id(owner)}", json={"capacity": -1}), 422)["errors"]
    )


def test_delete(owner):
    room = owner.post(URL, json={"name": "Spare room"}).get_json()
    assert owner.delete(f"{URL}/{room['id']}").status_code == 204
    assert_error(owner.get(f"{URL}/{room['id']}"), 404, "NOT_FOUND")


def test_resource_of_an_active_service_cannot_be_deleted_or_deactivated(owner):
    rid = first_resource_id(owner)
    service = make_service(owner)
    payload = assert_error(owner.delete(f"{URL}/{rid}"), 409, "CONFLICT")
    assert "Consultation" in payload["detail"]
    assert_error(owner.patch(f"{URL}/{rid}", json={"is_active": False}), 409, "CONFLICT")
    # once the service is retired the resource may go; the service lets go of it
    assert owner.delete(f"/api/v1/services/{service['id']}").status_code == 204
    assert owner.delete(f"{URL}/{rid}").status_code == 204
    assert owner.get(f"/api/v1/services/{service['id']}").get_json()["resource_ids"] == []


def test_staff_reads_but_cannot_write(owner, make_staff):
    staff = make_staff(owner)
    rid = first_resource_id(owner)
    assert staff.get(URL).status_code == 200
    assert staff.get(f"{URL}/{rid}").status_code == 200
    assert_error(staff.post(URL, json={"name": "Mine"}), 403, "FORBIDDEN")
    assert_error(staff.patch(f"{URL}/{rid}", json={"capacity": 9}), 403, "FORBIDDEN")
    assert_error(staff.delete(f"{URL}/{rid}"), 403, "FORBIDDEN")


def test_another_workspace_sees_404(owner, other_owner, client):
    rid = first_resource_id(owner)
    assert_error(other_owner.get(f"{URL}/{rid}"), 404, "NOT_FOUND")
    assert_error(other_owner.patch(f"{URL}/{rid}", json={"capacity": 5}), 404, "NOT_FOUND")
    assert_error(other_owner.delete(f"{URL}/{rid}"), 404, "NOT_FOUND")
    assert rid not in [r["id"] for r in other_owner.get(URL).get_json()]
    assert_error(client.get(URL), 401, "UNAUTHORIZED")
