"""Fixtures of the webhook tests: a real HTTP receiver on loopback, endpoints, and time moved forward.

The app runs with ``CAREOPS_WEBHOOKS_ALLOW_PRIVATE`` (the receiver is on
127.0.0.1) and a short send timeout, so a "no answer" test waits a second,
not ten. Tasks run immediately: the first attempt happens in the request that
caused the event; retries are ETA tasks that immediate mode keeps for later,
so a test makes a delivery due (:func:`make_due`) and runs the sweep, one
attempt at a time.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook
from werkzeug import Response

from careops.db import utcnow
from careops.extensions import db

TIMEOUT = 0.5


@pytest.fixture
def config_overrides():
    return {"CAREOPS_WEBHOOKS_ALLOW_PRIVATE": True, "CAREOPS_WEBHOOKS_TIMEOUT_SECONDS": TIMEOUT}


class Receiver:
    """A webhook receiver on loopback that records each request and answers the statuses it is told."""

    def __init__(self, httpserver):
        self.server = httpserver
        self.requests: list[dict] = []
        self.statuses: list[int] = []  # answered in order, then 200
        self.delay = 0.0
        self._lock = threading.Lock()
        self._in_flight = 0
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self._handle)
        self.url = httpserver.url_for("/hook")

    def _handle(self, request):
        with self._lock:
            self.requests.append(
                {
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": request.get_data(as_text=True),
                    "at": time.monotonic(),
                }
            )
            status = self.statuses.pop(0) if self.statuses else 200
            self._in_flight += 1
        try:
            if self.delay:
                time.sleep(self.delay)
            return Response("thanks", status=status)
        finally:
            with self._lock:
                self._in_flight -= 1

    def wait_idle(self, seconds: float = 10.0) -> None:
        """Wait until no request is being answered (a slow answer outlives the sender's timeout)."""
        deadline = time.monotonic() + seconds
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)

    def verified(self, secret: str, index: int = -1) -> dict:
        """The request's body, verified as a receiver would with the standardwebhooks library."""
        request = self.requests[index]
        return Webhook(secret).verify(request["body"], request["headers"])

    def ids(self) -> list[str]:
        return [r["headers"]["webhook-id"] for r in self.requests]

    def types(self, secret: str) -> list[str]:
        return [self.verified(secret, i)["type"] for i in range(len(self.requests))]


@pytest.fixture
def receiver(httpserver) -> Receiver:
    return Receiver(httpserver)


def create_endpoint(owner, url: str, events=("contact.created",), **fields) -> dict:
    response = owner.post("/api/v1/webhooks", json={"url": url, "events": list(events), **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_contact(owner, name: str = "Cara Customer", email: str = "cara@example.com") -> dict:
    response = owner.post("/api/v1/contacts", json={"name": name, "email": email})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(owner, endpoint_id: str, **query) -> list[dict]:
    response = owner.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def make_due(app, delivery_id: str) -> None:
    """Time passes: the delivery's next attempt is due now."""
    from careops.webhooks.models import WebhookDelivery

    with app.app_context():
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def run_sweep(app) -> int:
    from careops.webhooks.delivery import sweep

    with app.app_context():
        return sweep()


def retry(app, delivery_id: str) -> None:
    make_due(app, delivery_id)
    assert run_sweep(app) == 1


def delivery_row(app, delivery_id: str):
    from careops.webhooks.models import WebhookDelivery

    with app.app_context():
        row = db.session.get(WebhookDelivery, delivery_id)
        db.session.expunge(row)
        return row


def endpoint_row(app, endpoint_id: str):
    from careops.webhooks.models import WebhookEndpoint

    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge(row)
        return row


def set_endpoint(app, endpoint_id: str, **values) -> None:
    from careops.webhooks.models import WebhookEndpoint

    with app.app_context():
        db.session.execute(sa.update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(**values))
        db.session.commit()
