"""/conversations: listing and filters, staff replies, pause, read, status; permissions and isolation."""

import pytest

from careops.extensions import db
from careops.inbox.models import Conversation
from tests.conftest import assert_error
from tests.messaging.fixtures import messages, outbox_events, submit_contact


@pytest.fixture
def inquiry(client, active, console):
    """A customer wrote through the contact form; the welcome message went out (console)."""
    submit_contact(client, active)
    return active.get("/api/v1/conversations").get_json()[0]


def test_reply_is_queued_then_sent_in_the_background(active, inquiry):
    response = active.post(f"/api/v1/conversations/{inquiry['id']}/messages", json={"body": "Yes we do!"})
    assert response.status_code == 201
    answer = response.get_json()
    assert answer["status"] == "queued" and answer["direction"] == "out" and answer["channel"] == "email"
    assert answer["author"] == f"staff:{active.user['id']}" and answer["sent_at"] is None

    detail = active.get(f"/api/v1/conversations/{inquiry['id']}").get_json()
    reply = [m for m in detail["messages"] if m["id"] == answer["id"]][0]
    assert reply["status"] == "sent" and reply["sent_at"] and reply["error"] is None
    [stored] = messages(active.workspace_id, id=answer["id"])
    assert stored.provider == "console" and stored.provider_message_id.startswith("console-")
    assert stored.to_address == "carla@example.com" and stored.subject == "Re: Contact form"
    assert [m["author"] for m in detail["messages"]] == [
        "customer",
        "automation:welcome_contact",
        f"staff:{active.user['id']}",
    ]


def test_a_staff_reply_answers_and_pauses_automation(active, inquiry):
    assert inquiry["unanswered"] is True and inquiry["automation_paused"] is False
    active.post(f"/api/v1/conversations/{inquiry['id']}/messages", json={"body": "Hello"})
    conversation = active.get(f"/api/v1/conversations/{inquiry['id']}").get_json()
    assert conversation["unanswered"] is False and conversation["automation_paused"] is True
    assert conversation["unread_count"] == 0
    [event] = outbox_events(active.workspace_id, "staff_replied")
    assert event.payload["conversation_id"] == inquiry["id"] and event.payload["user_id"] == active.user["id"]


def test_no_pause_when_the_rule_is_off(active, inquiry):
    active.patch("/api/v1/automation/rules/staff_reply_pause", json={"enabled": False})
    active.post(f"/api/v1/conversations/{inquiry['id']}/messages", json={"body": "Hello"})
    assert active.get(f"/api/v1/conversations/{inquiry['id']}").get_json()["automation_paused"] is False


def test_unanswered_filter(client, active, console):
    submit_contact(client, active, email="a@example.com", name="Ann")
    submit_contact(client, active, email="b@example.com", name="Bob")
    ann, bob = sorted(active.get("/api/v1/conversations").get_json(), key=lambda c: c["contact"]["name"])

    def unanswered():
        return {c["contact"]["name"] for c in active.get("/api/v1/conversations?status=unanswered").get_json()}

    # Both got an automated welcome: automated messages are not answers.
    assert unanswered() == {"Ann", "Bob"}
    active.post(f"/api/v1/conversations/{ann['id']}/messages", json={"body": "Hi Ann"})
    assert unanswered() == {"Bob"}
    submit_contact(client, active, email="a@example.com", name="Ann", message="One more thing")
    assert unanswered() == {"Ann", "Bob"}


def test_listing_is_latest_first_with_status_filters(client, active, console):
    for name in ("Ann", "Bob", "Cid"):
        submit_contact(client, active, email=f"{name.lower()}@example.com", name=name)
    listed = active.get("/api/v1/conversations").get_json()
    assert [c["contact"]["name"] for c in listed] == ["Cid", "Bob", "Ann"]
    active.post(f"/api/v1/conversations/{listed[2]['id']}/messages", json={"body": "Hi Ann"})
    assert [c["contact"]["name"] for c in active.get("/api/v1/conversations").get_json()] == ["Ann", "Cid", "Bob"]

    assert active.post(f"/api/v1/conversations/{listed[1]['id']}/status", json={"status": "closed"}).status_code == 200
    assert [c["contact"]["name"] for c in active.get("/api/v1/conversations?status=closed").get_json()] == ["Bob"]
    assert [c["contact"]["name"] for c in active.get("/api/v1/conversations?status=open").get_json()] == ["Ann", "Cid"]
    # A new customer message reopens it.
    submit_contact(client, active, email="bob@example.com", name="Bob", message="Hello again")
    assert active.get("/api/v1/conversations?status=closed").get_json() == []


def test_conversations_without_messages_come_last(client, active, console):
    active.post("/api/v1/contacts", json={"name": "Quiet Quentin", "email": "q@example.com"})
    submit_contact(client, active)
    assert [c["contact"]["name"] for c in active.get("/api/v1/conversations").get_json()] == [
        "Carla Customer",
        "Quiet Quentin",
    ]


def test_search(client, active, console):
    submit_contact(client, active, email="ann@example.com", name="Ann Smith", message="About my knee")
    submit_contact(client, active, email="bob@example.com", name="Bob Jones", message="Invoice question")

    def names(q):
        return [c["contact"]["name"] for c in active.get(f"/api/v1/conversations?q={q}").get_json()]

    assert names("smith") == ["Ann Smith"]
    assert names("bob@") == ["Bob Jones"]
    assert names("INVOICE") == ["Bob Jones"]
    assert names("nobody") == []


def test_pagination(client, active):
    for i in range(3):
        submit_contact(client, active, email=f"c{i}@example.com", name=f"C{i}")
    response = active.get("/api/v1/conversations?page=2&page_size=2")
    assert len(response.get_json()) == 1
    assert '"total": 3' in response.headers["X-Pagination"]


def test_read_and_automation_toggle(active, inquiry):
    read = active.post(f"/api/v1/conversations/{inquiry['id']}/read")
    assert read.status_code == 200 and read.get_json()["unread_count"] == 0
    paused = active.post(f"/api/v1/conversations/{inquiry['id']}/automation", json={"paused": True}).get_json()
    assert paused["automation_paused"] is True
    resumed = active.post(f"/api/v1/conversations/{inquiry['id']}/automation", json={"paused": False}).get_json()
    assert resumed["automation_paused"] is False


def test_reply_channel_defaults_and_checks(active, inquiry):
    # The contact has an email only: SMS is refused, and nothing is written.
    before = len(messages(active.workspace_id))
    payload = assert_error(
        active.post(f"/api/v1/conversations/{inquiry['id']}/messages", json={"body": "Hi", "channel": "sms"}), 422
    )
    assert payload["errors"] == {"channel": ["The contact has no phone number."]}
    assert len(messages(active.workspace_id)) == before


def test_reply_by_sms(client, active, console):
    submit_contact(client, active, email=None, phone="+1 415 555 2671")
    conversation = active.get("/api/v1/conversations").get_json()[0]
    answer = active.post(f"/api/v1/conversations/{conversation['id']}/messages", json={"body": "Hi"}).get_json()
    assert answer["channel"] == "sms"
    [stored] = messages(active.workspace_id, id=answer["id"])
    assert stored.to_address == "+14155552671" and stored.status == "sent"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"body": ""}, "body"),
        ({"body": "   \n "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({}, "body"),
        ({"body": "hi", "channel": "pigeon"}, "channel"),
        ({"body": "hi", "cc": "x"}, "cc"),
    ],
)
def test_bad_replies_are_422(active, inquiry, body, field):
    before = len(messages(active.workspace_id))
    payload = assert_error(active.post(f"/api/v1/conversations/{inquiry['id']}/messages", json=body), 422)
    assert field in payload["errors"]
    assert len(messages(active.workspace_id)) == before


def test_staff_need_the_inbox_permission(active, inquiry, make_staff):
    outsider = make_staff(active, bookings=True)
    url = f"/api/v1/conversations/{inquiry['id']}"
    assert_error(outsider.get("/api/v1/conversations"), 403, "FORBIDDEN")
    assert_error(outsider.get(url), 403)
    assert_error(outsider.post(f"{url}/messages", json={"body": "hi"}), 403)
    assert_error(outsider.post(f"{url}/automation", json={"paused": True}), 403)
    assert_error(outsider.post(f"{url}/read"), 403)

    insider = make_staff(active, inbox=True)
    assert insider.get("/api/v1/conversations").status_code == 200
    answer = insider.post(f"{url}/messages", json={"body": "hi"})
    assert answer.status_code == 201 and answer.get_json()["author"] == f"staff:{insider.user['id']}"


def test_another_workspaces_conversation_is_404(active, inquiry, other_owner):
    url = f"/api/v1/conversations/{inquiry['id']}"
    assert_error(other_owner.get(url), 404, "NOT_FOUND")
    assert_error(other_owner.post(f"{url}/messages", json={"body": "hi"}), 404)
    assert_error(other_owner.post(f"{url}/automation", json={"paused": True}), 404)
    assert_error(other_owner.post(f"{url}/read"), 404)
    assert_error(other_owner.post(f"{url}/status", json={"status": "closed"}), 404)
    assert other_owner.get("/api/v1/conversations").get_json() == []
    db.session.expire_all()
    conversation = db.session.get(Conversation, inquiry["id"])
    assert conversation.automation_paused is False and conversation.status == "open"


def test_unauthenticated_is_401(client):
    assert_error(client.get("/api/v1/conversations"), 401)


def test_errors_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    post = paths["/api/v1/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert {"201", "401", "403", "404", "422"} <= set(post)


def test_the_inbox_order_is_read_from_its_index(app):
    """The list's ORDER BY is the order of ix_conversations_workspace_latest: no sort of every conversation.

    Asked of the planner with sequential scans priced out on PostgreSQL (an empty
    table would otherwise be scanned), as the page query of GET /conversations.
    """
    import sqlalchemy as sa

    from careops import scoping
    from careops.inbox import service

    with app.app_context(), scoping.unscoped():
        stmt = service.search("some-workspace").limit(20)
        stmt = stmt.where(Conversation.workspace_id == "some-workspace")  # what the scope adds
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text("SET enable_seqscan = off"))
                plan = "\n".join(row[0] for row in conn.execute(sa.text(f"EXPLAIN {sql}")))
                assert "ix_conversations_workspace_latest" in plan and "Sort" not in plan, plan
            else:
                plan = "\n".join(row[-1] for row in conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
                assert "ix_conversations_workspace_latest" in plan and "TEMP B-TREE" not in plan, plan
