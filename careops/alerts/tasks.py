"""The alerts' periodic sweep: time-based alerts raised and cleared ones resolved (locked, idempotent)."""

from huey import crontab

from careops.alerts import conditions
from careops.tasks import periodic_task


@periodic_task(crontab(minute="*/5"))
def sweep_alerts() -> None:
    conditions.sweep()
