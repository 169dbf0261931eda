"""A product is published, a draft or archived: only published ones are listed, found,
bought and shown to everyone; a draft is its owner's, an archived product its owner's
and its buyers'. The owner moves it with Publish, Unpublish and Restore."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from orders.models import Order
from products.models import Product
from tests.factories import (
    OrderFactory,
    ProductFactory,
    SellableProductFactory,
    StoreFactory,
    UserFactory,
)
from tests.utils import messages_of

CREATE_URL = reverse("products:create")
Status = Product.Status


def new_product(**extra):
    return {"name": "Rye Handbook", "description": "All about rye.", "price": "4", **extra}


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestCreate:
    def test_publish_makes_a_published_product(self, creator_client):
        response = creator_client.post(CREATE_URL, new_product(status="published"), follow=True)

        product = Product.objects.get()
        assert product.status == Status.PUBLISHED
        assert response.redirect_chain == [(product.get_absolute_url(), 302)]

    def test_save_as_draft_makes_a_draft_only_its_owner_sees(self, creator_client):
        response = creator_client.post(CREATE_URL, new_product(status="draft"), follow=True)

        product = Product.objects.get()
        assert product.status == Status.DRAFT
        assert response.status_code == 200
        assert messages_of(response) == [
            "Saved Rye Handbook as a draft: only you can see it. Publish it from its page or "
            "your dashboard when it is ready."
        ]
        assert Client().get(product.get_absolute_url()).status_code == 404

    def test_a_form_without_the_button_publishes_as_before(self, creator_client):
        creator_client.post(CREATE_URL, new_product())

        assert Product.objects.get().status == Status.PUBLISHED

    @pytest.mark.parametrize("status", ["archived", "secret", "x" * 500])
    def test_any_other_status_is_refused_with_a_message(self, creator_client, status):
        response = creator_client.post(CREATE_URL, new_product(status=status))

        assert response.status_code == 200
        assert response.context["form"].errors["status"] == [
            "Choose to publish it now or to save it as a draft."
        ]
        assert not Product.objects.exists()

    def test_the_form_offers_both_publish_first_and_the_edit_form_neither(
        self, creator_client, store
    ):
        form = creator_client.get(CREATE_URL).context["form"]
        product = ProductFactory(store=store)
        edit = creator_client.get(reverse("products:edit", args=[product.pk])).content.decode()

        assert [value for value, _ in form.fields["status"].choices] == ["published", "draft"]
        assert form["status"].value() == "published"
        assert 'name="status"' not in edit

    def test_editing_keeps_the_status(self, creator_client, store):
        product = ProductFactory(store=store, status=Status.DRAFT)

        creator_client.post(
            reverse("products:edit", args=[product.pk]),
            new_product(status="published"),
        )

        product.refresh_from_db()
        assert product.name == "Rye Handbook"
        assert product.status == Status.DRAFT


@pytest.mark.django_db
class TestWhoSeesTheProductPage:
    @pytest.fixture
    def draft(self, store):
        return SellableProductFactory(store=store, status=Status.DRAFT, name="Secret Draft")

    @pytest.fixture
    def archived(self, store):
        return SellableProductFactory(store=store, status=Status.ARCHIVED, name="Old Guide")

    def test_a_draft_is_a_404_to_visitors_and_other_members(self, client, draft):
        assert client.get(draft.get_absolute_url()).status_code == 404
        assert logged_in(UserFactory()).get(draft.get_absolute_url()).status_code == 404

    def test_its_owner_sees_a_draft_with_its_status_and_publish(self, creator_client, draft):
        response = creator_client.get(draft.get_absolute_url())

        body = response.content.decode()
        assert response.status_code == 200
        assert "<strong>Draft</strong>: only you can see this page." in body
        assert f'action="{reverse("products:publish", args=[draft.pk])}"' in body
        assert '<meta name="robots" content="noindex">' in body

    def test_an_archived_product_is_a_404_to_visitors_and_members_who_did_not_buy_it(
        self, client, archived
    ):
        refunded = UserFactory()
        OrderFactory(product=archived, buyer=refunded, status=Order.Status.REFUNDED)

        assert client.get(archived.get_absolute_url()).status_code == 404
        for member in (UserFactory(), refunded):
            assert logged_in(member).get(archived.get_absolute_url()).status_code == 404

    def test_a_buyer_sees_an_archived_product_with_their_download(self, archived):
        buyer = UserFactory()
        OrderFactory(product=archived, buyer=buyer)

        response = logged_in(buyer).get(archived.get_absolute_url())

        body = response.content.decode()
        assert response.status_code == 200
        assert "no longer sells this product" in body
        assert response.context["purchase_option"] == "owned"
        assert f'action="{reverse("orders:buy", args=[archived.pk])}"' not in body

    def test_its_owner_sees_an_archived_product_with_restore(self, creator_client, archived):
        body = creator_client.get(archived.get_absolute_url()).content.decode()

        assert "<strong>Archived</strong>" in body
        assert f'action="{reverse("products:restore", args=[archived.pk])}"' in body


@pytest.mark.django_db
class TestNotForSale:
    @pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
    @pytest.mark.parametrize("price_cents", [0, 900])
    def test_buy_is_a_404_and_makes_no_order(self, client, status, price_cents):
        product = SellableProductFactory(status=status, price_cents=price_cents)
        member = logged_in(UserFactory())

        for buyer in (client, member):
            response = buyer.post(
                reverse("orders:buy", args=[product.pk]), {"email": "ann@example.com"}
            )
            assert response.status_code == 404
        assert not Order.objects.exists()

    def test_a_buyer_of_an_archived_product_gets_its_page_with_their_download(self):
        product = SellableProductFactory(status=Status.ARCHIVED)
        buyer = UserFactory()
        order = OrderFactory(product=product, buyer=buyer)

        response = logged_in(buyer).post(reverse("orders:buy", args=[product.pk]))

        assert response.status_code == 200
        assert response.context["owned_order"] == order
        assert "You own this" in response.content.decode()
        assert Order.objects.count() == 1


@pytest.mark.django_db
class TestHiddenFromEveryList:
    """Drafts and archived products: in no list, search, store page or count."""

    @pytest.fixture
    def store(self, db):
        store = StoreFactory(name="Rye Bakery")
        SellableProductFactory(store=store, name="Rye Shown Loaf")
        SellableProductFactory(store=store, name="Rye Draft Loaf", status=Status.DRAFT)
        SellableProductFactory(store=store, name="Rye Archived Loaf", status=Status.ARCHIVED)
        return store

    @pytest.mark.parametrize("viewer", ["visitor", "owner"])
    def test_lists_search_and_store_page_show_the_published_product_alone(self, store, viewer):
        client = logged_in(store.owner) if viewer == "owner" else Client()
        pages = [
            reverse("products:index"),
            reverse("products:index") + "?q=rye",
            reverse("products:stores"),
            store.get_absolute_url(),
        ]
        for url in pages:
            body = client.get(url).content.decode()
            assert "Rye Shown Loaf" in body, url
            assert "Rye Draft Loaf" not in body, url
            assert "Rye Archived Loaf" not in body, url

    def test_the_store_page_counts_the_published_product_alone(self, client, store):
        response = client.get(store.get_absolute_url())

        assert response.context["list_count"] == 1
        assert "1 product<" in response.content.decode()

    def test_a_store_with_nothing_published_is_in_no_list_of_stores(self, client):
        hidden = StoreFactory(name="Only Drafts Here")
        ProductFactory(store=hidden, status=Status.DRAFT)
        ProductFactory(store=hidden, status=Status.ARCHIVED)
        ProductFactory(store=StoreFactory(name="Sells Things"))

        for url in (reverse("products:stores"), reverse("home")):
            body = client.get(url).content.decode()
            assert "Only Drafts Here" not in body, url
            assert "Sells Things" in body, url

    def test_the_landing_page_counts_published_products_alone(self, client, store):
        body = client.get(reverse("home")).content.decode()

        assert "Rye Bakery" in body
        assert "1 product<" in body


@pytest.mark.django_db
class TestMoves:
    @pytest.fixture
    def product(self, store):
        return SellableProductFactory(store=store, name="Spelt Notes")

    def move(self, client, name, product, **data):
        return client.post(reverse(f"products:{name}", args=[product.pk]), data, follow=True)

    def test_unpublish_then_publish(self, creator_client, product):
        response = self.move(creator_client, "unpublish", product)

        product.refresh_from_db()
        assert product.status == Status.DRAFT
        assert response.redirect_chain == [(reverse("dashboard"), 302)]
        assert messages_of(response) == ["Spelt Notes is a draft again: only you can see it."]
        assert Client().get(product.get_absolute_url()).status_code == 404

        response = self.move(creator_client, "publish", product)

        product.refresh_from_db()
        assert product.status == Status.PUBLISHED
        assert messages_of(response) == ["Published Spelt Notes: it is listed and for sale."]
        assert Client().get(product.get_absolute_url()).status_code == 200

    def test_restore_publishes_an_archived_product(self, creator_client, store):
        product = ProductFactory(store=store, name="Oat Notes", status=Status.ARCHIVED)

        response = self.move(creator_client, "restore", product)

        product.refresh_from_db()
        assert product.status == Status.PUBLISHED
        assert messages_of(response) == [
            "Restored Oat Notes. It shows as coming soon until it has a file to sell."
        ]

    def test_a_second_press_changes_nothing_and_says_so(self, creator_client, product):
        self.move(creator_client, "unpublish", product)

        response = self.move(creator_client, "unpublish", product)

        product.refresh_from_db()
        assert product.status == Status.DRAFT
        assert messages_of(response) == ["Nothing changed: Spelt Notes is a draft."]

    @pytest.mark.parametrize(
        ("status", "move"),
        [
            (Status.ARCHIVED, "publish"),
            (Status.ARCHIVED, "unpublish"),
            (Status.DRAFT, "restore"),
            (Status.PUBLISHED, "restore"),
        ],
    )
    def test_a_move_from_another_status_changes_nothing(
        self, creator_client, product, status, move
    ):
        Product.objects.filter(pk=product.pk).update(status=status)

        response = self.move(creator_client, move, product)

        product.refresh_from_db()
        assert product.status == status
        assert messages_of(response)[0].startswith("Nothing changed: Spelt Notes is ")

    def test_it_returns_to_a_page_of_this_site_only(self, creator_client, product):
        back = self.move(creator_client, "unpublish", product, next=product.get_absolute_url())
        away = self.move(creator_client, "publish", product, next="https://evil.example/")

        assert back.redirect_chain == [(product.get_absolute_url(), 302)]
        assert away.redirect_chain == [(reverse("dashboard"), 302)]

    @pytest.mark.parametrize("move", ["publish", "unpublish", "restore"])
    def test_anyone_but_the_owner_gets_a_404_and_changes_nothing(self, product, move):
        response = logged_in(UserFactory()).post(reverse(f"products:{move}", args=[product.pk]))

        assert response.status_code == 404
        assert Product.objects.get(pk=product.pk).status == Status.PUBLISHED

    def test_a_visitor_is_sent_to_log_in(self, client, product):
        response = client.post(reverse("products:unpublish", args=[product.pk]))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert Product.objects.get(pk=product.pk).status == Status.PUBLISHED

    def test_a_get_changes_nothing(self, creator_client, product):
        response = creator_client.get(reverse("products:unpublish", args=[product.pk]))

        assert response.status_code == 405
        assert Product.objects.get(pk=product.pk).status == Status.PUBLISHED

    def test_a_move_needs_the_csrf_token(self, store, product):
        owner = Client(enforce_csrf_checks=True)
        owner.force_login(store.owner)

        response = owner.post(reverse("products:unpublish", args=[product.pk]))

        assert response.status_code == 403
        assert Product.objects.get(pk=product.pk).status == Status.PUBLISHED

    def test_an_unknown_product_is_a_404(self, creator_client):
        assert creator_client.post(reverse("products:publish", args=[999999])).status_code == 404


def test_the_database_refuses_an_unknown_status(db):
    product = ProductFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(status="hidden")
