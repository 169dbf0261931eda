from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, URLValidator
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse

NAME_MIN_LENGTH = 4
NAME_MAX_LENGTH = 60
NAME_LENGTH_MESSAGE = (
    f"Field must be between {NAME_MIN_LENGTH} and {NAME_MAX_LENGTH} characters long"
)
MAX_PRICE_CENTS = 100_000_00  # $100,000.00


def validate_name_length(value):
    if not NAME_MIN_LENGTH <= len(value.strip()) <= NAME_MAX_LENGTH:
        raise ValidationError(NAME_LENGTH_MESSAGE, code="name_length")


class ProductQuerySet(models.QuerySet):
    def for_listing(self):
        """Newest first, with what a product card shows, in one query."""
        return self.select_related("creator").order_by("-created_at", "-pk")


class Product(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_name_length])
    description = models.TextField()
    price_cents = models.PositiveIntegerField(
        "price in cents", validators=[MaxValueValidator(MAX_PRICE_CENTS)]
    )
    picture_url = models.URLField(
        "picture URL",
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="products"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="product_newest_first")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_cents__gte=0, price_cents__lte=MAX_PRICE_CENTS),
                name="product_price_cents_in_range",
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length(Trim("name")), NAME_MIN_LENGTH),
                name="product_name_min_length",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("products:detail", args=[self.pk])

    @property
    def price(self):
        """The price in dollars, exactly."""
        return Decimal(self.price_cents) / 100

    @property
    def display_price(self):
        return f"${self.price:,.2f}" if self.price_cents else "Free"
