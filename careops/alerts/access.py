"""Who sees which alerts: each kind belongs to the staff area that acts on it.

Owners see every alert. Staff see the alerts of the areas they hold a
permission for; ``integration_error`` (and a failed email to someone who is
not a contact, such as a staff invitation) is the owner's alone. An alert a
caller may not see answers 404, like a row of another workspace.
"""

from __future__ import annotations

import sqlalchemy as sa

from careops.alerts.models import KINDS, Alert

#: The staff permission that shows an alert kind; None: only the owner.
KIND_PERMISSION = {
    "missed_message": "inbox",
    "delivery_failed": "inbox",
    "unconfirmed_booking": "bookings",
    "overdue_form": "forms",
    "low_inventory": "inventory",
    "out_of_stock": "inventory",
    "integration_error": None,
}
assert set(KIND_PERMISSION) == set(KINDS)

#: (kind, entity_type) pairs whose link only the owner can open.
OWNER_ONLY = (("delivery_failed", "message"),)


def permissions_of(user) -> frozenset[str] | None:
    """The areas ``user`` holds, or None for the owner (who sees everything)."""
    from careops.security import PERMISSIONS

    if user.role == "owner":
        return None
    return frozenset(p for p in PERMISSIONS if user.has_permission(p))


def visible(permissions: frozenset[str] | None) -> list:
    """SQL criteria restricting alerts to those a holder of ``permissions`` may see (none for owners)."""
    if permissions is None:
        return []
    kinds = [kind for kind, permission in KIND_PERMISSION.items() if permission in permissions]
    criteria = [Alert.kind.in_(kinds)]
    for kind, entity_type in OWNER_ONLY:
        criteria.append(sa.not_(sa.and_(Alert.kind == kind, Alert.entity_type == entity_type)))
    return criteria


def may_see(permissions: frozenset[str] | None, alert: Alert) -> bool:
    if permissions is None:
        return True
    if (alert.kind, alert.entity_type) in OWNER_ONLY:
        return False
    return KIND_PERMISSION.get(alert.kind) in permissions
