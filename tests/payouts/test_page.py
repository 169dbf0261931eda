"""/payouts/: the store's totals, its account's state and its payouts, newest first, 20
a page; any query answered without a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from payouts.models import LedgerEntry, Payout
from tests.factories import StoreFactory
from tests.site.test_arbitrary_input import assert_answered, bounded, query, row_counts

PAYOUTS_URL = reverse("payouts:index")
Status = Payout.Status


def payout_of(store, cents, status, days_ago):
    payout = Payout.objects.create(
        store=store,
        amount_cents=cents,
        currency="usd",
        status=status,
        created_at=timezone.now() - timedelta(days=days_ago),
    )
    LedgerEntry.objects.create(
        store=store,
        kind=LedgerEntry.Kind.PAYOUT,
        amount_cents=-cents,
        payout=payout,
    )
    return payout


@pytest.mark.django_db
class TestPayoutsPage:
    def test_a_new_store_has_nothing_yet(self, creator_client):
        body = creator_client.get(PAYOUTS_URL).content.decode()

        assert "No payouts yet." in body
        assert "No money is pending." in body
        assert "Set up payouts" in body
        assert "is pending for 7 days, then available" in body
        assert "at least $10.00 is paid out" in body

    def test_payouts_are_listed_newest_first_twenty_a_page(self, creator_client, store):
        for number in range(1, 22):
            # One pending at most: the newest, whose transfer is not answered yet.
            status = Status.PENDING if number == 21 else [Status.SENT, Status.FAILED][number % 2]
            payout_of(store, number * 100, status, days_ago=30 - number)
        payout_of(StoreFactory(), 99_900, Status.SENT, days_ago=0)  # another store's

        first = creator_client.get(PAYOUTS_URL).content.decode()
        second = creator_client.get(f"{PAYOUTS_URL}?page=2").content.decode()

        rows = first.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert rows.count("<tr>") == 20
        assert rows.index("$21.00") < rows.index("$20.00") < rows.index("$2.00")
        assert "$1.00" not in rows
        assert "<td>Sent</td>" in rows
        assert "<td>Failed</td>" in rows
        assert "<td>Pending</td>" in rows
        assert "$999.00" not in first
        assert "$1.00" in second.split("<tbody>", 1)[1]
        assert creator_client.get(f"{PAYOUTS_URL}?page=3").status_code == 404

    def test_a_negative_balance_shows_with_its_sign(self, creator_client, store):
        payout_of(store, 400, Status.SENT, days_ago=1)

        body = creator_client.get(PAYOUTS_URL).content.decode()

        assert 'data-total="available">-$4.00<' in body
        assert 'data-total="paid-out">$4.00<' in body

    @bounded
    @given(params=query("page") | st.just("page=-1"))
    def test_the_page_answers_any_query(self, creator_client, params):
        rows = row_counts()

        assert_answered(creator_client.get(f"{PAYOUTS_URL}?{params}"), rows)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 20])
def test_the_page_takes_as_many_queries_for_one_payout_as_for_twenty(
    creator_client, store, django_assert_num_queries, size
):
    for number in range(size):
        payout_of(store, 100 + number, Status.SENT, days_ago=number)

    # The session, the user with their store, the store again (the page's), the
    # balance's one aggregate, the account, the payouts' count and their page.
    with django_assert_num_queries(7):
        response = creator_client.get(PAYOUTS_URL)

    assert response.content.decode().count("<td>Sent</td>") == size
