"""Timings of the busiest pages, for `make bench`. Nothing here fails on time."""

import pytest
from django.urls import reverse

from tests.factories import ProductFactory, UserFactory


@pytest.fixture
def catalogue(db):
    creators = UserFactory.create_batch(10)
    return [ProductFactory(creator=creators[n % 10]) for n in range(200)]


def test_product_list(benchmark, client, catalogue):
    response = benchmark(client.get, reverse("products:index"))
    assert response.status_code == 200


def test_product_detail(benchmark, client, catalogue):
    response = benchmark(client.get, catalogue[0].get_absolute_url())
    assert response.status_code == 200
