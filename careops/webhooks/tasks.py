"""Huey tasks of webhooks: one attempt of a delivery (queued now or with an ETA), and the minute sweep."""

from huey import crontab

from careops.tasks import periodic_task, task
from careops.webhooks import delivery


@task()
def send_delivery(delivery_id: str) -> None:
    delivery.attempt_delivery(delivery_id)


@periodic_task(crontab(minute="*"))
def sweep_webhook_deliveries() -> None:
    delivery.sweep()
