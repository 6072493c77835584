"""Service rules: defaults, the resources a service occupies, deactivation instead of deletion.

Other domains read services through :func:`get` and :func:`active_services`.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from careops.db import WorkspaceRepository
from careops.errors import NotFound, ValidationFailed
from careops.extensions import db
from careops.resources import service as resources
from careops.services.models import Service

_COLUMNS = (
    "name",
    "description",
    "duration_minutes",
    "location",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "booking_horizon_days",
    "requires_confirmation",
    "is_active",
    "form_template_ids",
    "inventory_usage",
)
#: field of a service -> unknown_ids(workspace_id, ids), see :func:`register_reference`
_REFERENCES: dict[str, Callable[[str, list], list[str]]] = {}


def listing(workspace_id: str, is_active: bool | None = None) -> sa.Select:
    criteria = [] if is_active is None else [Service.is_active.is_(is_active)]
    return WorkspaceRepository(workspace_id).select(Service, *criteria).order_by(Service.created_at, Service.id)


def active_services(workspace_id: str) -> list[Service]:
    return WorkspaceRepository(workspace_id).all(
        Service, Service.is_active.is_(True), order_by=(Service.name, Service.id)
    )


def get(workspace_id: str, service_id: str) -> Service:
    """The service (NotFound when missing or another workspace's).

    Through the session's identity map: a booking request reads its service in
    the view, the booking rules and the answer, and only the first read queries.
    """
    service = None
    if isinstance(service_id, str) and len(service_id) <= 36:
        # Its resources in the same statement: every caller of a service reads them.
        service = db.session.get(Service, service_id, options=[joinedload(Service.resource_links)])
    if service is None or service.workspace_id != workspace_id:
        raise NotFound("Service not found")
    return service


def get_active(workspace_id: str, service_id: str) -> Service:
    """A service customers can book; an inactive one is answered 404 like a missing one."""
    service = get(workspace_id, service_id)
    if not service.is_active:
        raise NotFound("Service not found")
    return service


def create(workspace_id: str, data: dict) -> Service:
    repo = WorkspaceRepository(workspace_id)
    resource_ids = data.get("resource_ids") or _default_resource_ids(repo)
    _check_resources(repo, resource_ids)
    _check_form_templates(workspace_id, data.get("form_template_ids"))
    _check_inventory(workspace_id, data.get("inventory_usage"))
    service = Service(**{k: data[k] for k in _COLUMNS if k in data})
    service.slot_interval = data.get("slot_interval_minutes")
    service.resource_ids = resource_ids
    repo.add(service)
    db.session.commit()
    return service


def update(workspace_id: str, service_id: str, changes: dict) -> Service:
    repo = WorkspaceRepository(workspace_id)
    service = repo.get(Service, service_id)
    if "resource_ids" in changes:
        _check_resources(repo, changes["resource_ids"])
        service.resource_ids = changes["resource_ids"]
    elif changes.get("is_active") and not service.is_active:
        # Its resources may have gone while it was inactive.
        if not service.resource_ids:
            raise ValidationFailed({"resource_ids": ["An active service needs at least one resource."]})
        _check_resources(repo, service.resource_ids)
    _check_form_templates(workspace_id, changes.get("form_template_ids"))
    _check_inventory(workspace_id, changes.get("inventory_usage"))
    if "slot_interval_minutes" in changes:
        service.slot_interval = changes["slot_interval_minutes"]
    for key in _COLUMNS:
        if key in changes:
            setattr(service, key, changes[key])
    db.session.commit()
    return service


def deactivate(workspace_id: str, service_id: str) -> None:
    """DELETE: the service stops being bookable; its bookings stay."""
    service = get(workspace_id, service_id)
    service.is_active = False
    db.session.commit()


def with_service(stmt: sa.Select, service_id) -> sa.Select:
    """``stmt`` joined to the service its column ``service_id`` names, the :class:`Service` added as a column.

    For a list of another domain's rows that needs their services, in the same query.
    """
    return stmt.add_columns(Service).join(Service, Service.id == service_id)


def unknown_service_ids(workspace_id: str, service_ids) -> list[str]:
    """The ids among ``service_ids`` that are not services of the workspace (each once, in order)."""
    return WorkspaceRepository(workspace_id).ids_exist(Service, service_ids)


def find_by_name(workspace_id: str, name: str) -> Service | None:
    """The workspace's service called ``name``, or None."""
    return WorkspaceRepository(workspace_id).first(Service, Service.name == name)


# --- what other domains link to a service: its form templates and its inventory usage --------------


def form_template_ids_of(workspace_id: str, service_id: str) -> list[str]:
    """The form templates the service sends after booking; none for an unknown service."""
    service = WorkspaceRepository(workspace_id).first(Service, Service.id == service_id)
    return list(service.form_template_ids) if service else []


def form_templates_by_service(workspace_id: str) -> list[tuple[str, list[str]]]:
    """``(service id, its form template ids)`` of every service, in creation order."""
    rows = db.session.execute(
        sa.select(Service.id, Service.form_template_ids)
        .where(*WorkspaceRepository(workspace_id).criteria(Service))
        .order_by(Service.created_at, Service.id)
    )
    return [(service_id, list(template_ids or ())) for service_id, template_ids in rows]


def link_form_template(workspace_id: str, template_id: str, service_ids) -> None:
    """Make exactly ``service_ids`` send the template (rewrites those services' ``form_template_ids``). Not committed."""
    wanted = set(service_ids)
    for service in WorkspaceRepository(workspace_id).all(Service):
        current = list(service.form_template_ids or [])
        if service.id in wanted and template_id not in current:
            service.form_template_ids = [*current, template_id]  # a new list: JSON columns track assignment
        elif service.id not in wanted and template_id in current:
            service.form_template_ids = [t for t in current if t != template_id]


def inventory_usage_by_service(workspace_id: str) -> list[tuple[str, list[dict]]]:
    """``(service id, its inventory_usage)`` of every service, in creation order (one query)."""
    services = WorkspaceRepository(workspace_id).all(Service, order_by=(Service.created_at, Service.id))
    return [(service.id, list(service.inventory_usage or [])) for service in services]


def set_item_usage(workspace_id: str, item_id: str, quantities: dict[str, float]) -> None:
    """Make exactly the services in ``quantities`` use that much of the item per booking. Not committed.

    The caller checks the ids first (:func:`unknown_service_ids`).
    """
    for service in WorkspaceRepository(workspace_id).all(Service):
        current = list(service.inventory_usage or [])
        kept = [entry for entry in current if entry["item_id"] != item_id]
        if service.id in quantities:
            kept.append({"item_id": item_id, "quantity": quantities[service.id]})
        if kept != current:
            service.inventory_usage = kept  # a new list: the JSON column sees the change


def _default_resource_ids(repo: WorkspaceRepository) -> list[str]:
    first_id = resources.first_active_id(repo.workspace_id)
    if first_id is None:
        raise ValidationFailed({"resource_ids": ["The workspace has no active resource; create one first."]})
    return [first_id]


def register_reference(field: str, unknown_ids: Callable[[str, list], list[str]]) -> None:
    """The domain owning what ``field`` of a service names decides which of its ids are unknown.

    ``unknown_ids(workspace_id, ids)`` returns the ids that are not the workspace's;
    forms registers ``form_template_ids`` and inventory the items of ``inventory_usage``
    (from their ``receivers.py``), so services imports neither.
    """
    _REFERENCES[field] = unknown_ids


def _check_form_templates(workspace_id: str, template_ids) -> None:
    """Only the workspace's active form templates may be sent after booking (the forms domain decides)."""
    unknown = _REFERENCES["form_template_ids"](workspace_id, template_ids)
    if unknown:
        raise ValidationFailed({"form_template_ids": [f"Unknown form template: {t}" for t in unknown]})


def _check_inventory(workspace_id: str, usage) -> None:
    """Every item a service uses is an item of the workspace (the inventory domain decides)."""
    unknown = _REFERENCES["inventory_usage"](workspace_id, [u["item_id"] for u in usage or []])
    if unknown:
        raise ValidationFailed({"inventory_usage": [f"Unknown inventory item: {i}" for i in unknown]})


def _check_resources(repo: WorkspaceRepository, resource_ids: list[str]) -> None:
    resources.check_usable(repo.workspace_id, resource_ids)
