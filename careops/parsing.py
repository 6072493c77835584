"""The request guards every endpoint gets without asking: what no input may do to the server.

Two layers, both installed for every blueprint (ours, other domains', plugins'):

- :func:`guard_request` runs before every view (``before_request``): a JSON
  body nested deeper than :data:`MAX_DEPTH` is refused as malformed (400,
  instead of a ``RecursionError``); a NUL character or a lone surrogate in the
  path, the query string, a form or a JSON body (values and keys) is refused
  with 422 — PostgreSQL cannot store either and SQLite would, so both
  databases now answer alike, and nothing half-encodable reaches a provider.
- :class:`StrictParser` is flask-smorest's webargs parser for every
  ``@blp.arguments`` and for pagination. Before the schema loads, it checks
  the raw values against the schema's fields: JSON booleans must be ``true``/
  ``false`` (not ``0``, ``"yes"``), integers must be JSON integers (not
  ``1.5``, ``"3"``) and fit a 32-bit column, numbers must be finite, dates and
  datetimes must fall in :data:`YEARS` (date arithmetic near year 1 or 9999
  overflows), and a PATCH/PUT/POST whose document says the body is required
  must have one. Every refusal is a 422 naming the field.
"""

from __future__ import annotations

import json
import math
import re

import marshmallow as ma
from flask import current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser

from careops.errors import BadRequest, NotFound, ValidationFailed

#: Deeper JSON than this is not a business document.
MAX_DEPTH = 32
#: The years a date or datetime may name: wide enough for any booking or birth
#: date, far enough from 1 and 9999 that adding a horizon or a timezone cannot overflow.
YEARS = (1900, 2999)
#: Integers are stored in 32-bit columns on PostgreSQL.
INT_MAX = 2**31 - 1
NUL_MESSAGE = "NUL characters are not allowed."
SURROGATE_MESSAGE = "Not valid Unicode text (a lone surrogate)."
_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
_YEAR = re.compile(r"\s*([+-]?\d+)-")
_BODY_METHODS = ("POST", "PUT", "PATCH")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be accepted as text, or None."""
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    return None


# -- before every request ---------------------------------------------------------------------------------------


def guard_request() -> None:
    if "\x00" in request.path:
        raise NotFound("No such path")  # no id or slug contains NUL: nothing is there
    errors = {}
    for key, values in request.args.lists():
        for value in (key, *values):
            problem = text_problem(value)
            if problem:
                errors[_label(key)] = [problem]
    if errors:
        raise ValidationFailed(errors)
    if request.mimetype == "application/x-www-form-urlencoded" or request.mimetype == "multipart/form-data":
        for key, values in request.form.lists():
            for value in (key, *values):
                problem = text_problem(value)
                if problem:
                    errors[_label(key)] = [problem]
        if errors:
            raise ValidationFailed(errors)
    if request.is_json:
        _guard_json_body()


def _guard_json_body() -> None:
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return
    try:
        document = json.loads(raw)
    except RecursionError:
        raise BadRequest("The request body is nested too deeply", error_code="BAD_REQUEST") from None
    except (ValueError, UnicodeDecodeError):
        return  # malformed: the view's parser answers 400 with its own message
    errors: dict[str, list[str]] = {}
    stack = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"The request body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                errors.setdefault(path or "_body", [problem])
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = text_problem(key)
                child = f"{path}.{_label(key)}" if path else _label(key)
                if problem:
                    errors.setdefault(child, [problem])
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{path}.{index}" if path else str(index), depth + 1))
    if errors:
        raise ValidationFailed(errors)


def _label(key: str) -> str:
    """A field name safe to echo in the error body (and to store in a log)."""
    return key.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\\0")[:100]


# -- the webargs parser of every @blp.arguments ------------------------------------------------------------------


class StrictParser(FlaskParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req):
        # @blp.arguments(SomeSchema) and flask-smorest's pagination hand their schema over as a
        # class, which webargs instantiated (deep-copying its fields) on every request: one
        # instance per class instead. marshmallow 4 schemas keep no per-load state.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            if argmap not in self._schemas:
                self._schemas[argmap] = argmap()
            return self._schemas[argmap]
        return super()._get_schema(argmap, req)

    def _process_location_data(self, location_data, schema, req, location, unknown, validators):
        if location == "json" and location_data is core.missing and req.method in _BODY_METHODS and body_required():
            raise ma.ValidationError({"_body": ["A JSON object is required as the request body."]})
        if location_data is not core.missing:
            errors = schema_errors(schema, location_data, strict=location == "json")
            if errors:
                raise ma.ValidationError(errors)
        return super()._process_location_data(location_data, schema, req, location, unknown, validators)


def body_required() -> bool:
    """Whether the view's document says its JSON body is required (flask-smorest's default: yes)."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, request.method.lower(), None)
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(p.get("in") == "json" and p.get("required", True) for p in parameters)


def schema_errors(schema: ma.Schema, data, *, strict: bool) -> dict:
    """Messages for the raw values in ``data`` that ``schema`` would take too loosely or overflow on."""
    if schema.many:
        if not isinstance(data, list):
            return {}
        errors = {}
        for index, item in enumerate(data):
            found = _object_errors(schema, item, strict)
            if found:
                errors[index] = found
        return errors
    return _object_errors(schema, data, strict)


def _object_errors(schema: ma.Schema, data, strict: bool) -> dict:
    if not hasattr(data, "get") or not hasattr(data, "__contains__"):
        return {}  # not an object: the schema itself says so
    errors = {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        if key not in data:
            continue
        value = data.get(key)
        found = field_errors(field, value, strict)
        if found:
            errors[key] = found
    return errors


def field_errors(field: ma.fields.Field, value, strict: bool):
    """The messages (a list, or a dict for nested values) for one raw value, or None."""
    if value is None:
        return None  # allow_none is the field's business
    if isinstance(field, ma.fields.Boolean):
        if strict and not isinstance(value, bool):
            return ["Not a boolean: use true or false."]
    elif isinstance(field, ma.fields.Integer):
        if strict and (isinstance(value, bool) or not isinstance(value, int)):
            return ["Not an integer."]
        number = (
            value
            if isinstance(value, int)
            else int(value)
            if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value)
            else None
        )
        if number is not None and abs(number) > INT_MAX:
            return [f"Must be between {-INT_MAX} and {INT_MAX}."]
    elif isinstance(field, (ma.fields.Float, ma.fields.Decimal, ma.fields.Number)) or field.metadata.get("type") in (
        "number",
        "integer",
    ):  # a custom field documented as a number
        if strict and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return ["Not a number."]
        if isinstance(value, float) and not math.isfinite(value):
            return ["Must be a finite number."]
        if isinstance(value, (int, float)) and abs(value) > 1e15:
            return ["Number too large."]
    elif isinstance(field, (ma.fields.DateTime, ma.fields.Date)):
        if isinstance(value, str):
            match = _YEAR.match(value)
            if match and not YEARS[0] <= int(match.group(1)) <= YEARS[1]:
                return [f"The year must be between {YEARS[0]} and {YEARS[1]}."]
    elif isinstance(field, ma.fields.Nested):
        schema = field.schema
        if field.many or schema.many:
            if isinstance(value, list):
                nested = {i: e for i, item in enumerate(value) if (e := _object_errors(schema, item, strict))}
                return nested or None
            return None
        return _object_errors(schema, value, strict) or None
    elif isinstance(field, ma.fields.List):
        if isinstance(value, list):
            inner = {i: e for i, item in enumerate(value) if (e := field_errors(field.inner, item, strict))}
            return inner or None
    elif isinstance(field, ma.fields.Dict) and field.value_field is not None and isinstance(value, dict):
        inner = {k: e for k, item in value.items() if (e := field_errors(field.value_field, item, strict))}
        return inner or None
    return None


def install() -> None:
    """Make :class:`StrictParser` the parser of every flask-smorest blueprint (before any view is declared)."""
    from flask_smorest.arguments import ArgumentsMixin
    from flask_smorest.pagination import PaginationMixin

    if not isinstance(ArgumentsMixin.ARGUMENTS_PARSER, StrictParser):
        ArgumentsMixin.ARGUMENTS_PARSER = StrictParser()
        PaginationMixin.PAGINATION_ARGUMENTS_PARSER = StrictParser()


def init_app(app) -> None:
    app.before_request(guard_request)
