"""Resource rules: capacity, and no removal of a resource an active service still needs."""
from __future__ import annotations

import sqlalchemy as sa

from careops.db import WorkspaceRepository
from careops.errors import Conflict
from careops.extensions import db
from careops.resources.models import Resource


def listing(workspace_id: str) -> sa.Select:
    return WorkspaceRepository(workspace_id).select(Resource).order_by(Resource.created_at, Resource.id)


def get(workspace_id: str, resource_id: str) -> Resource:
    return WorkspaceRepository(workspace_id).get(Resource, resource_id)


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
    from careops.bookings.models import BookingResource
    from careops.services.models import ServiceResource

    resource = get(workspace_id, resource_id)
    _refuse_if_used(workspace_id, resource, "deleted")
    # Explicit deletes rather than ON DELETE CASCADE: SQLite enforces no foreign keys by default.
    db.session.execute(sa.delete(ServiceResource).where(ServiceResource.resource_id == resource.id))
    db.session.execute(sa.delete(BookingResource).where(BookingResource.resource_id == resource.id))
    db.session.delete(resource)
    db.session.commit()


def active_service_names(workspace_id: str, resource_id: str) -> list[str]:
    from careops.services.models import Service, ServiceResource

    repo = WorkspaceRepository(workspace_id)
    return list(db.session.scalars(
        repo.select(Service, Service.is_active.is_(True))
        .join(ServiceResource, ServiceResource.service_id == Service.id)
        .where(ServiceResource.resource_id == resource_id)
        .with_only_columns(Service.name).order_by(Service.name)))


def _refuse_if_used(workspace_id: str, resource: Resource, verb: str) -> None:
    names = active_service_names(workspace_id, resource.id)
    if names:
        raise Conflict(f"'{resource.name}' cannot be {verb}: active services use it ({', '.join(names)})",
                       extra={"service_names": names})
