from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from yumroad_site.retirement import RetiringQuerySet
from yumroad_site.validators import normalize_email

DUPLICATE_EMAIL_MESSAGE = "That email already has an account."

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
