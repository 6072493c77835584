"""The ``console`` provider: serves email and SMS, sends nothing outside, logs every message.

It makes the embedded default work end to end: messages are stored in their
conversations and marked sent, and their text appears in the server log.
"""
import logging
import uuid

from careops.hookspecs import hookimpl
from careops.messaging.base import CommunicationProvider

log = logging.getLogger("careops.console")


class ConsoleProvider(CommunicationProvider):
    name = "console"
    channels = ("email", "sms")

    def send(self, message):
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        log.info("%s to %s%s\n%s", message.channel.upper(), message.to,
                 f" — {message.subject}" if message.subject else "", message.body)
        return provider_id


@hookimpl
def careops_communication_providers():
    return [ConsoleProvider]
