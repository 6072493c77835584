"""Periodic housekeeping of the booking engine: expired Idempotency-Key rows."""

from careops import idempotency
from careops.tasks import crontab, periodic_task


@periodic_task(crontab(minute="17"))
def purge_idempotency_keys() -> None:
    idempotency.purge_expired()
