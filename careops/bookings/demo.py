"""The booking side of the demo workspace: a team of 3, two services, weekday hours, activation.

Registered with :func:`careops.demo.demo_step`, so ``make run`` serves a public
booking page that works at once.
"""

from __future__ import annotations

from datetime import time

from careops.demo import demo_step


@demo_step
def bookable_demo(workspace_id: str) -> None:
    from careops.availability.models import AvailabilityRule
    from careops.db import WorkspaceRepository
    from careops.extensions import db
    from careops.integrations.models import Integration
    from careops.resources.models import Resource
    from careops.services.models import Service
    from careops.workspaces import onboarding

    repo = WorkspaceRepository(workspace_id)
    team = repo.first(Resource) or repo.add(Resource(name="Clinic team"))
    team.name, team.capacity = "Clinic team", 3
    db.session.flush()
    for name, minutes, description, buffer_after in (
        ("Initial consultation", 60, "A first visit: history, assessment and a plan.", 15),
        ("Follow-up visit", 30, "A check on progress.", 0),
    ):
        service = Service(
            name=name,
            duration_minutes=minutes,
            description=description,
            location="Demo Clinic",
            buffer_after_minutes=buffer_after,
            slot_interval=30,
        )
        service.resource_ids = [team.id]
        repo.add(service)
    for weekday in range(5):
        repo.add(AvailabilityRule(weekday=weekday, start=time(9), end=time(17)))
    # The messaging domain owns integrations; the demo only needs the console provider's row.
    if repo.first(Integration, Integration.key == "email") is None:
        repo.add(Integration(key="email", kind="email", provider="console", enabled=True, status="ok"))
    db.session.commit()
    onboarding.activate(workspace_id)
