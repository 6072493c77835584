"""Availability rules: the weekly hours (replaced as a whole) and per-date overrides.

The booking engine reads them through :func:`rules` and :func:`overrides_between`.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from careops.availability.models import AvailabilityOverride, AvailabilityRule
from careops.db import WorkspaceRepository
from careops.errors import NotFound, ValidationFailed
from careops.extensions import db


def rules(workspace_id: str) -> list[AvailabilityRule]:
    return WorkspaceRepository(workspace_id).all(
        AvailabilityRule, order_by=(AvailabilityRule.weekday, AvailabilityRule.start, AvailabilityRule.position)
    )


def has_rules(workspace_id: str) -> bool:
    return WorkspaceRepository(workspace_id).first(AvailabilityRule) is not None


def put_rules(workspace_id: str, new_rules: list[dict]) -> list[AvailabilityRule]:
    """Replace every weekly rule (the schema has refused overlaps already)."""
    repo = WorkspaceRepository(workspace_id)
    _check_services(repo, [sid for rule in new_rules for sid in (rule.get("service_ids") or [])])
    db.session.execute(sa.delete(AvailabilityRule).where(*WorkspaceRepository(workspace_id).criteria(AvailabilityRule)))
    for position, rule in enumerate(new_rules):
        repo.add(
            AvailabilityRule(
                weekday=rule["weekday"],
                start=rule["start"],
                end=rule["end"],
                service_ids=_ids(rule.get("service_ids")),
                position=position,
            )
        )
    db.session.commit()
    return rules(workspace_id)


def overrides_listing(workspace_id: str, first: date | None = None, last: date | None = None) -> sa.Select:
    criteria = []
    if first is not None:
        criteria.append(AvailabilityOverride.date >= first)
    if last is not None:
        criteria.append(AvailabilityOverride.date <= last)
    return (
        WorkspaceRepository(workspace_id)
        .select(AvailabilityOverride, *criteria)
        .order_by(AvailabilityOverride.date, AvailabilityOverride.start, AvailabilityOverride.id)
    )


def overrides_between(workspace_id: str, first: date, last: date) -> list[AvailabilityOverride]:
    return list(db.session.scalars(overrides_listing(workspace_id, first, last)))


def create_override(workspace_id: str, data: dict) -> AvailabilityOverride:
    repo = WorkspaceRepository(workspace_id)
    service_ids = _ids(data.get("service_ids"))
    _check_services(repo, service_ids or [])
    if not data["closed"]:
        for other in repo.all(
            AvailabilityOverride, AvailabilityOverride.date == data["date"], AvailabilityOverride.closed.is_(False)
        ):
            if (
                data["start"] < other.end
                and other.start < data["end"]
                and (service_ids is None or other.service_ids is None or set(service_ids) & set(other.service_ids))
            ):
                raise ValidationFailed({"start": [f"Overlaps the override {other.id} for the same service."]})
    override = repo.add(
        AvailabilityOverride(
            date=data["date"],
            closed=data["closed"],
            start=data.get("start"),
            end=data.get("end"),
            service_ids=service_ids,
        )
    )
    db.session.commit()
    return override


def delete_override(workspace_id: str, override_id: str) -> None:
    override = WorkspaceRepository(workspace_id).get(AvailabilityOverride, override_id)
    db.session.delete(override)
    db.session.commit()


def _ids(service_ids) -> list[str] | None:
    return list(dict.fromkeys(service_ids)) if service_ids else None


def _check_services(repo: WorkspaceRepository, service_ids: list[str]) -> None:
    from careops.services import service as services

    missing = services.unknown_service_ids(repo.workspace_id, service_ids)
    if missing:
        raise NotFound(f"Service not found: {missing[0]}")
