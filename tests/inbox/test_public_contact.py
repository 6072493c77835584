"""POST /public/{slug}/contact: the workspace's own form decides what is accepted; it lands in the inbox."""

import sqlalchemy as sa

from careops.contacts.models import Contact
from careops.extensions import db
from tests.conftest import assert_error
from tests.messaging.fixtures import messages, outbox_events, slug_of, submit_contact


def contacts(workspace_id):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Contact).where(Contact.workspace_id == workspace_id)))


def test_a_submission_creates_the_contact_and_its_message(client, active):
    response = submit_contact(client, active, phone="(415) 555-2671")
    assert response.status_code == 201
    assert response.get_json() == {"ok": True, "message": "Thanks! We will get back to you shortly."}
    [contact] = contacts(active.workspace_id)
    assert (contact.name, contact.email, contact.source) == ("Carla Customer", "carla@example.com", "contact_form")
    assert contact.phone == "+14155552671"  # read in the workspace's country (US)
    [message] = messages(active.workspace_id, direction="in")
    assert (message.channel, message.author, message.body) == ("web", "customer", "Do you take new patients?")
    assert [e.payload["contact_id"] for e in outbox_events(active.workspace_id, "contact_created")] == [contact.id]
    [received] = outbox_events(active.workspace_id, "message_received")
    assert received.payload["message_id"] == message.id and received.payload["channel"] == "web"

    [conversation] = active.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["id"] == contact.id
    assert conversation["unread_count"] == 1 and conversation["unanswered"] is True
    # The latest message is the automated welcome (failed: no provider is configured here).
    assert conversation["last_message_preview"].startswith("Hi Carla Customer, Thanks for getting in touch")


def test_a_known_customer_gets_the_message_in_the_same_conversation(client, active):
    submit_contact(client, active)
    submit_contact(client, active, name="Carla C.", email="CARLA@example.com", message="Second question")
    [contact] = contacts(active.workspace_id)
    assert contact.name == "Carla Customer"  # found, not renamed
    assert [m.body for m in messages(active.workspace_id, direction="in")] == [
        "Do you take new patients?",
        "Second question",
    ]
    assert len(outbox_events(active.workspace_id, "contact_created")) == 1
    assert active.get("/api/v1/conversations").get_json()[0]["unread_count"] == 2


def test_email_or_phone_is_required(client, active):
    payload = assert_error(submit_contact(client, active, email=None), 422, "VALIDATION_ERROR")
    assert "email" in payload["errors"]
    assert_error(submit_contact(client, active, email="", phone="  "), 422)
    assert contacts(active.workspace_id) == []


def test_fields_are_validated(client, active):
    for fields, field in (
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"message": "y" * 5001}, "message"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ):
        payload = assert_error(submit_contact(client, active, **fields), 422)
        assert field in payload["errors"], (fields, payload)
    assert contacts(active.workspace_id) == [] and messages(active.workspace_id) == []


def test_an_unparseable_phone_is_422(client, active):
    payload = assert_error(submit_contact(client, active, email=None, phone="+99 999"), 422)
    assert "phone" in payload["errors"]
    assert contacts(active.workspace_id) == []


def test_custom_fields_of_the_workspace_form(client, active):
    form = active.get("/api/v1/contact-form").get_json()
    form["fields"] += [
        {"key": "company", "label": "Company", "type": "text", "required": True},
        {"key": "visits", "label": "Visits a year", "type": "number", "required": False},
        {"key": "urgent", "label": "Urgent", "type": "checkbox", "required": False},
    ]
    assert active.put("/api/v1/contact-form", json=form).status_code == 200
    assert "company" in assert_error(submit_contact(client, active), 422)["errors"]
    assert "visits" in assert_error(submit_contact(client, active, company="Acme", visits="often"), 422)["errors"]
    assert submit_contact(client, active, company="Acme", visits=3, urgent=True).status_code == 201
    [message] = messages(active.workspace_id, direction="in")
    assert message.body == "Do you take new patients?\n\nCompany: Acme\nVisits a year: 3.0\nUrgent: yes"


def test_a_form_without_message_field_refuses_a_message(client, active):
    form = active.get("/api/v1/contact-form").get_json()
    form["fields"] = [f for f in form["fields"] if f["key"] != "message"]
    active.put("/api/v1/contact-form", json=form)
    assert "message" in assert_error(submit_contact(client, active), 422)["errors"]
    assert submit_contact(client, active, message=None).status_code == 201
    assert messages(active.workspace_id, direction="in")[0].body == "(Contact form sent without a message.)"


def test_a_disabled_form_is_404(client, active):
    form = active.get("/api/v1/contact-form").get_json()
    active.put("/api/v1/contact-form", json={**form, "enabled": False})
    assert_error(submit_contact(client, active), 404)


def test_unknown_slug_is_404(client):
    assert_error(
        client.post("/api/v1/public/no-such-business/contact", json={"name": "A", "email": "a@b.co"}), 404, "NOT_FOUND"
    )


def test_before_activation_is_409(client, owner):
    assert_error(submit_contact(client, owner), 409, "WORKSPACE_NOT_ACTIVE")
    assert contacts(owner.workspace_id) == []


def test_contract_documents_the_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    responses = spec["paths"]["/api/v1/public/{slug}/contact"]["post"]["responses"]
    assert {"201", "404", "409", "422", "429"} <= set(responses)


def test_idempotency_key_replays_the_first_answer(client, active):
    from tests.messaging.fixtures import slug_of

    url = f"/api/v1/public/{slug_of(active)}/contact"
    body = {"name": "Ida", "email": "ida@example.com", "message": "Hello"}
    first = client.post(url, json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post(url, json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.get_json() == again.get_json()
    assert len(messages(active.workspace_id, direction="in")) == 1
    assert_error(
        client.post(url, json={**body, "message": "Other"}, headers={"Idempotency-Key": "k-1"}),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )
    spec = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/public/{slug}/contact"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in spec["parameters"])


def test_concurrent_first_submissions_of_one_customer_make_one_contact(app, active):
    """Every racer is answered 201: the losers of the contact's unique constraint find it on their second pass."""
    import threading

    url = f"/api/v1/public/{slug_of(active)}/contact"
    barrier = threading.Barrier(5)
    statuses = []

    def run(i):
        client = app.test_client()
        body = {"name": "Carla Customer", "email": "carla@example.com", "message": f"Question {i}"}
        barrier.wait()
        statuses.append(client.post(url, json=body).status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [201] * 5
    with app.app_context():
        [contact] = contacts(active.workspace_id)
        assert len(messages(active.workspace_id, direction="in")) == 5
    assert len(active.get("/api/v1/conversations").get_json()) == 1
