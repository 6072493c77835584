"""Every field type, valid and invalid: the rules the API and the page both apply."""

import base64

import pytest

from careops.errors import ValidationFailed
from careops.forms.answers import SIGNATURE_MAX_BYTES, FormInvalid, check_answers
from tests.forms.conftest import SIGNATURE, png


def field(type_, required=True, **extra):
    return {"key": "answer", "label": "Answer", "type": type_, "required": required, **extra}


OPTIONS = {"options": ["Red", "Green", "Blue"]}
BIG_PNG = "data:image/png;base64," + base64.b64encode(png() + b"\x00" * SIGNATURE_MAX_BYTES).decode()

VALID = [
    ("text", {}, "  Cara  ", "Cara"),
    ("textarea", {}, "line one\nline two", "line one\nline two"),
    ("email", {}, "Cara.Customer@Example.COM", "cara.customer@example.com"),
    ("phone", {}, "(415) 555-0100", "+14155550100"),
    ("phone", {}, "+33 6 12 34 56 78", "+33612345678"),
    ("number", {}, 42, 42),
    ("number", {}, -3.5, -3.5),
    ("number", {}, "37.8", 37.8),
    ("date", {}, "2026-02-28", "2026-02-28"),
    ("date", {}, "2024-02-29", "2024-02-29"),
    ("select", OPTIONS, "Green", "Green"),
    ("multiselect", OPTIONS, ["Blue", "Red"], ["Red", "Blue"]),
    ("multiselect", OPTIONS, "Blue", ["Blue"]),
    ("checkbox", {}, True, True),
    ("signature", {}, SIGNATURE, SIGNATURE),
]

INVALID = [
    ("text", {}, 12),
    ("text", {}, "x" * 501),
    ("textarea", {}, "x" * 5001),
    ("email", {}, "not-an-email"),
    ("email", {}, "cara@"),
    ("phone", {}, "12"),
    ("phone", {}, "not a phone"),
    ("phone", {}, "+1 415 555 01"),
    ("number", {}, "forty"),
    ("number", {}, True),
    ("number", {}, 1e13),
    ("date", {}, "2026-02-30"),
    ("date", {}, "01/02/2026"),
    ("date", {}, 20260101),
    ("select", OPTIONS, "Purple"),
    ("select", OPTIONS, ["Red"]),
    ("multiselect", OPTIONS, ["Red", "Purple"]),
    ("multiselect", OPTIONS, [1]),
    ("checkbox", {}, False),  # required: must be ticked
    ("checkbox", {}, "yes"),
    ("signature", {}, "data:image/jpeg;base64,AAAA"),
    ("signature", {}, "data:image/png;base64,not base64!"),
    ("signature", {}, "data:image/png;base64," + base64.b64encode(b"GIF89a not a png").decode()),
    ("signature", {}, BIG_PNG),
    ("signature", {}, "https://example.com/sig.png"),
]


@pytest.mark.parametrize("type_, extra, value, stored", VALID)
def test_valid_answers_are_stored_normalised(type_, extra, value, stored):
    assert check_answers([field(type_, **extra)], {"answer": value}, "US") == {"answer": stored}


@pytest.mark.parametrize("type_, extra, value", INVALID)
def test_invalid_answers_are_refused_with_a_message(type_, extra, value):
    with pytest.raises(FormInvalid) as refused:
        check_answers([field(type_, **extra)], {"answer": value}, "US")
    assert list(refused.value.field_errors) == ["answer"]
    messages = refused.value.field_errors["answer"]
    assert messages and all(isinstance(m, str) for m in messages)
    assert refused.value.errors == {"data": refused.value.field_errors}


@pytest.mark.parametrize(
    "type_", ["text", "textarea", "email", "phone", "number", "date", "select", "multiselect", "signature"]
)
def test_required_fields_must_be_answered(type_):
    extra = OPTIONS if type_ in ("select", "multiselect") else {}
    for blank in (None, "", "   ", []):
        with pytest.raises(FormInvalid) as refused:
            check_answers([field(type_, **extra)], {"answer": blank}, "US")
        assert refused.value.field_errors == {"answer": ["This field is required."]}
    with pytest.raises(FormInvalid):
        check_answers([field(type_, **extra)], {}, "US")


@pytest.mark.parametrize(
    "type_", ["text", "textarea", "email", "phone", "number", "date", "select", "multiselect", "signature", "checkbox"]
)
def test_optional_fields_may_be_left_empty(type_):
    extra = OPTIONS if type_ in ("select", "multiselect") else {}
    stored = check_answers([field(type_, required=False, **extra)], {}, "US")["answer"]
    assert stored == {"multiselect": [], "checkbox": False}.get(type_)


def test_an_optional_checkbox_may_be_unticked():
    assert check_answers([field("checkbox", required=False)], {"answer": False}, "US") == {"answer": False}


def test_phone_numbers_without_a_code_are_read_in_the_country():
    assert check_answers([field("phone")], {"answer": "020 7946 0958"}, "GB") == {"answer": "+442079460958"}
    with pytest.raises(FormInvalid):
        check_answers([field("phone")], {"answer": "020 7946 0958"}, "US")


def test_unknown_keys_and_every_error_at_once():
    fields = [field("text"), {"key": "mail", "label": "Mail", "type": "email", "required": True}]
    with pytest.raises(FormInvalid) as refused:
        check_answers(fields, {"mail": "nope", "other": 1}, "US")
    assert set(refused.value.field_errors) == {"answer", "mail", "other"}


def test_answers_must_be_an_object():
    with pytest.raises(ValidationFailed) as refused:
        check_answers([field("text")], ["a"], "US")
    assert refused.value.errors == {"data": ["Send the answers as an object of field keys."]}
