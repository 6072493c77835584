"""Tenant scoping is on by default: ORM queries of workspace rows see only the workspace in scope.

The listener in :mod:`careops.db` adds the filter; :mod:`careops.scoping` holds
the scope; requests (``careops.http``, the JWT lookup), public lookups and tasks
(``careops.tasks``) set it. Test code runs :func:`~careops.scoping.unscoped`
(the autouse fixture in ``tests/conftest.py``); the tests here leave that
scope on purpose where they check what app code sees.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify
from sqlalchemy.orm import aliased, lazyload

from careops import scoping, tasks
from careops.auth.models import User
from careops.contacts.models import Contact
from careops.db import WorkspaceRepository
from careops.errors import NotFound
from careops.extensions import db
from careops.inbox.models import Conversation


@pytest.fixture
def two_workspaces(owner, other_owner, app):
    """Workspaces A and B, each with two contacts and a conversation with the first."""
    a, b = owner.workspace_id, other_owner.workspace_id
    with app.app_context():
        for workspace, prefix in ((a, "a"), (b, "b")):
            first = Contact(workspace_id=workspace, name=f"{prefix}-first")
            db.session.add_all([first, Contact(workspace_id=workspace, name=f"{prefix}-second")])
            db.session.flush()
            db.session.add(Conversation(workspace_id=workspace, contact_id=first.id))
        db.session.commit()
    return a, b


def names(rows) -> set[str]:
    return {row.name for row in rows}


def test_a_query_sees_only_the_workspace_in_scope(app, two_workspaces):
    a, b = two_workspaces
    with app.app_context(), scoping.workspace_scope(a):
        assert names(db.session.scalars(sa.select(Contact))) == {"a-first", "a-second"}
        assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 2
        assert set(db.session.scalars(sa.select(User.workspace_id))) == {a}  # columns of a model, too
    with app.app_context(), scoping.workspace_scope(b):
        assert names(db.session.scalars(sa.select(Contact))) == {"b-first", "b-second"}


def test_a_statement_the_filter_cannot_reach_is_refused_not_run(app, two_workspaces):
    """Workspace tables read without a workspace model named would cross workspaces: ScopeError."""
    a, _b = two_workspaces
    table = Contact.__table__
    with app.app_context(), scoping.workspace_scope(a):
        for unfilterable in (
            sa.select(table.c.name),  # a Core table
            sa.select(sa.func.count()).select_from(table),
            sa.select(sa.func.count().filter(Contact.name.like("%first"))),  # columns only inside an expression
            sa.update(table).values(name="x"),
        ):
            with pytest.raises(scoping.ScopeError, match="names no workspace model"):
                db.session.execute(unfilterable)
            db.session.rollback()
        # Naming the model lets the filter apply; a statement that filters itself says so.
        counted = sa.select(sa.func.count().filter(Contact.name.like("%first"))).select_from(Contact)
        assert db.session.scalar(counted) == 1
        own = sa.select(sa.func.count()).select_from(table).where(table.c.workspace_id == a)
        assert db.session.scalar(own.execution_options(careops_tenant_filtered=True)) == 2
        assert WorkspaceRepository(a).count_rows("contacts") == 2


def test_joins_aliases_and_subqueries_are_scoped(app, two_workspaces):
    a, _b = two_workspaces
    with app.app_context(), scoping.workspace_scope(a):
        joined = db.session.execute(sa.select(Conversation.id, Contact.name).join(Contact)).all()
        assert [name for _id, name in joined] == ["a-first"]
        # An alias of a workspace model gets the filter too (include_aliases).
        other = aliased(Contact)
        pairs = db.session.execute(sa.select(Contact.name, other.name).join(other, sa.true())).all()
        assert {n for pair in pairs for n in pair} == {"a-first", "a-second"}
        # The repository's page count wraps the statement in a subquery.
        inner = sa.select(Contact).subquery()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(inner)) == 2


def test_lazy_loads_are_scoped_and_still_work(app, two_workspaces):
    a, b = two_workspaces
    with app.app_context():
        with scoping.workspace_scope(a):
            conversation = db.session.scalars(sa.select(Conversation).options(lazyload(Conversation.contact))).one()
            assert conversation.contact.name == "a-first"  # the lazy load runs, scoped
        # A row pointing across workspaces (only a bug could make one): the lazy load finds nothing.
        with scoping.unscoped():
            b_contact = db.session.scalars(sa.select(Contact).where(Contact.name == "b-second")).one()
            db.session.execute(
                sa.update(Conversation).where(Conversation.id == conversation.id).values(contact_id=b_contact.id)
            )
            db.session.commit()
        db.session.expunge_all()
        with scoping.workspace_scope(a):
            conversation = db.session.scalars(sa.select(Conversation).options(lazyload(Conversation.contact))).one()
            assert conversation.contact is None
        db.session.rollback()


def test_bulk_update_and_delete_touch_only_the_workspace_in_scope(app, two_workspaces):
    a, b = two_workspaces
    with app.app_context():
        with scoping.workspace_scope(a):
            db.session.execute(sa.update(Contact).values(source="scoped").execution_options(synchronize_session=False))
            db.session.execute(sa.delete(Conversation))
            db.session.commit()
        with scoping.unscoped():
            sources = dict(db.session.execute(sa.select(Contact.name, Contact.source)).all())
            assert {n for n, s in sources.items() if s == "scoped"} == {"a-first", "a-second"}
            assert set(db.session.scalars(sa.select(Conversation.workspace_id))) == {b}


def test_unscoped_sees_every_workspace(app, two_workspaces):
    with app.app_context(), scoping.unscoped():
        assert names(db.session.scalars(sa.select(Contact))) == {"a-first", "a-second", "b-first", "b-second"}


def test_an_unset_scope_refuses_workspace_rows(app, two_workspaces):
    a, _b = two_workspaces
    token = scoping.clear()
    try:
        with app.app_context():
            with pytest.raises(scoping.ScopeError):
                db.session.scalars(sa.select(Contact)).all()
            with pytest.raises(scoping.ScopeError):
                db.session.get(Contact, "not-loaded-yet")  # a miss of the identity map is a SELECT
            with pytest.raises(scoping.ScopeError):
                db.session.execute(sa.delete(Contact))
            with pytest.raises(scoping.ScopeError):  # no entity selected, only counted
                db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
            with pytest.raises(scoping.ScopeError):  # the rows hide in a subquery
                db.session.scalar(sa.select(sa.func.count()).select_from(sa.select(Contact).subquery()))
            with pytest.raises(scoping.ScopeError):
                WorkspaceRepository(a).all(Contact)
            # Rows of no workspace stay readable (the workspace itself, looked up by slug).
            assert db.session.scalar(sa.text("SELECT 1")) == 1
            db.session.rollback()
    finally:
        scoping.reset(token)
    assert scoping.current() is scoping.ALL


def test_the_repository_refuses_another_workspace_and_answers_404_across(app, two_workspaces):
    a, b = two_workspaces
    with app.app_context():
        with scoping.unscoped():
            b_contact_id = db.session.scalars(sa.select(Contact.id).where(Contact.workspace_id == b)).first()
            # Unscoped, the repository filters by its own workspace: a cross-workspace job reading A's rows.
            assert names(WorkspaceRepository(a).all(Contact)) == {"a-first", "a-second"}
        with scoping.workspace_scope(a):
            with pytest.raises(NotFound):
                WorkspaceRepository(a).get(Contact, b_contact_id)
            with pytest.raises(scoping.ScopeError):
                WorkspaceRepository(b).get(Contact, b_contact_id)


@pytest.fixture
def probe(app):
    """``GET /scope-probe``: what an unfiltered query sees, after an optional authorisation."""
    from careops.security import authorize

    @app.get("/scope-probe")
    def scope_probe():
        from flask import request

        if request.headers.get("Authorization"):
            authorize()
        try:
            seen = sorted(names(db.session.scalars(sa.select(Contact))))
        except scoping.ScopeError:
            seen = "ScopeError"
        return jsonify(scope=str(scoping.current()), seen=seen)

    return "/scope-probe"


def test_a_request_sees_only_its_workspace_without_a_filter(probe, client, owner, two_workspaces):
    a, _b = two_workspaces
    answer = owner.get(probe).get_json()
    assert answer == {"scope": a, "seen": ["a-first", "a-second"]}


def test_a_request_starts_with_no_scope_whatever_its_caller_had(probe, client, two_workspaces):
    # The test runs unscoped; the request must not inherit it.
    assert client.get(probe).get_json() == {"scope": "None", "seen": "ScopeError"}


def test_the_scope_is_restored_after_a_request(probe, client, owner, two_workspaces):
    _a, b = two_workspaces
    with scoping.workspace_scope(b):
        assert owner.get(probe).get_json()["seen"] == ["a-first", "a-second"]
        assert scoping.current() == b
    assert scoping.current() is scoping.ALL


@tasks.task()
def record_scope(seen: list) -> None:
    seen.append(scoping.current())
    try:
        seen.append(sorted(names(db.session.scalars(sa.select(Contact)))))
    except scoping.ScopeError:
        seen.append("ScopeError")


def test_a_task_runs_in_the_workspace_it_was_enqueued_for(app, two_workspaces):
    a, b = two_workspaces
    seen: list = []
    with scoping.workspace_scope(a):
        record_scope(seen)
        assert scoping.current() == a  # the (immediate) task gave the scope back
    assert seen == [a, ["a-first", "a-second"]]
    seen.clear()
    with scoping.unscoped():
        record_scope(seen)
    assert seen == [scoping.ALL, ["a-first", "a-second", "b-first", "b-second"]]


def test_a_task_enqueued_with_no_scope_sees_no_workspace_rows(app, two_workspaces):
    a, _b = two_workspaces
    seen: list = []
    token = scoping.clear()
    try:
        record_scope(seen)
    finally:
        scoping.reset(token)
    assert seen == [None, "ScopeError"]
    # Enqueued from a workspace, run by a consumer thread that has no scope: the carried one is bound.
    seen.clear()
    with scoping.workspace_scope(a):
        record_scope(seen)
    token = scoping.clear()
    try:
        record_scope.call_local(seen, _scope=a)  # what the consumer runs: the task as it was queued
    finally:
        scoping.reset(token)
    assert seen == [a, ["a-first", "a-second"]] * 2


def test_a_task_enqueued_with_no_scope_gets_none_wherever_it_runs(app, two_workspaces):
    a, _b = two_workspaces
    seen: list = []
    with scoping.workspace_scope(a):
        record_scope.call_local(seen, _scope=tasks.NO_SCOPE)  # what a scope-less enqueuer sends
        assert scoping.current() == a
    assert seen == [None, "ScopeError"]


def test_a_task_queued_before_tenant_scoping_runs_unscoped_with_a_warning(app, two_workspaces, caplog):
    seen: list = []
    token = scoping.clear()  # a consumer thread
    try:
        with caplog.at_level("WARNING", logger="careops.tasks"):
            record_scope.call_local(seen)  # no ``_scope`` at all: queued by the previous version
        assert scoping.current() is None
    finally:
        scoping.reset(token)
    assert seen == [scoping.ALL, ["a-first", "a-second", "b-first", "b-second"]]
    assert "queued before the upgrade" in caplog.text


def test_event_receivers_run_in_the_event_workspace(app, two_workspaces, monkeypatch):
    from careops import events

    a, b = two_workspaces
    seen = []

    def receiver(_sender, **_kwargs):
        seen.append((scoping.current(), sorted(names(db.session.scalars(sa.select(Contact))))))

    events.contact_created.connect(receiver)
    try:
        with app.app_context():
            with scoping.workspace_scope(b):  # the emitter's scope carries into the delivery task
                events.emit("contact_created", b, contact_id="x", source="staff")
                db.session.commit()
            with scoping.unscoped():  # the sweep delivers unscoped; the receiver still gets B's scope
                from careops import events_tasks

                monkeypatch.setattr(events_tasks, "deliver_event", lambda _id: None)  # left for the sweep
                event_id = events.emit("contact_created", b, contact_id="y", source="staff")
                db.session.commit()
                assert events.deliver(event_id)
    finally:
        events.contact_created.disconnect(receiver)
    assert seen == [(b, ["b-first", "b-second"])] * 2
