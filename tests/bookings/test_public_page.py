"""GET /public/{slug}: the business's page."""

from tests.bookings.factories import make_service
from tests.conftest import assert_error


def test_public_page(bookable, client):
    hidden = make_service(bookable.owner, name="Retired")
    bookable.owner.delete(f"/api/v1/services/{hidden['id']}")
    response = client.get(f"/api/v1/public/{bookable.slug}")
    assert response.status_code == 200
    page = response.get_json()
    assert page["timezone"] == "Europe/Paris"
    assert page["services"] == [
        {
            "id": bookable.service_id,
            "name": "Consultation",
            "description": None,
            "duration_minutes": 60,
            "location": None,
        }
    ]
    assert [f["key"] for f in page["contact_form"]["fields"]] == ["name", "email", "phone", "message"]
    assert page["name"] == bookable.owner.get("/api/v1/workspace").get_json()["name"]


def test_unknown_and_inactive(owner, client):
    assert_error(client.get("/api/v1/public/no-such-business"), 404, "NOT_FOUND")
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    assert_error(client.get(f"/api/v1/public/{slug}"), 409, "WORKSPACE_NOT_ACTIVE")
