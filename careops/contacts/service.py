"""Contact rules: normalised email and phone, uniqueness per workspace, one conversation each.

Other domains (public booking, the contact form, inbound messages) find or
create customers through :func:`find_or_create`.

Contacts sits below the domains that point at customers (bookings, the inbox,
forms) and imports none of them. What a contact needs from them is registered
from their ``receivers.py``: what opens with a new contact
(:func:`register_contact_opener`: the inbox opens its conversation) and the
sections of the contact card (:func:`register_card_section`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import marshmallow as ma
import sqlalchemy as sa

from careops import events, versioned_cache
from careops.contacts.models import Contact
from careops.db import WorkspaceRepository, new_id, utcnow
from careops.errors import Conflict, ValidationFailed
from careops.event_types import ContactCreated
from careops.extensions import db
from careops.fields import normalize_phone
from careops.workspaces.service import get_workspace

#: What a phone number typed into the search box looks like.
PHONE_QUERY = re.compile(r"\+?[\d\s().-]+")

#: name -> opens(workspace_id, contact_id), see :func:`register_contact_opener`
_OPENERS: dict[str, Callable[[str, str], None]] = {}

#: The contact card's sections (:func:`detail`) and what each shows while no domain fills it.
CARD_SECTIONS: dict[str, Callable[[], object]] = {"conversation_id": lambda: None, "bookings": list, "forms": list}
#: section -> reader(workspace_id, contact_id), see :func:`register_card_section`
_CARD_READERS: dict[str, Callable[[str, str], object]] = {}


def register_contact_opener(name: str, opens: Callable[[str, str], None]) -> None:
    """``opens(workspace_id, contact_id)`` runs for every new contact, in the transaction that creates it.

    Not the ``contact_created`` event: the outbox delivers that after the commit,
    and a contact must never be seen without what opens with it (the inbox opens
    its one conversation). ``opens`` adds its rows and does not commit.
    Registering a name again replaces it.
    """
    _OPENERS[name] = opens


def register_card_section(name: str, reader: Callable[[str, str], object]) -> None:
    """``reader(workspace_id, contact_id)`` fills section ``name`` of the contact card.

    ``name`` is one of :data:`CARD_SECTIONS` (the card's schema names no other);
    registering it again replaces its reader.
    """
    if name not in CARD_SECTIONS:
        raise ValueError(f"The contact card has no section {name!r}: one of {', '.join(CARD_SECTIONS)}")
    _CARD_READERS[name] = reader


def _phone(workspace_id: str, phone: str | None) -> str | None:
    if not phone:
        return None
    country = get_workspace(workspace_id).country  # loaded already on the public booking path
    try:
        return normalize_phone(phone, country)
    except ma.ValidationError as exc:
        # Say which country a number without "+<code>" was read in: the customer sees what to fix.
        raise ValidationFailed(
            {
                "phone": [
                    f"{m} Without a country code it is read as a number in {country}; "
                    "write it as +<country code> <number>."
                    for m in exc.messages
                ]
            }
        ) from None


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
    return Conflict(
        f"A contact with this email or phone already exists: {existing.id}", extra={"existing_id": existing.id}
    )


def create(
    workspace_id: str,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    tags: list | None = None,
    source: str = "staff",
    commit: bool = True,
) -> Contact:
    repo = WorkspaceRepository(workspace_id)
    phone = _phone(workspace_id, phone)
    existing = _clash(repo, email, phone)
    if existing:
        raise _conflict(existing)
    try:
        contact = _insert(repo, name=name, email=email, phone=phone, tags=tags, source=source)
        if commit:
            db.session.commit()
        else:
            db.session.flush()  # _insert does not: a clash must be met here, to be answered below
    except sa.exc.IntegrityError:
        # A concurrent request created the same customer after our check (the flush
        # or the commit meets the unique constraint).
        db.session.rollback()
        existing = _clash(repo, email, phone)
        if existing:
            raise _conflict(existing) from None
        raise
    return contact


def _insert(repo: WorkspaceRepository, *, name, email, phone, tags, source) -> Contact:
    # Not flushed here: the id is given now, so what opens with the contact and its event
    # refer to it, and the contact goes in with the caller's next flush. The rows that refer
    # to it (its conversation, a booking) declare a relationship() to Contact, which makes the
    # unit of work insert the contact first; a booking and its new customer then cost one
    # flush and one audit INSERT instead of two.
    contact = repo.add(
        Contact(id=new_id(), name=name, email=email, phone=phone, tags=list(dict.fromkeys(tags or [])), source=source)
    )
    for opens in _OPENERS.values():
        opens(repo.workspace_id, contact.id)
    events.emit(ContactCreated(contact_id=contact.id, source=source), repo.workspace_id)
    return contact


def find_or_create(
    workspace_id: str, *, name: str, email: str | None = None, phone: str | None = None, source: str = "public"
) -> tuple[Contact, bool]:
    """The contact with this email or phone, or a new one; ``(contact, created)``. Not committed.

    A found contact gets a missing email or phone filled in, never overwritten.
    A new contact is added, not flushed (see :func:`_insert`). The caller commits; a
    concurrent creation of the same customer raises ``sqlalchemy.exc.IntegrityError``
    at the caller's next flush or commit: the caller rolls back and retries, and then
    finds the contact.
    """
    repo = WorkspaceRepository(workspace_id)
    phone = _phone(workspace_id, phone)
    contact = None
    if email:
        contact = repo.first(Contact, Contact.email == email)
    if contact is None and phone:
        contact = repo.first(Contact, Contact.phone == phone)
    if contact is not None:
        if email and not contact.email and not _clash(repo, email, None, exclude_id=contact.id):
            contact.email = email
        if phone and not contact.phone and not _clash(repo, None, phone, exclude_id=contact.id):
            contact.phone = phone
        contact.last_activity_at = utcnow()
        return contact, False
    return _insert(repo, name=name, email=email, phone=phone, tags=[], source=source), True


def update(workspace_id: str, contact_id: str, changes: dict) -> Contact:
    """Apply ``changes``; everything is checked before anything is written."""
    repo = WorkspaceRepository(workspace_id)
    contact = repo.get(Contact, contact_id)
    changes = dict(changes)
    if "phone" in changes:
        changes["phone"] = _phone(workspace_id, changes["phone"])
    if "tags" in changes:
        changes["tags"] = list(dict.fromkeys(changes["tags"]))
    email = changes.get("email", contact.email)
    phone = changes.get("phone", contact.phone)
    if not email and not phone:
        raise ValidationFailed({"email": ["A contact needs an email or a phone number."]})
    existing = _clash(repo, changes.get("email"), changes.get("phone"), exclude_id=contact.id)
    if existing:
        raise _conflict(existing)
    if "email" in changes and changes["email"] != contact.email:
        contact.email_undeliverable = False  # a new address has not bounced
    for key, value in changes.items():
        setattr(contact, key, value)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        existing = _clash(repo, changes.get("email"), changes.get("phone"), exclude_id=contact_id)
        if existing:
            raise _conflict(existing) from None
        raise
    return contact


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` literally anywhere (``%`` and ``_`` are not wildcards)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phone_criteria(workspace_id: str, q: str) -> list:
    """Phone matches for ``q`` as typed: its digits anywhere, or the whole number read in the workspace's country."""
    digits = re.sub(r"\D", "", q)
    if len(digits) < 3 or not PHONE_QUERY.fullmatch(q):
        return []
    criteria = [Contact.phone.like(_like(digits), escape="\\")]
    try:
        criteria.append(Contact.phone == _phone(workspace_id, q))
    except ValidationFailed:
        pass
    return criteria


#: The contacts list's totals (:func:`cached_total`). A search reads the contacts' names,
#: emails and phones, and a phone typed without its country code is read in the
#: workspace's country: a write to either table replaces the workspace's version.
LIST_TOTALS = versioned_cache.Namespace("contacts", {"contacts", "workspaces"}, max_entries=1024)


def cached_total(workspace_id: str, filters: dict):
    """The total of the list :func:`search` gives for ``filters`` (the list's query), kept until a contact changes.

    Counting every matching contact was more of the list's database time than its
    page (1.4 ms on PostgreSQL for 10,000 contacts). For ``WorkspaceRepository.page``.
    """
    return LIST_TOTALS.cached_total(workspace_id, "contact list total", versioned_cache.filters_key(filters))


def search(workspace_id: str, q: str | None) -> sa.Select:
    """Contacts whose name, email or phone contains ``q`` (case-insensitive), most recently active first."""
    repo = WorkspaceRepository(workspace_id)
    criteria = []
    q = (q or "").strip()
    if q:
        like = _like(q.lower())
        criteria.append(
            sa.or_(
                sa.func.lower(Contact.name).like(like, escape="\\"),
                Contact.email.like(like, escape="\\"),
                *_phone_criteria(workspace_id, q),
            )
        )
    return repo.select(Contact, *criteria).order_by(Contact.last_activity_at.desc(), Contact.id)


def get(workspace_id: str, contact_id: str) -> Contact:
    return WorkspaceRepository(workspace_id).get(Contact, contact_id)


def find_by_phone(workspace_id: str, phone: str) -> Contact | None:
    """The contact with this (normalised) phone number, or None."""
    return WorkspaceRepository(workspace_id).first(Contact, Contact.phone == phone)


def mark_email_undeliverable(workspace_id: str, contact_id: str, address: str | None) -> bool:
    """A hard bounce from ``address``: True when it is the contact's email, now marked undeliverable. Not committed.

    Only the address that bounced: a contact who has since given another one stays reachable.
    """
    contact = get(workspace_id, contact_id)
    if not contact.email or contact.email != (address or "").lower():
        return False
    contact.email_undeliverable = True
    return True


def with_contact_name(stmt: sa.Select, contact_id) -> sa.Select:
    """``stmt`` joined to the contact its column ``contact_id`` names, the contact's name added as a column.

    For a list of another domain's rows that shows whose they are, in the same query.
    """
    return stmt.add_columns(Contact.name).join(Contact, Contact.id == contact_id)


def join_contact(stmt: sa.Select, contact_id) -> sa.Select:
    """``stmt`` joined to the contact its column ``contact_id`` names, for criteria from :func:`contact_like`."""
    return stmt.join(Contact, Contact.id == contact_id)


def contact_like(text_pattern: str, phone_pattern: str) -> sa.ColumnElement[bool]:
    """In a statement from :func:`join_contact`: the contact's lower-cased name or its email is LIKE
    ``text_pattern``, or its phone is LIKE ``phone_pattern``."""
    return sa.or_(
        sa.func.lower(Contact.name).like(text_pattern),
        Contact.email.like(text_pattern),
        Contact.phone.like(phone_pattern),
    )


def detail(workspace_id: str, contact_id: str) -> dict:
    """The contact card: the contact and the sections other domains fill (its conversation, bookings, forms)."""
    contact = WorkspaceRepository(workspace_id).get(Contact, contact_id)
    sections = {
        name: reader(workspace_id, contact.id) if (reader := _CARD_READERS.get(name)) else empty()
        for name, empty in CARD_SECTIONS.items()
    }
    return {
        **{
            c: getattr(contact, c)
            for c in (
                "id",
                "name",
                "email",
                "phone",
                "source",
                "tags",
                "created_at",
                "last_activity_at",
                "sms_opted_out",
                "email_undeliverable",
            )
        },
        **sections,
    }
