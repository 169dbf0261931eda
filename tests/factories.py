import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from orders.models import Order, fee_of
from products.models import Product
from stores.models import Store

PASSWORD = "a-Str0ng-passphrase"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"creator{n}@example.com")

    class Params:
        # An account whose email a followed link confirmed.
        confirmed = factory.Trait(confirmed_email=factory.SelfAttribute("email"))

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Store number {n}")
    slug = factory.Sequence(lambda n: f"store-number-{n}")
    owner = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Digital product {n}")
    description = factory.Faker("paragraph")
    price_cents = 500
    store = factory.SubFactory(StoreFactory)


class SellableProductFactory(ProductFactory):
    """A product with the file it delivers, ready to buy."""

    file = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4 the guide\n", name="guide.pdf"))


class OrderFactory(factory.django.DjangoModelFactory):
    """A paid order of a sellable product."""

    class Meta:
        model = Order

    product = factory.SubFactory(SellableProductFactory)
    store = factory.SelfAttribute("product.store")
    product_name = factory.SelfAttribute("product.name")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    amount_cents = factory.SelfAttribute("product.price_cents")
    currency = "usd"
    status = Order.Status.PAID
    paid_at = factory.LazyFunction(timezone.now)
    stripe_session_id = factory.Sequence(lambda n: f"cs_test_{n:06d}")
    payment_intent_id = factory.Sequence(lambda n: f"pi_test_{n:06d}")
    # What order_mark_paid fixes at payment (the fee of the settings now), and what a
    # refunded order gave back: all of it.
    fee_cents = factory.LazyAttribute(lambda o: fee_of(o.amount_cents) if _sold(o) else 0)
    net_cents = factory.LazyAttribute(lambda o: o.amount_cents - o.fee_cents if _sold(o) else 0)
    refunded_cents = factory.LazyAttribute(
        lambda o: o.amount_cents if o.status == Order.Status.REFUNDED else 0
    )
    refunded_net_cents = factory.LazyAttribute(
        lambda o: o.net_cents if o.status == Order.Status.REFUNDED else 0
    )


def _sold(order):
    return order.status in (Order.Status.PAID, Order.Status.REFUNDED)


def drum_kit_sale(store, *, payment_intent_id):
    """A paid $19.00 order of `store`, bought by buyer@example.com: the fee 10% + 50
    cents, $2.40; the net $16.60."""
    product = SellableProductFactory(store=store, name="Lo-fi Drum Kit", price_cents=1900)
    return OrderFactory(
        product=product,
        email="buyer@example.com",
        fee_cents=240,
        net_cents=1660,
        payment_intent_id=payment_intent_id,
    )
