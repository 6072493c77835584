"""What the services domain answers to others: the ``services`` step of onboarding,
and which services hold a resource.

The asking domains (:func:`careops.workspaces.onboarding.register_check`,
:func:`careops.resources.service.register_holder`) import nothing of services;
the domain that owns the answer registers it. The app factory imports this
module at start.
"""

import sqlalchemy as sa

from careops.db import WorkspaceRepository
from careops.extensions import db
from careops.resources import service as resources
from careops.services.models import Service, ServiceResource
from careops.workspaces import onboarding


@onboarding.register_check("services")
def services_step(workspace_id: str) -> tuple[bool, str]:
    n = len(WorkspaceRepository(workspace_id).all(Service, Service.is_active.is_(True)))
    return n > 0, f"{n} active service(s)" if n else "Create at least one service customers can book"


def active_services_using(workspace_id: str, resource_id: str) -> list[str]:
    """The names of the active services that occupy ``resource_id``, sorted."""
    repo = WorkspaceRepository(workspace_id)
    return list(
        db.session.scalars(
            repo.select(Service, Service.is_active.is_(True))
            .join(ServiceResource, ServiceResource.service_id == Service.id)
            .where(ServiceResource.resource_id == resource_id)
            .with_only_columns(Service.name)
            .order_by(Service.name)
        )
    )


def release_resource(resource_id: str) -> None:
    db.session.execute(sa.delete(ServiceResource).where(ServiceResource.resource_id == resource_id))


resources.register_holder("services", active_users=active_services_using, release=release_resource)
