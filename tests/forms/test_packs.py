"""Form packs from plugins: listed, imported once, a broken pack left out; and the onboarding step."""

import pytest

from careops import hookimpl
from careops.default_plugins.basic_forms import BASIC_PACK
from careops.plugins import get_manager
from tests.conftest import assert_error

API = "/api/v1/form-templates"


class ExtraPacks:
    @hookimpl
    def careops_form_packs(self):
        return [
            {
                "key": "salon",
                "name": "Salon",
                "description": "Patch test",
                "templates": [
                    {
                        "name": "Patch test",
                        "description": None,
                        "due_after_hours": 48,
                        "fields": [
                            {
                                "key": "reaction",
                                "label": "Any reaction before?",
                                "type": "select",
                                "required": True,
                                "options": ["Yes", "No"],
                            }
                        ],
                    }
                ],
            },
            {
                "key": "broken",
                "name": "Broken",
                "templates": [{"name": "Bad", "fields": [{"key": "pick", "label": "Pick", "type": "select"}]}],
            },
            {"key": "basic", "name": "An impostor", "templates": BASIC_PACK["templates"]},
            {"name": "no key"},
        ]


@pytest.fixture
def extra_packs(app):
    plugin = ExtraPacks()
    get_manager().register(plugin, name="test-extra-packs")
    yield
    get_manager().unregister(plugin)


def test_hook_careops_form_packs_listed_with_their_templates(owner):
    packs = {p["key"]: p for p in owner.get("/api/v1/form-packs").get_json()}
    basic = packs["basic"]
    assert basic["name"] == BASIC_PACK["name"] and len(basic["templates"]) == len(BASIC_PACK["templates"])
    assert basic["templates"][0]["fields"][0]["key"] == "full_name"


def test_hook_careops_form_packs_checked_like_the_owners_templates(owner, extra_packs):
    packs = {p["key"]: p for p in owner.get("/api/v1/form-packs").get_json()}
    assert "salon" in packs and "broken" not in packs
    assert packs["basic"]["name"] == "An impostor"  # as with providers, the plugin registered last wins
    assert_error(owner.post(f"{API}/from-pack", json={"pack_key": "broken"}), 422)
    imported = owner.post(f"{API}/from-pack", json={"pack_key": "salon"})
    assert imported.status_code == 201 and imported.get_json()[0]["pack_key"] == "salon"


def test_importing_a_pack_twice_creates_nothing_new(owner):
    first = owner.post(f"{API}/from-pack", json={"pack_key": "basic"})
    assert first.status_code == 201
    templates = first.get_json()
    assert [t["name"] for t in templates] == [t["name"] for t in BASIC_PACK["templates"]]
    assert all(t["pack_key"] == "basic" and t["is_active"] for t in templates)
    again = owner.post(f"{API}/from-pack", json={"pack_key": "basic"})
    assert again.status_code == 201 and [t["id"] for t in again.get_json()] == [t["id"] for t in templates]
    assert len(owner.get(API).get_json()) == len(templates)
    # An imported template is the owner's to change; a re-import does not undo that.
    owner.patch(f"{API}/{templates[0]['id']}", json={"name": "Our intake"})
    assert owner.post(f"{API}/from-pack", json={"pack_key": "basic"}).get_json()[0]["name"] == "Our intake"


def test_a_deleted_imported_template_comes_back_on_import(owner):
    templates = owner.post(f"{API}/from-pack", json={"pack_key": "basic"}).get_json()
    assert owner.delete(f"{API}/{templates[0]['id']}").status_code == 204
    again = owner.post(f"{API}/from-pack", json={"pack_key": "basic"}).get_json()
    assert len(again) == 2 and again[0]["id"] != templates[0]["id"] and again[1]["id"] == templates[1]["id"]


def test_unknown_packs_and_bad_bodies_are_422(owner):
    payload = assert_error(owner.post(f"{API}/from-pack", json={"pack_key": "nope"}), 422)
    assert "basic" in payload["errors"]["pack_key"][0]
    assert_error(owner.post(f"{API}/from-pack", json={}), 422)
    assert_error(owner.post(f"{API}/from-pack", json={"pack_key": "basic", "extra": 1}), 422)
    assert owner.get(API).get_json() == []


def test_packs_are_per_workspace(owner, other_owner):
    mine = owner.post(f"{API}/from-pack", json={"pack_key": "basic"}).get_json()
    theirs = other_owner.post(f"{API}/from-pack", json={"pack_key": "basic"}).get_json()
    assert {t["id"] for t in mine}.isdisjoint(t["id"] for t in theirs)
    assert len(owner.get(API).get_json()) == len(other_owner.get(API).get_json()) == 2


def forms_step(owner) -> dict:
    steps = owner.get("/api/v1/workspace/onboarding").get_json()["steps"]
    return next(s for s in steps if s["key"] == "forms")


def test_the_onboarding_step_reflects_real_templates(owner):
    step = forms_step(owner)
    assert step["done"] is False and "form pack" in step["detail"]
    templates = owner.post(f"{API}/from-pack", json={"pack_key": "basic"}).get_json()
    assert forms_step(owner) == {
        "key": "forms",
        "done": True,
        "detail": "2 form template(s), 0 sent after booking a service",
    }
    service = owner.post(
        "/api/v1/services", json={"name": "Visit", "duration_minutes": 30, "form_template_ids": [templates[0]["id"]]}
    )
    assert service.status_code == 201
    assert forms_step(owner)["detail"] == "2 form template(s), 1 sent after booking a service"
    for template in templates:
        owner.delete(f"{API}/{template['id']}")
    assert forms_step(owner)["done"] is False
