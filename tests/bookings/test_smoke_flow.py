from tests.conftest import assert_error


def test_public_booking_happy_path(bookable, client):
    start = bookable.start("10:00")
    response = bookable.public_book(client, start)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["booking"]["status"] == "confirmed"
    assert body["booking"]["reference"].startswith("BK-")
    again = bookable.public_book(client, start, email="other@example.com")
    assert_error(again, 409, "SLOT_UNAVAILABLE")
