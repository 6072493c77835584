"""The Huey tasks that deliver outbox events (kept apart so events.py imports no queue)."""

from huey import crontab

from careops import events
from careops.tasks import periodic_task, task


@task(retries=3, retry_delay=10)
def deliver_event(event_id: str) -> None:
    events.deliver(event_id)


@periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    events.sweep()
