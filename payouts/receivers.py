"""The ledger books what orders announce (orders.signals), inside the transaction that
moved the order: a receiver that fails undoes the move."""

from django.dispatch import receiver

from orders.signals import order_dispute_closed, order_disputed, order_paid, order_refunded
from payouts import services


@receiver(order_paid)
def sale_booked(order, **kwargs):
    services.ledger_sale_book(order=order)


@receiver(order_refunded)
def refund_booked(order, refunded_net_before, **kwargs):
    services.ledger_refund_book(order=order, refunded_net_before=refunded_net_before)


@receiver(order_disputed)
def dispute_booked(order, dispute_key, **kwargs):
    services.ledger_dispute_book(order=order, dispute_key=dispute_key)


@receiver(order_dispute_closed)
def dispute_close_booked(order, won, dispute_key, **kwargs):
    if won:
        services.ledger_dispute_won_book(order=order, dispute_key=dispute_key)
