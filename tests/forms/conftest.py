"""Fixtures of the forms tests: an active clinic whose service sends forms, and helpers to reach a form's link.

The customer's token is only ever in the message that carried it (the
database keeps its hash), so :func:`form_tokens` reads it from the
``form_request`` messages, as a customer would from their email.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib

import pytest
import sqlalchemy as sa

from careops.extensions import db
from tests.bookings.factories import Bookable

LINK = re.compile(r"http://careops\.test/forms/([A-Za-z0-9_-]{20,})")

EVERY_TYPE = [
    {"key": "full_name", "label": "Full name", "type": "text", "required": True},
    {"key": "history", "label": "History", "type": "textarea", "required": False},
    {"key": "email", "label": "Email", "type": "email", "required": True},
    {"key": "phone", "label": "Phone", "type": "phone", "required": False},
    {"key": "weight", "label": "Weight (kg)", "type": "number", "required": False},
    {"key": "born", "label": "Date of birth", "type": "date", "required": True},
    {"key": "sex", "label": "Sex", "type": "select", "required": False, "options": ["Female", "Male", "Other"]},
    {
        "key": "conditions",
        "label": "Conditions",
        "type": "multiselect",
        "required": False,
        "options": ["Asthma", "Diabetes", "None"],
    },
    {"key": "agree", "label": "I agree", "type": "checkbox", "required": True},
    {"key": "signature", "label": "Signature", "type": "signature", "required": True},
]


def png(width: int = 2, height: int = 1) -> bytes:
    """A real (tiny) PNG image."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


SIGNATURE = "data:image/png;base64," + base64.b64encode(png()).decode()

VALID_ANSWERS = {
    "full_name": "Cara Customer",
    "history": "Broke an arm in 2010",
    "email": "Cara@Example.com",
    "phone": "+1 415 555 0100",
    "weight": 61.5,
    "born": "1990-04-01",
    "sex": "Female",
    "conditions": ["Diabetes", "Asthma"],
    "agree": True,
    "signature": SIGNATURE,
}


def make_template(owner, **fields) -> dict:
    body = {"name": "Intake", "fields": EVERY_TYPE, "due_after_hours": 24, **fields}
    response = owner.post("/api/v1/form-templates", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


class Clinic(Bookable):
    """An active workspace whose one service sends an intake form (every field type) after booking."""

    def __init__(self, app, owner, **service_fields):
        super().__init__(app, owner, **service_fields)
        self.template = make_template(owner, service_ids=[self.service_id])

    def book(self, client, hhmm: str = "10:00", email: str = "cara@example.com", days_ahead: int = 3) -> dict:
        response = self.public_book(client, self.start(hhmm, days_ahead), email=email)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def staff_booking(self, hhmm: str = "10:00", email: str = "sam@example.com") -> dict:
        response = self.staff_book(self.owner, self.start(hhmm), email=email)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def clinic(app, owner) -> Clinic:
    return Clinic(app, owner)


def form_messages(workspace_id: str, rule: str = "form_request") -> list:
    from careops.inbox.models import Message

    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.workspace_id == workspace_id, Message.author == f"automation:{rule}")
            .order_by(Message.created_at, Message.id)
        )
    )


def form_tokens(workspace_id: str, rule: str = "form_request") -> list[str]:
    """The links' tokens in the workspace's ``rule`` messages, oldest first."""
    return [LINK.search(m.body).group(1) for m in form_messages(workspace_id, rule)]


def submissions(workspace_id: str | None = None) -> list:
    from careops.forms.models import FormSubmission

    db.session.expire_all()
    stmt = sa.select(FormSubmission).order_by(FormSubmission.created_at, FormSubmission.id)
    if workspace_id:
        stmt = stmt.where(FormSubmission.workspace_id == workspace_id)
    return list(db.session.scalars(stmt))
