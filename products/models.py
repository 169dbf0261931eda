import mimetypes
import secrets
import unicodedata
from pathlib import PurePath

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.validators import FileExtensionValidator, MaxValueValidator, URLValidator
from django.db import connections, models, transaction
from django.db.models.functions import Left, Length, Trim
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils.functional import cached_property
from PIL import Image

from products.storage import private_storage
from stores.models import Store
from yumroad_site import pictures
from yumroad_site.files import delete_file_on_commit, file_delete, uploads_removed_on_error
from yumroad_site.money import cents_to_decimal, format_money
from yumroad_site.retirement import RetiringQuerySet
from yumroad_site.validators import (
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    collapse_spaces,
    validate_name_length,
    validate_no_bidi_controls,
    validate_printable,
)

MAX_PRICE_CENTS = 100_000_00  # $100,000.00
# Stripe's smallest charge in USD: a paid product costs at least this much.
MIN_PRICE_CENTS = 50
DESCRIPTION_MAX_LENGTH = 5000
# What a product card shows of the description: never the whole of it.
EXCERPT_LENGTH = 200
# The newest products of each store that the list of stores shows.
PREVIEW_PRODUCTS = 3
# The stores the landing page shows.
FEATURED_STORES = 6
# The landing page's covers, and how many of the newest products it looks through to
# show one of each store.
LANDING_COVERS = 6
LANDING_COVER_CANDIDATES = 8 * LANDING_COVERS
FILE_NAME_MAX_LENGTH = 255
# Characters that would garble or disguise a file name: controls and direction overrides.
HIDDEN_NAME_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
FILE_COLUMNS = ("file", "file_name", "file_size", "file_type")
SEARCH_CONFIG = "english"


def search_vector():
    """What search reads of a product, as PostgreSQL indexes it (product_search, a GIN
    index on this very expression: migration 0007, which keeps its own copy)."""
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


class ProductStatus(models.TextChoices):
    """Only a published product is listed, found by search and bought. A draft is seen
    by its owner alone; an archived one (a deleted product that people bought) by its
    owner and its buyers, who keep their downloads."""

    PUBLISHED = "published", "Published"
    DRAFT = "draft", "Draft"
    ARCHIVED = "archived", "Archived"


class ProductQuerySet(RetiringQuerySet):
    def listed(self):
        """What visitors may find: published products. Every public list, search and
        count starts here (a product's own page: orders.purchase.purchase_option)."""
        return self.filter(status=ProductStatus.PUBLISHED)

    def unlisted(self):
        """Drafts and archived products: their owner's dashboard lists them apart."""
        return self.filter(status__in=[ProductStatus.DRAFT, ProductStatus.ARCHIVED])

    def for_cards(self):
        """What a product card shows: the start of the description as `excerpt`, never
        the whole of it."""
        return self.defer("description").annotate(excerpt=Left("description", EXCERPT_LENGTH))

    def for_listing(self):
        """Newest first, with what a product card shows, in one query."""
        return self.for_cards().select_related("store").order_by("-created_at", "-pk")

    def for_store(self, store):
        """`store`'s products as for_listing(), whatever their status: listed() first
        for its public pages."""
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


class Product(models.Model):
    name = models.CharField(
        max_length=NAME_MAX_LENGTH, validators=[validate_name_length, validate_printable]
    )
    description = models.TextField(
        max_length=DESCRIPTION_MAX_LENGTH, validators=[validate_no_bidi_controls]
    )
    price_cents = models.PositiveIntegerField(
        "price in cents", validators=[MaxValueValidator(MAX_PRICE_CENTS)]
    )
    # Pay what you want: price_cents is then the least a buyer pays (0: anything,
    # nothing too), and suggested_price_cents what the buy box offers first.
    pay_what_you_want = models.BooleanField(default=False)
    suggested_price_cents = models.PositiveIntegerField(
        "suggested price in cents", null=True, blank=True
    )
    image = models.ImageField(
        upload_to="products/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"])],
    )
    # The picture's size, for the width and height pages give it; empty for a picture
    # stored before pictures had sizes, which pages show as it is.
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
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
    # Indexed by product_store_status_newest, which starts with the store.
    store = models.ForeignKey(
        "stores.Store", on_delete=models.CASCADE, related_name="products", db_index=False
    )
    # The one-use token of the form that created it: the same submission sent again
    # (a retry after a dropped connection) finds this product instead of making another.
    submission = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # db_default too: a server of the release before statuses, still running while this
    # one migrates, makes products without one.
    status = models.CharField(
        max_length=10,
        choices=ProductStatus,
        default=ProductStatus.PUBLISHED,
        db_default=ProductStatus.PUBLISHED,
    )
    # Each paid order of it gets a license key (orders.licenses), which the creator's
    # software checks through the API. db_default: see status.
    generates_license_keys = models.BooleanField(
        "Generate a license key for each sale", default=False, db_default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    Status = ProductStatus
    objects = ProductQuerySet.as_manager()
    _loaded_image = _loaded_file = None

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # /products/ and its count: the published products alone.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status=ProductStatus.PUBLISHED),
                name="product_listed_newest_first",
            ),
            # A store's page (published), its dashboard (each status), and the store's
            # foreign key.
            models.Index(
                fields=["store", "status", "-created_at", "-id"],
                name="product_store_status_newest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ProductStatus.values), name="product_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(price_cents=0)
                | models.Q(price_cents__gte=MIN_PRICE_CENTS, price_cents__lte=MAX_PRICE_CENTS),
                name="product_price_free_or_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(suggested_price_cents__isnull=True)
                | models.Q(
                    pay_what_you_want=True,
                    suggested_price_cents__gte=models.F("price_cents"),
                    suggested_price_cents__lte=MAX_PRICE_CENTS,
                )
                & (
                    models.Q(suggested_price_cents=0)
                    | models.Q(suggested_price_cents__gte=MIN_PRICE_CENTS)
                ),
                name="product_suggested_price_at_least_the_price",
            ),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length(Trim("name")), NAME_MIN_LENGTH),
                name="product_name_min_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="product_description_max_length",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Save; note a new file's name, size and type and store the sizes of a new
        picture; once committed, remove the picture (with its sizes) and the file that
        were replaced; if it fails, remove the new ones it stored.

        The row is locked while its picture and file are read and replaced. A save
        that doesn't change them keeps the ones stored now: another edit at the same
        time may have replaced them, and writing back those loaded earlier would point
        the product at files that edit deleted.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not {"image", "file"} & set(update_fields):
            super().save(*args, **kwargs)
            return
        new_picture = bool(self.image) and not self.image._committed
        if new_picture:
            with Image.open(self.image) as image:
                self.image_width, self.image_height = image.size
        elif not self.image:
            self.image_width = self.image_height = None
        new_file = bool(self.file) and not self.file._committed
        if new_file:
            self.file_name = clean_file_name(self.file.name)
            self.file_size = self.file.size
            self.file_type = mimetypes.guess_type(self.file_name)[0] or "application/octet-stream"
        # A save that fails after storing the new picture or file removes them.
        with (
            uploads_removed_on_error(
                (self.image, pictures.picture_delete), (self.file, file_delete)
            ),
            transaction.atomic(),
        ):
            stored = None
            if self.pk:
                stored = (
                    Product.objects.select_for_update()
                    .filter(pk=self.pk)
                    .values("image", "image_width", "image_height", *FILE_COLUMNS)
                    .first()
                )
            if stored and not new_picture and self.image.name == self._loaded_image:
                self.image.name = stored["image"]
                self.image_width, self.image_height = stored["image_width"], stored["image_height"]
            if stored and not new_file and self.file.name == self._loaded_file:
                self.file.name = stored["file"]
                self.file_name, self.file_size, self.file_type = (
                    stored["file_name"],
                    stored["file_size"],
                    stored["file_type"],
                )
            super().save(*args, **kwargs)
            if new_picture:
                pictures.sizes_save(self.image.storage, self.image.name)
            if stored and stored["image"] and stored["image"] != self.image.name:
                delete_picture_on_commit(self.image.storage, stored["image"])
            if stored and stored["file"] and stored["file"] != self.file.name:
                delete_file_on_commit(self.file.storage, stored["file"])
        self._loaded_image = self.image.name
        self._loaded_file = self.file.name

    def get_absolute_url(self):
        return reverse("products:detail", args=[self.pk])

    def clean(self):
        super().clean()
        self.name = collapse_spaces(self.name or "")

    @classmethod
    def from_db(cls, db, field_names, values):
        product = super().from_db(db, field_names, values)
        # The picture and file as loaded, to tell a save that changes them from one
        # that doesn't.
        product._loaded_image = product.__dict__.get("image")
        product._loaded_file = product.__dict__.get("file")
        return product

    @property
    def creator(self):
        return self.store.owner

    @property
    def price(self):
        """The price in dollars, exactly, to the cent."""
        return cents_to_decimal(self.price_cents)

    @property
    def display_price(self):
        if self.pay_what_you_want:
            return f"{format_money(self.price_cents)}+" if self.price_cents else "Pay what you want"
        return format_money(self.price_cents) if self.price_cents else "Free"

    @property
    def is_free(self):
        """Free for everyone: a pay-what-you-want product with a free minimum is not."""
        return not self.price_cents and not self.pay_what_you_want

    @property
    def suggested_price(self):
        """What the buy box offers a pay-what-you-want buyer first, in dollars."""
        cents = self.suggested_price_cents
        return cents_to_decimal(self.price_cents if cents is None else cents)

    @property
    def file_kind(self):
        """What kind of file a buyer gets, from its name: "PDF", "ZIP", or "File"."""
        return PurePath(self.file_name).suffix.lstrip(".").upper()[:10] or "File"

    @property
    def picture_link(self):
        """The picture as other sites show it (share cards, Stripe's checkout page): the
        page size of the upload, else the upload, else the linked picture, else ""."""
        if self.picture_sizes:
            return self.picture_sizes[-1][0]
        return self.image.url if self.image else self.picture_url

    @cached_property
    def picture_sizes(self):
        """Each size of the uploaded picture as (url, width, height), smallest first,
        one per width; empty for a picture stored before pictures had sizes."""
        return pictures.size_urls(self.image, self.image_width, self.image_height)

    @property
    def is_listed(self):
        return self.status == ProductStatus.PUBLISHED


def delete_picture_on_commit(storage, name):
    transaction.on_commit(lambda: pictures.picture_delete(storage, name), robust=True)


def stores_selling():
    """The stores with at least one listed product, those worth listing, each with its
    newest listed products as `preview_products`, in one more query."""
    listed = Product.objects.listed()
    newest = listed.for_cards().order_by("-created_at", "-pk")[:PREVIEW_PRODUCTS]
    return Store.objects.filter(
        models.Exists(listed.filter(store=models.OuterRef("pk")))
    ).prefetch_related(models.Prefetch("products", queryset=newest, to_attr="preview_products"))


def stores_featured():
    """The stores the landing page shows: those with the most listed products, each
    with their count as `product_count`."""
    # listed(), through the relation: the filter comes first, so the count is of those.
    return (
        Store.objects.filter(products__status=ProductStatus.PUBLISHED)
        .annotate(product_count=models.Count("products"))
        .order_by("-product_count", "created_at")[:FEATURED_STORES]
    )


def landing_covers():
    """The covers the landing page shows: the newest products on sale with a picture,
    one a store first, then the rest of the newest; from the newest few dozen, in one
    query."""
    newest = list(
        Product.objects.listed()
        .for_listing()
        .exclude(file="")
        .exclude(image="", picture_url="")[:LANDING_COVER_CANDIDATES]
    )
    first_of_each_store, others, stores = [], [], set()
    for product in newest:
        if product.store_id in stores:
            others.append(product)
        else:
            stores.add(product.store_id)
            first_of_each_store.append(product)
    return (first_of_each_store + others)[:LANDING_COVERS]
