"""Timings of the busiest pages, for `make bench`. Nothing here fails on time."""

import pytest
from django.urls import reverse

from tests.factories import ProductFactory, StoreFactory


@pytest.fixture
def catalogue(db):
    stores = StoreFactory.create_batch(20)
    return [ProductFactory(store=stores[n % 20]) for n in range(200)]


@pytest.mark.parametrize(
    "url",
    [reverse("home"), reverse("stores:index"), reverse("products:index")],
    ids=["home", "stores", "products"],
)
def test_list_pages(benchmark, client, catalogue, url):
    response = benchmark(client.get, url)
    assert response.status_code == 200


def test_store_page(benchmark, client, catalogue):
    response = benchmark(client.get, catalogue[0].store.get_absolute_url())
    assert response.status_code == 200


def test_product_page(benchmark, client, catalogue):
    response = benchmark(client.get, catalogue[0].get_absolute_url())
    assert response.status_code == 200
