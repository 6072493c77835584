"""Checking a customer's answers against a form's fields, one rule per field type.

:func:`check_answers` returns the answers as they are stored (email
normalised and lower-cased, phone in E.164, numbers as numbers, dates as
``YYYY-MM-DD``) or raises :class:`FormInvalid` with every field's messages at
once, so a page can show each error beside its field.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import date

import marshmallow as ma

from careops.errors import ValidationFailed
from careops.fields import normalize_email, normalize_phone

TEXT_MAX = 500
TEXTAREA_MAX = 5000
#: A drawn signature is small; anything larger is not one (and would bloat every read of the row).
SIGNATURE_MAX_BYTES = 200_000
SIGNATURE_PREFIX = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NUMBER_MAX = 1e12
_NUMBER_TEXT = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
REQUIRED = "This field is required."


class FormInvalid(ValidationFailed):
    """422 whose ``errors`` are ``{"data": {field_key: [messages]}}``; ``field_errors`` is the inner mapping."""

    def __init__(self, field_errors: dict[str, list[str]]):
        super().__init__({"data": field_errors}, "Some answers are not valid")
        self.field_errors = field_errors


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _text(limit):
    def check(value, field, country):
        if not isinstance(value, str):
            raise ma.ValidationError("Enter text.")
        value = value.strip()
        if len(value) > limit:
            raise ma.ValidationError(f"At most {limit} characters.")
        return value

    return check


def _email(value, field, country):
    if not isinstance(value, str) or len(value) > 254:
        raise ma.ValidationError("Enter an email address.")
    return normalize_email(value.strip())


def _phone(value, field, country):
    if not isinstance(value, str) or len(value) > 40:
        raise ma.ValidationError("Enter a phone number.")
    return normalize_phone(value.strip(), country)


def _number(value, field, country):
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        value = float(value) if "." in value else int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ma.ValidationError("Enter a number.")
    if (isinstance(value, float) and (math.isnan(value) or math.isinf(value))) or abs(value) > NUMBER_MAX:
        raise ma.ValidationError("Enter a number.")
    return value


def _date(value, field, country):
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ma.ValidationError("Enter a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ma.ValidationError("Not a valid date.") from None


def _select(value, field, country):
    if not isinstance(value, str) or value not in field["options"]:
        raise ma.ValidationError("Choose one of: " + ", ".join(field["options"]) + ".")
    return value


def _multiselect(value, field, country):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ma.ValidationError("Choose from the list.")
    unknown = [v for v in value if v not in field["options"]]
    if unknown:
        raise ma.ValidationError(f"Not an option: {unknown[0][:100]}.")
    chosen = set(value)
    return [option for option in field["options"] if option in chosen]  # the form's order, once each


def _checkbox(value, field, country):
    if not isinstance(value, bool):
        raise ma.ValidationError("Tick or untick the box (true or false).")
    if field.get("required") and not value:
        raise ma.ValidationError("Tick this box to continue.")
    return value


def _signature(value, field, country):
    if not isinstance(value, str) or not value.startswith(SIGNATURE_PREFIX):
        raise ma.ValidationError("Sign in the box (a PNG image as a data: URL).")
    encoded = value[len(SIGNATURE_PREFIX) :]
    if len(encoded) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ma.ValidationError(f"The signature image is too large (at most {SIGNATURE_MAX_BYTES // 1000} kB).")
    try:
        image = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ma.ValidationError("The signature is not a valid image.") from None
    # A PNG starts with its signature and an IHDR chunk; a blank or foreign file does not.
    if not image.startswith(PNG_MAGIC) or image[12:16] != b"IHDR" or len(image) > SIGNATURE_MAX_BYTES:
        raise ma.ValidationError("The signature is not a valid PNG image.")
    return value


CHECKS = {
    "text": _text(TEXT_MAX),
    "textarea": _text(TEXTAREA_MAX),
    "email": _email,
    "phone": _phone,
    "number": _number,
    "date": _date,
    "select": _select,
    "multiselect": _multiselect,
    "checkbox": _checkbox,
    "signature": _signature,
}


def check_answers(fields: list[dict], data, country: str) -> dict:
    """The answers to store, or :class:`FormInvalid` naming each wrong field (unknown keys included)."""
    if not isinstance(data, dict):
        raise ValidationFailed({"data": ["Send the answers as an object of field keys."]})
    errors: dict[str, list[str]] = {}
    known = {f["key"] for f in fields}
    for key in data:
        if key not in known:
            errors[str(key)[:60]] = ["Not a field of this form."]
    answers = {}
    for field in fields:
        key, value = field["key"], data.get(field["key"])
        if field["type"] == "checkbox" and value is None:
            value = False  # an unticked box is not sent by an HTML form
        if field["type"] != "checkbox" and _blank(value):
            if field.get("required"):
                errors[key] = [REQUIRED]
            else:
                answers[key] = [] if field["type"] == "multiselect" else None
            continue
        try:
            answers[key] = CHECKS[field["type"]](value, field, country)
        except ma.ValidationError as exc:
            errors[key] = exc.messages if isinstance(exc.messages, list) else [str(exc.messages)]
    if errors:
        raise FormInvalid(errors)
    return answers
