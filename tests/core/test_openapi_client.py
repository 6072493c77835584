"""A client generated from the served OpenAPI document drives the booking flow and the inbox.

``openapi-python-client`` (the dev extra) generates a package from
``/api/v1/openapi.json`` of a live gunicorn into a temporary folder; the test
imports it and uses only its functions and models — register, service, hours,
an email channel, activation, slots, a public booking (with an Authorization
header the client always sends), its cancellation, then the inbox: a contact,
its conversation, a reply. Any model the generator had to skip, any field typed
wrongly or any answer the document does not describe fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tests.live import ROOT, LiveServer, server_env

pytestmark = pytest.mark.live
GENERATOR = ROOT / ".venv" / "bin" / "openapi-python-client"


@pytest.fixture
def base_url(app, app_config, tmp_path):
    server = LiveServer(server_env(app_config), workers=2, log_path=tmp_path / "gunicorn.log")
    yield server.start(timeout=120)
    server.stop()


@pytest.fixture
def generated(base_url, tmp_path):
    import requests

    document = tmp_path / "openapi.json"
    document.write_bytes(requests.get(f"{base_url}/api/v1/openapi.json", timeout=30).content)
    (tmp_path / "generator.yaml").write_text("post_hooks: []\n")  # no formatter needed
    package = f"careops_client_{tmp_path.name.replace('-', '_')}"
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / package),
            "--config",
            str(tmp_path / "generator.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "Skipping" not in output, output  # every model and endpoint generated
    sys.path.insert(0, str(tmp_path))
    try:
        yield Generated(importlib.import_module(package))
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


class Generated:
    """The generated package: ``op("list_conversations")`` is that operation's module."""

    def __init__(self, package):
        self.package = package
        self.models = importlib.import_module(f"{package.__name__}.models")
        self.operations = {}
        api = importlib.import_module(f"{package.__name__}.api")
        for info in pkgutil.walk_packages(api.__path__, f"{api.__name__}."):
            if not info.ispkg:
                self.operations[info.name.rsplit(".", 1)[1]] = info.name

    def op(self, operation_id: str):
        return importlib.import_module(self.operations[operation_id])

    def call(self, client, operation_id: str, status: int, **kwargs):
        response = self.op(operation_id).sync_detailed(client=client, **kwargs)
        assert response.status_code == status, (operation_id, response.status_code, response.content)
        return response.parsed

    def body(self, model: str, data: dict):
        return getattr(self.models, model).from_dict(data)


def test_the_documented_operation_ids_are_the_generated_functions(generated):
    for name in (
        "register",
        "create_service",
        "replace_availability",
        "activate_workspace",
        "list_public_service_slots",
        "create_public_booking",
        "cancel_public_booking",
        "list_conversations",
        "get_conversation",
        "create_conversation_message",
        "list_bookings",
    ):
        assert name in generated.operations, name
    assert hasattr(generated.models, "Conversation") and hasattr(generated.models, "ConversationStatus")


def test_a_generated_client_books_cancels_and_replies(generated, base_url):
    g, package = generated, generated.package
    anonymous = package.Client(base_url=base_url, raise_on_unexpected_status=True)
    registered = g.call(
        anonymous,
        "register",
        201,
        body=g.body(
            "Register",
            {
                "email": "gen-owner@example.com",
                "password": "generated-password-1",
                "full_name": "Gen Owner",
                "workspace_name": "Generated Clinic",
                "timezone": "Europe/Paris",
            },
        ),
    )
    assert registered.workspace.status == "setup" and registered.user.role == "owner"
    owner = package.AuthenticatedClient(
        base_url=base_url, token=registered.access_token, raise_on_unexpected_status=True
    )

    service = g.call(
        owner,
        "create_service",
        201,
        body=g.body("Service", {"name": "Consultation", "duration_minutes": 30, "min_notice_minutes": 0}),
    )
    assert service.duration_minutes == 30 and service.is_active is True
    g.call(
        owner,
        "replace_availability",
        200,
        body=g.body(
            "Availability",
            {
                "rules": [
                    {"weekday": d, "start": "09:00", "end": "17:00"}
                    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                ]
            },
        ),
    )
    g.call(
        owner,
        "replace_integration",
        200,
        key="email",
        body=g.body("IntegrationPut", {"provider": "console", "config": {}, "enabled": True, "priority": 1}),
    )
    workspace = g.call(owner, "activate_workspace", 200)
    assert workspace.status == "active"

    day = date.today() + timedelta(days=3)
    slots = g.call(
        anonymous, "list_public_service_slots", 200, slug=workspace.slug, service_id=service.id, from_=day, to=day
    )
    assert slots, "no slot offered"
    # A client that always sends its Authorization header, and an Idempotency-Key, can book.
    booked = g.call(
        owner,
        "create_public_booking",
        201,
        slug=workspace.slug,
        idempotency_key="gen-1",
        body=g.body(
            "PublicBookingCreate",
            {
                "service_id": service.id,
                "start": slots[0].start.isoformat(),
                "name": "Cora Client",
                "email": "cora@example.com",
            },
        ),
    )
    assert booked.booking.status in ("confirmed", "pending") and booked.manage_token
    cancelled = g.call(anonymous, "cancel_public_booking", 200, token=booked.manage_token)
    assert cancelled.status == "cancelled"
    bookings = g.call(owner, "list_bookings", 200)
    assert [b.status for b in bookings] == ["cancelled"]

    contact = g.call(
        owner, "create_contact", 201, body=g.body("ContactCreate", {"name": "Ivy Inbox", "email": "ivy@example.com"})
    )
    conversations = g.call(owner, "list_conversations", 200)
    conversation = next(c for c in conversations if c.contact.id == contact.id)
    assert conversation.status.value == "open" and conversation.automation_paused is False
    message = g.call(
        owner,
        "create_conversation_message",
        201,
        conversation_id=conversation.id,
        body=g.body("Reply", {"body": "Hello Ivy, see you soon."}),
    )
    assert message.status.value in ("queued", "sent") and message.direction.value == "out"
    detail = g.call(owner, "get_conversation", 200, conversation_id=conversation.id)
    assert [m.body for m in detail.messages][-1] == "Hello Ivy, see you soon."

    # Errors parse into the documented error model, extra fields included.
    missing = g.op("get_conversation").sync_detailed(client=owner, conversation_id="no-such-conversation")
    assert missing.status_code == 404 and missing.parsed.error_code == "NOT_FOUND"
    taken = g.op("create_contact").sync_detailed(
        client=owner, body=g.body("ContactCreate", {"name": "Ivy Again", "email": "ivy@example.com"})
    )
    assert taken.status_code == 409 and taken.parsed.existing_id == contact.id
