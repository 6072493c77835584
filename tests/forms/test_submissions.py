"""Staff side of submissions: list with filters and pagination, detail with data once completed, access."""

import json

from tests.conftest import assert_error
from tests.forms.conftest import VALID_ANSWERS, Clinic, form_tokens, submissions

API = "/api/v1/form-submissions"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [s["id"] for s in response.get_json()]


def test_list_filters_and_pagination(clinic, client):
    clinic.book(client, hhmm="10:00", email="a@example.com")
    clinic.book(client, hhmm="12:00", email="b@example.com")
    first, second = submissions(clinic.owner.workspace_id)
    [token, _] = form_tokens(clinic.owner.workspace_id)
    client.post(f"/api/v1/public/forms/{token}", json={"data": VALID_ANSWERS})
    owner = clinic.owner
    listed = owner.get(API).get_json()
    assert {s["id"] for s in listed} == {first.id, second.id}
    assert set(listed[0]) == {
        "id",
        "template_id",
        "booking_id",
        "contact_id",
        "name",
        "status",
        "sent_at",
        "due_at",
        "reminded_at",
        "completed_at",
    }
    assert ids(owner.get(API, query_string={"status": "completed"})) == [first.id]
    assert ids(owner.get(API, query_string={"status": "pending"})) == [second.id]
    assert ids(owner.get(API, query_string={"status": "overdue"})) == []
    assert ids(owner.get(API, query_string={"booking_id": second.booking_id})) == [second.id]
    assert ids(owner.get(API, query_string={"contact_id": first.contact_id})) == [first.id]
    assert len(ids(owner.get(API, query_string={"template_id": clinic.template["id"]}))) == 2
    page = owner.get(API, query_string={"page_size": 1, "page": 2})
    assert len(ids(page)) == 1 and json.loads(page.headers["X-Pagination"])["total"] == 2
    assert_error(owner.get(API, query_string={"status": "lost"}), 422)
    assert_error(owner.get(API, query_string={"page_size": 101}), 422)


def test_detail_has_data_once_completed(clinic, client):
    clinic.book(client)
    [row] = submissions(clinic.owner.workspace_id)
    pending = clinic.owner.get(f"{API}/{row.id}").get_json()
    assert pending["data"] is None and pending["status"] == "pending" and pending["template_version"] == 1
    assert [f["key"] for f in pending["fields"]] == [f["key"] for f in clinic.template["fields"]]
    [token] = form_tokens(clinic.owner.workspace_id)
    client.post(f"/api/v1/public/forms/{token}", json={"data": VALID_ANSWERS})
    done = clinic.owner.get(f"{API}/{row.id}").get_json()
    assert done["status"] == "completed" and done["data"]["email"] == "cara@example.com" and done["completed_at"]


def test_the_forms_permission_is_enforced(clinic, client, make_staff):
    clinic.book(client)
    [row] = submissions(clinic.owner.workspace_id)
    reader = make_staff(clinic.owner, forms=True)
    outsider = make_staff(clinic.owner, inbox=True, bookings=True, inventory=True)
    assert ids(reader.get(API)) == [row.id]
    assert reader.get(f"{API}/{row.id}").status_code == 200
    for path in (API, f"{API}/{row.id}"):
        assert_error(outsider.get(path), 403, "FORBIDDEN")
        assert_error(client.get(path), 401)


def test_another_workspace_gets_404(app, clinic, client, other_owner):
    clinic.book(client)
    [row] = submissions(clinic.owner.workspace_id)
    other = Clinic(app, other_owner)
    assert ids(other_owner.get(API)) == []
    assert_error(other_owner.get(f"{API}/{row.id}"), 404, "NOT_FOUND")
    assert ids(other_owner.get(API, query_string={"booking_id": row.booking_id})) == []
    assert_error(other_owner.get(f"/api/v1/form-templates/{clinic.template['id']}"), 404)
    # Linking the first workspace's template to the second's service is refused.
    assert_error(
        other_owner.patch(f"/api/v1/services/{other.service_id}", json={"form_template_ids": [clinic.template["id"]]}),
        422,
    )
    assert clinic.owner.get(f"{API}/{row.id}").status_code == 200


def test_counts_for_the_dashboard(clinic, client):
    from careops.forms.service import counts

    clinic.book(client)
    clinic.book(client, hhmm="13:00", email="dora@example.com")
    [token, _] = form_tokens(clinic.owner.workspace_id)
    client.post(f"/api/v1/public/forms/{token}", json={"data": VALID_ANSWERS})
    assert counts(clinic.owner.workspace_id) == {"pending": 1, "overdue": 0, "completed_7d": 1}
