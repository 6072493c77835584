"""The ``console`` provider: serves email and SMS, sends nothing outside, logs every message.

It makes the embedded default work end to end: messages are stored in their
conversations and marked sent, and their text appears in the server log.

Inbound (for development and tests): with an ``inbound_secret`` configured it
accepts ``POST /public/inbound/console?token=…`` with a JSON body
``{"channel", "from", "body", "subject"?, "name"?, "id"?}`` signed with
``X-Console-Signature: hex(HMAC-SHA256(inbound_secret, raw body))``.
"""

import hashlib
import hmac
import json
import logging
import uuid

import marshmallow as ma

from careops.hookspecs import hookimpl
from careops.messaging.base import CommunicationProvider

log = logging.getLogger("careops.console")


class ConsoleConfig(ma.Schema):
    inbound_secret = ma.fields.String(load_default=None, allow_none=True, metadata={"secret": True})


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class ConsoleProvider(CommunicationProvider):
    name = "console"
    channels = ("email", "sms")
    config_schema = ConsoleConfig
    description = "Logs messages instead of sending them (development)."

    def send(self, message):
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        log.info(
            "%s to %s%s\n%s",
            message.channel.upper(),
            message.to,
            f" — {message.subject}" if message.subject else "",
            message.body,
        )
        return provider_id

    def verify_inbound(self, request):
        secret = self.config.get("inbound_secret")
        signature = request.headers.get("X-Console-Signature", "")
        raw = request.get_data(cache=True)
        if not secret or not hmac.compare_digest(sign(secret, raw), signature):
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        if data.get("event") == "delivery":
            return {
                "event": "delivery",
                "provider_message_id": str(data.get("id", "")),
                "status": data.get("status"),
                "error": data.get("error"),
            }
        return {
            "channel": data.get("channel"),
            "from": data.get("from"),
            "body": data.get("body"),
            "subject": data.get("subject"),
            "name": data.get("name"),
            "provider_message_id": data.get("id"),
        }


@hookimpl
def careops_communication_providers():
    return [ConsoleProvider]
