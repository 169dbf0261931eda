from decimal import Decimal

from django.core.validators import FileExtensionValidator, MaxValueValidator, URLValidator
from django.db import models, transaction
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse

from yumroad_site.validators import (
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    validate_name_length,
    validate_printable,
)

MAX_PRICE_CENTS = 100_000_00  # $100,000.00
CENT = Decimal("0.01")


class ProductQuerySet(models.QuerySet):
    def for_listing(self):
        """Newest first, with what a product card shows, in one query."""
        return self.select_related("store").order_by("-created_at", "-pk")

    def for_store(self, store):
        return self.for_listing().filter(store=store)


class Product(models.Model):
    name = models.CharField(
        max_length=NAME_MAX_LENGTH, validators=[validate_name_length, validate_printable]
    )
    description = models.TextField()
    price_cents = models.PositiveIntegerField(
        "price in cents", validators=[MaxValueValidator(MAX_PRICE_CENTS)]
    )
    image = models.ImageField(
        upload_to="products/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"])],
    )
    picture_url = models.URLField(
        "picture URL",
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    # Indexed by product_store_newest_first, which starts with the store.
    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="products", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="product_newest_first"),
            models.Index(fields=["store", "-created_at", "-id"], name="product_store_newest_first"),
        ]
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

    def save(self, *args, **kwargs):
        """Save, and once committed remove the image file this one replaced."""
        previous = None
        if self.pk:
            previous = Product.objects.filter(pk=self.pk).values_list("image", flat=True).first()
        super().save(*args, **kwargs)
        if previous and previous != self.image.name:
            delete_file_on_commit(self.image.storage, previous)

    def get_absolute_url(self):
        return reverse("products:detail", args=[self.pk])

    @property
    def creator(self):
        return self.store.owner

    @property
    def price(self):
        """The price in dollars, exactly, to the cent."""
        return (Decimal(self.price_cents) / 100).quantize(CENT)

    @property
    def display_price(self):
        return f"${self.price:,.2f}" if self.price_cents else "Free"


def delete_file_on_commit(storage, name):
    transaction.on_commit(lambda: storage.delete(name), robust=True)
