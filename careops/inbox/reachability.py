"""Can the business answer this customer? Checked before a public booking or contact message is accepted.

A workspace may run with email only. Then a customer who leaves only a phone
number would never hear back — no confirmation, no reply — so the public
booking and the contact form refuse it up front (422 naming ``email``); with
an SMS provider configured, phone-only is fine. The same holds the other way
round for a workspace that has SMS only. A returning customer whose phone
number belongs to a contact with a working email is reachable. A workspace with no channel at all
(its provider disabled after activation) is not made to turn customers away:
its messages fail visibly, with a ``delivery_failed`` alert.
"""

from __future__ import annotations

from careops.errors import ValidationFailed


def configured_channels(workspace_id: str, token: str | None = None) -> set[str]:
    """The channels the workspace has an enabled provider for (one query for both channels).

    ``token``: the configuration token the caller read already in this transaction
    (the public booking, under its lock), else read here.
    """
    from careops.integrations.service import enabled_channels
    from careops.workspaces import config_cache

    # Not chain(workspace_id, channel): that is one read per channel on every public booking.
    # From the configuration cache: one small statement instead of reading the integrations.
    if token is None:
        token = config_cache.version(workspace_id)
    return set(
        config_cache.cached(workspace_id, token, ("channels",), lambda: frozenset(enabled_channels(workspace_id)))
    )


def require_reachable(workspace_id: str, *, email: str | None, phone: str | None, token: str | None = None) -> None:
    """422 when the customer gave no address on a channel the workspace can send on.

    ``token``: as for :func:`configured_channels`.
    """
    channels = configured_channels(workspace_id, token)
    if not channels or (email and "email" in channels) or (phone and "sms" in channels):
        return
    if phone and "email" in channels and _known_email(workspace_id, phone):
        return  # a returning customer: the business has their email already
    if "email" in channels:
        raise ValidationFailed(
            {
                "email": [
                    "This business replies by email: give an email address."
                    + (" It cannot send text messages." if phone else "")
                ]
            }
        )
    raise ValidationFailed({"phone": ["This business replies by text message: give a mobile phone number."]})


def _known_email(workspace_id: str, phone: str) -> bool:
    """The contact with this phone number has a working email address."""
    import marshmallow as ma

    from careops.contacts.service import find_by_phone
    from careops.fields import normalize_phone
    from careops.workspaces.service import get_workspace

    try:
        number = normalize_phone(phone, get_workspace(workspace_id).country)
    except ma.ValidationError:
        return False  # the contact service answers the unreadable number with its own 422
    contact = find_by_phone(workspace_id, number)
    return contact is not None and bool(contact.email) and not contact.email_undeliverable
