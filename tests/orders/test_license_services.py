"""The services the API's license endpoints call: verify (no token; counts uses), and
enable, disable and decrement, for the seller's own keys only. Whatever is not found
looks the same to the caller: LicenseNotFound."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import licenses
from orders.licenses import (
    LicenseNotFound,
    license_decrement_uses,
    license_disable,
    license_enable,
    license_issue,
    license_verify,
    uses_write,
)
from orders.models import License, Order
from orders.services import order_dispute_open, order_refund_record
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory
from tests.utils import free_port, race

RACERS = 8


@pytest.fixture
def product(store):
    return SellableProductFactory(store=store, price_cents=1900, generates_license_keys=True)


@pytest.fixture
def license(product):
    return license_issue(order=OrderFactory(product=product))


def verify(license, **kwargs):
    return license_verify(product_id=license.order.product_id, license_key=license.key, **kwargs)


def uses_in_database(license):
    """The uses of `license` the database holds once those Redis counted are written."""
    uses_write()
    license.refresh_from_db()
    return license.uses


@pytest.mark.django_db
class TestVerify:
    def test_the_first_verification_answers_one_use_and_each_counts(self, license):
        first = verify(license)
        second = verify(license)

        assert (first.uses, second.uses) == (1, 2)
        assert first.order == license.order
        assert uses_in_database(license) == 2

    def test_without_incrementing_it_answers_the_uses_so_far(self, license):
        verify(license)

        checked = verify(license, increment_uses_count=False)

        assert checked.uses == 1
        assert uses_in_database(license) == 1

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

    def test_without_redis_the_database_counts_under_the_keys_lock(self, file_cache, license):
        with CaptureQueriesContext(connection) as queries:
            assert verify(license).uses == 1

        # Its savepoints aside (a transaction's begin and commit, outside the tests').
        statements = [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]]
        assert [statement.split()[0] for statement in statements] == ["SELECT", "UPDATE"]
        if connection.vendor == "postgresql":
            # The key's row alone: a refund locks the order, then the key.
            assert statements[0].endswith('FOR UPDATE OF "orders_license"')
        license.refresh_from_db()
        assert license.uses == 1


@pytest.mark.django_db(transaction=True)
def test_verifications_at_once_each_count_and_answer_their_own_use(license):
    answered = race(*[lambda: verify(license).uses] * RACERS)

    assert sorted(answered) == list(range(1, RACERS + 1))
    assert uses_in_database(license) == RACERS


@pytest.mark.django_db
class TestCountingInRedis:
    """With Redis, a verification of a key read once asks nothing of the database: what
    it answers is kept in the cache, and its uses are counted in Redis, then written."""

    @pytest.fixture(autouse=True)
    def _redis(self, redis_cache):
        pass

    def test_a_key_read_once_is_verified_without_a_query(self, license, django_assert_num_queries):
        assert verify(license).uses == 1

        with django_assert_num_queries(0):
            again = verify(license)

        assert again.uses == 2
        assert again.order == license.order
        assert again.order.amount_cents == 1900

    def test_the_uses_reach_the_database_once_written(self, license):
        for _ in range(3):
            verify(license)
        license.refresh_from_db()
        assert license.uses == 0

        assert uses_write() == 1
        license.refresh_from_db()
        assert license.uses == 3
        assert uses_write() == 0  # nothing new to write
        assert verify(license).uses == 4
        assert uses_in_database(license) == 4

    def test_the_first_use_schedules_the_write(self, license, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            verify(license)
        license.refresh_from_db()
        assert license.uses == 1  # the immediate backend ran the write at the commit

    def test_without_incrementing_it_answers_the_uses_redis_counted(
        self, license, django_assert_num_queries
    ):
        verify(license)
        verify(license)

        assert verify(license, increment_uses_count=False).uses == 2

    def test_a_sellers_change_counts_from_every_use_and_shows_at_once(self, license, store):
        ids = {"product_id": license.order.product_id, "license_key": license.key}
        for _ in range(3):
            verify(license)

        assert license_decrement_uses(store=store, **ids).uses == 2
        assert verify(license).uses == 3
        license_disable(store=store, **ids)
        with pytest.raises(LicenseNotFound):
            verify(license)
        assert uses_in_database(license) == 3

    def test_a_full_refund_ends_the_key_at_once_and_its_uses_are_kept(self, license):
        verify(license)
        verify(license)

        order_refund_record(order_id=license.order_id, refunded_cents=1900)

        with pytest.raises(LicenseNotFound):
            verify(license)
        assert uses_in_database(license) == 2

    def test_a_dispute_shows_in_the_next_answer(self, license):
        Order.objects.filter(pk=license.order_id).update(payment_intent_id="pi_license")
        verify(license)

        order_dispute_open(payment_intent="pi_license")

        assert verify(license).order.dispute_status == Order.Dispute.OPEN

    def test_what_an_older_release_kept_is_read_again(
        self, license, monkeypatch, django_assert_max_num_queries
    ):
        verify(license)
        # A release whose Order or License has other fields keeps its own.
        monkeypatch.setattr(licenses, "LAYOUT", "0another")

        with django_assert_max_num_queries(3) as queries:
            assert verify(license).uses == 2
        assert queries  # read again from the database
        assert verify(license).uses == 3

    def test_a_key_of_a_product_deleted_since_is_not_found(self, license):
        verify(license)

        license.order.product.delete()

        with pytest.raises(LicenseNotFound):
            verify(license)

    def test_a_redis_that_lost_its_counts_starts_again_from_the_database(self, license):
        verify(license)
        uses_write()
        verify(license)  # counted in Redis only

        cache.clear()  # Redis flushed, say

        assert verify(license).uses == 2  # the use Redis lost is lost
        assert uses_in_database(license) == 2

    def test_with_redis_gone_the_database_counts(self, license, settings):
        verify(license)
        uses_write()
        settings.CACHES = {
            "default": {
                **settings.CACHES["default"],
                "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            }
        }

        assert verify(license).uses == 2
        license.refresh_from_db()
        assert license.uses == 2


@pytest.mark.django_db(transaction=True)
def test_with_redis_verifications_at_once_each_count_and_answer_their_own_use(redis_cache, license):
    verify(license)  # kept: the others are counted by Redis alone

    answered = race(*[lambda: verify(license).uses] * RACERS)

    assert sorted(answered) == list(range(2, RACERS + 2))
    assert uses_in_database(license) == RACERS + 1


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

        assert uses_in_database(license) == 1
        assert license.disabled_at is None

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
