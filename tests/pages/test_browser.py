"""A person with only a browser: book, reschedule, cancel, fill a form, write, join the team — in Chromium.

Real Chromium (Debian's), real gunicorn on loopback, the test database; axe-core
checks every page. Run with ``-m live``; ``scripts/screenshots.py`` runs these
with ``CAREOPS_SCREENSHOTS`` set to refresh ``docs/screenshots/``.
"""

from __future__ import annotations

import re

import pytest
import requests

from careops.extensions import db
from tests.bookings.factories import Bookable
from tests.conftest import PASSWORD
from tests.pages.browser import _server, browser, check_a11y, seen, site, visit  # noqa: F401 - fixtures

pytestmark = pytest.mark.live


@pytest.fixture
def bookable(app, owner):
    owner.patch("/api/v1/workspace", json={"address": "12 Rue des Lilas, Lyon", "accent_color": "#1a7f5a"})
    return Bookable(app, owner, location="Room 2", description="A first talk about what you need.")


def test_book_reschedule_and_cancel_with_javascript(site, visit, bookable):
    v = visit()
    page = v.page
    page.goto(f"{site}/{bookable.slug}")
    seen(page, "business")
    page.get_by_role("link", name="Book Consultation").click()
    page.wait_for_url(re.compile(r"/book/"))
    seen(page, "book-days")
    page.evaluate("window.__noReload = true")
    page.locator("a.day").nth(1).click()
    page.get_by_role("heading", name=re.compile("Free times on")).wait_for()
    page.get_by_role("link", name="10:00", exact=True).click()
    page.get_by_role("heading", name="Your details").wait_for()
    assert page.evaluate("window.__noReload") is True, "picking a time loaded a new page"
    assert "start=" in page.url  # the address follows, so Back and reload work
    seen(page, "book-details")
    page.get_by_label("Name").fill("Cara Customer")
    page.get_by_label("Email").fill("cara@example.com")
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(re.compile(r"/manage/[^/]+/confirmation$"))
    [booking] = bookable.owner.get("/api/v1/bookings").get_json()
    assert booking["reference"] in page.content() and "at 10:00" in page.content()
    seen(page, "confirmation")
    ics = page.request.get(site + page.get_by_role("link", name="Add to calendar").get_attribute("href"))
    assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
    manage_link = page.locator("a.manage-link")
    assert manage_link.inner_text() == site + manage_link.get_attribute("href")
    manage_link.click()
    page.wait_for_url(re.compile(r"/manage/[^/]+$"))
    seen(page, "manage")
    page.locator("a.day").nth(2).click()
    page.get_by_role("link", name="15:00", exact=True).click()
    page.get_by_text("New time:").wait_for()
    page.get_by_role("button", name="Reschedule").click()
    page.get_by_text("Your booking has been moved.").wait_for()
    assert "at 15:00" in page.locator("dd.when").inner_text()
    [moved] = bookable.owner.get("/api/v1/bookings").get_json()
    assert moved["id"] == booking["id"] and moved["start"] != booking["start"]
    page.get_by_role("button", name="Cancel booking").click()
    page.get_by_text("Your booking is cancelled.").wait_for()
    check_a11y(page, "manage-cancelled")
    assert bookable.owner.get("/api/v1/bookings").get_json()[0]["status"] == "cancelled"
    assert v.console_errors == [], "\n".join(v.console_errors)


def test_book_without_javascript(site, visit, bookable):
    v = visit(javascript=False)
    page = v.page
    page.goto(f"{site}/{bookable.slug}/book/{bookable.service_id}")
    page.locator("a.day").nth(1).click()
    page.wait_for_url(re.compile(r"day="))
    day_url = page.url
    page.get_by_role("link", name="11:00", exact=True).click()
    page.wait_for_url(re.compile(r"start="))
    page.get_by_label("Name").fill("Noah No-Script")
    page.get_by_label("Phone").fill("+33 6 12 34 56 78")
    page.get_by_role("button", name="Book").click()
    # This business has no SMS channel: the service's refusal is shown beside the email field.
    error = page.locator("#email-error")
    error.wait_for()
    assert page.get_by_label("Email").get_attribute("aria-describedby") == "email-error"
    # (No axe here: it runs as JavaScript, which this visitor has turned off.)
    page.get_by_label("Email").fill("noah@example.com")
    page.get_by_role("button", name="Book").click()
    page.wait_for_url(re.compile(r"/confirmation$"))
    assert "You are booked" in page.content() and "at 11:00" in page.content()
    # The time is gone for the next visitor.
    page.goto(day_url)
    assert "11:00" not in [t.strip() for t in page.locator("a.time").all_inner_texts()]
    [booking] = bookable.owner.get("/api/v1/bookings").get_json()
    assert booking["status"] == "confirmed"


def test_fill_a_form_with_a_drawn_signature(site, visit, app, owner, client):
    from tests.forms.conftest import Clinic, form_tokens, submissions

    clinic = Clinic(app, owner)
    clinic.book(client)
    [token] = form_tokens(owner.workspace_id)
    v = visit()
    page = v.page
    page.goto(f"{site}/forms/{token}")
    seen(page, "form")
    page.get_by_role("button", name="Send answers").click()  # nothing filled: errors beside the fields
    page.locator("#error-summary").wait_for()
    check_a11y(page, "form-errors")
    page.get_by_label("Full name").fill("Cara Customer")
    page.get_by_label("Email").fill("cara@example.com")
    page.get_by_label("Date of birth").fill("1990-04-01")
    page.get_by_label("Sex").select_option("Female")
    page.get_by_label("Asthma").check()
    page.get_by_label("I agree").check()
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (15 if step % 2 else -15))
    page.mouse.up()
    page.get_by_role("button", name="Send answers").click()
    page.get_by_text("Thank you").wait_for()
    seen(page, "form-thank-you")
    [row] = submissions(owner.workspace_id)
    assert row.status == "completed" and row.data["signature"].startswith("data:image/png;base64,")
    assert len(row.data["signature"]) > 500 and row.data["conditions"] == ["Asthma"]
    assert v.console_errors == [], "\n".join(v.console_errors)


def test_send_the_contact_form(site, visit, bookable):
    v = visit()
    page = v.page
    page.goto(f"{site}/{bookable.slug}/contact")
    seen(page, "contact")
    page.get_by_label("Name").fill("Dan")
    page.get_by_label("Email").fill("dan@example.com")
    page.get_by_label("Message").fill("Do you open on Sundays?")
    page.get_by_role("button", name="Send message").click()
    page.get_by_text("Thanks! We will get back to you shortly.").wait_for()
    seen(page, "contact-sent")
    [conversation] = bookable.owner.get("/api/v1/conversations").get_json()
    assert conversation["contact"]["email"] == "dan@example.com"


def test_accept_an_invitation_then_log_in(site, visit, owner, app):
    import sqlalchemy as sa

    from careops.inbox.models import Message

    owner.post("/api/v1/staff/invitations", json={"email": "sam@example.com", "full_name": "Sam"})
    db.session.expire_all()
    with app.app_context():
        bodies = " ".join(m.body or "" for m in db.session.scalars(sa.select(Message)))
    # The email was written by this test's app (public URL http://careops.test): same path, live host.
    url, email = (
        site + re.search(r"http://careops\.test(/invitations/[A-Za-z0-9_-]+)", bodies).group(1),
        "sam@example.com",
    )
    v = visit()
    page = v.page
    page.goto(url)
    seen(page, "invitation")
    page.get_by_label("Your name").fill("Sam Staff")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text("Your account is ready").wait_for()
    seen(page, "invitation-done")
    assert email in page.content()
    login = requests.post(f"{site}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert login.status_code == 200 and login.json()["user"]["full_name"] == "Sam Staff"


def test_not_found_and_not_active_pages(site, visit, owner):
    v = visit()
    page = v.page
    response = page.goto(f"{site}/manage/{'x' * 43}")
    assert response.status == 404
    seen(page, "not-found")
    slug = owner.get("/api/v1/workspace").get_json()["slug"]
    assert page.goto(f"{site}/{slug}").status == 409
    assert "does not take bookings online yet" in page.content()
    check_a11y(page, "not-active")
