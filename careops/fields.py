"""Marshmallow fields shared by the domains: validated email, timezone, country, phone.

Every string the API accepts has a length limit (:func:`Str`); a value that
cannot be stored is refused with 422 before anything is written.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

import marshmallow as ma
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from marshmallow import validate
from marshmallow.validate import Length

#: From this length on a Str is free text (notes, descriptions, message bodies) unless told otherwise.
MULTILINE_FROM = 500
_CONTROL = {chr(c) for c in range(32)} | {"\x7f", "\u2028", "\u2029"}
_SINGLE_LINE_REFUSED = frozenset(_CONTROL - {"\t"})
_MULTILINE_REFUSED = frozenset(_CONTROL - {"\t", "\n", "\r"})


def single_line(value: str) -> None:
    """Refuse line breaks and control characters: names and subjects end up in mail headers."""
    if any(ch in _SINGLE_LINE_REFUSED for ch in value):
        raise ma.ValidationError("Line breaks and control characters are not allowed here.")


def free_text(value: str) -> None:
    if any(ch in _MULTILINE_REFUSED for ch in value):
        raise ma.ValidationError("Control characters are not allowed.")


def Str(
    max_length: int, *, min_length: int = 0, multiline: bool | None = None, validate=(), **kwargs
) -> ma.fields.String:
    """A string with a length limit (and, with ``min_length=1``, not blank), plus any other ``validate``.

    A Str is one line — no CR/LF or other control characters — unless
    ``multiline=True`` or, when not said, ``max_length`` reaches :data:`MULTILINE_FROM`.
    """
    extra = list(validate) if isinstance(validate, (list, tuple)) else [validate]
    if multiline is None:
        multiline = max_length >= MULTILINE_FROM
    lines = free_text if multiline else single_line
    return ma.fields.String(validate=[Length(min=min_length, max=max_length), lines, *extra], **kwargs)


def normalize_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ma.ValidationError(str(exc)) from None


def normalize_phone(value: str, country: str = "US") -> str:
    """E.164 form of ``value``; numbers without a country code are read in ``country``."""
    try:
        number = phonenumbers.parse(value, country or "US")
    except phonenumbers.NumberParseException:
        raise ma.ValidationError("Not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise ma.ValidationError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class Email(ma.fields.String):
    """An email address, checked by email-validator and stored lower-cased."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=254))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return normalize_email(value.strip())


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class Timezone(ma.fields.String):
    """An IANA timezone name such as ``Europe/Paris``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=64))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value not in timezones():
            raise ma.ValidationError(f"'{value[:64]}' is not an IANA timezone.")
        return value


class Country(ma.fields.String):
    """An ISO 3166 alpha-2 region that phone numbers can be read in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(equal=2))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ma.ValidationError("Not an ISO 3166 alpha-2 country code.")
        return value


class PhoneRaw(ma.fields.String):
    """A phone number as typed; the service normalises it in the workspace's country."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(min=3, max=40))
        super().__init__(**kwargs)
