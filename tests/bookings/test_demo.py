"""The demo workspace that `make run` seeds is bookable at once."""

from careops.demo import seed
from tests.bookings.factories import local_day


def test_demo_is_bookable(app, client):
    with app.app_context():
        created, info = seed()
        assert created
        assert seed()[0] is False  # only once
    page = client.get(f"/api/v1/public/{info['slug']}")
    assert page.status_code == 200, page.get_json()
    services = page.get_json()["services"]
    assert len(services) == 2
    login = client.post("/api/v1/auth/login", json={"email": info["email"], "password": info["password"]})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    resources = client.get("/api/v1/resources", headers=headers).get_json()
    assert [r["capacity"] for r in resources] == [3]
    monday = next(local_day("Europe/London", d) for d in range(2, 9) if local_day("Europe/London", d).weekday() == 0)
    slots = client.get(
        f"/api/v1/public/{info['slug']}/services/{services[0]['id']}/slots?from={monday}&to={monday}"
    ).get_json()
    assert slots and slots[0]["start"][11:16] == "09:00" and slots[0]["remaining"] == 3
    booked = client.post(
        f"/api/v1/public/{info['slug']}/bookings",
        json={
            "service_id": services[0]["id"],
            "start": slots[0]["start"],
            "name": "Demo Customer",
            "email": "demo-customer@example.com",
        },
    )
    assert booked.status_code == 201, booked.get_json()
