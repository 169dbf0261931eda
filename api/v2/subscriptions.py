"""A store's resource subscriptions (webhooks): each `resource_name` event is POSTed to
`post_url`, signed with the subscription's secret, shown once, when it is made."""

from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema

from api import services
from api.models import ResourceName, ResourceSubscription
from api.v2.base import TOKEN_ERRORS, errors, store_of, validation_error
from yumroad_site.forms import MAX_ID

router = Router(tags=["Resource subscriptions"])
Resource = Literal[tuple(ResourceName.values)]


class SubscriptionOut(Schema):
    id: int
    resource_name: str
    post_url: str
    created_at: str


class SubscriptionMade(SubscriptionOut):
    secret: str = Field(description="Shown this once: the key of the body's signature.")


class SubscriptionsAnswer(Schema):
    success: bool
    resource_subscriptions: list[SubscriptionOut]


class SubscriptionMadeAnswer(Schema):
    success: bool
    resource_subscription: SubscriptionMade


class SubscriptionDeleted(Schema):
    success: bool
    message: str


class SubscriptionsFilter(Schema):
    resource_name: Resource = None


class SubscriptionIn(Schema):
    resource_name: Resource
    post_url: str = Field(..., max_length=2000)


def subscription_json(subscription):
    return {
        "id": subscription.pk,
        "resource_name": subscription.resource_name,
        "post_url": subscription.post_url,
        "created_at": subscription.created_at.isoformat(),
    }


@router.get("/resource_subscriptions", response={200: SubscriptionsAnswer, **errors(*TOKEN_ERRORS)})
def subscriptions_list(request, filters: Query[SubscriptionsFilter]):
    subscriptions = ResourceSubscription.objects.for_store(store_of(request))
    if filters.resource_name:
        subscriptions = subscriptions.filter(resource_name=filters.resource_name)
    return {
        "success": True,
        "resource_subscriptions": [subscription_json(s) for s in subscriptions],
    }


@router.put(
    "/resource_subscriptions", response={200: SubscriptionMadeAnswer, **errors(*TOKEN_ERRORS)}
)
def subscription_create(request, payload: SubscriptionIn):
    """post_url must be https. The answer holds the secret: keep it, it is not shown
    again."""
    try:
        subscription = services.resource_subscription_create(
            store=store_of(request),
            resource_name=payload.resource_name,
            post_url=payload.post_url,
        )
    except ValidationError as error:
        raise validation_error(error) from None
    made = {**subscription_json(subscription), "secret": subscription.secret}
    return {"success": True, "resource_subscription": made}


@router.delete(
    "/resource_subscriptions/{subscription_id}",
    response={200: SubscriptionDeleted, **errors(*TOKEN_ERRORS)},
)
def subscription_delete(request, subscription_id: int = Path(..., ge=1, le=MAX_ID)):
    subscription = ResourceSubscription.objects.filter(
        store=store_of(request), pk=subscription_id
    ).first()
    if subscription is None:
        raise Http404("No resource subscription of your store has that id.")
    services.resource_subscription_delete(subscription=subscription)
    return {"success": True, "message": "Unsubscribed."}
