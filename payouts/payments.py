"""What payouts say to Stripe Connect: Express accounts, their onboarding and login
links, and transfers. It uses orders.payments' client (its timeouts and retries),
permits and mode: without a Stripe key and with DEBUG on, a local test account stands
in for Stripe's onboarding and dashboard (payouts.views.TestOnboardingView and
TestDashboardView) and transfers are
recorded as sent, so that development shows the whole flow; no money moves."""

import logging
import re

import stripe
from django.urls import reverse

from orders.payments import TEST, checkout_mode, stripe_client

logger = logging.getLogger(__name__)

TEST_ACCOUNT_PREFIX = "acct_test_"
# A connected account's id, as Stripe makes them (and the test account's).
ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9_]{1,250}")


def mode():
    """STRIPE with a secret key; TEST, the local stand-in, without one in DEBUG; else None."""
    return checkout_mode()


class ConnectError(Exception):
    """Stripe refused, failed or could not be reached: nothing was learnt."""


class TransferRefused(Exception):
    """Stripe answered the transfer with an error: it was not made, and won't be with
    this key."""


class TransferUnanswered(Exception):
    """No answer came (a timeout, a lost connection, a 5xx, a rate limit): the transfer
    may or may not have been made. Retry it with the same idempotency key."""


class TransferMismatch(Exception):
    """A transfer of the payout's group is at Stripe, but not of its amount, account or
    payout: nothing is sure. Leave the payout pending for a person to look at."""


def _connect_call(what, call):
    try:
        return call()
    except (stripe.StripeError, KeyError, TypeError, AttributeError) as error:
        logger.warning("Stripe did not %s: %r", what, error)
        raise ConnectError(str(error)) from error


def account_create(*, store, email):
    """A new Express account for `store`: its id. The idempotency key is the store's
    row (its id and the microsecond it was made, which another database on the same
    Stripe key, or a restored one, does not give another store), so two clicks at once
    (or a retry after a lost answer) get the same account.
    Call it within stripe_permit(). Raises ConnectError."""
    if mode() == TEST:
        return f"{TEST_ACCOUNT_PREFIX}{store.pk}"
    params = {
        "type": "express",
        "email": email,
        "metadata": {"store_id": str(store.pk)},
        "capabilities": {"transfers": {"requested": True}},
    }
    options = {"idempotency_key": account_idempotency_key(store)}
    account = _connect_call(
        "create an account", lambda: stripe_client().v1.accounts.create(params, options)
    )
    return account["id"]


def account_idempotency_key(store):
    made = store.created_at
    return f"yumroad-account-store-{store.pk}-{made:%Y%m%d%H%M%S%f}"


def account_link_create(*, account_id, site_url):
    """The address of Stripe's onboarding for `account_id`, which comes back to
    `site_url`'s return page (or its refresh page, when the link expired). Call it
    within stripe_permit(). Raises ConnectError."""
    if mode() == TEST:
        return reverse("payouts:test_onboarding")
    params = {
        "account": account_id,
        "type": "account_onboarding",
        "return_url": site_url + reverse("payouts:connect_return"),
        "refresh_url": site_url + reverse("payouts:connect_refresh"),
    }
    link = _connect_call(
        "make an account link", lambda: stripe_client().v1.account_links.create(params)
    )
    return link["url"]


def account_retrieve(account_id):
    """Account `account_id` as Stripe has it now: a dict shaped as account.updated's
    object. Call it within stripe_permit(). Raises ConnectError."""
    return _connect_call(
        "say how an account is",
        lambda: stripe_client().v1.accounts.retrieve(account_id).to_dict(),
    )


def login_link_create(account_id):
    """A one-time address of the account's Express dashboard. Call it within
    stripe_permit(). Raises ConnectError."""
    if mode() == TEST:
        return reverse("payouts:test_dashboard")
    link = _connect_call(
        "make a login link",
        lambda: stripe_client().v1.accounts.login_links.create(account_id),
    )
    return link["url"]


def transfer_create(*, payout, account_id):
    """Send `payout`'s amount to `account_id`, with an idempotency key and a transfer
    group made from the payout's token: sent again, the same transfer answers. Returns
    the transfer's id. Raises TransferRefused or TransferUnanswered."""
    if mode() == TEST:
        return f"tr_test_{payout.pk}"
    params = {
        "amount": payout.amount_cents,
        "currency": payout.currency,
        "destination": account_id,
        "transfer_group": payout.transfer_group,
        "metadata": {"store_id": str(payout.store_id), "payout_id": str(payout.pk)},
    }
    options = {"idempotency_key": payout.idempotency_key}
    try:
        transfer = stripe_client().v1.transfers.create(params, options)
        return transfer["id"]
    except stripe.StripeError as error:
        status = error.http_status
        # 4xx but a rate limit (429) or a request in progress (409): a definite no.
        if status is not None and 400 <= status < 500 and status not in (409, 429):
            logger.warning("Stripe refused payout %s: %r", payout.pk, error)
            raise TransferRefused(error.user_message or str(error)) from error
        logger.warning("Stripe did not answer payout %s: %r", payout.pk, error)
        raise TransferUnanswered(str(error)) from error
    except (KeyError, TypeError) as error:
        raise TransferUnanswered(str(error)) from error


def transfer_find(*, payout, account_id):
    """The id of the transfer made for `payout` already, or "" when there is none: a
    retry looks first, since Stripe forgets idempotency keys after 24 hours (a daily
    run retries about then). Raises TransferUnanswered, or TransferMismatch when the
    payout's group holds a transfer of another amount, account or payout."""
    if mode() == TEST:
        return ""
    try:
        found = (
            stripe_client()
            .v1.transfers.list({"transfer_group": payout.transfer_group, "limit": 1})
            .to_dict()
        )
        if not found["data"]:
            return ""
        transfer = found["data"][0]
        made_for = (
            transfer["amount"],
            transfer["destination"],
            transfer["metadata"].get("payout_id"),
        )
        transfer_id = transfer["id"]
    except (stripe.StripeError, KeyError, TypeError, IndexError, AttributeError) as error:
        logger.warning("Stripe did not list payout %s's transfers: %r", payout.pk, error)
        raise TransferUnanswered(str(error)) from error
    if made_for != (payout.amount_cents, account_id, str(payout.pk)):
        logger.error(
            "Transfer %s of payout %s's group is of %r, not of (%s, %s, %s); left pending",
            transfer_id,
            payout.pk,
            made_for,
            payout.amount_cents,
            account_id,
            payout.pk,
        )
        raise TransferMismatch(transfer_id)
    return transfer_id
