"""The clinic pack, installed as a pip distribution and found through the ``careops`` entry point group."""

from __future__ import annotations

import importlib.metadata

from careops_forms_clinic import CLINIC_PACK

from careops import plugins
from tests.conftest import assert_error
from tests.forms.conftest import SIGNATURE, form_tokens, submissions

API = "/api/v1/form-templates"


def test_the_distribution_declares_its_entry_point():
    [entry] = [e for e in importlib.metadata.entry_points(group="careops") if e.value == "careops_forms_clinic"]
    assert entry.dist.name == "careops-forms-clinic"
    assert entry.load().careops_form_packs() == [CLINIC_PACK]


def test_careops_loads_it_through_the_entry_point(app):
    [described] = [p for p in plugins.describe() if p["name"] == "careops-forms-clinic"]
    assert described["hooks"] == ["careops_form_packs"]
    assert described["version"] == importlib.metadata.version("careops-forms-clinic")


def test_without_entry_point_plugins_the_pack_is_not_offered(make_app):
    bare = make_app(CAREOPS_LOAD_ENTRYPOINT_PLUGINS=False)
    with bare.app_context():
        from careops.forms.templates import packs

        assert "clinic" not in {p["key"] for p in packs()} and "basic" in {p["key"] for p in packs()}


def test_the_pack_is_offered_and_valid(owner):
    packs = {p["key"]: p for p in owner.get("/api/v1/form-packs").get_json()}
    clinic = packs["clinic"]  # the core checked every template like an owner's: it is listed
    assert [t["name"] for t in clinic["templates"]] == ["New patient intake", "Treatment consent", "Health screening"]
    intake = {f["key"]: f for f in clinic["templates"][0]["fields"]}
    for key in (
        "full_name",
        "date_of_birth",
        "allergies",
        "medications",
        "emergency_contact_name",
        "emergency_contact_phone",
        "email",
        "phone",
    ):
        assert intake[key]["required"] is True, key
    assert intake["date_of_birth"]["type"] == "date" and intake["emergency_contact_phone"]["type"] == "phone"
    consent = {f["key"]: f for f in clinic["templates"][1]["fields"]}
    assert consent["signature"] == {"key": "signature", "label": "Signature", "type": "signature", "required": True}
    screening = {f["key"]: f for f in clinic["templates"][2]["fields"]}
    assert "None of these" in screening["symptoms"]["options"] and screening["temperature"]["type"] == "number"


def test_import_once_and_fill_the_consent_with_a_signature(clinic, client):
    owner = clinic.owner
    imported = owner.post(f"{API}/from-pack", json={"pack_key": "clinic"})
    assert imported.status_code == 201
    templates = {t["name"]: t for t in imported.get_json()}
    assert len(templates) == 3 and all(t["pack_key"] == "clinic" for t in templates.values())
    assert [t["id"] for t in owner.post(f"{API}/from-pack", json={"pack_key": "clinic"}).get_json()] == [
        t["id"] for t in imported.get_json()
    ]
    consent = templates["Treatment consent"]
    assert (
        owner.patch(f"/api/v1/services/{clinic.service_id}", json={"form_template_ids": [consent["id"]]}).status_code
        == 200
    )
    clinic.book(client)
    [token] = form_tokens(owner.workspace_id)
    answers = {
        "patient_name": "Cara Customer",
        "treatment": "Root canal",
        "explained": True,
        "questions_answered": True,
        "may_withdraw": True,
        "photographs": "No",
        "signed_on": "2026-03-02",
    }
    refused = assert_error(client.post(f"/api/v1/public/forms/{token}", json={"data": answers}), 422)
    assert refused["errors"]["data"] == {"signature": ["This field is required."]}
    unticked = {**answers, "may_withdraw": False, "signature": SIGNATURE}
    assert (
        "may_withdraw"
        in assert_error(client.post(f"/api/v1/public/forms/{token}", json={"data": unticked}), 422)["errors"]["data"]
    )
    done = client.post(f"/api/v1/public/forms/{token}", json={"data": {**answers, "signature": SIGNATURE}})
    assert done.status_code == 201, done.get_json()
    [row] = submissions(owner.workspace_id)
    assert row.status == "completed" and row.data["signature"] == SIGNATURE and row.name == "Treatment consent"


def test_the_intake_takes_a_real_patients_answers(clinic, client):
    owner = clinic.owner
    intake = owner.post(f"{API}/from-pack", json={"pack_key": "clinic"}).get_json()[0]
    owner.patch(f"/api/v1/services/{clinic.service_id}", json={"form_template_ids": [intake["id"]]})
    clinic.book(client)
    [token] = form_tokens(owner.workspace_id)
    answers = {
        "full_name": "Cara Customer",
        "date_of_birth": "1984-07-12",
        "sex": "Female",
        "email": "cara@example.com",
        "phone": "+33 6 12 34 56 78",
        "allergies": "Penicillin",
        "medications": "None",
        "conditions": ["Asthma"],
        "emergency_contact_name": "Dan Customer",
        "emergency_contact_relationship": "Husband",
        "emergency_contact_phone": "+33 6 98 76 54 32",
        "accurate": True,
    }
    response = client.post(f"/api/v1/public/forms/{token}", json={"data": answers})
    assert response.status_code == 201, response.get_json()
    contact = owner.get(f"/api/v1/contacts/{submissions(owner.workspace_id)[0].contact_id}").get_json()
    assert contact["forms"][0]["data"]["allergies"] == "Penicillin"
    assert contact["forms"][0]["data"]["emergency_contact_phone"] == "+33698765432"
