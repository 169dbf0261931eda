import mimetypes
import secrets
import unicodedata
from pathlib import PurePath

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.validators import FileExtensionValidator, MaxValueValidator, URLValidator
from django.db import connections, models, transaction
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse

from orders.models import OrderStatus
from products.storage import private_storage
from yumroad_site.money import cents_to_decimal, format_money
from yumroad_site.validators import (
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    validate_name_length,
    validate_printable,
)

MAX_PRICE_CENTS = 100_000_00  # $100,000.00
# Stripe's smallest charge in USD: a paid product costs at least this much.
MIN_PRICE_CENTS = 50
FILE_NAME_MAX_LENGTH = 255
# Characters that would garble or disguise a file name: controls and direction overrides.
HIDDEN_NAME_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
SEARCH_CONFIG = "english"


def search_vector():
    """What search reads of a product, as PostgreSQL indexes it (product_search, a GIN
    index on this very expression: migration 0005)."""
    return SearchVector("name", "description", config=SEARCH_CONFIG)


def product_file_upload_to(instance, filename):
    """A random name: the client's own name is kept on the row, for the download only."""
    return f"files/{secrets.token_hex(16)}"


def clean_file_name(name):
    """The name a buyer's download gets: the last path part, printable, not too long."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c) not in HIDDEN_NAME_CATEGORIES)
    name = name.strip().strip(".") or "download"
    if len(name) > FILE_NAME_MAX_LENGTH:
        suffix = PurePath(name).suffix[:20]
        name = name[: FILE_NAME_MAX_LENGTH - len(suffix)] + suffix
    return name


class ProductQuerySet(models.QuerySet):
    def for_listing(self):
        """Newest first, with what a product card shows, in one query."""
        return self.select_related("store").order_by("-created_at", "-pk")

    def for_store(self, store):
        return self.for_listing().filter(store=store)

    def search(self, words):
        """Products whose name or description match `words`: PostgreSQL's full-text
        search, best matches first; elsewhere (SQLite) a plain substring match."""
        if connections[self.db].vendor != "postgresql":
            return self.filter(
                models.Q(name__icontains=words) | models.Q(description__icontains=words)
            )
        query = SearchQuery(words, config=SEARCH_CONFIG, search_type="websearch")
        return (
            self.annotate(search=search_vector(), rank=SearchRank(search_vector(), query))
            .filter(search=query)
            .order_by("-rank", "-created_at", "-pk")
        )

    def with_sales(self):
        """Each product's paid orders, counted and summed in the same query:
        `sales_count` and `revenue_cents` (refunded orders count in neither)."""
        paid = models.Q(orders__status=OrderStatus.PAID)
        return self.annotate(
            sales_count=models.Count("orders", filter=paid),
            revenue_cents=models.Sum("orders__amount_cents", filter=paid, default=0),
        )


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
    # What a buyer gets. Empty while the product is being prepared: it can't be bought.
    file = models.FileField(storage=private_storage, upload_to=product_file_upload_to, blank=True)
    file_name = models.CharField(max_length=FILE_NAME_MAX_LENGTH, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(default=0, editable=False)
    file_type = models.CharField(max_length=100, blank=True, editable=False)
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
                condition=models.Q(price_cents=0)
                | models.Q(price_cents__gte=MIN_PRICE_CENTS, price_cents__lte=MAX_PRICE_CENTS),
                name="product_price_free_or_in_range",
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length(Trim("name")), NAME_MIN_LENGTH),
                name="product_name_min_length",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Save, and once committed remove the files (image, deliverable) replaced."""
        if self.file and not self.file._committed:
            self.file_name = clean_file_name(self.file.name)
            self.file_size = self.file.size
            self.file_type = mimetypes.guess_type(self.file_name)[0] or "application/octet-stream"
        previous = {}
        if self.pk:
            previous = Product.objects.filter(pk=self.pk).values(*FILE_FIELDS).first() or {}
        super().save(*args, **kwargs)
        for field, old_name in previous.items():
            current = getattr(self, field)
            if old_name and old_name != current.name:
                delete_file_on_commit(current.storage, old_name)

    def get_absolute_url(self):
        return reverse("products:detail", args=[self.pk])

    @property
    def creator(self):
        return self.store.owner

    @property
    def price(self):
        """The price in dollars, exactly, to the cent."""
        return cents_to_decimal(self.price_cents)

    @property
    def display_price(self):
        return format_money(self.price_cents) if self.price_cents else "Free"

    @property
    def is_free(self):
        return not self.price_cents

    @property
    def file_kind(self):
        """What kind of file a buyer gets, from its name: "PDF", "ZIP", or "File"."""
        return PurePath(self.file_name).suffix.lstrip(".").upper()[:10] or "File"


FILE_FIELDS = ("image", "file")


def delete_file_on_commit(storage, name):
    transaction.on_commit(lambda: storage.delete(name), robust=True)
