"""A product deleted while someone buys it: the buyer's order never loses its product."""

from functools import partial

import pytest
from django.urls import reverse

from orders.models import Order
from products.models import Product
from tests.concurrency.test_races import stays_on_redirects
from tests.factories import PASSWORD, SellableProductFactory, StoreFactory, UserFactory
from tests.live import Browser
from tests.utils import race

ROUNDS = 4


@pytest.mark.django_db(transaction=True)
def test_a_delete_racing_a_buy_archives_the_product_or_leaves_no_order(live_server, stripe_server):
    store = StoreFactory()
    owner, buyer = Browser(live_server.url), Browser(live_server.url)
    owner.log_in(store.owner.email, PASSWORD)
    buyer.log_in(UserFactory().email, PASSWORD)
    for browser in (owner, buyer):
        stays_on_redirects(browser)

    for _ in range(ROUNDS):
        product = SellableProductFactory(store=store, price_cents=900)
        owner.get(reverse("products:delete", args=[product.pk]))
        buyer.get(product.get_absolute_url())

        deleted, bought = race(
            partial(owner.post, reverse("products:delete", args=[product.pk]), {}),
            partial(buyer.post, reverse("orders:buy", args=[product.pk]), {}),
        )

        # 303: to the checkout; 302: back to the product ("your checkout is starting");
        # 404: the product was gone when the Buy looked.
        assert deleted[0] == 302
        assert bought[0] in {302, 303, 404}
        assert not Order.objects.filter(product=None).exists()
        left = Product.objects.filter(pk=product.pk).first()
        if bought[0] == 303:
            assert left is not None
            assert left.status == Product.Status.ARCHIVED
            assert Order.objects.get(product=left).status == Order.Status.PENDING
        else:
            assert left is None
