"""Receiving through a real IMAP server (dovecot on loopback): replies land in the right conversation, once."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
import sqlalchemy as sa
from careops_email_smtp.models import ImportedEmail
from careops_email_smtp.receive import IMAP_ERROR_PREFIX, poll_all
from smtp_helpers import FROM_EMAIL, Clinic, imap_config

from careops.contacts.models import Contact
from careops.db import utcnow
from careops.extensions import db
from tests.messaging.fixtures import messages, outbox_events


def email_from(
    sender: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    references: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    **headers,
) -> bytes:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, FROM_EMAIL, subject
    email["Date"], email["Message-ID"] = format_datetime(utcnow()), make_msgid(domain="mail.example.org")
    if in_reply_to:
        email["In-Reply-To"] = in_reply_to
    if references:
        email["References"] = references
    for name, value in headers.items():
        email[name.replace("_", "-")] = value
    email.set_content(body)
    if attachment:
        email.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return email.as_bytes()


@pytest.fixture
def clinic(client, owner, smtp_server, certificate, mailbox):
    return Clinic(client, owner, smtp_server, certificate, **imap_config(mailbox))


def contact_by_email(workspace_id: str, email: str) -> Contact | None:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.email == email)
    ).first()


def inbound(workspace_id: str) -> list:
    return messages(workspace_id, direction="in")


REPLY = """\
Can I bring my daughter along?

Thanks,
Sam
--\x20
Sam Customer | ACME Corp | +1 415 555 0100

On Mon, 30 Nov 2026 at 10:00, Clinic <hello@clinic.example.com> wrote:
> Hi Sam Customer,
> Thank you for booking Consultation.
"""


def test_a_reply_is_threaded_into_its_conversation_once_across_polls_and_a_restart(clinic, mailbox, make_app):
    workspace_id = clinic.owner.workspace_id
    clinic.book(email="sam@example.com")
    clinic.book(email="olivia@example.com", name="Olivia Other", hhmm="12:00")
    sam_confirmation, _ = messages(workspace_id, author="automation:booking_confirmation")
    sam = contact_by_email(workspace_id, "sam@example.com")
    assert sam_confirmation.conversation_id and sam_confirmation.provider_message_id.startswith("<careops.")

    # Sam answers from his work address; the reply names the confirmation it answers.
    mailbox.deliver(
        email_from(
            "Sam at work <sam.work@example.org>",
            "Re: Your booking",
            REPLY,
            in_reply_to=sam_confirmation.provider_message_id,
            references=f"<older@example.org> {sam_confirmation.provider_message_id}",
            attachment=("referral.pdf", b"%PDF" + b"x" * 2044),
        )
    )
    mailbox.deliver(email_from("New Person <new.person@example.net>", "Home visits?", "Do you do home visits?"))

    assert sum(poll_all().values()) == 2
    sam_conversation = clinic.owner.get(f"/api/v1/contacts/{sam.id}").get_json()["conversation_id"]
    detail = clinic.owner.get(f"/api/v1/conversations/{sam_conversation}").get_json()
    [reply] = [m for m in detail["messages"] if m["direction"] == "in"]
    assert reply["author"] == "customer" and reply["channel"] == "email"
    assert reply["body"] == "Can I bring my daughter along?\n\nThanks,\nSam\n\nAttachments:\n- referral.pdf (2.0 KB)"
    assert contact_by_email(workspace_id, "sam.work@example.org") is None  # threaded, not a new contact
    assert detail["unread_count"] == 1 and detail["status"] == "open"
    unanswered = clinic.owner.get("/api/v1/conversations", query_string={"status": "unanswered"}).get_json()
    assert sam_conversation in {c["id"] for c in unanswered}

    newcomer = contact_by_email(workspace_id, "new.person@example.net")
    assert newcomer.name == "New Person" and newcomer.source == "inbound"
    [received] = [m for m in inbound(workspace_id) if m.from_address == "new.person@example.net"]
    assert received.subject == "Home visits?" and received.body == "Do you do home visits?"
    assert len(outbox_events(workspace_id, "message_received")) == 2

    # A second poll and a restarted process import nothing more.
    assert sum(poll_all().values()) == 0
    restarted = make_app()
    with restarted.app_context():
        assert sum(poll_all().values()) == 0
    assert len(inbound(workspace_id)) == 2 and len(outbox_events(workspace_id, "message_received")) == 2
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ImportedEmail).order_by(ImportedEmail.uid)).all()
    assert [(r.uid, r.outcome) for r in rows] == [(1, "imported"), (2, "imported")]
    assert len({r.uidvalidity for r in rows}) == 1 and rows[0].uidvalidity > 0
    # Read with BODY.PEEK in a read-only folder: the mailbox's flags are untouched.
    assert all(b"\\Seen" not in line for line in mailbox.flags())

    # A new email is the only thing the next poll imports; without threading headers it goes by address.
    mailbox.deliver(email_from("olivia@example.com", "Parking", "Is there parking nearby?"))
    assert sum(poll_all().values()) == 1
    olivia = contact_by_email(workspace_id, "olivia@example.com")
    [olivia_message] = [m for m in inbound(workspace_id) if m.from_address == "olivia@example.com"]
    assert (
        olivia_message.conversation_id
        == clinic.owner.get(f"/api/v1/contacts/{olivia.id}").get_json()["conversation_id"]
    )


def test_automatic_emails_and_our_own_are_recorded_but_not_imported(clinic, mailbox):
    mailbox.deliver(email_from("sam@example.com", "Out of office", "I am away.", Auto_Submitted="auto-replied"))
    mailbox.deliver(email_from("MAILER-DAEMON@mail.example.org", "Undelivered Mail", "It bounced."))
    mailbox.deliver(email_from("News <news@example.org>", "Weekly", "Our news.", Precedence="bulk"))
    mailbox.deliver(email_from(FROM_EMAIL, "A copy", "Sent by us."))
    assert sum(poll_all().values()) == 0
    assert inbound(clinic.owner.workspace_id) == []
    assert contact_by_email(clinic.owner.workspace_id, "sam@example.com") is None
    outcomes = [r.outcome for r in db.session.scalars(sa.select(ImportedEmail).order_by(ImportedEmail.uid))]
    assert outcomes == [
        "skipped: automatic email (Auto-Submitted: auto-replied)",
        "skipped: delivery report or automatic sender",
        "skipped: bulk or list email",
        "skipped: sent by this mailbox itself",
    ]
    assert sum(poll_all().values()) == 0 and len(outcomes) == 4


def bounce_of(message_id: str, recipient: str, status: str = "5.1.1") -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes one."""
    return (
        f"From: MAILER-DAEMON@mail.example.org\r\nTo: {FROM_EMAIL}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {FROM_EMAIL}\r\nTo: {recipient}\r\n"
        f"Message-ID: {message_id}\r\nSubject: Your booking\r\n\r\n--B--\r\n"
    ).encode()


def test_a_bounce_fails_the_message_and_marks_the_address(clinic, mailbox):
    workspace_id = clinic.owner.workspace_id
    clinic.book(email="gone@example.com")
    [sent] = messages(workspace_id, author="automation:booking_confirmation")
    assert sent.status == "sent"
    mailbox.deliver(bounce_of(sent.provider_message_id, "gone@example.com"))
    mailbox.deliver(bounce_of("<someone-else@example.org>", "x@example.com"))
    assert sum(poll_all().values()) == 0  # no customer message
    [failed] = messages(workspace_id, author="automation:booking_confirmation")
    assert failed.status == "failed"
    assert failed.error == "Bounced (5.1.1): smtp; 550 5.1.1 <gone@example.com>: Recipient address rejected"
    assert contact_by_email(workspace_id, "gone@example.com").email_undeliverable is True
    assert inbound(workspace_id) == [] and contact_by_email(workspace_id, "mailer-daemon@mail.example.org") is None
    outcomes = [r.outcome for r in db.session.scalars(sa.select(ImportedEmail).order_by(ImportedEmail.uid))]
    assert outcomes == ["bounce recorded", "skipped: automatic email (Auto-Submitted: auto-replied)"]


def test_the_mailbox_history_before_the_integration_is_left_alone(clinic, mailbox):
    from datetime import timedelta

    mailbox.deliver(
        email_from("old.friend@example.com", "Last year", "An old email"), arrived=utcnow() - timedelta(days=30)
    )
    mailbox.deliver(email_from("sam@example.com", "Today", "A new email"))
    assert sum(poll_all().values()) == 1
    assert [m.body for m in inbound(clinic.owner.workspace_id)] == ["A new email"]
    assert contact_by_email(clinic.owner.workspace_id, "old.friend@example.com") is None


def test_an_html_only_email_is_read_as_text(clinic, mailbox):
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = "carla@example.com", FROM_EMAIL, "Question"
    email.set_content(
        "<html><body><p>Hello,</p><p>Is <b>Friday</b> free?</p>"
        '<div class="gmail_quote">On Monday you wrote:<blockquote>old text</blockquote></div>'
        "</body></html>",
        subtype="html",
    )
    mailbox.deliver(email.as_bytes())
    assert sum(poll_all().values()) == 1
    [message] = inbound(clinic.owner.workspace_id)
    assert message.body == "Hello,\n\nIs Friday free?"
    assert message.provider_message_id.startswith("imap:")  # no Message-ID header: named by its UID


def test_a_mailbox_that_refuses_the_login_is_reported_on_the_integration(
    client, owner, smtp_server, certificate, mailbox
):
    clinic = Clinic(client, owner, smtp_server, certificate, **imap_config(mailbox, imap_password="wrong"))
    mailbox.deliver(email_from("sam@example.com", "Hello", "Hi there"))
    assert sum(poll_all().values()) == 0
    [integration] = owner.get("/api/v1/integrations").get_json()
    assert integration["last_error"].startswith(IMAP_ERROR_PREFIX + f"IMAP server 127.0.0.1:{mailbox.port} refused")
    assert integration["status"] != "error"  # sending is not broken: the workspace still has its channel
    assert inbound(owner.workspace_id) == []

    # Sending still works, and a good poll clears the receiving error.
    clinic.book()
    assert messages(owner.workspace_id, author="automation:booking_confirmation")[0].status == "sent"
    from careops.integrations import crypto
    from careops.integrations.models import Integration

    row = db.session.scalars(sa.select(Integration).where(Integration.workspace_id == owner.workspace_id)).one()
    row.config = {**row.config, "imap_password": crypto.encrypt(mailbox.password)}
    db.session.commit()
    assert sum(poll_all().values()) == 1
    [integration] = owner.get("/api/v1/integrations").get_json()
    assert integration["last_error"] is None


def test_integrations_without_imap_are_not_polled(client, owner, smtp_server, certificate, mailbox):
    clinic = Clinic(client, owner, smtp_server, certificate)
    mailbox.deliver(email_from("sam@example.com", "Hello", "Hi there"))
    from careops.integrations.models import Integration

    integration_id = db.session.scalar(
        sa.select(Integration.id).where(Integration.key == "email", Integration.workspace_id == owner.workspace_id)
    )
    assert poll_all() == {integration_id: 0} and clinic.integration["provider"] == "smtp"
    assert inbound(owner.workspace_id) == []


def test_the_poll_is_a_periodic_task_run_every_minute_under_a_lock(app):
    from datetime import datetime

    from careops import tasks
    from careops.plugins import collect, hook

    [spec] = [s for s in collect(hook().careops_periodic_tasks()) if s["name"] == "smtp_poll_mailboxes"]
    # careops.tasks wraps every periodic task in huey.lock_task(<qualified name>).
    assert "careops_email_smtp.plugin.smtp_poll_mailboxes" in tasks._periodic_names
    assert spec["schedule"](datetime(2026, 1, 1, 9, 17)) and spec["schedule"](datetime(2026, 1, 1, 9, 18))
    spec["run"]()  # nothing configured: nothing polled, nothing raised
