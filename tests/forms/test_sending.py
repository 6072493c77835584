"""Forms are sent after a booking: one submission per template, exactly once, with a link in the conversation."""

from datetime import timedelta

import sqlalchemy as sa

from careops import events
from careops.events import EventReceipt, OutboxEvent
from careops.extensions import db
from tests.bookings.factories import make_service, outbox
from tests.forms.conftest import LINK, form_messages, form_tokens, make_template, submissions


def test_a_booking_gets_one_pending_submission_per_template_and_a_link(app, client, clinic):
    consent = make_template(
        clinic.owner,
        name="Consent",
        service_ids=[clinic.service_id],
        due_after_hours=12,
        fields=[{"key": "agree", "label": "I agree", "type": "checkbox", "required": True}],
    )
    booked = clinic.book(client)
    rows = submissions(clinic.owner.workspace_id)
    assert [(s.template_id, s.status, s.name) for s in rows] == [
        (clinic.template["id"], "pending", "Intake"),
        (consent["id"], "pending", "Consent"),
    ]
    assert rows[1].due_at - rows[1].sent_at == timedelta(hours=12)
    # The links went to the customer's conversation, each with its own token, by the form_request rule.
    sent = form_messages(clinic.owner.workspace_id)
    assert len(sent) == 2 and all(m.to_address == "cara@example.com" for m in sent)
    assert sent[0].subject == "Please fill in: Intake" and "Consultation" in sent[0].body
    assert all(LINK.search(m.body) for m in sent)
    contact_id = rows[0].contact_id
    conversation = clinic.owner.get(f"/api/v1/contacts/{contact_id}").get_json()["conversation_id"]
    bodies = [m["body"] for m in clinic.owner.get(f"/api/v1/conversations/{conversation}").get_json()["messages"]]
    assert sum("/forms/" in b for b in bodies) == 2
    # Only hashes are stored.
    from careops.forms.models import FormAccessToken

    stored = set(db.session.scalars(sa.select(FormAccessToken.token_hash)))
    assert not stored & set(form_tokens(clinic.owner.workspace_id)) and len(stored) == 2
    # form_sent through the outbox, once per submission.
    assert sorted(e["submission_id"] for e in outbox(app, "form_sent")) == sorted(s.id for s in rows)
    # The booking lists its forms.
    [listed] = clinic.owner.get("/api/v1/bookings").get_json()
    assert [(f["template_id"], f["name"], f["status"]) for f in listed["forms"]] == [
        (clinic.template["id"], "Intake", "pending"),
        (consent["id"], "Consent", "pending"),
    ]
    assert set(listed["forms"][0]) == {"id", "template_id", "name", "status", "due_at"}
    assert listed["forms"][0]["due_at"].endswith(("+01:00", "+02:00"))  # workspace time (Europe/Paris)
    detail = clinic.owner.get(f"/api/v1/bookings/{listed['id']}").get_json()
    assert detail["forms"] == listed["forms"]
    assert booked["booking"]["reference"] == listed["reference"]


def test_staff_bookings_send_forms_too(clinic):
    clinic.staff_booking()
    assert len(submissions(clinic.owner.workspace_id)) == 1
    assert len(form_messages(clinic.owner.workspace_id)) == 1


def test_duplicate_delivery_of_booking_created_creates_nothing_twice(app, client, clinic):
    clinic.book(client)
    [event] = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == "booking_created")).all()
    assert events.deliver(event.id) is True  # delivered again: the receipts hold
    # Even with the receipts lost (a crash between the work and the receipt cannot happen, but say it did),
    # the unique (booking, template) of submissions holds.
    db.session.execute(sa.delete(EventReceipt).where(EventReceipt.event_id == event.id))
    db.session.execute(sa.update(OutboxEvent).where(OutboxEvent.id == event.id).values(delivered_at=None))
    db.session.commit()
    assert events.deliver(event.id) is True
    assert len(submissions(clinic.owner.workspace_id)) == 1
    assert len(form_messages(clinic.owner.workspace_id)) == 1
    assert len(outbox(app, "form_sent")) == 1


def test_a_service_without_forms_sends_none(clinic, client):
    other = make_service(clinic.owner, name="Quick check", duration_minutes=30)
    response = client.post(
        f"/api/v1/public/{clinic.slug}/bookings",
        json={"service_id": other["id"], "start": clinic.start("12:00"), "name": "Nico", "email": "nico@example.com"},
    )
    assert response.status_code == 201
    assert submissions(clinic.owner.workspace_id) == [] and form_messages(clinic.owner.workspace_id) == []


def test_the_form_request_rule_off_sends_no_forms(clinic, client):
    assert clinic.owner.patch("/api/v1/automation/rules/form_request", json={"enabled": False}).status_code == 200
    clinic.book(client)
    assert submissions(clinic.owner.workspace_id) == [] and form_messages(clinic.owner.workspace_id) == []


def test_the_owner_edits_the_form_request_message(clinic, client):
    response = clinic.owner.patch(
        "/api/v1/automation/rules/form_request",
        json={"template": "{contact_name}: {form_name} for {service} → {form_link}"},
    )
    assert response.status_code == 200, response.get_json()
    clinic.book(client)
    [message] = form_messages(clinic.owner.workspace_id)
    assert message.body.startswith("Cara Customer: Intake for Consultation → http://careops.test/forms/")


def test_the_demo_workspace_sends_an_intake_after_a_first_consultation(app, client):
    from careops.demo import seed
    from tests.bookings.factories import local_day

    with app.app_context():
        _, info = seed()
    login = client.post("/api/v1/auth/login", json={"email": info["email"], "password": info["password"]})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    templates = client.get("/api/v1/form-templates", headers=headers).get_json()
    assert templates and templates[0]["pack_key"] in ("clinic", "basic") and len(templates[0]["service_ids"]) == 1
    service_id = templates[0]["service_ids"][0]
    monday = next(local_day("Europe/London", d) for d in range(2, 9) if local_day("Europe/London", d).weekday() == 0)
    slots = client.get(f"/api/v1/public/{info['slug']}/services/{service_id}/slots?from={monday}&to={monday}")
    booked = client.post(
        f"/api/v1/public/{info['slug']}/bookings",
        json={
            "service_id": service_id,
            "start": slots.get_json()[0]["start"],
            "name": "Demo Patient",
            "email": "patient@example.com",
        },
    )
    assert booked.status_code == 201, booked.get_json()
    assert [s.name for s in submissions()] == [templates[0]["name"]]
