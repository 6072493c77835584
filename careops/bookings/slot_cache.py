"""The public slot list's cache: computed slots kept per workspace version, invalidated by every write.

**What is cached.** :func:`careops.bookings.offer.offered_slots` keeps, per
(workspace, service, first day, last day, zone), the slots with room, computed
*without* the notice/horizon cut — that depends on the clock and is applied to
the cached list on every answer. Entries live in this process (a bounded LRU,
:data:`MAX_ENTRIES`, and at most :data:`MAX_AGE` seconds old).

**The machinery** — versions in Redis or SQLite's ``PRAGMA data_version``, the
bump after the commit, the outage behaviour, ``CAREOPS_SLOT_CACHE = False`` —
is the core's :mod:`careops.versioned_cache`; this module is its ``slots``
namespace: the tables slots are computed from (:data:`WATCHED_TABLES`) and the
Redis keys ``careops:slots:v:…``. Without Redis, PostgreSQL answers are computed
each time — since the busy ranges are counted in SQL that is a few tens of
milliseconds on a 10,000-booking calendar.

**What bumps.** The new, changed or deleted rows of bookings, booking resources,
services, service resources, resources, availability rules and overrides and
workspaces (and ORM statements writing them), after their commit. Only those:
a new contact or message leaves the slots cached.

**Also kept here:** the staff booking list's total
(:func:`careops.bookings.service.cached_total`), a count of rows this cache's
version already follows.

**Outage.** Any Redis error makes the answer computed and uncached — never a
stale one; a failed bump is retried on the next use. Meanwhile the other
processes' entries stay at most :data:`MAX_AGE` seconds, and a booking is
re-checked under the lock anyway (a stale slot can only give
``409 SLOT_UNAVAILABLE``, never a double booking).
"""

from __future__ import annotations

from careops import versioned_cache

#: Entries per process: a 30-day list of a busy service is ~100 kB, so a worker holds at most ~25 MB.
MAX_ENTRIES = 256
#: Seconds an entry may be used at all: bounds staleness when a bump could not reach Redis.
MAX_AGE = 60.0
#: The tables slots are computed from. Named by table rather than imported as models, so the
#: cache watches other domains' rows without reaching into their ``models`` (the layer contracts).
WATCHED_TABLES = frozenset(
    {
        "bookings",
        "booking_resources",
        "services",
        "service_resources",
        "resources",
        "availability_rules",
        "availability_overrides",
        "workspaces",
    }
)

SLOTS = versioned_cache.Namespace("slots", WATCHED_TABLES, max_entries=MAX_ENTRIES, max_age=MAX_AGE)

# This process's entries, the bumps Redis has not taken yet and the connection token's key
# (tests look at them).
_entries = SLOTS.entries
_unbumped = SLOTS.unbumped
_CONNECTION = versioned_cache.CONNECTION_TOKEN


# The module's API, as offer.py, the booking list's total, bench/ and the tests use it.
version = SLOTS.version
bump = SLOTS.bump
cached = SLOTS.cached
clear = SLOTS.clear
