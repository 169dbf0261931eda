"""The services the API's license endpoints call: verify (no token; counts uses), and
enable, disable and decrement, for the seller's own keys only. Whatever is not found
looks the same to the caller: LicenseNotFound."""

import pytest

from orders.licenses import (
    LicenseNotFound,
    license_decrement_uses,
    license_disable,
    license_enable,
    license_issue,
    license_verify,
)
from orders.models import License
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory
from tests.utils import race

RACERS = 8


@pytest.fixture
def product(store):
    return SellableProductFactory(store=store, price_cents=1900, generates_license_keys=True)


@pytest.fixture
def license(product):
    return license_issue(order=OrderFactory(product=product))


def verify(license, **kwargs):
    return license_verify(product_id=license.order.product_id, license_key=license.key, **kwargs)


@pytest.mark.django_db
class TestVerify:
    def test_the_first_verification_answers_one_use_and_each_counts(self, license):
        first = verify(license)
        second = verify(license)

        assert (first.uses, second.uses) == (1, 2)
        assert first.order == license.order
        license.refresh_from_db()
        assert license.uses == 2

    def test_without_incrementing_it_answers_the_uses_so_far(self, license):
        verify(license)

        checked = verify(license, increment_uses_count=False)

        assert checked.uses == 1
        license.refresh_from_db()
        assert license.uses == 1

    @pytest.mark.parametrize("spelled", [str.lower, lambda key: f"  {key}\n", str.swapcase])
    def test_any_case_and_surrounding_spaces_match(self, license, spelled):
        assert license_verify(
            product_id=license.order.product_id, license_key=spelled(license.key)
        ).pk == (license.pk)

    def test_a_product_id_in_digits_matches(self, license):
        assert license_verify(product_id=str(license.order.product_id), license_key=license.key)

    def test_another_products_key_is_not_found(self, license, store):
        other = SellableProductFactory(store=store, generates_license_keys=True)

        with pytest.raises(LicenseNotFound) as found:
            license_verify(product_id=other.pk, license_key=license.key)

        assert str(found.value) == "That license does not exist for the provided product."
        license.refresh_from_db()
        assert license.uses == 0

    def test_an_unknown_key_is_not_found(self, license):
        with pytest.raises(LicenseNotFound):
            verify(License(order=license.order, key="00000000-00000000-00000000-00000000"))

    def test_a_disabled_key_is_not_found_and_not_counted(self, license, store):
        license_disable(store=store, product_id=license.order.product_id, license_key=license.key)

        with pytest.raises(LicenseNotFound):
            verify(license)
        with pytest.raises(LicenseNotFound):
            verify(license, increment_uses_count=False)
        license.refresh_from_db()
        assert license.uses == 0

    def test_a_key_of_a_deleted_product_is_not_found(self, license):
        product_id = license.order.product_id
        license.order.product.delete()

        with pytest.raises(LicenseNotFound):
            license_verify(product_id=product_id, license_key=license.key)

    @pytest.mark.parametrize(
        ("product_id", "key"),
        [
            (None, None),
            ("abc", "KEY"),
            ("1\x00", "KEY"),
            (-1, "KEY"),
            (0, "KEY"),
            (True, "KEY"),
            (1.0, "KEY"),
            (2**63, "KEY"),
            ("9" * 400, "KEY"),
            ("\u0661", "KEY"),  # an Arabic-Indic digit one: int() would read it
            ("ID", "\x00"),
            ("ID", "KEY\x00"),
            ("ID", "KEY" + "-0" * 5000),
            ("ID", ["KEY"]),
            ("ID", 12345678),
            ("ID", ""),
            ("ID", "\ufb00\ufb00\ufb00\ufb00-00000000-00000000-00000000"),  # ﬀ.upper() is FF
        ],
    )
    def test_a_value_that_is_no_id_or_no_key_is_not_found_without_a_query(
        self, license, product_id, key, django_assert_num_queries
    ):
        product_id = license.order.product_id if product_id == "ID" else product_id
        key = key.replace("KEY", license.key) if isinstance(key, str) else key

        with django_assert_num_queries(0), pytest.raises(LicenseNotFound):
            license_verify(product_id=product_id, license_key=key)

    def test_it_counts_in_one_statement_then_reads_the_license(
        self, license, django_assert_num_queries
    ):
        # The counting update (which returns the count), then the license with its
        # order: the row is locked only as long as the update and its commit.
        with django_assert_num_queries(2):
            assert verify(license).uses == 1


@pytest.mark.django_db(transaction=True)
def test_verifications_at_once_each_count_and_answer_their_own_use(license):
    answered = race(*[lambda: verify(license).uses] * RACERS)

    assert sorted(answered) == list(range(1, RACERS + 1))
    license.refresh_from_db()
    assert license.uses == RACERS


@pytest.mark.django_db
class TestTheSellersChanges:
    def test_disable_then_enable_and_it_verifies_again(self, license, store):
        ids = {"product_id": license.order.product_id, "license_key": license.key.lower()}

        disabled = license_disable(store=store, **ids)
        assert disabled.is_disabled
        with pytest.raises(LicenseNotFound):
            verify(license)

        enabled = license_enable(store=store, **ids)
        assert not enabled.is_disabled
        assert verify(license).uses == 1

    def test_disabling_twice_keeps_the_first_time(self, license, store):
        ids = {"product_id": license.order.product_id, "license_key": license.key}
        first = license_disable(store=store, **ids).disabled_at

        assert license_disable(store=store, **ids).disabled_at == first

    def test_decrement_takes_one_use_off_and_stops_at_zero(self, license, store):
        verify(license)
        verify(license)
        ids = {"product_id": license.order.product_id, "license_key": license.key}

        assert license_decrement_uses(store=store, **ids).uses == 1
        assert license_decrement_uses(store=store, **ids).uses == 0
        assert license_decrement_uses(store=store, **ids).uses == 0
        license.refresh_from_db()
        assert license.uses == 0

    def test_a_disabled_key_can_be_decremented(self, license, store):
        verify(license)
        ids = {"product_id": license.order.product_id, "license_key": license.key}
        license_disable(store=store, **ids)

        assert license_decrement_uses(store=store, **ids).uses == 0

    @pytest.mark.parametrize("change", [license_enable, license_disable, license_decrement_uses])
    def test_another_stores_key_is_not_found_and_unchanged(self, license, change):
        verify(license)
        other_store = StoreFactory()

        with pytest.raises(LicenseNotFound):
            change(store=other_store, product_id=license.order.product_id, license_key=license.key)

        license.refresh_from_db()
        assert (license.uses, license.disabled_at) == (1, None)

    @pytest.mark.parametrize("change", [license_enable, license_disable, license_decrement_uses])
    def test_the_key_under_another_of_the_sellers_products_is_not_found(
        self, license, store, change
    ):
        other = SellableProductFactory(store=store, generates_license_keys=True)

        with pytest.raises(LicenseNotFound):
            change(store=store, product_id=other.pk, license_key=license.key)

    @pytest.mark.parametrize("change", [license_enable, license_disable, license_decrement_uses])
    def test_no_store_or_no_key_is_not_found(self, license, store, change):
        with pytest.raises(LicenseNotFound):
            change(store=None, product_id=license.order.product_id, license_key=license.key)
        with pytest.raises(LicenseNotFound):
            change(store=store, product_id=license.order.product_id, license_key="\x00")


@pytest.mark.django_db(transaction=True)
def test_decrements_at_once_never_go_below_zero(license, store):
    for _ in range(3):
        verify(license)
    ids = {"product_id": license.order.product_id, "license_key": license.key}

    race(*[lambda: license_decrement_uses(store=store, **ids).uses] * RACERS)

    license.refresh_from_db()
    assert license.uses == 0
