"""The booking side of the demo workspace: a team of 3, two services, weekday hours, activation.

Registered with :func:`careops.demo.demo_step`, so ``make run`` serves a public
booking page that works at once.
"""

from __future__ import annotations

from datetime import time

from careops.demo import demo_step


@demo_step
def bookable_demo(workspace_id: str) -> None:
    from careops.availability import service as availability
    from careops.extensions import db
    from careops.integrations import service as integrations
    from careops.resources import service as resources
    from careops.services import service as services
    from careops.workspaces import onboarding

    # The calendar every workspace starts with becomes the team.
    team_id = resources.first_active_id(workspace_id) or resources.create(workspace_id, name="Clinic team").id
    resources.update(workspace_id, team_id, {"name": "Clinic team", "capacity": 3})
    for name, minutes, description, buffer_after in (
        ("Initial consultation", 60, "A first visit: history, assessment and a plan.", 15),
        ("Follow-up visit", 30, "A check on progress.", 0),
    ):
        services.create(
            workspace_id,
            {
                "name": name,
                "duration_minutes": minutes,
                "description": description,
                "location": "Demo Clinic",
                "buffer_after_minutes": buffer_after,
                "slot_interval_minutes": 30,
                "resource_ids": [team_id],
            },
        )
    availability.put_rules(
        workspace_id, [{"weekday": weekday, "start": time(9), "end": time(17)} for weekday in range(5)]
    )
    # The messaging domain owns integrations; the demo only needs the console provider.
    integrations.add_console_email(workspace_id)
    db.session.commit()
    onboarding.activate(workspace_id)
