"""Every way of writing a model that cached pages show retires the copies it changed:
saves and deletes, and the queryset writes that send no signal."""

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from api.models import AccessToken
from orders.models import Order
from products.models import Product
from stores.models import Store
from tests.factories import OrderFactory, ProductFactory, UserFactory
from yumroad_site import retirement
from yumroad_site.cache import CATALOGUE_VERSION, cached, member_version


def renamed(instance, field):
    setattr(instance, field, f"{getattr(instance, field)} renamed")
    return instance


CATALOGUE_WRITES = {
    "product saved": lambda product: renamed(product, "name").save(),
    "product deleted": lambda product: product.delete(),
    "products updated": lambda product: Product.objects.filter(pk=product.pk).update(
        name="Updated in bulk"
    ),
    "products updated through their store": lambda product: product.store.products.update(
        price_cents=0
    ),
    "products bulk-updated": lambda product: Product.objects.bulk_update(
        [renamed(product, "name")], ["name"]
    ),
    "products bulk-created": lambda product: Product.objects.bulk_create(
        [Product(store=product.store, name="Made in bulk", price_cents=100)]
    ),
    "products deleted in bulk": lambda product: Product.objects.filter(pk=product.pk).delete(),
    "store saved": lambda product: renamed(product.store, "name").save(),
    "store deleted": lambda product: product.store.delete(),
    "stores updated": lambda product: Store.objects.filter(pk=product.store_id).update(
        name="Renamed in bulk"
    ),
    "stores bulk-updated": lambda product: Store.objects.bulk_update(
        [renamed(product.store, "name")], ["name"]
    ),
    "stores bulk-created": lambda product: Store.objects.bulk_create(
        [Store(owner=UserFactory(), name="Opened in bulk", slug="opened-in-bulk")]
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("write", CATALOGUE_WRITES.values(), ids=CATALOGUE_WRITES.keys())
def test_every_write_to_a_store_or_product_retires_the_catalogue(write):
    product = ProductFactory()
    cache.set(CATALOGUE_VERSION, "before")

    write(product)

    assert cache.get(CATALOGUE_VERSION) is None


MEMBER_WRITES = {
    "save": lambda user: renamed(user, "email").save(),
    "delete": lambda user: user.delete(),
    "queryset update": lambda user: User.objects.filter(pk=user.pk).update(is_active=False),
    "bulk_update": lambda user: User.objects.bulk_update([renamed(user, "email")], ["email"]),
    "an order saved": lambda user: OrderFactory(buyer=user),
}


@pytest.mark.django_db
@pytest.mark.parametrize("how", MEMBER_WRITES.values(), ids=MEMBER_WRITES.keys())
def test_every_write_to_a_member_retires_their_copies_and_no_one_elses(how):
    member, other = UserFactory(), UserFactory()
    for user in (member, other):
        cache.set(member_version(user.pk), "before")

    how(member)

    assert cache.get(member_version(member.pk)) is None
    assert cache.get(member_version(other.pk)) == "before"


@pytest.mark.django_db
def test_an_update_that_changes_no_row_retires_nothing():
    cache.set(CATALOGUE_VERSION, "before")

    Product.objects.filter(pk=0).update(name="Nobody")

    assert cache.get(CATALOGUE_VERSION) == "before"


@pytest.mark.parametrize("model", [Store, Product, User])
def test_the_models_cached_pages_show_write_through_a_retiring_queryset(model):
    # A new manager or queryset that dropped it would let updates leave pages stale.
    assert isinstance(model.objects.all(), retirement.RetiringQuerySet)


def test_every_model_named_for_retirement_exists():
    labels = [*retirement.CATALOGUE_MODELS, *retirement.MEMBER_MODELS]

    assert [apps.get_model(label)._meta.label for label in labels] == labels
    assert {Order._meta.label, User._meta.label, AccessToken._meta.label} == set(
        retirement.MEMBER_MODELS
    )


@pytest.mark.django_db
def test_migrating_retires_the_cached_catalogue():
    ProductFactory()
    Client().get(reverse("products:index"))

    call_command("migrate", verbosity=0)

    assert cached("visitor page", reverse("products:index")) is None


def test_a_cache_out_of_reach_does_not_stop_a_migration(monkeypatch, caplog):
    def unreachable():
        raise ConnectionError("no cache")

    monkeypatch.setattr(retirement, "catalogue_changed", unreachable)

    retirement._after_migrating(sender=apps.get_app_config("products"))

    assert "Could not retire the cached catalogue" in caplog.text


@pytest.mark.django_db
class TestStorePages:
    """A store's pages are kept under the store's own version: a write to another
    store's products leaves them cached, one to its own retires them."""

    def test_an_edit_in_one_store_leaves_other_stores_pages_cached(self, django_assert_num_queries):
        edited, other = ProductFactory(), ProductFactory()
        for product in (edited, other):
            Client().get(product.store.get_absolute_url())

        edited.name = "Edited elsewhere"
        edited.save()

        with django_assert_num_queries(0):
            kept = Client().get(other.store.get_absolute_url())
        page = Client().get(edited.store.get_absolute_url()).content.decode()
        assert other.name in kept.content.decode()
        assert "Edited elsewhere" in page
        assert cached("visitor page", reverse("products:index")) is None

    @pytest.mark.parametrize("write", ["save", "update", "bulk_update"])
    def test_a_renamed_store_is_not_served_at_its_old_address(self, write):
        product = ProductFactory()
        store = product.store
        old_address = store.get_absolute_url()
        assert Client().get(old_address).status_code == 200
        assert cached("visitor page", old_address) is not None

        store.slug = "a-new-address"
        if write == "save":
            store.save()
        elif write == "update":
            Store.objects.filter(pk=store.pk).update(slug="a-new-address")
        else:
            Store.objects.bulk_update([store], ["slug"])

        assert cached("visitor page", old_address) is None
        assert Client().get(old_address).status_code == 404

    def test_a_product_moved_in_bulk_retires_its_stores_pages(self):
        product = ProductFactory()
        address = product.store.get_absolute_url()
        Client().get(address)

        Product.objects.filter(pk=product.pk).update(price_cents=0)

        assert cached("visitor page", address) is None

    def test_migrating_retires_every_stores_pages(self):
        address = ProductFactory().store.get_absolute_url()
        Client().get(address)

        call_command("migrate", verbosity=0)

        assert cached("visitor page", address) is None
