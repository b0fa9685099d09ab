from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.uploads import DOCUMENT_KINDS, FileKindValidator, private_storage


class Tier(models.TextChoices):
    BASIC = "basic", _("Basic")
    VERIFIED = "verified", _("Verified")
    GOLD = "gold", _("Gold")


class SupplierProfileQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verified_at__isnull=False)

    def gold(self, at=None):
        return self.filter(gold_until__gt=at or timezone.now())

    def trade_assurance_eligible(self, at=None):
        return self.verified().gold(at)


class SupplierProfile(models.Model):
    """What Pactline knows about a supplier's standing. Tier and eligibility follow from
    verified_at and gold_until, so an expired membership ends eligibility by itself."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_profile"
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    gold_until = models.DateTimeField(_("Gold member until"), null=True, blank=True)
    ta_amount = models.BigIntegerField(_("Trade Assurance Amount (US cents)"), default=0)
    ta_amount_overridden = models.BooleanField(
        _("amount set by staff"),
        default=False,
        help_text=_("While set, the nightly recomputation leaves the amount alone."),
    )
    ta_amount_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SupplierProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("supplier profile")
        verbose_name_plural = _("supplier profiles")
        indexes = [models.Index(fields=["verified_at", "gold_until"])]

    def __str__(self):
        company = getattr(self.user, "company", None)
        return company.company_name if company else self.user.email

    def is_verified(self):
        return self.verified_at is not None

    def is_gold(self, at=None):
        return self.gold_until is not None and self.gold_until > (at or timezone.now())

    def tier(self, at=None):
        if self.is_gold(at):
            return Tier.GOLD
        if self.is_verified():
            return Tier.VERIFIED
        return Tier.BASIC

    def is_trade_assurance_eligible(self, at=None):
        return self.is_verified() and self.is_gold(at)


class ServicesAgreement(models.Model):
    """A version of the Trade Assurance Services Agreement. The newest published one is in force."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"))

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("services agreement")
        verbose_name_plural = _("services agreements")

    def __str__(self):
        return f"{self.title} ({self.version})"


def licence_upload_to(instance, filename):
    return f"verification/{instance.supplier_id}/licence/{filename}"


def certificate_upload_to(instance, filename):
    return f"verification/{instance.application.supplier_id}/certificates/{filename}"


class VerificationApplication(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        MORE_INFO = "more_info", _("More information requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verification_applications"
    )
    status = FSMField(
        max_length=16, choices=Status.choices, default=Status.SUBMITTED, protected=True
    )
    director_full_name = models.CharField(
        _("full legal name of the director or owner"), max_length=200
    )
    registered_company_name = models.CharField(_("registered company name"), max_length=200)
    registration_number = models.CharField(_("company registration number"), max_length=64)
    address = models.TextField(_("registered address"))
    business_licence = models.FileField(
        _("business licence"),
        storage=private_storage,
        upload_to=licence_upload_to,
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        max_length=255,
    )
    agreement = models.ForeignKey(
        ServicesAgreement, on_delete=models.PROTECT, verbose_name=_("accepted agreement")
    )
    agreement_accepted_at = models.DateTimeField(_("agreement accepted"))
    submitted_at = models.DateTimeField(_("submitted"))
    review_due_at = models.DateTimeField(_("review due"), db_index=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    decision_reason = models.TextField(_("reason given to the supplier"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("verification application")
        verbose_name_plural = _("verification applications")

    def __str__(self):
        return f"{self.registered_company_name} ({self.get_status_display()})"

    def is_overdue(self, at=None):
        return self.status == self.Status.SUBMITTED and self.review_due_at < (at or timezone.now())

    @transition(status, source=Status.SUBMITTED, target=Status.APPROVED)
    def approve(self):
        pass

    @transition(status, source=Status.SUBMITTED, target=Status.REJECTED)
    def reject(self):
        pass

    @transition(status, source=Status.SUBMITTED, target=Status.MORE_INFO)
    def request_more_info(self):
        pass

    @transition(status, source=Status.MORE_INFO, target=Status.SUBMITTED)
    def resubmit(self):
        pass


class Certificate(models.Model):
    application = models.ForeignKey(
        VerificationApplication, on_delete=models.CASCADE, related_name="certificates"
    )
    name = models.CharField(
        _("certificate"), max_length=200, help_text=_("For example ISO 9001 or CE.")
    )
    issuer = models.CharField(_("issued by"), max_length=200)
    number = models.CharField(_("certificate number"), max_length=100)
    expires_on = models.DateField(_("expires on"))
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=certificate_upload_to,
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        max_length=255,
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self):
        return f"{self.name} {self.number}"

    def is_expired(self, on=None):
        return self.expires_on < (on or timezone.localdate())


class GoldMembership(models.Model):
    """A paid year of Gold. Granted by staff until payments exist, then bought as well."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Granted by staff")
        PAYMENT = "payment", _("Paid")

    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gold_memberships"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    source = models.CharField(max_length=16, choices=Source.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_at"]
        verbose_name = _("Gold membership")
        verbose_name_plural = _("Gold memberships")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="suppliers_gold_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.supplier} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


class TradeAssuranceAmountChange(models.Model):
    """Every change of a supplier's Trade Assurance Amount: who, why, old, new, when."""

    class Source(models.TextChoices):
        COMPUTED = "computed", _("Recomputed from performance")
        OVERRIDE = "override", _("Set by staff")
        OVERRIDE_CLEARED = "override_cleared", _("Staff override removed")

    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ta_amount_changes"
    )
    old_amount = models.BigIntegerField()
    new_amount = models.BigIntegerField()
    source = models.CharField(max_length=20, choices=Source.choices)
    reason = models.TextField()
    inputs = models.JSONField(default=dict, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Trade Assurance Amount change")
        verbose_name_plural = _("Trade Assurance Amount changes")

    def __str__(self):
        return f"{self.supplier}: {self.old_amount} → {self.new_amount}"

    @property
    def lowered(self):
        return self.new_amount < self.old_amount
