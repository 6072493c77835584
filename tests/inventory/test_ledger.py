"""The ledger: every change of quantity is a movement; never below zero; newest first."""

from __future__ import annotations

from tests.conftest import assert_error
from tests.inventory.conftest import URL, adjust, make_item, movement_count


def test_every_change_is_a_movement(app, owner, make_staff):
    keeper = make_staff(owner, inventory=True)
    item = make_item(owner, quantity=10, low_stock_threshold=0)
    assert adjust(owner, item["id"], 5.5, "delivery 1043").get_json()["quantity"] == 15.5
    assert adjust(keeper, item["id"], -2, "torn pair").get_json()["quantity"] == 13.5
    movements = owner.get(f"{URL}/{item['id']}/movements").get_json()
    assert [(m["delta"], m["quantity_after"], m["reason"]) for m in movements] == [
        (-2.0, 13.5, "torn pair"),
        (5.5, 15.5, "delivery 1043"),
        (10.0, 10.0, "initial stock"),
    ]
    assert [m["user_id"] for m in movements] == [keeper.user["id"], owner.user["id"], owner.user["id"]]
    assert all(m["item_id"] == item["id"] and m["booking_id"] is None and m["created_at"] for m in movements)


def test_an_item_created_empty_has_no_movement(app, owner):
    item = make_item(owner, quantity=0)
    assert owner.get(f"{URL}/{item['id']}/movements").get_json() == []


def test_never_below_zero(app, owner):
    item = make_item(owner, quantity=3, low_stock_threshold=0)
    payload = assert_error(adjust(owner, item["id"], -3.001, "too much"), 409, "INSUFFICIENT_STOCK")
    assert payload["quantity"] == 3.0
    assert owner.get(f"{URL}/{item['id']}").get_json()["quantity"] == 3.0
    assert movement_count(app, item["id"]) == 1
    assert adjust(owner, item["id"], -3, "all used").get_json()["quantity"] == 0.0
    assert_error(adjust(owner, item["id"], -1, "more"), 409, "INSUFFICIENT_STOCK")
    assert movement_count(app, item["id"]) == 2


def test_adjust_validation(owner):
    item = make_item(owner)
    for body, field in (
        ({"delta": 0, "reason": "nothing"}, "delta"),
        ({"delta": 1}, "reason"),
        ({"delta": 1, "reason": ""}, "reason"),
        ({"reason": "x"}, "delta"),
        ({"delta": "1", "reason": "x"}, "delta"),
        ({"delta": 1, "reason": "x", "user_id": "u"}, "user_id"),
    ):
        response = owner.post(f"{URL}/{item['id']}/adjust", json=body)
        assert field in assert_error(response, 422, "VALIDATION_ERROR")["errors"], body
    assert_error(owner.post(f"{URL}/{item['id']}/adjust", data="{", content_type="application/json"), 400)
    assert owner.get(f"{URL}/{item['id']}").get_json()["quantity"] == 10.0


def test_movements_are_paginated_newest_first(owner):
    item = make_item(owner, quantity=0)
    for n in range(1, 26):
        assert adjust(owner, item["id"], 1, f"restock {n}").status_code == 200
    first = owner.get(f"{URL}/{item['id']}/movements?page_size=10")
    assert [m["reason"] for m in first.get_json()] == [f"restock {n}" for n in range(25, 15, -1)]
    assert '"total": 25' in first.headers["X-Pagination"]
    third = owner.get(f"{URL}/{item['id']}/movements?page_size=10&page=3").get_json()
    assert [m["quantity_after"] for m in third] == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert_error(owner.get(f"{URL}/{item['id']}/movements?page_size=1000"), 422)
