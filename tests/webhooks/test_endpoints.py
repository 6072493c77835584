"""/webhooks endpoints: CRUD by the owner, the secret shown once and stored encrypted, 401/403/404/422."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from careops.extensions import db
from tests.conftest import assert_error
from tests.webhooks.conftest import create_contact, create_endpoint, deliveries


def test_create_shows_the_secret_once(app, owner, receiver):
    created = create_endpoint(owner, receiver.url, events=["booking.created", "contact.created"], description="Our CRM")
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[len("whsec_") :])) == 32
    assert set(created) == {"id", "url", "description", "events", "enabled", "created_at", "disabled_reason", "secret"}
    assert created["events"] == ["booking.created", "contact.created"]
    assert created["enabled"] is True and created["disabled_reason"] is None

    shown = owner.get(f"/api/v1/webhooks/{created['id']}")
    assert shown.status_code == 200
    listed = owner.get("/api/v1/webhooks")
    assert listed.status_code == 200 and json.loads(listed.headers["X-Pagination"])["total"] == 1
    assert "secret" not in shown.get_json() and "secret" not in listed.get_json()[0]
    for body in (shown.get_data(as_text=True), listed.get_data(as_text=True)):
        assert secret[len("whsec_") :] not in body
    # At rest the secret is encrypted, never the value itself.
    from careops.webhooks.models import WebhookEndpoint

    with app.app_context():
        stored = db.session.get(WebhookEndpoint, created["id"]).secret
        assert set(stored) == {"$encrypted"} and secret[len("whsec_") :] not in json.dumps(stored)


def test_two_endpoints_get_different_secrets(owner, receiver):
    first = create_endpoint(owner, receiver.url)
    second = create_endpoint(owner, receiver.url)
    assert first["secret"] != second["secret"]


def test_patch_and_delete(owner, receiver):
    created = create_endpoint(owner, receiver.url)
    patched = owner.patch(
        f"/api/v1/webhooks/{created['id']}",
        json={"events": ["booking.cancelled"], "description": "ops", "enabled": False},
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["events"] == ["booking.cancelled"] and body["description"] == "ops" and body["enabled"] is False
    assert "secret" not in body
    deleted = owner.delete(f"/api/v1/webhooks/{created['id']}")
    assert deleted.status_code == 204
    assert_error(owner.get(f"/api/v1/webhooks/{created['id']}"), 404, "NOT_FOUND")


def test_deleting_an_endpoint_deletes_its_delivery_log(owner, receiver):
    created = create_endpoint(owner, receiver.url)
    create_contact(owner)
    assert len(deliveries(owner, created["id"])) == 1
    assert owner.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert_error(owner.get(f"/api/v1/webhooks/{created['id']}/deliveries"), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "http://127.0.0.1/x", "events": ["contact.created"], "secret": "mine"}, "secret"),
        ({"url": "http://127.0.0.1/x", "events": ["contact.updated"]}, "events"),
        ({"url": "http://127.0.0.1/x", "events": ["ping"]}, "events"),
        ({"url": "http://127.0.0.1/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1/x"}, "events"),
        ({"events": ["contact.created"]}, "url"),
        ({"url": "ftp://127.0.0.1/x", "events": ["contact.created"]}, "url"),
        ({"url": "javascript:alert(1)", "events": ["contact.created"]}, "url"),
        ({"url": "http:///nohost", "events": ["contact.created"]}, "url"),
        ({"url": "http://127.0.0.1:99999/x", "events": ["contact.created"]}, "url"),
        ({"url": "http://127.0.0.1/x\nHost: evil", "events": ["contact.created"]}, "url"),
        ({"url": "http://127.0.0.1/x", "events": ["contact.created"], "enabled": "yes"}, "enabled"),
    ],
)
def test_invalid_bodies_are_refused(owner, body, field):
    payload = assert_error(owner.post("/api/v1/webhooks", json=body), 422, "VALIDATION_ERROR")
    assert field in json.dumps(payload["errors"]), payload


def test_patch_validates_too(owner, receiver):
    created = create_endpoint(owner, receiver.url)
    url = f"/api/v1/webhooks/{created['id']}"
    assert_error(owner.patch(url, json={"unknown": 1}), 422)
    assert_error(owner.patch(url, json={"url": "gopher://127.0.0.1/"}), 422)
    assert_error(owner.patch(url, json={"events": ["nope"]}), 422)


def test_delivery_status_filter_is_validated(owner, receiver):
    created = create_endpoint(owner, receiver.url)
    assert_error(owner.get(f"/api/v1/webhooks/{created['id']}/deliveries", query_string={"status": "lost"}), 422)


def test_staff_may_not_touch_webhooks(owner, make_staff, receiver):
    created = create_endpoint(owner, receiver.url)
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    base = f"/api/v1/webhooks/{created['id']}"
    assert_error(staff.get("/api/v1/webhooks"), 403, "FORBIDDEN")
    assert_error(staff.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["contact.created"]}), 403)
    assert_error(staff.get(base), 403)
    assert_error(staff.patch(base, json={"enabled": False}), 403)
    assert_error(staff.delete(base), 403)
    assert_error(staff.post(f"{base}/rotate-secret"), 403)
    assert_error(staff.post(f"{base}/test"), 403)
    assert_error(staff.get(f"{base}/deliveries"), 403)


def test_without_a_token_401(client):
    assert_error(client.get("/api/v1/webhooks"), 401)
    assert_error(client.post("/api/v1/webhooks", json={}), 401)


def test_another_workspace_sees_nothing(owner, other_owner, receiver):
    created = create_endpoint(owner, receiver.url)
    create_contact(owner)
    [delivery] = deliveries(owner, created["id"])
    base = f"/api/v1/webhooks/{created['id']}"
    assert other_owner.get("/api/v1/webhooks").get_json() == []
    assert_error(other_owner.get(base), 404, "NOT_FOUND")
    assert_error(other_owner.patch(base, json={"enabled": False}), 404)
    assert_error(other_owner.delete(base), 404)
    assert_error(other_owner.post(f"{base}/rotate-secret"), 404)
    assert_error(other_owner.post(f"{base}/test"), 404)
    assert_error(other_owner.get(f"{base}/deliveries"), 404)
    assert_error(other_owner.post(f"{base}/deliveries/{delivery['id']}/redeliver"), 404)
    # Their own endpoint with our delivery's id: still 404.
    theirs = create_endpoint(other_owner, receiver.url)
    assert_error(other_owner.post(f"/api/v1/webhooks/{theirs['id']}/deliveries/{delivery['id']}/redeliver"), 404)
    # And our events never reach their endpoint.
    assert deliveries(other_owner, theirs["id"]) == []
    assert owner.get(base).get_json()["enabled"] is True


def test_a_delivery_of_another_endpoint_is_404(owner, receiver):
    first = create_endpoint(owner, receiver.url)
    second = create_endpoint(owner, receiver.url, events=["booking.created"])
    create_contact(owner)
    [delivery] = deliveries(owner, first["id"])
    assert_error(owner.post(f"/api/v1/webhooks/{second['id']}/deliveries/{delivery['id']}/redeliver"), 404)
    assert_error(owner.post(f"/api/v1/webhooks/{first['id']}/deliveries/nope/redeliver"), 404)


def test_the_secret_never_reaches_the_audit_log(app, owner, receiver):
    created = create_endpoint(owner, receiver.url)
    rotated = owner.post(f"/api/v1/webhooks/{created['id']}/rotate-secret").get_json()["secret"]
    from careops.audit.models import AuditEntry

    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEntry)).all()
        text = json.dumps([row.changes for row in rows], default=str)
    for secret in (created["secret"], rotated):
        assert secret[len("whsec_") :] not in text
    assert "$encrypted" not in text
