"""The inbox's Huey tasks: send one message (re-scheduled with backoff on failure) and the sweep."""

from huey import crontab
from huey.exceptions import RetryTask

from careops.inbox import delivery
from careops.tasks import periodic_task, task


@task()
def send_message(message_id: str) -> None:
    result = delivery.deliver(message_id)
    if result.retry_in is not None:
        # Huey re-schedules this task after the delay; the message row counts the attempts.
        raise RetryTask(delay=result.retry_in)


@periodic_task(crontab(minute="*/2"))
def sweep_messages() -> None:
    delivery.sweep()
