"""Dispute cases: a buyer's claim on an order, the negotiation, mediation and appeal.

A case has a state machine (django-fsm-2, protected): transitions run only inside
apps/disputes/services.py, which locks the order row and then the case row, moves money in the
same transaction and writes a CaseEvent for every step. What the clock must do later is a row:
`next_deadline_at` is the one deadline the current state acts on, found through a partial index.

    open ──supplier answers──▶ negotiating ──buyer accepts──▶ settled (money moves at once)
      │                            │  └──return agreed──▶ returning ──shipped back──▶ return_shipped
      │                            │                       └──supplier confirms──▶ closed
      ├─day 7, no answer──▶ settled (default refund)
      └─buyer escalates (from day 4) or day 7──▶ escalated ──mediator picks up──▶ evidence
    evidence ──window closes──▶ deliberation ──decision──▶ decided ──appeal──▶ appealed ──▶ closed
    decided ──both accept / window closes──▶ closed (money moves)   (return decisions: returning)
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.uploads import DOCUMENT_KINDS, FileKindValidator, private_storage


class Outcome(models.TextChoices):
    RELEASE = "release", _("Release to the supplier")
    REFUND = "refund", _("Full refund")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    RETURN_AND_REFUND = "return_and_refund", _("Return and refund")


class Party(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    SUPPLIER = "supplier", _("Supplier")
    MEDIATOR = "mediator", _("Mediator")
    PACTLINE = "pactline", _("Pactline (automatic)")


def _is_mediator(instance, user):
    return bool(user.is_active and (user.is_superuser or user.is_mediator))


def _appeal_unassigned(instance):
    return instance.appeal_mediator_id is None


def _appeal_assigned(instance):
    return instance.appeal_mediator_id is not None


class Case(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the supplier's answer")
        NEGOTIATING = "negotiating", _("Negotiating")
        RETURNING = "returning", _("Goods being returned")
        RETURN_SHIPPED = "return_shipped", _("Return shipped")
        ESCALATED = "escalated", _("Waiting for a mediator")
        EVIDENCE = "evidence", _("Evidence window open")
        DELIBERATION = "deliberation", _("Mediator deciding")
        DECIDED = "decided", _("Decided")
        APPEALED = "appealed", _("Appealed")
        SETTLED = "settled", _("Settled")
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        ESCROW = "escrow", _("Before release (escrow frozen)")
        POST_DELIVERY = "post_delivery", _("After delivery (Trade Assurance coverage)")

    class Reason(models.TextChoices):
        NOT_SHIPPED = "not_shipped", _("Not shipped on time")
        NOT_RECEIVED = "not_received", _("Not received")
        QUALITY = "quality", _("Quality not as in the contract")
        SHORT_QUANTITY = "short_quantity", _("Short quantity")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        COUNTERFEIT = "counterfeit", _("Counterfeit goods or false certificates")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="cases")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_as_buyer"
    )
    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases_as_supplier"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, protected=True
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    requested_outcome = models.CharField(
        _("requested outcome"), max_length=20, choices=Outcome.choices
    )
    # What the buyer asks back, in minor units of the order's currency (full: the order value).
    requested_amount = models.BigIntegerField(_("amount requested"))
    currency = models.CharField(max_length=3)
    description = models.TextField(_("what went wrong"))
    affected_lines = models.ManyToManyField(
        "orders.ContractLine", related_name="+", verbose_name=_("affected contract lines")
    )
    # From an inspection report, in percent (e.g. 12.50).
    defect_rate = models.DecimalField(
        _("inspection defect rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    opened_at = models.DateTimeField(default=timezone.now)
    supplier_answered_at = models.DateTimeField(null=True, blank=True)
    answer_due_at = models.DateTimeField(_("supplier answers by"))
    escalation_opens_at = models.DateTimeField(_("buyer may escalate from"))
    auto_escalate_at = models.DateTimeField(_("escalates automatically on"))
    escalated_at = models.DateTimeField(null=True, blank=True)
    pickup_due_at = models.DateTimeField(_("pick-up due"), null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    evidence_closes_at = models.DateTimeField(_("evidence window closes"), null=True, blank=True)
    decision_due_at = models.DateTimeField(_("decision due"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    appeal_closes_at = models.DateTimeField(_("appeal window closes"), null=True, blank=True)
    return_ship_by = models.DateTimeField(_("return shipped by"), null=True, blank=True)
    return_confirm_by = models.DateTimeField(_("return confirmed by"), null=True, blank=True)
    return_carrier = models.CharField(_("return carrier"), max_length=100, blank=True)
    return_tracking = models.CharField(_("return tracking number"), max_length=100, blank=True)
    # The deadline the clock acts on in the current state (None: nothing automatic).
    next_deadline_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("SLA missed"), null=True, blank=True)

    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_mediated",
        verbose_name=_("mediator"),
    )
    appeal_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals_mediated",
        verbose_name=_("appeal mediator"),
    )
    appealed_by = models.CharField(max_length=8, choices=Party.choices, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_reason = models.TextField(_("grounds of appeal"), blank=True)
    buyer_accepted_at = models.DateTimeField(null=True, blank=True)
    supplier_accepted_at = models.DateTimeField(null=True, blank=True)

    # The outcome being carried out (agreed or decided) and what it pays the buyer.
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_amount = models.BigIntegerField(_("refund agreed or decided"), null=True, blank=True)
    refunded_amount = models.BigIntegerField(_("refunded"), default=0)
    paid_from_coverage = models.BigIntegerField(_("paid from coverage"), default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    OPEN_STATES = (
        Status.OPEN,
        Status.NEGOTIATING,
        Status.RETURNING,
        Status.RETURN_SHIPPED,
        Status.ESCALATED,
        Status.EVIDENCE,
        Status.DELIBERATION,
        Status.DECIDED,
        Status.APPEALED,
    )
    MEDIATION_STATES = (
        Status.ESCALATED,
        Status.EVIDENCE,
        Status.DELIBERATION,
        Status.DECIDED,
        Status.APPEALED,
    )

    class Meta:
        verbose_name = _("dispute case")
        verbose_name_plural = _("dispute cases")
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_deadline_at"],
                name="disputes_case_deadline_due",
                condition=Q(next_deadline_at__isnull=False),
            ),
            models.Index(fields=["supplier", "opened_at"]),
            models.Index(fields=["buyer", "-opened_at"]),
            models.Index(fields=["status", "pickup_due_at"]),
        ]
        constraints = [
            # One case at a time per order: the escrow freeze and the coverage are per order.
            models.UniqueConstraint(
                fields=["order"],
                condition=~Q(status__in=["settled", "closed"]),
                name="disputes_one_open_case_per_order",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0), name="disputes_requested_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(outcome_amount__isnull=True) | Q(outcome_amount__gte=0),
                name="disputes_outcome_not_negative",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        return f"DC-{self.pk:06d}" if self.pk else "DC-new"

    def party(self, user):
        if user.pk == self.buyer_id:
            return Party.BUYER
        if user.pk == self.supplier_id:
            return Party.SUPPLIER
        return None

    @property
    def is_open(self):
        return self.status in self.OPEN_STATES

    @property
    def is_post_delivery(self):
        return self.kind == self.Kind.POST_DELIVERY

    @property
    def final_decision(self):
        """The decision that stands: the appeal's, if there is one."""
        return self.decisions.order_by("-created_at", "-pk").first()

    # --- transitions: state only; services lock, check, move money and write events.

    @transition(status, source=Status.OPEN, target=Status.NEGOTIATING)
    def answer(self):
        pass

    @transition(status, source=Status.NEGOTIATING, target=Status.NEGOTIATING)
    def counter(self):
        pass

    @transition(status, source=[Status.OPEN, Status.NEGOTIATING], target=Status.ESCALATED)
    def escalate(self):
        pass

    @transition(status, source=Status.RETURN_SHIPPED, target=Status.ESCALATED)
    def dispute_return(self):
        """The supplier says the return did not arrive as agreed: a mediator looks at it."""

    @transition(status, source=[Status.OPEN, Status.NEGOTIATING], target=Status.SETTLED)
    def settle(self):
        pass

    @transition(
        status,
        source=[Status.NEGOTIATING, Status.DECIDED, Status.APPEALED],
        target=Status.RETURNING,
    )
    def start_return(self):
        pass

    @transition(status, source=Status.RETURNING, target=Status.RETURN_SHIPPED)
    def ship_return(self):
        pass

    @transition(status, source=[Status.RETURNING, Status.RETURN_SHIPPED], target=Status.CLOSED)
    def finish_return(self):
        pass

    # The mediator's steps are offered in the admin (FSMAdminMixin) to mediators only; the
    # admin runs them through the services, never by calling these methods.
    @transition(
        status,
        source=Status.ESCALATED,
        target=Status.EVIDENCE,
        permission=_is_mediator,
        custom={"admin": True, "label": _("Pick up the case (opens the evidence window)")},
    )
    def pick_up(self):
        pass

    @transition(
        status,
        source=Status.APPEALED,
        target=Status.APPEALED,
        permission=_is_mediator,
        conditions=[_appeal_unassigned],
        custom={"admin": True, "label": _("Take the appeal")},
    )
    def take_appeal(self):
        pass

    @transition(
        status,
        source=Status.APPEALED,
        target=Status.APPEALED,
        permission=_is_mediator,
        conditions=[_appeal_assigned],
        custom={
            "admin": True,
            "label": _("Decide the appeal (final)"),
            "form": "apps.disputes.admin.AdminDecisionForm",
        },
    )
    def decide_appeal(self):
        pass

    @transition(status, source=Status.EVIDENCE, target=Status.DELIBERATION)
    def close_evidence(self):
        pass

    @transition(status, source=Status.EVIDENCE, target=Status.CLOSED)
    def lapse(self):
        """The buyer added nothing in the evidence window: the claim is lost."""

    @transition(
        status,
        source=Status.DELIBERATION,
        target=Status.DECIDED,
        permission=_is_mediator,
        custom={
            "admin": True,
            "label": _("Decide"),
            "form": "apps.disputes.admin.AdminDecisionForm",
        },
    )
    def decide(self):
        pass

    @transition(status, source=Status.DECIDED, target=Status.APPEALED)
    def appeal(self):
        pass

    @transition(status, source=[Status.DECIDED, Status.APPEALED], target=Status.CLOSED)
    def execute(self):
        pass


def evidence_upload_to(instance, filename):
    return f"disputes/{instance.case_id}/{filename}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")
        INSPECTION_REPORT = "inspection_report", _("Inspection report")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    party = models.CharField(max_length=8, choices=Party.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.FileField(
        _("file"),
        storage=private_storage,
        upload_to=evidence_upload_to,
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        max_length=255,
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    defect_rate = models.DecimalField(
        _("defect rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Filed with an appeal: the new information the appeal rests on.
    for_appeal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self):
        return self.description or self.file.name.rsplit("/", 1)[-1]

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class Offer(models.Model):
    """A proposal in the negotiation: the supplier's answer or either side's counter-offer."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("offer status", "Open")
        ACCEPTED = "accepted", _("Accepted")
        SUPERSEDED = "superseded", _("Superseded")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offers")
    party = models.CharField(max_length=8, choices=Party.choices)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # None: a rejection of the claim (the supplier's, with its evidence).
    outcome = models.CharField(_("proposal"), max_length=20, choices=Outcome.choices, blank=True)
    amount = models.BigIntegerField(_("refund"), default=0)
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="disputes_offer_amount"),
        ]

    def __str__(self):
        return f"{self.case} {self.party} {self.outcome or 'reject'}"

    @property
    def is_rejection(self):
        return not self.outcome


class Decision(models.Model):
    """A mediator's decision with its written rationale. An appeal adds a second, final one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=Outcome.choices)
    refund_amount = models.BigIntegerField(_("refund"), default=0)
    rationale = models.TextField(_("rationale"))
    clause = models.CharField(_("contract clause or policy applied"), max_length=300)
    on_appeal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0), name="disputes_decision_amount"
            ),
        ]

    def __str__(self):
        return f"{self.case} {self.outcome}"


class CaseEvent(models.Model):
    """One step of a case (Saleor-style events). Never edited: the case's audit trail."""

    class Type(models.TextChoices):
        OPENED = "opened", _("Claim opened")
        EVIDENCE_ADDED = "evidence_added", _("Evidence added")
        ANSWERED = "answered", _("Supplier answered")
        OFFER = "offer", _("Offer made")
        REJECTED = "rejected", _("Claim rejected by the supplier")
        ACCEPTED = "accepted", _("Offer accepted")
        SETTLED = "settled", _("Settled")
        DEFAULTED = "defaulted", _("Supplier did not answer: refunded by default")
        ESCALATED = "escalated", _("Escalated to mediation")
        PICKED_UP = "picked_up", _("Mediator picked up the case")
        EVIDENCE_CLOSED = "evidence_closed", _("Evidence window closed")
        LAPSED = "lapsed", _("Claim lost: no evidence in the window")
        SLA_MISSED = "sla_missed", _("Mediation deadline missed")
        DECIDED = "decided", _("Decision")
        DECISION_ACCEPTED = "decision_accepted", _("Decision accepted")
        APPEALED = "appealed", _("Appealed")
        RETURN_STARTED = "return_started", _("Return started")
        RETURN_SHIPPED = "return_shipped", _("Return shipped")
        RETURN_CONFIRMED = "return_confirmed", _("Return confirmed")
        RETURN_DISPUTED = "return_disputed", _("Return disputed")
        RETURN_LAPSED = "return_lapsed", _("Return not shipped in time")
        EXECUTED = "executed", _("Decision carried out")
        MONEY = "money", _("Money moved")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=24, choices=Type.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["type", "created_at"])]

    def __str__(self):
        return f"{self.case} {self.type}"
