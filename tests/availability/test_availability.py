"""/availability: weekly rules (replaced as a whole) and date overrides."""

from tests.bookings.factories import make_service
from tests.conftest import assert_error

URL = "/api/v1/availability"


def test_rules_round_trip(owner):
    assert owner.get(URL).get_json() == {"rules": []}
    service = make_service(owner)
    rules = [
        {"weekday": "mon", "start": "09:00", "end": "12:00", "service_ids": None},
        {"weekday": "mon", "start": "13:00", "end": "17:30", "service_ids": [service["id"]]},
        {"weekday": "sat", "start": "10:00", "end": "14:00", "service_ids": None},
    ]
    response = owner.put(URL, json={"rules": rules})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"rules": rules}
    assert owner.get(URL).get_json() == {"rules": rules}
    # PUT replaces
    owner.put(URL, json={"rules": [{"weekday": "sun", "start": "08:00", "end": "09:00"}]})
    assert owner.get(URL).get_json()["rules"] == [
        {"weekday": "sun", "start": "08:00", "end": "09:00", "service_ids": None}
    ]


def test_overlapping_rules_for_the_same_service_are_refused(owner):
    a, b = make_service(owner), make_service(owner, name="Other")
    overlapping = [
        [{"weekday": "mon", "start": "09:00", "end": "12:00"}, {"weekday": "mon", "start": "11:00", "end": "13:00"}],
        [
            {"weekday": "tue", "start": "09:00", "end": "12:00", "service_ids": [a["id"]]},
            {"weekday": "tue", "start": "10:00", "end": "11:00"},
        ],
        [
            {"weekday": "wed", "start": "09:00", "end": "12:00", "service_ids": [a["id"], b["id"]]},
            {"weekday": "wed", "start": "09:00", "end": "10:00", "service_ids": [b["id"]]},
        ],
    ]
    for rules in overlapping:
        payload = assert_error(owner.put(URL, json={"rules": rules}), 422, "VALIDATION_ERROR")
        assert "start" in payload["errors"]["rules"]["1"], payload
    assert owner.get(URL).get_json() == {"rules": []}
    fine = [
        {"weekday": "mon", "start": "09:00", "end": "12:00", "service_ids": [a["id"]]},
        {"weekday": "mon", "start": "09:00", "end": "12:00", "service_ids": [b["id"]]},
        {"weekday": "mon", "start": "12:00", "end": "13:00"},
        {"weekday": "tue", "start": "09:00", "end": "12:00"},
    ]
    assert owner.put(URL, json={"rules": fine}).status_code == 200


def test_bad_rules(owner):
    for rule, field in [
        ({"weekday": "mon", "start": "12:00", "end": "09:00"}, "end"),
        ({"weekday": "mon", "start": "09:00", "end": "09:00"}, "end"),
        ({"weekday": "monday", "start": "09:00", "end": "10:00"}, "weekday"),
        ({"weekday": 1, "start": "09:00", "end": "10:00"}, "weekday"),
        ({"weekday": "mon", "start": "9:00", "end": "10:00"}, "start"),
        ({"weekday": "mon", "start": "09:00", "end": "24:00"}, "end"),
        ({"weekday": "mon", "start": "09:00", "end": "10:00", "note": "x"}, "note"),
    ]:
        payload = assert_error(owner.put(URL, json={"rules": [rule]}), 422)
        assert field in payload["errors"]["rules"]["0"], (rule, payload)
    assert_error(owner.put(URL, json={}), 422)


def test_rules_name_the_workspaces_services(owner, other_owner):
    foreign = make_service(other_owner)
    assert_error(
        owner.put(
            URL, json={"rules": [{"weekday": "mon", "start": "09:00", "end": "10:00", "service_ids": [foreign["id"]]}]}
        ),
        404,
    )


def test_overrides(owner):
    closed = owner.post(f"{URL}/overrides", json={"date": "2030-12-25", "closed": True})
    assert closed.status_code == 201, closed.get_json()
    hours = owner.post(
        f"{URL}/overrides", json={"date": "2030-12-24", "closed": False, "start": "09:00", "end": "12:00"}
    ).get_json()
    assert hours["start"] == "09:00" and hours["end"] == "12:00" and hours["service_ids"] is None
    listed = owner.get(f"{URL}/overrides").get_json()
    assert [o["date"] for o in listed] == ["2030-12-24", "2030-12-25"]
    assert [o["date"] for o in owner.get(f"{URL}/overrides?from=2030-12-25").get_json()] == ["2030-12-25"]
    assert [o["date"] for o in owner.get(f"{URL}/overrides?to=2030-12-24").get_json()] == ["2030-12-24"]
    assert owner.delete(f"{URL}/overrides/{hours['id']}").status_code == 204
    assert [o["date"] for o in owner.get(f"{URL}/overrides").get_json()] == ["2030-12-25"]
    assert_error(owner.delete(f"{URL}/overrides/{hours['id']}"), 404)


def test_bad_overrides(owner):
    for body, field in [
        ({"date": "2030-01-01"}, "closed"),
        ({"date": "2030-13-01", "closed": True}, "date"),
        ({"date": "2030-01-01", "closed": True, "start": "09:00"}, "start"),
        ({"date": "2030-01-01", "closed": False}, "start"),
        ({"date": "2030-01-01", "closed": False, "start": "09:00"}, "end"),
        ({"date": "2030-01-01", "closed": False, "start": "10:00", "end": "09:00"}, "end"),
    ]:
        payload = assert_error(owner.post(f"{URL}/overrides", json=body), 422)
        assert field in payload["errors"], (body, payload)
    owner.post(f"{URL}/overrides", json={"date": "2030-01-01", "closed": False, "start": "09:00", "end": "12:00"})
    payload = assert_error(
        owner.post(f"{URL}/overrides", json={"date": "2030-01-01", "closed": False, "start": "11:00", "end": "13:00"}),
        422,
    )
    assert "start" in payload["errors"]
    assert len(owner.get(f"{URL}/overrides").get_json()) == 1


def test_roles_and_isolation(owner, other_owner, make_staff):
    staff = make_staff(owner)
    override = owner.post(f"{URL}/overrides", json={"date": "2030-01-01", "closed": True}).get_json()
    assert staff.get(URL).status_code == 200 and staff.get(f"{URL}/overrides").status_code == 200
    assert_error(staff.put(URL, json={"rules": []}), 403)
    assert_error(staff.post(f"{URL}/overrides", json={"date": "2030-01-02", "closed": True}), 403)
    assert_error(staff.delete(f"{URL}/overrides/{override['id']}"), 403)
    assert_error(other_owner.delete(f"{URL}/overrides/{override['id']}"), 404)
    assert other_owner.get(f"{URL}/overrides").get_json() == []
