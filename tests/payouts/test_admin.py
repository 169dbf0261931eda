"""Staff read stores' money in the admin, and change none of it there."""

import pytest
from django.urls import reverse

from payouts.models import LedgerEntry, Payout, PayoutAccount
from tests.factories import StoreFactory
from tests.payouts.steps import days_pass, sale


@pytest.fixture
def money(db):
    store = StoreFactory(name="Knit Works")
    PayoutAccount.objects.create(
        store=store, stripe_account_id="acct_knits", details_submitted=True
    )
    order = sale(store, 2000)
    days_pass(7)
    payout = Payout.objects.create(store=store, amount_cents=1750, currency="usd")
    return store, order, payout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("payoutaccount", ["acct_knits", "Stripe needs more details"]),
        ("payout", ["$17.50", "Pending"]),
        ("ledgerentry", ["$17.50", "Sale"]),
    ],
)
def test_staff_see_accounts_payouts_and_the_ledger(admin_client, money, model, shown):
    response = admin_client.get(reverse(f"admin:payouts_{model}_changelist"))

    assert response.status_code == 200
    for text in shown:
        assert text in response.content.decode()
    assert admin_client.get(reverse(f"admin:payouts_{model}_add")).status_code == 403


@pytest.mark.django_db
def test_staff_cannot_change_or_delete_an_entry(admin_client, money):
    entry = LedgerEntry.objects.get()

    admin_client.post(
        reverse("admin:payouts_ledgerentry_change", args=[entry.pk]), {"amount_cents": "1"}
    )
    response = admin_client.post(
        reverse("admin:payouts_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.amount_cents == 1750
