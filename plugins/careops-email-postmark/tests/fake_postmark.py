"""A local stand-in for Postmark's email API, and Postmark's side of its webhooks.

``POST /email`` with ``X-Postmark-Server-Token`` and a JSON body, answered as
Postmark documents it: 200 ``{"To", "SubmittedAt", "MessageID", "ErrorCode": 0,
"Message": "OK"}``; 401 ``ErrorCode 10`` for a wrong token; 422 with
``ErrorCode 300`` (invalid request: no sender, bad recipient) or ``406``
(inactive recipient — here any address starting with ``inactive``). It can be told
to be down (503), rate limited (429) or slow. :meth:`FakePostmark.webhook`
posts JSON with basic-auth credentials, as Postmark does with a webhook URL
that carries them.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVER_TOKEN = "postmark-server-token-for-tests"
FROM_EMAIL = "hello@clinic.example"
WEBHOOK_USER = "postmark"
WEBHOOK_PASSWORD = "webhook-password-0123456789"


class FakePostmark:
    def __init__(self):
        self.requests: list[dict] = []
        self.down = False
        self.rate_limited = False
        self.delay = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def start(self) -> FakePostmark:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def sent(self) -> list[dict]:
        return [r["json"] for r in self.requests if r.get("message_id")]

    @staticmethod
    def webhook(client, url: str, payload: dict, *, user=WEBHOOK_USER, password=WEBHOOK_PASSWORD):
        """POST a webhook's JSON to ``url`` (a full public URL) through the Flask test client."""
        path = url.split("://", 1)[1]
        path = path[path.index("/") :]
        headers = {}
        if user is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return client.post(path, json=payload, headers=headers)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                record = {
                    "path": self.path,
                    "token": self.headers.get("X-Postmark-Server-Token"),
                    "accept": self.headers.get("Accept"),
                    "content_type": self.headers.get("Content-Type"),
                }
                fake.requests.append(record)
                if fake.delay:
                    time.sleep(fake.delay)
                if self.path != "/email":
                    return self._answer(404, {"ErrorCode": 404, "Message": "Not found"})
                if record["token"] != SERVER_TOKEN:
                    return self._answer(
                        401, {"ErrorCode": 10, "Message": "The Server API token you provided was invalid."}
                    )
                if fake.down:
                    return self._answer(503, {"ErrorCode": 503, "Message": "Service unavailable"})
                if fake.rate_limited:
                    return self._answer(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"})
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._answer(422, {"ErrorCode": 402, "Message": "Received invalid JSON input."})
                record["json"] = body
                if not body.get("From"):
                    return self._answer(422, {"ErrorCode": 300, "Message": "Invalid 'From' address: ''."})
                to = body.get("To") or ""
                if "@" not in to:
                    return self._answer(
                        422, {"ErrorCode": 300, "Message": f"Error parsing 'To': Illegal email address '{to}'."}
                    )
                if to.startswith("inactive"):
                    return self._answer(
                        422,
                        {
                            "ErrorCode": 406,
                            "Message": "You tried to send to recipient(s) that have been marked as inactive.",
                        },
                    )
                record["message_id"] = str(uuid.uuid4())
                self._answer(
                    200,
                    {
                        "To": to,
                        "SubmittedAt": "2026-11-29T02:00:00.0000000-05:00",
                        "MessageID": record["message_id"],
                        "ErrorCode": 0,
                        "Message": "OK",
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
