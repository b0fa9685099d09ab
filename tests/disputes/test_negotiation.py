"""Opening a claim and the negotiation between the parties: each path, each refusal, each
deadline at its boundary. Every test ends with the ledger's invariants."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.disputes import services
from apps.disputes.exceptions import CaseInvalid, CaseOutOfTurn, NotACaseParty
from apps.disputes.models import Case, CaseEvent, Offer, Outcome
from apps.escrow.models import LedgerAccount
from apps.escrow.services import escrow_held
from apps.orders.models import Order, OrderEvent
from tests.disputes.helpers import (
    TOTAL,
    completed_order,
    funded_order,
    later,
    open_claim,
    pdf,
    shipped_order,
)
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db

Status = Case.Status
Kind = LedgerAccount.Kind


@pytest.fixture(autouse=True)
def _invariants():
    yield
    assert_ledger_invariants()


def balance(kind, user, currency="USD"):
    account = LedgerAccount.objects.filter(kind=kind, user=user, currency=currency).first()
    return account.balance if account else 0


# --- opening -----------------------------------------------------------------------------------


def test_a_claim_on_a_shipped_order_freezes_its_escrow():
    order = shipped_order()
    case = open_claim(order)
    order.refresh_from_db()
    assert order.status == Order.Status.DISPUTED
    assert case.kind == Case.Kind.ESCROW
    assert case.status == Status.OPEN
    assert escrow_held(order) == TOTAL
    assert order.events.filter(type=OrderEvent.Type.DISPUTE_OPENED).exists()
    assert case.events.filter(type=CaseEvent.Type.OPENED).exists()
    assert case.evidence.count() == 1
    assert list(case.affected_lines.all()) == [order.current_version.lines.first()]


def test_a_claim_on_a_funded_order_for_late_shipment():
    order = funded_order()
    case = open_claim(order, reason=Case.Reason.NOT_SHIPPED, outcome=Outcome.REFUND, amount=None)
    assert case.requested_amount == TOTAL


def test_the_supplier_cannot_open_a_claim():
    order = shipped_order()
    with pytest.raises(NotACaseParty):
        services.case_open(
            order=order,
            acting_user=order.supplier,
            reason="quality",
            requested_outcome="refund",
            description="x",
        )


def test_a_stranger_cannot_open_a_claim():
    order = shipped_order()
    with pytest.raises(NotACaseParty):
        services.case_open(
            order=order,
            acting_user=BuyerFactory(),
            reason="quality",
            requested_outcome="refund",
            description="x",
        )


def test_a_claim_needs_a_description_and_a_reason():
    order = shipped_order()
    with pytest.raises(CaseInvalid) as exc:
        services.case_open(
            order=order,
            acting_user=order.buyer,
            reason="bogus",
            requested_outcome="refund",
            description="  ",
        )
    assert set(exc.value.errors) == {"reason", "description"}


def test_a_partial_refund_above_the_escrow_is_refused_on_the_field():
    order = shipped_order()
    with pytest.raises(CaseInvalid) as exc:
        open_claim(order, amount=TOTAL + 1)
    assert "requested_amount" in exc.value.errors


def test_a_partial_refund_must_be_a_whole_positive_amount():
    order = shipped_order()
    with pytest.raises(CaseInvalid):
        open_claim(order, amount=0)


def test_evidence_of_the_wrong_type_is_refused():
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = shipped_order()
    fake = SimpleUploadedFile("defect.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(CaseInvalid) as exc:
        open_claim(order, evidence=[services.EvidenceInput(file=fake)])
    assert "evidence" in exc.value.errors


def test_lines_of_another_order_are_refused():
    order, other = shipped_order(), shipped_order()
    with pytest.raises(CaseInvalid) as exc:
        open_claim(order, line_ids=[other.current_version.lines.first().pk])
    assert "line_ids" in exc.value.errors


def test_one_open_claim_per_order():
    order = shipped_order()
    open_claim(order)
    with pytest.raises(CaseOutOfTurn):
        open_claim(order)


def test_no_claim_before_the_order_is_paid_in_full():
    from tests.escrow.helpers import confirmed_order

    order = confirmed_order()
    with pytest.raises(CaseOutOfTurn):
        open_claim(order)


def test_a_claim_after_completion_is_a_post_delivery_claim():
    order = completed_order()
    case = open_claim(order)
    order.refresh_from_db()
    assert case.kind == Case.Kind.POST_DELIVERY
    assert order.status == Order.Status.COMPLETED


def test_post_delivery_claims_close_30_days_after_receipt():
    order = completed_order()
    limit = order.completed_at + dt.timedelta(days=30)
    with pytest.raises(CaseOutOfTurn):
        open_claim(order, now=limit + dt.timedelta(seconds=1))
    assert open_claim(order, now=limit).kind == Case.Kind.POST_DELIVERY


def test_a_post_delivery_claim_is_about_the_goods():
    order = completed_order()
    with pytest.raises(CaseInvalid) as exc:
        open_claim(order, reason=Case.Reason.NOT_SHIPPED)
    assert "reason" in exc.value.errors


# --- negotiation -------------------------------------------------------------------------------


def test_the_supplier_accepts_a_partial_refund_and_the_rest_is_released_at_once():
    order = shipped_order()
    case = open_claim(order, amount=120_000)
    case = services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")
    order.refresh_from_db()
    assert case.status == Status.SETTLED
    assert case.refunded_amount == 120_000
    assert order.status == Order.Status.COMPLETED
    assert escrow_held(order) == 0
    assert balance(Kind.SUPPLIER_PAYABLE, order.supplier) == TOTAL - 120_000
    assert balance(Kind.BUYER_FUNDING, order.buyer) == -TOTAL + 120_000
    resolved = order.events.get(type=OrderEvent.Type.DISPUTE_RESOLVED)
    assert resolved.parameters["outcome"] == Outcome.PARTIAL_REFUND


def test_a_full_refund_settlement_refunds_the_order():
    order = shipped_order()
    case = open_claim(order, outcome=Outcome.REFUND, amount=None)
    services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert balance(Kind.BUYER_FUNDING, order.buyer) == 0


def test_counter_offer_accepted_by_the_buyer_moves_money_at_once():
    order = shipped_order()
    case = open_claim(order, amount=200_000)
    services.case_supplier_answer(
        case=case,
        acting_user=order.supplier,
        answer="counter",
        outcome=Outcome.PARTIAL_REFUND,
        amount=90_000,
        message="Only 15% are off.",
    )
    case = services.case_offer_accept(case=case, acting_user=order.buyer)
    assert case.status == Status.SETTLED
    assert case.refunded_amount == 90_000
    assert case.offers.get().status == Offer.Status.ACCEPTED


def test_the_buyer_counters_and_the_supplier_accepts_the_counter():
    order = shipped_order()
    case = open_claim(order, amount=200_000)
    services.case_supplier_answer(
        case=case,
        acting_user=order.supplier,
        answer="counter",
        outcome=Outcome.PARTIAL_REFUND,
        amount=50_000,
    )
    services.case_counter(
        case=case, acting_user=order.buyer, outcome=Outcome.PARTIAL_REFUND, amount=150_000
    )
    case = services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")
    assert case.refunded_amount == 150_000


def test_a_rejection_needs_a_reason_and_cannot_be_accepted():
    order = shipped_order()
    case = open_claim(order)
    with pytest.raises(CaseInvalid):
        services.case_supplier_answer(case=case, acting_user=order.supplier, answer="reject")
    services.case_supplier_answer(
        case=case,
        acting_user=order.supplier,
        answer="reject",
        message="The bulbs match the sample.",
        evidence=[services.EvidenceInput(file=pdf(), kind="document")],
    )
    with pytest.raises(CaseOutOfTurn):
        services.case_offer_accept(case=case, acting_user=order.buyer)
    assert case.evidence.filter(party="supplier").count() == 1


def test_the_buyer_cannot_answer_for_the_supplier():
    order = shipped_order()
    case = open_claim(order)
    with pytest.raises(NotACaseParty):
        services.case_supplier_answer(case=case, acting_user=order.buyer, answer="accept")


def test_escalation_opens_to_the_buyer_on_day_4():
    order = shipped_order()
    case = open_claim(order)
    with pytest.raises(CaseOutOfTurn):
        services.case_escalate(case=case, acting_user=order.buyer, now=later(case, 3, seconds=-1))
    case = services.case_escalate(case=case, acting_user=order.buyer, now=later(case, 3))
    assert case.status == Status.ESCALATED
    assert case.pickup_due_at is not None


def test_the_supplier_cannot_escalate():
    order = shipped_order()
    case = open_claim(order)
    with pytest.raises(NotACaseParty):
        services.case_escalate(case=case, acting_user=order.supplier, now=later(case, 5))


# --- the clock ---------------------------------------------------------------------------------


def test_a_supplier_that_never_answers_loses_by_default_on_day_7():
    order = shipped_order()
    case = open_claim(order, amount=120_000)
    assert services.case_default_due(case_id=case.pk, now=later(case, 7, seconds=-1)) is None
    assert services.case_default_due(case_id=case.pk, now=later(case, 7)) is not None
    case.refresh_from_db()
    order.refresh_from_db()
    assert case.status == Status.SETTLED
    assert case.refunded_amount == 120_000
    assert case.events.filter(type=CaseEvent.Type.DEFAULTED).exists()
    assert order.status == Order.Status.COMPLETED


def test_the_default_refund_is_capped_at_the_coverage_after_release():
    order = completed_order()
    Order.objects.filter(pk=order.pk).update(covered_amount=50_000)
    case = open_claim(order, outcome=Outcome.REFUND, amount=None)
    services.case_default_due(case_id=case.pk, now=later(case, 7))
    case.refresh_from_db()
    assert case.refunded_amount == 50_000
    assert case.paid_from_coverage == 50_000


def test_a_default_is_not_made_once_the_supplier_answered():
    order = shipped_order()
    case = open_claim(order)
    services.case_supplier_answer(
        case=case, acting_user=order.supplier, answer="reject", message="No."
    )
    assert services.case_default_due(case_id=case.pk, now=later(case, 8)) is None


def test_an_unsettled_case_escalates_automatically_on_day_7():
    order = shipped_order()
    case = open_claim(order)
    services.case_supplier_answer(
        case=case, acting_user=order.supplier, answer="reject", message="No."
    )
    assert services.case_escalate_due(case_id=case.pk, now=later(case, 7, seconds=-1)) is None
    assert services.case_escalate_due(case_id=case.pk, now=later(case, 7))
    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    event = case.events.get(type=CaseEvent.Type.ESCALATED)
    assert event.parameters["automatic"] is True
    # A second sweep changes nothing.
    assert services.case_escalate_due(case_id=case.pk, now=later(case, 8)) is None


# --- return and refund -------------------------------------------------------------------------


def _return_agreed(order):
    case = open_claim(order, outcome=Outcome.RETURN_AND_REFUND, amount=None)
    return services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")


def test_return_and_refund_refunds_when_the_supplier_confirms_the_return():
    order = shipped_order()
    case = _return_agreed(order)
    assert case.status == Status.RETURNING
    assert escrow_held(order) == TOTAL  # nothing moves before the goods are back
    services.case_return_ship(
        case=case, acting_user=order.buyer, carrier="DHL", tracking_number="JD0001"
    )
    case = services.case_return_confirm(case=case, acting_user=order.supplier)
    assert case.status == Status.CLOSED
    assert case.refunded_amount == TOTAL


def test_the_return_needs_tracking():
    order = shipped_order()
    case = _return_agreed(order)
    with pytest.raises(CaseInvalid) as exc:
        services.case_return_ship(
            case=case, acting_user=order.buyer, carrier="", tracking_number=""
        )
    assert set(exc.value.errors) == {"carrier", "tracking_number"}


def test_a_return_not_shipped_in_10_days_ends_the_claim():
    order = shipped_order()
    now = timezone.now()
    case = _return_agreed(order)
    deadline = case.return_ship_by
    assert deadline - now >= dt.timedelta(days=10) - dt.timedelta(minutes=1)
    assert (
        services.case_return_lapse_due(case_id=case.pk, now=deadline - dt.timedelta(seconds=1))
        is None
    )
    with pytest.raises(CaseOutOfTurn):
        services.case_return_ship(
            case=case,
            acting_user=order.buyer,
            carrier="DHL",
            tracking_number="1",
            now=deadline + dt.timedelta(seconds=1),
        )
    assert services.case_return_lapse_due(case_id=case.pk, now=deadline)
    case.refresh_from_db()
    order.refresh_from_db()
    assert case.refunded_amount == 0
    assert order.status == Order.Status.COMPLETED


def test_an_unconfirmed_return_is_refunded_after_5_days():
    order = shipped_order()
    case = _return_agreed(order)
    case = services.case_return_ship(
        case=case, acting_user=order.buyer, carrier="DHL", tracking_number="JD0001"
    )
    due = case.return_confirm_by
    assert (
        services.case_return_confirm_due(case_id=case.pk, now=due - dt.timedelta(seconds=1)) is None
    )
    assert services.case_return_confirm_due(case_id=case.pk, now=due)
    case.refresh_from_db()
    assert case.refunded_amount == TOTAL


def test_a_disputed_return_goes_to_mediation():
    order = shipped_order()
    case = _return_agreed(order)
    services.case_return_ship(
        case=case, acting_user=order.buyer, carrier="DHL", tracking_number="JD0001"
    )
    case = services.case_return_dispute(
        case=case, acting_user=order.supplier, message="The boxes arrived empty."
    )
    assert case.status == Status.ESCALATED
