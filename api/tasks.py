from django_tasks import task

from api.webhooks import webhook_delivery_try


@task()
def webhook_delivery_send(delivery_id):
    """A try of a webhook's delivery: api.webhooks.webhook_delivery_try, which queues
    the next one when it fails."""
    webhook_delivery_try(delivery_id=delivery_id)
