"""Sending through a real SMTP server (aiosmtpd on loopback): the email itself, and what its answers mean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mail_servers import free_port
from smtp_helpers import FROM_EMAIL, SMTP_PASSWORD, SMTP_USER, Clinic, put_integration, smtp_config

from careops.db import utcnow
from careops.extensions import db
from careops.inbox import delivery
from careops.inbox.models import Message
from careops.inbox.sending import send_to_contact
from tests.messaging.fixtures import alerts, messages


def confirmation(workspace_id: str) -> Message:
    [message] = messages(workspace_id, author="automation:booking_confirmation")
    return message


def test_a_booking_confirmation_arrives_with_its_headers_and_ics(clinic, smtp_server):
    booking = clinic.book(email="sam@example.com")["booking"]
    sent = confirmation(clinic.owner.workspace_id)
    assert sent.status == "sent" and sent.provider == "smtp" and sent.attempts == 1

    [received] = smtp_server.mailbox.received
    assert received.tls and received.login == SMTP_USER  # STARTTLS, then AUTH
    assert received.mail_from == FROM_EMAIL and received.rcpt_tos == ["sam@example.com"]
    email = received.email
    assert email["From"].addresses[0].display_name == clinic.workspace["name"]
    assert email["From"].addresses[0].addr_spec == FROM_EMAIL
    assert email["To"].addresses[0].addr_spec == "sam@example.com"
    assert email["Reply-To"].addresses[0].addr_spec == "desk@clinic.example.com"
    assert booking["reference"] in email["Subject"]
    # The Message-ID is CareOps's message id: the same on a retry, and what a reply names.
    assert email["Message-ID"] == f"<careops.{sent.id}@clinic.example.com>" == sent.provider_message_id
    assert email["Date"].datetime.tzinfo is not None and abs(email["Date"].datetime - utcnow()) < timedelta(minutes=1)

    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    [link] = [word for word in text.split() if word.startswith("http://careops.test/")]  # the manage link
    assert booking["reference"] in text and f'<a href="{link}">{link}</a>' in html

    [ics] = list(email.iter_attachments())
    assert ics.get_filename() == f"{booking['reference']}.ics"
    assert ics.get_content_type() == "text/calendar" and ics.get_param("method") == "REQUEST"
    folded = ics.get_payload(decode=True).decode()
    assert all(len(line.encode()) <= 75 for line in folded.split("\r\n"))  # RFC 5545 line folding
    calendar = folded.replace("\r\n ", "")
    assert "METHOD:REQUEST" in calendar and "METHOD:PUBLISH" not in calendar
    assert f'ORGANIZER;CN="{clinic.workspace["name"]}":mailto:{FROM_EMAIL}' in calendar
    assert "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:sam@example.com" in calendar
    assert f"Booking reference {booking['reference']}" in calendar


def test_implicit_tls_with_a_trusted_certificate_and_plain_relays(client, register, start_smtp, certificate):
    tls = start_smtp("tls")
    clinic = Clinic(client, register(), tls, certificate)
    clinic.book()
    assert confirmation(clinic.owner.workspace_id).status == "sent"
    [received] = tls.mailbox.received
    assert received.tls and received.login is None

    plain = start_smtp("none")
    other = Clinic(client, register(), plain, certificate)
    other.book()
    assert confirmation(other.owner.workspace_id).status == "sent" and not plain.mailbox.received[0].tls


def test_a_certificate_that_does_not_verify_fails_without_retry(client, owner, start_smtp, certificate):
    tls = start_smtp("tls")
    clinic = Clinic(client, owner, tls, certificate, ca_certificate=None)
    clinic.book()
    sent = confirmation(owner.workspace_id)
    assert sent.status == "failed" and sent.attempts == 1 and "certificate does not verify" in sent.error
    assert tls.mailbox.received == []


def test_a_5xx_answer_fails_at_once_with_the_servers_answer(clinic, smtp_server):
    smtp_server.mailbox.rcpt_answer = "550 5.1.1 <sam@example.com>: Recipient address rejected: User unknown"
    clinic.book()
    sent = confirmation(clinic.owner.workspace_id)
    assert sent.status == "failed" and sent.attempts == 1 and sent.next_attempt_at is not None
    assert "550 5.1.1 <sam@example.com>: Recipient address rejected: User unknown" in sent.error
    [alert] = alerts(clinic.owner.workspace_id, "delivery_failed")
    assert "550 5.1.1" in alert.detail
    # No retry: a later delivery attempt finds nothing to send.
    assert delivery.deliver(sent.id, now=utcnow() + timedelta(hours=1)).status == "skipped"
    assert smtp_server.mailbox.received == []


def test_a_rejected_password_is_permanent(client, owner, smtp_server, certificate):
    clinic = Clinic(client, owner, smtp_server, certificate, password="wrong-password")
    clinic.book()
    sent = confirmation(owner.workspace_id)
    assert sent.status == "failed" and sent.error.startswith("email: SMTP server answered 535")


def test_a_4xx_answer_is_retried_and_the_retry_is_the_same_email(clinic, smtp_server):
    smtp_server.mailbox.data_answer = "451 4.3.0 Temporary local problem, try again later"
    clinic.book()
    sent = confirmation(clinic.owner.workspace_id)
    assert sent.status == "queued" and sent.attempts == 1 and "451 4.3.0 Temporary local problem" in sent.error
    assert sent.next_attempt_at > utcnow()

    smtp_server.mailbox.data_answer = None
    assert delivery.deliver(sent.id, now=sent.next_attempt_at).status == "sent"
    db.session.expire_all()
    retried = db.session.get(Message, sent.id)
    assert retried.status == "sent" and retried.attempts == 2 and retried.error is None
    [received] = smtp_server.mailbox.received
    assert received.email["Message-ID"] == f"<careops.{sent.id}@clinic.example.com>"


def test_a_closed_port_is_retried(client, owner, start_smtp, certificate):
    server = start_smtp("none")
    clinic = Clinic(client, owner, server, certificate, port=free_port())
    clinic.book()
    sent = confirmation(owner.workspace_id)
    assert sent.status == "queued" and sent.attempts == 1
    assert "unreachable: ConnectionRefusedError" in sent.error


def test_a_server_that_never_answers_times_out_and_is_retried(client, owner, start_smtp, certificate, silent_server):
    server = start_smtp("none")
    clinic = Clinic(client, owner, server, certificate, port=silent_server.port, timeout_seconds=1)
    clinic.book()
    sent = confirmation(owner.workspace_id)
    assert sent.status == "queued" and "unreachable: timed out" in sent.error


def test_names_and_subjects_never_break_a_header(clinic, smtp_server):
    from careops.workspaces.models import Workspace

    workspace = db.session.get(Workspace, clinic.owner.workspace_id)
    workspace.name = "Clinic\r\nBcc: victim@example.com"
    db.session.commit()
    contact = clinic.owner.post("/api/v1/contacts", json={"name": "Sam", "email": "sam@example.com"}).get_json()
    send_to_contact(
        clinic.owner.workspace_id,
        contact["id"],
        channel="email",
        subject="Hello\r\nBcc: victim@example.com\nX-Evil: 1",
        body="Hi",
        author="system",
    )
    db.session.commit()
    [received] = smtp_server.mailbox.received
    assert received.rcpt_tos == ["sam@example.com"]
    email = received.email
    assert email["Bcc"] is None and email["X-Evil"] is None
    assert email["Subject"] == "Hello Bcc: victim@example.com X-Evil: 1"
    assert email["From"].addresses[0].display_name == "Clinic Bcc: victim@example.com"
    assert b"\nBcc:" not in received.content


@pytest.fixture
def config_overrides():
    return {"CAREOPS_BREAKER_THRESHOLD": 2}


def test_failover_to_console_opens_the_breaker_and_says_why(client, owner, start_smtp, certificate):
    server = start_smtp("none")
    clinic = Clinic(client, owner, server, certificate, port=free_port())  # the relay is down
    put_integration(owner, "email-backup", "console", {}, priority=2)
    clinic.book(email="one@example.com")
    clinic.book(email="two@example.com", hhmm="12:00")
    sent = messages(owner.workspace_id, author="automation:booking_confirmation")
    assert [(m.status, m.provider) for m in sent] == [("sent", "console"), ("sent", "console")]

    listed = {i["key"]: i for i in owner.get("/api/v1/integrations").get_json()}
    smtp = listed["email"]
    assert smtp["status"] == "error" and smtp["circuit"] == "open"
    assert "SMTP server 127.0.0.1:" in smtp["last_error"] and "unreachable" in smtp["last_error"]
    assert listed["email-backup"]["status"] == "ok"
    [alert] = alerts(owner.workspace_id, "integration_error")
    assert "'email' provider (smtp) keeps failing" in alert.title

    # While the breaker is open the relay is skipped: the next email goes straight to console.
    clinic.book(email="three@example.com", hhmm="14:00")
    third = messages(owner.workspace_id, author="automation:booking_confirmation")[-1]
    assert (third.status, third.provider, third.error) == ("sent", "console", None)


def test_the_test_endpoint_sends_a_real_email_and_reports_the_answer(
    client, owner, smtp_server, certificate, make_staff, other_owner
):
    put_integration(owner, "email", "smtp", smtp_config(smtp_server, certificate))
    response = owner.post("/api/v1/integrations/email/test", json={"to": "me@example.com"})
    assert response.status_code == 200
    result = response.get_json()
    assert result["ok"] is True and 'answered "250 2.0.0 Ok: queued as TEST1"' in result["detail"]
    [received] = smtp_server.mailbox.received
    assert received.rcpt_tos == ["me@example.com"] and received.email["Subject"] == "CareOps test message"
    assert received.email["Message-ID"] in result["detail"]

    smtp_server.mailbox.data_answer = "554 5.7.1 Message rejected as spam"
    failed = owner.post("/api/v1/integrations/email/test", json={}).get_json()
    assert failed == {"ok": False, "detail": "SMTP server answered 554 5.7.1 Message rejected as spam"}
    [integration] = owner.get("/api/v1/integrations").get_json()
    assert integration["status"] == "error" and "554 5.7.1" in integration["last_error"]

    from tests.conftest import assert_error

    assert_error(owner.post("/api/v1/integrations/email/test", json={"cc": "x@example.com"}), 422)
    assert_error(owner.post("/api/v1/integrations/email/test", json={"to": "not an address"}), 422)
    assert_error(owner.post("/api/v1/integrations/email-2/test", json={}), 404)
    assert_error(other_owner.post("/api/v1/integrations/email/test", json={}), 404)  # not theirs
    assert_error(make_staff(owner, inbox=True).post("/api/v1/integrations/email/test", json={}), 403)
    assert_error(client.post("/api/v1/integrations/email/test", json={}), 401)
    assert len(smtp_server.mailbox.received) == 1


def test_secrets_are_stored_encrypted_and_never_returned(client, owner, smtp_server, certificate):
    from careops.integrations.models import Integration

    config = {**smtp_config(smtp_server, certificate), "imap_host": "127.0.0.1", "imap_password": "imap-secret-value"}
    answer = put_integration(owner, "email", "smtp", config)
    listed = owner.get("/api/v1/integrations").get_json()
    for shown in (answer, listed):
        text = str(shown)
        assert SMTP_PASSWORD not in text and "imap-secret-value" not in text
    assert answer["secrets_set"] == ["imap_password", "password"]
    assert "password" not in answer["config"] and answer["config"]["username"] == SMTP_USER
    stored = db.session.get(Integration, db.session.query(Integration.id).filter_by(key="email").scalar())
    assert SMTP_PASSWORD not in str(stored.config) and "imap-secret-value" not in str(stored.config)

    # Left out of a later PUT, a secret keeps its value: the relay still takes the login.
    config.pop("password")
    config.pop("imap_password")
    put_integration(owner, "email", "smtp", {**config, "from_name": "Front desk"})
    assert owner.post("/api/v1/integrations/email/test", json={}).get_json()["ok"] is True
    [received] = smtp_server.mailbox.received
    assert received.login == SMTP_USER and received.email["From"].addresses[0].display_name == "Front desk"


@pytest.mark.parametrize(
    "config, field",
    [
        ({"from_email": FROM_EMAIL}, "host"),
        ({"host": "smtp.example.com"}, "from_email"),
        ({"host": "smtp.example.com", "from_email": "not-an-email"}, "from_email"),
        ({"host": "smtp.example.com", "from_email": FROM_EMAIL, "security": "ssl"}, "security"),
        ({"host": "smtp.example.com", "from_email": FROM_EMAIL, "port": 0}, "port"),
        ({"host": "smtp.example.com", "from_email": FROM_EMAIL, "username": "u"}, "password"),
        ({"host": "smtp.example.com", "from_email": FROM_EMAIL, "imap_host": "imap.example.com"}, "imap_username"),
        ({"host": "smtp.example.com", "from_email": FROM_EMAIL, "ca_certificate": "nonsense"}, "ca_certificate"),
        ({"host": "smtp.example.com", "from_email": FROM_EMAIL, "api_key": "x"}, "api_key"),
    ],
)
def test_the_configuration_is_validated(owner, config, field):
    from tests.conftest import assert_error

    body = assert_error(owner.put("/api/v1/integrations/email", json={"provider": "smtp", "config": config}), 422)
    assert field in body["errors"]["config"], body


def test_the_provider_is_listed_with_its_fields(owner):
    [smtp] = [p for p in owner.get("/api/v1/integrations/providers").get_json() if p["name"] == "smtp"]
    fields = {f["name"]: f for f in smtp["config_fields"]}
    assert smtp["channels"] == ["email"]
    assert {n for n, f in fields.items() if f["secret"]} == {"password", "imap_password"}
    assert {n for n, f in fields.items() if f["required"]} == {"host", "from_email"}
