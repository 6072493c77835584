"""Resource rules: capacity, and no removal of a resource an active service still needs.

Services and bookings point at resources; resources knows neither. Each of
those domains registers itself as a holder (:func:`register_holder`, from its
``receivers.py``): it names the active things that forbid removing a resource,
and lets go of its rows when one is deleted.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from careops.db import WorkspaceRepository
from careops.errors import Conflict, NotFound, ValidationFailed
from careops.extensions import db
from careops.resources.models import Resource

#: holder name -> (names of what forbids removal, or None; release(resource_id), not committed)
_HOLDERS: dict[str, tuple[Callable[[str, str], list[str]] | None, Callable[[str], None]]] = {}


def register_holder(
    name: str, *, release: Callable[[str], None], active_users: Callable[[str, str], list[str]] | None = None
) -> None:
    """Register a domain whose rows point at resources.

    ``active_users(workspace_id, resource_id)`` names what may not lose the
    resource (deactivating or deleting it is refused while any is named);
    ``release(resource_id)`` deletes the domain's rows pointing at it, in the
    caller's transaction. Registering a name again replaces it.
    """
    _HOLDERS[name] = (active_users, release)


def listing(workspace_id: str) -> sa.Select:
    return WorkspaceRepository(workspace_id).select(Resource).order_by(Resource.created_at, Resource.id)


def get(workspace_id: str, resource_id: str) -> Resource:
    return WorkspaceRepository(workspace_id).get(Resource, resource_id)


def add_main_calendar(workspace_id: str) -> Resource:
    """The resource every new workspace starts with (not committed: part of creating the workspace)."""
    return WorkspaceRepository(workspace_id).add(Resource(name="Main calendar", capacity=1))


def first_active_id(workspace_id: str) -> str | None:
    """The oldest active resource: the one a new service occupies when it names none."""
    repo = WorkspaceRepository(workspace_id)
    return db.session.scalars(
        repo.select(Resource, Resource.is_active.is_(True))
        .order_by(Resource.created_at, Resource.id)
        .limit(1)
        .with_only_columns(Resource.id)
    ).first()


def active_capacities(workspace_id: str, resource_ids) -> dict[str, int]:
    """Capacity of each *active* resource among ``resource_ids``: what the booking slots may hold."""
    repo = WorkspaceRepository(workspace_id)
    return {
        r.id: r.capacity for r in repo.all(Resource, Resource.id.in_(list(resource_ids)), Resource.is_active.is_(True))
    }


def check_usable(workspace_id: str, resource_ids: list[str]) -> None:
    """404 for a resource the workspace lacks; 422 naming the inactive ones."""
    repo = WorkspaceRepository(workspace_id)
    missing = repo.ids_exist(Resource, resource_ids)
    if missing:
        raise NotFound(f"Resource not found: {missing[0]}")
    inactive = repo.all(Resource, Resource.id.in_(resource_ids), Resource.is_active.is_(False))
    if inactive:
        raise ValidationFailed({"resource_ids": [f"Resource '{r.name}' is inactive." for r in inactive]})


def create(workspace_id: str, *, name: str, capacity: int = 1, is_active: bool = True) -> Resource:
    resource = WorkspaceRepository(workspace_id).add(Resource(name=name, capacity=capacity, is_active=is_active))
    db.session.commit()
    return resource


def update(workspace_id: str, resource_id: str, changes: dict) -> Resource:
    resource = get(workspace_id, resource_id)
    if changes.get("is_active") is False and resource.is_active:
        _refuse_if_used(workspace_id, resource, "deactivated")
    for key, value in changes.items():
        setattr(resource, key, value)
    db.session.commit()
    return resource


def delete(workspace_id: str, resource_id: str) -> None:
    """Delete a resource no active service uses; inactive services and past bookings let go of it."""
    resource = get(workspace_id, resource_id)
    _refuse_if_used(workspace_id, resource, "deleted")
    # Explicit deletes rather than ON DELETE CASCADE: SQLite enforces no foreign keys by default.
    for _, release in _HOLDERS.values():
        release(resource.id)
    db.session.delete(resource)
    db.session.commit()


def active_service_names(workspace_id: str, resource_id: str) -> list[str]:
    """What the holders name as still using the resource (the active services)."""
    return [
        name
        for active_users, _ in _HOLDERS.values()
        if active_users is not None
        for name in active_users(workspace_id, resource_id)
    ]


def _refuse_if_used(workspace_id: str, resource: Resource, verb: str) -> None:
    names = active_service_names(workspace_id, resource.id)
    if names:
        raise Conflict(
            f"'{resource.name}' cannot be {verb}: active services use it ({', '.join(names)})",
            extra={"service_names": names},
        )
