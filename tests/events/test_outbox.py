"""The outbox: events are delivered after the commit, at least once, each receiver exactly once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from careops import events
from careops.auth.models import User
from careops.events import EventReceipt, OutboxEvent
from careops.extensions import db

calls: list[tuple[str, dict]] = []
failing = {"on": False}


# Receivers are module-level functions: blinker holds them weakly, and their
# receipts are keyed by module and name.
def counting_receiver(sender, **kwargs):
    calls.append(("counting", {"sender": sender, **kwargs}))


def second_receiver(sender, **kwargs):
    calls.append(("second", kwargs))


def slow_receiver(sender, **kwargs):
    calls.append(("slow", kwargs))
    time.sleep(0.2)


def flaky_receiver(sender, **kwargs):
    calls.append(("flaky", kwargs))
    if failing["on"]:
        raise RuntimeError("flaky receiver is down")


def writing_receiver(sender, **kwargs):
    """Writes a row in the dispatcher's transaction; fails at the flush when ``failing``."""
    calls.append(("writing", kwargs))
    email = db.session.scalars(sa.select(User.email)).first() if failing["on"] else f"{kwargs['event_id']}@example.com"
    db.session.add(User(workspace_id=sender, email=email, password_hash="x", full_name="Receiver", role="staff"))
    db.session.flush()


@pytest.fixture
def receivers():
    """Connect the given receivers to ``contact_created`` for the test."""
    connected = []

    def connect(*fns):
        for fn in fns:
            events.contact_created.connect(fn)
            connected.append(fn)

    calls.clear()
    failing["on"] = False
    yield connect
    for fn in connected:
        events.contact_created.disconnect(fn)


def names():
    return [name for name, _ in calls]


def outbox(app):
    with app.app_context():
        return [
            (e.id, e.name, e.delivered_at, e.attempts, e.last_error)
            for e in db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.created_at))
        ]


def new_contact(owner, email="ev@example.com"):
    response = owner.post("/api/v1/contacts", json={"name": "Eve", "email": email})
    assert response.status_code == 201
    return response.get_json()


def test_event_is_delivered_after_the_commit_with_its_payload(app, owner, receivers):
    receivers(counting_receiver)
    contact = new_contact(owner)
    [(event_id, name, delivered_at, attempts, error)] = outbox(app)
    assert name == "contact_created" and delivered_at is not None and attempts == 1 and error is None
    [(_, kwargs)] = calls
    assert kwargs["contact_id"] == contact["id"] and kwargs["source"] == "staff"
    assert kwargs["event_id"] == event_id and kwargs["workspace_id"] == kwargs["sender"] == owner.workspace_id
    assert kwargs["occurred_at"].tzinfo is not None
    assert abs(kwargs["occurred_at"] - datetime.now(UTC)) < timedelta(minutes=1)


def test_rolled_back_event_is_never_delivered(app, owner, receivers):
    receivers(counting_receiver)
    with app.app_context():
        events.emit("contact_created", owner.workspace_id, contact_id="x", source="staff")
        db.session.rollback()
        # A later commit in the same session must not deliver the forgotten event.
        db.session.add(
            OutboxEvent(
                workspace_id=owner.workspace_id, name="contact_created", payload={}, delivered_at=datetime.now(UTC)
            )
        )
        db.session.commit()
        assert events.sweep(now=datetime.now(UTC) + timedelta(hours=1)) == 0
    assert calls == []
    assert [e[1:3] for e in outbox(app) if e[2] is None] == []


def test_event_of_a_failed_request_is_never_delivered(app, owner, receivers, monkeypatch):
    """A contact creation that loses a race at the insert rolls back its event with it."""
    new_contact(owner, "taken@example.com")
    receivers(counting_receiver)
    from careops.contacts import service

    real, checks = service._clash, []

    def not_yet(*args, **kwargs):  # the check ran before the winner committed
        checks.append(args)
        return None if len(checks) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(service, "_clash", not_yet)
    response = owner.post("/api/v1/contacts", json={"name": "Dup", "email": "taken@example.com"})
    assert response.status_code == 409
    assert calls == [] and len(outbox(app)) == 1


def test_events_and_other_after_commit_calls_share_one_queue_in_order(app, owner, receivers, monkeypatch):
    """One after-commit queue: an event's enqueue and a service's own call run in the order queued.

    With two queues the delivery of the event (immediate here; a worker in production
    only in timing) rolled the session back inside the first queue's listener and so
    dropped the second queue's pending calls.
    """
    import careops.events_tasks
    from careops.after_commit import call_after_commit

    receivers(counting_receiver)
    ran: list[str] = []
    real_deliver = careops.events_tasks.deliver_event

    def recording_deliver(event_id):
        ran.append(f"deliver {event_id}")
        real_deliver(event_id)

    monkeypatch.setattr(careops.events_tasks, "deliver_event", recording_deliver)
    with app.app_context():
        first = events.emit("contact_created", owner.workspace_id, contact_id="c1", source="staff")
        call_after_commit(ran.append, "service call")
        second = events.emit("contact_created", owner.workspace_id, contact_id="c2", source="staff")
        assert ran == []  # nothing before the commit
        db.session.commit()
    assert ran == [f"deliver {first}", "service call", f"deliver {second}"]
    assert [kwargs["contact_id"] for _, kwargs in calls] == ["c1", "c2"]

    ran.clear()
    with app.app_context():  # a rollback forgets both kinds
        events.emit("contact_created", owner.workspace_id, contact_id="c3", source="staff")
        call_after_commit(ran.append, "service call")
        db.session.rollback()
        db.session.commit()
    assert ran == []


def test_a_failed_after_commit_call_is_logged_and_the_rest_still_run(app, owner, caplog):
    from careops.after_commit import call_after_commit

    ran: list[str] = []

    def broken(message_id):
        raise ConnectionError("task queue unreachable")

    with app.app_context():
        call_after_commit(broken, "m-1")
        call_after_commit(ran.append, "after")
        db.session.commit()
    assert ran == ["after"]
    [record] = [r for r in caplog.records if r.name == "careops.after_commit"]
    assert "broken" in record.getMessage() and "m-1" in record.getMessage() and record.exc_info


def test_unknown_event_name_is_refused(app):
    with app.app_context(), pytest.raises(ValueError):
        events.emit("contact_creatd", "ws")


def test_event_whose_enqueue_failed_is_delivered_by_the_sweep(app, owner, receivers, monkeypatch):
    receivers(counting_receiver)

    def broken_enqueue(event_id):
        raise ConnectionError("task queue unreachable")

    import careops.events_tasks

    monkeypatch.setattr(careops.events_tasks, "deliver_event", broken_enqueue)
    contact = new_contact(owner)  # the request still succeeds
    monkeypatch.undo()
    [(event_id, _, delivered_at, attempts, _)] = outbox(app)
    assert delivered_at is None and attempts == 0 and calls == []

    with app.app_context():
        assert events.sweep() == 0  # too fresh: its enqueue may still be on the way
    assert calls == []
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1, seconds=5), tick=False), app.app_context():
        assert events.sweep() == 1
    assert names() == ["counting"] and calls[0][1]["contact_id"] == contact["id"]
    assert outbox(app)[0][2] is not None
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5), tick=False), app.app_context():
        assert events.sweep() == 0  # delivered events are left alone
    assert names() == ["counting"]


def test_sweep_task_runs_the_sweep(app, owner, receivers, monkeypatch):
    receivers(counting_receiver)
    import careops.events_tasks

    monkeypatch.setattr(careops.events_tasks, "deliver_event", lambda event_id: 1 / 0)
    new_contact(owner)
    monkeypatch.undo()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2), tick=False):
        careops.events_tasks.sweep_outbox.call_local()
    assert names() == ["counting"]


def test_one_event_failing_in_the_sweep_stops_none_of_the_others(app, owner, monkeypatch, caplog):
    import careops.events_tasks
    from careops import sweeps

    monkeypatch.setattr(careops.events_tasks, "deliver_event", lambda event_id: None)  # every enqueue lost
    with app.app_context():
        ids = [events.emit("contact_created", owner.workspace_id, contact_id=f"c{n}", source="staff") for n in range(3)]
        db.session.commit()
    handed: list[str] = []

    def deliver(event_id):
        handed.append(event_id)
        if len(handed) == 1:
            raise RuntimeError("database went away mid-delivery")
        return True

    monkeypatch.setattr(events, "deliver", deliver)
    monkeypatch.setattr(sweeps, "BATCH", 2)  # one run takes at most a batch
    with app.app_context():
        assert events.sweep() == 0  # within the grace: their own tasks may still be on the way
        later = datetime.now(UTC) + sweeps.GRACE + timedelta(seconds=5)
        assert events.sweep(now=later) == 2
    # The first failed; the second was still handed on.
    assert len(handed) == 2 and set(handed) <= set(ids)
    [record] = [r for r in caplog.records if r.name == "careops.sweeps"]
    assert handed[0] in record.getMessage() and record.exc_info


def test_every_catch_up_sweep_waits_the_same_grace():
    from careops import sweeps
    from careops.automation import booking_messages
    from careops.inbox import delivery

    assert events.SWEEP_AFTER == booking_messages.SWEEP_AFTER == delivery.SWEEP_AFTER == sweeps.GRACE


def test_a_second_delivery_runs_no_receiver_twice(app, owner, receivers):
    receivers(counting_receiver, second_receiver)
    new_contact(owner)
    assert sorted(names()) == ["counting", "second"]
    [(event_id, *_)] = outbox(app)
    with app.app_context():
        assert events.deliver(event_id) is True  # already delivered: nothing runs
        # Even when the event is not marked delivered (a crash before that commit),
        # the receipts keep each receiver from running again.
        db.session.execute(sa.update(OutboxEvent).values(delivered_at=None))
        db.session.commit()
        assert events.deliver(event_id) is True
    assert sorted(names()) == ["counting", "second"]
    with app.app_context():
        receipts = db.session.scalars(sa.select(EventReceipt.receiver).where(EventReceipt.event_id == event_id))
        assert sorted(r for r in receipts if r.startswith(__name__)) == [
            f"{__name__}.counting_receiver",
            f"{__name__}.second_receiver",
        ]


def test_concurrent_deliveries_run_each_receiver_once(app, owner, receivers, monkeypatch):
    receivers(slow_receiver)
    import careops.events_tasks

    monkeypatch.setattr(careops.events_tasks, "deliver_event", lambda event_id: None)  # deliver by hand
    new_contact(owner)
    [(event_id, *_)] = outbox(app)
    barrier = threading.Barrier(4)

    def deliver():
        with app.app_context():
            barrier.wait()
            events.deliver(event_id)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert names() == ["slow"]
    assert outbox(app)[0][2] is not None


def test_failing_receiver_does_not_stop_the_others_and_is_retried_alone(app, owner, receivers):
    receivers(counting_receiver, flaky_receiver, second_receiver)
    failing["on"] = True
    new_contact(owner)
    assert sorted(names()) == ["counting", "flaky", "second"]
    [(event_id, _, delivered_at, attempts, error)] = outbox(app)
    assert delivered_at is None and attempts == 1 and "flaky receiver is down" in error

    calls.clear()
    with app.app_context():
        assert events.deliver(event_id) is False  # still failing
    assert names() == ["flaky"]

    calls.clear()
    failing["on"] = False
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2), tick=False), app.app_context():
        assert events.sweep() == 1
    assert names() == ["flaky"]
    [(_, _, delivered_at, attempts, error)] = outbox(app)
    assert delivered_at is not None and attempts == 3 and error is None


def test_receiver_failing_at_the_database_is_retried_not_skipped(app, owner, receivers):
    """An IntegrityError raised by a receiver's own work is a failure, not 'another delivery did it'."""
    receivers(writing_receiver)
    failing["on"] = True
    new_contact(owner)
    [(event_id, _, delivered_at, _, error)] = outbox(app)
    assert delivered_at is None and error
    with app.app_context():
        assert db.session.get(EventReceipt, (event_id, f"{__name__}.writing_receiver")) is None
        failing["on"] = False
        assert events.deliver(event_id) is True
        assert db.session.scalars(sa.select(User).where(User.email == f"{event_id}@example.com")).one()
    assert names() == ["writing", "writing"]


def test_event_given_up_after_max_attempts(app, owner, receivers):
    receivers(flaky_receiver)
    failing["on"] = True
    new_contact(owner)
    with app.app_context():
        db.session.execute(sa.update(OutboxEvent).values(attempts=events.MAX_ATTEMPTS))
        db.session.commit()
        assert events.sweep(now=datetime.now(UTC) + timedelta(hours=1)) == 0


def test_receivers_for_another_sender_are_not_called(app, owner, other_owner, receivers):
    events.contact_created.connect(second_receiver, sender=other_owner.workspace_id)
    try:
        calls.clear()
        new_contact(owner)
        assert calls == []
        new_contact(other_owner)
        assert names() == ["second"]
    finally:
        events.contact_created.disconnect(second_receiver, sender=other_owner.workspace_id)


def test_every_event_is_documented_with_its_payload():
    assert events.EVENTS
    for name, signal in events.EVENTS.items():
        assert signal.__doc__ and "Payload" in signal.__doc__, name
