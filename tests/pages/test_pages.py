"""The pages through the Flask test client: booking, manage, contact, invitation, errors, headers, CSRF."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careops.extensions import db
from tests.bookings.factories import Bookable
from tests.conftest import PASSWORD, assert_error
from tests.pages.helpers import HTML, csrf_of, hidden, links, page, pick_time


def book_on_page(client, bookable, hhmm="10:00", email="cara@example.com", day_index=2):
    url = f"/{bookable.slug}/book/{bookable.service_id}"
    _, text = pick_time(client, url, hhmm, day_index)
    form = {
        "csrf_token": csrf_of(text),
        "start": hidden(text, "start"),
        "name": "Cara Customer",
        "email": email,
        "phone": "",
        "notes": "",
    }
    return client.post(url, data=form, headers=HTML), form


def test_business_page_lists_services_and_the_contact_form(client, bookable):
    response, text = page(client, f"/{bookable.slug}")
    assert "Consultation" in text and "60 minutes" in text
    assert f'href="/{bookable.slug}/book/{bookable.service_id}"' in text
    assert 'action="/' + bookable.slug + '/contact"' in text and '<label for="email">' in text
    assert "noindex" not in text and "X-Robots-Tag" not in response.headers


def test_security_headers(client, bookable):
    response, text = page(client, f"/{bookable.slug}")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "<script>" not in text and "<style" not in text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    css = client.get("/static/pages/pages.css")
    assert css.status_code == 200 and css.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/static/pages/pages.js").status_code == 200


def test_booking_from_day_to_confirmation(client, bookable, app):
    url = f"/{bookable.slug}/book/{bookable.service_id}"
    _, text = page(client, url)
    assert "All times are in Europe/Paris" in text
    days = links(text, "day")
    assert days and "free" in days[0][1]
    _, text = page(client, days[2][0])
    times = [label for _, label in links(text, "time")]
    assert times[0] == "09:00" and "16:00" in times and "17:00" not in times
    response, form = book_on_page(client, bookable)
    assert response.status_code == 303
    confirmation = response.headers["Location"]
    token = re.match(r"/manage/([^/]+)/confirmation$", confirmation).group(1)
    _, text = page(client, confirmation)
    [booking] = bookable.owner.get("/api/v1/bookings").get_json()
    assert booking["reference"] in text and "You are booked" in text and "at 10:00" in text
    assert f"http://careops.test/manage/{token}" in text
    assert booking["start"] == form["start"]
    ics = client.get(f"/manage/{token}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar" and booking["reference"].encode() in ics.data
    # The same token works for API clients.
    assert client.get(f"/api/v1/public/bookings/{token}").get_json()["reference"] == booking["reference"]


def test_a_time_just_taken_is_said_in_words(client, bookable):
    url = f"/{bookable.slug}/book/{bookable.service_id}"
    _, text = pick_time(client, url, "11:00", 2)
    form = {"csrf_token": csrf_of(text), "start": hidden(text, "start"), "name": "Cara", "email": "c@example.com"}
    assert bookable.public_book(client, form["start"], email="first@example.com").status_code == 201
    response = client.post(url, data=form, headers=HTML)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "that time was just taken" in body and 'role="alert"' in body
    assert "11:00" not in [label for _, label in links(body, "time")]


def test_booking_details_are_validated_beside_their_field(client, bookable):
    url = f"/{bookable.slug}/book/{bookable.service_id}"
    _, text = pick_time(client, url, "10:00", 2)
    response = client.post(
        url, data={"csrf_token": csrf_of(text), "start": hidden(text, "start"), "name": ""}, headers=HTML
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'id="name"[^>]*aria-describedby="name-error"', body)
    assert 'id="name-error"' in body
    response = client.post(
        url, data={"csrf_token": csrf_of(text), "start": hidden(text, "start"), "name": "Cara"}, headers=HTML
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'id="email"[^>]*aria-describedby="email-error"', body) and "email or a phone" in body
    assert 'value="Cara"' in body
    assert bookable.owner.get("/api/v1/bookings").get_json() == []


def test_a_post_without_a_valid_csrf_token_is_refused(client, bookable, app):
    url = f"/{bookable.slug}/book/{bookable.service_id}"
    _, text = pick_time(client, url, "10:00", 2)
    form = {"start": hidden(text, "start"), "name": "Cara", "email": "c@example.com"}
    for token in (None, "forged", csrf_of(text)[:-2] + "xx"):
        data = form if token is None else {**form, "csrf_token": token}
        response = client.post(url, data=data, headers=HTML)
        assert response.status_code == 400 and "Reload the page" in response.get_data(as_text=True)
    # A genuine token from another browser (another cookie) is refused too.
    other = app.test_client()
    _, other_text = page(other, f"/{bookable.slug}")
    assert client.post(url, data={**form, "csrf_token": csrf_of(other_text)}, headers=HTML).status_code == 400
    assert bookable.owner.get("/api/v1/bookings").get_json() == []
    assert client.post(url, data={**form, "csrf_token": csrf_of(text)}, headers=HTML).status_code == 303


def test_manage_cancel_and_reschedule(client, bookable):
    response, _ = book_on_page(client, bookable, "10:00")
    token = response.headers["Location"].split("/")[2]
    response, text = page(client, f"/manage/{token}")
    assert response.headers["X-Robots-Tag"].startswith("noindex") and '<meta name="robots" content="noindex' in text
    assert response.headers["Cache-Control"] == "no-store"
    assert ">Cancel booking</button>" in text and ">Reschedule</button>" in text
    # Reschedule without a time: told to pick one, beside the button.
    moved = client.post(f"/manage/{token}/reschedule", data={"csrf_token": csrf_of(text)}, headers=HTML)
    assert moved.status_code == 422 and 'id="start-error"' in moved.get_data(as_text=True)
    _, text = pick_time(client, f"/manage/{token}", "15:00", 2)
    moved = client.post(
        f"/manage/{token}/reschedule", data={"csrf_token": csrf_of(text), "start": hidden(text, "start")}, headers=HTML
    )
    assert moved.status_code == 303 and moved.headers["Location"].endswith("done=moved")
    _, text = page(client, moved.headers["Location"])
    assert "Your booking has been moved." in text and "at 15:00" in text
    [booking] = bookable.owner.get("/api/v1/bookings").get_json()
    assert datetime.fromisoformat(booking["start"]).astimezone(ZoneInfo(bookable.tz)).strftime("%H:%M") == "15:00"
    csrf_token = csrf_of(text)
    cancelled = client.post(f"/manage/{token}/cancel", data={"csrf_token": csrf_token}, headers=HTML)
    assert cancelled.status_code == 303
    _, text = page(client, cancelled.headers["Location"])
    assert "Your booking is cancelled." in text and "Cancel booking" not in text
    again = client.post(f"/manage/{token}/cancel", data={"csrf_token": csrf_token}, headers=HTML)
    assert again.status_code == 409 and "cannot be cancelled online" in again.get_data(as_text=True)


def test_cancel_after_the_minimum_notice_is_refused_in_words(client, app, owner):
    bookable = Bookable(app, owner, min_notice_minutes=60)
    response, _ = book_on_page(client, bookable, "10:00")
    token = response.headers["Location"].split("/")[2]
    [booking] = owner.get("/api/v1/bookings").get_json()
    with time_machine.travel(datetime.fromisoformat(booking["start"]) - timedelta(minutes=30), tick=False):
        _, text = page(client, f"/{bookable.slug}")  # a fresh token (the manage page no longer has a form)
        refused = client.post(f"/manage/{token}/cancel", data={"csrf_token": csrf_of(text)}, headers=HTML)
        assert refused.status_code == 409
        assert "can no longer be cancelled online" in refused.get_data(as_text=True)
        _, late = page(client, f"/manage/{token}")
        assert "too late to change this booking online" in late and "Cancel booking" not in late


def test_unknown_slug_token_and_service_are_404_pages(client, bookable, other_owner):
    for url in (
        "/no-such-business",
        "/no-such-business/contact",
        f"/{bookable.slug}/book/nope",
        f"/manage/{'x' * 43}",
        f"/invitations/{'y' * 43}",
        "/manage/short",
    ):
        response, text = page(client, url, 404)
        assert "Page not found" in text and response.mimetype == "text/html"
    # An API client (no HTML wanted) still gets the error body of API.md.
    assert_error(client.get("/no-such-business"), 404, "NOT_FOUND")
    # Another workspace's service under this slug is not found.
    other = Bookable(client.application, other_owner)
    page(client, f"/{bookable.slug}/book/{other.service_id}", 404)


def test_a_workspace_in_setup_does_not_take_bookings_yet(client, owner):
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    name = owner.get("/api/v1/workspace").get_json()["name"]
    for url in (f"/{slug}", f"/{slug}/contact", f"/{slug}/book/anything"):
        response, text = page(client, url, 409)
        assert "does not take bookings online yet" in text and name in text


def test_manage_token_shows_only_its_own_workspace(client, bookable, app, other_owner):
    other = Bookable(app, other_owner)
    response, _ = book_on_page(client, bookable, "10:00")
    token = response.headers["Location"].split("/")[2]
    _, text = page(client, f"/manage/{token}")
    business = bookable.owner.get("/api/v1/workspace").get_json()["name"]
    other_name = other_owner.get("/api/v1/workspace").get_json()["name"]
    assert business in text and other_name not in text
    # The token's own business only: the other workspace's slots are never offered here.
    assert other.slug not in text


def test_contact_form_page(client, bookable):
    url = f"/{bookable.slug}/contact"
    _, text = page(client, url)
    refused = client.post(url, data={"csrf_token": csrf_of(text), "name": "Dan"}, headers=HTML)
    assert refused.status_code == 422
    assert re.search(r'id="email"[^>]*aria-describedby="email-error"', refused.get_data(as_text=True))
    sent = client.post(
        url,
        data={
            "csrf_token": csrf_of(text),
            "name": "Dan",
            "email": "dan@example.com",
            "phone": "",
            "message": "Do you open on Sundays?",
        },
        headers=HTML,
    )
    assert sent.status_code == 303 and sent.headers["Location"].endswith("sent=1")
    _, text = page(client, sent.headers["Location"])
    assert "Thanks! We will get back to you shortly." in text
    [conversation] = bookable.owner.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["email"] == "dan@example.com"
    messages = bookable.owner.get(f"/api/v1/conversations/{conversation['id']}").get_json()["messages"]
    assert any(m["direction"] == "in" and "Sundays" in m["body"] for m in messages)


def test_invitation_page(client, owner):
    invitation = owner.post("/api/v1/staff/invitations", json={"email": "sam@example.com", "full_name": "Sam"})
    token = invitation.get_json()["token"]
    response, text = page(client, f"/invitations/{token}")
    assert "sam@example.com" in text and 'value="Sam"' in text
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    short = client.post(
        f"/invitations/{token}",
        data={"csrf_token": csrf_of(text), "full_name": "Sam S", "password": "short"},
        headers=HTML,
    )
    assert short.status_code == 422
    assert re.search(r'id="password"[^>]*aria-describedby="password-hint password-error"', short.get_data(as_text=True))
    done = client.post(
        f"/invitations/{token}",
        data={"csrf_token": csrf_of(text), "full_name": "Sam S", "password": PASSWORD},
        headers=HTML,
    )
    assert done.status_code == 303
    _, text = page(client, done.headers["Location"])
    assert "sam@example.com" in text and "/api/v1/auth/login" in text
    login = client.post("/api/v1/auth/login", json={"email": "sam@example.com", "password": PASSWORD})
    assert login.status_code == 200 and login.get_json()["user"]["full_name"] == "Sam S"
    page(client, f"/invitations/{token}", 404)  # used up


def test_invitation_email_links_to_the_page(client, owner, app):
    import sqlalchemy as sa

    from careops.inbox.models import Message

    owner.post("/api/v1/staff/invitations", json={"email": "tess@example.com"})
    with app.app_context():
        bodies = [m.body for m in db.session.scalars(sa.select(Message)).all()]
    text = " ".join(bodies)
    assert "accept-invitation" not in text
    link = re.search(r"http://careops.test(/invitations/\S+)", text).group(1)
    page(client, link)


def test_branding_is_validated_and_shown(client, bookable):
    owner = bookable.owner
    for bad in (
        {"logo_url": "http://example.com/logo.png"},
        {"logo_url": "javascript:alert(1)"},
        {"accent_color": "red"},
        {"accent_color": "#12345"},
        {"slug": "manage"},
        {"slug": "invitations"},
    ):
        assert_error(owner.patch("/api/v1/workspace", json=bad), 422)
    patched = owner.patch(
        "/api/v1/workspace", json={"logo_url": "https://example.com/logo.png", "accent_color": "#ffcc00"}
    )
    assert patched.status_code == 200 and patched.get_json()["accent_color"] == "#ffcc00"
    response, text = page(client, f"/{bookable.slug}")
    assert "<style" not in text and "style=" not in text
    assert f'<link rel="stylesheet" href="/{bookable.slug}/accent.css?v=ffcc00">' in text
    css = client.get(f"/{bookable.slug}/accent.css?v=ffcc00")
    assert css.mimetype == "text/css" and "--accent: #ffcc00; --on-accent: #000000" in css.get_data(as_text=True)
    assert '<img class="logo" src="https://example.com/logo.png"' in text


@pytest.fixture
def limited(make_app, bookable):
    return make_app(CAREOPS_RATELIMIT_ENABLED=True, CAREOPS_RATELIMIT_PUBLIC="2/minute")


def test_pages_are_rate_limited_like_the_public_api(limited, bookable):
    client = limited.test_client()
    for _ in range(2):
        page(client, f"/{bookable.slug}")
    response, text = page(client, f"/{bookable.slug}", 429)
    assert "Too many requests" in text and response.headers.get("Retry-After")
