"""Claims on orders that were paid but not shipped: the supplier is paid only for goods it
ships, so such a claim ends in a full refund, or the order goes on (escrow still held) and the
ship-by clock runs again. The supplier cannot refund around an open claim."""

import datetime as dt

import pytest

from apps.core.sweeps import sweep_run
from apps.disputes import services
from apps.disputes.exceptions import CaseInvalid
from apps.disputes.models import Case, Outcome
from apps.escrow import services as escrow_services
from apps.escrow.models import LedgerEntry
from apps.orders.exceptions import OutOfTurn
from apps.orders.models import Order, OrderEvent
from tests.disputes.helpers import TOTAL, funded_order, later, open_claim, photo, shipped_order
from tests.disputes.test_mediation import decide
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import MediatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _invariants():
    yield
    assert_ledger_invariants()


def in_deliberation_on_an_unshipped_order():
    order = funded_order()
    case = open_claim(order, reason=Case.Reason.NOT_SHIPPED, outcome=Outcome.REFUND, amount=None)
    case = services.case_escalate(case=case, acting_user=order.buyer, now=later(case, 3))
    mediator = MediatorFactory()
    at = case.escalated_at + dt.timedelta(hours=1)
    case = services.case_pick_up(case=case, acting_user=mediator, now=at)
    services.evidence_add(
        case=case,
        acting_user=case.buyer,
        items=[services.EvidenceInput(file=photo())],
        now=at + dt.timedelta(days=1),
    )
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    case.refresh_from_db()
    return case, mediator


def test_a_partial_refund_is_refused_on_the_field_before_shipment():
    order = funded_order()

    with pytest.raises(CaseInvalid) as refused:
        open_claim(order, reason=Case.Reason.QUALITY, outcome=Outcome.PARTIAL_REFUND)

    assert any("Nothing has been shipped" in m for ms in refused.value.errors.values() for m in ms)
    order.refresh_from_db()
    assert order.status == Order.Status.FUNDED


def test_a_mediator_cannot_decide_a_partial_refund_before_shipment():
    case, mediator = in_deliberation_on_an_unshipped_order()

    with pytest.raises(CaseInvalid) as refused:
        decide(case, mediator, outcome=Outcome.PARTIAL_REFUND, amount=100_000)

    assert "refund_amount" in refused.value.errors


def test_a_claim_lost_before_shipment_keeps_the_escrow_and_the_order_waits_for_shipment():
    case, mediator = in_deliberation_on_an_unshipped_order()
    decide(case, mediator, outcome=Outcome.RELEASE, amount=None)
    case.refresh_from_db()

    services.case_execute_due(case_id=case.pk, now=case.appeal_closes_at)

    order = Order.objects.get(pk=case.order_id)
    assert order.status == Order.Status.FUNDED
    assert escrow_services.escrow_held(order) == TOTAL
    assert not LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.RELEASE).exists()
    assert OrderEvent.objects.filter(
        order=order, type=OrderEvent.Type.DISPUTE_RESOLVED, to_status=Order.Status.FUNDED
    ).exists()
    # The ship-by clock runs again: a date passed during the dispute makes the order overdue.
    assert sweep_run("orders.overdue", now=order.ship_by + dt.timedelta(seconds=1)).done == 1


def test_the_supplier_cannot_refund_around_an_open_claim():
    order = shipped_order()
    open_claim(order)

    with pytest.raises(OutOfTurn):
        escrow_services.escrow_refund(
            order=order, acting_user=order.supplier, amount=1_000, reason="Goodwill"
        )

    assert escrow_services.escrow_held(order) == TOTAL
