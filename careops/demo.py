"""The demo workspace that ``make run`` seeds on first start."""
from __future__ import annotations

import sqlalchemy as sa

from careops.auth.models import User
from careops.extensions import db

DEMO = {"email": "owner@demo.careops.local", "password": "demo-password-123", "full_name": "Dana Demo",
        "workspace_name": "Demo Clinic", "timezone": "Europe/London"}


def seed() -> tuple[bool, dict]:
    """Create the demo workspace unless it exists; ``(created, login info)``."""
    from careops.auth import service

    user = db.session.scalars(sa.select(User).where(User.email == DEMO["email"])).first()
    created = user is None
    if created:
        user, workspace = service.register(email=DEMO["email"], password=DEMO["password"],
                                           full_name=DEMO["full_name"], workspace_name=DEMO["workspace_name"],
                                           timezone=DEMO["timezone"])
        for step in _EXTRA_STEPS:
            step(workspace.id)
    from careops.workspaces.models import Workspace

    slug = db.session.get(Workspace, user.workspace_id).slug
    return created, {"email": DEMO["email"], "password": DEMO["password"], "slug": slug}


#: Later domains add their demo data here (services, availability, activation).
_EXTRA_STEPS: list = []


def demo_step(fn):
    _EXTRA_STEPS.append(fn)
    return fn
