"""Webhooks to sellers (Gumroad's resource subscriptions): a store subscribes a URL to
an event (`sale`, `refund`, `dispute`); on the event, a delivery per subscription is
recorded in the transaction that moved the order, and sent by a task once it commits
(api.tasks), signed with the subscription's secret, tried again after each delay of
settings.SELLER_WEBHOOK_RETRY_SECONDS until the seller's server answers 2xx, each try
logged (WebhookAttempt). Where a URL may point: api.outbound."""

import hashlib
import hmac
import json
import logging
import socket
import time
from datetime import timedelta
from functools import partial
from http.client import HTTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from api import outbound
from api.models import (
    DeliveryState,
    ResourceName,
    ResourceSubscription,
    WebhookAttempt,
    WebhookDelivery,
    subscription_secret_new,
)
from stores.models import Store

logger = logging.getLogger(__name__)

# Subscriptions a store may hold: enough for every event to a few tools.
SUBSCRIPTIONS_PER_STORE = 20
URL_MAX_LENGTH = ResourceSubscription._meta.get_field("post_url").max_length
USER_AGENT = "Yumroad-Webhooks/1.0 (+https://github.com/yumroad)"
SIGNATURE_HEADER = "Yumroad-Signature"
# A try claimed longer ago than this ended without a word (its worker died): another
# run may make the next one.
CLAIM_GRACE_SECONDS = 30


def post_url_refusal(url):
    """Why `url` can't be subscribed, or "": a URL of at most URL_MAX_LENGTH characters,
    https, without a user or password, whose host is no address webhooks may not reach
    (api.outbound) and resolves to none. A name that resolves to nothing yet is taken:
    each try checks again."""
    if not isinstance(url, str) or not url.strip():
        return "Enter the URL to send the events to."
    url = url.strip()
    if len(url) > URL_MAX_LENGTH:
        return f"The URL can be at most {URL_MAX_LENGTH} characters long."
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return "The URL must not contain control characters."
    schemes = outbound.allowed_schemes()
    try:
        if urlsplit(url).scheme.lower() not in schemes:
            return "The URL must start with https://."
        URLValidator(schemes=list(schemes))(url)
        parts = urlsplit(url)
        port = parts.port
        host = outbound.host_ascii(parts.hostname or "")
        if port == 0:  # no server listens there
            raise ValueError(port)
    except (ValidationError, ValueError, UnicodeError):
        return "Enter a valid URL, such as https://example.com/yumroad."
    if parts.username is not None or parts.password is not None:
        return "The URL must not hold a user name or password."
    try:
        addresses = outbound.addresses_of(host, port or 443)
    except (OSError, UnicodeError):
        return ""
    refusal = outbound.addresses_refusal(host, addresses)
    if refusal:
        return f"The URL must point to a public address: {refusal}."
    return ""


def resource_subscription_create(*, store, resource_name, post_url):
    """Subscribe `post_url` to the `resource_name` events of `store`, with a new secret
    (shown once, by the caller). Raises ValidationError, its messages by field
    (`resource_name`, `post_url`), for an unknown event, a URL post_url_refusal refuses,
    the same URL subscribed to that event already, or a store at
    SUBSCRIPTIONS_PER_STORE. The store's row is locked while it counts, so two
    subscriptions made at once can't pass the limit together."""
    errors = {}
    if resource_name not in ResourceName.values:
        errors["resource_name"] = [
            f"Choose an event: {', '.join(ResourceName.values)}.",
        ]
    refusal = post_url_refusal(post_url)
    if refusal:
        errors["post_url"] = [refusal]
    if errors:
        raise ValidationError(errors)
    post_url = post_url.strip()
    with transaction.atomic():
        Store.objects.select_for_update().filter(pk=store.pk).values_list("pk").first()
        subscriptions = ResourceSubscription.objects.filter(store=store)
        if subscriptions.filter(resource_name=resource_name, post_url=post_url).exists():
            raise ValidationError({"post_url": ["This URL is subscribed to that event already."]})
        if subscriptions.count() >= SUBSCRIPTIONS_PER_STORE:
            raise ValidationError(
                {
                    "post_url": [
                        f"A store can have at most {SUBSCRIPTIONS_PER_STORE} webhooks: "
                        "delete one first."
                    ]
                }
            )
        return ResourceSubscription.objects.create(
            store=store,
            resource_name=resource_name,
            post_url=post_url,
            secret=subscription_secret_new(),
        )


def resource_subscription_delete(*, subscription):
    """Delete `subscription`, with its deliveries and their log: a retry waiting for
    its time finds nothing and stops."""
    subscription.delete()


def event_body(*, event, event_id, order, created):
    """The JSON body of event `event` of `order`, as its deliveries send it."""
    license = order.issued_license
    return json.dumps(
        {
            "event": event,
            "id": event_id,
            "created": created.isoformat().replace("+00:00", "Z"),
            "sale_id": order.pk,
            "product_id": order.product_id,
            "product_name": order.product_name,
            "email": order.email,
            "price_cents": order.amount_cents,
            "currency": order.currency,
            "license_key": license.key if license else None,
            "refunded_cents": order.refunded_cents,
            "dispute_status": order.dispute_status or None,
        },
        separators=(",", ":"),
    )


def webhook_event_record(*, order, event, event_id):
    """Record a delivery of event `event` of `order` (named `event_id`, stable: the same
    event announced again makes none) to each subscription of the store, in the
    transaction that moved the order; each is sent once it commits.

    A plain insert of rows this function builds, in a savepoint: nothing a seller typed
    can make it fail, and if the database still does, the failure is logged and the
    payment or refund goes on without its webhooks."""
    if order.store_id is None:
        return
    now = timezone.now()
    try:
        with transaction.atomic():
            # Locked until the commit (PostgreSQL; SQLite runs one writer at a time): a
            # delete at the same moment waits, so the new rows' foreign keys, checked at
            # the commit, hold.
            subscription_ids = list(
                ResourceSubscription.objects.select_for_update(no_key=True)
                .filter(store_id=order.store_id, resource_name=event)
                .values_list("pk", flat=True)
            )
            if not subscription_ids:
                return
            body = event_body(event=event, event_id=event_id, order=order, created=now)
            WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(
                        subscription_id=subscription_id,
                        event_id=event_id,
                        resource_name=event,
                        body=body,
                        next_try_at=now,
                    )
                    for subscription_id in subscription_ids
                ],
                ignore_conflicts=True,
            )
            delivery_ids = list(
                WebhookDelivery.objects.filter(
                    event_id=event_id, subscription_id__in=subscription_ids, tries=0
                ).values_list("pk", flat=True)
            )
    except DatabaseError:
        logger.exception("The webhooks of %s could not be recorded; not sent", event_id)
        return
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(_send_enqueue, delivery_id), robust=True)


def _send_enqueue(delivery_id, run_after=None):
    from api.tasks import webhook_delivery_send

    task = webhook_delivery_send
    if run_after is not None:
        if not task.get_backend().supports_defer:
            # The immediate backend can't wait: `manage.py webhooks_send_due` sends it.
            logger.info("Delivery %s waits for webhooks_send_due (%s)", delivery_id, run_after)
            return
        task = task.using(run_after=run_after)
    task.enqueue(delivery_id)


def signature(*, secret, timestamp, body):
    """The Yumroad-Signature header of `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def retry_delays():
    return settings.SELLER_WEBHOOK_RETRY_SECONDS


def _claim(delivery_id, now):
    """Claim the next try of delivery `delivery_id` when it is pending, due and nobody
    is making one (or the one making it died): a conditional update, so of two workers
    at once one claims it. Returns whether this run did."""
    timeout = settings.SELLER_WEBHOOK_TIMEOUT_SECONDS
    lapsed = now - timedelta(seconds=timeout + CLAIM_GRACE_SECONDS)
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, state=DeliveryState.PENDING, next_try_at__lte=now
        )
        .filter(Q(claimed_at=None) | Q(claimed_at__lt=lapsed))
        .update(claimed_at=now, tries=F("tries") + 1)
    )


def _failure(error, timeout):
    """What the log says of a try the server did not answer."""
    if isinstance(error, outbound.AddressRefused):
        text = str(error)
    elif isinstance(error, TimeoutError):
        text = f"Timed out after {timeout:g} s"
    elif isinstance(error, ConnectionRefusedError):
        text = "Connection refused"
    elif isinstance(error, socket.gaierror):
        text = "Host not found"
    elif isinstance(error, UnicodeError):
        text = "The host's name is not valid"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[: WebhookAttempt._meta.get_field("error").max_length]


def webhook_delivery_try(*, delivery_id):
    """Make the next try of delivery `delivery_id`, if it is due and this run claims it
    (_claim): POST its body, signed now, log the try, and then it is delivered (2xx),
    due again after the next delay, or, its tries run out, failed. Returns the
    WebhookAttempt, or None when there was no try to make."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:  # its subscription was deleted meanwhile
        return None
    subscription = delivery.subscription
    timeout = settings.SELLER_WEBHOOK_TIMEOUT_SECONDS
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(
            secret=subscription.secret, timestamp=timestamp, body=delivery.body
        ),
    }
    started = time.monotonic()
    try:
        answer = outbound.post(
            subscription.post_url, delivery.body.encode(), headers, timeout=timeout
        )
        status, excerpt, error = answer.status, answer.excerpt, ""
    except (OSError, UnicodeError, outbound.AddressRefused, HTTPException) as failure:
        status, excerpt, error = None, "", _failure(failure, timeout)
    duration_ms = round((time.monotonic() - started) * 1000)
    return _try_record(delivery, now, status, excerpt, error, duration_ms)


def _try_record(delivery, claimed_at, status, excerpt, error, duration_ms):
    """Log the try and move the delivery, under the claim: a run whose claim lapsed and
    was taken, or whose subscription was deleted meanwhile, writes nothing."""
    delivered = status is not None and 200 <= status < 300
    delays = retry_delays()
    changes = {"claimed_at": None}
    if delivered:
        changes.update(state=DeliveryState.DELIVERED, next_try_at=None)
    elif delivery.tries > len(delays):
        changes.update(state=DeliveryState.FAILED, next_try_at=None)
    else:
        changes["next_try_at"] = timezone.now() + timedelta(seconds=delays[delivery.tries - 1])
    with transaction.atomic():
        moved = WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=claimed_at).update(
            **changes
        )
        if not moved:
            return None
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.tries,
            tried_at=claimed_at,
            status_code=status,
            error=error,
            duration_ms=duration_ms,
            response_excerpt=excerpt[
                : WebhookAttempt._meta.get_field("response_excerpt").max_length
            ],
        )
        if changes.get("next_try_at"):
            transaction.on_commit(
                partial(_send_enqueue, delivery.pk, run_after=changes["next_try_at"]),
                robust=True,
            )
    if not delivered:
        logger.warning(
            "Webhook %s try %s to %s failed: %s",
            delivery.event_id,
            delivery.tries,
            delivery.subscription.post_url,
            error or f"HTTP {status}",
        )
    return attempt


def webhook_deliveries_send_due(*, now=None, grace_seconds=60):
    """Queue a try of each pending delivery due for `grace_seconds` already, whose task
    was lost (its queueing failed after the commit) or could not wait (the immediate
    backend). Returns how many. A delivery queued twice is tried once (_claim)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, next_try_at__lte=now - timedelta(seconds=grace_seconds)
    ).values_list("pk", flat=True)
    count = 0
    for delivery_id in due.iterator():
        _send_enqueue(delivery_id)
        count += 1
    return count
