"""GET/PATCH /automation/rules and the template language."""

import pytest

from careops.automation import templates
from tests.conftest import assert_error

KEYS = [
    "welcome_contact",
    "booking_confirmation",
    "booking_reminder",
    "booking_reminder_short",
    "form_request",
    "form_reminder",
    "inventory_alert",
    "staff_reply_pause",
]


def rules(actor):
    return {r["key"]: r for r in actor.get("/api/v1/automation/rules").get_json()}


def test_every_fixed_rule_with_its_defaults(owner):
    listed = owner.get("/api/v1/automation/rules").get_json()
    assert [r["key"] for r in listed] == KEYS
    assert all(r["enabled"] for r in listed)
    by_key = {r["key"]: r for r in listed}
    assert by_key["booking_reminder"]["offset_minutes"] == 1440
    assert by_key["booking_reminder_short"]["offset_minutes"] == 120
    assert by_key["welcome_contact"]["offset_minutes"] is None
    assert by_key["welcome_contact"]["channel"] == "email" and "{contact_name}" in by_key["welcome_contact"]["template"]
    assert by_key["staff_reply_pause"]["channel"] is None and by_key["staff_reply_pause"]["template"] is None
    assert "manage_link" in by_key["booking_confirmation"]["placeholders"]


def test_patch_a_rule(owner, other_owner):
    answer = owner.patch(
        "/api/v1/automation/rules/booking_reminder",
        json={"offset_minutes": 720, "channel": "sms", "template": "{contact_name}: {service} tomorrow at {start}"},
    )
    assert answer.status_code == 200
    changed = answer.get_json()
    assert (changed["offset_minutes"], changed["channel"], changed["enabled"]) == (720, "sms", True)
    assert rules(owner)["booking_reminder"]["template"] == "{contact_name}: {service} tomorrow at {start}"
    turned_off = owner.patch("/api/v1/automation/rules/welcome_contact", json={"enabled": False}).get_json()
    assert turned_off["enabled"] is False
    # Another workspace keeps its defaults.
    assert rules(other_owner)["booking_reminder"]["offset_minutes"] == 1440
    assert rules(other_owner)["welcome_contact"]["enabled"] is True


@pytest.mark.parametrize(
    "template, named",
    [
        ("Hello {customer}", "{customer}"),
        ("{contact.__class__.__init__.__globals__}", "{contact.__class__.__init__.__globals__}"),
        ("{contact_name!r}", "{contact_name!r}"),
        ("{manage_link:>10}", "{manage_link:>10}"),
        ("{0}", "{0}"),
    ],
)
def test_unknown_placeholders_are_422_naming_them(owner, template, named):
    payload = assert_error(owner.patch("/api/v1/automation/rules/welcome_contact", json={"template": template}), 422)
    assert named in payload["errors"]["template"][0]
    assert rules(owner)["welcome_contact"]["template"].startswith("Hi {contact_name}")


def test_a_booking_placeholder_is_unknown_to_the_welcome(owner):
    payload = assert_error(
        owner.patch("/api/v1/automation/rules/welcome_contact", json={"subject": "Your {reference}"}), 422
    )
    assert "{reference}" in payload["errors"]["subject"][0]


@pytest.mark.parametrize(
    "key, body, field",
    [
        ("welcome_contact", {"offset_minutes": 10}, "offset_minutes"),
        ("staff_reply_pause", {"template": "x"}, "template"),
        ("booking_reminder", {"offset_minutes": 0}, "offset_minutes"),
        ("booking_reminder", {"channel": "pigeon"}, "channel"),
        ("booking_reminder", {"template": ""}, "template"),
        ("booking_reminder", {"colour": "red"}, "colour"),
    ],
)
def test_bad_patches_are_422(owner, key, body, field):
    assert field in assert_error(owner.patch(f"/api/v1/automation/rules/{key}", json=body), 422)["errors"]


def test_unknown_rule_is_404(owner):
    assert_error(owner.patch("/api/v1/automation/rules/send_birthday_cards", json={"enabled": False}), 404)


def test_owner_only(owner, make_staff, client):
    staff = make_staff(owner, inbox=True)
    assert_error(staff.get("/api/v1/automation/rules"), 403)
    assert_error(staff.patch("/api/v1/automation/rules/welcome_contact", json={"enabled": False}), 403)
    assert_error(client.get("/api/v1/automation/rules"), 401)


def test_render_substitutes_plain_values_only():
    assert (
        templates.render("Hi {contact_name}, {{literal}} }} {missing}.", {"contact_name": "{business}"})
        == "Hi {business}, {literal} } ."
    )
    assert templates.placeholders("a {b} {{c}} {d e}") == ["b", "d e"]
    assert templates.unknown_placeholders("{a} {b} {a} {c.d}", {"a"}) == ["b", "c.d"]
