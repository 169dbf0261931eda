"""A large catalogue, written in bulk: stores of at most 1,000 products each."""

import math

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from accounts.models import User
from products.models import Product
from stores.models import Store, name_key

PRODUCTS_PER_STORE = 1_000
BATCH = 5_000
PASSWORD = "bench-password-2024"


def catalogue_create(*, products):
    """`products` products over enough stores, and bench@yumroad.test, a creator
    with a store of their own, to log in as. All products share one small file."""
    store_count = max(10, math.ceil(products / PRODUCTS_PER_STORE))
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        User(email=f"bench{number}@yumroad.test", password=password)
        for number in range(store_count)
    )
    stores = Store.objects.bulk_create(
        Store(
            owner=user,
            name=f"Bench Store {number:04d}",
            name_key=name_key(f"Bench Store {number:04d}"),
            slug=f"bench-store-{number:04d}",
        )
        for number, user in enumerate(users)
    )
    bench = User.objects.create(email="bench@yumroad.test", password=password)
    Store.objects.create(owner=bench, name="The Bench Store", slug="the-bench-store")
    file_name = storages["private"].save("files/bench", ContentFile(b"a bench file\n"))
    for start in range(0, products, BATCH):
        Product.objects.bulk_create(
            Product(
                store=stores[number % store_count],
                name=f"Bench product {number:06d}",
                description="A product of the benchmark catalogue. " * 4,
                price_cents=0 if number % 10 == 0 else 500 + number % 5000,
                file=file_name,
                file_name="bench.txt",
                file_size=13,
                file_type="text/plain",
            )
            for number in range(start, min(start + BATCH, products))
        )


def last_page(kind, store=None):
    """The number of the last page of the products list, or of `store`'s page."""
    from products.views import ProductListView, StoreDetailView

    if kind == "products":
        count, per_page = Product.objects.count(), ProductListView.paginate_by
    else:
        count, per_page = Product.objects.filter(store=store).count(), StoreDetailView.paginate_by
    return max(1, math.ceil(count / per_page))


API_PRODUCTS = 20
API_LICENSES = 1_000


def api_store_create():
    """A store of API_PRODUCTS drafts (no public page shows them) and API_LICENSES paid
    orders of the first, each with its license key, which the API's verify row checks
    in turn, as many apps' users verify theirs: (store, licenses)."""
    from django.utils import timezone

    from orders.models import License, Order, license_key_new

    owner = User.objects.create(email="api@yumroad.test", password=make_password(PASSWORD))
    store = Store.objects.create(owner=owner, name="The API Store", slug="the-api-store")
    products = Product.objects.bulk_create(
        Product(
            store=store,
            name=f"API product {number:02d}",
            description="A product the API's benchmark lists. " * 4,
            price_cents=900,
            status=Product.Status.DRAFT,
            generates_license_keys=True,
        )
        for number in range(API_PRODUCTS)
    )
    paid_at = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            product=products[0],
            store=store,
            product_name=products[0].name,
            email=f"buyer{number}@yumroad.test",
            amount_cents=900,
            currency="usd",
            status=Order.Status.PAID,
            paid_at=paid_at,
        )
        for number in range(API_LICENSES)
    )
    licenses = License.objects.bulk_create(
        License(order=order, key=license_key_new()) for order in orders
    )
    return store, licenses
