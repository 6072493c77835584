"""Integration rules (the messaging layer builds on these)."""
from __future__ import annotations

from careops.db import WorkspaceRepository
from careops.integrations.models import Integration

COMMUNICATION_KINDS = ("email", "sms")


def has_communication_channel(workspace_id: str) -> bool:
    """True when the workspace has an enabled email or SMS integration that has not failed its last check."""
    repo = WorkspaceRepository(workspace_id)
    return repo.first(Integration, Integration.kind.in_(COMMUNICATION_KINDS), Integration.enabled.is_(True),
                      Integration.status != "error") is not None
