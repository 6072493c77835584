"""The provider contract: the console provider, the registry's checks, what a plugin gets."""

import logging

import marshmallow as ma
import pytest

from careops import hookimpl
from careops.default_plugins.console import ConsoleProvider, sign
from careops.messaging import registry
from careops.messaging.base import CommunicationProvider, OutboundMessage


def test_console_serves_email_and_sms_and_logs(caplog):
    provider = ConsoleProvider({})
    with caplog.at_level(logging.INFO, logger="careops.console"):
        provider_id = provider.send(OutboundMessage(channel="sms", to="+14155552671", body="See you at 9"))
    assert provider_id.startswith("console-") and ConsoleProvider.channels == ("email", "sms")
    assert "+14155552671" in caplog.text and "See you at 9" in caplog.text


def test_console_secret_is_marked_secret():
    assert ConsoleProvider.secret_fields() == {"inbound_secret"}


class FakeRequest:
    def __init__(self, body: bytes, signature: str):
        self._body, self.headers = body, {"X-Console-Signature": signature}

    def get_data(self, cache=True):
        return self._body


def test_console_inbound_signature():
    provider = ConsoleProvider({"inbound_secret": "s"})
    body = b'{"channel": "sms", "from": "+14155552671", "body": "hi"}'
    assert provider.verify_inbound(FakeRequest(body, sign("s", body)))["body"] == "hi"
    assert provider.verify_inbound(FakeRequest(body, sign("t", body))) is None
    assert provider.verify_inbound(FakeRequest(body + b" ", sign("s", body))) is None
    assert ConsoleProvider({}).verify_inbound(FakeRequest(body, sign("", body))) is None
    assert provider.verify_inbound(FakeRequest(b"[1]", sign("s", b"[1]"))) is None


class NoName(CommunicationProvider):
    channels = ("email",)


class Pager(CommunicationProvider):
    name = "pager"
    channels = ("pager",)


class SecondConsole(CommunicationProvider):
    name = "console"
    channels = ("email",)


class Smtp(CommunicationProvider):
    """What a pip plugin writes: a name, channels, a schema with a secret, send()."""

    name = "smtp"
    channels = ("email",)

    class config_schema(ma.Schema):
        host = ma.fields.String(required=True)
        password = ma.fields.String(required=True, metadata={"secret": True})

    def send(self, message):
        return "queued-at-smtp"


class OddPlugin:
    @hookimpl
    def careops_communication_providers(self):
        return [NoName, Pager, SecondConsole, object, Smtp]


@pytest.fixture
def odd_plugin(app):
    from careops.plugins import get_manager

    plugin = OddPlugin()
    get_manager().register(plugin, name="odd")
    yield
    get_manager().unregister(plugin)


def test_registry_keeps_well_formed_providers_only(app, odd_plugin, caplog):
    with app.app_context(), caplog.at_level(logging.WARNING):
        found = registry.providers()
    # pluggy asks the last registered plugin first: a plugin may replace a default provider (with a warning).
    assert found["console"] is SecondConsole
    assert found["smtp"] is Smtp and "pager" not in found and "" not in found
    # + the installed SMTP plugin's own "smtp", which the test's Smtp (registered last) replaces
    assert caplog.text.count("ignored") == 4 + caplog.text.count("careops_email_smtp.provider.SmtpProvider")


def test_a_plugin_provider_is_configured_and_used(owner, odd_plugin, client):
    from tests.messaging.fixtures import configure

    configure(owner, "email", "smtp", config={"host": "mail.example", "password": "pw"})
    assert (
        owner.post("/api/v1/integrations/email/test", json={})
        .get_json()["detail"]
        .endswith("(provider id queued-at-smtp)")
    )
