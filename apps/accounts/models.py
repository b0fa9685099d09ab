import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

MEDIATORS_GROUP = "Mediators"


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def time_zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ().\-]{5,24}$",
    _("Enter a phone number of digits, optionally starting with + and a country code."),
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", User.Role.STAFF)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in with an email address. The role decides which portal they use."""

    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SUPPLIER = "supplier", _("Supplier")
        STAFF = "staff", _("Staff")

    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.BUYER)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Dates and times are shown to you in this time zone."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    @property
    def is_buyer(self):
        return self.role == self.Role.BUYER

    @property
    def is_supplier(self):
        return self.role == self.Role.SUPPLIER

    @property
    def is_mediator(self):
        return self.is_staff and self.groups.filter(name=MEDIATORS_GROUP).exists()


class CompanyProfile(models.Model):
    """The company a buyer or supplier trades as. One per user for now."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company"
    )
    company_name = models.CharField(_("company name"), max_length=200)
    country = CountryField(_("country"))
    contact_name = models.CharField(_("contact name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, validators=[phone_validator])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profiles")

    def __str__(self):
        return self.company_name


class Notification(models.Model):
    """A message to one user: shown in their notification list and sent by email.

    Written in the same transaction as the change it reports (an outbox row); email delivery
    happens after commit, and a beat sweep delivers any whose delivery message was lost."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_sent_at__isnull=True),
                name="accounts_notification_unsent",
            ),
        ]

    def __str__(self):
        return f"{self.user}: {self.subject}"
