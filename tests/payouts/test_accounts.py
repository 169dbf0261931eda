"""A store's payouts account: one Stripe Express account per store, however many
clicks; Stripe's onboarding and its return and refresh pages; account.updated events;
the state in words; the Stripe dashboard's login link; only for the store's owner."""

import logging
from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from orders.payments import stripe_permit
from payouts.models import PayoutAccount
from tests.concurrency.test_races import stays_on_redirects
from tests.factories import PASSWORD, StoreFactory
from tests.live import Browser
from tests.orders.fake_stripe import stripe_event, stripe_signature
from tests.payouts.fake_connect import CONNECT_ORIGIN
from tests.site.test_pages import settings_with
from tests.utils import messages_of, race

PAYOUTS_URL = reverse("payouts:index")
CONNECT_URL = reverse("payouts:connect")
RETURN_URL = reverse("payouts:connect_return")
REFRESH_URL = reverse("payouts:connect_refresh")
DASHBOARD_URL = reverse("payouts:dashboard")
WEBHOOK_URL = reverse("orders:stripe_webhook")


def state_shown(client):
    body = client.get(PAYOUTS_URL).content.decode()
    return body.split("data-account-state>", 1)[1].split("<", 1)[0]


def post_event(client, data_object, event_id="evt_account_1", secret=None):
    payload = stripe_event("account.updated", data_object, event_id)
    signature = stripe_signature(payload, secret) if secret else stripe_signature(payload)
    return client.post(
        WEBHOOK_URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


@pytest.mark.django_db
class TestConnect:
    def test_set_up_payouts_makes_an_express_account_and_sends_to_its_onboarding(
        self, creator_client, store, connect_server
    ):
        assert state_shown(creator_client) == "Not set up"

        response = creator_client.post(CONNECT_URL)

        assert response.status_code == 303
        assert response["Location"].startswith(f"{CONNECT_ORIGIN}/setup/e/acct_fake1/")
        account = PayoutAccount.objects.get()
        assert (account.store, account.stripe_account_id) == (store, "acct_fake1")
        [sent] = connect_server.sent("/v1/accounts")
        assert sent == {
            "type": "express",
            "email": store.owner.email,
            "metadata[store_id]": str(store.pk),
            "capabilities[transfers][requested]": "true",
        }
        [link] = connect_server.sent("/v1/account_links")
        assert link == {
            "account": "acct_fake1",
            "type": "account_onboarding",
            "return_url": f"http://testserver{RETURN_URL}",
            "refresh_url": f"http://testserver{REFRESH_URL}",
        }
        made = f"{store.created_at:%Y%m%d%H%M%S%f}"
        assert connect_server.keys("/v1/accounts") == [f"yumroad-account-store-{store.pk}-{made}"]
        assert state_shown(creator_client) == "Not set up"

    def test_a_second_click_reuses_the_account(self, creator_client, connect_server):
        first = creator_client.post(CONNECT_URL)
        second = creator_client.post(CONNECT_URL)

        assert (first.status_code, second.status_code) == (303, 303)
        assert first["Location"] != second["Location"]  # a new link, each its own
        assert PayoutAccount.objects.count() == 1
        assert len(connect_server.sent("/v1/accounts")) == 1
        assert len(connect_server.sent("/v1/account_links")) == 2

    def test_stripe_down_says_so_and_makes_no_account(self, creator_client, connect_server):
        connect_server.server.clear_all_handlers()

        response = creator_client.post(CONNECT_URL, follow=True)

        assert response.redirect_chain == [(PAYOUTS_URL, 302)]
        assert messages_of(response) == ["We couldn't reach Stripe. Please try again."]
        assert not PayoutAccount.objects.exists()

    def test_all_of_the_process_s_stripe_permits_taken_answers_503(
        self, creator_client, connect_server, settings
    ):
        settings.STRIPE_MAX_CONCURRENT = 1

        with stripe_permit():
            response = creator_client.post(CONNECT_URL)

        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "Stripe is busy, try again in a moment." in response.content.decode()
        assert not PayoutAccount.objects.exists()

    def test_an_account_stripe_answers_in_another_shape_changes_nothing(
        self, creator_client, connect_server
    ):
        creator_client.post(CONNECT_URL)
        connect_server.accounts["acct_fake1"]["payouts_enabled"] = "yes"

        response = creator_client.get(RETURN_URL, follow=True)

        assert messages_of(response) == ["We couldn't reach Stripe. Please try again."]
        assert not PayoutAccount.objects.get().payouts_enabled

    def test_connect_takes_only_posts(self, creator_client, connect_server):
        assert creator_client.get(CONNECT_URL).status_code == 405
        assert creator_client.get(DASHBOARD_URL).status_code == 405
        assert not PayoutAccount.objects.exists()

    def test_the_return_page_keeps_the_flags_stripe_has(
        self, creator_client, store, connect_server
    ):
        creator_client.post(CONNECT_URL)
        connect_server.account_set("acct_fake1", details_submitted=True)

        response = creator_client.get(RETURN_URL, follow=True)

        assert response.redirect_chain == [(PAYOUTS_URL, 302)]
        assert messages_of(response) == ["Your payouts account is set up."]
        assert state_shown(creator_client) == "Stripe needs more details"
        connect_server.account_set("acct_fake1", payouts_enabled=True, charges_enabled=True)
        creator_client.get(RETURN_URL)
        account = PayoutAccount.objects.get()
        assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
            True,
            True,
            True,
        )
        assert state_shown(creator_client) == "Payouts are on"

    def test_the_refresh_page_makes_a_new_link(self, creator_client, connect_server):
        creator_client.post(CONNECT_URL)

        response = creator_client.get(REFRESH_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(f"{CONNECT_ORIGIN}/setup/e/acct_fake1/")
        assert len(connect_server.sent("/v1/account_links")) == 2

    def test_return_and_refresh_without_an_account_are_not_found(
        self, creator_client, connect_server
    ):
        assert creator_client.get(RETURN_URL).status_code == 404
        assert creator_client.get(REFRESH_URL).status_code == 404
        assert creator_client.post(DASHBOARD_URL).status_code == 404
        assert connect_server.requests == []

    def test_the_stripe_dashboard_is_offered_once_details_are_submitted(
        self, creator_client, connect_server
    ):
        creator_client.post(CONNECT_URL)
        assert "Open Stripe dashboard" not in creator_client.get(PAYOUTS_URL).content.decode()
        assert creator_client.post(DASHBOARD_URL).status_code == 404

        assert "Set up payouts" in creator_client.get(PAYOUTS_URL).content.decode()

        connect_server.account_set("acct_fake1", details_submitted=True)
        creator_client.get(RETURN_URL)
        body = creator_client.get(PAYOUTS_URL).content.decode()
        assert "Open Stripe dashboard" in body
        assert "Stripe needs more details" in body
        assert "Finish setting up" in body
        assert "Set up payouts" not in body
        response = creator_client.post(DASHBOARD_URL)

        assert response.status_code == 303
        assert response["Location"].startswith(f"{CONNECT_ORIGIN}/express/acct_fake1/")


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_make_one_account(live_server, connect_server):
    store = StoreFactory()
    browsers = [Browser(live_server.url) for _ in range(2)]
    for browser in browsers:
        browser.log_in(store.owner.email, PASSWORD)
        browser.get(PAYOUTS_URL)
        stays_on_redirects(browser)

    results = race(*[partial(browser.post, CONNECT_URL, {}) for browser in browsers])

    # Both are sent on to Stripe's onboarding of the one account.
    assert [status for status, _, _ in results] == [303, 303]
    assert PayoutAccount.objects.get().store == store
    assert len(connect_server.accounts) == 1
    assert len(set(connect_server.keys("/v1/accounts"))) == 1


@pytest.mark.django_db
class TestAccountUpdated:
    def test_stripe_s_event_updates_the_account_s_flags(self, client, connect_server):
        account = PayoutAccount.objects.create(store=StoreFactory(), stripe_account_id="acct_known")
        data = {
            "id": "acct_known",
            "object": "account",
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
        }

        response = post_event(client, data)

        assert (response.status_code, response.json()) == (200, {"status": "processed"})
        account.refresh_from_db()
        assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
            True,
            True,
            True,
        )
        client.force_login(account.store.owner)
        assert state_shown(client) == "Payouts are on"

    def test_an_event_signed_with_the_connect_secret_is_taken(
        self, client, connect_server, settings
    ):
        settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
        account = PayoutAccount.objects.create(store=StoreFactory(), stripe_account_id="acct_c")
        data = {
            "id": "acct_c",
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": True,
        }

        assert post_event(client, data, secret="whsec_connect").status_code == 200
        assert post_event(client, data, "evt_forged", secret="whsec_other").status_code == 400

        account.refresh_from_db()
        assert account.details_submitted

    def test_an_unknown_account_answers_200_is_logged_and_changes_nothing(
        self, client, connect_server, caplog
    ):
        account = PayoutAccount.objects.create(store=StoreFactory(), stripe_account_id="acct_known")
        data = {
            "id": "acct_someone_else",
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
        }

        with caplog.at_level(logging.WARNING, logger="payouts.services"):
            response = post_event(client, data)

        assert response.status_code == 200
        assert "acct_someone_else, which no store has" in caplog.text
        account.refresh_from_db()
        assert not account.payouts_enabled

    @pytest.mark.parametrize(
        "data",
        [
            {"id": 5, "charges_enabled": True, "payouts_enabled": True, "details_submitted": True},
            {"id": "acct_x\x00", "charges_enabled": True},
            {"id": "acct_known", "charges_enabled": "yes", "payouts_enabled": True},
            {"id": "acct_known"},
        ],
    )
    def test_a_malformed_event_is_refused_and_changes_nothing(self, client, connect_server, data):
        PayoutAccount.objects.create(store=StoreFactory(), stripe_account_id="acct_known")

        response = post_event(client, data)

        assert response.status_code == 400
        assert not PayoutAccount.objects.filter(payouts_enabled=True).exists()


@pytest.mark.django_db
class TestWhoMay:
    @pytest.mark.parametrize(
        ("method", "url"),
        [
            ("get", PAYOUTS_URL),
            ("post", CONNECT_URL),
            ("get", RETURN_URL),
            ("get", REFRESH_URL),
            ("post", DASHBOARD_URL),
        ],
    )
    def test_a_visitor_is_sent_to_log_in(self, client, connect_server, method, url):
        response = getattr(client, method)(url)

        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
        assert connect_server.requests == []

    def test_a_member_without_a_store_opens_one_first(self, auth_client, connect_server):
        response = auth_client.post(CONNECT_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("stores:new"))
        assert not PayoutAccount.objects.exists()
        assert connect_server.requests == []

    def test_an_owner_sees_and_sets_up_only_their_own_store(self, client, connect_server):
        mine, theirs = StoreFactory(), StoreFactory()
        PayoutAccount.objects.create(
            store=theirs, stripe_account_id="acct_theirs", details_submitted=True
        )
        client.force_login(mine.owner)

        assert state_shown(client) == "Not set up"
        assert client.post(DASHBOARD_URL).status_code == 404
        client.post(CONNECT_URL)

        assert PayoutAccount.objects.get(stripe_account_id="acct_fake1").store == mine
        assert PayoutAccount.objects.get(stripe_account_id="acct_theirs").store == theirs

    def test_the_navigation_and_the_dashboard_link_payouts_for_owners_only(
        self, creator_client, user
    ):
        link = f'href="{PAYOUTS_URL}"'
        dashboard = creator_client.get(reverse("dashboard")).content.decode()
        assert link in dashboard.split('id="main"', 1)[1]
        assert link in creator_client.get(reverse("products:index")).content.decode()
        buyer = Client()
        buyer.force_login(user)
        assert link not in buyer.get(reverse("products:index")).content.decode()


@pytest.mark.django_db
class TestTestAccount:
    """DEBUG on and no Stripe key: the local stand-in for Stripe's onboarding."""

    @pytest.fixture(autouse=True)
    def _test_mode(self, settings):
        settings.DEBUG = True
        settings.STRIPE_SECRET_KEY = ""

    def test_finish_setup_turns_the_account_on_and_no_money_moves(self, creator_client, store):
        response = creator_client.post(CONNECT_URL, follow=True)

        assert response.redirect_chain == [(reverse("payouts:test_onboarding"), 303)]
        assert "Test payouts account: no money moves." in response.content.decode()
        assert PayoutAccount.objects.get().stripe_account_id == f"acct_test_{store.pk}"

        response = creator_client.post(reverse("payouts:test_onboarding"), follow=True)

        assert response.redirect_chain == [(PAYOUTS_URL, 302)]
        assert messages_of(response) == ["Your payouts account is set up."]
        assert state_shown(creator_client) == "Payouts are on"
        dashboard = creator_client.post(DASHBOARD_URL, follow=True)
        assert dashboard.redirect_chain == [(reverse("payouts:test_dashboard"), 303)]
        body = dashboard.content.decode()
        assert "Test payouts dashboard: no money moves." in body
        assert "Payouts are on" in body
        assert "Finish setup" not in body

    def test_there_is_no_test_account_page_with_a_stripe_key_or_debug_off(
        self, creator_client, settings
    ):
        creator_client.post(CONNECT_URL)
        settings.STRIPE_SECRET_KEY = "sk_test_real"
        assert creator_client.get(reverse("payouts:test_onboarding")).status_code == 404
        settings.STRIPE_SECRET_KEY = ""
        settings.DEBUG = False
        assert creator_client.post(reverse("payouts:test_onboarding")).status_code == 404
        assert creator_client.get(reverse("payouts:test_dashboard")).status_code == 404
        assert not PayoutAccount.objects.filter(payouts_enabled=True).exists()


class TestConnectOrigin:
    """Set up payouts and the Stripe dashboard send the browser to Stripe's Connect
    pages: the CSP's form-action lets forms go there."""

    @pytest.mark.django_db
    def test_the_payouts_forms_may_go_to_stripe_connect(self, creator_client):
        response = creator_client.get(PAYOUTS_URL)

        directives = [part.strip() for part in response["Content-Security-Policy"].split(";")]
        assert "form-action 'self' https://checkout.stripe.com https://connect.stripe.com" in (
            directives
        )

    def test_a_fake_connect_on_another_origin_is_allowed_by_its_setting(self):
        returncode, output, stderr = settings_with(
            {"STRIPE_CONNECT_ORIGIN": "http://127.0.0.1:8766"},
            "settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']",
        )

        assert returncode == 0, stderr
        assert output == "[\"'self'\", 'https://checkout.stripe.com', 'http://127.0.0.1:8766']"

    @pytest.mark.parametrize("value", ["https://connect.stripe.com/setup", "connect.stripe.com"])
    def test_a_connect_origin_that_is_not_an_origin_stops_the_start(self, value):
        returncode, _, stderr = settings_with({"STRIPE_CONNECT_ORIGIN": value}, "settings.DEBUG")

        assert returncode != 0
        assert "STRIPE_CONNECT_ORIGIN must be an origin" in stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"action": "\x00"},
        {"store": "1" * 5000},
        {"store_id": "-1", "account": "acct_someone_else"},
        {"amount": "99999999999999999999"},
    ],
)
def test_hostile_forms_change_nothing_that_was_not_asked(creator_client, store, settings, data):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    other = StoreFactory()

    connect = creator_client.post(CONNECT_URL, data)
    finish = creator_client.post(reverse("payouts:test_onboarding"), data)

    # A NUL anywhere is refused (400) before any view; else the fields are ignored.
    assert connect.status_code in (303, 400)
    assert finish.status_code in (302, 400)
    assert not PayoutAccount.objects.filter(store=other).exists()
    if connect.status_code == 303:
        assert PayoutAccount.objects.get().store == store
