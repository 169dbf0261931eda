"""The settings page's webhooks: a store owner subscribes a URL to an event (the secret
shown once), sees and deletes their webhooks and reads the delivery log; bad input is a
400 that says why; nobody else's webhook can be deleted; no private address can be
subscribed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from api.models import ResourceName, ResourceSubscription, WebhookAttempt, WebhookDelivery
from api.services import resource_subscription_create
from api.webhooks import SUBSCRIPTIONS_PER_STORE
from tests.factories import StoreFactory

CREATE_URL = reverse("api:subscription_create")
SETTINGS_URL = reverse("accounts:settings")
HOOK = "https://93.184.215.14/yumroad"  # a public address: no DNS needed


def subscribe(store, url=HOOK, resource_name=ResourceName.SALE):
    return resource_subscription_create(store=store, resource_name=resource_name, post_url=url)


def post(client, url=HOOK, resource_name="sale"):
    return client.post(CREATE_URL, {"resource_name": resource_name, "post_url": url})


@pytest.mark.django_db
class TestTheSection:
    def test_a_store_owner_subscribes_and_sees_the_secret_this_once(self, creator_client, store):
        response = post(creator_client)

        assert response.status_code == 200
        subscription = ResourceSubscription.objects.get()
        assert (subscription.store, subscription.resource_name, subscription.post_url) == (
            store,
            "sale",
            HOOK,
        )
        page = response.content.decode()
        assert subscription.secret in page
        assert "shown only this once" in page
        assert "Set-Cookie" not in str(response.cookies.get("messages", ""))
        assert response["Cache-Control"] == "private, no-store"

        again = creator_client.get(SETTINGS_URL).content.decode()
        assert subscription.secret not in again
        assert HOOK in again

    def test_a_member_without_a_store_is_told_to_open_one(self, auth_client):
        page = auth_client.get(SETTINGS_URL).content.decode()

        assert "Webhooks" in page
        assert "open a store</a> to use them" in page
        assert 'action="/accounts/settings/webhooks/"' not in page

    def test_a_member_without_a_store_cant_subscribe(self, auth_client):
        response = post(auth_client)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("stores:new"))
        assert not ResourceSubscription.objects.exists()

    def test_a_visitor_is_sent_to_log_in(self, client):
        response = post(client)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_the_form_address_only_takes_posts(self, creator_client):
        assert creator_client.get(CREATE_URL).status_code == 302

    def test_the_log_shows_each_try_with_its_result_and_time(self, creator_client, store):
        subscription = subscribe(store)
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event_id="sale-1", resource_name="sale", body="{}"
        )
        now = timezone.now()
        WebhookAttempt.objects.create(
            delivery=delivery, number=1, tried_at=now, status_code=None,
            error="Connection refused", duration_ms=3,
        )  # fmt: skip
        WebhookAttempt.objects.create(
            delivery=delivery, number=2, tried_at=now, status_code=500, duration_ms=41
        )
        WebhookAttempt.objects.create(
            delivery=delivery, number=3, tried_at=now, status_code=200, duration_ms=27
        )

        page = creator_client.get(SETTINGS_URL).content.decode()

        assert "Failed: Connection refused" in page
        assert "Failed: 500" in page
        assert '<span class="text-success">200</span>' in page
        assert "41 ms" in page
        assert "try 3" in page

    def test_another_stores_log_is_not_shown(self, creator_client):
        subscription = subscribe(StoreFactory(), url="https://93.184.215.14/theirs")
        delivery = WebhookDelivery.objects.create(
            subscription=subscription, event_id="sale-1", resource_name="sale", body="{}"
        )
        WebhookAttempt.objects.create(
            delivery=delivery, number=1, tried_at=timezone.now(), status_code=200, duration_ms=1
        )

        page = creator_client.get(SETTINGS_URL).content.decode()

        assert "/theirs" not in page
        assert "Nothing sent yet." in page


@pytest.mark.django_db
class TestRefusedInput:
    @pytest.mark.parametrize(
        ("url", "resource_name", "message"),
        [
            ("http://93.184.215.14/hook", "sale", "The URL must start with https://."),
            (
                "https://93.184.215.14/" + "a" * 500,
                "sale",
                "Ensure this value has at most 500 characters",
            ),
            (HOOK, "purchase", "Select a valid choice. purchase is not one of"),
            ("", "sale", "This field is required."),
            ("not a url", "sale", "The URL must start with https://."),
            ("https://", "sale", "Enter a valid URL"),
            ("https://93.184.215.14:0/hook", "sale", "Enter a valid URL"),
            ("https://user:pw@93.184.215.14/", "sale", "must not hold a user name or password"),
            ("https://127.0.0.1/", "sale", "127.0.0.1 is a loopback address"),
            ("https://localhost/", "sale", "localhost resolves to 127.0.0.1, a loopback address"),
            ("https://10.1.2.3/", "refund", "10.1.2.3 is a private address"),
            ("https://[::1]/", "dispute", "::1 is a loopback address"),
        ],
    )
    def test_bad_input_is_a_400_that_says_why(self, creator_client, url, resource_name, message):
        response = post(creator_client, url, resource_name)

        assert response.status_code == 400
        assert message in response.content.decode()
        assert not ResourceSubscription.objects.exists()

    def test_a_nul_character_is_a_400(self, creator_client):
        response = post(creator_client, "https://93.184.215.14/\x00hook")

        assert response.status_code == 400
        assert "We couldn't read that request" in response.content.decode()
        assert not ResourceSubscription.objects.exists()

    def test_the_same_url_twice_for_one_event_is_refused(self, creator_client, store):
        subscribe(store)

        response = post(creator_client)

        assert response.status_code == 400
        assert "This URL is subscribed to that event already." in response.content.decode()
        assert ResourceSubscription.objects.count() == 1

    def test_a_store_holds_at_most_its_limit_of_webhooks(self, creator_client, store):
        for number in range(SUBSCRIPTIONS_PER_STORE):
            subscribe(store, f"{HOOK}/{number}")

        response = post(creator_client)

        assert response.status_code == 400
        assert f"at most {SUBSCRIPTIONS_PER_STORE} webhooks" in response.content.decode()
        assert ResourceSubscription.objects.count() == SUBSCRIPTIONS_PER_STORE


@pytest.mark.django_db
class TestDelete:
    def test_the_owner_deletes_a_webhook(self, creator_client, store):
        subscription = subscribe(store)

        response = creator_client.post(
            reverse("api:subscription_delete", args=[subscription.pk]), follow=True
        )

        assert response.redirect_chain == [(SETTINGS_URL, 302)]
        assert f"The webhook to {HOOK} is deleted." in response.content.decode()
        assert not ResourceSubscription.objects.exists()

    def test_another_stores_webhook_is_a_404(self, creator_client):
        theirs = subscribe(StoreFactory())

        response = creator_client.post(reverse("api:subscription_delete", args=[theirs.pk]))

        assert response.status_code == 404
        assert ResourceSubscription.objects.filter(pk=theirs.pk).exists()

    def test_it_takes_no_get(self, creator_client, store):
        subscription = subscribe(store)

        response = creator_client.get(reverse("api:subscription_delete", args=[subscription.pk]))

        assert response.status_code == 405
        assert ResourceSubscription.objects.exists()


@pytest.mark.django_db
class TestTheAddressRule:
    """resource_subscription_create, as the API calls it: errors by field."""

    @pytest.mark.parametrize(
        "url",
        [
            "https://127.0.0.1/",
            "https://127.1.2.3:8443/",
            "https://localhost/",
            "https://2130706433/",  # 127.0.0.1 as a number
            "https://0.0.0.0/",
            "https://10.0.0.1/",
            "https://172.16.0.1/",
            "https://192.168.1.1/",
            "https://100.64.0.1/",  # carrier-grade NAT
            "https://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
            "https://224.0.0.1/",  # multicast
            "https://240.0.0.1/",  # reserved
            "https://255.255.255.255/",
            "https://[::]/",
            "https://[::1]/",
            "https://[fe80::1]/",
            "https://[fc00::1]/",
            "https://[ff02::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
            "https://[2002:c0a8:101::]/",  # 6to4 of 192.168.1.1
        ],
    )
    def test_private_loopback_link_local_and_reserved_addresses_are_refused(self, store, url):
        with pytest.raises(ValidationError) as refused:
            subscribe(store, url)

        messages = refused.value.message_dict["post_url"]
        assert len(messages) == 1
        assert messages[0].startswith(("The URL must point to a public address", "Enter a valid"))
        assert not ResourceSubscription.objects.exists()

    @pytest.mark.parametrize(
        "url",
        [
            HOOK,
            "https://[2606:4700:4700::1111]/hooks",
            "https://[::ffff:93.184.215.14]/",
            "https://hooks.example.invalid/yumroad",  # resolves to nothing yet: checked at each try
        ],
    )
    def test_public_addresses_are_taken(self, store, url):
        subscription = subscribe(store, url)

        assert subscription.post_url == url
        assert len(subscription.secret) == 64

    def test_allowing_private_addresses_lifts_both_rules(self, store, settings):
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True

        subscription = subscribe(store, "http://localhost:8000/hooks")

        assert subscription.post_url == "http://localhost:8000/hooks"

    @pytest.mark.parametrize(
        "url",
        [
            None,
            42,
            "   ",
            "https://exa\tmple.com/",
            "https://a\x00b/",
            "https://[::1",
            "https://example.com:99999/",
            "https://" + "a" * 70 + ".example.com/",
            "https://xn--/",
        ],
    )
    def test_what_is_not_a_url_is_refused(self, store, url):
        with pytest.raises(ValidationError) as refused:
            subscribe(store, url)

        assert list(refused.value.message_dict) == ["post_url"]

    def test_an_unknown_event_is_refused_by_its_field(self, store):
        with pytest.raises(ValidationError) as refused:
            resource_subscription_create(store=store, resource_name="ping", post_url=HOOK)

        assert refused.value.message_dict == {
            "resource_name": ["Choose an event: sale, refund, dispute."]
        }
