"""The page cache and a product's status: a draft's or an archived product's page is
never kept (each viewer sees it differently), and a published page's copies, its lists
included, are retired the moment it becomes a draft or archived."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import Product
from tests.factories import OrderFactory, SellableProductFactory, UserFactory
from yumroad_site.cache import cached

Status = Product.Status


def kept_for_visitors(path):
    return cached("visitor page", path) is not None


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def product(db):
    return SellableProductFactory(name="Cached Spelt Guide", price_cents=0)


def list_pages(product):
    """Each page that lists `product`, with what shows it there: the landing page shows
    its store (its only product)."""
    return [
        (reverse("home"), product.store.name),
        (reverse("products:index"), product.name),
        (reverse("products:stores"), product.name),
        (product.store.get_absolute_url(), product.name),
    ]


@pytest.mark.django_db
class TestStatusChangesRetireCopies:
    def test_a_cached_page_is_a_404_to_a_visitor_right_after_unpublish(self, product):
        Client().get(product.get_absolute_url())
        assert kept_for_visitors(product.get_absolute_url())

        logged_in(product.store.owner).post(reverse("products:unpublish", args=[product.pk]))

        assert Client().get(product.get_absolute_url()).status_code == 404

    @pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
    def test_a_saved_status_retires_the_page_too(self, product, status):
        Client().get(product.get_absolute_url())

        product.status = status
        product.save()

        assert Client().get(product.get_absolute_url()).status_code == 404

    def test_every_cached_list_drops_it_right_after_unpublish(self, product):
        for url, shown in list_pages(product):
            assert shown in Client().get(url).content.decode()

        logged_in(product.store.owner).post(reverse("products:unpublish", args=[product.pk]))

        for url, shown in list_pages(product):
            assert shown not in Client().get(url).content.decode(), url

    def test_an_archived_product_leaves_every_cached_list(self, product):
        OrderFactory(product=product)
        for url, _ in list_pages(product):
            Client().get(url)

        logged_in(product.store.owner).post(reverse("products:delete", args=[product.pk]))

        for url, shown in list_pages(product):
            assert shown not in Client().get(url).content.decode(), url

    def test_a_published_draft_shows_at_once_where_its_absence_was_cached(self, product):
        Product.objects.filter(pk=product.pk).update(status=Status.DRAFT)
        for url, _ in list_pages(product):
            Client().get(url)
        assert Client().get(product.get_absolute_url()).status_code == 404

        logged_in(product.store.owner).post(reverse("products:publish", args=[product.pk]))

        assert Client().get(product.get_absolute_url()).status_code == 200
        for url, shown in list_pages(product):
            assert shown in Client().get(url).content.decode(), url

    def test_a_members_copy_is_retired_too(self, product):
        member = logged_in(UserFactory())
        member.get(product.get_absolute_url())

        Product.objects.filter(pk=product.pk).update(status=Status.DRAFT)

        assert member.get(product.get_absolute_url()).status_code == 404


@pytest.mark.django_db
class TestUnlistedPagesAreNeverKept:
    def test_the_owners_draft_page_is_made_anew_each_time(self, product):
        Product.objects.filter(pk=product.pk).update(status=Status.DRAFT)
        owner = logged_in(product.store.owner)
        owner.get(product.get_absolute_url())

        # A kept copy would cost the session's query alone.
        assert queries_of(owner, product.get_absolute_url()) > 1
        assert Client().get(product.get_absolute_url()).status_code == 404

    def test_a_buyers_archived_page_is_made_anew_each_time(self, product):
        buyer = UserFactory()
        OrderFactory(product=product, buyer=buyer)
        Product.objects.filter(pk=product.pk).update(status=Status.ARCHIVED)
        member = logged_in(buyer)
        member.get(product.get_absolute_url())

        assert queries_of(member, product.get_absolute_url()) > 1

    def test_a_published_page_is_still_kept(self, product):
        owner = logged_in(product.store.owner)
        owner.get(product.get_absolute_url())

        assert queries_of(owner, product.get_absolute_url()) == 1
