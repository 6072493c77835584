"""Onboarding: the checklist of a new workspace, and activation once the essentials are there.

Steps, in the order of API.md: workspace, communication, contact_form, services,
availability, forms, inventory, staff, activation. Activation needs
:data:`REQUIRED` (a working communication channel, an active service,
availability); the others are guidance. Until activation every public page
answers 409 ``WORKSPACE_NOT_ACTIVE``.

The domain that owns a step decides it with :func:`register_check` (in its
``receivers.py``: integrations for ``communication``, services, availability,
forms), so this module imports no other domain; the optional steps without
one look for rows in their conventional tables.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from careops import events
from careops.db import WorkspaceRepository, utcnow
from careops.errors import AppError
from careops.event_types import WorkspaceActivated
from careops.extensions import db
from careops.workspaces.models import ContactForm, Workspace

STEPS = (
    "workspace",
    "communication",
    "contact_form",
    "services",
    "availability",
    "forms",
    "inventory",
    "staff",
    "activation",
)
REQUIRED = ("communication", "services", "availability")

Check = Callable[[str], tuple[bool, str]]
_CHECKS: dict[str, Check] = {}


class ActivationIncomplete(AppError):
    status, error_code = 409, "ACTIVATION_INCOMPLETE"


def register_check(key: str):
    """``@register_check("forms")``: ``fn(workspace_id) -> (done, detail)`` decides that step."""
    if key not in STEPS:
        raise ValueError(f"unknown onboarding step {key!r}")

    def decorator(fn: Check) -> Check:
        _CHECKS[key] = fn
        return fn

    return decorator


def _count(workspace_id: str, table_name: str, **equals) -> int:
    """Rows of the workspace in ``table_name`` (0 while that domain does not exist)."""
    return WorkspaceRepository(workspace_id).count_rows(table_name, **equals)


@register_check("workspace")
def _workspace(workspace_id):
    workspace = db.session.get(Workspace, workspace_id)
    done = bool(workspace.contact_email)
    return done, (
        "Name, timezone and contact email are set"
        if done
        else "Add the business's contact email (and address) in the workspace settings"
    )


@register_check("contact_form")
def _contact_form(workspace_id):
    form = db.session.get(ContactForm, workspace_id)
    done = form is not None and form.enabled
    return done, "The public contact form is on" if done else "Turn on the public contact form"


@register_check("forms")
def _forms(workspace_id):
    n = _count(workspace_id, "form_templates")
    return n > 0, f"{n} form template(s)" if n else "Optional: add intake forms sent after booking"


@register_check("inventory")
def _inventory(workspace_id):
    n = _count(workspace_id, "inventory_items")
    return n > 0, f"{n} stock item(s)" if n else "Optional: track the supplies your services use"


@register_check("staff")
def _staff(workspace_id):
    users = _count(workspace_id, "users", role="staff")
    invited = _count(workspace_id, "invitations", status="pending")
    done = users + invited > 0
    return done, f"{users} staff member(s), {invited} pending invitation(s)" if done else "Optional: invite your team"


@register_check("activation")
def _activation(workspace_id):
    workspace = db.session.get(Workspace, workspace_id)
    done = workspace.status == "active"
    return done, "Public pages are live" if done else "Activate to open your public booking page"


def status(workspace_id: str) -> dict:
    """``{steps: [{key, done, detail}], ready_to_activate, missing}``."""
    steps = []
    for key in STEPS:
        done, detail = _CHECKS[key](workspace_id)
        steps.append({"key": key, "done": bool(done), "detail": detail})
    missing = [s["key"] for s in steps if s["key"] in REQUIRED and not s["done"]]
    return {"steps": steps, "ready_to_activate": not missing, "missing": missing}


def activate(workspace_id: str) -> Workspace:
    """Open the public pages; 409 ``ACTIVATION_INCOMPLETE`` naming what is missing. Idempotent."""
    workspace = db.session.get(Workspace, workspace_id)
    if workspace.status == "active":
        return workspace
    missing = status(workspace_id)["missing"]
    if missing:
        raise ActivationIncomplete(f"Activation needs: {', '.join(missing)}", extra={"missing": missing})
    # Compare-and-set: two concurrent activations emit one event.
    changed = db.session.execute(
        sa.update(Workspace)
        .where(Workspace.id == workspace_id, Workspace.status != "active")
        .values(status="active", activated_at=utcnow())
    ).rowcount
    if changed:
        events.emit(WorkspaceActivated(), workspace_id)
    db.session.commit()
    db.session.refresh(workspace)
    return workspace
