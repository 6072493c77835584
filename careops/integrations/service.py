"""Integration rules: configuring providers (validated, secrets encrypted), testing them, the send chain.

Two sources of integrations:

- communication providers (hook ``careops_communication_providers``): a
  workspace configures any number of them under keys it chooses (``email``,
  ``email-backup``, ``sms``…), each for one channel (its ``kind``);
- other integrations (hook ``careops_integrations``: calendar, webhook,
  storage), each under the key its plugin gives; unconfigured ones are listed
  as ``available``.

Priority: the lower number is tried first. Inbound webhooks find their
integration by the token in their URL (see :func:`inbound_url`).
"""

from __future__ import annotations

import logging
import secrets

import marshmallow as ma
import sqlalchemy as sa

from careops import scoping
from careops.alerts.service import raise_alert, resolve_for
from careops.db import WorkspaceRepository, utcnow
from careops.errors import NotFound, ValidationFailed
from careops.extensions import db
from careops.fields import normalize_email, normalize_phone
from careops.integrations import crypto
from careops.integrations.models import Integration
from careops.messaging import breaker, public_url, registry
from careops.messaging.base import CHANNELS, OutboundMessage, ProviderError
from careops.messaging.chain import Candidate, Outcome
from careops.plugins import collect, hook
from careops.security import token_digest

log = logging.getLogger(__name__)

COMMUNICATION_KINDS = CHANNELS
OTHER_KINDS = ("calendar", "webhook", "storage")


def has_communication_channel(workspace_id: str) -> bool:
    """True when the workspace has an enabled email or SMS integration that has not failed its last check."""
    repo = WorkspaceRepository(workspace_id)
    return (
        repo.first(
            Integration,
            Integration.kind.in_(COMMUNICATION_KINDS),
            Integration.enabled.is_(True),
            Integration.status != "error",
        )
        is not None
    )


def other_integrations() -> dict[str, dict]:
    """``{key: spec}`` of the non-messaging integrations that plugins offer."""
    found = {}
    for spec in collect(hook().careops_integrations()):
        if spec.get("kind") in OTHER_KINDS and spec.get("key") and spec["key"] not in found:
            found[spec["key"]] = spec
        else:
            log.warning("integration %r ignored: needs a unique key and a kind in %s", spec.get("key"), OTHER_KINDS)
    return found


def list_integrations(workspace_id: str) -> list[dict]:
    """The configured integrations (by priority), then the plugins' unconfigured ones as ``available``."""
    rows = WorkspaceRepository(workspace_id).all(Integration, order_by=[Integration.priority, Integration.key])
    listed = [describe(row) for row in rows]
    configured = {row.key for row in rows}
    for key, spec in other_integrations().items():
        if key not in configured:
            listed.append(
                {
                    "key": key,
                    "kind": spec["kind"],
                    "provider": spec.get("provider", key),
                    "status": "available",
                    "last_error": None,
                    "last_checked_at": None,
                    "enabled": False,
                    "priority": None,
                    "config": {},
                    "secrets_set": [],
                }
            )
    return listed


def describe(row: Integration) -> dict:
    described = {
        c: getattr(row, c)
        for c in ("key", "kind", "provider", "status", "last_error", "last_checked_at", "enabled", "priority")
    }
    described["config"] = crypto.public_view(row.config)
    described["secrets_set"] = sorted(k for k, v in (row.config or {}).items() if crypto.is_encrypted(v))
    if row.kind in COMMUNICATION_KINDS:
        described["circuit"] = breaker.state(row.id)
        described["inbound_url"] = inbound_url(row)
    return described


def _schema_for(provider: str, kind_hint: str | None, key: str):
    """``(kind, schema class, secret field names)`` of ``provider`` for integration ``key``, or 422."""
    cls = registry.get(provider)
    if cls is not None:
        kind = kind_hint or _kind_from_key(key, cls.channels)
        if kind is None:
            raise ValidationFailed(
                {
                    "kind": [
                        f"Say which channel ({', '.join(cls.channels)}) this integration "
                        "serves, or name it after the channel."
                    ]
                }
            )
        if kind not in cls.channels:
            raise ValidationFailed({"kind": [f"Provider '{provider}' does not serve '{kind}'."]})
        return kind, cls.config_schema, cls.secret_fields()
    spec = other_integrations().get(key)
    if spec is not None and spec.get("provider", key) == provider:
        schema = spec.get("config_schema") or ma.Schema
        schema_cls = schema if isinstance(schema, type) else type(schema)
        secret = {n for n, f in schema_cls().fields.items() if f.metadata.get("secret")}
        return spec["kind"], schema_cls, secret
    available = sorted(registry.providers()) + sorted(s.get("provider", k) for k, s in other_integrations().items())
    raise ValidationFailed({"provider": [f"Unknown provider '{provider}'. Available: {', '.join(available)}."]})


def _kind_from_key(key: str, channels) -> str | None:
    """``email`` and ``email-backup`` serve email; a single-channel provider serves its channel."""
    prefix = key.split("-", 1)[0]
    if prefix in channels:
        return prefix
    return channels[0] if len(channels) == 1 else None


def put_integration(workspace_id: str, key: str, data: dict) -> Integration:
    """Create or replace integration ``key``: config validated by the provider's schema, secrets sealed."""
    repo = WorkspaceRepository(workspace_id)
    existing = repo.first(Integration, Integration.key == key)
    kind, schema_cls, secret = _schema_for(data["provider"], data.get("kind"), key)
    given = dict(data.get("config") or {})
    if existing is not None and existing.provider == data["provider"]:
        # A secret left out keeps its stored value: the owner edits a host name
        # without typing the password again (it is never shown back).
        for name in secret - set(given):
            stored = (existing.config or {}).get(name)
            if crypto.is_encrypted(stored):
                try:
                    given[name] = crypto.decrypt(stored)
                except crypto.SecretUnreadable:
                    pass
    try:
        config = schema_cls().load(given)
    except ma.ValidationError as exc:
        raise ValidationFailed({"config": exc.messages}) from None
    sealed = crypto.seal(config, secret)
    row = existing or repo.add(Integration(key=key))
    changed = (
        existing is None or existing.provider != data["provider"] or existing.config != sealed or existing.kind != kind
    )
    row.kind, row.provider, row.config = kind, data["provider"], sealed
    row.enabled, row.priority = data["enabled"], data["priority"]
    if changed:
        row.status, row.last_error, row.last_checked_at = "unknown", None, None
    if kind in COMMUNICATION_KINDS and row.inbound_token_hash is None:
        _new_inbound_token(row)
    db.session.commit()
    if changed:
        breaker.record_success(row.id)  # a new configuration starts with a closed breaker
    return row


def add_console_email(workspace_id: str) -> None:
    """The console email provider (it prints messages), unless the workspace has an ``email`` integration.

    What the demo workspace sends with: bookable at once, its messages in the log. Not committed.
    """
    repo = WorkspaceRepository(workspace_id)
    if repo.first(Integration, Integration.key == "email") is None:
        repo.add(Integration(key="email", kind="email", provider="console", enabled=True, status="ok"))


def _new_inbound_token(row: Integration) -> None:
    token = secrets.token_urlsafe(24)
    row.inbound_token_hash = token_digest(token)
    row.inbound_token = crypto.encrypt(token)


def inbound_url(row: Integration) -> str | None:
    """Where the provider posts inbound messages for this integration (given to the provider by the owner)."""
    if not row.inbound_token:
        return None
    try:
        token = crypto.decrypt(row.inbound_token)
    except crypto.SecretUnreadable:
        return None
    return public_url(f"/api/v1/public/inbound/{row.provider}?token={token}")


def find_by_inbound_token(provider: str, token: str | None) -> Integration | None:
    """The enabled integration of ``provider`` that this inbound token belongs to (any workspace).

    The inbound webhook's workspace lookup: the unit of work is then scoped to its workspace.
    """
    if not token or len(token) > 200:
        return None
    with scoping.unscoped():
        row = db.session.scalars(
            sa.select(Integration).where(
                Integration.inbound_token_hash == token_digest(token),
                Integration.provider == provider,
                Integration.enabled.is_(True),
            )
        ).first()
    if row is not None:
        scoping.bind_workspace(row.workspace_id)
    return row


def chain(workspace_id: str, channel: str) -> list[Integration]:
    """The enabled integrations serving ``channel``, in the order they are tried."""
    return WorkspaceRepository(workspace_id).all(
        Integration,
        Integration.kind == channel,
        Integration.enabled.is_(True),
        order_by=[Integration.priority, Integration.key],
    )


def enabled_channels(workspace_id: str) -> set[str]:
    """The channels with at least one enabled integration: what :func:`chain` answers non-empty for, in one query."""
    rows = WorkspaceRepository(workspace_id).all(
        Integration, Integration.kind.in_(COMMUNICATION_KINDS), Integration.enabled.is_(True)
    )
    return {row.kind for row in rows}


def build_provider(row: Integration):
    """The provider instance of a communication integration, configured (secrets decrypted).

    Raises :class:`ProviderError` (not retryable) when the provider's plugin is
    gone or a credential cannot be decrypted.
    """
    cls = registry.get(row.provider)
    if cls is None:
        raise ProviderError(f"Provider '{row.provider}' is not installed", retryable=False)
    try:
        return cls(crypto.unseal(row.config))
    except crypto.SecretUnreadable as exc:
        raise ProviderError(str(exc), retryable=False) from None


def record_outcome(row: Integration, error: str | None) -> None:
    """Remember a provider's last result on its row (not committed); writes only on a change of status."""
    status = "error" if error else "ok"
    if row.status != status or row.last_error != error:
        row.status, row.last_error = status, (error[:2000] if error else None)
        row.last_checked_at = utcnow()


def provider_candidates(workspace_id: str, channel: str) -> list[Candidate]:
    """The configured providers of ``channel``, built and ready for :func:`careops.messaging.chain.send`."""
    found = []
    for row in chain(workspace_id, channel):
        try:
            provider = build_provider(row)
            provider.inbound_url = inbound_url(row)  # its status-callback address
            found.append(Candidate(row.id, row.key, row.provider, provider))
        except ProviderError as exc:
            found.append(Candidate(row.id, row.key, row.provider, None, str(exc)))
    return found


def record_outcomes(workspace_id: str, outcomes: list[Outcome]) -> None:
    """Write each provider's result on its integration, and alert when a breaker opened. Not committed."""
    repo = WorkspaceRepository(workspace_id)
    for outcome in outcomes:
        row = repo.first(Integration, Integration.id == outcome.integration_id)
        if row is None:
            continue
        if outcome.error is None:
            record_outcome(row, None)
            resolve_for(workspace_id, "integration_error", "integration", row.id)
        elif outcome.circuit_opened:
            record_outcome(row, outcome.error)
            raise_alert(
                workspace_id,
                kind="integration_error",
                severity="critical",
                title=f"The '{row.key}' provider ({row.provider}) keeps failing",
                detail=outcome.error,
                link="/api/v1/integrations",
                entity_type="integration",
                entity_id=row.id,
            )
        else:
            row.last_error = outcome.error  # one failure is not yet an outage: status unchanged


def test_integration(workspace_id: str, key: str, *, to: str | None, default_email: str) -> dict:
    """Send a test message (or ping a non-messaging integration); record and return ``{ok, detail}``."""

    row = get_by_key(workspace_id, key)
    if row.kind in COMMUNICATION_KINDS:
        ok, detail = _send_test(workspace_id, row, to=to, default_email=default_email)
    else:
        ok, detail = _ping(workspace_id, row)
    row.status, row.last_error, row.last_checked_at = ("ok" if ok else "error"), (None if ok else detail), utcnow()
    if ok:
        resolve_for(workspace_id, "integration_error", "integration", row.id)
    db.session.commit()
    if ok and row.kind in COMMUNICATION_KINDS:
        breaker.record_success(row.id)
    return {"ok": ok, "detail": detail}


def get_by_key(workspace_id: str, key: str) -> Integration:
    row = WorkspaceRepository(workspace_id).first(Integration, Integration.key == key)
    if row is None:
        raise NotFound("No integration with this key is configured")
    return row


def _send_test(workspace_id: str, row: Integration, *, to: str | None, default_email: str) -> tuple[bool, str]:
    from careops.workspaces.service import get_workspace

    try:
        if row.kind == "sms":
            if not to:
                raise ValidationFailed({"to": ["Give a phone number to send the test SMS to."]})
            to = normalize_phone(to, get_workspace(workspace_id).country)
        else:
            to = normalize_email(to) if to else default_email
    except ma.ValidationError as exc:
        raise ValidationFailed({"to": exc.messages}) from None
    workspace = get_workspace(workspace_id)
    message = OutboundMessage(
        channel=row.kind,
        to=to,
        subject="CareOps test message",
        body=f"This is a test of the '{row.key}' integration ({row.provider}).",
        from_name=workspace.name,
        reply_to=workspace.contact_email,
    )
    try:
        # send_test: a provider may report more than its message id (the SMTP server's answer).
        detail = build_provider(row).send_test(message)
    except ProviderError as exc:
        return False, str(exc)[:500]
    except Exception as exc:  # noqa: BLE001 - a plugin may raise anything; the owner sees it
        return False, f"{exc.__class__.__name__}: {exc}"[:500]
    return True, f"Test {row.kind} sent to {to} ({detail})"[:500]


def _ping(workspace_id: str, row: Integration) -> tuple[bool, str]:
    spec = other_integrations().get(row.key)
    if spec is None or not callable(spec.get("test")):
        return False, "The plugin that offers this integration is not installed"
    try:
        ok, detail = spec["test"](workspace_id, crypto.unseal(row.config))
    except Exception as exc:  # noqa: BLE001
        return False, f"{exc.__class__.__name__}: {exc}"[:500]
    return bool(ok), str(detail)
