"""The communication providers that plugins offer, by name (hook ``careops_communication_providers``)."""

from __future__ import annotations

import logging

from careops.messaging.base import CHANNELS, CommunicationProvider
from careops.plugins import collect, hook

log = logging.getLogger(__name__)


def providers() -> dict[str, type[CommunicationProvider]]:
    """``{name: provider class}``; a malformed or duplicate provider is logged and left out.

    pluggy answers from the last registered plugin first, so an installed
    plugin offering a name the core uses (``console``) replaces the core's.
    """
    found: dict[str, type[CommunicationProvider]] = {}
    for cls in collect(hook().careops_communication_providers()):
        problem = _problem(cls)
        if problem:
            log.warning("communication provider %r ignored: %s", cls, problem)
        elif cls.name in found:
            log.warning("communication provider %r ignored: the name %r is taken", cls, cls.name)
        else:
            found[cls.name] = cls
    return found


def get(name: str) -> type[CommunicationProvider] | None:
    return providers().get(name)


def _problem(cls) -> str | None:
    if not (isinstance(cls, type) and issubclass(cls, CommunicationProvider)):
        return "not a CommunicationProvider subclass"
    if not cls.name:
        return "no name"
    if not cls.channels or set(cls.channels) - set(CHANNELS):
        return f"channels must be a non-empty subset of {CHANNELS}"
    return None
