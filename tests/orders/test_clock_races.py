"""The clock racing people and itself on PostgreSQL: threads with their own connections, released
together. Each race has exactly one outcome, money moves once, and the ledger holds."""

import pytest
import time_machine
from django.db import connection, transaction

from apps.core.sweeps import sweep_run
from apps.escrow.models import LedgerEntry
from apps.orders import services
from apps.orders.exceptions import OutOfTurn
from apps.orders.models import Order, OrderEvent
from tests.escrow.helpers import assert_ledger_invariants
from tests.escrow.test_races import race, unexpected
from tests.orders.clock_helpers import DAY, SECOND, T0, fresh, funded_order, held, shipped_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are what these tests are about"
    ),
]
Status = Order.Status
TOTAL = 600_000
ROUNDS = 6


@pytest.fixture(autouse=True)
def clock_at_t0():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def releases(order):
    return LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.RELEASE).count()


def test_sweep_against_the_buyer_confirming_receipt_completes_once(clock_at_t0):
    orders = [shipped_order() for _ in range(ROUNDS)]
    at = orders[-1].release_due_at + SECOND
    clock_at_t0.move_to(at)

    for order in orders:
        outcomes = race(
            [
                ("sweep", lambda: sweep_run("orders.auto_release", now=at).done),
                (
                    "buyer",
                    lambda order=order: services.order_confirm_receipt(
                        order=order, acting_user=order.buyer
                    ),
                ),
            ]
        )
        assert unexpected(outcomes) == []
        order = fresh(order)
        assert order.status == Status.COMPLETED
        assert releases(order) == 1
        assert OrderEvent.objects.filter(order=order, type=OrderEvent.Type.COMPLETED).count() == 1
    assert_ledger_invariants()


def open_dispute(order):
    """What the disputes service does to the order: under the row lock, a shipped order only."""
    with transaction.atomic():
        order = services._locked(order)
        if order.status != Status.SHIPPED:
            raise OutOfTurn
        services.apply_transition(
            order,
            "open_dispute",
            acting_user=order.buyer,
            event_type=OrderEvent.Type.DISPUTE_OPENED,
            now=T0,
        )
        order.save()
        return order


def test_sweep_against_a_dispute_opening_gives_one_outcome_and_a_frozen_escrow_stays_whole(
    clock_at_t0,
):
    orders = [shipped_order() for _ in range(ROUNDS)]
    at = orders[-1].release_due_at + SECOND
    clock_at_t0.move_to(at)

    for order in orders:
        outcomes = race(
            [
                ("sweep", lambda: sweep_run("orders.auto_release", now=at).done),
                ("dispute", lambda order=order: open_dispute(order)),
            ]
        )
        assert unexpected(outcomes) == []
        order = fresh(order)
        by = dict(outcomes)
        if isinstance(by["dispute"], Exception):
            assert order.status == Status.COMPLETED and releases(order) == 1
        else:
            assert order.status == Status.DISPUTED
            assert releases(order) == 0 and held(order) == TOTAL
    assert_ledger_invariants()


def test_refund_sweep_against_the_buyer_granting_more_time_at_the_last_second(clock_at_t0):
    orders = [funded_order() for _ in range(ROUNDS)]
    overdue_at = orders[-1].ship_by + SECOND
    sweep_run("orders.overdue", now=overdue_at)
    decision_due = fresh(orders[-1]).decision_due_at
    clock_at_t0.move_to(decision_due)

    for order in orders:
        due = fresh(order).decision_due_at
        outcomes = race(
            [
                ("sweep", lambda due=due: sweep_run("orders.overdue_refund", now=due + SECOND)),
                (
                    "buyer",
                    lambda order=order, due=due: services.order_ship_by_extend(
                        order=order,
                        acting_user=order.buyer,
                        ship_by_date=(due + 10 * DAY).date(),
                        now=due,
                    ),
                ),
            ]
        )
        assert unexpected(outcomes) == []
        order = fresh(order)
        refunds = LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).count()
        if isinstance(dict(outcomes)["buyer"], Exception):
            assert order.status == Status.REFUNDED and refunds == 1 and held(order) == 0
        else:
            assert order.status == Status.FUNDED and refunds == 0 and held(order) == TOTAL
    assert_ledger_invariants()


def test_two_sweeps_at_once_share_the_due_orders_and_act_on_each_once(clock_at_t0):
    orders = [shipped_order() for _ in range(24)]
    at = orders[-1].release_due_at + SECOND
    clock_at_t0.move_to(at)

    outcomes = race(
        [
            ("first", lambda: sweep_run("orders.auto_release", now=at, chunk_size=4)),
            ("second", lambda: sweep_run("orders.auto_release", now=at, chunk_size=4)),
        ]
    )

    assert unexpected(outcomes) == []
    done = sum(result.done for _name, result in outcomes)
    assert done == len(orders)
    assert {fresh(o).status for o in orders} == {Status.COMPLETED}
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == len(orders)
    assert OrderEvent.objects.filter(type=OrderEvent.Type.COMPLETED).count() == len(orders)
    assert_ledger_invariants()
