from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse

from products.models import Product
from yumroad_site.validators import (
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    validate_name_length,
    validate_printable,
)

DUPLICATE_NAME_MESSAGE = "That store name is taken"
# Addresses under /stores/ that are pages of the site, not stores.
RESERVED_SLUGS = ["create"]
FEATURED_COUNT = 6
PREVIEW_PRODUCTS = 3


class StoreQuerySet(models.QuerySet):
    def of(self, user):
        """`user`'s store, or None (a visitor, or a user who has not opened one)."""
        return self.filter(owner=user).first() if user.is_authenticated else None

    def with_product_count(self):
        return self.annotate(product_count=models.Count("products"))

    def featured(self):
        """The stores the landing page shows: those with the most products."""
        return (
            self.with_product_count()
            .filter(product_count__gt=0)
            .order_by("-product_count", "created_at")[:FEATURED_COUNT]
        )

    def with_preview_products(self):
        """Each store's newest products as `preview_products`, in one more query."""
        return self.prefetch_related(
            models.Prefetch(
                "products",
                queryset=Product.objects.order_by("-created_at", "-pk")[:PREVIEW_PRODUCTS],
                to_attr="preview_products",
            )
        )

    def name_taken(self, name):
        """Whether a store has this name in any letter case, as the database compares it."""
        return self.alias(lower_name=Lower("name")).filter(lower_name=Lower(Value(name))).exists()


class Store(models.Model):
    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_name_length, validate_printable],
        error_messages={"unique": DUPLICATE_NAME_MESSAGE},
    )
    slug = models.SlugField(max_length=NAME_MAX_LENGTH + 10, unique=True, allow_unicode=True)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoreQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="store_name_ci_unique",
                violation_error_message=DUPLICATE_NAME_MESSAGE,
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length(Trim("name")), NAME_MIN_LENGTH),
                name="store_name_min_length",
            ),
            models.CheckConstraint(
                condition=~models.Q(slug__in=RESERVED_SLUGS),
                name="store_slug_not_reserved",
                violation_error_message="That address belongs to a page of the site.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("stores:detail", args=[self.slug])
