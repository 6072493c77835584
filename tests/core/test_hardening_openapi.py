"""The project-wide rules of the OpenAPI document (careops.openapi) hold for every operation and schema."""

from __future__ import annotations

import json
import re

import pytest

from careops.openapi import finalize, operation_id
from tests.conftest import assert_error

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_every_operation_has_a_unique_readable_operation_id(spec):
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    named = {(m, p): op["operationId"] for p, m, op in operations(spec)}
    assert named[("post", "/api/v1/public/{slug}/bookings")] == "create_public_booking"
    assert named[("get", "/api/v1/conversations")] == "list_conversations"
    assert named[("get", "/api/v1/conversations/{conversation_id}")] == "get_conversation"
    assert named[("post", "/api/v1/workspace/activate")] == "activate_workspace"
    assert named[("post", "/api/v1/bookings/{booking_id}/status")] == "set_booking_status"
    assert named[("patch", "/api/v1/resources/{resource_id}")] == "update_resource"


def test_the_naming_rule():
    listing = {"responses": {"200": {"content": {"application/json": {"schema": {"type": "array"}}}}}}
    assert operation_id("get", "/api/v1/plugins/throwaway/things", listing) == "list_plugin_throwaway_things"
    assert operation_id("delete", "/api/v1/webhooks/{endpoint_id}", {}) == "delete_webhook"
    assert operation_id("post", "/api/v1/webhooks/{endpoint_id}/rotate-secret", {}) == "rotate_secret_webhook"
    assert operation_id("post", "/api/v1/form-templates/from-pack", {}) == "create_form_templates_from_pack"


def test_no_component_property_has_an_inline_enum(spec):
    for name, schema in spec["components"]["schemas"].items():
        for prop, definition in (schema.get("properties") or {}).items():
            target = definition.get("items", definition) if definition.get("type") == "array" else definition
            assert "enum" not in target or target.get("nullable"), (name, prop)
    conversation = spec["components"]["schemas"]["Conversation"]["properties"]["status"]
    assert conversation == {"$ref": "#/components/schemas/ConversationStatusEnum"}
    assert spec["components"]["schemas"]["ConversationStatusEnum"]["enum"] == ["open", "closed"]
    assert "ConversationStatus" in spec["components"]["schemas"]  # the request body keeps its own name


def test_answer_only_schemas_mark_their_fields_required(spec):
    schemas = spec["components"]["schemas"]
    conversation = schemas["Conversation"]
    assert set(conversation["required"]) >= {"id", "contact", "status", "unread_count", "automation_paused"}
    booking = schemas["Booking"]
    assert {"id", "reference", "start", "end", "status"} <= set(booking["required"])
    # Nullable and optional-by-design fields are not required; request schemas keep their own rules.
    invitation = schemas["Invitation"]
    assert "token" not in invitation["required"] and "x-optional" not in json.dumps(spec)
    assert "name" not in schemas["ResourcePatch"].get("required", [])


def test_the_rule_spares_request_schemas_and_nullable_fields():
    document = {
        "paths": {
            "/a": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Out"}}}}
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "In": {"type": "object", "properties": {"x": {"type": "string"}}},
                "Out": {
                    "type": "object",
                    "properties": {
                        "a": {"type": "string"},
                        "b": {"type": "string", "nullable": True},
                        "c": {"type": "string", "x-optional": True},
                        "d": {"$ref": "#/components/schemas/Inner"},
                    },
                },
                "Inner": {"type": "object", "properties": {"z": {"type": "integer"}}},
            }
        },
    }
    schemas = finalize(document)["components"]["schemas"]
    assert schemas["Out"]["required"] == ["a", "d"] and schemas["Inner"]["required"] == ["z"]
    assert "required" not in schemas["In"] and "x-optional" not in schemas["Out"]["properties"]["c"]
    assert document["components"]["schemas"]["Out"].get("required") is None  # the original is untouched


def test_the_error_schema_admits_its_extra_fields(spec, owner):
    error = spec["components"]["schemas"]["Error"]
    assert error["additionalProperties"] is True
    assert {"missing", "existing_id", "service_names"} <= set(error["properties"])
    conflict = owner.post("/api/v1/workspace/activate")
    assert assert_error(conflict, 409)["missing"]


def test_pagination_header_is_documented_as_json_text(spec, owner):
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["schema"] == {"type": "string"}
    response = owner.get("/api/v1/contacts")
    assert isinstance(json.loads(response.headers["X-Pagination"]), dict)


def test_the_calendar_feed_declares_text_calendar(spec):
    responses = spec["paths"]["/api/v1/public/{slug}/calendar.ics"]["get"]["responses"]
    assert list(responses["200"]["content"]) == ["text/calendar"]


@pytest.mark.parametrize(
    "path, allowed",
    [
        ("/api/v1/staff/invitations", "GET, HEAD, OPTIONS, POST"),
        ("/api/v1/integrations/providers", "GET, HEAD, OPTIONS"),
    ],
)
def test_allow_lists_the_paths_own_methods(client, owner, path, allowed):
    for method in ("PATCH", "PUT", "DELETE"):
        response = owner.client.open(path, method=method, headers=owner.headers, json={})
        assert_error(response, 405, "METHOD_NOT_ALLOWED")
        assert response.headers["Allow"] == allowed
    assert client.open(path, method="OPTIONS").headers["Allow"] == allowed
    # The /{id} routes behind them still work.
    assert owner.patch(f"/api/v1/staff/{'0' * 8}", json={"is_active": False}).status_code == 404


def test_swagger_ui_calls_no_outside_validator(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert '"validatorUrl": null' in page
