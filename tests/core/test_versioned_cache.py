"""The staff lists' totals kept by careops.versioned_cache: the contacts list and the conversations list.

A total is counted once and then served from the cache (no count statement)
until a write of what the list reads: every such write is seen by the next
request, in this worker, in another one and through another instance. A
namespace's writes leave the other namespaces cached (a new contact does not
drop the slot lists), and a workspace's total is never another's.

Each test runs once per source of versions, as tests/availability/test_slots_cache.py:
Redis (skipped when it does not answer) and, with no Redis, SQLite's ``PRAGMA
data_version`` (skipped on PostgreSQL, which has no cache without Redis).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from careops.bookings import slot_cache
from careops.contacts import service as contacts
from careops.contacts.models import Contact
from careops.db import insert_or_ignore
from careops.extensions import db
from careops.inbox import service as inbox
from careops.inbox.models import Message
from careops.lru import LRU
from tests.cache_versions import (  # noqa: F401 - fixtures
    REDIS,
    REDIS_UP,
    REDIS_URL,
    SQLITE,
    _fresh_cache,
    config_overrides,
    one_connection,
    redis_url,
    versions,
    write_elsewhere,
)
from tests.conftest import TEST_DATABASE_URL, Actor, is_postgresql
from tests.messaging.fixtures import active, submit_contact  # noqa: F401 - active: a fixture

CONTACTS = "/api/v1/contacts"
CONVERSATIONS = "/api/v1/conversations"
#: The namespaces of the lists' totals.
TOTALS = (contacts.LIST_TOTALS, inbox.LIST_TOTALS, inbox.SEARCH_TOTALS)
both_lists = pytest.mark.parametrize("path", [CONTACTS, CONVERSATIONS])


def listed_total(actor, path: str, **filters) -> int:
    query = "&".join(f"{k}={v}" for k, v in {"page_size": 1, **filters}.items())
    response = actor.get(f"{path}?{query}")
    assert response.status_code == 200, response.get_json()
    return json.loads(response.headers["X-Pagination"])["total"]


def new_contact(actor, name: str, **fields) -> dict:
    response = actor.post(CONTACTS, json={"name": name, "email": f"{name.lower()}@example.com", **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@contextmanager
def counts_issued() -> Iterator[list[str]]:
    """The count statements sent to the database while inside."""
    seen: list[str] = []

    def _seen(_conn, _cursor, statement, *_args):
        if "count(" in statement.lower():
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", _seen)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", _seen)


@contextmanager
def as_another_process() -> Iterator[None]:
    """Inside, the totals' entries are another process's: a write there cannot drop this one's in memory.

    Two apps in one process share the entries, which every bump drops; another
    worker learns of a write only through the versions (Redis, or data_version).
    """
    mine = [namespace.entries for namespace in TOTALS]
    for namespace in TOTALS:
        namespace.entries = LRU(namespace.entries.size)
    try:
        yield
    finally:
        for namespace, entries in zip(TOTALS, mine, strict=True):
            namespace.entries = entries


def write_unseen(statement: str, **params) -> None:
    """A write no listener notes (a text statement), on the connection the totals were read on."""
    db.session.execute(sa.text(statement), params)
    db.session.commit()


@both_lists
def test_a_warm_total_is_served_from_the_cache(app, owner, path, versions):
    new_contact(owner, "Ann")
    new_contact(owner, "Bob")
    one_connection()
    with counts_issued() as counted:
        assert listed_total(owner, path) == 2
        assert listed_total(owner, path, page=2) == 2
        assert len(counted) == 1  # the second page's total came from the cache
        assert listed_total(owner, path, q="zed") == 0
        assert len(counted) == 2  # another filter: another entry, counted
    write_unseen("UPDATE contacts SET name = 'Zed' WHERE workspace_id = :w", w=owner.workspace_id)
    assert listed_total(owner, path, q="zed") == 0  # kept: nobody was told
    for namespace in TOTALS:
        namespace.bump(owner.workspace_id)
    assert listed_total(owner, path, q="zed") == 2


def test_the_contacts_total_follows_every_contact_write(app, owner, versions):
    assert listed_total(owner, CONTACTS) == 0 and listed_total(owner, CONTACTS, q="ann") == 0
    ann = new_contact(owner, "Ann")
    assert listed_total(owner, CONTACTS) == 1 and listed_total(owner, CONTACTS, q="ann") == 1
    renamed = owner.patch(f"{CONTACTS}/{ann['id']}", json={"name": "Bea", "email": "bea@example.com"})
    assert renamed.status_code == 200, renamed.get_json()
    assert listed_total(owner, CONTACTS, q="ann") == 0 and listed_total(owner, CONTACTS, q="bea") == 1

    # A phone typed without its country code is read in the workspace's country.
    london = "020 7183 8750"
    assert owner.patch(f"{CONTACTS}/{ann['id']}", json={"phone": "+44 20 7183 8750"}).status_code == 200
    assert listed_total(owner, CONTACTS, q=london) == 0  # read as a US number: none
    assert owner.patch("/api/v1/workspace", json={"country": "GB"}).status_code == 200
    assert listed_total(owner, CONTACTS, q=london) == 1

    # No endpoint deletes a contact yet: a writer added later is seen all the same.
    db.session.delete(db.session.get(Contact, ann["id"]))
    db.session.commit()
    assert listed_total(owner, CONTACTS) == 0 and listed_total(owner, CONTACTS, q="bea") == 0


def test_the_conversations_total_follows_every_inbox_write(app, client, active, versions):
    def total(**filters) -> int:
        return listed_total(active, CONVERSATIONS, **filters)

    assert total() == 0 and total(status="open") == 0 and total(status="unanswered") == 0
    assert total(q="parking") == 0 and total(q="carla@") == 0
    assert submit_contact(client, active, message="Is there parking?").status_code == 201  # a new conversation
    assert total() == 1 and total(status="open") == 1 and total(status="unanswered") == 1
    assert total(q="parking") == 1 and total(q="carla@") == 1
    [conversation] = active.get(CONVERSATIONS).get_json()
    url = f"{CONVERSATIONS}/{conversation['id']}"

    assert active.post(f"{url}/messages", json={"body": "Yes, behind the building."}).status_code == 201
    assert total(status="unanswered") == 0
    assert active.post(f"{url}/status", json={"status": "closed"}).status_code == 200
    assert total(status="open") == 0 and total(status="closed") == 1
    submit_contact(client, active, message="Do you open on evenings?")  # reopens, unanswered again
    assert total(status="open") == 1 and total(status="unanswered") == 1 and total(q="evenings") == 1

    contact_id = conversation["contact"]["id"]
    assert total(q="dana") == 0
    assert active.patch(f"{CONTACTS}/{contact_id}", json={"name": "Dana"}).status_code == 200
    assert total(q="dana") == 1
    assert active.patch(f"{CONTACTS}/{contact_id}", json={"email": "dana@example.com"}).status_code == 200
    assert total(q="carla@") == 0

    # Writers added later are seen: a message-only write (no endpoint edits a body) ...
    assert total(q="parking") == 1
    message = db.session.scalars(sa.select(Message).where(Message.body == "Is there parking?")).one()
    message.body = "Where do I leave the car?"
    db.session.commit()
    assert total(q="parking") == 0
    # ... and a contact's deletion, which takes its conversation with it (ON DELETE CASCADE).
    assert total() == 1
    db.session.delete(db.session.get(Contact, contact_id))
    db.session.commit()
    assert total() == 0


@both_lists
def test_a_write_through_another_instance_is_seen(app, owner, make_app, redis_url, path):
    """Another app sharing Redis (or the SQLite file), with entries of its own: another worker or instance."""
    second = make_app(CAREOPS_REDIS_URL=redis_url).test_client()
    elsewhere = Actor(second, {"access_token": owner.access_token, "user": owner.user, "workspace": owner.workspace})
    assert listed_total(owner, path) == 0
    with as_another_process():
        assert listed_total(elsewhere, path) == 0
        new_contact(elsewhere, "Ann")
        assert listed_total(elsewhere, path) == 1
    assert listed_total(owner, path) == 1


@pytest.mark.parametrize("versions", [SQLITE])
@both_lists
def test_another_workers_commit_is_seen_without_a_bump(app, owner, path, versions):
    """On SQLite another connection's commit moves data_version: seen though nothing was bumped."""
    new_contact(owner, "Ann")
    one_connection()
    assert listed_total(owner, path, q="zed") == 0
    write_elsewhere("UPDATE contacts SET name = 'Zed'")
    assert listed_total(owner, path, q="zed") == 1


@both_lists
def test_a_workspace_never_gets_anothers_total(owner, other_owner, path, versions):
    new_contact(owner, "Ann")
    new_contact(owner, "Bob")
    one_connection()
    assert listed_total(owner, path) == 2
    assert listed_total(other_owner, path) == 0
    new_contact(other_owner, "Cy")
    assert listed_total(other_owner, path) == 1 and listed_total(owner, path) == 2


@pytest.mark.skipif(not is_postgresql(TEST_DATABASE_URL), reason="SQLite without Redis has data_version")
@pytest.mark.parametrize("versions", ["postgresql, no redis"])
@both_lists
def test_postgresql_without_redis_keeps_no_total(owner, path, versions):
    """PostgreSQL has no data_version: without Redis every total is counted."""
    assert listed_total(owner, path) == 0
    new_contact(owner, "Ann")
    assert listed_total(owner, path) == 1
    assert not any(len(namespace.entries) for namespace in TOTALS)


def test_a_new_contact_leaves_the_slots_cached(app, owner, versions):
    """Contacts change far more often than the calendar: their writes bump only their own namespaces."""
    workspace_id = owner.workspace_id
    assert slot_cache.cached(workspace_id, ("k",), lambda: ["kept"]) == ["kept"]
    before = slot_cache.version(workspace_id)
    assert listed_total(owner, CONTACTS) == 0
    new_contact(owner, "Ann")
    assert [key for key in slot_cache._entries if key[0] == workspace_id]  # not dropped by the bump
    if versions == "redis":
        assert slot_cache.version(workspace_id) == before  # nor replaced everywhere
    assert listed_total(owner, CONTACTS) == 1


def test_a_message_alone_drops_the_searches_totals_only(app, owner, versions):
    """A message written by statement (insert_or_ignore, no flush) is seen by the searches; the plain list is kept."""
    workspace_id = owner.workspace_id
    assert inbox.LIST_TOTALS.cached(workspace_id, ("k",), lambda: 0) == 0
    assert inbox.SEARCH_TOTALS.cached(workspace_id, ("k",), lambda: 0) == 0
    insert_or_ignore(
        Message, {"workspace_id": workspace_id, "direction": "in", "channel": "web", "author": "x", "body": "b"}
    )
    db.session.commit()
    assert not inbox.SEARCH_TOTALS.entries
    assert [key for key in inbox.LIST_TOTALS.entries if key[0] == workspace_id]


def test_a_total_read_from_uncommitted_contacts_is_not_kept(app, owner, versions):
    """Flushed, not committed, may yet be rolled back: not kept — and only for the namespaces watching it."""
    workspace_id = owner.workspace_id
    db.session.add(Contact(workspace_id=workspace_id, name="Ann", email="ann@example.com"))
    db.session.flush()
    assert contacts.LIST_TOTALS.cached(workspace_id, ("k",), lambda: 1) == 1
    assert not contacts.LIST_TOTALS.entries
    assert slot_cache.cached(workspace_id, ("k",), lambda: ["kept"]) == ["kept"]  # slots read no contact
    assert slot_cache._entries
    db.session.rollback()
    assert contacts.LIST_TOTALS.cached(workspace_id, ("k",), lambda: 0) == 0
    assert contacts.LIST_TOTALS.cached(workspace_id, ("k",), lambda: 9) == 0
