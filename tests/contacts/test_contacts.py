"""/contacts: create, read, update, search, pagination, uniqueness, one conversation each."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from careops.contacts.models import Contact
from careops.extensions import db
from careops.inbox.models import Conversation
from tests.conftest import assert_error

FIELDS = {
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
}


def create(actor, **fields):
    response = actor.post("/api/v1/contacts", json={"name": "Bob Stone", **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def french(owner):
    """The owner's workspace is in France: local numbers are read as French ones."""
    assert owner.patch("/api/v1/workspace", json={"country": "FR"}).status_code == 200
    return owner


def test_create_and_get(owner):
    contact = create(owner, email="Bob.Stone@Example.COM", phone="+1 (415) 555-0100", tags=["vip", "vip", "new"])
    assert set(contact) >= FIELDS
    assert contact["email"] == "bob.stone@example.com" and contact["phone"] == "+14155550100"
    assert contact["source"] == "staff" and contact["tags"] == ["vip", "new"]
    detail = owner.get(f"/api/v1/contacts/{contact['id']}").get_json()
    assert {k: detail[k] for k in FIELDS} == contact
    assert detail["conversation_id"] and detail["bookings"] == []


def test_staff_without_permissions_can_use_contacts(owner, make_staff):
    staff = make_staff(owner)
    contact = create(staff, email="by-staff@example.com")
    assert owner.get(f"/api/v1/contacts/{contact['id']}").status_code == 200


def test_phone_is_read_in_the_workspace_country(french):
    assert create(french, phone="06 12 34 56 78")["phone"] == "+33612345678"
    assert create(french, name="Abroad", phone="+44 20 7946 0958")["phone"] == "+442079460958"


def test_us_workspace_reads_local_numbers_as_us(owner):
    assert create(owner, phone="(415) 555-0101")["phone"] == "+14155550101"


@pytest.mark.parametrize("phone", ["12", "not a phone", "+33 1", "06 12 34 56 78 90 12"])
def test_invalid_phone_is_422(french, phone):
    payload = assert_error(french.post("/api/v1/contacts", json={"name": "X", "phone": phone}), 422)
    assert list(payload["errors"]) == ["phone"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "No Way To Reach"}, "email"),
        ({"email": "a@example.com"}, "name"),
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "n" * 121, "email": "a@example.com"}, "name"),
        ({"name": "X", "email": "nope"}, "email"),
        ({"name": "X", "email": "a@example.com", "tags": "vip"}, "tags"),
        ({"name": "X", "email": "a@example.com", "tags": ["t" * 41]}, "tags"),
        ({"name": "X", "email": "a@example.com", "tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"name": "X", "email": "a@example.com", "source": "public"}, "source"),
        ({"name": "X", "phone": "1" * 41}, "phone"),
    ],
)
def test_create_validation(owner, body, field):
    payload = assert_error(owner.post("/api/v1/contacts", json=body), 422)
    assert list(payload["errors"]) == [field]


def test_duplicate_email_is_409_naming_the_existing_contact(owner):
    existing = create(owner, email="dup@example.com")
    payload = assert_error(
        owner.post("/api/v1/contacts", json={"name": "Other", "email": "DUP@example.com"}), 409, "CONFLICT"
    )
    assert existing["id"] in payload["detail"] and payload["existing_id"] == existing["id"]


def test_duplicate_phone_in_another_format_is_409(french):
    existing = create(french, phone="+33 6 12 34 56 78")
    payload = assert_error(
        french.post("/api/v1/contacts", json={"name": "Other", "phone": "0612345678"}), 409, "CONFLICT"
    )
    assert payload["existing_id"] == existing["id"]


def test_same_email_in_two_workspaces_is_fine(owner, other_owner):
    create(owner, email="shared@example.com")
    create(other_owner, email="shared@example.com")


def conversations_of(app, contact_id):
    with app.app_context():
        return db.session.scalars(sa.select(Conversation).where(Conversation.contact_id == contact_id)).all()


def test_exactly_one_conversation_per_contact(app, owner):
    contact = create(owner, email="talk@example.com")
    conversations = conversations_of(app, contact["id"])
    assert len(conversations) == 1
    assert conversations[0].workspace_id == owner.workspace_id
    assert owner.get(f"/api/v1/contacts/{contact['id']}").get_json()["conversation_id"] == conversations[0].id
    owner.patch(f"/api/v1/contacts/{contact['id']}", json={"name": "Renamed"})
    assert len(conversations_of(app, contact["id"])) == 1


def test_race_lost_at_insert_is_409_and_writes_nothing(app, owner, monkeypatch):
    """The loser of a race passes the uniqueness check, then meets the unique constraint."""
    existing = create(owner, email="race@example.com")
    from careops.contacts import service

    real, calls = service._clash, []

    def not_yet(*args, **kwargs):  # the check ran before the winner committed
        calls.append(args)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(service, "_clash", not_yet)
    payload = assert_error(
        owner.post("/api/v1/contacts", json={"name": "Racer", "email": "race@example.com"}), 409, "CONFLICT"
    )
    assert payload["existing_id"] == existing["id"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 1


def test_concurrent_creations_of_one_customer(app, owner):
    barrier = threading.Barrier(5)
    statuses = []

    def run():
        client = app.test_client()
        barrier.wait()
        statuses.append(
            client.post(
                "/api/v1/contacts", json={"name": "Same", "email": "same@example.com"}, headers=owner.headers
            ).status_code
        )

    threads = [threading.Thread(target=run) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [201, 409, 409, 409, 409]


def test_patch(owner, french):
    contact = create(french, email="old@example.com", tags=["a"])
    response = french.patch(
        f"/api/v1/contacts/{contact['id']}",
        json={"name": "New Name", "email": "NEW@example.com", "phone": "07 81 23 45 67", "tags": ["b", "b"]},
    )
    assert response.status_code == 200
    updated = response.get_json()
    assert (updated["name"], updated["email"], updated["phone"], updated["tags"]) == (
        "New Name",
        "new@example.com",
        "+33781234567",
        ["b"],
    )
    assert french.get(f"/api/v1/contacts/{contact['id']}").get_json()["email"] == "new@example.com"


def test_patch_to_another_contacts_email_is_409(owner):
    first = create(owner, email="first@example.com")
    second = create(owner, name="Second", email="second@example.com")
    payload = assert_error(
        owner.patch(f"/api/v1/contacts/{second['id']}", json={"email": "first@example.com"}), 409, "CONFLICT"
    )
    assert payload["existing_id"] == first["id"]
    assert owner.patch(f"/api/v1/contacts/{second['id']}", json={"email": "second@example.com"}).status_code == 200


def test_patch_cannot_remove_the_last_way_to_reach(owner):
    contact = create(owner, email="only@example.com")
    payload = assert_error(owner.patch(f"/api/v1/contacts/{contact['id']}", json={"email": None, "name": "Gone"}), 422)
    assert "email" in payload["errors"]
    after = owner.get(f"/api/v1/contacts/{contact['id']}").get_json()
    assert after["email"] == "only@example.com" and after["name"] == "Bob Stone"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": ""}, "name"),
        ({"phone": "nope"}, "phone"),
        ({"email": "x"}, "email"),
        ({"source": "api"}, "source"),
        ({"tags": None}, "tags"),
        ({"id": "x"}, "id"),
    ],
)
def test_patch_validation(owner, body, field):
    contact = create(owner, email="valid@example.com")
    payload = assert_error(owner.patch(f"/api/v1/contacts/{contact['id']}", json=body), 422)
    assert list(payload["errors"]) == [field]


def test_search_by_name_email_and_phone(french):
    alice = create(french, name="Alice Martin", email="alice@example.com", phone="06 11 11 11 11")
    bob = create(french, name="Bob Durand", email="bob@durand.fr")
    create(french, name="Carol", phone="06 22 22 22 22")

    def search(q):
        response = french.get("/api/v1/contacts", query_string={"q": q})
        assert response.status_code == 200
        return sorted(c["id"] for c in response.get_json())

    assert search("alice") == [alice["id"]]
    assert search("MARTIN") == [alice["id"]]
    assert search("durand.fr") == [bob["id"]]
    assert search("+33611") == [alice["id"]]
    assert search("06 11 11 11 11") == [alice["id"]]
    assert search("nobody") == []
    assert len(search("")) == 3


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_search_wildcards_are_literal(owner, q):
    create(owner, name="Plain", email="plain@example.com")
    assert owner.get("/api/v1/contacts", query_string={"q": q}).get_json() == []


def test_search_term_is_limited(owner):
    assert_error(owner.get("/api/v1/contacts", query_string={"q": "q" * 101}), 422)


def test_pagination(owner):
    ids = [create(owner, name=f"Person {i:02}", email=f"p{i}@example.com")["id"] for i in range(25)]
    response = owner.get("/api/v1/contacts", query_string={"page": 2, "page_size": 10})
    assert response.status_code == 200
    assert json.loads(response.headers["X-Pagination"]) == {
        "total": 25,
        "total_pages": 3,
        "first_page": 1,
        "last_page": 3,
        "page": 2,
        "previous_page": 1,
        "next_page": 3,
    }
    page2 = [c["id"] for c in response.get_json()]
    assert len(page2) == 10
    everything = []
    for page in (1, 2, 3):
        everything += [
            c["id"] for c in owner.get("/api/v1/contacts", query_string={"page": page, "page_size": 10}).get_json()
        ]
    assert sorted(everything) == sorted(ids) and everything[10:20] == page2
    assert len(owner.get("/api/v1/contacts").get_json()) == 20  # default page size
    assert len(owner.get("/api/v1/contacts", query_string={"page_size": 100}).get_json()) == 25


@pytest.mark.parametrize("query", [{"page_size": 101}, {"page_size": 0}, {"page": 0}, {"page": "x"}])
def test_pagination_limits(owner, query):
    payload = assert_error(owner.get("/api/v1/contacts", query_string=query), 422)
    assert list(payload["errors"]) == list(query)


def test_contacts_of_another_workspace_are_404(owner, other_owner):
    theirs = create(other_owner, email="theirs@example.com")
    assert_error(owner.get(f"/api/v1/contacts/{theirs['id']}"), 404, "NOT_FOUND")
    assert_error(owner.patch(f"/api/v1/contacts/{theirs['id']}", json={"name": "Mine"}), 404, "NOT_FOUND")
    assert owner.get("/api/v1/contacts").get_json() == []
    assert other_owner.get(f"/api/v1/contacts/{theirs['id']}").get_json()["name"] == "Bob Stone"


def test_unknown_contact_is_404(owner):
    for contact_id in ("00000000-0000-0000-0000-000000000000", "nope", "x" * 300):
        assert_error(owner.get(f"/api/v1/contacts/{contact_id}"), 404, "NOT_FOUND")


def test_contacts_need_a_token(client):
    assert_error(client.get("/api/v1/contacts"), 401, "UNAUTHORIZED")
    assert_error(client.post("/api/v1/contacts", json={"name": "X", "email": "x@example.com"}), 401)
