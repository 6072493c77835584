"""The OpenAPI document as a generated client needs it: rules applied to every operation and schema.

flask-smorest builds the document from the views; :func:`finalize` then applies
project-wide rules to the whole of it, so every endpoint — other domains',
plugins' — follows them without declaring anything:

- every operation gets a readable, unique ``operationId`` derived from its
  method and path (:func:`operation_id`): ``list_conversations``,
  ``create_public_booking``, ``activate_workspace``, ``set_booking_status``;
- an inline ``enum`` of a component's property becomes a component of its own
  (``ConversationStatusEnum``): a generator names an inline enum
  ``<Schema><Property>``, which may be an existing component's name
  (``Conversation.status`` vs ``ConversationStatus``) — then it drops a model;
- a component that only answers (never read from a request) marks its
  properties ``required``: the server always sends them. A property that may be
  absent says so with ``metadata={"x-optional": True}``; nullable ones are not
  required either;
- the ``X-Pagination`` header is a string (JSON text), as it is sent;
- a path ending in ``.ics`` answers ``text/calendar``;
- a tag no operation uses is not listed (flask-smorest lists one per blueprint:
  auth's staff blueprint files its operations under "workspace").
"""

from __future__ import annotations

import copy
import re

import apispec

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
#: Last path segments that name an action on what precedes them (POST /workspace/activate).
ACTIONS = {
    "activate",
    "read",
    "resolve",
    "cancel",
    "reschedule",
    "test",
    "adjust",
    "login",
    "logout",
    "register",
    "refresh",
    "accept-invitation",
    "rotate-secret",
    "confirm",
    "complete",
    "submit",
    "resend",
    "retry",
    "redeliver",
    "preview",
    "import",
    "export",
    "close",
    "reopen",
    "restore",
    "disable",
    "enable",
    "send",
    "verify",
    "archive",
    "duplicate",
    "invite",
}
#: Where the rule reads badly; keyed "METHOD /path".
NAMED = {"POST /api/v1/public/{slug}/contact": "submit_public_contact"}
#: Segments that only group paths and add nothing to a name.
NAMESPACES = {"api", "v1", "auth"}
REF = "#/components/schemas/"


class Spec(apispec.APISpec):
    """apispec's document, finalized by :func:`finalize` whenever it is produced."""

    def to_dict(self):
        return finalize(super().to_dict())


def finalize(document: dict) -> dict:
    document = copy.deepcopy(document)
    name_operations(document)
    hoist_enums(document)
    require_answered_fields(document)
    pagination_header_is_text(document)
    calendar_content(document)
    drop_unused_tags(document)
    return document


def drop_unused_tags(document: dict) -> None:
    used = {
        tag
        for item in document.get("paths", {}).values()
        for method in HTTP_METHODS
        for tag in (item.get(method) or {}).get("tags", ())
    }
    if "tags" in document:
        document["tags"] = [tag for tag in document["tags"] if tag["name"] in used]


# -- operationId ---------------------------------------------------------------------------------------------------


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def operation_id(method: str, path: str, operation: dict) -> str:
    if f"{method.upper()} {path}" in NAMED:
        return NAMED[f"{method.upper()} {path}"]
    segments = [s for s in path.strip("/").split("/") if s]
    static = [s for s in segments if not s.startswith("{")]
    words = [s for s in static if s not in NAMESPACES]
    ends_with_param = bool(segments) and segments[-1].startswith("{")
    last = words[-1] if words else "root"
    clean = [w.replace("-", "_").replace(".", "_") for w in words]

    def noun(parts):
        return "_".join(parts) if parts else "root"

    if method == "post" and not ends_with_param and last in ACTIONS:
        owner = [singular(w) for w in clean[:-1]]
        return f"{last.replace('-', '_')}_{noun(owner)}" if owner else last.replace("-", "_")
    if method == "post" and not ends_with_param and last.startswith("from-"):
        return f"create_{noun(clean)}"
    item = [singular(w) for w in clean[:-1]]
    if ends_with_param:
        target = noun([*item, singular(clean[-1])] if clean else [])
        verb = {"get": "get", "put": "replace", "patch": "update", "delete": "delete", "post": "submit"}[method]
        return f"{verb}_{target}"
    if method == "get":
        return f"{'list' if _answers_a_list(operation) else 'get'}_{noun([*item, clean[-1]] if clean else [])}"
    if method == "post":
        collection = last.endswith("s") and not last.endswith(("ss", "us", "is"))
        if collection:
            return f"create_{noun([*item, singular(clean[-1])])}"
        after_param = len(segments) > 1 and segments[-2].startswith("{")
        # POST /bookings/{id}/status sets a part of one thing; POST /inventory creates in a mass noun.
        return f"{'set' if after_param else 'create'}_{noun([*item, clean[-1]])}"
    verb = {"put": "replace", "patch": "update", "delete": "delete"}[method]
    return f"{verb}_{noun(clean)}"


def _answers_a_list(operation: dict) -> bool:
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            return schema.get("type") == "array"
    return False


def name_operations(document: dict) -> None:
    taken: dict[str, int] = {}
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None or operation.get("operationId"):
                continue
            name = operation_id(method, path, operation)
            taken[name] = taken.get(name, 0) + 1
            operation["operationId"] = name if taken[name] == 1 else f"{name}_{taken[name]}"


# -- enums -----------------------------------------------------------------------------------------------------------


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-\s.]+", name) if part)


def hoist_enums(document: dict) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for schema_name in list(schemas):
        for prop, definition in list(schemas[schema_name].get("properties", {}).items()):
            target = definition.get("items") if definition.get("type") == "array" else definition
            if not isinstance(target, dict) or "enum" not in target or target.get("nullable"):
                continue
            enum_name = f"{schema_name}{pascal(prop)}Enum"
            while enum_name in schemas and schemas[enum_name].get("enum") != target["enum"]:
                enum_name += "_"
            schemas[enum_name] = {"type": target.get("type", "string"), "enum": target["enum"]}
            kept = {k: v for k, v in target.items() if k in ("description", "readOnly", "writeOnly")}
            reference = {"allOf": [{"$ref": REF + enum_name}], **kept} if kept else {"$ref": REF + enum_name}
            if target is definition:
                schemas[schema_name]["properties"][prop] = reference
            else:
                definition["items"] = reference


# -- required ---------------------------------------------------------------------------------------------------------


def _refs(node, found: set) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF):
            found.add(ref[len(REF) :])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(names: set, schemas: dict) -> set:
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        found: set = set()
        _refs(schemas[name], found)
        todo.extend(found - seen)
    return seen


def require_answered_fields(document: dict) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    read: set[str] = set()
    answered: set[str] = set()
    for item in document.get("paths", {}).values():
        _refs(item.get("parameters", []), read)
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            _refs(operation.get("requestBody", {}), read)
            _refs(operation.get("parameters", []), read)
            _refs(operation.get("responses", {}), answered)
    answer_only = _closure(answered, schemas) - _closure(read, schemas) - {"Error"}
    for name in answer_only:
        schema = schemas[name]
        properties = schema.get("properties") or {}
        required = set(schema.get("required", []))
        for prop, definition in properties.items():
            optional = definition.pop("x-optional", False)
            if optional or definition.get("nullable") or definition.get("writeOnly"):
                continue
            required.add(prop)
        if required:
            schema["required"] = sorted(required)
    for schema in schemas.values():  # the marker has done its work everywhere
        for definition in (schema.get("properties") or {}).values():
            if isinstance(definition, dict):
                definition.pop("x-optional", None)


# -- headers and content types ------------------------------------------------------------------------------------------


def pagination_header_is_text(document: dict) -> None:
    header = document.get("components", {}).get("headers", {}).get("PAGINATION")
    if header is not None:
        header.clear()
        header.update(
            {
                "description": "Pagination metadata as JSON text: "
                '{"total", "total_pages", "first_page", "last_page", "page", "previous_page", "next_page"}',
                "schema": {"type": "string"},
            }
        )


def calendar_content(document: dict) -> None:
    for path, item in document.get("paths", {}).items():
        if not path.endswith(".ics"):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for status, response in operation.get("responses", {}).items():
                if str(status).startswith("2"):
                    response["content"] = {"text/calendar": {"schema": {"type": "string"}}}
