from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from apps.core.money import format_money, parse_major
from apps.suppliers import services
from apps.suppliers.exceptions import SupplierError
from apps.suppliers.models import (
    Certificate,
    GoldMembership,
    ServicesAgreement,
    SupplierProfile,
    TradeAssuranceAmountChange,
    VerificationApplication,
)

# --- Verification ---------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("review time")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", _("Past the 2 business day target")), ("on_time", _("Within target"))]

    def queryset(self, request, queryset):
        waiting = queryset.filter(status=VerificationApplication.Status.SUBMITTED)
        if self.value() == "overdue":
            return waiting.filter(review_due_at__lt=timezone.now())
        if self.value() == "on_time":
            return waiting.filter(review_due_at__gte=timezone.now())
        return queryset


class DecisionForm(forms.ModelForm):
    DECISIONS = [
        ("", _("— no decision yet —")),
        ("approve", _("Approve")),
        ("reject", _("Reject")),
        ("more_info", _("Ask for more information")),
    ]
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, required=False)
    reason = forms.CharField(
        label=_("Reason for the supplier"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Required to reject or to ask for more information; the supplier reads it."),
    )

    class Meta:
        model = VerificationApplication
        fields = []

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") in ("reject", "more_info")
            and not cleaned.get("reason", "").strip()
        ):
            self.add_error("reason", _("Write the reason the supplier will read."))
        if (
            cleaned.get("decision")
            and self.instance.status != VerificationApplication.Status.SUBMITTED
        ):
            self.add_error("decision", _("This application is not waiting for a decision."))
        return cleaned


class CertificateInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Certificate
    fields = ["name", "issuer", "number", "expires_on", "document"]

    @admin.display(description=_("file"))
    def document(self, obj):
        url = reverse("verification_document", args=["certificate", obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))


@admin.register(VerificationApplication)
class VerificationApplicationAdmin(admin.ModelAdmin):
    form = DecisionForm
    list_display = [
        "registered_company_name",
        "supplier",
        "status",
        "submitted_at",
        "review_due_at",
        "overdue",
    ]
    list_filter = ["status", OverdueFilter]
    search_fields = ["registered_company_name", "registration_number", "supplier__email"]
    list_select_related = ["supplier"]
    inlines = [CertificateInline]
    readonly_fields = [
        "supplier",
        "status",
        "director_full_name",
        "registered_company_name",
        "registration_number",
        "address",
        "licence",
        "agreement",
        "agreement_accepted_at",
        "submitted_at",
        "review_due_at",
        "reviewed_at",
        "reviewed_by",
        "decision_reason",
    ]
    fieldsets = [
        (_("Applicant"), {"fields": ["supplier", "status", "submitted_at", "review_due_at"]}),
        (
            _("Company"),
            {
                "fields": [
                    "director_full_name",
                    "registered_company_name",
                    "registration_number",
                    "address",
                    "licence",
                    "agreement",
                    "agreement_accepted_at",
                ]
            },
        ),
        (
            _("Review"),
            {"fields": ["reviewed_at", "reviewed_by", "decision_reason", "decision", "reason"]},
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj):
        return obj.is_overdue()

    @admin.display(description=_("business licence"))
    def licence(self, obj):
        url = reverse("verification_document", args=["licence", obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the business licence"))

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        service = {
            "approve": services.verification_approve,
            "reject": services.verification_reject,
            "more_info": services.verification_request_info,
        }[decision]
        try:
            service(application=obj, acting_user=request.user, reason=form.cleaned_data["reason"])
        except SupplierError as error:
            messages.error(request, error.message)


# --- Supplier profiles: Gold and the Trade Assurance Amount -------------------------------------


class SupplierProfileForm(forms.ModelForm):
    grant_gold = forms.BooleanField(
        label=_("Grant a year of Gold membership"),
        required=False,
        help_text=_("Starts now, or when the current membership ends."),
    )
    gold_note = forms.CharField(label=_("Note on the membership"), required=False, max_length=300)
    new_ta_amount = forms.CharField(
        label=_("Set the Trade Assurance Amount (USD)"),
        required=False,
        help_text=_("Overrides the formula until the override is removed."),
    )
    override_reason = forms.CharField(
        label=_("Reason for the new amount"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required with a new amount; the supplier sees it."),
    )
    clear_override = forms.BooleanField(
        label=_("Remove the staff override and recompute now"), required=False
    )

    class Meta:
        model = SupplierProfile
        fields = []

    def clean_new_ta_amount(self):
        text = self.cleaned_data.get("new_ta_amount", "").strip()
        if not text:
            return None
        try:
            return parse_major(text, "USD")
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages) from error

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("new_ta_amount") is not None
            and not cleaned.get("override_reason", "").strip()
        ):
            self.add_error("override_reason", _("Write the reason the supplier will read."))
        if cleaned.get("new_ta_amount") is not None and cleaned.get("clear_override"):
            self.add_error("clear_override", _("Either set an amount or remove the override."))
        return cleaned


@admin.register(SupplierProfile)
class SupplierProfileAdmin(admin.ModelAdmin):
    form = SupplierProfileForm
    list_display = [
        "__str__",
        "user",
        "tier_display",
        "verified_at",
        "gold_until",
        "amount",
        "ta_amount_overridden",
    ]
    list_filter = ["ta_amount_overridden"]
    search_fields = ["user__email", "user__company__company_name"]
    list_select_related = ["user", "user__company"]
    readonly_fields = [
        "user",
        "tier_display",
        "verified_at",
        "gold_until",
        "amount",
        "ta_amount_overridden",
        "ta_amount_updated_at",
        "history_link",
    ]
    fieldsets = [
        (None, {"fields": ["user", "tier_display", "verified_at"]}),
        (_("Gold membership"), {"fields": ["gold_until", "grant_gold", "gold_note"]}),
        (
            _("Trade Assurance Amount"),
            {
                "fields": [
                    "amount",
                    "ta_amount_overridden",
                    "ta_amount_updated_at",
                    "history_link",
                    "new_ta_amount",
                    "override_reason",
                    "clear_override",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("tier"))
    def tier_display(self, obj):
        return obj.tier().label

    @admin.display(description=_("Trade Assurance Amount"), ordering="ta_amount")
    def amount(self, obj):
        return format_money(obj.ta_amount, "USD")

    @admin.display(description=_("history"))
    def history_link(self, obj):
        url = reverse("admin:suppliers_tradeassuranceamountchange_changelist")
        return format_html(
            '<a href="{}?supplier__id__exact={}">{}</a>', url, obj.user_id, _("All changes")
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if data.get("grant_gold"):
                services.gold_membership_grant(
                    supplier=obj.user, acting_user=request.user, note=data.get("gold_note", "")
                )
            if data.get("new_ta_amount") is not None:
                services.ta_amount_override(
                    supplier=obj.user,
                    amount=data["new_ta_amount"],
                    reason=data["override_reason"],
                    acting_user=request.user,
                )
            if data.get("clear_override"):
                services.ta_amount_override_clear(supplier=obj.user, acting_user=request.user)
        except SupplierError as error:
            messages.error(request, error.message)


@admin.register(TradeAssuranceAmountChange)
class TradeAssuranceAmountChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["supplier", "created_at", "old", "new", "source", "changed_by", "reason"]
    list_filter = ["source"]
    search_fields = ["supplier__email", "reason"]
    list_select_related = ["supplier", "changed_by"]

    @admin.display(description=_("old amount"))
    def old(self, obj):
        return format_money(obj.old_amount, "USD")

    @admin.display(description=_("new amount"))
    def new(self, obj):
        return format_money(obj.new_amount, "USD")


@admin.register(GoldMembership)
class GoldMembershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["supplier", "starts_at", "ends_at", "source", "granted_by"]
    list_filter = ["source"]
    search_fields = ["supplier__email"]
    list_select_related = ["supplier", "granted_by"]


@admin.register(ServicesAgreement)
class ServicesAgreementAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at"]

    def get_readonly_fields(self, request, obj=None):
        # A version someone accepted is part of their record: publish a new version instead.
        if obj and obj.verificationapplication_set.exists():
            return ["version", "title", "body", "published_at"]
        return []

    def has_delete_permission(self, request, obj=None):
        return False
