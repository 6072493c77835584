"""GET /public/{slug}/services/{id}/slots: workspace dates, range checks, what is taken, DST."""

from datetime import date, datetime, timedelta

from tests.bookings.factories import Bookable, local_day, make_service
from tests.conftest import assert_error


def url(bookable, service_id=None):
    return f"/api/v1/public/{bookable.slug}/services/{service_id or bookable.service_id}/slots"


def test_slots_of_a_day(bookable, client):
    day = local_day(bookable.tz, 3)
    response = client.get(url(bookable) + f"?from={day}&to={day}")
    assert response.status_code == 200, response.get_json()
    slots = response.get_json()
    assert [s["start"][11:16] for s in slots] == [f"{h:02d}:00" for h in range(9, 17)]
    assert all(s["start"].startswith(str(day)) and s["remaining"] == 1 for s in slots)
    first = slots[0]
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"]) == timedelta(hours=1)
    assert datetime.fromisoformat(first["start"]).utcoffset() is not None


def test_default_range_is_a_week_from_today(bookable, client):
    slots = client.get(url(bookable)).get_json()
    days = sorted({s["start"][:10] for s in slots})
    today = local_day(bookable.tz, 0)
    assert days[-1] == str(today + timedelta(days=6))
    assert str(today + timedelta(days=1)) in days
    assert [datetime.fromisoformat(s["start"]) for s in slots] == sorted(
        datetime.fromisoformat(s["start"]) for s in slots
    )


def test_taken_slots_disappear_and_remaining_counts_down(app, owner, client):
    bookable = Bookable(app, owner, capacity=2)
    day = local_day(bookable.tz, 3)
    bookable.public_book(client, bookable.start("10:00"))
    slots = {s["start"][11:16]: s["remaining"] for s in client.get(url(bookable) + f"?from={day}&to={day}").get_json()}
    assert slots["10:00"] == 1 and slots["09:00"] == 2
    bookable.public_book(client, bookable.start("10:00"), email="two@example.com")
    slots = {s["start"][11:16] for s in client.get(url(bookable) + f"?from={day}&to={day}").get_json()}
    assert "10:00" not in slots and "11:00" in slots


def test_range_validation(bookable, client):
    today = local_day(bookable.tz, 0)
    for query, field in [
        (f"from={today}&to={today - timedelta(days=1)}", "to"),
        (f"from={today}&to={today + timedelta(days=62)}", "to"),
        ("from=next-week", "from"),
        ("from=2030-02-30", "from"),
        ("to=31/12/2030", "to"),
    ]:
        payload = assert_error(client.get(url(bookable) + "?" + query), 422, "VALIDATION_ERROR")
        assert field in payload["errors"], (query, payload)
    assert client.get(url(bookable) + f"?from={today}&to={today + timedelta(days=61)}").status_code == 200


def test_unknown_slug_service_and_inactive(bookable, client, register):
    assert_error(client.get(f"/api/v1/public/nobody/services/{bookable.service_id}/slots"), 404)
    assert_error(client.get(url(bookable, "nope")), 404)
    assert_error(client.get(url(bookable, make_service(register())["id"])), 404)
    bookable.owner.delete(f"/api/v1/services/{bookable.service_id}")
    assert_error(client.get(url(bookable)), 404)


def test_not_active_yet(owner, client):
    service = make_service(owner)
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    assert_error(client.get(f"/api/v1/public/{slug}/services/{service['id']}/slots"), 409, "WORKSPACE_NOT_ACTIVE")


def test_nine_oclock_stays_nine_oclock_across_dst(app, register, client):
    owner = register(timezone="Europe/London")
    bookable = Bookable(app, owner, booking_horizon_days=730)
    spring = date(2027, 3, 28)  # the UK clocks go forward
    slots = client.get(url(bookable) + f"?from={spring - timedelta(days=1)}&to={spring}").get_json()
    nines = [s["start"] for s in slots if s["start"][11:16] == "09:00"]
    assert nines == ["2027-03-27T09:00:00+00:00", "2027-03-28T09:00:00+01:00"]
    booked = bookable.public_book(client, "2027-03-28T08:00:00Z")  # the same instant as 09:00+01:00
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["booking"]["start"] == "2027-03-28T09:00:00+01:00"
