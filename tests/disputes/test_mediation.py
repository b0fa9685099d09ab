"""Mediation: pick-up, the evidence window, the decision with its rationale, acceptance, the
appeal to a different mediator, and the clock's SLA steps at their boundaries."""

import datetime as dt

import pytest
from django.core import mail

from apps.accounts.models import Notification
from apps.core.business_days import add_business_days
from apps.disputes import services
from apps.disputes.exceptions import CaseInvalid, CaseOutOfTurn, NotAMediator, SameMediator
from apps.disputes.models import Case, CaseEvent, Outcome
from apps.escrow.services import escrow_held
from apps.orders.models import Order
from tests.disputes.helpers import TOTAL, later, open_claim, photo, shipped_order
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import AccountFactory, MediatorFactory

pytestmark = pytest.mark.django_db

Status = Case.Status


@pytest.fixture(autouse=True)
def _invariants():
    yield
    assert_ledger_invariants()


def escalated_case(order=None):
    order = order or shipped_order()
    case = open_claim(order, amount=120_000)
    return services.case_escalate(case=case, acting_user=order.buyer, now=later(case, 3))


def in_deliberation(mediator=None):
    case = escalated_case()
    mediator = mediator or MediatorFactory()
    now = case.escalated_at + dt.timedelta(hours=1)
    case = services.case_pick_up(case=case, acting_user=mediator, now=now)
    services.evidence_add(
        case=case,
        acting_user=case.buyer,
        items=[services.EvidenceInput(file=photo())],
        now=now + dt.timedelta(days=1),
    )
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    case.refresh_from_db()
    assert case.status == Status.DELIBERATION
    return case, mediator


def decide(case, mediator, outcome=Outcome.PARTIAL_REFUND, amount=100_000, **kwargs):
    return services.case_decide(
        case=case,
        acting_user=mediator,
        outcome=outcome,
        refund_amount=amount,
        rationale="The inspection found 17% of the bulbs at 4000 K against 2700 K agreed.",
        clause="Contract v1, quality standard: colour temperature 2700 K ± 100 K",
        **kwargs,
    )


# --- pick-up and the evidence window ------------------------------------------------------------


def test_only_mediators_pick_up_a_case():
    case = escalated_case()
    staff_not_mediator = AccountFactory(role="staff", is_staff=True)
    with pytest.raises(NotAMediator):
        services.case_pick_up(case=case, acting_user=staff_not_mediator)
    with pytest.raises(NotAMediator):
        services.case_pick_up(case=case, acting_user=case.buyer)


def test_pick_up_opens_a_5_day_evidence_window_announced_to_both_parties():
    case = escalated_case()
    Notification.objects.all().delete()
    case = services.case_pick_up(case=case, acting_user=MediatorFactory())
    assert case.status == Status.EVIDENCE
    assert case.evidence_closes_at == case.picked_up_at + dt.timedelta(days=5)
    told = set(
        Notification.objects.filter(kind="dispute_evidence_window").values_list("user", flat=True)
    )
    assert told == {case.buyer_id, case.supplier_id}


def test_pick_up_is_due_within_2_working_days_and_a_miss_is_marked():
    case = escalated_case()
    assert case.pickup_due_at == add_business_days(case.escalated_at, 2)
    due = case.pickup_due_at
    assert services.case_sla_due(case_id=case.pk, now=due - dt.timedelta(seconds=1)) is None
    assert services.case_sla_due(case_id=case.pk, now=due)
    case.refresh_from_db()
    assert case.sla_breached_at == due
    assert case.events.filter(type=CaseEvent.Type.SLA_MISSED).exists()


def test_a_buyer_who_adds_nothing_in_the_window_loses_the_claim():
    case = escalated_case()
    case = services.case_pick_up(case=case, acting_user=MediatorFactory())
    closes = case.evidence_closes_at
    assert (
        services.case_evidence_close_due(case_id=case.pk, now=closes - dt.timedelta(seconds=1))
        is None
    )
    assert services.case_evidence_close_due(case_id=case.pk, now=closes)
    case.refresh_from_db()
    order = Order.objects.get(pk=case.order_id)
    assert case.status == Status.CLOSED
    assert case.refunded_amount == 0
    assert order.status == Order.Status.COMPLETED
    assert escrow_held(order) == 0


def test_after_the_evidence_window_the_decision_is_due_in_2_working_days():
    case, _mediator = in_deliberation()
    assert case.decision_due_at == add_business_days(case.evidence_closes_at, 2)
    assert services.case_sla_due(case_id=case.pk, now=case.decision_due_at)
    case.refresh_from_db()
    assert case.sla_breached_at is not None


def test_evidence_is_refused_once_the_window_closed():
    case, _mediator = in_deliberation()
    with pytest.raises(CaseOutOfTurn):
        services.evidence_add(
            case=case, acting_user=case.buyer, items=[services.EvidenceInput(file=photo())]
        )


# --- the decision -------------------------------------------------------------------------------


def test_a_decision_needs_a_rationale_and_a_clause():
    case, mediator = in_deliberation()
    with pytest.raises(CaseInvalid) as exc:
        services.case_decide(
            case=case, acting_user=mediator, outcome="refund", rationale=" ", clause=""
        )
    assert set(exc.value.errors) == {"rationale", "clause"}


def test_a_user_outside_mediators_cannot_decide():
    case, _mediator = in_deliberation()
    with pytest.raises(NotAMediator):
        decide(case, AccountFactory(role="staff", is_staff=True))
    with pytest.raises(NotAMediator):
        decide(case, case.supplier)


def test_a_decision_is_sent_to_both_parties_with_its_rationale(django_capture_on_commit_callbacks):
    case, mediator = in_deliberation()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide(case, mediator)
    case.refresh_from_db()
    assert case.status == Status.DECIDED
    assert case.appeal_closes_at == case.decided_at + dt.timedelta(days=10)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert set(bodies) == {case.buyer.email, case.supplier.email}
    assert all("17% of the bulbs" in body for body in bodies.values())
    assert escrow_held(case.order) == TOTAL  # nothing moves yet


def test_a_decision_moves_money_when_both_parties_accept():
    case, mediator = in_deliberation()
    decide(case, mediator)
    services.case_decision_accept(case=case, acting_user=case.buyer)
    case.refresh_from_db()
    assert case.status == Status.DECIDED
    case = services.case_decision_accept(case=case, acting_user=case.supplier)
    assert case.status == Status.CLOSED
    assert case.refunded_amount == 100_000
    assert Order.objects.get(pk=case.order_id).status == Order.Status.COMPLETED


def test_a_decision_moves_money_when_the_appeal_window_closes_unappealed():
    case, mediator = in_deliberation()
    decide(case, mediator)
    case.refresh_from_db()
    closes = case.appeal_closes_at
    assert services.case_execute_due(case_id=case.pk, now=closes - dt.timedelta(seconds=1)) is None
    assert services.case_execute_due(case_id=case.pk, now=closes)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.refunded_amount == 100_000
    assert services.case_execute_due(case_id=case.pk, now=closes) is None


def test_a_decided_refund_above_the_escrow_is_refused_on_the_field():
    case, mediator = in_deliberation()
    with pytest.raises(CaseInvalid) as exc:
        decide(case, mediator, amount=TOTAL + 1)
    assert "refund_amount" in exc.value.errors


def test_a_release_decision_pays_the_supplier():
    case, mediator = in_deliberation()
    decide(case, mediator, outcome=Outcome.RELEASE, amount=None)
    case.refresh_from_db()
    services.case_execute_due(case_id=case.pk, now=case.appeal_closes_at)
    case.refresh_from_db()
    assert case.refunded_amount == 0
    assert escrow_held(case.order) == 0


def test_a_return_decision_starts_the_return():
    case, mediator = in_deliberation()
    decide(case, mediator, outcome=Outcome.RETURN_AND_REFUND, amount=300_000)
    services.case_decision_accept(case=case, acting_user=case.buyer)
    case = services.case_decision_accept(case=case, acting_user=case.supplier)
    assert case.status == Status.RETURNING
    assert case.outcome_amount == 300_000


# --- the appeal ---------------------------------------------------------------------------------


def test_an_appeal_is_decided_by_a_different_mediator_and_is_final():
    case, first = in_deliberation()
    decide(case, first, amount=50_000)
    case = services.case_appeal(
        case=case, acting_user=case.buyer, reason="The lab report attached shows 30% defective."
    )
    assert case.status == Status.APPEALED
    with pytest.raises(SameMediator):
        services.case_pick_up(case=case, acting_user=first)
    with pytest.raises(SameMediator):
        decide(case, first, amount=180_000)
    second = MediatorFactory()
    services.case_pick_up(case=case, acting_user=second)
    decision = decide(case, second, amount=180_000)
    case.refresh_from_db()
    assert decision.on_appeal
    assert case.status == Status.CLOSED
    assert case.refunded_amount == 180_000


def test_an_appeal_needs_new_information_and_comes_once():
    case, mediator = in_deliberation()
    decide(case, mediator)
    with pytest.raises(CaseInvalid):
        services.case_appeal(case=case, acting_user=case.supplier, reason="")
    services.case_appeal(case=case, acting_user=case.supplier, reason="New photos of the lot.")
    with pytest.raises(CaseOutOfTurn):
        services.case_appeal(case=case, acting_user=case.buyer, reason="Me too.")


def test_no_appeal_after_10_days():
    case, mediator = in_deliberation()
    decide(case, mediator)
    case.refresh_from_db()
    with pytest.raises(CaseOutOfTurn):
        services.case_appeal(
            case=case, acting_user=case.buyer, reason="Late.", now=case.appeal_closes_at
        )


def test_an_appealed_decision_is_not_executed_by_the_clock():
    case, mediator = in_deliberation()
    decide(case, mediator)
    services.case_appeal(case=case, acting_user=case.buyer, reason="New lab report.")
    case.refresh_from_db()
    assert (
        services.case_execute_due(case_id=case.pk, now=case.decided_at + dt.timedelta(days=11))
        is None
    )
    assert escrow_held(case.order) == TOTAL
