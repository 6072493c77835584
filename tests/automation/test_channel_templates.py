"""A template per channel: short SMS texts with short links; the default SMS confirmation fits 1–2 segments."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from careops.db import utcnow
from careops.extensions import db
from careops.messaging import sms
from careops.public.short_links import ShortLink, resolve, shorten
from tests.bookings.factories import Bookable
from tests.conftest import assert_error
from tests.messaging.fixtures import configure, messages

SENDING = [
    "welcome_contact",
    "booking_confirmation",
    "booking_reminder",
    "booking_reminder_short",
    "form_request",
    "form_reminder",
    "inventory_alert",
]


def rules(actor):
    return {r["key"]: r for r in actor.get("/api/v1/automation/rules").get_json()}


@pytest.fixture
def texting(app, owner, providers):
    """An active workspace with a realistic name; email through ``alpha``, SMS through ``beta``."""
    assert owner.patch("/api/v1/workspace", json={"name": "Sunrise Physiotherapy Clinic"}).status_code == 200
    place = Bookable(app, owner, name="Initial consultation")
    configure(owner, "email", "alpha")
    configure(owner, "sms", "beta")
    return place


def book_phone_only(place, phone="+1 415 555 2671"):
    response = place.owner.post(
        "/api/v1/bookings",
        json={
            "service_id": place.service_id,
            "start": place.start("09:30"),
            "contact": {"name": "Pat Phone", "phone": phone},
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# -- the rules API ---------------------------------------------------------------------------------------


def test_every_sending_rule_has_an_sms_template(owner):
    listed = rules(owner)
    for key in SENDING:
        assert listed[key]["sms_template"] and listed[key]["template"], key
        assert len(listed[key]["sms_template"]) < len(listed[key]["template"]) or key == "inventory_alert"
    assert listed["staff_reply_pause"]["sms_template"] is None
    assert "start_short" in listed["booking_confirmation"]["placeholders"]


def test_patch_the_sms_template_keeps_the_email_one(owner, other_owner):
    email_before = rules(owner)["booking_confirmation"]["template"]
    answer = owner.patch(
        "/api/v1/automation/rules/booking_confirmation",
        json={"sms_template": "{reference} {start_short} {manage_link}"},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["sms_template"] == "{reference} {start_short} {manage_link}"
    assert rules(owner)["booking_confirmation"]["template"] == email_before
    assert rules(other_owner)["booking_confirmation"]["sms_template"].startswith("{business}:")


def test_bad_sms_templates_are_422(owner, make_staff):
    unknown = owner.patch("/api/v1/automation/rules/booking_confirmation", json={"sms_template": "{secret}"})
    assert "{secret}" in assert_error(unknown, 422)["errors"]["sms_template"][0]
    assert_error(owner.patch("/api/v1/automation/rules/booking_confirmation", json={"sms_template": "x" * 460}), 422)
    assert_error(owner.patch("/api/v1/automation/rules/booking_confirmation", json={"sms_template": ""}), 422)
    refused = owner.patch("/api/v1/automation/rules/staff_reply_pause", json={"sms_template": "hi"})
    assert "sms_template" in assert_error(refused, 422)["errors"]
    assert_error(owner.patch("/api/v1/automation/rules/nope", json={"sms_template": "hi"}), 404)
    staff = make_staff(owner, inbox=True)
    assert_error(staff.patch("/api/v1/automation/rules/booking_confirmation", json={"sms_template": "hi"}), 403)


# -- what is sent ----------------------------------------------------------------------------------------


def test_the_default_sms_confirmation_fits_one_or_two_gsm7_segments(client, texting, providers):
    booking = book_phone_only(texting)
    [sent] = providers.to("beta")
    assert sent.channel == "sms" and sent.to == "+14155552671" and sent.subject is None
    assert sent.attachments == []  # the .ics goes with emails only
    assert booking["reference"] in sent.body and "Sunrise Physiotherapy Clinic" in sent.body
    assert "09:30" in sent.body and "\n" not in sent.body
    assert sms.encoding(sent.body) == "GSM-7" and sms.segments(sent.body) <= 2, (len(sent.body), sent.body)
    link = sent.body.rsplit(" ", 1)[1]
    assert link.startswith("http://careops.test/m/") and len(link) == len("http://careops.test/m/") + 10
    # The short link opens the manage page.
    followed = client.get(link.replace("http://careops.test", ""))
    assert followed.status_code == 302
    target = followed.headers["Location"]
    assert target.startswith("http://careops.test/manage/")
    token = target.rsplit("/", 1)[1]
    managed = client.get(f"/api/v1/public/bookings/{token}").get_json()
    assert managed["reference"] == booking["reference"]
    assert providers.to("alpha") == []  # and no email


def test_an_email_contact_still_gets_the_full_email(texting, providers):
    response = texting.staff_book(texting.owner, texting.start("11:00"), email="erin@example.com")
    assert response.status_code == 201
    [sent] = providers.to("alpha")
    assert sent.subject.startswith("Your booking") and "http://careops.test/manage/" in sent.body
    assert [name for name, _, _ in sent.attachments] == [f"{response.get_json()['reference']}.ics"]
    assert providers.to("beta") == []


def test_an_owners_sms_template_is_used(texting, providers):
    texting.owner.patch(
        "/api/v1/automation/rules/booking_confirmation",
        json={"sms_template": "Booked {reference} for {start_short}: {manage_link}"},
    )
    booking = book_phone_only(texting)
    [sent] = providers.to("beta")
    assert sent.body.startswith(f"Booked {booking['reference']} for ") and "/m/" in sent.body


def test_an_opted_out_contact_gets_no_automated_sms(texting, providers):
    from careops.contacts.models import Contact

    contact = texting.owner.post("/api/v1/contacts", json={"name": "Quiet", "phone": "+1 415 555 2672"}).get_json()
    db.session.get(Contact, contact["id"]).sms_opted_out = True
    db.session.commit()
    response = texting.owner.post(
        "/api/v1/bookings",
        json={"service_id": texting.service_id, "start": texting.start("13:00"), "contact_id": contact["id"]},
    )
    assert response.status_code == 201
    assert providers.to("beta") == [] and messages(texting.owner.workspace_id, direction="out") == []


# -- short links -----------------------------------------------------------------------------------------


def test_short_links_are_stored_hashed_and_encrypted(app, owner):
    url = "http://careops.test/manage/" + "t" * 43
    short = shorten(owner.workspace_id, url)
    db.session.commit()
    code = short.rsplit("/", 1)[1]
    [row] = db.session.scalars(sa.select(ShortLink)).all()
    assert code not in str(row.code_hash) and url not in str(row.target) and "t" * 43 not in str(row.target)
    assert resolve(code) == url
    assert resolve(code, now=utcnow() + timedelta(days=181)) is None  # expired


@pytest.mark.parametrize("code", ["AAAAAAAAAA", "short", "x" * 200])
def test_unknown_short_links_are_404(client, code):
    assert client.get(f"/m/{code}").status_code == 404


# -- segment counting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, encoding, count",
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("Café à 9h", "GSM-7", 1),
        ("Ça va 🙂", "UCS-2", 1),
        ("ç" * 70, "UCS-2", 1),
        ("ç" * 71, "UCS-2", 2),
    ],
)
def test_segments(text, encoding, count):
    assert (sms.encoding(text), sms.segments(text)) == (encoding, count)
