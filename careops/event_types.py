"""What each domain event says: one frozen dataclass per event, its fields the payload.

A service builds the event and hands it to :func:`careops.events.emit`
(``emit(BookingCreated(booking_id=b.id, source="staff"), workspace_id)``).
Building it checks the payload — a missing or unknown field, or a value of the
wrong type, raises :class:`TypeError` — so a wrong payload fails where it is
written, before anything reaches the outbox. :mod:`careops.events` owns the
signals and the outbox; this module owns only the payloads and their JSON form.

The outbox stores :meth:`Event.to_payload` (``dataclasses.asdict`` with every
datetime as an ISO 8601 string in UTC) under the event's name;
:func:`from_payload` rebuilds the dataclass at delivery. Datetimes must be
timezone-aware and are normalised to UTC when the event is built, so
``from_payload(name, to_payload(e)) == e`` exactly.

The catalogue ``docs/events.md`` is generated from these classes: after
changing one, run ``python -m careops.event_types`` (tests/events/test_event_docs.py
fails while the document is out of date).
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "events.md"


def meaning(text: str) -> dict[str, str]:
    """A payload field's metadata: what it means (read by the catalogue)."""
    return {"doc": text}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event; a subclass sets :attr:`name` and documents when it is emitted."""

    #: The signal (and outbox) name, e.g. ``"booking_created"``.
    name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            checked = _check(type(self).__name__, f.name, hints[f.name], value)
            if checked is not value:
                object.__setattr__(self, f.name, checked)  # frozen: normalised once, here

    def to_payload(self) -> dict[str, Any]:
        """The JSON-ready payload written to the outbox (datetimes as ISO strings)."""
        # dataclasses.asdict, without its deep copy: every value is an immutable scalar.
        payload = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in payload.items()}


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    # Kept: resolving the annotations costs more than the check itself, on every emit.
    # (A dict rather than functools.cache: one entry per event class, and typed.)
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _allowed(annotation: Any) -> tuple[Any, ...]:
    """The concrete types of ``annotation`` (``str | None`` → ``(str, NoneType)``)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def _check(event: str, name: str, annotation: Any, value: Any) -> Any:
    """``value`` if it fits ``annotation`` (an int for a float becomes a float; a datetime goes to UTC)."""
    allowed = _allowed(annotation)
    if value is None and type(None) in allowed:
        return value
    if isinstance(value, bool):  # a bool is an int in Python, never a payload value here
        pass
    elif float in allowed and isinstance(value, (int, float)):
        return float(value)
    elif datetime in allowed and isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError(f"{event}.{name} must be a timezone-aware datetime, not naive {value!r}")
        return value.astimezone(UTC)
    elif any(t is not type(None) and isinstance(value, t) for t in allowed):
        return value
    expected = " or ".join("None" if t is type(None) else t.__name__ for t in allowed)
    raise TypeError(f"{event}.{name} must be {expected}, not {type(value).__name__} {value!r}")


def _from_json(annotation: Any, value: Any) -> Any:
    if isinstance(value, str) and datetime in _allowed(annotation):
        return datetime.fromisoformat(value)
    return value


# ---------------------------------------------------------------- the catalogue


@dataclass(frozen=True, kw_only=True)
class ContactCreated(Event):
    """A contact was created: by staff, by a public booking, by the contact form or by an inbound message."""

    name: ClassVar[str] = "contact_created"
    contact_id: str = field(metadata=meaning("The new contact's id."))
    source: str = field(
        metadata=meaning(
            "Where it came from: `staff`, `public` (a booking page), `contact_form` or `inbound` (a message)."
        )
    )


@dataclass(frozen=True, kw_only=True)
class BookingCreated(Event):
    """A booking was made (by staff or on the public booking page), in the transaction that inserts it."""

    name: ClassVar[str] = "booking_created"
    booking_id: str = field(metadata=meaning("The new booking's id."))
    source: str = field(metadata=meaning("Who booked: `staff` or `public`."))


@dataclass(frozen=True, kw_only=True)
class BookingStatusChanged(Event):
    """A booking moved along its status machine (confirmed, completed, no-show, cancelled…)."""

    name: ClassVar[str] = "booking_status_changed"
    booking_id: str = field(metadata=meaning("The booking's id."))
    old_status: str = field(metadata=meaning("Its status before the change."))
    new_status: str = field(metadata=meaning("Its status now."))


@dataclass(frozen=True, kw_only=True)
class BookingRescheduled(Event):
    """A pending or confirmed booking was moved to another start time."""

    name: ClassVar[str] = "booking_rescheduled"
    booking_id: str = field(metadata=meaning("The booking's id."))
    old_start: datetime = field(
        metadata=meaning("Its start before the move (UTC; an ISO 8601 string in the outbox and the keyword arguments).")
    )
    new_start: datetime = field(
        metadata=meaning("Its start now (UTC; an ISO 8601 string in the outbox and the keyword arguments).")
    )


@dataclass(frozen=True, kw_only=True)
class BookingCancelled(Event):
    """A booking was cancelled (emitted after its `booking_status_changed`)."""

    name: ClassVar[str] = "booking_cancelled"
    booking_id: str = field(metadata=meaning("The booking's id."))
    by: str = field(metadata=meaning("Who cancelled: `customer` or `staff`."))


@dataclass(frozen=True, kw_only=True)
class MessageReceived(Event):
    """A customer's message (email, SMS or contact form) was stored in its conversation."""

    name: ClassVar[str] = "message_received"
    message_id: str = field(metadata=meaning("The stored message's id."))
    conversation_id: str = field(metadata=meaning("Its conversation's id."))
    contact_id: str = field(metadata=meaning("The contact who wrote it."))
    channel: str = field(metadata=meaning("The channel it came by, e.g. `email` or `sms`."))


@dataclass(frozen=True, kw_only=True)
class StaffReplied(Event):
    """A staff member replied in a conversation (the reply is queued for sending)."""

    name: ClassVar[str] = "staff_replied"
    message_id: str = field(metadata=meaning("The reply's message id."))
    conversation_id: str = field(metadata=meaning("The conversation replied in."))
    user_id: str = field(metadata=meaning("The staff user who replied."))


@dataclass(frozen=True, kw_only=True)
class FormSent(Event):
    """A form request was sent to the customer for a booking (one event per form)."""

    name: ClassVar[str] = "form_sent"
    submission_id: str = field(metadata=meaning("The form submission awaiting the customer's answers."))
    booking_id: str = field(metadata=meaning("The booking it belongs to."))


@dataclass(frozen=True, kw_only=True)
class FormSubmitted(Event):
    """A customer submitted a form (the submission is completed)."""

    name: ClassVar[str] = "form_submitted"
    submission_id: str = field(metadata=meaning("The completed form submission."))


@dataclass(frozen=True, kw_only=True)
class FormOverdue(Event):
    """A pending form passed its due time (it is marked overdue and an alert is raised)."""

    name: ClassVar[str] = "form_overdue"
    submission_id: str = field(metadata=meaning("The overdue form submission."))


@dataclass(frozen=True, kw_only=True)
class InventoryLow(Event):
    """An inventory item went from enough stock to at or below its low-stock threshold."""

    name: ClassVar[str] = "inventory_low"
    item_id: str = field(metadata=meaning("The inventory item's id."))
    quantity: float = field(metadata=meaning("Its quantity now."))
    threshold: float = field(metadata=meaning("Its low-stock threshold."))


@dataclass(frozen=True, kw_only=True)
class WorkspaceActivated(Event):
    """A workspace was activated: its public pages are open. No payload."""

    name: ClassVar[str] = "workspace_activated"


@dataclass(frozen=True, kw_only=True)
class MessageFailed(Event):
    """Every provider failed to send an outgoing message (it is marked failed and an alert is raised)."""

    name: ClassVar[str] = "message_failed"
    message_id: str = field(metadata=meaning("The failed message's id."))
    error: str = field(metadata=meaning("The providers' error, cut to 500 characters."))


@dataclass(frozen=True, kw_only=True)
class AlertRaised(Event):
    """An alert was opened (none of its kind was open for the same entity)."""

    name: ClassVar[str] = "alert_raised"
    alert_id: str = field(metadata=meaning("The new alert's id."))
    kind: str = field(metadata=meaning("The alert kind (`careops.alerts.models.KINDS`), e.g. `delivery_failed`."))
    severity: str = field(metadata=meaning("`info`, `warning` or `critical` (`careops.alerts.models.SEVERITIES`)."))
    entity_type: str | None = field(
        metadata=meaning("The kind of thing it is about (`booking`, `conversation`…), if any.")
    )
    entity_id: str | None = field(metadata=meaning("The id of the thing it is about, if any."))
    link: str | None = field(metadata=meaning("The API path of the thing to look at, if any."))


#: Event name → its dataclass; :data:`careops.events.EVENTS` has exactly these names.
EVENT_CLASSES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        ContactCreated,
        BookingCreated,
        BookingStatusChanged,
        BookingRescheduled,
        BookingCancelled,
        MessageReceived,
        StaffReplied,
        FormSent,
        FormSubmitted,
        FormOverdue,
        InventoryLow,
        WorkspaceActivated,
        MessageFailed,
        AlertRaised,
    )
}


def build(name: str, payload: dict[str, Any]) -> Event:
    """Event ``name`` from keyword values (Python types); :class:`TypeError` when they do not fit.

    ``ValueError`` for an unknown event name.
    """
    cls = EVENT_CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown event {name!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(payload) - names)
    missing = sorted(names - set(payload))
    if unknown or missing:
        parts = ([f"unknown field(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing field(s) {', '.join(missing)}"] if missing else []
        )
        raise TypeError(
            f"{cls.__name__} ({name}): {'; '.join(parts)}; its fields are: {', '.join(sorted(names)) or 'none'}"
        )
    return cls(**payload)


def from_payload(name: str, payload: dict[str, Any]) -> Event:
    """Rebuild event ``name`` from its outbox JSON (the inverse of :meth:`Event.to_payload`)."""
    cls = EVENT_CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown event {name!r}")
    hints = _hints(cls)
    return build(name, {k: _from_json(hints.get(k), v) for k, v in payload.items()})


# ---------------------------------------------------------------- docs/events.md


def _type_name(annotation: Any) -> str:
    # "or", not "|": a pipe, even in a code span, ends a Markdown table cell.
    return " or ".join(f"`{'None' if t is type(None) else t.__name__}`" for t in _allowed(annotation))


def render_catalogue() -> str:
    """The text of ``docs/events.md``, generated from :data:`EVENT_CLASSES`."""
    lines = [
        "# Domain events",
        "",
        "_Generated from `careops/event_types.py`: do not edit by hand; regenerate with",
        "`python -m careops.event_types` (tests/events/test_event_docs.py fails while this file is out of date)._",
        "",
        "A service emits each event in the transaction of the change it announces; after the commit",
        "the outbox delivers it to every receiver (`careops.events`). A receiver is called as",
        "`receiver(workspace_id, event_id=…, workspace_id=…, occurred_at=…, event=<the dataclass>, **fields)`:",
        "the fields below arrive both as keyword arguments (as stored in the outbox JSON, so a",
        "datetime is an ISO 8601 string there) and on `event` (typed: a datetime is an aware `datetime`",
        "in UTC). Accept `**kwargs`: fields may be added. How a plugin connects receivers:",
        "[plugins.md](plugins.md#careops_event_receivers--react-to-what-happens).",
        "",
        "| Event | Dataclass | Emitted when |",
        "|---|---|---|",
    ]
    for name, cls in EVENT_CLASSES.items():
        lines.append(f"| [`{name}`](#{name}) | `{cls.__name__}` | {_when(cls)} |")
    for name, cls in EVENT_CLASSES.items():
        lines += ["", f"## `{name}`", "", f"`careops.event_types.{cls.__name__}` — {_when(cls)}", ""]
        fields = dataclasses.fields(cls)
        if not fields:
            lines.append("No fields.")
            continue
        hints = _hints(cls)
        lines += ["| Field | Type | Meaning |", "|---|---|---|"]
        for f in fields:
            lines.append(f"| `{f.name}` | {_type_name(hints[f.name])} | {f.metadata.get('doc', '')} |")
    return "\n".join(lines) + "\n"


def _when(cls: type[Event]) -> str:
    return " ".join((cls.__doc__ or "").split())


def main(argv: list[str] | None = None) -> int:
    """``python -m careops.event_types``: rewrite docs/events.md (``--check``: exit 1 if it is stale)."""
    argv = sys.argv[1:] if argv is None else argv
    text = render_catalogue()
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else None
    if "--check" in argv:
        if current != text:
            print(f"{DOC_PATH} is out of date: run python -m careops.event_types", file=sys.stderr)
            return 1
        return 0
    if current != text:
        DOC_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
