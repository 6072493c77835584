"""Outgoing webhooks by the Standard Webhooks specification.

The owner registers endpoints (URL, subscribed event types, a ``whsec_``
secret); every outbox event of a subscribed type becomes one delivery row per
enabled endpoint (:mod:`careops.webhooks.receivers`), sent and retried by Huey
ETA tasks (:mod:`careops.webhooks.delivery`), signed with ``standardwebhooks``
and refused when the URL's host resolves to an internal address
(:mod:`careops.webhooks.guard`). See docs/webhooks.md.
"""
