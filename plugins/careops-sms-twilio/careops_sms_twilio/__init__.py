"""The ``twilio`` provider: SMS through Twilio's Messages REST resource, and its signed webhooks.

Sending: ``POST {api_base_url}/2010-04-01/Accounts/{account_sid}/Messages.json``
(form-encoded, HTTP basic auth with the account SID and auth token) with
``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` and ``StatusCallback``
— this integration's inbound URL plus CareOps's message id, so a status
callback finds its message even before the worker stored Twilio's SID.
Twilio's error codes decide whether trying again can help
(:func:`classify`).

Receiving: Twilio posts inbound SMS (``Body``, ``From``, ``MessageSid``…) and
status callbacks (``MessageStatus``, ``ErrorCode``…) form-encoded to the
integration's inbound URL, signed with ``X-Twilio-Signature`` (HMAC over the
URL and the sorted parameters, keyed by the auth token). The signature is
checked with the ``twilio`` package's :class:`RequestValidator` against the
public URL Twilio was given — not the URL as this process sees it, which a
proxy may have rewritten.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import httpx
import marshmallow as ma
from marshmallow import validate
from twilio.request_validator import RequestValidator

try:  # twilio >= 9.x: webhooks may be signed with a shared key and HMAC-SHA256
    from twilio.request_validator import get_signature_algorithm
except ImportError:  # pragma: no cover - older twilio: the auth-token HMAC-SHA1 only
    get_signature_algorithm = None

from careops import hookimpl
from careops.messaging.base import CommunicationProvider, ProviderError

log = logging.getLogger(__name__)

DEFAULT_API = "https://api.twilio.com"

#: Twilio error codes where the same request may succeed later (rate limits, Twilio-side trouble).
RETRYABLE_CODES = frozenset({20429, 20500, 20503, 30001, 14107})
#: Codes whose meaning the conversation should show in words (failed/undelivered callbacks, refusals).
DESCRIPTIONS = {
    20003: "authentication failed: check the account SID and auth token",
    21211: "the 'To' number is not a valid phone number",
    21408: "sending to this region is not enabled on the Twilio account",
    21610: "the recipient has unsubscribed (replied STOP)",
    21612: "Twilio cannot route to this number",
    21614: "the 'To' number is not a mobile number",
    21617: "the message body is too long",
    30003: "unreachable destination handset",
    30004: "message blocked",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
    30007: "filtered by the carrier",
    30008: "unknown error",
}
#: Twilio stops sending to a number that opted out; its inbound webhook says so in ``OptOutType``.
OPT_TYPES = {"STOP": "out", "START": "in"}


class TwilioConfig(ma.Schema):
    account_sid = ma.fields.String(
        required=True, validate=validate.Regexp(r"^AC[0-9a-fA-F]{32}$", error="An account SID is AC + 32 hex digits.")
    )
    auth_token = ma.fields.String(required=True, validate=validate.Length(min=8, max=200), metadata={"secret": True})
    from_number = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\+[1-9]\d{6,14}$", error="An E.164 number such as +14155550100."),
    )
    messaging_service_sid = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^MG[0-9a-fA-F]{32}$", error="A Messaging Service SID is MG + 32 hex digits."),
    )
    api_base_url = ma.fields.Url(load_default=DEFAULT_API, require_tld=False, schemes={"http", "https"})
    timeout_seconds = ma.fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=60))

    @ma.validates_schema(skip_on_field_errors=False)
    def a_sender(self, data, **_):
        if not data.get("from_number") and not data.get("messaging_service_sid"):
            raise ma.ValidationError("Give from_number or messaging_service_sid.", "from_number")


def classify(status_code: int, code: int | None) -> bool:
    """Whether a refused request is worth trying again: Twilio's rate limits and its own errors are."""
    if code in RETRYABLE_CODES:
        return True
    return status_code == 429 or status_code >= 500


def describe(code) -> str:
    try:
        number = int(code)
    except (TypeError, ValueError):
        return "unknown error"
    return f"Twilio error {number}: {DESCRIPTIONS.get(number, 'see https://www.twilio.com/docs/api/errors/' + str(number))}"


class TwilioProvider(CommunicationProvider):
    name = "twilio"
    channels = ("sms",)
    config_schema = TwilioConfig
    description = "SMS through Twilio, with signed inbound messages and delivery reports."

    # -- sending ---------------------------------------------------------------------------------------

    def send(self, message):
        sid = self.config["account_sid"]
        form = {"To": message.to, "Body": message.body}
        if self.config.get("messaging_service_sid"):
            form["MessagingServiceSid"] = self.config["messaging_service_sid"]
        else:
            form["From"] = self.config["from_number"]
        if self.inbound_url and self.inbound_url.startswith(("http://", "https://")):
            form["StatusCallback"] = self.inbound_url + (
                f"&message={message.idempotency_key}" if message.idempotency_key else ""
            )
        url = f"{self.config['api_base_url'].rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        try:
            response = httpx.post(
                url,
                data=form,
                auth=(sid, self.config["auth_token"]),
                timeout=httpx.Timeout(self.config.get("timeout_seconds") or 10.0),
            )
        except httpx.TimeoutException as exc:
            raise ProviderError(f"Twilio did not answer in time: {exc.__class__.__name__}") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"Twilio could not be reached: {exc}") from None
        payload = _json(response)
        if response.status_code in (200, 201) and payload.get("sid"):
            return str(payload["sid"])
        code = payload.get("code")
        detail = payload.get("message") or response.reason_phrase
        raise ProviderError(
            f"{describe(code) if code else f'Twilio answered {response.status_code}'} ({detail})"[:500],
            retryable=classify(response.status_code, code),
        )

    # -- webhooks --------------------------------------------------------------------------------------

    def verify_inbound(self, request):
        if not self._signed(request):
            return None
        form = request.form
        if form.get("AccountSid") != self.config.get("account_sid"):
            return None  # signed by this token, but for another account: not ours
        message_sid = form.get("MessageSid") or form.get("SmsSid")
        status = form.get("MessageStatus")
        if status and not form.get("Body"):
            return self._status_callback(request, message_sid, status)
        return {
            "channel": "sms",
            "from": form.get("From"),
            "body": form.get("Body", ""),
            "provider_message_id": message_sid,
            "opt": OPT_TYPES.get((form.get("OptOutType") or "").upper()),
        }

    def _status_callback(self, request, message_sid, status):
        report = {"event": "delivery", "provider_message_id": message_sid, "message_id": request.args.get("message")}
        if status == "delivered":
            report["status"] = "delivered"
        elif status in ("failed", "undelivered"):
            report["status"] = "failed"
            report["error"] = f"SMS {status}: {describe(request.form.get('ErrorCode'))}"
        else:
            report["status"] = status  # queued, sending, sent, read: nothing to record
        return report

    def _signed(self, request) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        token = self.config.get("auth_token")
        if not signature or not token or not self.inbound_url:
            return False
        validator = RequestValidator(token)
        settings = request.headers.get("X-Twilio-Webhooks-Signature-Settings")
        algorithm = get_signature_algorithm(settings) if settings and get_signature_algorithm else None
        url = public_url(self.inbound_url, request)
        try:
            return validator.validate(url, request.form, signature, **({"algorithm": algorithm} if algorithm else {}))
        except (TypeError, ValueError):
            return False


def public_url(inbound_url: str, request) -> str:
    """The URL Twilio posted to: the public address it was given, with the query it used.

    Built from the integration's public URL rather than from the request, whose
    host and path a reverse proxy may have rewritten.
    """
    given = urlsplit(inbound_url)
    query = request.query_string.decode("latin-1")
    return f"{given.scheme}://{given.netloc}{given.path}" + (f"?{query}" if query else "")


def _json(response: httpx.Response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


@hookimpl
def careops_communication_providers():
    return [TwilioProvider]
