"""Messaging: the provider base class, and sending a message to someone.

A :class:`CommunicationProvider` sends one message on one channel. Providers
come from plugins (hook ``careops_communication_providers``); the core's
``console`` provider sends nothing outside and logs the message.
"""
from __future__ import annotations

from careops.messaging.base import CommunicationProvider, OutboundMessage, ProviderError  # noqa: F401
from careops.messaging.system import public_url, send_system_email  # noqa: F401
