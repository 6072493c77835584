"""Form templates: writing them, linking them to services, importing plugins' packs.

Which services send a template lives on the service (``form_template_ids``);
a template's ``service_ids`` are read from the workspace's services and
written back to them, so the two views can never disagree. A template that
submissions were sent from is never rewritten under them: each submission
keeps the fields it was sent with, a change of fields bumps ``version``, and
deleting such a template deactivates it instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import marshmallow as ma
import sqlalchemy as sa

from careops.db import WorkspaceRepository, insert_or_ignore, new_id, utcnow
from careops.errors import ValidationFailed
from careops.extensions import db
from careops.forms.models import FormSubmission, FormTemplate
from careops.forms.schemas import FormTemplateSchema
from careops.services.service import (
    form_template_ids_of,
    form_templates_by_service,
    link_form_template,
    unknown_service_ids,
)

log = logging.getLogger(__name__)
_WRITABLE = ("name", "description", "fields", "due_after_hours")


# --- reading -------------------------------------------------------------------------------------


def services_by_template(workspace_id: str) -> dict[str, list[str]]:
    """``{template id: [service ids]}`` from the workspace's services (in their creation order)."""
    linked: dict[str, list[str]] = {}
    for service_id, template_ids in form_templates_by_service(workspace_id):
        for template_id in template_ids:
            linked.setdefault(template_id, []).append(service_id)
    return linked


def as_dict(template: FormTemplate, service_ids: list[str]) -> dict:
    return {
        **{
            c: getattr(template, c)
            for c in (
                "id",
                "name",
                "description",
                "fields",
                "due_after_hours",
                "pack_key",
                "version",
                "is_active",
                "created_at",
                "updated_at",
            )
        },
        "service_ids": service_ids,
    }


def listing(workspace_id: str, *, is_active: bool = True, service_id: str | None = None) -> sa.Select:
    criteria = [FormTemplate.is_active.is_(is_active)]
    if service_id is not None:
        criteria.append(FormTemplate.id.in_(form_template_ids_of(workspace_id, service_id)))
    return (
        WorkspaceRepository(workspace_id)
        .select(FormTemplate, *criteria)
        .order_by(FormTemplate.created_at, FormTemplate.id)
    )


def with_services(workspace_id: str, templates: list[FormTemplate]) -> list[dict]:
    linked = services_by_template(workspace_id)
    return [as_dict(t, linked.get(t.id, [])) for t in templates]


def get(workspace_id: str, template_id: str) -> dict:
    template = WorkspaceRepository(workspace_id).get(FormTemplate, template_id)
    return as_dict(template, services_by_template(workspace_id).get(template.id, []))


def unknown_template_ids(workspace_id: str, template_ids) -> list[str]:
    """The ids among ``template_ids`` that are not active templates of the workspace (for services)."""
    ids = [i for i in dict.fromkeys(template_ids or ()) if isinstance(i, str)]
    if not ids:
        return []
    found = set(
        db.session.scalars(
            sa.select(FormTemplate.id).where(
                *WorkspaceRepository(workspace_id).criteria(FormTemplate),
                FormTemplate.id.in_(ids),
                FormTemplate.is_active.is_(True),
            )
        )
    )
    return [i for i in ids if i not in found]


# --- writing -------------------------------------------------------------------------------------


def create(workspace_id: str, data: dict) -> dict:
    repo = WorkspaceRepository(workspace_id)
    services = _services(repo, data.get("service_ids") or [])
    template = repo.add(FormTemplate(**{k: data[k] for k in _WRITABLE if k in data}))
    db.session.flush()
    _link(repo, template.id, services)
    db.session.commit()
    return get(workspace_id, template.id)


def update(workspace_id: str, template_id: str, changes: dict) -> dict:
    repo = WorkspaceRepository(workspace_id)
    template = repo.get(FormTemplate, template_id)
    services = _services(repo, changes["service_ids"]) if "service_ids" in changes else None
    if services and not template.is_active:
        raise ValidationFailed({"service_ids": ["This template was deleted; it can no longer be sent."]})
    if "fields" in changes and changes["fields"] != template.fields:
        # Submissions keep the fields they were sent with; new ones get this version.
        template.version += 1
    for key in _WRITABLE:
        if key in changes:
            setattr(template, key, changes[key])
    if services is not None:
        _link(repo, template.id, services)
    db.session.commit()
    return get(workspace_id, template.id)


def delete(workspace_id: str, template_id: str) -> None:
    """Remove a template from every service; it is deleted, or deactivated when submissions refer to it."""
    repo = WorkspaceRepository(workspace_id)
    template = repo.get(FormTemplate, template_id)
    _link(repo, template.id, [])
    used = repo.first(FormSubmission, FormSubmission.template_id == template.id) is not None
    if used:
        template.is_active = False
    else:
        db.session.delete(template)
    db.session.commit()


def _services(repo: WorkspaceRepository, service_ids: list[str]) -> list[str]:
    unknown = unknown_service_ids(repo.workspace_id, service_ids)
    if unknown:
        raise ValidationFailed({"service_ids": [f"Unknown service: {sid}" for sid in unknown]})
    return list(service_ids)


def _link(repo: WorkspaceRepository, template_id: str, service_ids: list[str]) -> None:
    """Make exactly ``service_ids`` send the template (the services domain rewrites their ``form_template_ids``)."""
    link_form_template(repo.workspace_id, template_id, service_ids)


# --- packs ---------------------------------------------------------------------------------------

_PACK_TEMPLATE = FormTemplateSchema(only=("name", "description", "fields", "due_after_hours"))


def packs() -> list[dict]:
    """Every plugin's form packs, their templates checked like the owner's; a broken pack is left out (logged).

    When two plugins offer the same key, the one registered last wins, so an
    installed plugin can replace the core's ``basic`` pack.
    """
    from careops.plugins import collect, hook

    found: dict[str, dict] = {}
    for pack in collect(hook().careops_form_packs()):
        key = pack.get("key") if isinstance(pack, dict) else None
        if not isinstance(key, str) or not key or len(key) > 60:
            log.warning("form pack without a valid key ignored: %r", pack)
            continue
        if key in found:
            # pluggy answers the plugin registered last first: like providers, it replaces the earlier one.
            log.warning("form pack %r offered twice; the plugin registered last wins", key)
            continue
        try:
            templates = [_PACK_TEMPLATE.load(t) for t in pack.get("templates") or []]
        except ma.ValidationError as exc:
            log.warning("form pack %r ignored: %s", key, exc.messages)
            continue
        names = [t["name"] for t in templates]
        if not templates or len(names) != len(set(names)):
            log.warning("form pack %r ignored: it needs templates with distinct names", key)
            continue
        found[key] = {
            "key": key,
            "name": str(pack.get("name") or key),
            "description": pack.get("description"),
            "templates": templates,
        }
    return list(found.values())


def import_pack(workspace_id: str, pack_key: str) -> list[dict]:
    """Create the pack's templates in the workspace; the pack's templates there.

    Idempotent per pack: a template imported before (even by a concurrent
    request: the unique (pack, template) constraint decides) is not created
    again, and one deleted while in use comes back active.
    """
    pack = next((p for p in packs() if p["key"] == pack_key), None)
    if pack is None:
        available = ", ".join(sorted(p["key"] for p in packs())) or "none"
        raise ValidationFailed({"pack_key": [f"No form pack '{pack_key}'; available: {available}."]})
    repo = WorkspaceRepository(workspace_id)
    now = utcnow()
    for position, spec in enumerate(pack["templates"]):
        created = now + timedelta(microseconds=position)  # lists show the pack's order
        inserted = insert_or_ignore(
            FormTemplate,
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "name": spec["name"],
                "description": spec["description"],
                "fields": spec["fields"],
                "due_after_hours": spec["due_after_hours"],
                "pack_key": pack_key,
                "pack_template": spec["name"],
                "version": 1,
                "is_active": True,
                "created_at": created,
                "updated_at": created,
            },
        )
        if not inserted:
            db.session.execute(
                sa.update(FormTemplate)
                .where(
                    *WorkspaceRepository(workspace_id).criteria(FormTemplate),
                    FormTemplate.pack_key == pack_key,
                    FormTemplate.pack_template == spec["name"],
                    FormTemplate.is_active.is_(False),
                )
                .values(is_active=True, updated_at=now)
            )
    db.session.commit()
    names = [t["name"] for t in pack["templates"]]
    rows = repo.all(FormTemplate, FormTemplate.pack_key == pack_key, FormTemplate.pack_template.in_(names))
    rows.sort(key=lambda t: names.index(t.pack_template))
    return with_services(workspace_id, rows)
