"""Automated messages about a form: ``form_request`` when it is sent, ``form_reminder`` when it is overdue.

Each is keyed ``<rule>:<submission id>``: one request and at most one
reminder per submission, however often the event or the sweep runs. The link
is a fresh customer token made by the forms domain (only its hash is stored).
"""

from __future__ import annotations

from careops.automation import booking_messages
from careops.automation.service import rule_enabled, send_rule_message


def _values(workspace_id: str, booking, form_name: str, link: str) -> dict:
    return {**booking_messages.values(workspace_id, booking), "form_name": form_name, "form_link": link}


def request(workspace_id: str, booking, submission, link: str):
    """Send the form's link once (``form_request:<submission>``); the Message or None. Not committed."""
    return send_rule_message(
        workspace_id,
        "form_request",
        submission.contact_id,
        _values(workspace_id, booking, submission.name, link),
        automation_key=f"form_request:{submission.id}",
    )


def reminder(workspace_id: str, booking, submission, link: str):
    """Remind once (``form_reminder:<submission>``); the Message or None. Not committed."""
    return send_rule_message(
        workspace_id,
        "form_reminder",
        submission.contact_id,
        _values(workspace_id, booking, submission.name, link),
        automation_key=f"form_reminder:{submission.id}",
    )


def enabled(workspace_id: str, key: str) -> bool:
    return rule_enabled(workspace_id, key)
