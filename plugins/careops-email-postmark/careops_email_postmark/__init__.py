"""The ``postmark`` provider: email through Postmark's API, and its inbound, delivery and bounce webhooks.

Sending: ``POST {api_base_url}/email`` with the ``X-Postmark-Server-Token``
header and a JSON message (``From``, ``To``, ``Subject``, ``TextBody``,
``ReplyTo``, ``MessageStream``, ``Attachments`` as base64). CareOps's message
id goes along in ``Metadata`` and an ``X-CareOps-Message-ID`` header: every
webhook about the message carries it back, and a duplicate send is
recognisable. Postmark's answers decide retrying: a 422 (its ``ErrorCode``
says what the request got wrong — an invalid or inactive recipient, a
sender signature not confirmed) or a 401 (wrong server token) will fail
again, so they are permanent; 429, 5xx, timeouts and connection errors are
tried again later.

Webhooks: Postmark posts JSON — an inbound email (``From``, ``Subject``,
``TextBody``/``StrippedTextReply``, ``MessageID``), or a ``RecordType`` of
``Delivery`` or ``Bounce``. A request is accepted only with the integration's
URL token (checked by the core) *and* the HTTP basic-auth credentials of this
configuration, which the owner writes into the webhook URL given to Postmark.
"""

from __future__ import annotations

import base64
import hmac
import logging

import httpx
import marshmallow as ma
from marshmallow import validate

from careops import hookimpl
from careops.messaging.base import CommunicationProvider, ProviderError

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.postmarkapp.com"
METADATA_KEY = "careops_message_id"
#: Bounce types after which the address will not take mail: the contact is marked undeliverable.
HARD_BOUNCES = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated", "SpamNotification"})
#: Bounce types that end this message but say nothing lasting about the address.
FINAL_SOFT = frozenset(
    {
        "SoftBounce",
        "DnsError",
        "Blocked",
        "DMARCPolicy",
        "VirusNotification",
        "TemplateRenderingFailed",
        "SMTPApiError",
        "Unknown",
    }
)


class PostmarkConfig(ma.Schema):
    server_token = ma.fields.String(required=True, validate=validate.Length(min=8, max=200), metadata={"secret": True})
    from_email = ma.fields.Email(required=True)
    message_stream = ma.fields.String(load_default="outbound", validate=validate.Regexp(r"^[a-z0-9-]{1,30}$"))
    api_base_url = ma.fields.Url(load_default=DEFAULT_API, require_tld=False, schemes={"http", "https"})
    timeout_seconds = ma.fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=60))
    webhook_username = ma.fields.String(load_default="postmark", validate=validate.Regexp(r"^[^:\s]{1,60}$"))
    webhook_password = ma.fields.String(
        required=True,
        validate=validate.Length(min=16, max=200),
        metadata={"secret": True, "description": "Put it in the webhook URL given to Postmark"},
    )


def retryable(status_code: int) -> bool:
    """Postmark's 422 and 401 answer the request itself; 429 and 5xx are about the moment."""
    return status_code == 429 or status_code >= 500


class PostmarkProvider(CommunicationProvider):
    name = "postmark"
    channels = ("email",)
    config_schema = PostmarkConfig
    description = "Email through Postmark, with inbound replies and delivery/bounce webhooks."

    # -- sending ---------------------------------------------------------------------------------------

    def send(self, message):
        sender = self.config["from_email"]
        if message.from_name:
            sender = f'"{message.from_name.replace(chr(34), "")}" <{sender}>'
        payload = {
            "From": sender,
            "To": message.to,
            "Subject": message.subject or "",
            "TextBody": message.body,
            "MessageStream": self.config["message_stream"],
            "Headers": [{"Name": k, "Value": v} for k, v in (message.headers or {}).items()],
            "Attachments": [
                {"Name": name, "Content": base64.b64encode(content).decode(), "ContentType": mime}
                for name, content, mime in message.attachments
            ],
        }
        if message.reply_to:
            payload["ReplyTo"] = message.reply_to
        if message.idempotency_key:
            payload["Metadata"] = {METADATA_KEY: message.idempotency_key}
            payload["Headers"].append({"Name": "X-CareOps-Message-ID", "Value": message.idempotency_key})
        url = f"{self.config['api_base_url'].rstrip('/')}/email"
        headers = {"Accept": "application/json", "X-Postmark-Server-Token": self.config["server_token"]}
        try:
            response = httpx.post(
                url, json=payload, headers=headers, timeout=httpx.Timeout(self.config.get("timeout_seconds") or 10.0)
            )
        except httpx.TimeoutException as exc:
            raise ProviderError(f"Postmark did not answer in time: {exc.__class__.__name__}") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"Postmark could not be reached: {exc}") from None
        answer = _json(response)
        if response.status_code == 200 and answer.get("ErrorCode", 0) == 0 and answer.get("MessageID"):
            return str(answer["MessageID"])
        code = answer.get("ErrorCode")
        detail = answer.get("Message") or response.reason_phrase
        raise ProviderError(
            f"Postmark answered {response.status_code}{f' (ErrorCode {code})' if code is not None else ''}: {detail}"[
                :500
            ],
            retryable=retryable(response.status_code),
        )

    # -- webhooks --------------------------------------------------------------------------------------

    def verify_inbound(self, request):
        if not self._authorised(request):
            return None
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return None
        record = data.get("RecordType")
        if record == "Delivery":
            return self._report(data, "delivered")
        if record == "Bounce":
            return self._bounce(data)
        if record in ("SpamComplaint", "Open", "Click", "SubscriptionChange"):
            return self._report(data, "noted")  # verified, nothing for CareOps to record
        if record is None and data.get("From") is not None:
            sender = (data.get("FromFull") or {}).get("Email") or data.get("From")
            return {
                "channel": "email",
                "from": sender,
                "name": (data.get("FromFull") or {}).get("Name") or data.get("FromName") or None,
                "subject": data.get("Subject"),
                "body": data.get("StrippedTextReply") or data.get("TextBody") or "",
                "provider_message_id": data.get("MessageID"),
            }
        return None

    def _report(self, data: dict, status: str) -> dict:
        return {
            "event": "delivery",
            "provider_message_id": data.get("MessageID"),
            "status": status,
            "message_id": (data.get("Metadata") or {}).get(METADATA_KEY),
        }

    def _bounce(self, data: dict) -> dict:
        kind = data.get("Type") or "Unknown"
        hard = kind in HARD_BOUNCES or (bool(data.get("Inactive")) and kind not in FINAL_SOFT)
        if not hard and kind not in FINAL_SOFT:
            return self._report(data, "noted")  # delayed, auto-reply…: the message is still on its way
        report = self._report(data, "failed")
        report["error"] = (
            f"Email bounced ({data.get('Name') or kind}): {data.get('Description') or data.get('Details') or ''}"
        ).strip()[:500]
        if hard:
            report["bounce"] = "hard"
        return report

    def _authorised(self, request) -> bool:
        auth = request.authorization
        expected_user = self.config.get("webhook_username") or "postmark"
        expected_password = self.config.get("webhook_password")
        if auth is None or auth.type != "basic" or not expected_password:
            return False
        user_ok = hmac.compare_digest((auth.username or "").encode(), expected_user.encode())
        password_ok = hmac.compare_digest((auth.password or "").encode(), expected_password.encode())
        return user_ok and password_ok


def _json(response: httpx.Response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


@hookimpl
def careops_communication_providers():
    return [PostmarkProvider]
