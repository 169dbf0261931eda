"""What happens to an order's money, announced for the apps above orders (the payouts
ledger). Each signal is sent with `order` (read again after the move) inside the
transaction that moved it, and only when it moved: a receiver that fails undoes the
move, and a replay of the same Stripe event sends nothing."""

from django.dispatch import Signal

# The order was paid: order.fee_cents and order.net_cents are fixed now.
order_paid = Signal()
# A refund raised order.refunded_cents. `refunded_net_before` is the net's refunded share
# before it: the refund took back order.refunded_net_cents - refunded_net_before.
order_refunded = Signal()
# A dispute opened: the buyer's bank holds the money until it is decided. `dispute_key`
# names this dispute (an order may be disputed again after winning one).
order_disputed = Signal()
# The dispute `dispute_key` was decided: `won` says whether the money came back.
order_dispute_closed = Signal()
