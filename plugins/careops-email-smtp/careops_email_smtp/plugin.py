"""The plugin's hook implementations: the ``smtp`` provider and the periodic IMAP poll.

Importing this module also declares the plugin's table (:mod:`careops_email_smtp.models`),
so ``create_all`` and Alembic's autogenerate see it whenever the plugin is installed.
"""

from __future__ import annotations

from huey import crontab

from careops import hookimpl
from careops_email_smtp import models  # noqa: F401 - declares smtp_imported_emails
from careops_email_smtp.provider import SmtpProvider

#: How often mailboxes are polled: every minute (a poll with nothing new costs one short IMAP session).
POLL_SCHEDULE = crontab(minute="*")


def poll_mailboxes() -> None:
    from careops_email_smtp.receive import poll_all

    poll_all()


@hookimpl
def careops_communication_providers():
    return [SmtpProvider]


@hookimpl
def careops_periodic_tasks():
    return [{"name": "smtp_poll_mailboxes", "schedule": POLL_SCHEDULE, "run": poll_mailboxes}]
