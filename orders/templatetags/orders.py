from django import template

from orders import payments
from orders.forms import BuyerEmailForm
from orders.models import Order

register = template.Library()


@register.inclusion_tag("orders/_buy.html", takes_context=True)
def buy_box(context, product):
    """What a product's page offers: buy, get it free, coming soon, or already yours."""
    user = context["request"].user
    is_owner = product.store.is_owned_by(user)
    return {
        "product": product,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "is_owner": is_owner,
        "checkout_mode": payments.checkout_mode(),
        # One query, for a logged-in visitor who could buy it.
        "owned": user.is_authenticated
        and not is_owner
        and bool(product.file)
        and Order.objects.owned_by(user, product).exists(),
        "claim_form": context.get("claim_form") or BuyerEmailForm(),
    }
