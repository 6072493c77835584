"""Automation rules per workspace (defaults + the owner's changes) and sending a rule's message.

Other domains' automations call :func:`send_rule_message`; it renders the
rule's template and queues the message with its ``automation_key``, so one
key is sent at most once however often it is asked.
"""

from __future__ import annotations

from careops.automation import templates
from careops.automation.models import AutomationRule
from careops.automation.rules import RULES
from careops.db import WorkspaceRepository
from careops.errors import NotFound, ValidationFailed
from careops.extensions import db

EDITABLE = ("enabled", "channel", "subject", "template", "sms_template", "offset_minutes")
TEMPLATES = ("subject", "template", "sms_template")


def effective(workspace_id: str, key: str) -> dict:
    """Rule ``key`` as the workspace has it: ``{key, enabled, channel, subject, template, offset_minutes, …}``."""
    rule = RULES.get(key)
    if rule is None:
        raise NotFound(f"No automation rule '{key}'")
    row = WorkspaceRepository(workspace_id).first(AutomationRule, AutomationRule.key == key)
    return _merge(rule, row)


def _merge(rule, row: AutomationRule | None) -> dict:
    merged = {
        "key": rule.key,
        "description": rule.description,
        "enabled": True,
        "channel": rule.channel,
        "subject": rule.subject,
        "template": rule.template,
        "sms_template": rule.sms_template,
        "offset_minutes": rule.offset_minutes,
        "placeholders": list(rule.placeholders),
    }
    if row is not None:
        merged["enabled"] = row.enabled
        for field in ("channel", "subject", "template", "sms_template", "offset_minutes"):
            if getattr(row, field) is not None:
                merged[field] = getattr(row, field)
        if row.template is not None and row.sms_template is None:
            # Before SMS templates existed, ``template`` was the body on every channel: an owner's own
            # text still wins over the default SMS text until they write an SMS one.
            merged["sms_template"] = row.template
    return merged


def list_rules(workspace_id: str) -> list[dict]:
    rows = {r.key: r for r in WorkspaceRepository(workspace_id).all(AutomationRule)}
    return [_merge(rule, rows.get(key)) for key, rule in RULES.items()]


def rule_enabled(workspace_id: str, key: str) -> bool:
    return effective(workspace_id, key)["enabled"]


def patch_rule(workspace_id: str, key: str, changes: dict) -> dict:
    """Change a rule; a template naming an unknown placeholder is refused (422, naming it)."""
    rule = RULES.get(key)
    if rule is None:
        raise NotFound(f"No automation rule '{key}'")
    errors = {}
    if rule.channel is None:
        for field in ("channel", *TEMPLATES):
            if field in changes:
                errors[field] = ["This rule sends no message."]
    if "offset_minutes" in changes and rule.offset_minutes is None:
        errors["offset_minutes"] = ["Only reminders have an offset."]
    for field in TEMPLATES:
        unknown = templates.unknown_placeholders(changes.get(field) or "", rule.placeholders)
        if unknown and field not in errors:
            errors[field] = [
                f"Unknown placeholder {{{name}}}; allowed: " + ", ".join(f"{{{p}}}" for p in rule.placeholders)
                for name in unknown
            ]
    if errors:
        raise ValidationFailed(errors)
    repo = WorkspaceRepository(workspace_id)
    row = repo.first(AutomationRule, AutomationRule.key == key) or repo.add(AutomationRule(key=key, enabled=True))
    for field in EDITABLE:
        if field in changes:
            setattr(row, field, changes[field])
    db.session.commit()
    return _merge(rule, row)


def send_rule_message(
    workspace_id: str, key: str, contact_id: str, values: dict, *, automation_key: str, attachments=()
):
    """Queue rule ``key``'s message to a contact, unless the rule is off; the Message or None. Not committed.

    The channel is chosen first (the rule's, else the one the contact can be
    reached on), then that channel's template is rendered: an SMS gets the
    short template, short links and no attachments.
    """
    from careops.contacts import service as contacts
    from careops.inbox import service as inbox
    from careops.inbox.sending import choose_channel, send_to_contact

    rule = effective(workspace_id, key)
    if not rule["enabled"] or not rule["template"]:
        return None
    if inbox.automation_message_written(workspace_id, automation_key):
        return None  # sent before: no short link is made for a message that will not go
    channel, _ = choose_channel(workspace_id, contacts.get(workspace_id, contact_id), rule["channel"])
    if channel == "sms":
        from careops.public.short_links import shorten_links

        subject, body = (
            None,
            templates.render(rule["sms_template"] or rule["template"], shorten_links(workspace_id, values)),
        )
        attachments = ()
    else:
        subject = templates.render(rule["subject"] or "", values)[:300] or None
        body = templates.render(rule["template"], values)
    return send_to_contact(
        workspace_id,
        contact_id,
        channel=channel,
        fallback=False,
        subject=subject,
        body=body,
        author=f"automation:{key}",
        automation_key=automation_key,
        attachments=attachments,
    )
