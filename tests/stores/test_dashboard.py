import pytest
from django.urls import reverse

from orders.models import Order
from tests.factories import OrderFactory, ProductFactory, SellableProductFactory

DASHBOARD_URL = reverse("dashboard")


@pytest.mark.django_db
class TestDashboard:
    def test_shows_the_store_link_add_product_sales_and_settings(self, creator_client, store):
        body = creator_client.get(DASHBOARD_URL).content.decode()

        assert f'href="{store.get_absolute_url()}">http://127.0.0.1:8000/stores/' in body
        assert f'href="{reverse("products:create")}">Add product</a>' in body
        assert f'href="{reverse("orders:sales")}">Sales</a>' in body
        assert f'href="{reverse("stores:settings")}">Store settings</a>' in body

    def test_lists_the_products_with_price_status_sales_and_revenue(self, creator_client, store):
        selling = SellableProductFactory(store=store, name="Sourdough Guide", price_cents=1200)
        coming = ProductFactory(store=store, name="Croissant Plan")
        OrderFactory.create_batch(2, product=selling)
        OrderFactory(product=selling, status=Order.Status.REFUNDED)
        ProductFactory(name="Somebody Else's Thing")

        response = creator_client.get(DASHBOARD_URL)

        body = response.content.decode()
        rows = {product.name: product for product in response.context["product_list"]}
        assert set(rows) == {"Sourdough Guide", "Croissant Plan"}
        assert (rows["Sourdough Guide"].sales_count, rows["Sourdough Guide"].revenue_cents) == (
            2,
            2400,
        )
        assert (rows["Croissant Plan"].sales_count, rows["Croissant Plan"].revenue_cents) == (0, 0)
        assert f'data-revenue="{selling.pk}">$24.00<' in body
        assert "On sale" in body
        assert "Coming soon" in body
        assert f'href="{reverse("products:edit", args=[coming.pk])}">Edit</a>' in body
        assert "Somebody Else" not in body

    def test_shows_the_last_few_sales_newest_first(self, creator_client, store):
        product = SellableProductFactory(store=store)
        orders = OrderFactory.create_batch(7, product=product)

        response = creator_client.get(DASHBOARD_URL)

        shown = list(response.context["recent_sales"])
        assert shown == sorted(orders, key=lambda o: (o.paid_at, o.pk), reverse=True)[:5]
        assert orders[-1].email in response.content.decode()

    def test_a_store_without_products_invites_to_add_the_first(self, creator_client):
        body = creator_client.get(DASHBOARD_URL).content.decode()

        assert "No products yet." in body
        assert f'<a href="{reverse("products:create")}">Add your first product</a>.' in body
        assert "No sales yet." in body

    def test_without_a_store_asks_to_open_one_and_comes_back(self, auth_client):
        response = auth_client.get(DASHBOARD_URL)

        assert response["Location"] == f"{reverse('stores:new')}?next=%2Fdashboard%2F"


@pytest.mark.django_db
class TestNavigation:
    def test_store_owners_get_dashboard_add_product_library_email_and_log_out(
        self, creator_client, store
    ):
        body = creator_client.get(reverse("products:index")).content.decode()

        for url, label in [
            ("dashboard", "Dashboard"),
            ("products:create", "Add product"),
            ("orders:library", "Library"),
        ]:
            assert f'href="{reverse(url)}">{label}</a>' in body
        assert f">{store.owner.email}</a>" in body
        assert "Log out</button>" in body
        assert "Start selling" not in body
        assert ">Log in</a>" not in body

    def test_visitors_get_stores_products_start_selling_and_log_in(self, client):
        body = client.get(reverse("home")).content.decode()

        assert f'href="{reverse("products:stores")}">Stores</a>' in body
        assert f'href="{reverse("products:index")}">Products</a>' in body
        assert "Start selling</a>" in body
        assert f'href="{reverse("accounts:login")}">Log in</a>' in body
        assert "Dashboard" not in body

    @pytest.mark.parametrize(
        ("url", "label"),
        [
            ("dashboard", "Dashboard"),
            ("products:create", "Add product"),
            ("orders:library", "Library"),
        ],
    )
    def test_marks_the_current_section(self, creator_client, url, label):
        body = creator_client.get(reverse(url)).content.decode()

        assert f'aria-current="page" href="{reverse(url)}">{label}</a>' in body
        assert body.count('aria-current="page"') == 1

    def test_marks_the_current_section_for_visitors(self, client):
        body = client.get(reverse("products:stores")).content.decode()

        assert f'aria-current="page" href="{reverse("products:stores")}">Stores</a>' in body

    def test_add_product_has_one_name_everywhere(self, creator_client, store):
        for url in [reverse("home"), store.get_absolute_url(), reverse("products:create")]:
            body = creator_client.get(url).content.decode()
            assert "Add Product" not in body
            assert "Create a product" not in body
            assert "Add a product" not in body
