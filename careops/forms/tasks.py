"""The forms domain's Huey task: the overdue sweep (reminder, overdue status, alert), every five minutes.

A periodic task holds a Huey lock, so two consumers never sweep at once; each
submission's change is a compare-and-set besides, so a sweep run twice
reminds once.
"""

from huey import crontab

from careops.forms import service
from careops.tasks import periodic_task


@periodic_task(crontab(minute="*/5"))
def sweep_overdue_forms() -> None:
    service.sweep_overdue()
