"""The UTC datetime type and WorkspaceRepository, the one place tenant filters are written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from careops.contacts.models import Contact
from careops.db import WorkspaceRepository
from careops.errors import NotFound
from careops.extensions import db


def contact(actor, email):
    return actor.post("/api/v1/contacts", json={"name": "Db Test", "email": email}).get_json()["id"]


def test_datetimes_are_stored_as_utc_and_read_back_aware(app, owner):
    contact_id = contact(owner, "tz@example.com")
    paris_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with app.app_context():
        db.session.get(Contact, contact_id).last_activity_at = paris_noon
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Contact, contact_id).last_activity_at
    assert stored == paris_noon and stored.utcoffset() == timedelta(0)
    assert stored.hour == 10


def test_naive_datetimes_are_refused(app, owner):
    contact_id = contact(owner, "naive@example.com")
    with app.app_context():
        db.session.get(Contact, contact_id).last_activity_at = datetime(2026, 7, 1, 12, 0)
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            db.session.commit()
        db.session.rollback()


def test_repository_sees_only_its_workspace(app, owner, other_owner):
    mine, theirs = contact(owner, "mine@example.com"), contact(other_owner, "theirs@example.com")
    with app.app_context():
        repo = WorkspaceRepository(owner.workspace_id)
        assert repo.get(Contact, mine).id == mine
        assert repo.get(Contact, mine, for_update=True).id == mine
        for wrong in (theirs, "no-such-id", "x" * 37, None, 12):
            with pytest.raises(NotFound):
                repo.get(Contact, wrong)
        assert [c.id for c in repo.all(Contact)] == [mine]
        assert repo.first(Contact, Contact.email == "theirs@example.com") is None
        assert repo.ids_exist(Contact, [mine, theirs, "nope", mine]) == [theirs, "nope"]
        assert repo.ids_exist(Contact, []) == []


def test_repository_add_stamps_the_workspace(app, owner, other_owner):
    with app.app_context():
        row = WorkspaceRepository(owner.workspace_id).add(
            Contact(name="Stamped", email="stamped@example.com", workspace_id=other_owner.workspace_id)
        )
        db.session.commit()
        assert row.workspace_id == owner.workspace_id


def test_repository_pages_and_counts(app, owner, other_owner):
    for i in range(5):
        contact(owner, f"page{i}@example.com")
    contact(other_owner, "elsewhere@example.com")
    with app.app_context():
        repo = WorkspaceRepository(owner.workspace_id)
        pagination = SimpleNamespace(page=2, page_size=2, item_count=None)
        page = repo.page(repo.select(Contact).order_by(Contact.email), pagination)
        assert pagination.item_count == 5
        assert [c.email for c in page] == ["page2@example.com", "page3@example.com"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys_enforced(app, owner):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite connection settings")
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        # A contact of a workspace that does not exist is refused, as PostgreSQL refuses it.
        db.session.add(Contact(workspace_id="no-such-workspace", name="Ghost", email="ghost@example.com"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
