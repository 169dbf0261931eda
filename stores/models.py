from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from PIL import Image

from yumroad_site import pictures
from yumroad_site.retirement import RetiringQuerySet
from yumroad_site.validators import (
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    collapse_spaces,
    confusable_key,
    validate_name_length,
    validate_no_bidi_controls,
    validate_printable,
)

DUPLICATE_NAME_MESSAGE = "That store name is taken."
# Addresses under /stores/ that are pages of the site, not stores ("create" was the
# store-opening page's before "new").
RESERVED_SLUGS = ["create", "new", "settings"]
DESCRIPTION_MAX_LENGTH = 500
# A store keeps its newest old addresses only, so renames can't hoard addresses.
OLD_SLUGS_KEPT = 5
# An old address nobody came through for this long is free for other stores.
OLD_SLUG_IDLE_DAYS = 90


class StoreQuerySet(RetiringQuerySet):
    def of(self, user):
        """`user`'s store, or None (a visitor, or a user who has not opened one)."""
        return self.filter(owner=user).first() if user.is_authenticated else None

    def with_product_count(self):
        return self.annotate(product_count=models.Count("products"))

    def name_taken(self, name):
        """Whether a store has this name, or one that looks alike."""
        return self.filter(name_key=name_key(name)).exists()


def delete_avatar_on_commit(storage, name):
    """Once committed, remove the avatar stored as `name` and its sizes."""
    transaction.on_commit(lambda: pictures.avatar_delete(storage, name), robust=True)


def has_store(user):
    """Whether `user` (a visitor too) has opened a store. No query for the logged-in
    user of a request, whose account is loaded with their store
    (stores.backends.UserWithStoreBackend); one for another account."""
    if not user.is_authenticated:
        return False
    try:
        return user.store is not None
    except Store.DoesNotExist:
        return False


def name_key(name):
    """What two store names must not share: their confusable key, so that names in
    any letter case ("Straße" and "STRASSE"), with other spaces, or with look-alike
    letters of another script (Cyrillic "\u0410lpha" for "Alpha") clash."""
    return confusable_key(name)


class Store(models.Model):
    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        validators=[validate_name_length, validate_printable],
    )
    name_key = models.TextField(
        unique=True, editable=False, error_messages={"unique": DUPLICATE_NAME_MESSAGE}
    )
    slug = models.SlugField(max_length=NAME_MAX_LENGTH + 10, unique=True, allow_unicode=True)
    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    description = models.TextField(
        blank=True,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[validate_no_bidi_controls],
        help_text="Plain text; line breaks are kept.",
    )
    avatar = models.ImageField(
        upload_to="stores/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"])],
    )
    # The avatar's size; empty for one stored before avatars had sizes (pages show it
    # as it is; `manage.py reencode_pictures` makes them).
    avatar_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    avatar_height = models.PositiveIntegerField(null=True, blank=True, editable=False)

    objects = StoreQuerySet.as_manager()
    _avatar_sizes_due = False

    class Meta:
        ordering = [Lower("name")]
        constraints = [
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

    def save(self, *args, **kwargs):
        """Save; a new avatar gets its sizes (pictures.AVATAR_SIZES). Replacing or
        removing the stored one is the caller's (stores.services.store_update)."""
        self.name = collapse_spaces(self.name)
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        if self.avatar and not self.avatar._committed:
            with Image.open(self.avatar) as image:
                self.avatar_width, self.avatar_height = image.size
            # Until its sizes are made: a save that failed stored the avatar already,
            # and its retry makes them.
            self._avatar_sizes_due = True
        elif not self.avatar:
            self.avatar_width = self.avatar_height = None
        if update_fields is not None and "avatar" in update_fields:
            kwargs["update_fields"] = {*kwargs["update_fields"], "avatar_width", "avatar_height"}
        super().save(*args, **kwargs)
        if self._avatar_sizes_due:
            pictures.sizes_save(self.avatar.storage, self.avatar.name, pictures.AVATAR_SIZES)
            self._avatar_sizes_due = False

    def get_absolute_url(self):
        return reverse("products:store", args=[self.slug])

    @cached_property
    def avatar_sizes(self):
        """Each size of the avatar as (url, width, height), smallest first; empty for
        one stored before avatars had sizes."""
        return pictures.size_urls(
            self.avatar, self.avatar_width, self.avatar_height, pictures.AVATAR_SIZES
        )

    def is_owned_by(self, user):
        """Whether `user` (a visitor too) owns this store: may change it and its
        products, and may not buy them."""
        return user.is_authenticated and user.pk == self.owner_id

    def clean(self):
        super().clean()
        self.name = collapse_spaces(self.name or "")
        self.name_key = name_key(self.name)
        if Store.objects.exclude(pk=self.pk).filter(name_key=self.name_key).exists():
            raise ValidationError({"name": DUPLICATE_NAME_MESSAGE}, code="unique")


class StoreSlugQuerySet(models.QuerySet):
    def idle(self):
        """Old addresses nobody came through for OLD_SLUG_IDLE_DAYS (since they became
        old): another store may take them."""
        cutoff = timezone.localdate() - timedelta(days=OLD_SLUG_IDLE_DAYS)
        return self.filter(last_used_on__lt=cutoff)

    def in_use(self):
        return self.exclude(pk__in=self.idle().values("pk"))


class StoreSlug(models.Model):
    """An address a store had before a rename: it answers with a permanent redirect to
    the store's address now, so that shared links keep working. A store keeps its
    OLD_SLUGS_KEPT newest; one idle for OLD_SLUG_IDLE_DAYS is free for other stores."""

    slug = models.SlugField(max_length=NAME_MAX_LENGTH + 10, unique=True, allow_unicode=True)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)
    # The day of the last visit through this address, or of the rename that made it.
    last_used_on = models.DateField(default=timezone.localdate, editable=False)

    objects = StoreSlugQuerySet.as_manager()

    def __str__(self):
        return self.slug

    def visit_note(self):
        """Note a visit through this address: at most one write a day."""
        today = timezone.localdate()
        if self.last_used_on != today:
            StoreSlug.objects.filter(pk=self.pk, last_used_on__lt=today).update(last_used_on=today)
