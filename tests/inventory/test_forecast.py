"""GET /inventory/forecast with the core's forecasters, and the workspace's choice of forecaster."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.inventory.conftest import URL, backdate, make_item

#: One unit a day by hand for eight weeks, on an item stocked ten weeks ago.
STEADY = [(70, 500)] + [(d + 1 / 24, -1) for d in range(56)]


@pytest.fixture
def clinic(app, owner, bookable):
    """Gloves used by hand every day, and a service using 2 that is booked three times this month."""
    gloves = make_item(
        owner,
        name="Gloves",
        quantity=40,
        low_stock_threshold=5,
        service_usage=[{"service_id": bookable.service_id, "quantity": 2}],
    )
    backdate(app, gloves["id"], STEADY)
    for days_ahead, hhmm in ((2, "10:00"), (9, "11:00"), (20, "12:00")):
        made = bookable.staff_book(owner, bookable.start(hhmm, days_ahead), email=f"c{days_ahead}@example.com")
        assert made.status_code == 201, made.get_json()
    idle = make_item(owner, name="Zinc cream", quantity=3, low_stock_threshold=1)
    return gloves, idle


def test_default_is_calendar_aware(app, owner, clinic):
    gloves, idle = clinic
    assert owner.get(f"{URL}/forecasters").get_json()["method"] == "calendar_aware"
    rows = owner.get(f"{URL}/forecast?days=30").get_json()
    assert [r["name"] for r in rows] == ["Gloves", "Zinc cream"]
    row = rows[0]
    # Booked: 3 × 2; by hand: 1 a day. Nothing is booked through the ledger yet, so nothing is "still to book".
    assert (row["item_id"], row["quantity"], row["expected_use"], row["method"]) == (
        gloves["id"],
        40.0,
        36.0,
        "calendar_aware",
    )
    assert row["reorder_suggested"] is True and 30 < row["days_until_empty"] < 36
    assert rows[1] == {
        "item_id": idle["id"],
        "name": "Zinc cream",
        "quantity": 3.0,
        "expected_use": 0.0,
        "days_until_empty": None,
        "reorder_suggested": False,
        "method": "calendar_aware",
    }


def test_moving_average_chosen_by_the_owner(app, owner, clinic, make_staff):
    chosen = owner.put(f"{URL}/forecasters", json={"method": "moving_average"})
    assert chosen.status_code == 200 and chosen.get_json()["method"] == "moving_average"
    assert {"calendar_aware", "moving_average"} <= set(chosen.get_json()["available"])
    keeper = make_staff(owner, inventory=True)
    row = keeper.get(f"{URL}/forecast?days=30").get_json()[0]
    # 28 units in the last 28 days project to 30; the 6 booked are fewer, so they do not count.
    assert (row["expected_use"], row["days_until_empty"], row["method"]) == (30.0, 40.0, "moving_average")
    # Another forecaster for one look, without changing the setting.
    assert owner.get(f"{URL}/forecast?method=calendar_aware").get_json()[0]["expected_use"] == 36.0
    assert owner.get(f"{URL}/forecasters").get_json()["method"] == "moving_average"


def test_the_calendar_fills_in_bookings_still_to_come(app, owner, bookable):
    """Past bookings were made a week ahead: days beyond a week ahead expect bookings not yet in the calendar."""
    from datetime import timedelta

    import sqlalchemy as sa

    from careops.bookings.models import Booking
    from careops.extensions import db
    from careops.inventory.models import StockMovement

    oil = make_item(owner, name="Oil", unit="ml", quantity=1000, low_stock_threshold=0)
    backdate(app, oil["id"], [(70, 500)] + [(d + 0.5, -10) for d in range(56)])
    past = bookable.staff_book(owner, bookable.start("10:00", 1)).get_json()
    with app.app_context():  # every past use was a booking made 7 days before its start
        booking = db.session.get(Booking, past["id"])
        booking.created_at = booking.start - timedelta(days=7)
        db.session.execute(
            sa.update(StockMovement)
            .where(StockMovement.item_id == oil["id"], StockMovement.delta < 0)
            .values(booking_id=past["id"])
        )
        db.session.commit()
    owner.post(f"/api/v1/bookings/{past['id']}/status", json={"status": "cancelled"})
    week = owner.get(f"{URL}/forecast?days=7").get_json()[0]
    month = owner.get(f"{URL}/forecast?days=30").get_json()[0]
    # The next 7 days are fully booked already (and nothing is booked); the other 23 expect 10 ml a day.
    assert week["expected_use"] == pytest.approx(0, abs=10.1)
    assert month["expected_use"] == pytest.approx(230, abs=10.1)


@pytest.mark.parametrize(
    "query, field", [("days=0", "days"), ("days=366", "days"), ("days=x", "days"), ("method=crystal_ball", "method")]
)
def test_forecast_validation(owner, query, field):
    assert field in assert_error(owner.get(f"{URL}/forecast?{query}"), 422, "VALIDATION_ERROR")["errors"]


def test_forecaster_setting_validation_and_roles(owner, make_staff):
    for body, field in (({"method": "crystal_ball"}, "method"), ({}, "method"), ({"method": "x", "days": 3}, "days")):
        assert field in assert_error(owner.put(f"{URL}/forecasters", json=body), 422)["errors"]
    assert_error(make_staff(owner, bookings=True).get(f"{URL}/forecasters"), 403)


def test_forecast_lists_only_the_workspaces_items(owner, other_owner):
    make_item(other_owner, name="Theirs")
    mine = make_item(owner, name="Mine")
    assert [r["item_id"] for r in owner.get(f"{URL}/forecast").get_json()] == [mine["id"]]
