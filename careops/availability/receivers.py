"""Decides the ``availability`` step of onboarding for the availability domain.

The workspaces domain asks (:func:`careops.workspaces.onboarding.register_check`);
the domain that owns the answer registers it, so workspaces imports no
availability code. The app factory imports this module at start.
"""

from careops.availability.service import has_rules
from careops.workspaces import onboarding


@onboarding.register_check("availability")
def availability_step(workspace_id: str) -> tuple[bool, str]:
    done = has_rules(workspace_id)
    return done, "Weekly hours are set" if done else "Set your weekly opening hours"
