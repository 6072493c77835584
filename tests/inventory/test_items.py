"""/inventory items: fields, validation, service usage both ways, roles, isolation, onboarding."""

from __future__ import annotations

import pytest

from tests.bookings.factories import make_service
from tests.conftest import assert_error
from tests.inventory.conftest import URL, adjust, make_item


def test_create_read_list_patch_delete(owner):
    item = make_item(owner, name="Syringe 5 ml", unit="unit", quantity=40, low_stock_threshold=10)
    assert item == {
        "id": item["id"],
        "name": "Syringe 5 ml",
        "unit": "unit",
        "quantity": 40.0,
        "low_stock_threshold": 10.0,
        "is_low": False,
        "service_usage": [],
    }
    assert owner.get(f"{URL}/{item['id']}").get_json() == item
    make_item(owner, name="Alcohol wipes", quantity=2, low_stock_threshold=5)
    listed = owner.get(URL)
    assert [i["name"] for i in listed.get_json()] == ["Alcohol wipes", "Syringe 5 ml"]
    assert "X-Pagination" in listed.headers
    assert [i["name"] for i in owner.get(f"{URL}?low=true").get_json()] == ["Alcohol wipes"]
    patched = owner.patch(f"{URL}/{item['id']}", json={"name": "Syringe 10 ml", "unit": "box"}).get_json()
    assert (patched["name"], patched["unit"], patched["quantity"]) == ("Syringe 10 ml", "box", 40.0)
    assert owner.delete(f"{URL}/{item['id']}").status_code == 204
    assert_error(owner.get(f"{URL}/{item['id']}"), 404, "NOT_FOUND")


def test_decimal_quantities_are_exact(owner):
    item = make_item(owner, name="Serum", unit="ml", quantity=0.1, low_stock_threshold=0)
    for _ in range(2):
        assert adjust(owner, item["id"], 0.1, "restock").status_code == 200
    got = owner.get(f"{URL}/{item['id']}").get_json()
    assert got["quantity"] == 0.3  # 0.1 + 0.1 + 0.1 in binary floats is 0.30000000000000004
    assert adjust(owner, item["id"], -0.25, "used").get_json()["quantity"] == 0.05
    response = adjust(owner, item["id"], 0.0001, "too fine")
    assert "delta" in assert_error(response, 422, "VALIDATION_ERROR")["errors"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X", "quantity": -1}, "quantity"),
        ({"name": "X", "quantity": "5"}, "quantity"),
        ({"name": "X", "quantity": True}, "quantity"),
        ({"name": "X", "quantity": 1.2345}, "quantity"),
        ({"name": "X", "low_stock_threshold": -0.5}, "low_stock_threshold"),
        ({"name": "X", "unit": "u" * 21}, "unit"),
        ({"name": "X", "is_low": True}, "is_low"),
        ({"name": "X", "price": 3}, "price"),
        ({"name": "X", "service_usage": [{"service_id": "s"}]}, "service_usage"),
        ({"name": "X", "service_usage": [{"service_id": "s", "quantity": 0}]}, "service_usage"),
    ],
)
def test_validation(owner, body, field):
    payload = assert_error(owner.post(URL, json=body), 422, "VALIDATION_ERROR")
    assert field in payload["errors"], payload
    assert owner.get(URL).get_json() == []


def test_patch_refuses_quantity_and_unknown_fields(owner):
    item = make_item(owner)
    for body, field in (
        ({"quantity": 50}, "quantity"),
        ({"colour": "blue"}, "colour"),
        ({"low_stock_threshold": None}, "low_stock_threshold"),
    ):
        assert field in assert_error(owner.patch(f"{URL}/{item['id']}", json=body), 422)["errors"]
    assert owner.get(f"{URL}/{item['id']}").get_json()["quantity"] == 10.0


def test_service_usage_is_the_services_inventory_usage(owner):
    massage = make_service(owner, name="Massage")
    facial = make_service(owner, name="Facial")
    oil = make_item(owner, name="Oil", unit="ml", service_usage=[{"service_id": massage["id"], "quantity": 12.5}])
    assert oil["service_usage"] == [{"service_id": massage["id"], "quantity": 12.5}]
    assert owner.get(f"/api/v1/services/{massage['id']}").get_json()["inventory_usage"] == [
        {"item_id": oil["id"], "quantity": 12.5}
    ]
    # The other way round: a service names the item, the item shows it.
    towel = make_item(owner, name="Towel")
    response = owner.patch(
        f"/api/v1/services/{facial['id']}", json={"inventory_usage": [{"item_id": towel["id"], "quantity": 2}]}
    )
    assert response.status_code == 200, response.get_json()
    assert owner.get(f"{URL}/{towel['id']}").get_json()["service_usage"] == [
        {"service_id": facial["id"], "quantity": 2.0}
    ]
    # Rewriting the item's usage rewrites the services' entries for it, and only those.
    owner.patch(
        f"/api/v1/services/{massage['id']}",
        json={"inventory_usage": [{"item_id": oil["id"], "quantity": 12.5}, {"item_id": towel["id"], "quantity": 1}]},
    )
    patched = owner.patch(f"{URL}/{oil['id']}", json={"service_usage": [{"service_id": facial["id"], "quantity": 5}]})
    assert patched.get_json()["service_usage"] == [{"service_id": facial["id"], "quantity": 5.0}]
    assert owner.get(f"/api/v1/services/{massage['id']}").get_json()["inventory_usage"] == [
        {"item_id": towel["id"], "quantity": 1.0}
    ]
    assert sorted(
        u["item_id"] for u in owner.get(f"/api/v1/services/{facial['id']}").get_json()["inventory_usage"]
    ) == sorted([towel["id"], oil["id"]])
    # Deleting an item takes it out of every service.
    assert owner.delete(f"{URL}/{towel['id']}").status_code == 204
    assert owner.get(f"/api/v1/services/{massage['id']}").get_json()["inventory_usage"] == []
    assert owner.get(f"/api/v1/services/{facial['id']}").get_json()["inventory_usage"] == [
        {"item_id": oil["id"], "quantity": 5.0}
    ]


def test_unknown_ids_between_items_and_services_are_422(owner, other_owner):
    theirs = make_item(other_owner)
    for item_id in ("no-such-item", theirs["id"]):
        response = owner.post(
            "/api/v1/services",
            json={"name": "X", "duration_minutes": 30, "inventory_usage": [{"item_id": item_id, "quantity": 1}]},
        )
        assert item_id in str(assert_error(response, 422)["errors"]["inventory_usage"])
    their_service = make_service(other_owner)
    response = owner.post(
        URL, json={"name": "X", "service_usage": [{"service_id": their_service["id"], "quantity": 1}]}
    )
    assert "service_usage" in assert_error(response, 422)["errors"]
    assert owner.get(URL).get_json() == []


def test_roles(owner, make_staff):
    item = make_item(owner)
    keeper = make_staff(owner, inventory=True)
    other = make_staff(owner, bookings=True)
    assert keeper.get(URL).status_code == 200
    assert keeper.get(f"{URL}/{item['id']}").status_code == 200
    assert keeper.get(f"{URL}/{item['id']}/movements").status_code == 200
    assert keeper.get(f"{URL}/forecast").status_code == 200
    assert adjust(keeper, item["id"], -1, "used in room 2").status_code == 200
    for response in (
        keeper.post(URL, json={"name": "Y"}),
        keeper.patch(f"{URL}/{item['id']}", json={"name": "Y"}),
        keeper.delete(f"{URL}/{item['id']}"),
        keeper.put(f"{URL}/forecasters", json={"method": "moving_average"}),
    ):
        assert_error(response, 403, "FORBIDDEN")
    for response in (
        other.get(URL),
        other.get(f"{URL}/{item['id']}"),
        other.get(f"{URL}/{item['id']}/movements"),
        other.get(f"{URL}/forecast"),
        adjust(other, item["id"], -1),
    ):
        assert_error(response, 403, "FORBIDDEN")
    assert owner.get(f"{URL}/{item['id']}").get_json()["quantity"] == 9.0


def test_requires_a_token(client):
    for response in (
        client.get(URL),
        client.post(URL, json={"name": "X"}),
        client.get(f"{URL}/forecast"),
        client.post(f"{URL}/x/adjust", json={"delta": 1, "reason": "r"}),
    ):
        assert_error(response, 401)


def test_another_workspaces_item_is_404(owner, other_owner):
    theirs = make_item(other_owner)
    for response in (
        owner.get(f"{URL}/{theirs['id']}"),
        owner.patch(f"{URL}/{theirs['id']}", json={"name": "Z"}),
        owner.delete(f"{URL}/{theirs['id']}"),
        adjust(owner, theirs["id"], 5),
        owner.get(f"{URL}/{theirs['id']}/movements"),
    ):
        assert_error(response, 404, "NOT_FOUND")
    assert owner.get(URL).get_json() == []
    assert other_owner.get(f"{URL}/{theirs['id']}").get_json()["quantity"] == 10.0


def test_onboarding_step_counts_real_items(owner):
    def step():
        steps = owner.get("/api/v1/workspace/onboarding").get_json()["steps"]
        return next(s for s in steps if s["key"] == "inventory")

    assert step()["done"] is False
    item = make_item(owner)
    assert step() == {"key": "inventory", "done": True, "detail": "1 stock item(s)"}
    owner.delete(f"{URL}/{item['id']}")
    assert step()["done"] is False


def test_huge_and_odd_numbers_are_422(owner):
    item = make_item(owner)
    for delta in (1e30, 1e300, 100000000000.0, -1e30):
        assert "delta" in assert_error(adjust(owner, item["id"], delta), 422)["errors"], delta
    for body in ('{"delta": NaN, "reason": "x"}', '{"delta": Infinity, "reason": "x"}'):
        response = owner.post(f"{URL}/{item['id']}/adjust", data=body, content_type="application/json")
        assert response.status_code in (400, 422), body
    assert owner.get(f"{URL}/{item['id']}").get_json()["quantity"] == 10.0


def test_stock_counts_for_the_dashboard(app, owner):
    from careops.inventory.service import stock_counts

    make_item(owner, name="Fine", quantity=10, low_stock_threshold=3)
    make_item(owner, name="Low", quantity=2, low_stock_threshold=3)
    make_item(owner, name="Empty", quantity=0, low_stock_threshold=3)
    with app.app_context():
        assert stock_counts(owner.workspace_id) == {"low": 1, "out": 1}
