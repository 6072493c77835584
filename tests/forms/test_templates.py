"""Form templates: every field type, validation, links to services both ways, versions, deletion, access."""

import json

import pytest

from tests.bookings.factories import make_service
from tests.conftest import assert_error
from tests.forms.conftest import EVERY_TYPE, VALID_ANSWERS, form_tokens, make_template, submissions

API = "/api/v1/form-templates"


def count(owner, **query) -> int:
    return len(owner.get(API, query_string=query).get_json())


def test_create_read_list_with_every_field_type(owner):
    created = make_template(owner, description="Before your first visit")
    assert created["fields"] == [{**f} for f in EVERY_TYPE]
    assert {created["name"], created["description"], created["due_after_hours"]} == {
        "Intake",
        "Before your first visit",
        24,
    }
    assert created["service_ids"] == [] and created["pack_key"] is None and created["version"] == 1
    assert created["is_active"] is True
    assert owner.get(f"{API}/{created['id']}").get_json() == created
    listed = owner.get(API)
    assert listed.get_json() == [created]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1
    second = make_template(owner, name="Second")
    page = owner.get(API, query_string={"page": 2, "page_size": 1})
    assert [t["id"] for t in page.get_json()] == [second["id"]]


BAD = [
    ({"fields": []}, "fields"),
    ({"fields": [{"key": "a", "label": "A", "type": "text"}, {"key": "a", "label": "B", "type": "text"}]}, "fields"),
    ({"fields": [{"key": "pick", "label": "Pick", "type": "select"}]}, "fields"),
    ({"fields": [{"key": "pick", "label": "Pick", "type": "multiselect", "options": []}]}, "fields"),
    ({"fields": [{"key": "pick", "label": "Pick", "type": "select", "options": ["a", "a"]}]}, "fields"),
    ({"fields": [{"key": "t", "label": "T", "type": "text", "options": ["a"]}]}, "fields"),
    ({"fields": [{"key": "t", "label": "T", "type": "colour"}]}, "fields"),
    ({"fields": [{"key": "Bad Key", "label": "T", "type": "text"}]}, "fields"),
    ({"fields": [{"key": "t", "label": "", "type": "text"}]}, "fields"),
    ({"fields": [{"key": "t", "label": "T", "type": "text", "colour": "red"}]}, "fields"),
    ({"name": ""}, "name"),
    ({"due_after_hours": 0}, "due_after_hours"),
    ({"service_ids": ["00000000-0000-0000-0000-000000000000"]}, "service_ids"),
    ({"pack_key": "basic"}, "pack_key"),
    ({"surprise": True}, "surprise"),
]


@pytest.mark.parametrize("change, field", BAD)
def test_invalid_templates_are_refused_and_nothing_is_created(owner, change, field):
    body = {"name": "Intake", "fields": EVERY_TYPE, **change}
    payload = assert_error(owner.post(API, json=body), 422, "VALIDATION_ERROR")
    assert field in payload["errors"], payload
    assert count(owner) == 0


def test_service_links_are_kept_both_ways(owner, other_owner):
    first, second = make_service(owner, name="First"), make_service(owner, name="Second")
    template = make_template(owner, service_ids=[first["id"]])
    assert owner.get(f"/api/v1/services/{first['id']}").get_json()["form_template_ids"] == [template["id"]]
    # The template moves to the second service.
    moved = owner.patch(f"{API}/{template['id']}", json={"service_ids": [second["id"]]}).get_json()
    assert moved["service_ids"] == [second["id"]]
    assert owner.get(f"/api/v1/services/{first['id']}").get_json()["form_template_ids"] == []
    assert owner.get(f"/api/v1/services/{second['id']}").get_json()["form_template_ids"] == [template["id"]]
    # Set from the service's side, the template sees it.
    assert (
        owner.patch(f"/api/v1/services/{first['id']}", json={"form_template_ids": [template["id"]]}).status_code == 200
    )
    assert owner.get(f"{API}/{template['id']}").get_json()["service_ids"] == [first["id"], second["id"]]
    assert [t["id"] for t in owner.get(API, query_string={"service_id": first["id"]}).get_json()] == [template["id"]]
    # Unknown and other workspaces' templates are refused by services.
    foreign = make_template(other_owner)
    for ids in (["00000000-0000-0000-0000-000000000000"], [foreign["id"]]):
        payload = assert_error(
            owner.post("/api/v1/services", json={"name": "X", "duration_minutes": 30, "form_template_ids": ids}), 422
        )
        assert "form_template_ids" in payload["errors"]
        assert_error(owner.patch(f"/api/v1/services/{first['id']}", json={"form_template_ids": ids}), 422)
    created = owner.post(
        "/api/v1/services", json={"name": "Y", "duration_minutes": 30, "form_template_ids": [template["id"]]}
    )
    assert created.status_code == 201
    # Another workspace's service cannot be linked from a template either.
    foreign_service = make_service(other_owner)
    assert_error(owner.patch(f"{API}/{template['id']}", json={"service_ids": [foreign_service["id"]]}), 422)


def test_changing_fields_bumps_the_version(owner):
    template = make_template(owner)
    same = owner.patch(f"{API}/{template['id']}", json={"name": "Renamed", "fields": EVERY_TYPE}).get_json()
    assert same["version"] == 1 and same["name"] == "Renamed"
    changed = owner.patch(f"{API}/{template['id']}", json={"fields": EVERY_TYPE[:2]}).get_json()
    assert changed["version"] == 2 and len(changed["fields"]) == 2
    assert_error(owner.patch(f"{API}/{template['id']}", json={"fields": []}), 422)
    assert_error(owner.patch(f"{API}/{template['id']}", json={"version": 7}), 422)


def test_deleting_an_unused_template_removes_it(owner):
    service = make_service(owner)
    template = make_template(owner, service_ids=[service["id"]])
    assert owner.delete(f"{API}/{template['id']}").status_code == 204
    assert_error(owner.get(f"{API}/{template['id']}"), 404, "NOT_FOUND")
    assert owner.get(f"/api/v1/services/{service['id']}").get_json()["form_template_ids"] == []
    assert_error(owner.delete(f"{API}/{template['id']}"), 404)


def test_deleting_a_template_in_use_deactivates_it(clinic, client):
    owner, template_id = clinic.owner, clinic.template["id"]
    clinic.book(client)
    [token] = form_tokens(owner.workspace_id)
    assert owner.delete(f"{API}/{template_id}").status_code == 204
    kept = owner.get(f"{API}/{template_id}").get_json()
    assert kept["is_active"] is False and kept["service_ids"] == []
    assert count(owner) == 0 and count(owner, is_active="false") == 1
    assert owner.get(f"/api/v1/services/{clinic.service_id}").get_json()["form_template_ids"] == []
    # The form already sent can still be filled; new bookings get no form; it cannot be linked again.
    assert client.post(f"/api/v1/public/forms/{token}", json={"data": VALID_ANSWERS}).status_code == 201
    clinic.book(client, hhmm="15:00", email="other@example.com")
    assert len(submissions(owner.workspace_id)) == 1
    assert_error(owner.patch(f"/api/v1/services/{clinic.service_id}", json={"form_template_ids": [template_id]}), 422)
    assert_error(owner.patch(f"{API}/{template_id}", json={"service_ids": [clinic.service_id]}), 422)


def test_permissions(owner, make_staff, client):
    template = make_template(owner)
    reader = make_staff(owner, forms=True)
    outsider = make_staff(owner, inbox=True, bookings=True)
    assert reader.get(API).status_code == 200
    assert reader.get(f"{API}/{template['id']}").status_code == 200
    assert reader.get("/api/v1/form-packs").status_code == 200
    for call in (
        lambda a: a.post(API, json={"name": "X", "fields": EVERY_TYPE}),
        lambda a: a.patch(f"{API}/{template['id']}", json={"name": "X"}),
        lambda a: a.delete(f"{API}/{template['id']}"),
        lambda a: a.post(f"{API}/from-pack", json={"pack_key": "basic"}),
    ):
        assert_error(call(reader), 403, "FORBIDDEN")
        assert_error(call(outsider), 403, "FORBIDDEN")
    for path in (API, f"{API}/{template['id']}", "/api/v1/form-packs"):
        assert_error(outsider.get(path), 403, "FORBIDDEN")
        assert_error(client.get(path), 401)
    assert owner.get(f"{API}/{template['id']}").get_json()["name"] == "Intake"


def test_another_workspace_sees_nothing(owner, other_owner):
    template = make_template(owner)
    assert other_owner.get(API).get_json() == []
    assert_error(other_owner.get(f"{API}/{template['id']}"), 404, "NOT_FOUND")
    assert_error(other_owner.patch(f"{API}/{template['id']}", json={"name": "Taken"}), 404, "NOT_FOUND")
    assert_error(other_owner.delete(f"{API}/{template['id']}"), 404, "NOT_FOUND")
    assert owner.get(f"{API}/{template['id']}").get_json() == template
