"""GET and PUT /contact-form."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error

FORM = {
    "enabled": True,
    "fields": [
        {"key": "name", "label": "Your name", "type": "text", "required": True},
        {"key": "phone", "label": "Mobile", "type": "phone", "required": True},
        {"key": "pet_name", "label": "Your pet's name", "type": "text", "required": False},
        {"key": "visit", "label": "Reason", "type": "select", "required": False},
    ],
    "success_message": "We will call you back.",
}


def test_default_form(owner):
    form = owner.get("/api/v1/contact-form").get_json()
    assert form["enabled"] is True and form["success_message"]
    assert [(f["key"], f["type"], f["required"]) for f in form["fields"]] == [
        ("name", "text", True),
        ("email", "email", False),
        ("phone", "phone", False),
        ("message", "textarea", False),
    ]


def test_owner_replaces_the_form(owner, make_staff):
    response = owner.put("/api/v1/contact-form", json=FORM)
    assert response.status_code == 200 and response.get_json() == FORM
    assert owner.get("/api/v1/contact-form").get_json() == FORM
    assert make_staff(owner).get("/api/v1/contact-form").get_json() == FORM


def test_required_defaults_to_false(owner):
    form = {
        **FORM,
        "fields": [
            {"key": "name", "label": "Name", "type": "text"},
            {"key": "email", "label": "Email", "type": "email"},
        ],
    }
    fields = owner.put("/api/v1/contact-form", json=form).get_json()["fields"]
    assert [f["required"] for f in fields] == [False, False]


def test_staff_cannot_change_the_form(owner, make_staff):
    staff = make_staff(owner, inbox=True, bookings=True, forms=True, inventory=True)
    assert_error(staff.put("/api/v1/contact-form", json=FORM), 403, "FORBIDDEN")


def test_forms_are_per_workspace(owner, other_owner):
    owner.put("/api/v1/contact-form", json=FORM)
    assert other_owner.get("/api/v1/contact-form").get_json()["success_message"] != FORM["success_message"]


def field(**overrides):
    return {"key": "extra", "label": "Extra", "type": "text", "required": False, **overrides}


NAME, EMAIL = field(key="name"), field(key="email", type="email")


@pytest.mark.parametrize(
    "form, error_field",
    [
        ({**FORM, "fields": [NAME, EMAIL, field(key="name")]}, "fields"),  # duplicate key
        ({**FORM, "fields": [EMAIL]}, "fields"),  # no name
        ({**FORM, "fields": [NAME, field(key="message")]}, "fields"),  # neither email nor phone
        ({**FORM, "fields": []}, "fields"),
        ({**FORM, "fields": [NAME, EMAIL] + [field(key=f"f{i}") for i in range(29)]}, "fields"),  # 31 fields
        ({**FORM, "fields": [NAME, EMAIL, field(type="password")]}, "fields"),
        ({**FORM, "fields": [NAME, EMAIL, field(key="Bad Key")]}, "fields"),
        ({**FORM, "fields": [NAME, EMAIL, field(key="k" * 41)]}, "fields"),
        ({**FORM, "fields": [NAME, EMAIL, field(label="")]}, "fields"),
        ({**FORM, "fields": [NAME, EMAIL, field(label="l" * 121)]}, "fields"),
        ({**FORM, "fields": [NAME, EMAIL, field(placeholder="x")]}, "fields"),
        ({**FORM, "fields": "name,email"}, "fields"),
        ({**FORM, "success_message": "s" * 501}, "success_message"),
        ({**FORM, "enabled": "sometimes"}, "enabled"),
        ({k: v for k, v in FORM.items() if k != "enabled"}, "enabled"),
        ({**FORM, "theme": "dark"}, "theme"),
    ],
)
def test_form_validation(owner, form, error_field):
    before = owner.get("/api/v1/contact-form").get_json()
    payload = assert_error(owner.put("/api/v1/contact-form", json=form), 422, "VALIDATION_ERROR")
    assert list(payload["errors"]) == [error_field]
    assert owner.get("/api/v1/contact-form").get_json() == before
