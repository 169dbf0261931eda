import hashlib
import secrets

from django.conf import settings
from django.db import models


def token_digest(token):
    """What is stored of a token: its SHA-256. A token is 32 random bytes, so a fast
    hash is enough, and a lookup by digest is one indexed query."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    READ_WRITE = "read_write", "Read and write"


class AccessTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_user(self, user):
        return self.filter(user=user).order_by("-created_at", "-pk")


class AccessToken(models.Model):
    """A personal access token of the API: shown once when made, stored as a digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=20, choices=TokenScope, default=TokenScope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    def __str__(self):
        return f"{self.name} ({self.get_scope_display()}) of user {self.user_id}"

    @property
    def can_write(self):
        return self.scope == TokenScope.READ_WRITE


def access_token_new():
    """A new token's text: the only time it exists in the clear."""
    return f"yr_{secrets.token_urlsafe(32)}"


class ResourceName(models.TextChoices):
    """The events a seller may subscribe a URL to, in Gumroad's words."""

    SALE = "sale", "Sale"
    REFUND = "refund", "Refund"
    DISPUTE = "dispute", "Dispute"


class ResourceSubscriptionQuerySet(models.QuerySet):
    def for_store(self, store):
        return self.filter(store=store).order_by("-created_at", "-pk")


class ResourceSubscription(models.Model):
    """A seller's webhook: each `resource_name` event of the store is POSTed to
    `post_url`, signed with `secret` (shown once, when it is made)."""

    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="resource_subscriptions"
    )
    resource_name = models.CharField(max_length=20, choices=ResourceName)
    post_url = models.URLField("URL", max_length=500)
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResourceSubscriptionQuerySet.as_manager()

    def __str__(self):
        return f"{self.resource_name} to {self.post_url} of store {self.store_id}"


def subscription_secret_new():
    return secrets.token_hex(32)


class RateCount(models.Model):
    """Requests counted in one minute for one key (a token, a client address), when the
    site runs without Redis: one row per key and minute, incremented by an atomic
    upsert, so that every app server shares the count (api/ratelimits.py)."""

    key = models.CharField(max_length=100)
    minute = models.BigIntegerField(help_text="The minute counted: Unix time // 60.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "minute"], name="rate_count_one_per_minute")
        ]

    def __str__(self):
        return f"{self.key} at minute {self.minute}: {self.count}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event sent to one subscription: its body is fixed when the event happens, so
    every try sends the same bytes and the same `id`. Tried until the seller's server
    answers 2xx or the tries run out (settings.SELLER_WEBHOOK_RETRY_SECONDS); each try
    is claimed on this row (`claimed_at`), so two workers never make the same one."""

    subscription = models.ForeignKey(
        ResourceSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=100)
    resource_name = models.CharField(max_length=20, choices=ResourceName)
    body = models.TextField(help_text="The JSON sent, as sent.")
    state = models.CharField(max_length=10, choices=DeliveryState, default=DeliveryState.PENDING)
    tries = models.PositiveSmallIntegerField(default=0, help_text="Tries claimed so far.")
    next_try_at = models.DateTimeField(null=True, blank=True)
    # A worker making a try now, since then: another run waits for it to end or lapse.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            # An event announced twice (a Stripe event replayed) is delivered once.
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            ),
        ]
        indexes = [
            # The sweep's question: the pending deliveries that are due.
            models.Index(
                fields=["next_try_at"],
                condition=models.Q(state="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self):
        return f"{self.event_id} to subscription {self.subscription_id} ({self.state})"


class WebhookAttemptQuerySet(models.QuerySet):
    def for_store(self, store):
        """The store's tries, newest first, with their delivery and subscription."""
        return (
            self.filter(delivery__subscription__store=store)
            .select_related("delivery__subscription")
            .order_by("-tried_at", "-pk")
        )


class WebhookAttempt(models.Model):
    """The log of a delivery: one row per try, with what the seller's server answered
    (its status, or why there was no answer) and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(help_text="1 for the first try.")
    tried_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True, help_text="Why there was no answer.")
    duration_ms = models.PositiveIntegerField("time taken (ms)")
    response_excerpt = models.CharField(max_length=200, blank=True)

    objects = WebhookAttemptQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once"),
        ]
        indexes = [models.Index(fields=["-tried_at"], name="webhook_attempt_recent")]

    def __str__(self):
        return f"Try {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300
