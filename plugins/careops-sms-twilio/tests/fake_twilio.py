"""A local stand-in for Twilio's Messages REST resource, and Twilio's side of its webhooks.

The server speaks the documented protocol on a free loopback port:
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP
basic auth (account SID + auth token) → 201 with the message resource, or
Twilio's error body ``{"code", "message", "more_info", "status"}``. It honours
Twilio's magic test numbers (``+15005550001`` invalid → 21211, ``+15005550002``
cannot route → 21612, ``+15005550004`` unsubscribed → 21610, ``+15005550009``
not mobile → 21614) and can be told to be down (503/20503), rate limited
(429/20429) or slow. :meth:`FakeTwilio.webhook` signs a webhook the way Twilio
does (the ``twilio`` package's ``RequestValidator.compute_signature``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests"
FROM_NUMBER = "+15005550006"
MAGIC = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number: +15005550002, is not currently reachable via SMS."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}


class FakeTwilio:
    def __init__(self):
        self.requests: list[dict] = []  # {"path", "auth", "form"}
        self.down = False  # 503 with code 20503
        self.rate_limited = False  # 429 with code 20429
        self.delay = 0.0  # seconds before answering
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def sent(self) -> list[dict]:
        """The form bodies of the messages Twilio accepted."""
        return [r["form"] for r in self.requests if r.get("accepted")]

    # -- Twilio's side of the webhooks -----------------------------------------------------------------

    @staticmethod
    def signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
        return RequestValidator(token).compute_signature(url, params)

    def webhook(self, client, url: str, params: dict, *, token: str = AUTH_TOKEN, signature: str | None = None):
        """POST ``params`` form-encoded to ``url`` (a full public URL) through the Flask test client, signed."""
        params = {"AccountSid": ACCOUNT_SID, **params}
        path = url.split("://", 1)[1]
        path = path[path.index("/") :]
        return client.post(
            path,
            data=params,
            headers={"X-Twilio-Signature": signature if signature is not None else self.signature(url, params, token)},
        )

    # -- the REST resource -----------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                record = {
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "form": form,
                    "content_type": self.headers.get("Content-Type"),
                }
                fake.requests.append(record)
                if fake.delay:
                    time.sleep(fake.delay)
                expected = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
                if self.path != expected:
                    return self._error(404, 20404, "The requested resource was not found")
                basic = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != basic:
                    return self._error(401, 20003, "Authenticate")
                if fake.down:
                    return self._error(503, 20503, "Service Unavailable")
                if fake.rate_limited:
                    return self._error(429, 20429, "Too Many Requests")
                if not form.get("To"):
                    return self._error(400, 21604, "A 'To' phone number is required.")
                if not form.get("From") and not form.get("MessagingServiceSid"):
                    return self._error(400, 21603, "A 'From' phone number is required.")
                if len(form.get("Body", "")) > 1600:
                    return self._error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
                if form["To"] in MAGIC:
                    return self._error(400, *MAGIC[form["To"]])
                record["accepted"] = True
                sid = "SM" + uuid.uuid4().hex
                self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": ACCOUNT_SID,
                        "to": form["To"],
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "error_code": None,
                        "error_message": None,
                        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                    },
                )
                record["sid"] = sid

            def _error(self, status, code, message):
                self._answer(
                    status,
                    {
                        "code": code,
                        "message": message,
                        "status": status,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    },
                )

            def _answer(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout tests)

        return Handler
