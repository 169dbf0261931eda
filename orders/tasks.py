from django.conf import settings
from django.urls import reverse
from django_tasks import task

from orders.models import Order
from yumroad_site.emails import email_send
from yumroad_site.tasks import retried_on_failure


def _paid_order(order_id):
    return (
        Order.objects.select_related("store__owner")
        .filter(pk=order_id, status=Order.Status.PAID)
        .first()
    )


def _context(order):
    return {
        "order": order,
        "store_name": order.store.name if order.store else "Yumroad",
        "download_url": settings.SITE_URL + order.download_url,
        "link_days": max(1, settings.DOWNLOAD_LINK_MAX_AGE // 86400),
        "sales_url": settings.SITE_URL + reverse("orders:sales"),
    }


def _claimed_free(order):
    # Anyone can claim a free product for any address: a stranger's, say. Its emails
    # carry no seller's words in their subject, and point no reply at that address.
    return order.amount_cents == 0


@task()
def purchase_receipt_send(order_id, attempt=1):
    """The buyer's receipt with the download link; nothing if the order is no longer paid."""
    order = _paid_order(order_id)
    if order is None or not order.email:
        return
    context = _context(order)
    subject = (
        "Your download from Yumroad"
        if _claimed_free(order)
        else f"Your purchase of {order.product_name} from {context['store_name']}"
    )
    with retried_on_failure(purchase_receipt_send, order_id, attempt=attempt):
        email_send(
            template="purchase_receipt",
            subject=subject,
            to=[order.email],
            context=context,
        )


@task()
def sale_notice_send(order_id, attempt=1):
    """The seller's notice of a sale: the product, the amount and the buyer's email."""
    order = _paid_order(order_id)
    if order is None or order.store is None:
        return
    with retried_on_failure(sale_notice_send, order_id, attempt=attempt):
        email_send(
            template="sale_notice",
            subject=f"You sold {order.product_name}",
            to=[order.store.owner.email],
            context=_context(order),
            reply_to=[order.email] if order.email and not _claimed_free(order) else None,
        )
