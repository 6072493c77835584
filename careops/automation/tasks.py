"""Automation's Huey tasks: a reminder at its time, and the sweep for reminders whose task was lost."""

from huey import crontab

from careops.automation import booking_messages
from careops.tasks import periodic_task, task


@task()
def run_scheduled_automation(job_id: str) -> None:
    booking_messages.run(job_id)


@periodic_task(crontab(minute="*/5"))
def sweep_scheduled_automations() -> None:
    booking_messages.sweep()
