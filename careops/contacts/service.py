"""Contact rules: normalised email and phone, uniqueness per workspace, one conversation each.

Other domains (public booking, the contact form, inbound messages) find or
create customers through :func:`find_or_create`.
"""
from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from careops import events
from careops.contacts.models import Contact
from careops.db import WorkspaceRepository, utcnow
from careops.errors import Conflict, ValidationFailed
from careops.extensions import db
from careops.fields import normalize_phone
from careops.inbox.models import Conversation
from careops.workspaces.models import Workspace


def _phone(workspace_id: str, phone: str | None) -> str | None:
    if not phone:
        return None
    country = db.session.scalar(sa.select(Workspace.country).where(Workspace.id == workspace_id))
    try:
        return normalize_phone(phone, country)
    except ma.ValidationError as exc:
        raise ValidationFailed({"phone": exc.messages}) from None


def _clash(repo: WorkspaceRepository, email: str | None, phone: str | None, exclude_id: str | None = None):
    criteria = []
    if email:
        criteria.append(Contact.email == email)
    if phone:
        criteria.append(Contact.phone == phone)
    if not criteria:
        return None
    extra = [Contact.id != exclude_id] if exclude_id else []
    return repo.first(Contact, sa.or_(*criteria), *extra)


def _conflict(existing: Contact) -> Conflict:
    return Conflict(f"A contact with this email or phone already exists: {existing.id}",
                    extra={"existing_id": existing.id})


def create(workspace_id: str, *, name: str, email: str | None = None, phone: str | None = None,
           tags: list | None = None, source: str = "staff", commit: bool = True) -> Contact:
    repo = WorkspaceRepository(workspace_id)
    phone = _phone(workspace_id, phone)
    existing = _clash(repo, email, phone)
    if existing:
        raise _conflict(existing)
    contact = _insert(repo, name=name, email=email, phone=phone, tags=tags, source=source)
    if commit:
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            existing = _clash(repo, email, phone)
            if existing:
                raise _conflict(existing) from None
            raise
    return contact


def _insert(repo: WorkspaceRepository, *, name, email, phone, tags, source) -> Contact:
    contact = repo.add(Contact(name=name, email=email, phone=phone, tags=list(dict.fromkeys(tags or [])),
                               source=source))
    db.session.flush()
    repo.add(Conversation(contact_id=contact.id))
    events.emit("contact_created", repo.workspace_id, contact_id=contact.id, source=source)
    return contact


def find_or_create(workspace_id: str, *, name: str, email: str | None = None, phone: str | None = None,
                   source: str = "public") -> tuple[Contact, bool]:
    """The contact with this email or phone, or a new one; ``(contact, created)``. Not committed.

    A found contact gets a missing email or phone filled in, never overwritten.
    The caller commits; a concurrent creation of the same customer makes that
    commit fail on the unique constraint, and the caller retries.
    """
    repo = WorkspaceRepository(workspace_id)
    phone = _phone(workspace_id, phone)
    contact = None
    if email:
        contact = repo.first(Contact, Contact.email == email)
    if contact is None and phone:
        contact = repo.first(Contact, Contact.phone == phone)
    if contact is not None:
        if email and not contact.email:
            contact.email = email
        if phone and not contact.phone and not _clash(repo, None, phone, exclude_id=contact.id):
            contact.phone = phone
        contact.last_activity_at = utcnow()
        return contact, False
    return _insert(repo, name=name, email=email, phone=phone, tags=[], source=source), True


def update(workspace_id: str, contact_id: str, changes: dict) -> Contact:
    repo = WorkspaceRepository(workspace_id)
    contact = repo.get(Contact, contact_id)
    if "phone" in changes:
        changes["phone"] = _phone(workspace_id, changes["phone"])
    existing = _clash(repo, changes.get("email"), changes.get("phone"), exclude_id=contact.id)
    if existing:
        raise _conflict(existing)
    if "tags" in changes:
        changes["tags"] = list(dict.fromkeys(changes["tags"]))
    for key, value in changes.items():
        setattr(contact, key, value)
    if not contact.email and not contact.phone:
        raise ValidationFailed({"email": ["A contact needs an email or a phone number."]})
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict("A contact with this email or phone already exists") from None
    return contact


def search(workspace_id: str, q: str | None) -> sa.Select:
    repo = WorkspaceRepository(workspace_id)
    criteria = []
    if q:
        like = f"%{q.strip().lower()}%"
        criteria.append(sa.or_(sa.func.lower(Contact.name).like(like), Contact.email.like(like),
                               Contact.phone.like(f"%{q.strip()}%")))
    return repo.select(Contact, *criteria).order_by(Contact.last_activity_at.desc(), Contact.id)


def get(workspace_id: str, contact_id: str) -> Contact:
    return WorkspaceRepository(workspace_id).get(Contact, contact_id)


def detail(workspace_id: str, contact_id: str) -> dict:
    """The contact with its conversation id and its 10 most recent bookings."""
    repo = WorkspaceRepository(workspace_id)
    contact = repo.get(Contact, contact_id)
    conversation = repo.first(Conversation, Conversation.contact_id == contact.id)
    bookings = []
    try:
        from careops.bookings.models import Booking
    except ImportError:  # the booking engine is optional for contacts
        Booking = None
    if Booking is not None:
        bookings = repo.all(Booking, Booking.contact_id == contact.id, order_by=Booking.start.desc())[:10]
    return {**{c: getattr(contact, c) for c in ("id", "name", "email", "phone", "source", "tags", "created_at",
                                                "last_activity_at")},
            "conversation_id": conversation.id if conversation else None, "bookings": bookings}
