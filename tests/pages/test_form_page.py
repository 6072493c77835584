"""The customer's form page through the Flask test client: every field type, errors beside fields, once only."""

from __future__ import annotations

import re

from careops.extensions import db
from tests.forms.conftest import SIGNATURE, Clinic, form_tokens, submissions
from tests.pages.helpers import HTML, csrf_of, page

ANSWERS = {
    "full_name": "Cara Customer",
    "history": "Broke an arm",
    "email": "Cara@Example.com",
    "phone": "",
    "weight": "61.5",
    "born": "1990-04-01",
    "sex": "Female",
    "conditions": ["Diabetes", "Asthma"],
    "agree": "yes",
    "signature": SIGNATURE,
}


def clinic_form(app, owner, client):
    clinic = Clinic(app, owner)
    clinic.book(client)
    [token] = form_tokens(owner.workspace_id)
    return clinic, token


def test_every_field_type_is_rendered_with_a_label(app, owner, client):
    _, token = clinic_form(app, owner, client)
    response, text = page(client, f"/forms/{token}")
    assert response.headers["X-Robots-Tag"].startswith("noindex") and "noindex" in text
    for key, kind in (
        ("full_name", "text"),
        ("email", "email"),
        ("phone", "tel"),
        ("weight", "number"),
        ("born", "date"),
    ):
        assert re.search(rf'<label for="{key}">', text) and re.search(rf'type="{kind}" id="{key}"', text), key
    assert '<textarea id="history"' in text and '<select id="sex"' in text
    assert "<legend>Conditions</legend>" in text and 'id="conditions-1"' in text
    assert 'type="checkbox" id="agree"' in text
    assert 'data-signature-for="signature-data"' in text and 'type="hidden" id="signature-data"' in text


def test_errors_beside_their_fields_then_a_read_only_thank_you(app, owner, client):
    clinic, token = clinic_form(app, owner, client)
    _, text = page(client, f"/forms/{token}")
    bad = {**ANSWERS, "email": "not an email", "signature": "", "agree": "", "born": "1 April"}
    refused = client.post(f"/forms/{token}", data={"csrf_token": csrf_of(text), **bad}, headers=HTML)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    for key in ("email", "born", "agree"):
        assert re.search(rf'id="{key}"[^>]*aria-describedby="{key}-error"', body), key
    assert re.search(
        r'<fieldset class="signature" id="signature" aria-describedby="signature-hint signature-error"', body
    )
    assert 'value="Cara Customer"' in body  # what was right stays filled in
    sent = client.post(f"/forms/{token}", data={"csrf_token": csrf_of(text), **ANSWERS}, headers=HTML)
    assert sent.status_code == 303 and sent.headers["Location"] == f"/forms/{token}"
    [row] = submissions(owner.workspace_id)
    assert row.status == "completed" and row.data["signature"] == SIGNATURE
    assert row.data["conditions"] == ["Asthma", "Diabetes"] and row.data["agree"] is True
    _, text = page(client, f"/forms/{token}")
    assert "Thank you" in text and "<form" not in text
    again = client.post(f"/forms/{token}", data={"csrf_token": csrf_of(body), **ANSWERS}, headers=HTML)
    assert again.status_code == 409 and "already been submitted" in again.get_data(as_text=True)


def test_a_form_without_csrf_is_refused_and_unknown_links_are_404(app, owner, client):
    _, token = clinic_form(app, owner, client)
    assert client.post(f"/forms/{token}", data=ANSWERS, headers=HTML).status_code == 400
    db.session.expire_all()
    assert submissions(owner.workspace_id)[0].status == "pending"
    page(client, f"/forms/{'z' * 43}", 404)
