import pytest

from orders.models import Order
from tests.factories import OrderFactory


def test_an_unsaved_order_has_no_number_yet_and_still_reads_as_text():
    order = Order(product_name="Sourdough Guide", amount_cents=500)

    assert order.number is None
    assert str(order) == "Unsaved order: Sourdough Guide"


def test_an_order_built_by_the_factory_but_not_saved_reads_as_text():
    order = OrderFactory.build(product_name="Trail Maps")

    assert order.number is None
    assert str(order) == "Unsaved order: Trail Maps"


@pytest.mark.django_db
def test_a_saved_order_is_numbered_by_its_id_in_six_digits_at_least():
    order = OrderFactory(product_name="Watercolor Brushes")

    assert order.number == f"{order.pk:06d}"
    assert str(order) == f"Order {order.pk:06d}: Watercolor Brushes"


@pytest.mark.parametrize(
    ("pk", "number"), [(7, "000007"), (123456, "123456"), (1234567, "1234567")]
)
def test_the_number_is_the_id_padded_to_six_digits(pk, number):
    assert Order(pk=pk).number == number
