"""Workspace rules: creation with its defaults, settings, the public contact form."""

from __future__ import annotations

import re
import secrets
import unicodedata

import sqlalchemy as sa

from careops import scoping
from careops.db import new_id
from careops.errors import Conflict, NotFound
from careops.extensions import db
from careops.resources import service as resources
from careops.workspaces import config_cache  # noqa: F401 - its listeners replace the token of every change
from careops.workspaces.models import ContactForm, Workspace

SLUG_MAX = 60


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].strip("-") or "workspace"


#: First path segments that are not workspaces: a business with one of these
#: slugs would have public URLs that collide with the manage-link, form and
#: inbound endpoints under /public/, or with the site-root paths of the pages
#: (careops/pages), the API, static files and operations.
RESERVED_SLUGS = frozenset(
    {
        "bookings",
        "forms",
        "inbound",
        "api",
        "manage",
        "invitations",
        "static",
        "healthz",
        "readyz",
        "metrics",
        "accept-invitation",
        "m",
    }
)


def unique_slug(name: str, *, random_suffix: bool = False) -> str:
    """A slug for ``name`` that no workspace has yet.

    ``random_suffix`` is for a caller that lost a race for the obvious slug
    more than once: counting up would likely collide again.
    """
    base = slugify(name)
    if random_suffix:
        return f"{base[: SLUG_MAX - 7]}-{secrets.token_hex(3)}"
    taken = set(
        db.session.scalars(
            sa.select(Workspace.slug).where(sa.or_(Workspace.slug == base, Workspace.slug.like(f"{base}-%")))
        )
    )
    taken |= RESERVED_SLUGS
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_workspace(name: str, timezone: str = "UTC", country: str = "US", *, random_slug: bool = False) -> Workspace:
    """A workspace in status ``setup`` with its default resource and contact form (not committed).

    The flush raises ``IntegrityError`` when a concurrent creation took the
    same slug first; the caller rolls back and tries again.
    """
    slug = unique_slug(name, random_suffix=random_slug)
    workspace = Workspace(id=new_id(), name=name, slug=slug, timezone=timezone, country=country, status="setup")
    # Whoever creates a workspace (a registration, create-owner, the demo) works for it from here on,
    # from its first flush (the audit entry of its creation is one of its rows).
    scoping.bind_workspace(workspace.id)
    db.session.add(workspace)
    db.session.flush()
    resources.add_main_calendar(workspace.id)
    db.session.add(ContactForm(workspace_id=workspace.id))
    return workspace


def get_workspace(workspace_id: str) -> Workspace:
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("Workspace not found")
    return workspace


def find_workspace(workspace_id: str) -> Workspace | None:
    """The workspace, or None when it is gone (a background job outliving its workspace)."""
    return db.session.get(Workspace, workspace_id)


def get_by_slug(slug: str) -> Workspace:
    workspace = (
        db.session.scalars(sa.select(Workspace).where(Workspace.slug == slug)).first()
        if isinstance(slug, str) and len(slug) <= 80
        else None
    )
    if workspace is None:
        raise NotFound("No such business")
    # The public workspace lookup: a public page or API call by slug works for this workspace.
    scoping.bind_workspace(workspace.id)
    return workspace


def update_workspace(workspace_id: str, changes: dict) -> Workspace:
    workspace = get_workspace(workspace_id)
    if "slug" in changes and changes["slug"] != workspace.slug:
        clash = db.session.scalars(sa.select(Workspace.id).where(Workspace.slug == changes["slug"])).first()
        if clash:
            raise Conflict("That slug is taken by another workspace")
    for key, value in changes.items():
        setattr(workspace, key, value)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict("That slug is taken by another workspace") from None
    return workspace


def set_calendar_token_hash(workspace_id: str, token_hash: str) -> None:
    """Store the digest of the calendar feed's new token: the previous token stops working. Not committed."""
    db.session.execute(sa.update(Workspace).where(Workspace.id == workspace_id).values(calendar_token_hash=token_hash))


def get_contact_form(workspace_id: str) -> ContactForm:
    form = db.session.get(ContactForm, workspace_id)
    if form is None:  # a workspace always has one; recreate rather than fail
        form = ContactForm(workspace_id=workspace_id)
        db.session.add(form)
        db.session.flush()
    return form


def put_contact_form(workspace_id: str, data: dict) -> ContactForm:
    form = get_contact_form(workspace_id)
    form.enabled = data["enabled"]
    form.fields = data["fields"]
    form.success_message = data["success_message"]
    db.session.commit()
    return form


def get_active_by_slug(slug: str) -> Workspace:
    """The workspace behind a public page: 404 for an unknown slug, 409 before activation."""
    return ensure_active(get_by_slug(slug))


def ensure_active(workspace: Workspace) -> Workspace:
    """``workspace``, or 409 ``WORKSPACE_NOT_ACTIVE`` while it is still in setup."""
    if workspace.status != "active":
        raise Conflict("This business is not taking requests yet", error_code="WORKSPACE_NOT_ACTIVE")
    return workspace
