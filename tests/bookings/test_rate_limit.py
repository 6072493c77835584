"""Every public booking endpoint is rate limited per client address."""

import pytest

from tests.conftest import assert_error


@pytest.fixture
def config_overrides():
    return {"CAREOPS_RATELIMIT_ENABLED": True, "CAREOPS_RATELIMIT_PUBLIC": "3/minute"}


def test_public_endpoints_answer_429(bookable, client):
    token = bookable.public_book(client, bookable.start()).get_json()["manage_token"]
    urls = [
        ("get", f"/api/v1/public/{bookable.slug}"),
        ("get", f"/api/v1/public/{bookable.slug}/services/{bookable.service_id}/slots"),
        ("get", f"/api/v1/public/bookings/{token}"),
        ("get", f"/api/v1/public/{bookable.slug}/calendar.ics?token=x"),
    ]
    for method, url in urls:
        for _ in range(3):
            assert getattr(client, method)(url).status_code != 429, url
        limited = getattr(client, method)(url)
        assert_error(limited, 429, "RATE_LIMITED")
        assert limited.headers["Retry-After"]
