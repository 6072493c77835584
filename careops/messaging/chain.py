"""The provider chain: one message, the workspace's providers for its channel, in priority order.

Each provider is behind its circuit breaker (:mod:`careops.messaging.breaker`);
an open breaker is skipped. The chain makes one attempt per provider and
stops at the first success. Retrying the whole chain later (with exponential
backoff and jitter, :func:`retry_delay`) is the caller's job — a Huey task
re-scheduled with a delay, never a sleep in a request.

No database transaction is held while providers are called: the candidates
are read first (:func:`careops.integrations.service.provider_candidates`), sent
to, and their outcomes are written afterwards by
:func:`careops.integrations.service.record_outcomes` in the caller's transaction.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
from dataclasses import dataclass, field

from flask import current_app

from careops.messaging import breaker
from careops.messaging.base import OutboundMessage, ProviderError

log = logging.getLogger(__name__)

DEFAULT_RETRY_BASE = 30  # seconds before the first retry
DEFAULT_RETRY_CAP = 3600
DEFAULT_MAX_ATTEMPTS = 5


@dataclass
class Candidate:
    integration_id: str
    key: str
    provider_name: str
    provider: object | None  # the configured provider, or None when it could not be built
    build_error: str | None = None


@dataclass
class Outcome:
    integration_id: str
    error: str | None  # None: sent
    circuit_opened: bool = False


@dataclass
class ChainResult:
    sent: bool
    provider: str | None = None
    provider_message_id: str | None = None
    error: str | None = None
    retryable: bool = False
    outcomes: list[Outcome] = field(default_factory=list)


def send(channel: str, message: OutboundMessage, chain: list[Candidate]) -> ChainResult:
    """Try each candidate in order until one sends ``message`` (no database access)."""
    if not chain:
        return ChainResult(
            False, error=f"No {channel} provider is configured: add one under /integrations", retryable=False
        )
    message = header_safe(message)
    errors, retryable, outcomes = [], False, []
    for c in chain:
        if c.provider is None:
            errors.append(f"{c.key}: {c.build_error}")
            outcomes.append(Outcome(c.integration_id, c.build_error))
            continue
        if not breaker.allow(c.integration_id):
            errors.append(f"{c.key}: circuit open, provider skipped")
            retryable = True  # the breaker half-opens after its cool-down
            continue
        try:
            provider_message_id = c.provider.send(message)
        except Exception as exc:  # noqa: BLE001 - any plugin failure moves on to the next provider
            error = str(exc) if isinstance(exc, ProviderError) else f"{exc.__class__.__name__}: {exc}"
            retryable = retryable or getattr(exc, "retryable", True)
            log.warning("provider %s (%s) failed: %s", c.key, c.provider_name, error)
            opened = breaker.record_failure(c.integration_id)
            errors.append(f"{c.key}: {error}")
            outcomes.append(Outcome(c.integration_id, error[:2000], circuit_opened=opened))
            continue
        breaker.record_success(c.integration_id)
        outcomes.append(Outcome(c.integration_id, None))
        return ChainResult(
            True, provider=c.provider_name, provider_message_id=str(provider_message_id or ""), outcomes=outcomes
        )
    return ChainResult(False, error="; ".join(errors)[:4000], retryable=retryable, outcomes=outcomes)


_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def header_safe(message: OutboundMessage) -> OutboundMessage:
    """``message`` with every line break and control character of its header-bound fields made a space.

    The API refuses them in single-line fields already; this is the last line of
    defence for what was stored before, rendered from a template, or came from a
    plugin: a CR/LF in a subject or a sender name must never become a new mail header.
    """

    def one_line(value):
        return _HEADER_BREAKS.sub(" ", value).strip() if isinstance(value, str) else value

    headers = {one_line(k): one_line(v) for k, v in (message.headers or {}).items()}
    return dataclasses.replace(
        message,
        to=one_line(message.to),
        subject=one_line(message.subject),
        from_name=one_line(message.from_name),
        reply_to=one_line(message.reply_to),
        headers=headers,
    )


def retry_delay(attempt: int, rng=random.random) -> float:
    """Seconds before retry ``attempt`` (1, 2, …): exponential, capped, with ±50 % jitter."""
    cfg = current_app.config
    base = float(cfg.get("CAREOPS_MESSAGE_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE))
    cap = float(cfg.get("CAREOPS_MESSAGE_RETRY_MAX_SECONDS", DEFAULT_RETRY_CAP))
    # Jitter spreads the retries of many messages that failed together (one outage).
    return min(cap, base * 2 ** max(0, attempt - 1)) * (0.5 + rng())


def max_attempts() -> int:
    return int(current_app.config.get("CAREOPS_MESSAGE_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
