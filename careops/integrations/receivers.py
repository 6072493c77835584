"""Decides the ``communication`` step of onboarding for the integrations domain.

The workspaces domain asks (:func:`careops.workspaces.onboarding.register_check`);
the domain that owns the answer registers it, so workspaces imports no
integrations code. The app factory imports this module at start.
"""

from careops.integrations.service import has_communication_channel
from careops.workspaces import onboarding


@onboarding.register_check("communication")
def communication_step(workspace_id: str) -> tuple[bool, str]:
    done = has_communication_channel(workspace_id)
    return done, (
        "An email or SMS channel is working" if done else "Connect an email or SMS provider so customers hear from you"
    )
