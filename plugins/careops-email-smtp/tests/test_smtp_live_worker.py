"""End to end with a real Huey consumer: a public booking's confirmation leaves through SMTP, a reply comes back over IMAP.

The app under test enqueues into a real queue (a SQLite file, or Redis when
``CAREOPS_TEST_REDIS_URL`` is set); ``flask --app wsgi careops worker`` runs
as a separate process on the same database and queue, with the plugin loaded
from its entry point as in production. It delivers the ``booking_created``
event, sends the confirmation to the aiosmtpd server of this test process,
and runs the plugin's IMAP poll (enqueued here rather than waiting for the
minute's schedule) against dovecot.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from smtp_helpers import FROM_EMAIL, Clinic, imap_config

from tests.conftest import TEST_REDIS_URL
from tests.live import running_worker, wait_for
from tests.messaging.fixtures import messages

ROOT = Path(__file__).resolve().parents[3]
POLL_TASK = "careops_email_smtp.plugin.smtp_poll_mailboxes"
pytestmark = pytest.mark.live


@pytest.fixture
def queue_url(tmp_path):
    return TEST_REDIS_URL or f"sqlite:///{tmp_path / 'tasks.db'}"


@pytest.fixture
def config_overrides(queue_url):
    return {"CAREOPS_TASK_QUEUE": queue_url}


@pytest.fixture
def worker(app, app_config, queue_url, tmp_path):
    log_path = tmp_path / "worker.log"
    with running_worker(app_config, queue_url, log_path) as process:
        yield process, log_path


def test_a_public_booking_emails_its_confirmation_and_the_reply_comes_back(
    client, owner, smtp_server, certificate, mailbox, worker
):
    from careops.tasks import huey

    process, log_path = worker
    clinic = Clinic(client, owner, smtp_server, certificate, **imap_config(mailbox))
    booking = clinic.book(email="sam@example.com")["booking"]
    received = wait_for(lambda: smtp_server.mailbox.received, timeout=45)
    assert received, f"nothing reached the SMTP server; worker log:\n{log_path.read_text()[-4000:]}"
    email = received[0].email
    [ics] = list(email.iter_attachments())
    assert ics.get_filename() == f"{booking['reference']}.ics" and ics.get_param("method") == "REQUEST"
    [confirmation] = wait_for(
        lambda: [
            m for m in messages(owner.workspace_id, author="automation:booking_confirmation") if m.status == "sent"
        ]
    )
    assert email["Message-ID"] == confirmation.provider_message_id

    reply = (
        f"From: Sam <sam@example.com>\r\nTo: {FROM_EMAIL}\r\nSubject: Re: {email['Subject']}\r\n"
        f"In-Reply-To: {email['Message-ID']}\r\nMessage-ID: <reply-1@example.com>\r\n\r\n"
        "See you then!\r\n\r\nOn Monday, Clinic wrote:\r\n> Thank you for booking\r\n"
    ).encode()
    mailbox.deliver(reply)
    huey.enqueue(huey._registry.string_to_task(POLL_TASK)())  # what the minute's schedule would do
    [answer] = wait_for(lambda: messages(owner.workspace_id, direction="in"), timeout=45) or [None]
    assert answer is not None, f"the reply was not imported; worker log:\n{log_path.read_text()[-4000:]}"
    assert answer.body == "See you then!" and answer.conversation_id == confirmation.conversation_id
    assert process.poll() is None and len(smtp_server.mailbox.received) == 1
