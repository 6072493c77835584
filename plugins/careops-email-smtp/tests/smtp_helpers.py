"""Helpers of the SMTP plugin's tests: the integration's configuration and a bookable clinic using it."""

from __future__ import annotations

from tests.bookings.factories import at, local_day, make_service, set_hours, slug_of

FROM_EMAIL = "hello@clinic.example.com"
SMTP_USER, SMTP_PASSWORD = "clinic-relay", "relay-secret-pass"


def smtp_config(server, certificate, **overrides) -> dict:
    config = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": server.security,
        "from_email": FROM_EMAIL,
        "timeout_seconds": 5,
        "ca_certificate": certificate.cert_pem,
    }
    if server.credentials:
        config.update(username=server.credentials[0], password=server.credentials[1])
    return {**config, **overrides}


def imap_config(mailbox, **overrides) -> dict:
    return {
        "imap_host": "127.0.0.1",
        "imap_port": mailbox.port,
        "imap_security": "none",
        "imap_username": mailbox.username,
        "imap_password": mailbox.password,
        **overrides,
    }


def put_integration(actor, key: str, provider: str, config: dict, *, priority: int = 1, status: int = 200):
    response = actor.put(
        f"/api/v1/integrations/{key}",
        json={"provider": provider, "config": config, "enabled": True, "priority": priority},
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


class Clinic:
    """An active workspace with one service open every day, its email going out through ``smtp``."""

    def __init__(self, client, owner, server, certificate, **config):
        self.client, self.owner = client, owner
        assert owner.patch("/api/v1/workspace", json={"contact_email": "desk@clinic.example.com"}).status_code == 200
        self.workspace = owner.get("/api/v1/workspace").get_json()
        self.service = make_service(owner)
        set_hours(owner)
        self.integration = put_integration(owner, "email", "smtp", smtp_config(server, certificate, **config))
        activated = owner.post("/api/v1/workspace/activate")
        assert activated.status_code == 200, activated.get_json()
        self.slug = slug_of(owner)

    def book(
        self, email: str = "sam@example.com", name: str = "Sam Customer", days_ahead: int = 3, hhmm: str = "10:00"
    ) -> dict:
        start = at(local_day(self.workspace["timezone"], days_ahead), hhmm, self.workspace["timezone"])
        response = self.client.post(
            f"/api/v1/public/{self.slug}/bookings",
            json={"service_id": self.service["id"], "start": start, "name": name, "email": email},
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()
