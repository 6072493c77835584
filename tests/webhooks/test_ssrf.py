"""The SSRF guard with CAREOPS_WEBHOOKS_ALLOW_PRIVATE off: internal hosts refused on save and at send time."""

from __future__ import annotations

import ipaddress

import pytest

from careops.webhooks import guard
from tests.conftest import assert_error
from tests.webhooks.conftest import create_contact, deliveries, set_endpoint

#: A public address, written as a literal so that no DNS is needed to accept it.
PUBLIC_URL = "https://93.184.215.14/hooks/careops"


@pytest.fixture
def config_overrides():
    return {"CAREOPS_WEBHOOKS_ALLOW_PRIVATE": False, "CAREOPS_WEBHOOKS_TIMEOUT_SECONDS": 0.5}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://localhost/hook",
        "http://localhost:5000/hook",
        "http://10.0.0.5/hook",
        "https://192.168.1.10/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://240.0.0.1/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number
    ],
)
def test_internal_hosts_are_refused_on_create(owner, url):
    payload = assert_error(owner.post("/api/v1/webhooks", json={"url": url, "events": ["contact.created"]}), 422)
    assert "url" in payload["errors"], payload
    assert owner.get("/api/v1/webhooks").get_json() == []


def test_a_public_host_is_accepted_and_an_internal_one_refused_on_patch(owner):
    created = owner.post("/api/v1/webhooks", json={"url": PUBLIC_URL, "events": ["contact.created"]})
    assert created.status_code == 201, created.get_json()
    endpoint_id = created.get_json()["id"]
    payload = assert_error(owner.patch(f"/api/v1/webhooks/{endpoint_id}", json={"url": "http://localhost/x"}), 422)
    assert "resolves to 127.0.0.1 is a loopback address" in payload["errors"]["url"][0]
    assert owner.get(f"/api/v1/webhooks/{endpoint_id}").get_json()["url"] == PUBLIC_URL


def test_the_guard_runs_again_at_send_time(app, owner, receiver):
    """A host that turned internal after it was saved (DNS changed): the attempt fails, nothing is sent."""
    created = owner.post("/api/v1/webhooks", json={"url": PUBLIC_URL, "events": ["contact.created"]}).get_json()
    set_endpoint(app, created["id"], url=receiver.url)  # as if its name now resolved to 127.0.0.1
    create_contact(owner)
    [delivery] = deliveries(owner, created["id"])
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["response_status"] is None
    assert delivery["last_error"].startswith("Refused: The host 'localhost' resolves to 127.0.0.1")
    assert receiver.requests == []


def test_the_test_ping_is_refused_too(app, owner, receiver):
    created = owner.post("/api/v1/webhooks", json={"url": PUBLIC_URL, "events": ["contact.created"]}).get_json()
    set_endpoint(app, created["id"], url=receiver.url)
    ping = owner.post(f"/api/v1/webhooks/{created['id']}/test").get_json()
    assert ping["status"] == "failed" and ping["last_error"].startswith("Refused:")
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address, refused",
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("::1", True),
        ("10.1.2.3", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("ff02::1", True),
        ("::", True),
        ("192.0.2.1", True),
    ],
)
def test_refused_reason(address, refused):
    assert (guard.refused_reason(ipaddress.ip_address(address)) is not None) is refused


def test_allow_private_lets_loopback_through():
    guard.check_url("http://127.0.0.1:1/hook", allow_private=True)
    with pytest.raises(guard.UnsafeURL):
        guard.check_url("http://127.0.0.1:1/hook", allow_private=False)
    with pytest.raises(guard.UnsafeURL):
        guard.check_url("file:///etc/passwd", allow_private=True)
