import enum
import re
import secrets
from datetime import UTC, datetime, time
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Lower, TruncDate
from django.urls import reverse
from django.utils import timezone

from products.models import MAX_PRICE_CENTS, MIN_PRICE_CENTS
from yumroad_site.links import signed_link_load
from yumroad_site.money import format_money, round_half_up
from yumroad_site.validators import NAME_MAX_LENGTH, normalize_email

DOWNLOAD_SALT = "orders.download"
# The shape of a receipt's key (receipt_key_new): anything else is no receipt.
RECEIPT_KEY = re.compile(r"[A-Za-z0-9_-]{32}")
CODE_MAX_LENGTH = 50
CODE_SHAPE = re.compile(rf"[A-Za-z0-9-]{{1,{CODE_MAX_LENGTH}}}")
CODE_MESSAGE = "Use letters, digits and dashes only."
MAX_USES = 1_000_000


# A license key's shape (license_key_new), any case: anything else is no key.
LICENSE_KEY = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{8}){3}", re.ASCII)


def license_key_new():
    """A license key: four groups of eight upper-case hex digits, 128 random bits."""
    digits = secrets.token_hex(16).upper()
    return "-".join(digits[start : start + 8] for start in range(0, 32, 8))


def receipt_key_new():
    """A receipt page's key: 192 random bits, so no one finds a receipt by guessing."""
    return secrets.token_urlsafe(24)


class OrderQuerySet(models.QuerySet):
    def held(self):
        """Paid orders whose buyer keeps the purchase: not refunded, and no dispute lost
        (the buyer's bank took the money back)."""
        return self.filter(status=Order.Status.PAID).exclude(dispute_status=DisputeStatus.LOST)

    def library_of(self, user):
        """What `user` bought and may download, newest first."""
        return (
            self.held()
            .filter(buyer=user)
            .select_related("store", "license")
            .order_by("-paid_at", "-pk")
        )

    def sales_of(self, store):
        """`store`'s sales, refunded ones included, newest first."""
        return self.filter(
            store=store, status__in=[Order.Status.PAID, Order.Status.REFUNDED]
        ).order_by("-paid_at", "-pk")

    def paid_within(self, *, first=None, last=None):
        """Orders paid from the day `first` to the day `last`, both included, in UTC
        days; either may be None for no bound."""
        orders = self
        if first is not None:
            orders = orders.filter(paid_at__gte=datetime.combine(first, time.min, tzinfo=UTC))
        if last is not None:
            orders = orders.filter(paid_at__lte=datetime.combine(last, time.max, tzinfo=UTC))
        return orders

    def totals(self):
        """Sales counted and summed in one query. A refund takes back its share of the
        fee and of the net (refunded_net_of), so after refunds revenue is fees + net.
        Refunds count every order that had one, partial or full."""
        paid = Q(status=Order.Status.PAID)
        sold = Q(status__in=[Order.Status.PAID, Order.Status.REFUNDED])
        held = F("net_cents") - F("refunded_net_cents")
        return self.aggregate(
            paid_count=Count("pk", filter=paid),
            revenue_cents=Sum(F("amount_cents") - F("refunded_cents"), filter=sold, default=0),
            fee_cents=Sum(
                F("fee_cents") - (F("refunded_cents") - F("refunded_net_cents")),
                filter=sold,
                default=0,
            ),
            # What the seller keeps: the net after refunds, less that of the sales whose
            # dispute is open or lost (the buyer's bank holds or took the money). (Before
            # net_cents: an aggregate's name hides the field's from those after it.)
            disputed_count=Count("pk", filter=sold & DISPUTED),
            disputed_cents=Sum(held, filter=sold & DISPUTED, default=0),
            net_cents=Sum(held, filter=sold & ~DISPUTED, default=0),
            refunded_count=Count("pk", filter=sold & Q(refunded_cents__gt=0)),
            refunded_cents=Sum("refunded_cents", filter=sold, default=0),
        )

    def net_by_day(self):
        """The net kept after refunds of these orders (none of those whose dispute is
        open or lost), summed by the UTC day they were paid, in one query: {date: cents},
        days without orders left out."""
        days = (
            self.exclude(DISPUTED)
            .order_by()
            .annotate(day=TruncDate("paid_at", tzinfo=UTC))
            .values("day")
            .annotate(net=Sum(F("net_cents") - F("refunded_net_cents")))
        )
        return {row["day"]: row["net"] for row in days}

    def of_email(self, email):
        """Orders placed with `email`: the one spelling stored (normalize_email), matched
        exactly. Never a case-insensitive match: PostgreSQL's folds Unicode (a dotless i
        and "I"), so a look-alike address would match another person's."""
        return self.filter(email=normalize_email(email))

    def paid_before(self, order):
        """Paid orders of `order`'s product for its email that were paid before it, the
        first first: a buyer who paid twice is told so on the receipt."""
        if not (order.paid_at and order.email and order.product_id):
            return self.none()
        return (
            self.of_email(order.email)
            .filter(product_id=order.product_id, status=Order.Status.PAID)
            .filter(paid_at__lt=order.paid_at)
            .order_by("paid_at", "pk")
        )

    def owned_by(self, user, product):
        return self.held().filter(buyer=user, product=product)

    def using_code(self, code):
        """The orders that use discount code `code`: paid (refunded too), or a checkout
        open now, which holds its use until it is paid, fails or expires."""
        return self.filter(_using_code(), discount_code=code)

    def checkouts_of(self, product, *, buyer=None, guest_key=""):
        """The pending checkout of `product` by `buyer`, or by the guest whose session
        holds `guest_key`: one at most (the open-checkout constraints)."""
        if buyer:
            who = Q(buyer=buyer)
        elif guest_key:
            who = Q(buyer=None, guest_key=guest_key)
        else:
            return self.none()
        return self.filter(who, product=product, status=Order.Status.PENDING).exclude(
            expires_at=None
        )


def _using_code(prefix=""):
    """Orders that hold a use of their discount code (OrderQuerySet.using_code)."""
    used = Q(**{f"{prefix}status__in": [OrderStatus.PAID, OrderStatus.REFUNDED]})
    checkout_open = Q(
        **{f"{prefix}status": OrderStatus.PENDING, f"{prefix}expires_at__gt": timezone.now()}
    )
    return used | checkout_open


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


def with_sales(products):
    """`products`, each with its paid orders counted and summed in the same query:
    `sales_count` and `revenue_cents` (refunded orders count in neither)."""
    paid = Q(orders__status=OrderStatus.PAID)
    return products.annotate(
        sales_count=Count("orders", filter=paid),
        revenue_cents=Sum("orders__amount_cents", filter=paid, default=0),
    )


def fee_of(amount_cents):
    """The platform's fee of a paid order of `amount_cents`: PLATFORM_FEE_PERCENT of it,
    rounded half up to the cent, plus PLATFORM_FEE_CENTS, never more than the amount. A
    free order has none."""
    if amount_cents <= 0:
        return 0
    fee = round_half_up(amount_cents * settings.PLATFORM_FEE_PERCENT / 100)
    return min(fee + settings.PLATFORM_FEE_CENTS, amount_cents)


def refunded_net_of(*, net_cents, refunded_cents, amount_cents):
    """The share of a seller's net lost to refunds totalling `refunded_cents` of an
    order of `amount_cents`: net x refunded / amount, rounded half up. Cumulative: each
    refund books the difference from the previous total's share."""
    if amount_cents <= 0:
        return 0
    return round_half_up(Decimal(net_cents) * refunded_cents / amount_cents)


class DisputeStatus(models.TextChoices):
    NONE = "", "None"
    OPEN = "open", "Under review"  # the buyer's bank took the money back for now
    WON = "won", "Won"
    LOST = "lost", "Lost"


# An order may be refunded with no dispute, or after one it won: Stripe refuses a refund
# of a payment that is disputed, or that the buyer's bank took back.
REFUNDABLE_DISPUTES = (DisputeStatus.NONE, DisputeStatus.WON)


# Sales whose money the buyer's bank holds (open) or took back (lost).
DISPUTED = Q(dispute_status__in=[DisputeStatus.OPEN, DisputeStatus.LOST])


class DownloadRefusal(enum.StrEnum):
    """Why a download link gives no file."""

    FORGED = "forged"  # not a link Yumroad signed, or its order is gone
    EXPIRED = "expired"  # older than DOWNLOAD_LINK_MAX_AGE
    UNPAID = "unpaid"
    REFUNDED = "refunded"
    UNDER_REVIEW = "under_review"  # a dispute is open: the buyer's bank holds the money
    CHARGED_BACK = "charged_back"  # the dispute was lost: the bank gave the money back
    REMOVED = "removed"  # the creator removed the product or its file


class Order(models.Model):
    """One purchase of one product: the price, currency and names are copied when it
    is made, so the record stays true when the product changes or goes away."""

    Status = OrderStatus
    Dispute = DisputeStatus

    product = models.ForeignKey(
        "products.Product", on_delete=models.SET_NULL, null=True, related_name="orders"
    )
    store = models.ForeignKey(
        "stores.Store", on_delete=models.SET_NULL, null=True, related_name="orders"
    )
    product_name = models.CharField(max_length=NAME_MAX_LENGTH)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        help_text="The account that bought it; empty for a guest.",
    )
    email = models.EmailField("buyer's email", blank=True)
    amount_cents = models.PositiveIntegerField("amount in cents")
    currency = models.CharField(max_length=3)
    # The discount code it was bought with, as typed when the code was made (the code
    # may be deleted since), and what it took off the price: amount + discount.
    discount_code = models.ForeignKey(
        "orders.DiscountCode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    discount_code_name = models.CharField("discount code", max_length=CODE_MAX_LENGTH, blank=True)
    discount_cents = models.PositiveIntegerField("discount in cents", default=0)
    status = models.CharField(max_length=10, choices=OrderStatus, default=OrderStatus.PENDING)
    stripe_session_id = models.CharField(
        "Stripe checkout session", max_length=255, unique=True, null=True, blank=True
    )
    payment_intent_id = models.CharField("Stripe payment intent", max_length=255, blank=True)
    checkout_url = models.TextField(
        "Stripe checkout address", blank=True, help_text="Where the buyer pays, while pending."
    )
    expires_at = models.DateTimeField(
        "checkout expires", null=True, blank=True, help_text="When the checkout closes unpaid."
    )
    guest_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="For a guest's checkout: a random key kept in their session.",
    )
    # Fixed when the order is paid (fee_of): a later change of the fee changes no past order.
    fee_cents = models.PositiveIntegerField("platform fee in cents", default=0)
    net_cents = models.PositiveIntegerField("seller's net in cents", default=0)
    refunded_cents = models.PositiveIntegerField(
        "refunded in cents", default=0, help_text="Refunds so far, in total."
    )
    refunded_net_cents = models.PositiveIntegerField(
        "seller's net refunded, in cents",
        default=0,
        help_text="The share of the net that the refunds took back (refunded_net_of).",
    )
    # A seller's refund being made at Stripe now (services.order_refund_make): the total
    # it will reach, and since when; another one waits for it to end.
    refunding_cents = models.PositiveIntegerField(default=0, editable=False)
    refund_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    dispute_status = models.CharField(
        max_length=4, choices=DisputeStatus, default=DisputeStatus.NONE, blank=True
    )
    download_count = models.PositiveIntegerField(default=0)
    receipt_key = models.CharField(
        max_length=32,
        unique=True,
        default=receipt_key_new,
        editable=False,
        help_text="The receipt page's address: /orders/<key>/, for whoever holds it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["store", "status", "-paid_at", "-id"], name="order_sales"),
            models.Index(fields=["buyer", "status", "-paid_at", "-id"], name="order_library"),
            models.Index(fields=["payment_intent_id"], name="order_payment_intent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_known"
            ),
            models.CheckConstraint(
                # Unpaid orders have neither yet.
                condition=Q(net_cents=0, fee_cents=0)
                | (
                    Q(fee_cents__lte=F("amount_cents"))
                    & Q(net_cents=F("amount_cents") - F("fee_cents"))
                ),
                name="order_net_is_amount_less_fee",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=F("amount_cents"))
                & Q(refunded_net_cents__lte=F("net_cents")),
                name="order_refunds_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(dispute_status__in=DisputeStatus.values),
                name="order_dispute_status_known",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=False)
                | ~Q(status__in=[OrderStatus.PAID, OrderStatus.REFUNDED]),
                name="order_paid_has_paid_at",
            ),
            # A free product is claimed once per address: a second claim resends the link.
            models.UniqueConstraint(
                fields=["product", "email"],
                condition=Q(amount_cents=0),
                name="order_one_free_claim_per_email",
            ),
            # One open checkout per buyer (a member, or a guest's session) and product:
            # a second Buy, or six at once, reuses it (orders.services.checkout_start).
            # Orders from before checkouts expired here (no expires_at) are left out.
            models.UniqueConstraint(
                fields=["buyer", "product"],
                condition=Q(
                    status=OrderStatus.PENDING, expires_at__isnull=False, buyer__isnull=False
                ),
                name="order_one_open_checkout_per_member",
            ),
            models.UniqueConstraint(
                fields=["guest_key", "product"],
                condition=Q(status=OrderStatus.PENDING, expires_at__isnull=False)
                & ~Q(guest_key=""),
                name="order_one_open_checkout_per_guest",
            ),
        ]

    def __str__(self):
        if self.pk is None:
            return f"Unsaved order: {self.product_name}"
        return f"Order {self.number}: {self.product_name}"

    @property
    def number(self):
        """The number a buyer and a seller see: the row's id, six digits at least; an
        unsaved order has none yet (None)."""
        return None if self.pk is None else f"{self.pk:06d}"

    @property
    def display_amount(self):
        return format_money(self.amount_cents, self.currency) if self.amount_cents else "Free"

    @property
    def refundable_cents(self):
        """What the seller may still refund of this order: the amount not refunded yet,
        0 unless it is paid, not free and not disputed (Stripe refuses refunds of a
        disputed payment)."""
        if self.status != OrderStatus.PAID or self.dispute_status not in REFUNDABLE_DISPUTES:
            return 0
        return self.amount_cents - self.refunded_cents

    @property
    def display_discount(self):
        return format_money(self.discount_cents, self.currency) if self.discount_cents else ""

    @property
    def display_code(self):
        """The discount code it was bought with and what it took off, as the receipt and
        the sales page show it; "" without one."""
        if not self.discount_code_name:
            return ""
        return f"{self.discount_code_name} ({self.display_discount} off)"

    @property
    def sale_status(self):
        """The state of a sale in a seller's words: a dispute first, then refunds."""
        if self.dispute_status == DisputeStatus.OPEN:
            return "Disputed"
        if self.dispute_status == DisputeStatus.LOST:
            return "Dispute lost"
        if self.status == OrderStatus.PAID and self.refunded_cents:
            return "Partly refunded"
        return self.get_status_display()

    @property
    def display_fee(self):
        return format_money(self.fee_cents, self.currency)

    @property
    def display_net(self):
        return format_money(self.net_cents, self.currency)

    @property
    def display_refunded(self):
        return format_money(self.refunded_cents, self.currency)

    @property
    def issued_license(self):
        """The order's License, or None when its product gives none. Load it with the
        order (select_related("license")): a template never queries."""
        return getattr(self, "license", None)

    @property
    def receipt_url(self):
        return reverse("orders:receipt", args=[self.receipt_key])

    @property
    def download_url(self):
        """A link to the file, signed for this order; it expires (DOWNLOAD_LINK_MAX_AGE)."""
        token = signing.dumps(self.pk, salt=DOWNLOAD_SALT, compress=True)
        return reverse("orders:download", args=[token])

    @classmethod
    def of_download_link(cls, token):
        """The order a download link is for, and why its file can't be had through the
        link (a DownloadRefusal), or None when it can. The order is None when the link
        is forged or its order is gone."""
        try:
            order_id, expired = signed_link_load(
                token, salt=DOWNLOAD_SALT, max_age=settings.DOWNLOAD_LINK_MAX_AGE
            )
        except signing.BadSignature:
            return None, DownloadRefusal.FORGED
        try:
            order = cls.objects.select_related("product").get(pk=order_id)
        except cls.DoesNotExist:
            return None, DownloadRefusal.FORGED
        refusal = order.download_refusal()
        if refusal is None and expired:
            refusal = DownloadRefusal.EXPIRED
        return order, refusal

    def download_refusal(self):
        """Why this order's file can't be had, however fresh the link, or None."""
        if self.status == OrderStatus.REFUNDED:
            return DownloadRefusal.REFUNDED
        if self.dispute_status == DisputeStatus.LOST:
            return DownloadRefusal.CHARGED_BACK
        if self.dispute_status == DisputeStatus.OPEN:
            return DownloadRefusal.UNDER_REVIEW
        if self.status != OrderStatus.PAID:
            return DownloadRefusal.UNPAID
        if self.product is None or not self.product.file:
            return DownloadRefusal.REMOVED
        return None


class CodeRefusal(enum.StrEnum):
    """Why a discount code takes nothing off a product, as the buyer reads it."""

    UNKNOWN = "There is no such code."
    EXPIRED = "This code has expired."
    USED_UP = "This code has been used up."
    NOT_FOR_PRODUCT = "This code is not for this product."
    PAY_WHAT_YOU_WANT = "Codes do not apply to pay-what-you-want prices."


class DiscountCodeQuerySet(models.QuerySet):
    def for_store(self, store):
        return self.filter(store=store).order_by(Lower("code"), "pk")

    def with_uses(self):
        """Each code with its uses now (Order.objects.using_code) as `uses_now`."""
        return self.annotate(uses_now=Count("orders", filter=_using_code("orders__")))

    def named(self, code):
        """The code spelled `code` in any case; none for text that is no code."""
        if not isinstance(code, str) or not CODE_SHAPE.fullmatch(code):
            return self.none()
        return self.annotate(lowered=Lower("code")).filter(lowered=code.lower())


class DiscountCode(models.Model):
    """A store's code that takes a percent or an amount off its products (all of them
    when `products` is empty: Gumroad's "universal"), up to `max_uses` orders, until
    `expires_at`. A use is a paid order, or a checkout open now (a reservation: see
    orders.pricing.discount_code_reserve)."""

    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="discount_codes"
    )
    code = models.CharField(
        max_length=CODE_MAX_LENGTH,
        validators=[RegexValidator(r"\A[A-Za-z0-9-]+\Z", CODE_MESSAGE)],
        help_text="Letters, digits and dashes; buyers may type it in any case.",
    )
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    amount_off_cents = models.PositiveIntegerField(
        "amount off in cents",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE_CENTS)],
    )
    products = models.ManyToManyField(
        "products.Product",
        blank=True,
        related_name="discount_codes",
        help_text="The products it is for; none: every product of the store.",
    )
    max_uses = models.PositiveIntegerField(
        "maximum uses",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_USES)],
    )
    expires_at = models.DateTimeField("expires", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DiscountCodeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                "store",
                name="discount_code_unique_per_store",
                violation_error_message="Your store has a code of that name already.",
            ),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True, amount_off_cents__gte=1)
                | Q(amount_off_cents__isnull=True, percent_off__gte=1, percent_off__lte=100),
                name="discount_code_percent_or_amount_off",
                violation_error_message="Take a percent or an amount off, not both.",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(max_uses__gte=1),
                name="discount_code_max_uses_positive",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def display_off(self):
        if self.percent_off is not None:
            return f"{self.percent_off}% off"
        return f"{format_money(self.amount_off_cents)} off"

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def uses(self):
        """Paid orders with this code, and checkouts with it open now."""
        return Order.objects.using_code(self).count()

    def discount_of(self, price_cents):
        """What this code takes off `price_cents`: the new price, at least MIN_PRICE_CENTS
        unless it is free (nothing left to pay)."""
        if self.percent_off is not None:
            left = price_cents - round_half_up(Decimal(price_cents) * self.percent_off / 100)
        else:
            left = max(0, price_cents - self.amount_off_cents)
        return left if left == 0 else max(left, MIN_PRICE_CENTS)


class StripeEvent(models.Model):
    """A Stripe event already handled: a retry or a replay of it changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.type} {self.event_id}"


class EarlyRefund(models.Model):
    """A full refund whose payment no order holds yet: Stripe may deliver a refund
    before the checkout's completion. The payment, when it comes, ends refunded.
    Refunds of payments that are not Yumroad's stay here too, one row each at most."""

    payment_intent_id = models.CharField("Stripe payment intent", max_length=255, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Early refund of {self.payment_intent_id}"


class SentEmail(models.Model):
    """One email of an order, claimed before it is sent and marked sent after: a task
    run twice (the queue delivers at least once) or by two workers at once sends it once.
    `key` is empty for the order's own receipt and sale notice, new for each receipt the
    buyer asks for again, the refunded total for a refund notice and the dispute's
    outcome for a dispute notice."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SALE_NOTICE = "sale_notice", "Sale notice"
        REFUND_NOTICE = "refund_notice", "Refund notice"  # key: the refunded total
        DISPUTE_NOTICE = "dispute_notice", "Dispute notice"  # key: the dispute and its outcome

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="sent_emails")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "kind", "key"], name="email_sent_once"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of order {self.order_id}"


class License(models.Model):
    """The license key of a paid order of a product that generates them
    (orders.licenses): the creator's software verifies it through the API, which counts
    its uses. A full refund or a lost dispute disables it; its seller may too."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="license")
    key = models.CharField(max_length=35, unique=True, help_text="Stored upper-case.")
    uses = models.PositiveIntegerField(default=0, help_text="Verifications that counted one.")
    disabled_at = models.DateTimeField(
        null=True, blank=True, help_text="When it stopped verifying; empty while it does."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key

    @property
    def is_disabled(self):
        return self.disabled_at is not None
