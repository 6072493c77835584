"""GET/PUT /integrations, POST /integrations/{key}/test: validation, encryption at rest, status, access."""

import json

import marshmallow as ma
import pytest
import sqlalchemy as sa

from careops import hookimpl
from careops.extensions import db
from careops.integrations import crypto
from careops.integrations.models import Integration
from careops.integrations.service import has_communication_channel
from tests.conftest import assert_error
from tests.messaging.fixtures import configure


def row(workspace_id, key):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Integration).where(Integration.workspace_id == workspace_id, Integration.key == key)
    ).first()


class CalendarConfig(ma.Schema):
    url = ma.fields.URL(required=True)
    password = ma.fields.String(load_default=None, metadata={"secret": True})


PINGS = []


def ping_calendar(workspace_id, config):
    PINGS.append((workspace_id, config))
    return config["url"].startswith("https://"), f"reached {config['url']}"


class CalendarPlugin:
    @hookimpl
    def careops_integrations(self):
        return [
            {
                "key": "calendar",
                "kind": "calendar",
                "provider": "caldav",
                "config_schema": CalendarConfig,
                "test": ping_calendar,
            }
        ]


@pytest.fixture
def calendar_plugin(app):
    from careops.plugins import get_manager

    PINGS.clear()
    plugin = CalendarPlugin()
    get_manager().register(plugin, name="test-calendar")
    yield
    get_manager().unregister(plugin)


def test_a_new_workspace_lists_only_what_plugins_offer(owner, calendar_plugin):
    listed = owner.get("/api/v1/integrations").get_json()
    assert listed == [
        {
            "key": "calendar",
            "kind": "calendar",
            "provider": "caldav",
            "status": "available",
            "last_error": None,
            "last_checked_at": None,
            "enabled": False,
            "priority": None,
            "config": {},
            "secrets_set": [],
        }
    ]
    assert not has_communication_channel(owner.workspace_id)


def test_configure_console_for_email(owner):
    answer = configure(owner, "email", "console")
    assert answer["kind"] == "email" and answer["provider"] == "console" and answer["status"] == "unknown"
    assert answer["circuit"] == "closed"
    assert answer["inbound_url"].startswith("http://careops.test/api/v1/public/inbound/console?token=")
    listed = owner.get("/api/v1/integrations").get_json()
    assert [(i["key"], i["kind"], i["provider"]) for i in listed] == [("email", "email", "console")]
    assert has_communication_channel(owner.workspace_id)


def test_kind_comes_from_the_key_or_the_body(owner):
    assert configure(owner, "sms", "console")["kind"] == "sms"
    assert configure(owner, "email-backup", "console", priority=200)["kind"] == "email"
    # console serves two channels: a key that names neither needs the kind
    payload = assert_error(owner.put("/api/v1/integrations/fallback", json={"provider": "console"}), 422)
    assert "kind" in payload["errors"]
    assert configure(owner, "fallback", "console", kind="sms")["kind"] == "sms"
    listed = owner.get("/api/v1/integrations").get_json()
    assert [i["key"] for i in listed] == ["fallback", "sms", "email-backup"]  # priority, then key


def test_listing_is_by_priority(owner):
    configure(owner, "email", "console", priority=50)
    configure(owner, "email-2", "console", priority=10)
    assert [i["key"] for i in owner.get("/api/v1/integrations").get_json()] == ["email-2", "email"]


def test_unknown_provider_is_422_and_writes_nothing(owner):
    payload = assert_error(owner.put("/api/v1/integrations/email", json={"provider": "carrier-pigeon"}), 422)
    assert "carrier-pigeon" in payload["errors"]["provider"][0] and "console" in payload["errors"]["provider"][0]
    assert row(owner.workspace_id, "email") is None


def test_config_is_validated_by_the_providers_schema(owner, providers):
    missing = assert_error(owner.put("/api/v1/integrations/email", json={"provider": "alpha", "config": {}}), 422)
    assert list(missing["errors"]["config"]) == ["api_key"]
    unknown = assert_error(
        owner.put(
            "/api/v1/integrations/email", json={"provider": "alpha", "config": {"api_key": "k", "colour": "blue"}}
        ),
        422,
    )
    assert "colour" in unknown["errors"]["config"]
    assert row(owner.workspace_id, "email") is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"provider": "console", "priority": -1}, "priority"),
        ({"provider": "console", "enabled": "maybe"}, "enabled"),
        ({"provider": "console", "kind": "pager"}, "kind"),
        ({"provider": "console", "config": "x"}, "config"),
        ({"provider": "console", "surprise": 1}, "surprise"),
        ({}, "provider"),
    ],
)
def test_bad_bodies_are_422(owner, body, field):
    payload = assert_error(owner.put("/api/v1/integrations/email", json=body), 422)
    assert field in payload["errors"]
    assert row(owner.workspace_id, "email") is None


def test_bad_key_is_422(owner):
    payload = assert_error(owner.put("/api/v1/integrations/Email!", json={"provider": "console"}), 422)
    assert "key" in payload["errors"]


def test_secrets_are_encrypted_at_rest_and_never_returned(owner, providers):
    answer = configure(owner, "email", "alpha", config={"api_key": "sk-very-secret", "sender": "a@b.example"})
    assert answer["config"] == {"sender": "a@b.example"} and answer["secrets_set"] == ["api_key"]
    stored = row(owner.workspace_id, "email").config
    assert stored["sender"] == "a@b.example"
    assert crypto.is_encrypted(stored["api_key"]) and "sk-very-secret" not in json.dumps(stored)
    assert crypto.decrypt(stored["api_key"]) == "sk-very-secret"
    assert "sk-very-secret" not in owner.get("/api/v1/integrations").get_data(as_text=True)


def test_a_secret_left_out_keeps_its_value(owner, providers):
    configure(owner, "email", "alpha", config={"api_key": "sk-1", "sender": "a@b.example"})
    configure(owner, "email", "alpha", config={"sender": "c@d.example"})
    assert owner.post("/api/v1/integrations/email/test", json={}).get_json()["ok"] is True
    name, message, config = providers.sent[-1]
    assert config == {"api_key": "sk-1", "sender": "c@d.example"}


def test_the_key_is_derived_from_the_secret_key(app):
    with app.app_context():
        sealed = crypto.encrypt("s3cret")
        assert crypto.decrypt(sealed) == "s3cret"
        app.config["SECRET_KEY"] = "another-secret-key-entirely-different-from-before"
        with pytest.raises(crypto.SecretUnreadable):
            crypto.decrypt(sealed)


def test_test_endpoint_sends_and_records_status(owner, providers):
    configure(owner, "email", "alpha")
    answer = owner.post("/api/v1/integrations/email/test", json={})
    assert answer.status_code == 200 and answer.get_json()["ok"] is True
    assert providers.to("alpha")[0].to == owner.user["email"]
    listed = owner.get("/api/v1/integrations").get_json()[0]
    assert listed["status"] == "ok" and listed["last_error"] is None and listed["last_checked_at"]

    providers.fail("alpha", message="bad credentials", retryable=False)
    answer = owner.post("/api/v1/integrations/email/test", json={"to": "someone@example.com"}).get_json()
    assert answer == {"ok": False, "detail": "bad credentials"}
    listed = owner.get("/api/v1/integrations").get_json()[0]
    assert listed["status"] == "error" and listed["last_error"] == "bad credentials"
    assert not has_communication_channel(owner.workspace_id)


def test_test_sms_needs_a_recipient(owner):
    configure(owner, "sms", "console")
    assert "to" in assert_error(owner.post("/api/v1/integrations/sms/test", json={}), 422)["errors"]
    assert "to" in assert_error(owner.post("/api/v1/integrations/sms/test", json={"to": "nope"}), 422)["errors"]
    answer = owner.post("/api/v1/integrations/sms/test", json={"to": "+33 6 12 34 56 78"}).get_json()
    assert answer["ok"] is True and "+33612345678" in answer["detail"]


def test_test_of_an_unknown_integration_is_404(owner):
    assert_error(owner.post("/api/v1/integrations/email/test", json={}), 404, "NOT_FOUND")


def test_another_workspaces_integration_is_404(owner, other_owner):
    configure(other_owner, "email", "console")
    assert_error(owner.post("/api/v1/integrations/email/test", json={}), 404)
    assert owner.get("/api/v1/integrations").get_json() == []


def test_non_messaging_integration_configured_and_pinged(owner, calendar_plugin):
    assert_error(owner.put("/api/v1/integrations/calendar", json={"provider": "caldav", "config": {"url": "x"}}), 422)
    answer = configure(owner, "calendar", "caldav", config={"url": "https://cal.example/dav", "password": "pw"})
    assert answer["kind"] == "calendar" and "inbound_url" not in answer and answer["secrets_set"] == ["password"]
    result = owner.post("/api/v1/integrations/calendar/test", json={}).get_json()
    assert result == {"ok": True, "detail": "reached https://cal.example/dav"}
    assert [(owner.workspace_id, {"url": "https://cal.example/dav", "password": "pw"})] == PINGS
    listed = owner.get("/api/v1/integrations").get_json()
    assert [(i["key"], i["status"]) for i in listed] == [("calendar", "ok")]
    assert not has_communication_channel(owner.workspace_id)


def test_providers_are_listed_with_their_fields(owner, providers):
    listed = {p["name"]: p for p in owner.get("/api/v1/integrations/providers").get_json()}
    assert listed["console"]["channels"] == ["email", "sms"]
    assert {"name": "api_key", "required": True, "secret": True} in listed["alpha"]["config_fields"]


def test_owner_only(owner, make_staff, client):
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    assert_error(staff.get("/api/v1/integrations"), 403, "FORBIDDEN")
    assert_error(staff.put("/api/v1/integrations/email", json={"provider": "console"}), 403)
    assert_error(staff.post("/api/v1/integrations/email/test", json={}), 403)
    assert_error(client.get("/api/v1/integrations"), 401)
    assert row(owner.workspace_id, "email") is None


def test_every_endpoint_documents_its_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    put = spec["paths"]["/api/v1/integrations/{key}"]["put"]["responses"]
    assert {"401", "403", "422"} <= set(put)
    assert {"401", "403", "404"} <= set(spec["paths"]["/api/v1/integrations/{key}/test"]["post"]["responses"])
