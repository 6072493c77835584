"""The demo workspace that ``make run`` seeds on first start: an owner and two staff members.

Every demo user's password is the same, printed at start: the demo is for a
machine of one's own, and ``flask careops demo`` refuses to run in production
unless forced.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from careops import scoping
from careops.auth.models import User
from careops.extensions import db

DEMO = {
    "email": "owner@demo.careops.local",
    "password": "demo-password-123",
    "full_name": "Dana Demo",
    "workspace_name": "Demo Clinic",
    "timezone": "Europe/London",
}


def seed() -> tuple[bool, dict]:
    """Create the demo workspace unless it exists; ``(created, login info)``."""
    from careops.auth import service

    # The command works for the demo workspace: found by its owner's email across every
    # workspace, or bound by the registration that creates it.
    with scoping.unscoped():
        user = db.session.scalars(sa.select(User).where(User.email == DEMO["email"])).first()
    created = user is None
    if user is not None:
        scoping.bind_workspace(user.workspace_id)
    else:
        user, workspace = service.register(
            email=DEMO["email"],
            password=DEMO["password"],
            full_name=DEMO["full_name"],
            workspace_name=DEMO["workspace_name"],
            timezone=DEMO["timezone"],
        )
        _add_team(workspace.id)
        for step in _EXTRA_STEPS:
            step(workspace.id)
    from careops.workspaces.models import Workspace

    assert user is not None  # found above or just registered
    slug = db.session.get_one(Workspace, user.workspace_id).slug
    return created, {"email": DEMO["email"], "password": DEMO["password"], "slug": slug}


#: The owner's two colleagues: what a staff member sees depends on the permissions the owner gave.
STAFF: tuple[dict[str, Any], ...] = (
    {
        "email": "reception@demo.careops.local",
        "full_name": "Rita Reception",
        "permissions": {"inbox": True, "bookings": True, "forms": False, "inventory": False},
    },
    {
        "email": "nurse@demo.careops.local",
        "full_name": "Noah Nurse",
        "permissions": {"inbox": False, "bookings": True, "forms": True, "inventory": True},
    },
)


def _add_team(workspace_id: str) -> None:
    from careops.auth.passwords import hash_password

    password_hash = hash_password(DEMO["password"])
    for member in STAFF:
        db.session.add(User(workspace_id=workspace_id, role="staff", password_hash=password_hash, **member))
    db.session.commit()


#: Later domains add their demo data here (services, availability, activation).
_EXTRA_STEPS: list = []


def demo_step(fn):
    _EXTRA_STEPS.append(fn)
    return fn
