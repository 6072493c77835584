"""GET and PATCH /workspace."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error

FIELDS = {
    "id",
    "name",
    "slug",
    "status",
    "timezone",
    "country",
    "address",
    "contact_email",
    "created_at",
    "activated_at",
}


def test_get_workspace(owner):
    response = owner.get("/api/v1/workspace")
    assert response.status_code == 200
    workspace = response.get_json()
    assert set(workspace) >= FIELDS
    assert workspace["id"] == owner.workspace_id and workspace["status"] == "setup"
    assert workspace["country"] == "US" and workspace["timezone"] == "Europe/Paris"
    assert workspace["activated_at"] is None and workspace["created_at"].endswith("+00:00")


def test_staff_can_read_the_workspace(owner, make_staff):
    assert make_staff(owner).get("/api/v1/workspace").get_json()["id"] == owner.workspace_id


def test_owner_patches_the_workspace(owner):
    changes = {
        "name": "Renamed Clinic",
        "timezone": "America/New_York",
        "country": "fr",
        "address": "1 rue de la Paix, Paris",
        "contact_email": "Front.Desk@Example.com",
        "slug": "renamed-clinic",
    }
    response = owner.patch("/api/v1/workspace", json=changes)
    assert response.status_code == 200
    expected = {**changes, "country": "FR", "contact_email": "front.desk@example.com"}
    assert {k: response.get_json()[k] for k in changes} == expected
    assert {k: owner.get("/api/v1/workspace").get_json()[k] for k in changes} == expected


def test_patch_can_clear_optional_fields(owner):
    owner.patch("/api/v1/workspace", json={"address": "Somewhere", "contact_email": "a@example.com"})
    workspace = owner.patch("/api/v1/workspace", json={"address": None, "contact_email": None}).get_json()
    assert workspace["address"] is None and workspace["contact_email"] is None


def test_staff_cannot_patch_the_workspace(owner, make_staff):
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    assert_error(staff.patch("/api/v1/workspace", json={"name": "Mine now"}), 403, "FORBIDDEN")
    assert owner.get("/api/v1/workspace").get_json()["name"] != "Mine now"


def test_slug_of_another_workspace_is_409(owner, other_owner):
    taken = other_owner.get("/api/v1/workspace").get_json()["slug"]
    before = owner.get("/api/v1/workspace").get_json()
    assert_error(owner.patch("/api/v1/workspace", json={"slug": taken, "name": "Changed"}), 409, "CONFLICT")
    assert owner.get("/api/v1/workspace").get_json() == before  # nothing half-written


def test_keeping_ones_own_slug_is_fine(owner):
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    assert owner.patch("/api/v1/workspace", json={"slug": slug}).status_code == 200


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"slug": "Upper-Case"}, "slug"),
        ({"slug": "with space"}, "slug"),
        ({"slug": "-leading"}, "slug"),
        ({"slug": "bookings"}, "slug"),
        ({"slug": "forms"}, "slug"),
        ({"slug": "inbound"}, "slug"),
        ({"slug": "trailing-"}, "slug"),
        ({"slug": "a" * 61}, "slug"),
        ({"slug": ""}, "slug"),
        ({"slug": "caf\u00e9"}, "slug"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"timezone": "x" * 500}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"country": "France"}, "country"),
        ({"country": ""}, "country"),
        ({"name": ""}, "name"),
        ({"name": "n" * 121}, "name"),
        ({"name": None}, "name"),
        ({"address": "a" * 301}, "address"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"status": "active"}, "status"),
        ({"id": "x"}, "id"),
    ],
)
def test_patch_validation(owner, changes, field):
    payload = assert_error(owner.patch("/api/v1/workspace", json=changes), 422, "VALIDATION_ERROR")
    assert list(payload["errors"]) == [field]


def test_an_empty_patch_changes_nothing(owner):
    before = owner.get("/api/v1/workspace").get_json()
    assert owner.patch("/api/v1/workspace", json={}).get_json() == before
