"""Staff read tokens, webhooks and their deliveries in the admin; never a secret."""

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ResourceSubscription, TokenScope, WebhookAttempt, WebhookDelivery
from api.services import access_token_create
from tests.factories import StoreFactory


@pytest.fixture
def hooks(db):
    store = StoreFactory(name="Knit Works")
    _, text = access_token_create(user=store.owner, name="Zapier", scope=TokenScope.READ)
    subscription = ResourceSubscription.objects.create(
        store=store, resource_name="sale", post_url="https://hooks.example/k", secret="s3cr3t" * 8
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event_id="sale-7", resource_name="sale", body="{}", tries=1
    )
    WebhookAttempt.objects.create(
        delivery=delivery, number=1, tried_at=timezone.now(), status_code=502, duration_ms=31
    )
    return text, subscription, delivery


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("accesstoken", ["Zapier", "Read"]),
        ("resourcesubscription", ["https://hooks.example/k", "Knit Works"]),
        ("webhookdelivery", ["sale-7", "Pending"]),
    ],
)
def test_staff_see_tokens_webhooks_and_deliveries(admin_client, hooks, model, shown):
    text, subscription, _ = hooks

    response = admin_client.get(reverse(f"admin:api_{model}_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    for part in shown:
        assert part in page
    assert text not in page
    assert subscription.secret not in page
    assert admin_client.get(reverse(f"admin:api_{model}_add")).status_code == 403


@pytest.mark.django_db
def test_a_delivery_shows_its_tries_and_staff_cannot_change_it(admin_client, hooks):
    _, subscription, delivery = hooks
    url = reverse("admin:api_webhookdelivery_change", args=[delivery.pk])

    page = admin_client.get(url).content.decode()
    admin_client.post(url, {"state": "delivered", "tries": "0"})

    assert "502" in page
    assert subscription.secret not in page
    delivery.refresh_from_db()
    assert (delivery.state, delivery.tries) == ("pending", 1)
