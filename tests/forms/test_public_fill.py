"""The customer's link: read the form, fill it once, per-field errors, Idempotency-Key, closed forms."""

import sqlalchemy as sa

from careops.extensions import db
from tests.bookings.factories import outbox
from tests.conftest import assert_error
from tests.forms.conftest import SIGNATURE, VALID_ANSWERS, form_tokens, submissions

PUBLIC = "/api/v1/public/forms"


def test_the_link_shows_the_form_and_the_booking(clinic, client):
    booked = clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    response = client.get(f"{PUBLIC}/{token}")
    assert response.status_code == 200, response.get_json()
    form = response.get_json()
    assert form["name"] == "Intake" and form["status"] == "pending" and form["fillable"] is True
    assert [f["key"] for f in form["fields"]] == [f["key"] for f in clinic.template["fields"]]
    assert form["booking"]["reference"] == booked["booking"]["reference"]
    assert form["booking"]["service"] == "Consultation" and form["booking"]["start"] == booked["booking"]["start"]
    assert form["business"]["slug"] == clinic.slug and form["completed_at"] is None


def test_the_customer_fills_the_form_once(app, clinic, client):
    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    response = client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "completed" and response.get_json()["fillable"] is False
    [row] = submissions(clinic.owner.workspace_id)
    assert row.status == "completed" and row.completed_at is not None
    # Stored normalised: email lower-cased, phone E.164, options in the form's order.
    assert row.data["email"] == "cara@example.com" and row.data["phone"] == "+14155550100"
    assert row.data["conditions"] == ["Asthma", "Diabetes"] and row.data["weight"] == 61.5
    assert row.data["signature"] == SIGNATURE
    assert [e["submission_id"] for e in outbox(app, "form_submitted")] == [row.id]
    # Staff see the answers.
    detail = clinic.owner.get(f"/api/v1/form-submissions/{row.id}").get_json()
    assert detail["data"]["full_name"] == "Cara Customer" and detail["status"] == "completed"
    # A second submit is refused and changes nothing.
    again = client.post(f"{PUBLIC}/{token}", json={"data": {**VALID_ANSWERS, "full_name": "Someone else"}})
    assert_error(again, 409, "CONFLICT")
    assert submissions(clinic.owner.workspace_id)[0].data["full_name"] == "Cara Customer"
    assert client.get(f"{PUBLIC}/{token}").get_json()["status"] == "completed"
    # The contact's detail shows the completed form with its answers.
    contact = clinic.owner.get(f"/api/v1/contacts/{row.contact_id}").get_json()
    [form] = contact["forms"]
    assert form["status"] == "completed" and form["data"]["born"] == "1990-04-01" and form["name"] == "Intake"


def test_invalid_answers_get_errors_per_field_and_change_nothing(clinic, client):
    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    bad = {
        **VALID_ANSWERS,
        "email": "not-an-email",
        "born": "1990-02-30",
        "agree": False,
        "sex": "Robot",
        "surprise": "field",
    }
    del bad["full_name"]
    payload = assert_error(client.post(f"{PUBLIC}/{token}", json={"data": bad}), 422, "VALIDATION_ERROR")
    assert set(payload["errors"]["data"]) == {"full_name", "email", "born", "agree", "sex", "surprise"}
    assert payload["errors"]["data"]["full_name"] == ["This field is required."]
    assert submissions(clinic.owner.workspace_id)[0].status == "pending"
    # The body itself is checked too.
    assert_error(client.post(f"{PUBLIC}/{token}", json={"answers": VALID_ANSWERS}), 422)
    assert_error(client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS, "extra": 1}), 422)
    assert_error(client.post(f"{PUBLIC}/{token}", json={"data": ["a list"]}), 422)
    bad_json = client.post(f"{PUBLIC}/{token}", data="{not json", content_type="application/json")
    assert_error(bad_json, 400)
    assert client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS}).status_code == 201


def test_phone_numbers_are_read_in_the_workspace_country(clinic, client):
    assert clinic.owner.patch("/api/v1/workspace", json={"country": "FR"}).status_code == 200
    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    response = client.post(f"{PUBLIC}/{token}", json={"data": {**VALID_ANSWERS, "phone": "06 12 34 56 78"}})
    assert response.status_code == 201, response.get_json()
    assert submissions(clinic.owner.workspace_id)[0].data["phone"] == "+33612345678"


def test_idempotency_key_replays_the_first_answer(clinic, client):
    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    headers = {"Idempotency-Key": "fill-1"}
    first = client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS}, headers=headers)
    again = client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = client.post(f"{PUBLIC}/{token}", json={"data": {**VALID_ANSWERS, "weight": 70}}, headers=headers)
    assert_error(other, 409, "IDEMPOTENCY_KEY_REUSED")


def test_unknown_links_are_404(clinic, client):
    assert_error(client.get(f"{PUBLIC}/{'x' * 43}"), 404, "NOT_FOUND")
    assert_error(client.get(f"{PUBLIC}/short"), 404, "NOT_FOUND")
    assert_error(client.post(f"{PUBLIC}/{'x' * 43}", json={"data": VALID_ANSWERS}), 404, "NOT_FOUND")


def test_a_cancelled_bookings_forms_are_closed(clinic, client):
    booked = clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    cancelled = client.post(f"/api/v1/public/bookings/{booked['manage_token']}/cancel")
    assert cancelled.status_code == 200, cancelled.get_json()
    form = client.get(f"{PUBLIC}/{token}").get_json()
    assert form["fillable"] is False and form["booking"]["status"] == "cancelled"
    assert_error(client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS}), 409, "CONFLICT")
    assert submissions(clinic.owner.workspace_id)[0].status == "pending"


def test_a_workspace_not_active_answers_409(clinic, client):
    from careops.workspaces.models import Workspace

    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    db.session.execute(sa.update(Workspace).values(status="setup"))
    db.session.commit()
    assert_error(client.get(f"{PUBLIC}/{token}"), 409, "WORKSPACE_NOT_ACTIVE")
    assert_error(client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS}), 409, "WORKSPACE_NOT_ACTIVE")


def test_a_template_changed_after_sending_does_not_change_the_sent_form(clinic, client):
    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    changed = clinic.owner.patch(
        f"/api/v1/form-templates/{clinic.template['id']}",
        json={"fields": [{"key": "only", "label": "Only question", "type": "text", "required": True}]},
    )
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    form = client.get(f"{PUBLIC}/{token}").get_json()
    assert "only" not in [f["key"] for f in form["fields"]] and "full_name" in [f["key"] for f in form["fields"]]
    assert client.post(f"{PUBLIC}/{token}", json={"data": VALID_ANSWERS}).status_code == 201
    [row] = submissions(clinic.owner.workspace_id)
    assert row.template_version == 1
    # The next booking gets the new version.
    clinic.book(client, hhmm="14:00", email="dora@example.com")
    assert submissions(clinic.owner.workspace_id)[1].template_version == 2


def test_the_service_functions_for_pages(clinic, client):
    """The HTML page calls these directly: same rules, same per-field errors."""
    import pytest

    from careops.forms import service
    from careops.forms.answers import FormInvalid

    clinic.book(client)
    [token] = form_tokens(clinic.owner.workspace_id)
    assert service.public_form(token)["fillable"] is True
    with pytest.raises(FormInvalid) as invalid:
        service.submit_by_token(token, {**VALID_ANSWERS, "email": "nope"})
    assert list(invalid.value.field_errors) == ["email"]
    assert service.submit_by_token(token, VALID_ANSWERS)["status"] == "completed"
    with pytest.raises(service.FormClosed):
        service.submit_by_token(token, VALID_ANSWERS)
