import enum
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from yumroad_site.links import signed_link_load
from yumroad_site.retirement import RetiringQuerySet
from yumroad_site.validators import normalize_email

DUPLICATE_EMAIL_MESSAGE = "That email already has an account."
CONFIRMATION_SALT = "accounts.email_confirmation"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

EMAIL_LOCAL_PART_MESSAGE = (
    "Use only unaccented Latin letters, digits and punctuation before the @; "
    "the domain after it may be in any script."
)


def validate_email_local_part(value):
    """A new email's local part is ASCII: "k\\u0131m@" (dotless i) would pass for "kim@".
    Mail servers compare local parts as opaque bytes, so no folding could say which
    two are one mailbox, and few accept non-ASCII there (SMTPUTF8). Internationalized
    domains stay allowed: they are checked and encoded as IDNA."""
    local_part = value.rpartition("@")[0]
    if not local_part.isascii():
        raise ValidationError(EMAIL_LOCAL_PART_MESSAGE, code="non_ascii_local_part")


class ConfirmationRefusal(enum.StrEnum):
    """Why a confirmation link confirms nothing."""

    FORGED = "forged"  # not a link Yumroad signed, or its account is gone
    USED = "used"  # the address is confirmed already
    REPLACED = "replaced"  # the account's email changed, or a newer link was sent since
    EXPIRED = "expired"  # older than EMAIL_CONFIRM_MAX_AGE
    OTHER_ACCOUNT = "other_account"  # opened while logged in as another account


class UserManager(BaseUserManager.from_queryset(RetiringQuerySet)):
    use_in_migrations = True

    def create_user(self, email, password, **extra_fields):
        """Create a user with a hashed password; a blank email or password is a ValueError."""
        email = normalize_email(email)
        if not email:
            raise ValueError("Users must have an email address.")
        if password is None or not password.strip():
            raise ValueError("Users must have a password.")
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields["is_staff"] is not True:
            raise ValueError("A superuser must have is_staff=True.")
        if extra_fields["is_superuser"] is not True:
            raise ValueError("A superuser must have is_superuser=True.")
        return self.create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        # Any spelling of the email logs in: ModelBackend and the admin come through here.
        return self.get(email=normalize_email(email))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(
        "email address",
        unique=True,
        validators=[validate_email_local_part],
        error_messages={"unique": DUPLICATE_EMAIL_MESSAGE},
    )
    is_staff = models.BooleanField(
        "staff status",
        default=False,
        help_text="Designates whether the user can log into the admin site.",
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Unselect this instead of deleting accounts.",
    )
    date_joined = models.DateTimeField("date joined", default=timezone.now)
    confirmed_email = models.EmailField(
        "confirmed email",
        blank=True,
        default="",
        # In the table too: a writer that doesn't know the column (an app server of the
        # release before, during a deployment) still inserts unconfirmed accounts.
        db_default="",
        help_text="The address a confirmation link sent to was followed from; the email "
        "is confirmed while it is this one.",
    )
    email_confirmation_sent_at = models.DateTimeField(
        "confirmation link sent", null=True, blank=True
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            # Stored lower-case, so the unique email is unique in any letter case, even
            # for rows written around the manager and the model.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="accounts_user_email_lower_case",
                violation_error_message="Emails are stored in lower case.",
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def email_confirmed(self):
        """Whether the account proved that it receives mail at its email: a link sent
        there was followed. Any change of the email undoes it."""
        return bool(self.email) and self.confirmed_email == self.email

    def _confirmation_stamp(self):
        """When the last confirmation link was sent, in microseconds: a link carries it,
        so a newer link (or an email change, which sends one) retires the older ones."""
        sent_at = self.email_confirmation_sent_at
        return (sent_at - EPOCH) // timedelta(microseconds=1) if sent_at else 0

    @property
    def email_confirmation_url(self):
        """A link that confirms this account's email, signed for its address as it is
        now; it works once, for EMAIL_CONFIRM_MAX_AGE seconds."""
        token = signing.dumps(
            [self.pk, self.email, self._confirmation_stamp()],
            salt=CONFIRMATION_SALT,
            compress=True,
        )
        return reverse("accounts:email_confirm", args=[token])

    @classmethod
    def of_confirmation_link(cls, token):
        """The account a confirmation link is for, and why it confirms nothing (a
        ConfirmationRefusal), or None when it may confirm. The account is None when the
        link is forged or its account is gone."""
        try:
            payload, expired = signed_link_load(
                token, salt=CONFIRMATION_SALT, max_age=settings.EMAIL_CONFIRM_MAX_AGE
            )
        except signing.BadSignature:
            return None, ConfirmationRefusal.FORGED
        user_id, email, stamp = payload
        user = cls.objects.filter(pk=user_id).first()
        if user is None:
            return None, ConfirmationRefusal.FORGED
        if user.email == email and user.email_confirmed:
            return user, ConfirmationRefusal.USED
        if user.email != email or user._confirmation_stamp() != stamp:
            return user, ConfirmationRefusal.REPLACED
        if expired:
            return user, ConfirmationRefusal.EXPIRED
        return user, None
