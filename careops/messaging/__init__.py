"""Messaging: the provider contract, the provider registry, the chain with its circuit breakers.

A :class:`CommunicationProvider` sends one message on one channel. Providers
come from plugins (hook ``careops_communication_providers``); a workspace
configures which it uses, in which order, under ``/integrations``. Messages to
contacts are queued by :func:`careops.inbox.sending.send_to_contact`; system
emails by :func:`send_system_email`.
"""

from __future__ import annotations

from careops.messaging.base import CommunicationProvider, OutboundMessage, ProviderError  # noqa: F401
from careops.messaging.system import public_url, send_system_email  # noqa: F401
