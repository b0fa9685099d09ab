"""Races on PostgreSQL with real threads and transactions: a claim against the auto-release
sweep, a settlement against the clock's escalation, two acceptances at once. Exactly one
winner each time, and the ledger's promises hold."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.sweeps import sweep_run
from apps.disputes import services
from apps.disputes.models import Case, Outcome
from apps.escrow.services import escrow_held
from apps.orders import services as order_services
from apps.orders.exceptions import OrderError
from apps.orders.models import Order
from tests.disputes.helpers import open_claim, shipped_order
from tests.escrow.helpers import assert_ledger_invariants

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls):
    """Starts every call at once in its own thread (and connection); returns results or
    exceptions in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # the outcome under test, reported to the main thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def release_due_now(order):
    Order.objects.filter(pk=order.pk).update(release_due_at=timezone.now() - dt.timedelta(hours=1))


def test_a_claim_opened_before_the_sweep_wins():
    order = shipped_order()
    release_due_now(order)
    case = open_claim(order)
    result = sweep_run("orders.auto_release")
    order.refresh_from_db()
    assert result.done == 0
    assert order.status == Order.Status.DISPUTED
    assert case.kind == Case.Kind.ESCROW
    assert escrow_held(order) == order.total_amount
    assert_ledger_invariants()


def test_a_claim_after_auto_release_becomes_a_post_delivery_claim():
    order = shipped_order()
    release_due_now(order)
    assert sweep_run("orders.auto_release").done == 1
    case = open_claim(order)
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert case.kind == Case.Kind.POST_DELIVERY
    assert_ledger_invariants()


@pytest.mark.parametrize("attempt", range(3))
def test_a_claim_racing_auto_release_has_one_consistent_outcome(attempt):
    order = shipped_order()
    release_due_now(order)
    claim, sweep = run_together(
        lambda: open_claim(Order.objects.get(pk=order.pk)),
        lambda: sweep_run("orders.auto_release"),
    )
    assert isinstance(claim, Case), claim
    order.refresh_from_db()
    if claim.kind == Case.Kind.ESCROW:
        assert order.status == Order.Status.DISPUTED
        assert escrow_held(order) == order.total_amount
    else:
        assert order.status == Order.Status.COMPLETED
        assert escrow_held(order) == 0
    assert_ledger_invariants()


def test_accepting_an_offer_races_the_automatic_escalation():
    order = shipped_order()
    case = open_claim(order, amount=200_000)
    services.case_supplier_answer(
        case=case,
        acting_user=order.supplier,
        answer="counter",
        outcome=Outcome.PARTIAL_REFUND,
        amount=100_000,
    )
    day7 = case.auto_escalate_at
    accept, escalate = run_together(
        lambda: services.case_offer_accept(case=case, acting_user=order.buyer, now=day7),
        lambda: services.case_escalate_due(case_id=case.pk, now=day7),
    )
    case.refresh_from_db()
    if case.status == Case.Status.SETTLED:
        assert isinstance(accept, Case) and case.refunded_amount == 100_000
    else:
        # The clock took the order lock first: the acceptance came too late.
        assert case.status == Case.Status.ESCALATED
        assert isinstance(accept, OrderError) or escalate is None
    assert_ledger_invariants()


def test_two_acceptances_at_once_move_the_money_once():
    order = shipped_order()
    case = open_claim(order, amount=150_000)
    first, second = run_together(
        lambda: services.case_supplier_answer(
            case=case, acting_user=order.supplier, answer="accept"
        ),
        lambda: services.case_supplier_answer(
            case=case, acting_user=order.supplier, answer="accept"
        ),
    )
    winners = [r for r in (first, second) if isinstance(r, Case)]
    assert len(winners) == 1
    assert isinstance((first if winners[0] is second else second), OrderError)
    case.refresh_from_db()
    assert case.refunded_amount == 150_000
    assert_ledger_invariants()


def test_confirming_receipt_and_opening_a_claim_at_once():
    order = shipped_order()
    receipt, claim = run_together(
        lambda: order_services.order_confirm_receipt(
            order=Order.objects.get(pk=order.pk), acting_user=order.buyer
        ),
        lambda: open_claim(Order.objects.get(pk=order.pk)),
    )
    order.refresh_from_db()
    assert isinstance(claim, Case)
    if claim.kind == Case.Kind.ESCROW:
        assert isinstance(receipt, OrderError)
        assert order.status == Order.Status.DISPUTED
    else:
        assert order.status == Order.Status.COMPLETED
    assert_ledger_invariants()
