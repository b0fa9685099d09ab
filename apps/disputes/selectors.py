"""Reads about dispute cases, scoped to who asks: a party sees its own cases, a mediator every
case; anyone else gets a 404, never a case fetched and then refused."""

import datetime as dt
import statistics
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_fsm import can_proceed

from apps.disputes.models import Case, CaseEvent, Decision, Evidence, Offer, Outcome, Party
from apps.disputes.services import is_mediator, lines_value, refund_cap, suggested_refund
from apps.orders.models import Order

Status = Case.Status


def cases_for(*, user):
    """The cases `user` is a party to (mediators: every case)."""
    queryset = Case.objects.select_related("order", "buyer", "supplier", "mediator")
    if is_mediator(user):
        return queryset
    return queryset.filter(Q(buyer=user) | Q(supplier=user))


def case_get_for(*, user, pk):
    return get_object_or_404(
        cases_for(user=user).prefetch_related(
            "affected_lines",
            Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")),
            Prefetch("offers", queryset=Offer.objects.select_related("made_by")),
            Prefetch("decisions", queryset=Decision.objects.select_related("mediator")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("user")),
        ),
        pk=pk,
    )


def evidence_get_for(*, user, case_pk, pk):
    case = get_object_or_404(cases_for(user=user), pk=case_pk)
    return get_object_or_404(Evidence.objects.filter(case=case), pk=pk)


def claim_kind_for(*, order, user, now=None):
    """Which claim the buyer could open on `order` now ('escrow', 'post_delivery'), or None."""
    now = now or timezone.now()
    if order.party(user) != "buyer":
        return None
    if Case.objects.filter(order=order, status__in=Case.OPEN_STATES).exists():
        return None
    if order.status == Order.Status.COMPLETED:
        window = dt.timedelta(days=settings.PACTLINE_DISPUTE_COVERAGE_DAYS)
        if order.completed_at and now <= order.completed_at + window and order.covered_amount:
            return Case.Kind.POST_DELIVERY
        return None
    if can_proceed(order.open_dispute):
        return Case.Kind.ESCROW
    return None


@dataclass(frozen=True)
class CaseActions:
    answer: bool = False  # supplier: accept, counter-offer or reject
    accept_offer: bool = False
    counter: bool = False
    escalate: bool = False
    escalation_opens_at: dt.datetime | None = None
    evidence: bool = False
    return_ship: bool = False
    return_confirm: bool = False
    decision_accept: bool = False
    appeal: bool = False

    def __bool__(self):
        return any(
            getattr(self, name)
            for name in self.__dataclass_fields__
            if name != "escalation_opens_at"
        )


def case_actions_for(*, case, user, now=None) -> CaseActions:
    now = now or timezone.now()
    party = case.party(user)
    if party is None:
        return CaseActions()
    buyer, supplier = party == Party.BUYER, party == Party.SUPPLIER
    negotiable = case.status in (Status.OPEN, Status.NEGOTIATING)
    open_offer = next(
        (o for o in case.offers.all() if o.status == Offer.Status.OPEN),
        None,
    )
    accepted_field = case.buyer_accepted_at if buyer else case.supplier_accepted_at
    return CaseActions(
        answer=supplier and negotiable,
        accept_offer=buyer
        and case.status == Status.NEGOTIATING
        and open_offer is not None
        and open_offer.party == Party.SUPPLIER
        and not open_offer.is_rejection,
        counter=buyer and case.status == Status.NEGOTIATING,
        escalate=buyer and negotiable and now >= case.escalation_opens_at,
        escalation_opens_at=case.escalation_opens_at if buyer and negotiable else None,
        evidence=case.status
        in (Status.OPEN, Status.NEGOTIATING, Status.ESCALATED, Status.EVIDENCE),
        return_ship=buyer and case.status == Status.RETURNING,
        return_confirm=supplier and case.status == Status.RETURN_SHIPPED,
        decision_accept=case.status == Status.DECIDED and accepted_field is None,
        appeal=case.status == Status.DECIDED
        and case.appealed_at is None
        and case.appeal_closes_at is not None
        and now < case.appeal_closes_at,
    )


def open_offer_of(case):
    return next((o for o in case.offers.all() if o.status == Offer.Status.OPEN), None)


def dispute_panel_for(*, order, user, now=None) -> dict:
    """The claim box on an order page: the order's current (or latest) case with the user's
    next steps, or whether and which claim the buyer may open. Context: {"dispute_panel": …}."""
    now = now or timezone.now()
    party = order.party(user)
    case = (
        Case.objects.filter(order=order)
        .select_related("order")
        .prefetch_related("offers", "decisions")
        .order_by("-opened_at", "-pk")
        .first()
        if party
        else None
    )
    kind = claim_kind_for(order=order, user=user, now=now) if party else None
    coverage_closes = None
    if order.completed_at:
        coverage_closes = order.completed_at + dt.timedelta(
            days=settings.PACTLINE_DISPUTE_COVERAGE_DAYS
        )
    return {
        "dispute_panel": {
            "order": order,
            "party": party,
            "case": case,
            "actions": case_actions_for(case=case, user=user, now=now) if case else None,
            "decision": case.decisions.all().last() if case else None,
            "claim_kind": kind,
            "coverage_closes_at": coverage_closes,
        }
    }


# --- mediation ------------------------------------------------------------------------------


def case_side_by_side(*, case) -> dict:
    """Everything a mediator weighs, for the case page: the confirmed contract version, the
    claim, both parties' evidence, the offers, the order's messages and timeline, the defect
    rate and the partial refund it suggests."""
    order = case.order
    version = order.current_version
    evidence = list(case.evidence.select_related("uploaded_by"))
    return {
        "case": case,
        "order": order,
        "version": version,
        "lines": list(version.lines.all()) if version else [],
        "affected": {line.pk for line in case.affected_lines.all()},
        "buyer_evidence": [e for e in evidence if e.party == Party.BUYER],
        "supplier_evidence": [e for e in evidence if e.party == Party.SUPPLIER],
        "offers": list(case.offers.select_related("made_by")),
        "decisions": list(case.decisions.select_related("mediator")),
        "messages": list(order.messages.select_related("sender")),
        "order_events": list(order.events.select_related("user")),
        "case_events": list(case.events.select_related("user")),
        "affected_value": lines_value(case),
        "suggested_refund": suggested_refund(case),
        "refund_cap": refund_cap(case),
    }


def mediation_sla_state(case, now=None):
    """'overdue', 'due_soon' or '' for the queue's SLA column."""
    now = now or timezone.now()
    if case.sla_breached_at is not None:
        return "overdue"
    due = None
    if case.status in (Status.ESCALATED,) or (
        case.status == Status.APPEALED and case.appeal_mediator_id is None
    ):
        due = case.pickup_due_at
    elif case.status == Status.DELIBERATION or case.status == Status.APPEALED:
        due = case.decision_due_at
    if due is None:
        return ""
    if due <= now:
        return "overdue"
    if due - now <= dt.timedelta(hours=24):
        return "due_soon"
    return ""


# --- money the supplier owes ----------------------------------------------------------------


def supplier_covered_claims(*, supplier):
    """Post-delivery claims paid from coverage that the supplier owes back, newest first."""
    return (
        Case.objects.filter(
            supplier=supplier, kind=Case.Kind.POST_DELIVERY, paid_from_coverage__gt=0
        )
        .select_related("order")
        .order_by("-closed_at", "-pk")
    )


def supplier_owed_by_currency(*, supplier):
    from apps.escrow.models import LedgerAccount

    return [
        (account.currency, -account.balance)
        for account in LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.SUPPLIER_RECEIVABLE, user=supplier, balance__lt=0
        ).order_by("currency")
    ]


# --- the storefront ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeFigures:
    cases: int
    orders: int
    decided: int
    decided_against_supplier: int
    resolved_days: tuple

    @property
    def per_100_orders(self):
        return round(self.cases * 100 / self.orders, 1) if self.orders else None

    @property
    def against_supplier_share(self):
        return self.decided_against_supplier / self.decided if self.decided else None

    @property
    def median_days_to_resolve(self):
        return round(statistics.median(self.resolved_days), 1) if self.resolved_days else None


def supplier_dispute_figures(*, supplier, since, until) -> DisputeFigures:
    """From real cases opened in [since, until): cases per 100 funded orders, the share of
    mediators' final decisions that went against the supplier, and the median days from
    opening to the case's end."""
    cases = Case.objects.filter(supplier=supplier, opened_at__gte=since, opened_at__lt=until)
    orders = Order.objects.filter(
        supplier=supplier, funded_at__gte=since, funded_at__lt=until
    ).count()
    decided = against = 0
    days = []
    for case in cases.prefetch_related("decisions"):
        decisions = list(case.decisions.all())
        if decisions:
            decided += 1
            against += decisions[-1].outcome != Outcome.RELEASE
        if case.closed_at:
            days.append((case.closed_at - case.opened_at).total_seconds() / 86400)
    return DisputeFigures(
        cases=cases.count(),
        orders=orders,
        decided=decided,
        decided_against_supplier=against,
        resolved_days=tuple(days),
    )
