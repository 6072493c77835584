"""The public inbox endpoints are rate limited per client address."""

import pytest

from tests.conftest import assert_error
from tests.messaging.fixtures import slug_of


@pytest.fixture
def config_overrides():
    return {"CAREOPS_RATELIMIT_ENABLED": True, "CAREOPS_RATELIMIT_PUBLIC": "2/minute"}


def test_contact_form_is_rate_limited(client, active):
    slug = slug_of(active)
    codes = [client.post(f"/api/v1/public/{slug}/contact", json={"name": "A", "email": f"a{i}@b.co"}) for i in range(3)]
    assert [r.status_code for r in codes[:2]] == [201, 201]
    assert_error(codes[2], 429, "RATE_LIMITED")
    assert codes[2].headers.get("Retry-After")


def test_inbound_is_rate_limited(client):
    codes = [client.post("/api/v1/public/inbound/console?token=x", json={}).status_code for _ in range(3)]
    assert codes == [401, 401, 429]
