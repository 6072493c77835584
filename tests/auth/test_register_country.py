"""POST /auth/register takes an optional country; without one, the time zone's country where it has one."""

import pytest

from careops.auth.country import country_for_timezone
from tests.conftest import PASSWORD, assert_error, unique


def register(client, **fields):
    body = {
        "email": f"{unique('reg')}@example.com",
        "password": PASSWORD,
        "full_name": "Olive Owner",
        "workspace_name": unique("Clinic "),
        **fields,
    }
    return client.post("/api/v1/auth/register", json=body)


@pytest.mark.parametrize(
    "timezone, country",
    [
        ("Europe/Paris", "FR"),
        ("America/Chicago", "US"),
        ("Asia/Tokyo", "JP"),
        ("Europe/London", "GB"),
        ("UTC", "US"),
        ("Etc/GMT+2", "US"),
    ],
)
def test_the_country_defaults_from_the_time_zone(client, timezone, country):
    response = register(client, timezone=timezone)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["workspace"]["country"] == country


def test_an_explicit_country_wins(client):
    response = register(client, timezone="Europe/Paris", country="be")
    assert response.status_code == 201 and response.get_json()["workspace"]["country"] == "BE"


@pytest.mark.parametrize("country", ["XX", "FRA", "", 12])
def test_a_bad_country_is_422(client, country):
    assert "country" in assert_error(register(client, country=country), 422)["errors"]


def test_zones_without_a_country():
    assert country_for_timezone("UTC") is None and country_for_timezone(None) is None
    assert country_for_timezone("Not/AZone") is None and country_for_timezone("Europe/Zurich") == "CH"
