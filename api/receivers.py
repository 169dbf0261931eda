"""Sellers' webhooks record what orders announce (orders.signals), inside the transaction
that moved the order; they are sent once it commits. Unlike the ledger's receivers,
these never undo the move: a webhook that can't be recorded is logged and dropped."""

from django.dispatch import receiver

from api.models import ResourceName
from api.webhooks import webhook_event_record
from orders.signals import order_disputed, order_paid, order_refunded


@receiver(order_paid)
def sale_announced(order, **kwargs):
    webhook_event_record(order=order, event=ResourceName.SALE, event_id=f"sale-{order.pk}")


@receiver(order_refunded)
def refund_announced(order, **kwargs):
    # Each refund raises the order's refunded total: the total names it.
    event_id = f"refund-{order.pk}-{order.refunded_cents}"
    webhook_event_record(order=order, event=ResourceName.REFUND, event_id=event_id)


@receiver(order_disputed)
def dispute_announced(order, dispute_key, **kwargs):
    event_id = f"dispute-{order.pk}-{dispute_key}"
    webhook_event_record(order=order, event=ResourceName.DISPUTE, event_id=event_id)
