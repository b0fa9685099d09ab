"""Every change to a dispute case. Each entry point runs in one transaction, locks the order row
and then the case row (select_for_update, always in that order), re-reads the state under the
locks, checks who acts, runs the case transition, moves money with the escrow services, writes a
CaseEvent (and the order's event where the order changes) and notifies through the outbox. So a
step happens whole or not at all, and two racing steps get exactly one winner.

The clock's steps are `case_<verb>_due(*, case_id, now)`: they take the order lock without
waiting (a busy order is left for the next sweep), re-check that the case is still due and act.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from apps.accounts.notifications import notification_send
from apps.core.business_days import add_business_days
from apps.core.money import format_money
from apps.disputes.events import case_event_write
from apps.disputes.exceptions import (
    CaseInvalid,
    CaseOutOfTurn,
    NotACaseParty,
    NotAMediator,
    SameMediator,
)
from apps.disputes.models import Case, CaseEvent, Decision, Evidence, Offer, Outcome, Party
from apps.escrow import services as escrow_services
from apps.orders import events as order_events
from apps.orders.models import Order, OrderEvent
from apps.orders.services import apply_transition

Status = Case.Status
OrderStatus = Order.Status
Type = CaseEvent.Type

# Claims possible after completion: the goods are not what the contract says.
POST_DELIVERY_REASONS = (
    Case.Reason.QUALITY,
    Case.Reason.SHORT_QUANTITY,
    Case.Reason.NOT_AS_DESCRIBED,
    Case.Reason.COUNTERFEIT,
)


@dataclass
class EvidenceInput:
    file: object
    kind: str = Evidence.Kind.PHOTO
    description: str = ""
    defect_rate: Decimal | None = None


# --- helpers ----------------------------------------------------------------------------------


def _days(name):
    return dt.timedelta(days=getattr(settings, name))


def _locked(case) -> tuple[Order, Case]:
    case_id = case.pk if isinstance(case, Case) else case
    order_id = Case.objects.values_list("order_id", flat=True).get(pk=case_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    return order, Case.objects.select_for_update().get(pk=case_id)


def _locked_for_clock(case_id):
    """The locks for a clock step, taken without waiting: None when the order is busy (someone
    is acting on it now; the next sweep looks again)."""
    order_id = Case.objects.filter(pk=case_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None, None
    order = Order.objects.select_for_update(skip_locked=True).filter(pk=order_id).first()
    if order is None:
        return None, None
    return order, Case.objects.select_for_update().get(pk=case_id)


def _party(case, user, *, allowed=(Party.BUYER, Party.SUPPLIER)):
    party = case.party(user)
    if party is None:
        raise NotACaseParty
    if party not in allowed:
        raise NotACaseParty(_("The other party does this step."))
    return party


def is_mediator(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.is_mediator))


def _require_mediator(user):
    if not is_mediator(user):
        raise NotAMediator


def _require(case, *states):
    if case.status not in states:
        raise CaseOutOfTurn(
            _("This case is %(status)s; that step is not possible now.")
            % {"status": case.get_status_display().lower()}
        )


def _move(case, transition, *, event_type, user, now, parameters=None):
    from_status = case.status
    getattr(case, transition)()
    return case_event_write(
        case=case,
        type=event_type,
        user=user,
        from_status=from_status,
        to_status=case.status,
        parameters=parameters,
        at=now,
    )


def notify(case, recipient, kind, *, context=None):
    """Tells `recipient` about a step on the case, in its own language and time zone, after
    commit (portal notification and email)."""
    if recipient is None:
        return None
    return notification_send(
        user=recipient,
        kind=f"dispute_{kind}",
        template="disputes/email/case_update",
        context={"case": case, "order": case.order, "kind": kind, **(context or {})},
        link=reverse("dispute_detail", args=[case.pk]),
    )


def _notify_parties(case, kind, *, context=None, except_user=None):
    for recipient in (case.buyer, case.supplier):
        if except_user is None or recipient.pk != except_user.pk:
            notify(case, recipient, kind, context=context)


def refund_cap(case, order=None) -> int:
    """The most this case can pay the buyer now: what the order's escrow holds, or, after
    release, the order's covered amount less what earlier claims on it took from coverage."""
    order = order or case.order
    if case.kind == Case.Kind.ESCROW:
        return escrow_services.escrow_held(order)
    used = (
        Case.objects.filter(order=order)
        .exclude(pk=case.pk)
        .aggregate(total=Sum("paid_from_coverage"))["total"]
        or 0
    )
    return max(0, order.covered_amount - used)


def lines_value(case) -> int:
    return sum(line.line_total for line in case.affected_lines.all())


def suggested_refund(case) -> int | None:
    """Defect rate × value of the affected lines (all lines when none were named), in minor
    units, rounded down; None without an inspection defect rate."""
    if case.defect_rate is None:
        return None
    value = lines_value(case) or case.order.total_amount
    return int(Decimal(value) * case.defect_rate / 100)


def _amount_for(case, order, outcome, amount, *, field="amount"):
    """The refund an outcome pays, checked against what the case can pay."""
    cap = refund_cap(case, order)
    if outcome == Outcome.RELEASE:
        return 0
    if (
        case.kind == Case.Kind.ESCROW
        and order.shipped_at is None
        and outcome in (Outcome.PARTIAL_REFUND, Outcome.RETURN_AND_REFUND)
    ):
        # The supplier is paid only for goods it shipped: before shipment the escrow goes back
        # whole, or stays held for the shipment.
        raise CaseInvalid(
            errors={
                field: [
                    _(
                        "Nothing has been shipped yet: a claim on this order ends in a full "
                        "refund, or the order goes on without one."
                    )
                ]
            }
        )
    if outcome == Outcome.REFUND:
        return cap if case.kind == Case.Kind.ESCROW else min(cap, order.total_amount)
    if amount is None or isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise CaseInvalid(errors={field: [_("Give a refund amount above zero.")]})
    if amount > cap:
        raise CaseInvalid(
            errors={
                field: [
                    _("At most %(cap)s can be paid on this case.")
                    % {"cap": format_money(cap, order.currency)}
                ]
            }
        )
    return amount


def _clean_defect_rate(value, field="defect_rate"):
    if value in (None, ""):
        return None
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise CaseInvalid(errors={field: [_("Give the defect rate as a percentage.")]}) from exc
    if not Decimal(0) <= rate <= Decimal(100):
        raise CaseInvalid(errors={field: [_("A defect rate is between 0 and 100%.")]})
    return rate.quantize(Decimal("0.01"))


def _evidence_save(case, party, user, items, now, *, for_appeal=False):
    items = list(items or ())
    count = case.evidence.count() if case.pk else 0
    if count + len(items) > settings.PACTLINE_DISPUTE_MAX_EVIDENCE_FILES:
        raise CaseInvalid(
            errors={
                "evidence": [
                    _("A case takes at most %(n)s files.")
                    % {"n": settings.PACTLINE_DISPUTE_MAX_EVIDENCE_FILES}
                ]
            }
        )
    saved = []
    for item in items:
        if item.kind not in Evidence.Kind.values:
            raise CaseInvalid(errors={"evidence": [_("Choose what kind of evidence this is.")]})
        try:
            Evidence._meta.get_field("file").run_validators(item.file)
        except ValidationError as exc:
            raise CaseInvalid(errors={"evidence": exc.messages}) from exc
        rate = _clean_defect_rate(item.defect_rate)
        evidence = Evidence.objects.create(
            case=case,
            party=party,
            uploaded_by=user,
            kind=item.kind,
            file=item.file,
            description=(item.description or "").strip()[:300],
            defect_rate=rate,
            for_appeal=for_appeal,
            created_at=now,
        )
        if rate is not None and evidence.kind == Evidence.Kind.INSPECTION_REPORT:
            case.defect_rate = rate
        saved.append(evidence)
    return saved


def _order_resolved(order, case, user, now):
    """The order's timeline (and the supplier figures) learn how the case ended."""
    order_events.order_event_write(
        order=order,
        type=OrderEvent.Type.DISPUTE_RESOLVED,
        user=user,
        from_status=order.status,
        to_status=order.status,
        parameters={
            "case": case.pk,
            "outcome": case.outcome if case.refunded_amount else Outcome.RELEASE,
            "refund": case.refunded_amount,
            "decided": case.decisions.exists(),
        },
        at=now,
    )


def _pay(order, case, refund, *, user, now, reason):
    """Moves the money of the case's outcome: from the frozen escrow (the rest released), or
    from coverage with the supplier owing it back. Records it on the case and both timelines."""
    if case.kind == Case.Kind.ESCROW:
        paid = escrow_services.dispute_escrow_settle(
            order=order,
            refund=refund,
            key=f"dispute:{case.pk}",
            acting_user=user,
            reason=reason,
            now=now,
        )
    else:
        paid = min(refund, refund_cap(case, order))
        escrow_services.coverage_claim_pay(
            order=order, amount=paid, key=f"coverage:{case.pk}", acting_user=user, now=now
        )
        case.paid_from_coverage = paid
    case.refunded_amount = paid
    case.closed_at = now
    case.next_deadline_at = None
    case_event_write(
        case=case,
        type=Type.MONEY,
        user=user,
        parameters={
            "refund": paid,
            "from": "coverage" if case.kind == Case.Kind.POST_DELIVERY else "escrow",
            "released": 0 if case.kind == Case.Kind.POST_DELIVERY else None,
        },
        at=now,
    )
    _order_resolved(order, case, user, now)
    if case.kind == Case.Kind.POST_DELIVERY and paid:
        # Lazy: the suppliers app reads order figures; disputes build on both.
        from apps.suppliers.services import ta_amount_recompute

        ta_amount_recompute(supplier=order.supplier, now=now)
    return paid


def _carry_out(order, case, outcome, amount, *, user, now, transition, event_type, params=None):
    """Carries out an agreed or decided outcome: a return starts the return (money moves when
    the goods are back), anything else moves the money now and ends the case."""
    case.outcome = outcome
    case.outcome_amount = amount
    if outcome == Outcome.RETURN_AND_REFUND:
        case.return_ship_by = now + _days("PACTLINE_DISPUTE_RETURN_SHIP_DAYS")
        case.next_deadline_at = case.return_ship_by
        _move(
            case,
            "start_return",
            event_type=Type.RETURN_STARTED,
            user=user,
            now=now,
            parameters={
                "amount": amount,
                "ship_by": case.return_ship_by.isoformat(),
                **(params or {}),
            },
        )
        case.save()
        _notify_parties(case, "return_started")
        return case
    _move(case, transition, event_type=event_type, user=user, now=now, parameters=params)
    _pay(order, case, amount, user=user, now=now, reason=case.get_reason_display())
    case.save()
    _notify_parties(case, "closed", context={"refund": case.refunded_amount})
    return case


# --- opening a claim ------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    order,
    acting_user,
    reason,
    requested_outcome,
    description,
    requested_amount=None,
    line_ids=(),
    evidence=(),
    defect_rate=None,
    now=None,
) -> Case:
    """The buyer opens a claim. Under the order lock: on a funded or shipped order the order
    becomes disputed (its escrow frozen: no release, no payout of it); on an order completed
    within PACTLINE_DISPUTE_COVERAGE_DAYS a quality claim is a post-delivery claim paid from
    coverage, and the order stays completed. One open case per order."""
    now = now or timezone.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    party = order.party(acting_user)
    if party is None:
        raise NotACaseParty
    if party != "buyer":
        raise NotACaseParty(_("The buyer opens a claim."))
    if Case.objects.filter(order=order, status__in=Case.OPEN_STATES).exists():
        raise CaseOutOfTurn(_("A claim on this order is already open."))
    errors = {}
    if reason not in Case.Reason.values:
        errors["reason"] = [_("Choose what went wrong.")]
    if requested_outcome not in Outcome.values or requested_outcome == Outcome.RELEASE:
        errors["requested_outcome"] = [_("Choose what you ask for.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe what went wrong.")]
    if order.status != OrderStatus.COMPLETED and can_proceed(order.open_dispute):
        # Paid and not released (funded, shipped): the claim freezes the escrow.
        kind = Case.Kind.ESCROW
    elif order.status == OrderStatus.COMPLETED:
        kind = Case.Kind.POST_DELIVERY
        window = _days("PACTLINE_DISPUTE_COVERAGE_DAYS")
        if order.completed_at is None or now > order.completed_at + window:
            raise CaseOutOfTurn(
                _("Post-delivery claims are open for %(days)s days after receipt.")
                % {"days": settings.PACTLINE_DISPUTE_COVERAGE_DAYS}
            )
        if reason in Case.Reason.values and reason not in POST_DELIVERY_REASONS:
            errors["reason"] = [
                _("After receipt a claim is about quality, quantity or the description.")
            ]
    elif order.status == OrderStatus.OVERDUE:
        raise CaseOutOfTurn(
            _(
                "This order was not shipped in time: take the full refund or give the supplier "
                "more time on the order page."
            )
        )
    else:
        raise CaseOutOfTurn(
            _("This order is %(status)s: a claim is possible once it is paid in full.")
            % {"status": order.get_status_display().lower()}
        )
    lines = list(order.current_version.lines.filter(pk__in=list(line_ids or ())))
    if len(lines) != len(set(line_ids or ())):
        errors["line_ids"] = [_("Choose lines of this order's contract.")]
    try:
        rate = _clean_defect_rate(defect_rate)
    except CaseInvalid as exc:
        errors.update(exc.errors)
        rate = None
    if errors:
        raise CaseInvalid(errors=errors)
    case = Case(
        order=order,
        buyer=order.buyer,
        supplier=order.supplier,
        kind=kind,
        reason=reason,
        requested_outcome=requested_outcome,
        requested_amount=0,
        currency=order.currency,
        description=description.strip(),
        defect_rate=rate,
        opened_at=now,
        answer_due_at=now + _days("PACTLINE_DISPUTE_ANSWER_DAYS"),
        escalation_opens_at=now + _days("PACTLINE_DISPUTE_ESCALATION_OPENS_DAYS"),
        auto_escalate_at=now + _days("PACTLINE_DISPUTE_AUTO_ESCALATE_DAYS"),
    )
    case.next_deadline_at = case.auto_escalate_at
    if requested_outcome == Outcome.RETURN_AND_REFUND and requested_amount is None:
        value = sum(line.line_total for line in lines) or order.total_amount
        requested_amount = min(value, refund_cap(case, order))
    case.requested_amount = _amount_for(
        case, order, requested_outcome, requested_amount, field="requested_amount"
    )
    if case.requested_amount <= 0:
        raise CaseInvalid(
            errors={"requested_amount": [_("Nothing can be paid on this order's claim.")]}
        )
    case.save()
    case.affected_lines.set(lines)
    _evidence_save(case, Party.BUYER, acting_user, evidence, now)
    case.save()
    if kind == Case.Kind.ESCROW:
        apply_transition(
            order,
            "open_dispute",
            acting_user=acting_user,
            event_type=OrderEvent.Type.DISPUTE_OPENED,
            now=now,
            parameters={"case": case.pk, "reason": reason},
        )
        order.save()
    else:
        order_events.order_event_write(
            order=order,
            type=OrderEvent.Type.DISPUTE_OPENED,
            user=acting_user,
            from_status=order.status,
            to_status=order.status,
            parameters={"case": case.pk, "reason": reason, "post_delivery": True},
            at=now,
        )
    case_event_write(
        case=case,
        type=Type.OPENED,
        user=acting_user,
        parameters={
            "reason": reason,
            "requested_outcome": requested_outcome,
            "amount": case.requested_amount,
            "kind": kind,
        },
        at=now,
    )
    notify(case, case.supplier, "opened")
    return case


@transaction.atomic
def evidence_add(*, case, acting_user, items, now=None) -> list[Evidence]:
    """A party adds evidence while the case is open (in mediation: until the evidence window
    closes). Visible to both parties and mediators only."""
    now = now or timezone.now()
    _order, case = _locked(case)
    party = _party(case, acting_user)
    _require(
        case,
        Status.OPEN,
        Status.NEGOTIATING,
        Status.ESCALATED,
        Status.EVIDENCE,
        Status.RETURN_SHIPPED,
    )
    if not items:
        raise CaseInvalid(errors={"evidence": [_("Choose a file.")]})
    saved = _evidence_save(case, party, acting_user, items, now)
    case.save()
    case_event_write(
        case=case,
        type=Type.EVIDENCE_ADDED,
        user=acting_user,
        parameters={"party": party, "files": len(saved)},
        at=now,
    )
    other = case.supplier if party == Party.BUYER else case.buyer
    notify(case, other, "evidence_added")
    return saved


# --- negotiation ----------------------------------------------------------------------------


def _offer(case, party, user, outcome, amount, message, now):
    case.offers.filter(status=Offer.Status.OPEN).update(status=Offer.Status.SUPERSEDED)
    return Offer.objects.create(
        case=case,
        party=party,
        made_by=user,
        outcome=outcome,
        amount=amount,
        message=(message or "").strip(),
        created_at=now,
    )


def _current_request(case):
    """What the buyer asks now: its latest counter-offer, or the claim's request."""
    offer = case.offers.filter(party=Party.BUYER, status=Offer.Status.OPEN).last()
    if offer is not None:
        return offer.outcome, offer.amount
    return case.requested_outcome, case.requested_amount


def _proposal(case, order, outcome, amount):
    if outcome not in (Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_AND_REFUND):
        raise CaseInvalid(errors={"outcome": [_("Choose what you offer.")]})
    return _amount_for(case, order, outcome, amount)


@transaction.atomic
def case_supplier_answer(
    *, case, acting_user, answer, outcome="", amount=None, message="", evidence=(), now=None
) -> Case:
    """The supplier answers the claim (or the buyer's counter-offer): `accept` settles on what
    the buyer asks (money moves at once; a return starts the return), `counter` makes an offer
    (a partial refund or return and refund), `reject` rejects the claim with its evidence."""
    now = now or timezone.now()
    order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.SUPPLIER,))
    _require(case, Status.OPEN, Status.NEGOTIATING)
    first = case.supplier_answered_at is None
    if first:
        case.supplier_answered_at = now
    if answer == "accept":
        outcome, amount = _current_request(case)
        amount = _amount_for(case, order, outcome, amount)
        case.offers.filter(status=Offer.Status.OPEN).update(status=Offer.Status.ACCEPTED)
        if case.status == Status.OPEN:
            _move(case, "answer", event_type=Type.ANSWERED, user=acting_user, now=now)
        return _carry_out(
            order,
            case,
            outcome,
            amount,
            user=acting_user,
            now=now,
            transition="settle",
            event_type=Type.SETTLED,
            params={"accepted_by": Party.SUPPLIER, "outcome": outcome, "amount": amount},
        )
    if answer == "counter":
        amount = _proposal(case, order, outcome, amount)
        event_type = Type.OFFER
    elif answer == "reject":
        if not (message or "").strip():
            raise CaseInvalid(errors={"message": [_("Say why you reject the claim.")]})
        outcome, amount, event_type = "", 0, Type.REJECTED
    else:
        raise CaseInvalid(errors={"answer": [_("Accept, make an offer or reject.")]})
    _evidence_save(case, Party.SUPPLIER, acting_user, evidence, now)
    offer = _offer(case, Party.SUPPLIER, acting_user, outcome, amount, message, now)
    params = {"offer": offer.pk, "outcome": outcome, "amount": amount}
    _move(
        case,
        "answer" if case.status == Status.OPEN else "counter",
        event_type=event_type,
        user=acting_user,
        now=now,
        parameters=params,
    )
    case.save()
    notify(case, case.buyer, "answered", context={"offer": offer})
    return case


@transaction.atomic
def case_offer_accept(*, case, acting_user, now=None) -> Case:
    """The buyer accepts the supplier's open offer: the case settles and the money moves at
    once (a return and refund starts the return)."""
    now = now or timezone.now()
    order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.BUYER,))
    _require(case, Status.NEGOTIATING)
    offer = case.offers.filter(party=Party.SUPPLIER, status=Offer.Status.OPEN).last()
    if offer is None or offer.is_rejection:
        raise CaseOutOfTurn(_("There is no offer from the supplier to accept."))
    amount = _amount_for(case, order, offer.outcome, offer.amount)
    offer.status = Offer.Status.ACCEPTED
    offer.save(update_fields=["status"])
    return _carry_out(
        order,
        case,
        offer.outcome,
        amount,
        user=acting_user,
        now=now,
        transition="settle",
        event_type=Type.SETTLED,
        params={"accepted_by": Party.BUYER, "offer": offer.pk, "amount": amount},
    )


@transaction.atomic
def case_counter(*, case, acting_user, outcome, amount=None, message="", now=None) -> Case:
    """The buyer answers the supplier's offer or rejection with a proposal of its own."""
    now = now or timezone.now()
    order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.BUYER,))
    _require(case, Status.NEGOTIATING)
    amount = _proposal(case, order, outcome, amount)
    offer = _offer(case, Party.BUYER, acting_user, outcome, amount, message, now)
    _move(
        case,
        "counter",
        event_type=Type.OFFER,
        user=acting_user,
        now=now,
        parameters={"offer": offer.pk, "outcome": outcome, "amount": amount},
    )
    case.save()
    notify(case, case.supplier, "counter_offer", context={"offer": offer})
    return case


def _escalate(case, user, now, *, automatic, transition="escalate"):
    case.escalated_at = now
    case.pickup_due_at = add_business_days(now, settings.PACTLINE_DISPUTE_PICKUP_BUSINESS_DAYS)
    case.next_deadline_at = case.pickup_due_at
    case.offers.filter(status=Offer.Status.OPEN).update(status=Offer.Status.SUPERSEDED)
    _move(
        case,
        transition,
        event_type=Type.ESCALATED,
        user=user,
        now=now,
        parameters={"automatic": automatic, "pickup_due": case.pickup_due_at.isoformat()},
    )
    case.save()
    _notify_parties(case, "escalated")


@transaction.atomic
def case_escalate(*, case, acting_user, now=None) -> Case:
    """The buyer takes the case to mediation, from PACTLINE_DISPUTE_ESCALATION_OPENS_DAYS after
    opening (day 4). A mediator must pick it up within the pick-up SLA."""
    now = now or timezone.now()
    _order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.BUYER,))
    _require(case, Status.OPEN, Status.NEGOTIATING)
    if now < case.escalation_opens_at:
        raise CaseOutOfTurn(
            _("You can escalate from %(date)s; the supplier has until then to answer.")
            % {"date": timezone.localtime(case.escalation_opens_at).strftime("%Y-%m-%d %H:%M")}
        )
    _escalate(case, acting_user, now, automatic=False)
    return case


# --- returns --------------------------------------------------------------------------------


@transaction.atomic
def case_return_ship(*, case, acting_user, carrier, tracking_number, now=None) -> Case:
    """The buyer ships the goods back, with tracking, within the return window."""
    now = now or timezone.now()
    _order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.BUYER,))
    _require(case, Status.RETURNING)
    errors = {}
    if not (carrier or "").strip():
        errors["carrier"] = [_("Name the carrier.")]
    if not (tracking_number or "").strip():
        errors["tracking_number"] = [_("Give the tracking number.")]
    if errors:
        raise CaseInvalid(errors=errors)
    if now > case.return_ship_by:
        raise CaseOutOfTurn(_("The return window has closed."))
    case.return_carrier = carrier.strip()[:100]
    case.return_tracking = tracking_number.strip()[:100]
    case.return_confirm_by = now + _days("PACTLINE_DISPUTE_RETURN_CONFIRM_DAYS")
    case.next_deadline_at = case.return_confirm_by
    _move(
        case,
        "ship_return",
        event_type=Type.RETURN_SHIPPED,
        user=acting_user,
        now=now,
        parameters={"carrier": case.return_carrier, "tracking": case.return_tracking},
    )
    case.save()
    notify(case, case.supplier, "return_shipped")
    return case


def _return_refund(order, case, user, now, *, automatic):
    _move(
        case,
        "finish_return",
        event_type=Type.RETURN_CONFIRMED,
        user=user,
        now=now,
        parameters={"automatic": automatic},
    )
    _pay(order, case, case.outcome_amount or 0, user=user, now=now, reason=_("Goods returned"))
    case.save()
    _notify_parties(case, "closed", context={"refund": case.refunded_amount})
    return case


@transaction.atomic
def case_return_confirm(*, case, acting_user, now=None) -> Case:
    """The supplier confirms the return arrived: the refund is made at once."""
    now = now or timezone.now()
    order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.SUPPLIER,))
    _require(case, Status.RETURN_SHIPPED)
    return _return_refund(order, case, acting_user, now, automatic=False)


@transaction.atomic
def case_return_dispute(*, case, acting_user, message, now=None) -> Case:
    """The supplier says the return did not arrive (or not as agreed): mediation decides."""
    now = now or timezone.now()
    _order, case = _locked(case)
    _party(case, acting_user, allowed=(Party.SUPPLIER,))
    _require(case, Status.RETURN_SHIPPED)
    if not (message or "").strip():
        raise CaseInvalid(errors={"message": [_("Say what is wrong with the return.")]})
    case_event_write(
        case=case,
        type=Type.RETURN_DISPUTED,
        user=acting_user,
        parameters={"message": message.strip()},
        at=now,
    )
    _escalate(case, acting_user, now, automatic=False, transition="dispute_return")
    return case


# --- mediation ------------------------------------------------------------------------------


@transaction.atomic
def case_pick_up(*, case, acting_user, now=None) -> Case:
    """A mediator takes an escalated case: the evidence window (PACTLINE_DISPUTE_EVIDENCE_DAYS)
    opens and both parties are told when it closes. On an appeal, a mediator other than the
    first decision's takes it."""
    now = now or timezone.now()
    _order, case = _locked(case)
    _require_mediator(acting_user)
    _require(case, Status.ESCALATED, Status.APPEALED)
    if case.status == Status.APPEALED:
        if case.appeal_mediator_id is not None:
            raise CaseOutOfTurn(_("This appeal has a mediator already."))
        if acting_user.pk == case.mediator_id:
            raise SameMediator
        case.appeal_mediator = acting_user
        case.picked_up_at = now
        case.decision_due_at = add_business_days(
            now, settings.PACTLINE_DISPUTE_DECISION_BUSINESS_DAYS
        )
        case.next_deadline_at = case.decision_due_at
        case_event_write(
            case=case,
            type=Type.PICKED_UP,
            user=acting_user,
            parameters={"appeal": True},
            at=now,
        )
        case.save()
        return case
    case.mediator = acting_user
    case.picked_up_at = now
    case.evidence_closes_at = now + _days("PACTLINE_DISPUTE_EVIDENCE_DAYS")
    case.next_deadline_at = case.evidence_closes_at
    _move(
        case,
        "pick_up",
        event_type=Type.PICKED_UP,
        user=acting_user,
        now=now,
        parameters={"evidence_closes": case.evidence_closes_at.isoformat()},
    )
    case.save()
    _notify_parties(case, "evidence_window")
    return case


@transaction.atomic
def case_decide(
    *, case, acting_user, outcome, rationale, clause, refund_amount=None, now=None
) -> Decision:
    """A mediator decides, with a written rationale citing the contract clause or policy applied.
    A first decision waits for both parties to accept it or for the appeal window to close; an
    appeal's decision, by a different mediator, is final and carried out at once."""
    now = now or timezone.now()
    order, case = _locked(case)
    _require_mediator(acting_user)
    _require(case, Status.DELIBERATION, Status.APPEALED)
    on_appeal = case.status == Status.APPEALED
    first = case.decisions.first()
    if on_appeal:
        if first is not None and first.mediator_id == acting_user.pk:
            raise SameMediator
        if case.appeal_mediator_id not in (None, acting_user.pk):
            raise CaseOutOfTurn(_("Another mediator has taken this appeal."))
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose a decision.")]
    if not (rationale or "").strip():
        errors["rationale"] = [_("Write the rationale of the decision.")]
    if not (clause or "").strip():
        errors["clause"] = [_("Cite the contract clause or policy applied.")]
    if errors:
        raise CaseInvalid(errors=errors)
    amount = _amount_for(case, order, outcome, refund_amount, field="refund_amount")
    decision = Decision.objects.create(
        case=case,
        mediator=acting_user,
        outcome=outcome,
        refund_amount=amount,
        rationale=rationale.strip(),
        clause=clause.strip()[:300],
        on_appeal=on_appeal,
        created_at=now,
    )
    params = {
        "decision": decision.pk,
        "outcome": outcome,
        "amount": amount,
        "rationale": decision.rationale,
        "clause": decision.clause,
        "appeal": on_appeal,
    }
    case.decided_at = now
    if on_appeal:
        case.appeal_mediator = acting_user
        case_event_write(case=case, type=Type.DECIDED, user=acting_user, parameters=params, at=now)
        _notify_parties(case, "decided", context={"decision": decision})
        _carry_out(
            order,
            case,
            outcome,
            amount,
            user=acting_user,
            now=now,
            transition="execute",
            event_type=Type.EXECUTED,
            params={"decision": decision.pk, "final": True},
        )
        return decision
    case.mediator = acting_user
    case.outcome = outcome
    case.outcome_amount = amount
    case.appeal_closes_at = now + _days("PACTLINE_DISPUTE_APPEAL_DAYS")
    case.next_deadline_at = case.appeal_closes_at
    _move(case, "decide", event_type=Type.DECIDED, user=acting_user, now=now, parameters=params)
    case.save()
    _notify_parties(case, "decided", context={"decision": decision})
    return decision


def _execute_decision(order, case, user, now, *, why):
    return _carry_out(
        order,
        case,
        case.outcome,
        case.outcome_amount or 0,
        user=user,
        now=now,
        transition="execute",
        event_type=Type.EXECUTED,
        params={"why": why},
    )


@transaction.atomic
def case_decision_accept(*, case, acting_user, now=None) -> Case:
    """A party accepts the mediator's decision; when both have, it is carried out at once."""
    now = now or timezone.now()
    order, case = _locked(case)
    party = _party(case, acting_user)
    _require(case, Status.DECIDED)
    field = "buyer_accepted_at" if party == Party.BUYER else "supplier_accepted_at"
    if getattr(case, field) is None:
        setattr(case, field, now)
        case_event_write(
            case=case,
            type=Type.DECISION_ACCEPTED,
            user=acting_user,
            parameters={"party": party},
            at=now,
        )
    case.save()
    if case.buyer_accepted_at and case.supplier_accepted_at:
        _execute_decision(order, case, acting_user, now, why="accepted")
    return case


@transaction.atomic
def case_appeal(*, case, acting_user, reason, evidence=(), now=None) -> Case:
    """A party appeals the decision once, within PACTLINE_DISPUTE_APPEAL_DAYS, with new
    information. A different mediator decides; that decision is final."""
    now = now or timezone.now()
    _order, case = _locked(case)
    party = _party(case, acting_user)
    _require(case, Status.DECIDED)
    if case.appealed_at is not None:
        raise CaseOutOfTurn(_("This decision has been appealed already."))
    if now >= case.appeal_closes_at:
        raise CaseOutOfTurn(_("The appeal window has closed."))
    if not (reason or "").strip():
        raise CaseInvalid(errors={"reason": [_("Give the new information your appeal rests on.")]})
    _evidence_save(case, party, acting_user, evidence, now, for_appeal=True)
    case.appealed_by = party
    case.appealed_at = now
    case.appeal_reason = reason.strip()
    case.pickup_due_at = add_business_days(now, settings.PACTLINE_DISPUTE_PICKUP_BUSINESS_DAYS)
    case.next_deadline_at = case.pickup_due_at
    case.sla_breached_at = None
    _move(
        case,
        "appeal",
        event_type=Type.APPEALED,
        user=acting_user,
        now=now,
        parameters={"party": party, "reason": case.appeal_reason},
    )
    case.save()
    _notify_parties(case, "appealed")
    return case


# --- the clock --------------------------------------------------------------------------------


def _due(case, now, *states):
    return (
        case is not None
        and case.status in states
        and case.next_deadline_at is not None
        and case.next_deadline_at <= now
    )


@transaction.atomic
def case_default_due(*, case_id, now=None):
    """Day 7 and the supplier never answered: the requested refund is made (capped at what the
    escrow or coverage can pay) and the case settles, with an event saying why."""
    now = now or timezone.now()
    order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.OPEN) or case.supplier_answered_at is not None:
        return None
    amount = min(case.requested_amount, refund_cap(case, order))
    case.outcome = case.requested_outcome
    if case.outcome == Outcome.RETURN_AND_REFUND:
        case.outcome = (
            Outcome.REFUND if amount >= refund_cap(case, order) else Outcome.PARTIAL_REFUND
        )
    case.outcome_amount = amount
    _move(
        case,
        "settle",
        event_type=Type.DEFAULTED,
        user=None,
        now=now,
        parameters={"amount": amount, "answer_due": case.answer_due_at.isoformat()},
    )
    _pay(order, case, amount, user=None, now=now, reason=_("The supplier did not answer"))
    case.save()
    _notify_parties(case, "defaulted", context={"refund": case.refunded_amount})
    return f"{case}: supplier did not answer, {case.refunded_amount} refunded"


@transaction.atomic
def case_escalate_due(*, case_id, now=None):
    """Day 7 and the parties have not settled: the case goes to mediation."""
    now = now or timezone.now()
    _order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.NEGOTIATING):
        return None
    _escalate(case, None, now, automatic=True)
    return f"{case}: escalated automatically"


@transaction.atomic
def case_sla_due(*, case_id, now=None):
    """A mediator missed the pick-up or decision deadline: the case is marked overdue (it stands
    out in the queue) and the miss is recorded."""
    now = now or timezone.now()
    _order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.ESCALATED, Status.APPEALED, Status.DELIBERATION):
        return None
    which = "decision" if case.status == Status.DELIBERATION else "pick_up"
    if case.status == Status.APPEALED and case.appeal_mediator_id:
        which = "decision"
    case.sla_breached_at = now
    case.next_deadline_at = None
    case_event_write(case=case, type=Type.SLA_MISSED, parameters={"deadline": which}, at=now)
    case.save()
    return f"{case}: {which} deadline missed"


@transaction.atomic
def case_evidence_close_due(*, case_id, now=None):
    """The evidence window closes. A buyer who added nothing in it loses the claim (escrow
    released, nothing paid from coverage); otherwise the decision is due within
    PACTLINE_DISPUTE_DECISION_BUSINESS_DAYS."""
    now = now or timezone.now()
    order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.EVIDENCE):
        return None
    buyer_added = case.evidence.filter(
        party=Party.BUYER, created_at__gte=case.picked_up_at
    ).exists()
    if not buyer_added:
        case.outcome = Outcome.RELEASE
        case.outcome_amount = 0
        _move(case, "lapse", event_type=Type.LAPSED, user=None, now=now)
        _pay(order, case, 0, user=None, now=now, reason=_("No evidence in the window"))
        case.save()
        _notify_parties(case, "lapsed")
        return f"{case}: no buyer evidence in the window, claim lost"
    case.decision_due_at = add_business_days(now, settings.PACTLINE_DISPUTE_DECISION_BUSINESS_DAYS)
    case.next_deadline_at = case.decision_due_at
    _move(
        case,
        "close_evidence",
        event_type=Type.EVIDENCE_CLOSED,
        user=None,
        now=now,
        parameters={"decision_due": case.decision_due_at.isoformat()},
    )
    case.save()
    return f"{case}: evidence closed, decision due {case.decision_due_at:%Y-%m-%d}"


@transaction.atomic
def case_execute_due(*, case_id, now=None):
    """The appeal window closed unappealed: the decision is carried out."""
    now = now or timezone.now()
    order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.DECIDED):
        return None
    _execute_decision(order, case, None, now, why="appeal_window_closed")
    return f"{case}: decision carried out ({case.outcome})"


@transaction.atomic
def case_return_lapse_due(*, case_id, now=None):
    """The buyer did not ship the return in time: the claim ends without a refund."""
    now = now or timezone.now()
    order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.RETURNING):
        return None
    case.outcome_amount = 0
    _move(case, "finish_return", event_type=Type.RETURN_LAPSED, user=None, now=now)
    _pay(order, case, 0, user=None, now=now, reason=_("Return not shipped in time"))
    case.save()
    _notify_parties(case, "return_lapsed")
    return f"{case}: return not shipped, claim ended"


@transaction.atomic
def case_return_confirm_due(*, case_id, now=None):
    """The supplier neither confirmed nor disputed the return in time: the refund is made."""
    now = now or timezone.now()
    order, case = _locked_for_clock(case_id)
    if not _due(case, now, Status.RETURN_SHIPPED):
        return None
    _return_refund(order, case, None, now, automatic=True)
    return f"{case}: return taken as arrived, {case.refunded_amount} refunded"
