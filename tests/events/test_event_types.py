"""Typed events: every payload is its dataclass, checked at emit, rebuilt at delivery."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import typing
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from careops import event_types, events
from careops.event_types import (
    EVENT_CLASSES,
    AlertRaised,
    BookingRescheduled,
    ContactCreated,
    Event,
    InventoryLow,
    WorkspaceActivated,
)
from careops.events import OutboxEvent
from careops.extensions import db

#: A receiver's keyword arguments that are not payload: no field may take these names.
RESERVED = {"sender", "event", "event_id", "workspace_id", "occurred_at"}
#: Not UTC on purpose, with microseconds: the round trip must keep the instant exactly.
PARIS_SUMMER = timezone(timedelta(hours=2))

received: list[dict] = []


def recording_receiver(sender, **kwargs):
    received.append(kwargs)


def sample(cls: type[Event]) -> Event:
    """An instance of ``cls`` with a value of every field's type (optional fields filled in)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for position, f in enumerate(dataclasses.fields(cls)):
        allowed = event_types._allowed(hints[f.name])
        if datetime in allowed:
            values[f.name] = datetime(2026, 7, 1, 9, 30, 15, 123456 + position, tzinfo=PARIS_SUMMER)
        elif float in allowed:
            values[f.name] = 2.5 + position
        else:
            values[f.name] = f"{f.name}-{position}"
    return cls(**values)


@pytest.fixture
def receiver():
    received.clear()
    connected = []

    def connect(name: str):
        events.EVENTS[name].connect(recording_receiver)
        connected.append(name)

    yield connect
    for name in connected:
        events.EVENTS[name].disconnect(recording_receiver)


def outbox_rows(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxEvent)))


# ---------------------------------------------------------------- the catalogue


def test_signals_and_dataclasses_are_one_to_one():
    assert set(events.EVENTS) == set(EVENT_CLASSES)
    assert len(set(EVENT_CLASSES.values())) == len(EVENT_CLASSES)
    for name, cls in EVENT_CLASSES.items():
        assert cls.name == name
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, name
        assert cls.__name__ in events.EVENTS[name].__doc__


@pytest.mark.parametrize("cls", EVENT_CLASSES.values(), ids=list(EVENT_CLASSES))
def test_every_field_is_documented_and_no_field_shadows_a_receiver_argument(cls):
    assert cls.__doc__ and cls.__doc__ != Event.__doc__
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        assert f.metadata.get("doc"), f"{cls.__name__}.{f.name} has no meaning"
        assert f.name not in RESERVED, f"{cls.__name__}.{f.name} would clash with the receiver's keyword"
        assert set(event_types._allowed(hints[f.name])) <= {str, float, datetime, type(None)}, f.name


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("cls", EVENT_CLASSES.values(), ids=list(EVENT_CLASSES))
def test_every_event_round_trips_through_the_outbox_json(cls):
    event = sample(cls)
    stored = json.loads(json.dumps(event.to_payload()))
    rebuilt = event_types.from_payload(cls.name, stored)
    assert rebuilt == event and type(rebuilt) is cls
    for f in dataclasses.fields(cls):  # the same instant, and the same tzinfo: exactly equal
        assert repr(getattr(rebuilt, f.name)) == repr(getattr(event, f.name))


@pytest.mark.parametrize("cls", EVENT_CLASSES.values(), ids=list(EVENT_CLASSES))
def test_every_event_round_trips_through_an_outbox_row(app, owner, cls):
    event = sample(cls)
    with app.app_context():
        event_id = events.emit(event, owner.workspace_id)
        db.session.flush()
        db.session.expire_all()  # read the row back from the database, not the identity map
        row = db.session.get(OutboxEvent, event_id)
        assert row.name == cls.name
        assert row.payload == json.loads(json.dumps(event.to_payload()))
        assert event_types.from_payload(row.name, row.payload) == event
        db.session.rollback()


def test_datetimes_are_normalised_to_utc_and_stored_as_iso_strings():
    moved = BookingRescheduled(
        booking_id="b1",
        old_start=datetime(2026, 7, 1, 9, 0, tzinfo=PARIS_SUMMER),
        new_start=datetime(2026, 7, 1, 8, 0, 0, 1, tzinfo=UTC),
    )
    assert moved.old_start.tzinfo is UTC and moved.old_start == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert moved.to_payload() == {
        "booking_id": "b1",
        "old_start": "2026-07-01T07:00:00+00:00",
        "new_start": "2026-07-01T08:00:00.000001+00:00",
    }


def test_an_int_quantity_becomes_a_float():
    low = InventoryLow(item_id="i1", quantity=3, threshold=5)
    assert type(low.quantity) is float and low.to_payload() == {"item_id": "i1", "quantity": 3.0, "threshold": 5.0}


def test_optional_fields_take_none():
    alert = AlertRaised(
        alert_id="a1", kind="missed_message", severity="warning", entity_type=None, entity_id=None, link=None
    )
    assert event_types.from_payload("alert_raised", json.loads(json.dumps(alert.to_payload()))) == alert


# ---------------------------------------------------------------- wrong payloads


WRONG = [
    pytest.param(lambda: ContactCreated(contact_id="c1"), "source", id="missing-field"),
    pytest.param(lambda: ContactCreated(contact_id="c1", source="staff", channel="x"), "channel", id="unknown-field"),
    pytest.param(lambda: ContactCreated(contact_id=7, source="staff"), "contact_id must be str", id="int-for-str"),
    pytest.param(lambda: ContactCreated(contact_id=None, source="staff"), "contact_id must be str", id="none-for-str"),
    pytest.param(lambda: InventoryLow(item_id="i", quantity="3", threshold=1.0), "quantity", id="str-for-float"),
    pytest.param(lambda: InventoryLow(item_id="i", quantity=True, threshold=1.0), "quantity", id="bool-for-float"),
    pytest.param(
        lambda: BookingRescheduled(
            booking_id="b", old_start="2026-07-01T09:00:00+00:00", new_start=datetime(2026, 7, 1, tzinfo=UTC)
        ),
        "old_start must be datetime",
        id="str-for-datetime",
    ),
    pytest.param(
        lambda: BookingRescheduled(
            booking_id="b", old_start=datetime(2026, 7, 1), new_start=datetime(2026, 7, 1, tzinfo=UTC)
        ),
        "timezone-aware",
        id="naive-datetime",
    ),
    pytest.param(lambda: ContactCreated("c1", "staff"), "positional", id="positional"),
]


@pytest.mark.parametrize(("build", "message"), WRONG)
def test_a_wrong_payload_fails_when_the_event_is_built(build, message):
    with pytest.raises(TypeError, match=message):
        build()


LEGACY_WRONG = [
    pytest.param("contact_created", {"contact_id": "c1"}, r"missing field\(s\) source", id="missing"),
    pytest.param(
        "contact_created",
        {"contact_id": "c1", "source": "staff", "sorce": "x"},
        r"unknown field\(s\) sorce",
        id="unknown",
    ),
    pytest.param(
        "inventory_low", {"item_id": "i", "quantity": "low", "threshold": 1}, "quantity must be float", id="wrong-type"
    ),
    pytest.param("workspace_activated", {"workspace": "w"}, r"unknown field\(s\) workspace", id="no-payload-event"),
]


@pytest.mark.parametrize(("name", "payload", "message"), LEGACY_WRONG)
def test_a_wrong_payload_raises_at_emit_and_writes_nothing(app, owner, receiver, name, payload, message):
    receiver(name)
    with app.app_context():
        with pytest.raises(TypeError, match=message):
            events.emit(name, owner.workspace_id, **payload)
        db.session.commit()  # nothing was added or queued: the commit writes and delivers nothing
    assert outbox_rows(app) == [] and received == []


def test_emit_refuses_an_event_with_a_keyword_payload_too_and_writes_nothing(app, owner):
    with app.app_context():
        with pytest.raises(TypeError, match="takes no keyword payload"):
            events.emit(ContactCreated(contact_id="c1", source="staff"), owner.workspace_id, source="public")
        with pytest.raises(TypeError, match="needs an event"):
            events.emit({"contact_id": "c1"}, owner.workspace_id)  # type: ignore[arg-type]
        db.session.commit()
    assert outbox_rows(app) == []


def test_the_name_spelling_builds_the_same_event(app, owner):
    with app.app_context():
        first = events.emit("inventory_low", owner.workspace_id, item_id="i1", quantity=2, threshold=4.0)
        second = events.emit(InventoryLow(item_id="i1", quantity=2.0, threshold=4.0), owner.workspace_id)
        rows = {r.id: r for r in db.session.scalars(sa.select(OutboxEvent))}
        assert rows[first].payload == rows[second].payload == {"item_id": "i1", "quantity": 2.0, "threshold": 4.0}
        db.session.rollback()


# ---------------------------------------------------------------- delivery


def test_a_receiver_gets_the_typed_event_and_the_keyword_arguments(app, owner, receiver):
    receiver("booking_rescheduled")
    moved = BookingRescheduled(
        booking_id="b-gone",
        old_start=datetime(2026, 7, 1, 9, 0, 0, 5, tzinfo=UTC),
        new_start=datetime(2026, 7, 2, 9, 0, tzinfo=PARIS_SUMMER),
    )
    with app.app_context():
        event_id = events.emit(moved, owner.workspace_id)
        db.session.commit()  # tasks run immediately in the tests: delivered here
    [kwargs] = received
    assert kwargs["event"] == moved and isinstance(kwargs["event"], BookingRescheduled)
    assert kwargs["event"].new_start == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    # The keyword arguments are the stored JSON, as receivers always got them.
    assert kwargs["old_start"] == "2026-07-01T09:00:00.000005+00:00" and kwargs["booking_id"] == "b-gone"
    assert kwargs["event_id"] == event_id and kwargs["workspace_id"] == owner.workspace_id


def test_a_receiver_of_a_contact_made_over_the_api_gets_its_event(app, owner, receiver):
    receiver("contact_created")
    response = owner.post("/api/v1/contacts", json={"name": "Typed", "email": "typed@example.com"})
    assert response.status_code == 201
    [kwargs] = received
    assert kwargs["event"] == ContactCreated(contact_id=response.get_json()["id"], source="staff")


def test_an_event_without_payload_is_delivered_with_its_event(app, owner, receiver):
    receiver("workspace_activated")
    with app.app_context():
        events.emit(WorkspaceActivated(), owner.workspace_id)
        db.session.commit()
    [kwargs] = received
    assert kwargs["event"] == WorkspaceActivated()


def test_an_outbox_row_of_the_previous_version_still_delivers(app, owner, receiver):
    """The previous version wrote the emit keywords as the payload: the same JSON, rebuilt alike."""
    receiver("contact_created")
    receiver("booking_rescheduled")
    with app.app_context():
        created = OutboxEvent(
            workspace_id=owner.workspace_id, name="contact_created", payload={"contact_id": "c-old", "source": "staff"}
        )
        moved = OutboxEvent(
            workspace_id=owner.workspace_id,
            name="booking_rescheduled",
            payload={
                "booking_id": "b-old",
                "old_start": "2026-07-01T09:00:00+00:00",
                "new_start": "2026-07-01T10:30:00+00:00",
            },
        )
        db.session.add_all([created, moved])
        db.session.commit()  # added directly: nothing queued, delivered by hand below
        created_id, moved_id = created.id, moved.id
        assert events.deliver(created_id) is True
        assert db.session.get(OutboxEvent, created_id).delivered_at is not None
        # (The core's reminder receiver fails on the made-up booking; ours still runs.)
        events.deliver(moved_id)
    [contact_kwargs, moved_kwargs] = received
    assert contact_kwargs["event"] == ContactCreated(contact_id="c-old", source="staff")
    assert moved_kwargs["old_start"] == "2026-07-01T09:00:00+00:00"
    assert moved_kwargs["event"] == BookingRescheduled(
        booking_id="b-old",
        old_start=datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
        new_start=datetime(2026, 7, 1, 10, 30, tzinfo=UTC),
    )


def test_an_old_row_that_no_longer_fits_its_dataclass_is_delivered_without_it(app, owner, receiver, caplog):
    receiver("contact_created")
    with app.app_context():
        row = OutboxEvent(
            workspace_id=owner.workspace_id,
            name="contact_created",
            payload={"contact_id": "c-old", "source": "staff", "origin": "import"},
        )  # since dropped
        db.session.add(row)
        db.session.commit()
        event_id = row.id
        with caplog.at_level(logging.WARNING, logger="careops.events"):
            assert events.deliver(event_id) is True
    [kwargs] = received
    assert kwargs["event"] is None and kwargs["contact_id"] == "c-old" and kwargs["origin"] == "import"
    [warning] = [r for r in caplog.records if r.name == "careops.events"]
    assert event_id in warning.getMessage() and "origin" in warning.getMessage()


def test_every_connected_receiver_accepts_the_event_keyword(app):
    """Core receivers, webhooks and plugins: each takes ``event`` (by name or through ``**kwargs``)."""
    checked = 0
    for name, signal in events.EVENTS.items():
        for fn in signal.receivers_for("any-workspace"):
            parameters = inspect.signature(fn).parameters.values()
            assert any(
                p.kind is p.VAR_KEYWORD or (p.name == "event" and p.kind is not p.POSITIONAL_ONLY) for p in parameters
            ), f"{events.receiver_key(fn)} ({name}) cannot take event="
            checked += 1
    assert checked >= 10  # the core's own receivers are connected: the check looked at something


def test_the_webhook_receiver_builds_its_body_from_the_stored_payload_not_the_object(monkeypatch):
    """The typed object must not leak into a webhook's JSON body (it is not JSON)."""
    from careops.webhooks import receivers as webhook_receivers

    seen = []
    monkeypatch.setattr(webhook_receivers, "fan_out", lambda *args: seen.append(args))
    created = ContactCreated(contact_id="c1", source="staff")
    webhook_receivers.RECEIVERS["contact_created"](
        "ws",
        event_id="e1",
        workspace_id="ws",
        occurred_at=datetime(2026, 7, 1, tzinfo=UTC),
        event=created,
        **created.to_payload(),
    )
    [(_, _, name, _, payload)] = seen
    assert name == "contact_created" and payload == {"contact_id": "c1", "source": "staff"}
