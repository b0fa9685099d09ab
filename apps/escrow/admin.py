"""Staff's view of the money: the whole ledger, payments, provider webhooks and idempotency
records, read-only (ledger rows are never updated or deleted; a correction is a new entry), and
payouts, which staff move on only through apps.escrow.services.payout_advance."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from apps.core.crypto import digests
from apps.core.money import format_money
from apps.escrow import services
from apps.escrow.bank import compact
from apps.escrow.forms import HolderRefusalForm
from apps.escrow.models import (
    GoldPurchase,
    IdempotencyRecord,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    RefundAccount,
    WebhookEvent,
)
from apps.escrow.views import sandbox_simulatable, sandbox_transfer_simulate
from apps.orders.exceptions import OrderError


def _money(amount, currency):
    return format_money(amount, currency) if currency else amount


class LedgerPostingInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = LedgerPosting
    fields = ["account", "signed_amount"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__order", "account__user")

    @admin.display(description=_("amount"))
    def signed_amount(self, obj):
        return _money(obj.amount, obj.currency)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "order", "description", "idempotency_key", "created_by"]
    list_filter = ["kind", "created_at"]
    search_fields = ["idempotency_key", "description", "created_by__email"]
    list_select_related = ["order", "created_by"]
    date_hierarchy = "created_at"
    inlines = [LedgerPostingInline]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "currency", "order", "user", "balance_display"]
    list_filter = ["kind", "currency"]
    search_fields = ["user__email"]
    list_select_related = ["order", "user"]

    @admin.display(description=_("balance"), ordering="balance")
    def balance_display(self, obj):
        return _money(obj.balance, obj.currency)


@admin.register(LedgerPosting)
class LedgerPostingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["entry", "entry_created_at", "account", "amount_display"]
    list_filter = ["currency", "account__kind", "entry__kind"]
    search_fields = ["entry__idempotency_key", "account__user__email"]
    list_select_related = ["entry", "account__order", "account__user"]

    @admin.display(description=_("when"), ordering="entry__created_at")
    def entry_created_at(self, obj):
        return obj.entry.created_at

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return _money(obj.amount, obj.currency)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "provider_reference",
        "order",
        "purpose",
        "method",
        "amount_display",
        "received_display",
        "status",
        "created_at",
    ]
    list_filter = ["status", "method", "purpose", "provider"]
    search_fields = ["provider_reference", "payer__email"]
    list_select_related = ["order"]
    actions = ["simulate_transfer"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return _money(obj.amount, obj.currency)

    @admin.display(description=_("received"), ordering="received_amount")
    def received_display(self, obj):
        return _money(obj.received_amount, obj.currency)

    def has_simulate_permission(self, request):
        return request.user.is_staff and request.user.has_perm("escrow.view_payment")

    @admin.action(
        description=_("Sandbox: simulate the transfer arriving"),
        permissions=["simulate"],
    )
    def simulate_transfer(self, request, queryset):
        done = 0
        for payment in queryset:
            if not sandbox_simulatable(payment):
                self.message_user(
                    request,
                    _("%(payment)s is not a pending sandbox payment; left as it is.")
                    % {"payment": payment.provider_reference},
                    messages.WARNING,
                )
                continue
            sandbox_transfer_simulate(payment=payment)
            done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Sandbox: %(count)d transfer arrived.",
                    "Sandbox: %(count)d transfers arrived.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )


@admin.register(GoldPurchase)
class GoldPurchaseAdmin(PaymentAdmin):
    """Suppliers' Gold purchases, read-only like payments, with the same sandbox action."""

    list_display = [
        "provider_reference",
        "supplier",
        "method",
        "amount_display",
        "received_display",
        "status",
        "membership",
        "created_at",
    ]
    list_filter = ["status", "method", "provider"]
    search_fields = ["provider_reference", "supplier__email"]
    list_select_related = ["supplier", "membership"]

    def has_simulate_permission(self, request):
        return request.user.is_staff and request.user.has_perm("escrow.view_goldpurchase")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "type", "event_id"]
    list_filter = ["provider", "type"]
    search_fields = ["event_id"]
    date_hierarchy = "received_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "key", "response_status"]
    search_fields = ["key", "user__email"]
    list_select_related = ["user"]


class CurrentAccountFilter(admin.SimpleListFilter):
    title = _("current")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("Current")), ("no", _("Replaced"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(replaced_at__isnull=self.value() == "yes")
        return queryset


class BankAccountAdminMixin:
    """What both bank account admins share: the masked number as a column; search by the whole
    number, with or without spaces (through its digest: the number itself is stored
    encrypted); and, on a row, the other users who gave the same account, which staff look at
    before money goes there."""

    readonly_fields = ["same_account_elsewhere"]

    @admin.display(description=_("account"))
    def masked(self, obj):
        return obj.masked

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = compact(search_term)
        if number:
            found = found | queryset.filter(number_digest__in=digests(number))
        return found, may_have_duplicates

    @admin.display(description=_("same account given by"))
    def same_account_elsewhere(self, obj):
        found = digests(obj.number)
        suppliers = {
            account.supplier.email: _("%(email)s (payouts)") % {"email": account.supplier.email}
            for account in PayoutAccount.objects.filter(number_digest__in=found)
            .exclude(supplier_id=getattr(obj, "supplier_id", None))
            .select_related("supplier")
        }
        buyers = {
            account.buyer.email: _("%(email)s (refunds)") % {"email": account.buyer.email}
            for account in RefundAccount.objects.filter(number_digest__in=found)
            .exclude(buyer_id=getattr(obj, "buyer_id", None))
            .select_related("buyer")
        }
        others = [suppliers[email] for email in sorted(suppliers)]
        others += [buyers[email] for email in sorted(buyers)]
        return ", ".join(others) or _("nobody else")


@admin.register(PayoutAccount)
class PayoutAccountAdmin(BankAccountAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Suppliers' payout bank accounts, current and replaced: staff reconcile payouts against
    them, and only the supplier changes them (with its password)."""

    list_display = [
        "supplier",
        "masked",
        "holder_name",
        "holder_check",
        "country",
        "bic",
        "created_at",
        "payouts_from",
        "replaced_at",
    ]
    list_filter = [CurrentAccountFilter, "holder_check", "country"]
    search_fields = ["supplier__email", "holder_name", "bic"]
    list_select_related = ["supplier"]
    date_hierarchy = "created_at"
    readonly_fields = [*BankAccountAdminMixin.readonly_fields, "company_name", "holder_decision"]
    actions = ["approve_holder"]

    @admin.display(description=_("supplier's company"))
    def company_name(self, obj):
        """The name the holder check compares with (the verified registered name, once there
        is one), so staff judge the holder against what the rule saw."""
        return services.payout_company_name(obj.supplier) or "\u2014"

    @admin.display(description=_("holder decision"))
    def holder_decision(self, obj):
        if not obj.holder_waiting or obj.replaced_at is not None:
            return obj.holder_refusal_reason or "\u2014"
        return format_html(
            '<a class="button" href="{}">{}</a> {}',
            reverse("admin:escrow_payoutaccount_refuse_holder", args=[obj.pk]),
            _("Refuse the holder…"),
            _("(to approve it, use the action on the list)"),
        )

    def get_urls(self):
        refuse = self.admin_site.admin_view(self.refuse_holder_view)
        return [
            path("<int:pk>/refuse-holder/", refuse, name="escrow_payoutaccount_refuse_holder"),
            *super().get_urls(),
        ]

    def refuse_holder_view(self, request, pk):
        """A form for the reason the supplier will read, then the service."""
        if not self.has_check_permission(request):
            raise PermissionDenied
        account = get_object_or_404(PayoutAccount.objects.select_related("supplier"), pk=pk)
        form = HolderRefusalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payout_account_holder_refuse(
                    account=account, acting_user=request.user, reason=form.cleaned_data["reason"]
                )
            except OrderError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("The holder of %(account)s was refused; the supplier is emailed.")
                    % {"account": account},
                    messages.SUCCESS,
                )
            return redirect("admin:escrow_payoutaccount_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": account,
            "form": form,
            "title": _("Refuse the account holder"),
        }
        return TemplateResponse(request, "escrow/admin/refuse_holder.html", context)

    def has_check_permission(self, request):
        return request.user.is_staff and request.user.has_perm("escrow.change_payoutaccount")

    @admin.action(
        description=_("Approve the holder (the account is the supplier's own)"),
        permissions=["check"],
    )
    def approve_holder(self, request, queryset):
        _each_through_service(
            self,
            request,
            queryset,
            lambda account: services.payout_account_holder_approve(
                account=account, acting_user=request.user
            ),
            refused=_("Payout account %(pk)s: %(error)s"),
            done_message=lambda done: (
                ngettext(
                    "%(count)d account holder approved; the supplier is emailed.",
                    "%(count)d account holders approved; the suppliers are emailed.",
                    done,
                )
                % {"count": done}
            ),
        )


@admin.register(RefundAccount)
class RefundAccountAdmin(BankAccountAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bank accounts buyers gave for refunds their bank or card did not take, current and
    replaced: staff check one before sending the refund again there."""

    list_display = ["refund", "buyer", "masked", "holder_name", "country", "bic", "created_at"]
    list_filter = [CurrentAccountFilter, "country"]
    search_fields = ["buyer__email", "holder_name", "refund__provider_reference"]
    list_select_related = ["refund", "buyer"]


def _each_through_service(model_admin, request, queryset, step, *, refused, done_message):
    """An admin action's `step` (a service call) on each selected row: a refusal is an error
    message naming the row (`refused` % pk, error), the rest one success message."""
    done = 0
    for obj in queryset:
        try:
            step(obj)
        except OrderError as exc:
            model_admin.message_user(
                request, refused % {"pk": obj.pk, "error": exc.message}, messages.ERROR
            )
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message(done), messages.SUCCESS)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only rows; the status moves only through the actions, which call the service."""

    list_display = [
        "pk",
        "supplier",
        "amount_display",
        "status",
        "destination",
        "provider_reference",
        "created_at",
        "updated_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["supplier__email", "provider_reference", "account__iban"]
    list_select_related = ["supplier"]
    actions = ["mark_processing", "mark_paid", "mark_failed"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return _money(obj.amount, obj.currency)

    def has_advance_permission(self, request):
        return request.user.is_staff and request.user.has_perm("escrow.change_payout")

    def _advance(self, request, queryset, to):
        _each_through_service(
            self,
            request,
            queryset,
            lambda payout: services.payout_advance(payout=payout, acting_user=request.user, to=to),
            refused=_("Payout %(pk)s: %(error)s"),
            done_message=lambda done: (
                ngettext(
                    "%(count)d payout is now %(status)s.",
                    "%(count)d payouts are now %(status)s.",
                    done,
                )
                % {"count": done, "status": Payout.Status(to).label.lower()}
            ),
        )

    @admin.action(description=_("Mark processing"), permissions=["advance"])
    def mark_processing(self, request, queryset):
        self._advance(request, queryset, "processing")

    @admin.action(description=_("Mark paid"), permissions=["advance"])
    def mark_paid(self, request, queryset):
        self._advance(request, queryset, "paid")

    @admin.action(description=_("Mark failed (money back to the balance)"), permissions=["advance"])
    def mark_failed(self, request, queryset):
        self._advance(request, queryset, "failed")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Money sent back to buyers. Read-only rows; staff record the bank's answer when the
    provider's webhook did not come, and send an undelivered refund again, through the
    services."""

    list_display = [
        "pk",
        "order",
        "buyer",
        "amount_display",
        "method",
        "destination",
        "status",
        "provider_reference",
        "failure_reason",
        "created_at",
    ]
    list_filter = ["status", "method", "currency"]
    search_fields = ["buyer__email", "provider_reference", "order__id"]
    list_select_related = ["order", "buyer"]
    actions = ["send_again", "mark_refunded", "mark_failed"]

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj):
        return _money(obj.amount, obj.currency)

    def has_advance_permission(self, request):
        return request.user.is_staff and request.user.has_perm("escrow.change_refund")

    def _each(self, request, queryset, step, done_message):
        _each_through_service(
            self,
            request,
            queryset,
            step,
            refused=_("Refund %(pk)s: %(error)s"),
            done_message=done_message,
        )

    @admin.action(description=_("Send again (undelivered refunds)"), permissions=["advance"])
    def send_again(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda refund: services.refund_retry(refund=refund, acting_user=request.user),
            lambda done: (
                ngettext(
                    "%(count)d refund was sent again.", "%(count)d refunds were sent again.", done
                )
                % {"count": done}
            ),
        )

    def _advance(self, request, queryset, to):
        self._each(
            request,
            queryset,
            lambda refund: services.refund_advance(refund=refund, acting_user=request.user, to=to),
            lambda done: (
                ngettext(
                    "%(count)d refund is now %(status)s.",
                    "%(count)d refunds are now %(status)s.",
                    done,
                )
                % {"count": done, "status": Refund.Status(to).label.lower()}
            ),
        )

    @admin.action(description=_("Mark refunded (the bank confirmed it)"), permissions=["advance"])
    def mark_refunded(self, request, queryset):
        self._advance(request, queryset, "refunded")

    @admin.action(description=_("Mark not delivered (held for the buyer)"), permissions=["advance"])
    def mark_failed(self, request, queryset):
        self._advance(request, queryset, "failed")
