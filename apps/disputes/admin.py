"""Mediation in the Django admin, for staff in the Mediators group.

The queue lists cases with SLA columns (pick-up, evidence window, decision due) and filters
(waiting for pick-up, evidence open, decision due, overdue); overdue cases stand out. The case
page shows, side by side, the confirmed contract, the claim, both parties' evidence, offers, the
order's messages and timeline, the inspection defect rate and the partial refund it suggests.
The state machine's mediator steps are FSMAdminMixin buttons (offered to mediators only), and
each runs through apps.disputes.services, never by calling the transition itself; a refusal is
an admin message."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from apps.core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from apps.core.money import format_money, parse_major
from apps.disputes import selectors, services
from apps.disputes.exceptions import NotAMediator
from apps.disputes.models import Case, CaseEvent, Decision, Evidence, Offer, Outcome
from apps.orders.exceptions import OrderError

Status = Case.Status
# The transitions a mediator runs from the admin (each through its service).
MEDIATOR_STEPS = ("pick_up", "take_appeal", "decide", "decide_appeal")


class AdminDecisionForm(forms.Form):
    """The decision: an outcome, the refund (typed in the order's currency), the clause or
    policy applied and a written rationale, both required."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices)
    refund_amount = forms.CharField(
        label=_("Refund amount"),
        required=False,
        max_length=30,
        help_text=_(
            "In the order's currency, for a partial refund or a return and refund (e.g. 1250.00)."
        ),
    )
    clause = forms.CharField(
        label=_("Contract clause or policy applied"),
        max_length=300,
        help_text=_("E.g. 'Contract v1, quality standard: AQL 2.5' or 'Policy: evidence window'."),
    )
    rationale = forms.CharField(
        label=_("Rationale"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        max_length=10000,
        help_text=_("Both parties read it in the portal and by email."),
    )

    def clean_rationale(self):
        value = self.cleaned_data["rationale"].strip()
        if not value:
            raise ValidationError(_("Write the rationale of the decision."))
        return value


# --- the queue ------------------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    title = _("mediation queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("pickup", _("Waiting for pick-up")),
            ("evidence", _("Evidence open")),
            ("decision", _("Decision due")),
            ("overdue", _("Overdue")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        waiting = Q(status=Status.ESCALATED) | Q(
            status=Status.APPEALED, appeal_mediator__isnull=True
        )
        deciding = Q(status=Status.DELIBERATION) | Q(
            status=Status.APPEALED, appeal_mediator__isnull=False
        )
        if self.value() == "pickup":
            return queryset.filter(waiting)
        if self.value() == "evidence":
            return queryset.filter(status=Status.EVIDENCE)
        if self.value() == "decision":
            return queryset.filter(deciding)
        if self.value() == "overdue":
            return queryset.filter(
                Q(sla_breached_at__isnull=False, status__in=Case.MEDIATION_STATES)
                | (waiting & Q(pickup_due_at__lte=now))
                | (deciding & Q(decision_due_at__lte=now))
            )
        return queryset


class EvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Evidence
    fields = ["party", "kind", "download", "description", "defect_rate", "for_appeal", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj):
        url = reverse("dispute_evidence_file", args=[obj.case_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.filename)


class OfferInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Offer
    fields = ["party", "outcome", "amount", "message", "status", "created_at"]


class DecisionInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Decision
    fields = ["mediator", "outcome", "refund_amount", "clause", "rationale", "on_appeal"]


class CaseEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = CaseEvent
    fields = ["created_at", "type", "user", "from_status", "to_status", "parameters"]


@admin.register(Case)
class CaseAdmin(FSMAdminMixin, admin.ModelAdmin):
    fsm_fields = ["status"]
    # Only the transitions marked for the admin (the mediator's steps) get a button.
    fsm_default_disallow_transition = False
    change_form_template = "disputes/admin/case_change_form.html"
    fsm_transition_form_template = "disputes/admin/case_transition_form.html"
    list_display = [
        "reference",
        "order_link",
        "status",
        "kind",
        "reason",
        "opened_at",
        "mediator",
        "sla",
    ]
    list_filter = [QueueFilter, "status", "kind", "reason"]
    search_fields = ["=id", "=order__id", "buyer__email", "supplier__email"]
    list_select_related = ["order", "mediator"]
    ordering = ["next_deadline_at", "opened_at"]
    inlines = [EvidenceInline, OfferInline, DecisionInline, CaseEventInline]

    class Media:
        css = {"all": ["css/disputes-admin.css"]}

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order_link",
                    "status",
                    "kind",
                    "buyer",
                    "supplier",
                    "mediator",
                    "appeal_mediator",
                ]
            },
        ),
        (
            _("Claim"),
            {
                "fields": [
                    "reason",
                    "requested_outcome",
                    "requested_money",
                    "description",
                    "defect_rate",
                ]
            },
        ),
        (
            _("Deadlines"),
            {
                "fields": [
                    "opened_at",
                    "answer_due_at",
                    "auto_escalate_at",
                    "escalated_at",
                    "pickup_due_at",
                    "evidence_closes_at",
                    "decision_due_at",
                    "appeal_closes_at",
                    "sla_breached_at",
                ]
            },
        ),
        (
            _("Outcome"),
            {
                "fields": [
                    "outcome",
                    "outcome_amount",
                    "refunded_amount",
                    "paid_from_coverage",
                    "appealed_by",
                    "appeal_reason",
                    "closed_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Every field: cases change only through the services (the buttons below).
        names = [f.name for f in self.model._meta.fields]
        return [*names, "order_link", "requested_money"]

    @admin.display(description=_("case"), ordering="pk")
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return obj.order.reference

    @admin.display(description=_("requested"))
    def requested_money(self, obj):
        amount = format_money(obj.requested_amount, obj.currency)
        return f"{obj.get_requested_outcome_display()}: {amount}"

    @admin.display(description=_("SLA"))
    def sla(self, obj):
        state = selectors.mediation_sla_state(obj)
        due = None
        label = ""
        if obj.status == Status.ESCALATED or (
            obj.status == Status.APPEALED and obj.appeal_mediator_id is None
        ):
            due, label = obj.pickup_due_at, gettext("pick up by")
        elif obj.status == Status.EVIDENCE:
            due, label = obj.evidence_closes_at, gettext("evidence closes")
        elif obj.status in (Status.DELIBERATION, Status.APPEALED):
            due, label = obj.decision_due_at, gettext("decide by")
        elif obj.status == Status.DECIDED:
            due, label = obj.appeal_closes_at, gettext("appeal window closes")
        if due is None:
            return "—"
        when = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
        if state == "overdue":
            return format_html(
                '<strong class="pl-overdue">⚠ {} {} ({})</strong>',
                label,
                when,
                gettext("overdue"),
            )
        if state == "due_soon":
            return format_html('<strong class="pl-due-soon">{} {}</strong>', label, when)
        return f"{label} {when}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, object_id)
        if request.method == "POST" and self.fsm_post_param in request.POST and case is not None:
            # A step button: no model form to save (every field is read-only), only the step.
            if not self.has_change_permission(request, case):
                raise PermissionDenied
            if request.POST[self.fsm_post_param] not in MEDIATOR_STEPS:
                self.message_user(request, gettext("That step is not done here."), messages.ERROR)
                return redirect(request.path)
            return self.response_change(request, case)
        if case is not None:
            extra_context["side"] = selectors.case_side_by_side(case=case)
            extra_context["sla_state"] = selectors.mediation_sla_state(case)
        return super().change_view(request, object_id, form_url, extra_context)

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        if transition_name not in MEDIATOR_STEPS:
            raise Http404
        return super().fsm_transition_view(request, object_id, transition_name, **kwargs)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        """Runs the mediator's step through its service (locks, money, events, emails)."""
        kwargs = dict(kwargs or {})
        transition = self._get_fsm_transition_by_name(obj=obj, transition_name=transition_name)
        if not transition.has_perm(obj, user=request.user):
            self.message_user(request, str(NotAMediator.default_message), messages.ERROR)
            return False
        try:
            if transition_name in ("pick_up", "take_appeal"):
                services.case_pick_up(case=obj, acting_user=request.user)
                done = gettext("You picked up %(case)s.") % {"case": obj.reference}
            elif transition_name in ("decide", "decide_appeal"):
                typed = (kwargs.get("refund_amount") or "").strip()
                try:
                    amount = parse_major(typed, obj.currency) if typed else None
                except ValidationError as exc:
                    self.message_user(request, " ".join(exc.messages), messages.ERROR)
                    return False
                services.case_decide(
                    case=obj,
                    acting_user=request.user,
                    outcome=kwargs.get("outcome"),
                    refund_amount=amount,
                    rationale=kwargs.get("rationale", ""),
                    clause=kwargs.get("clause", ""),
                )
                done = gettext("Decision recorded and sent to both parties.")
            else:
                self.message_user(request, gettext("That step is not done here."), messages.ERROR)
                return False
        except OrderError as exc:
            self.message_user(request, exc.text, messages.ERROR)
            return False
        self.message_user(request, done, messages.SUCCESS)
        return True


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "type", "user", "from_status", "to_status", "created_at"]
    list_filter = ["type"]
    list_select_related = ["case", "user"]
