"""The clock's order rules at their boundaries: one second before, at, and one second after each
deadline, with extensions and their caps. Time is moved with time-machine, never slept."""

import datetime as dt

import pytest
import time_machine
from django.db import connection

from apps.core.sweeps import sweep_run
from apps.escrow import services as escrow
from apps.escrow.models import LedgerEntry, Payment
from apps.escrow.selectors import escrow_summary_for
from apps.orders import clock, services
from apps.orders.exceptions import InvalidContract, OutOfTurn, WrongParty
from apps.orders.models import Order, OrderEvent
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order
from tests.orders.clock_helpers import (
    DAY,
    SECOND,
    T0,
    buyer_funding,
    fresh,
    funded_order,
    held,
    notified,
    payable,
    rule_events,
    shipped_order,
)

pytestmark = pytest.mark.django_db
Status = Order.Status
TOTAL = 600_000


@pytest.fixture(autouse=True)
def clock_at_t0():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def sweep(rule, at):
    return sweep_run(rule, now=at)


# --- ship-by reminder ---------------------------------------------------------------------------


def test_the_supplier_is_reminded_three_days_before_the_ship_by_date_and_only_once():
    order = funded_order()
    remind_at = order.ship_by - 3 * DAY

    assert sweep("orders.ship_by_reminder", remind_at - SECOND).done == 0
    assert sweep("orders.ship_by_reminder", remind_at).done == 1
    assert sweep("orders.ship_by_reminder", remind_at + SECOND).done == 0

    assert fresh(order).ship_by_reminded_at == remind_at
    assert notified(order.supplier, "ship_by_reminder") == 1
    assert notified(order.buyer, "ship_by_reminder_buyer") == 1  # both parties hear of it
    assert len(rule_events(order, "orders.ship_by_reminder")) == 1


def test_an_extension_brings_a_new_reminder_before_the_new_date(clock_at_t0):
    order = funded_order()
    sweep("orders.ship_by_reminder", order.ship_by - 3 * DAY)
    new_date = (order.ship_by + 10 * DAY).date()
    order = services.order_ship_by_extend(
        order=order, acting_user=order.buyer, ship_by_date=new_date
    )

    assert order.ship_by_reminded_at is None
    assert sweep("orders.ship_by_reminder", order.ship_by - 3 * DAY).done == 1
    assert notified(order.supplier, "ship_by_reminder") == 2


def test_with_only_the_deposit_paid_the_buyer_is_reminded_of_the_balance_not_the_supplier_to_ship():
    from apps.accounts.models import Notification

    order = confirmed_order()
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="deposit", method="card")
    order = fresh(order)
    assert order.status == Status.DEPOSIT_PAID

    assert sweep("orders.ship_by_reminder", order.ship_by - 3 * DAY).done == 1

    assert notified(order.buyer, "balance_reminder") == 1
    assert notified(order.supplier, "balance_reminder_supplier") == 1
    assert notified(order.supplier, "ship_by_reminder") == 0  # it cannot ship an unfunded order
    to_buyer = Notification.objects.get(user=order.buyer, kind="order_balance_reminder")
    assert "balance due before shipment" in to_buyer.subject
    assert "US$\xa04,200.00" in to_buyer.body  # US$6,000.00 less the 30 % deposit
    assert "7 days from its arrival" in to_buyer.body
    to_supplier = Notification.objects.get(
        user=order.supplier, kind="order_balance_reminder_supplier"
    )
    assert "has not paid the balance of US$\xa04,200.00" in to_supplier.body


def test_a_balance_paid_after_its_reminder_brings_the_supplier_its_reminder_to_ship(clock_at_t0):
    order = confirmed_order()
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="deposit", method="card")
    order = fresh(order)
    remind_at = order.ship_by - 3 * DAY
    sweep("orders.ship_by_reminder", remind_at)

    clock_at_t0.move_to(remind_at + DAY)
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="balance", method="card")

    order = fresh(order)
    assert order.status == Status.FUNDED
    assert order.ship_by_reminded_at is None
    assert sweep("orders.ship_by_reminder", remind_at + DAY).done == 1
    assert notified(order.supplier, "ship_by_reminder") == 1
    assert notified(order.buyer, "balance_reminder") == 1  # not told again


def test_the_balance_reminder_is_in_the_buyers_language():
    from apps.accounts.models import Notification

    order = confirmed_order()
    order.buyer.language = "nl"
    order.buyer.save(update_fields=["language"])
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="deposit", method="card")
    sweep("orders.ship_by_reminder", fresh(order).ship_by - 3 * DAY)

    to_buyer = Notification.objects.get(user=order.buyer, kind="order_balance_reminder")
    assert "restbedrag te betalen vóór verzending" in to_buyer.subject
    assert "dagen om te verzenden" in to_buyer.body


# --- overdue ------------------------------------------------------------------------------------


def test_an_order_not_shipped_becomes_overdue_one_second_after_its_ship_by_date():
    order = funded_order()
    ship_by = order.ship_by

    assert sweep("orders.overdue", ship_by - SECOND).done == 0
    assert sweep("orders.overdue", ship_by).done == 0  # the last second to ship
    assert fresh(order).status == Status.FUNDED
    assert sweep("orders.overdue", ship_by + SECOND).done == 1

    order = fresh(order)
    assert order.status == Status.OVERDUE
    assert order.overdue_at == ship_by + SECOND
    assert order.decision_due_at == ship_by + SECOND + 7 * DAY
    assert held(order) == TOTAL  # nothing moves yet: the buyer decides
    (event,) = rule_events(order, "orders.overdue")
    assert event.type == OrderEvent.Type.OVERDUE and event.user is None
    assert notified(order.buyer, "overdue") == 1
    assert notified(order.supplier, "overdue_supplier") == 1


def test_a_supplier_can_still_ship_on_the_last_second_of_the_ship_by_date(clock_at_t0):
    order = funded_order()
    clock_at_t0.move_to(order.ship_by)
    services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU1"
    )

    assert sweep("orders.overdue", order.ship_by + SECOND).done == 0
    assert fresh(order).status == Status.SHIPPED


def test_an_overdue_order_cannot_be_shipped_until_the_buyer_gives_more_time(clock_at_t0):
    order = funded_order()
    sweep("orders.overdue", order.ship_by + SECOND)
    clock_at_t0.move_to(order.ship_by + DAY)

    with pytest.raises(OutOfTurn):
        services.order_ship(
            order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="X1"
        )


def test_no_decision_within_seven_days_refunds_the_escrow_in_full():
    order = funded_order()
    sweep("orders.overdue", order.ship_by + SECOND)
    due = fresh(order).decision_due_at
    before = buyer_funding(order.buyer)

    assert sweep("orders.overdue_refund", due - SECOND).done == 0
    assert sweep("orders.overdue_refund", due).done == 0
    assert sweep("orders.overdue_refund", due + SECOND).done == 1

    order = fresh(order)
    assert order.status == Status.REFUNDED
    assert held(order) == 0
    assert buyer_funding(order.buyer) == before + TOTAL
    (event,) = rule_events(order, "orders.overdue_refund")
    assert event.type == OrderEvent.Type.REFUNDED and event.parameters["amount"] == TOTAL
    assert notified(order.buyer, "auto_refunded") == 1
    assert notified(order.supplier, "auto_refunded") == 1
    assert_ledger_invariants()


def test_the_buyer_takes_the_refund_at_once_and_the_clock_has_nothing_left_to_do(clock_at_t0):
    order = funded_order()
    sweep("orders.overdue", order.ship_by + SECOND)
    clock_at_t0.move_to(order.ship_by + DAY)

    services.order_overdue_refund(order=order, acting_user=order.buyer)

    assert fresh(order).status == Status.REFUNDED
    assert sweep("orders.overdue_refund", order.ship_by + 30 * DAY).due == 0
    assert LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).count() == 1
    assert_ledger_invariants()


def test_only_the_buyer_takes_the_overdue_refund():
    order = funded_order()
    sweep("orders.overdue", order.ship_by + SECOND)

    with pytest.raises(WrongParty):
        services.order_overdue_refund(order=order, acting_user=order.supplier)


# --- ship-by extensions ---------------------------------------------------------------------------


def test_extensions_may_add_up_to_ninety_days_to_the_contract_date_in_all():
    order = funded_order()
    contract_date = order.ship_by.date()

    services.order_ship_by_extend(
        order=order, acting_user=order.buyer, ship_by_date=contract_date + dt.timedelta(days=60)
    )
    services.order_ship_by_extend(
        order=order, acting_user=order.buyer, ship_by_date=contract_date + dt.timedelta(days=90)
    )
    assert fresh(order).ship_by.date() == contract_date + dt.timedelta(days=90)

    with pytest.raises(InvalidContract) as refused:
        services.order_ship_by_extend(
            order=order,
            acting_user=order.buyer,
            ship_by_date=contract_date + dt.timedelta(days=91),
        )
    assert "ship_by_date" in refused.value.errors
    assert fresh(order).ship_by.date() == contract_date + dt.timedelta(days=90)


def test_an_extension_must_move_the_date_later():
    order = funded_order()

    with pytest.raises(InvalidContract) as refused:
        services.order_ship_by_extend(
            order=order, acting_user=order.buyer, ship_by_date=order.ship_by.date()
        )
    assert "ship_by_date" in refused.value.errors


def test_the_supplier_cannot_extend_its_own_ship_by_date():
    order = funded_order()

    with pytest.raises(WrongParty):
        services.order_ship_by_extend(
            order=order,
            acting_user=order.supplier,
            ship_by_date=order.ship_by.date() + dt.timedelta(days=5),
        )


def test_more_time_on_an_overdue_order_stops_the_automatic_refund(clock_at_t0):
    order = funded_order()
    sweep("orders.overdue", order.ship_by + SECOND)
    decision_due = fresh(order).decision_due_at
    clock_at_t0.move_to(decision_due)  # the last second to decide

    services.order_ship_by_extend(
        order=order,
        acting_user=order.buyer,
        ship_by_date=decision_due.date() + dt.timedelta(days=14),
    )

    order = fresh(order)
    assert order.status == Status.FUNDED
    assert order.decision_due_at is None
    assert sweep("orders.overdue_refund", decision_due + SECOND).done == 0
    assert held(order) == TOTAL
    # It can become overdue again, against the new date.
    assert sweep("orders.overdue", order.ship_by + SECOND).done == 1


def test_after_the_decision_deadline_the_buyer_can_no_longer_extend(clock_at_t0):
    order = funded_order()
    sweep("orders.overdue", order.ship_by + SECOND)
    decision_due = fresh(order).decision_due_at
    clock_at_t0.move_to(decision_due + SECOND)

    with pytest.raises(OutOfTurn):
        services.order_ship_by_extend(
            order=order,
            acting_user=order.buyer,
            ship_by_date=decision_due.date() + dt.timedelta(days=14),
        )


def test_a_balance_paid_after_the_ship_by_date_gives_the_supplier_seven_days(clock_at_t0):
    order = confirmed_order(ship_by_date=None, ship_within_days=10)
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="deposit", method="card")
    ship_by = fresh(order).ship_by
    clock_at_t0.move_to(ship_by + 2 * DAY)
    assert sweep("orders.overdue", ship_by + 2 * DAY).done == 0  # not funded: not overdue

    escrow.payment_start(order=order, acting_user=order.buyer, purpose="balance", method="card")

    order = fresh(order)
    assert order.status == Status.FUNDED
    assert order.ship_by.date() == (ship_by + 9 * DAY).date()
    assert order.ship_by_original == order.ship_by
    assert OrderEvent.objects.filter(order=order, type=OrderEvent.Type.SHIP_BY_MOVED).exists()
    assert sweep("orders.overdue", ship_by + 2 * DAY + SECOND).done == 0


# --- receipt: reminder, extensions, automatic release --------------------------------------------


def test_with_no_delivery_recorded_the_order_completes_sixty_days_after_shipment():
    order = shipped_order()
    due = order.shipped_at + 60 * DAY
    assert order.release_due_at == due
    before = payable(order.supplier)

    assert sweep("orders.auto_release", due - SECOND).done == 0
    assert sweep("orders.auto_release", due).done == 0
    assert sweep("orders.auto_release", due + SECOND).done == 1

    order = fresh(order)
    assert order.status == Status.COMPLETED
    assert order.completed_at == due + SECOND
    assert held(order) == 0
    assert payable(order.supplier) == before + TOTAL
    (event,) = rule_events(order, "orders.auto_release")
    assert event.type == OrderEvent.Type.COMPLETED and event.user is None
    assert notified(order.buyer, "auto_released") == 1
    assert notified(order.supplier, "auto_released") == 1
    assert_ledger_invariants()


def test_recorded_delivery_starts_an_inspection_period_of_fifteen_days(clock_at_t0):
    order = shipped_order()
    clock_at_t0.move_to(T0 + 4 * DAY)
    order = services.order_record_delivery(order=order, acting_user=order.supplier)
    due = T0 + 4 * DAY + 15 * DAY
    assert order.release_due_at == due

    assert sweep("orders.auto_release", due).done == 0
    assert sweep("orders.auto_release", due + SECOND).done == 1
    assert fresh(order).status == Status.COMPLETED


def test_each_party_may_extend_the_receiving_time_once_by_fifteen_days(clock_at_t0):
    order = shipped_order()
    first_due = order.release_due_at

    order = services.order_receipt_extend(order=order, acting_user=order.buyer)
    assert order.release_due_at == first_due + 15 * DAY
    order = services.order_receipt_extend(order=order, acting_user=order.supplier)
    assert order.release_due_at == first_due + 30 * DAY
    with pytest.raises(OutOfTurn):
        services.order_receipt_extend(order=order, acting_user=order.buyer)

    assert sweep("orders.auto_release", first_due + 30 * DAY).done == 0
    assert sweep("orders.auto_release", first_due + 30 * DAY + SECOND).done == 1


def test_the_receiving_time_cannot_be_extended_after_it_ended(clock_at_t0):
    order = shipped_order()
    clock_at_t0.move_to(order.release_due_at + SECOND)

    with pytest.raises(OutOfTurn):
        services.order_receipt_extend(order=order, acting_user=order.buyer)


def test_the_buyer_is_reminded_three_days_before_the_receiving_time_ends():
    order = shipped_order()
    remind_at = order.release_due_at - 3 * DAY

    assert sweep("orders.release_reminder", remind_at - SECOND).done == 0
    assert sweep("orders.release_reminder", remind_at).done == 1
    assert sweep("orders.release_reminder", remind_at + DAY).done == 0
    assert notified(order.buyer, "release_reminder") == 1
    assert notified(order.supplier, "release_reminder_supplier") == 1


def test_a_disputed_order_is_frozen_and_never_released_by_the_clock():
    order = shipped_order()
    order = Order.objects.get(pk=order.pk)
    services.apply_transition(
        order, "open_dispute", acting_user=order.buyer, event_type="dispute_opened", now=T0
    )
    order.save()

    assert sweep("orders.auto_release", order.release_due_at + 365 * DAY).due == 0
    assert fresh(order).status == Status.DISPUTED
    assert held(order) == TOTAL


# --- unpaid orders ------------------------------------------------------------------------------


def test_a_confirmed_order_with_no_deposit_expires_after_fourteen_days():
    order = confirmed_order()
    due = order.confirmed_at + 14 * DAY
    assert order.pay_by == due

    assert sweep("orders.unpaid_expiry", due - SECOND).done == 0
    assert sweep("orders.unpaid_expiry", due).done == 0
    assert sweep("orders.unpaid_expiry", due + SECOND).done == 1

    order = fresh(order)
    assert order.status == Status.CANCELLED
    assert rule_events(order, "orders.unpaid_expiry")[0].type == OrderEvent.Type.EXPIRED
    assert notified(order.buyer, "expired") == 1
    assert notified(order.supplier, "expired") == 1


def test_an_expiring_order_returns_a_partial_transfer_and_fails_the_pending_payment():
    order = confirmed_order()
    payment = escrow.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )
    escrow._payment_receive(fresh(order), payment, 50_000, transfer_id="part-1", now=T0)
    assert held(order) == 50_000

    assert sweep("orders.unpaid_expiry", order.pay_by + SECOND).done == 1

    order = fresh(order)
    assert order.status == Status.CANCELLED
    assert held(order) == 0
    summary = escrow_summary_for(order=order)
    assert (summary.paid_in, summary.refunded, summary.held) == (50_000, 50_000, 0)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.FAILED
    # A late transfer for it is sent straight back.
    escrow._payment_receive(order, payment, 130_000, transfer_id="late", now=T0 + 20 * DAY)
    assert held(order) == 0
    assert_ledger_invariants()


def test_a_paid_deposit_stops_the_expiry():
    order = confirmed_order()
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="deposit", method="card")

    assert sweep("orders.unpaid_expiry", order.pay_by + SECOND).due == 0
    assert fresh(order).status == Status.DEPOSIT_PAID


def test_editing_a_confirmed_contract_stops_its_expiry_clock():
    order = confirmed_order()
    from tests.orders.helpers import terms

    services.contract_edit(
        order=order, acting_user=order.supplier, terms=terms(remarks="Pallets wrapped")
    )

    assert fresh(order).pay_by is None
    assert sweep("orders.unpaid_expiry", T0 + 30 * DAY).due == 0


# --- the engine: tasks twice, interrupted sweeps, dry runs, indexes ------------------------------


def test_the_same_task_run_twice_moves_money_once():
    from apps.core.tasks import sweep_task

    orders = [shipped_order() for _ in range(3)]
    with time_machine.travel(orders[-1].release_due_at + SECOND, tick=False):
        sweep_task("orders.auto_release")
        sweep_task("orders.auto_release")

    assert {fresh(o).status for o in orders} == {Status.COMPLETED}
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 3
    assert OrderEvent.objects.filter(type=OrderEvent.Type.COMPLETED).count() == 3
    assert_ledger_invariants()


def test_a_large_sweep_fans_out_in_chunks_and_each_chunk_acts(settings):
    settings.PACTLINE_SWEEP_CHUNK_SIZE = 2
    orders = [shipped_order() for _ in range(5)]

    result = sweep_run("orders.auto_release", now=orders[-1].release_due_at + SECOND, fan_out=True)

    assert result.queued_chunks == 3  # run inline here: the suite's tasks are eager
    assert {fresh(o).status for o in orders} == {Status.COMPLETED}


class WorkerKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing on the way catches it."""


def test_a_release_sweep_killed_halfway_leaves_each_order_done_or_untouched_and_a_rerun_ends_it(
    monkeypatch,
):
    from apps.escrow import bulk

    orders = [shipped_order() for _ in range(6)]
    at = orders[-1].release_due_at + SECOND
    real = bulk.escrow_release_many
    chunks = []

    def dies_in_the_second_chunk(**kwargs):
        chunks.append([o.pk for o in kwargs["orders"]])
        result = real(**kwargs)  # the ledger rows are written, then the process dies
        if len(chunks) == 2:
            raise WorkerKilled
        return result

    monkeypatch.setattr(bulk, "escrow_release_many", dies_in_the_second_chunk)
    with pytest.raises(WorkerKilled):
        sweep_run("orders.auto_release", now=at, chunk_size=2)

    statuses = [fresh(o).status for o in orders]
    assert statuses == [Status.COMPLETED] * 2 + [Status.SHIPPED] * 4
    assert [held(o) for o in orders[2:]] == [TOTAL] * 4  # the second chunk rolled back whole
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 2
    assert_ledger_invariants()

    monkeypatch.setattr(bulk, "escrow_release_many", real)
    result = sweep_run("orders.auto_release", now=at, chunk_size=2)
    assert result.done == 4
    assert {fresh(o).status for o in orders} == {Status.COMPLETED}
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 6
    assert_ledger_invariants()


def test_a_refund_sweep_killed_halfway_leaves_each_order_done_or_untouched(monkeypatch):
    orders = [funded_order() for _ in range(5)]
    sweep_run("orders.overdue", now=orders[-1].ship_by + SECOND)
    at = fresh(orders[-1]).decision_due_at + SECOND
    real = escrow.escrow_refund_in_full
    calls = []

    def dies_on_the_third(**kwargs):
        calls.append(kwargs["order"].pk)
        result = real(**kwargs)
        if len(calls) == 3:
            raise WorkerKilled
        return result

    monkeypatch.setattr(escrow, "escrow_refund_in_full", dies_on_the_third)
    with pytest.raises(WorkerKilled):
        sweep_run("orders.overdue_refund", now=at)

    assert [fresh(o).status for o in orders] == [Status.REFUNDED] * 2 + [Status.OVERDUE] * 3
    assert [held(o) for o in orders[2:]] == [TOTAL] * 3
    monkeypatch.setattr(escrow, "escrow_refund_in_full", real)
    assert sweep_run("orders.overdue_refund", now=at).done == 3
    assert {fresh(o).status for o in orders} == {Status.REFUNDED}
    assert_ledger_invariants()


def test_an_error_on_one_order_does_not_stop_the_others_and_it_stays_due(monkeypatch):
    from apps.escrow import bulk

    orders = [shipped_order() for _ in range(3)]
    at = orders[-1].release_due_at + SECOND
    bad = orders[1].pk
    real_many, real_one = bulk.escrow_release_many, escrow.escrow_release

    def many(**kwargs):
        if any(o.pk == bad for o in kwargs["orders"]):
            raise RuntimeError("provider down")
        return real_many(**kwargs)

    def one(**kwargs):
        if kwargs["order"].pk == bad:
            raise RuntimeError("provider down")
        return real_one(**kwargs)

    monkeypatch.setattr(bulk, "escrow_release_many", many)
    monkeypatch.setattr(escrow, "escrow_release", one)
    result = sweep_run("orders.auto_release", now=at)

    assert (result.done, result.failed) == (2, 1)  # the chunk failed, then went row by row
    assert fresh(orders[1]).status == Status.SHIPPED
    assert held(orders[1]) == TOTAL
    monkeypatch.setattr(bulk, "escrow_release_many", real_many)
    monkeypatch.setattr(escrow, "escrow_release", real_one)
    assert sweep_run("orders.auto_release", now=at).done == 1
    assert_ledger_invariants()


def test_the_set_based_release_writes_what_the_one_order_release_writes():
    """The chunked path and the per-order service leave the same rows behind."""
    one, many = shipped_order(), shipped_order()
    at = many.release_due_at + SECOND
    clock.order_auto_release(services._locked(one), at)
    clock.orders_auto_release_many([services._locked(many)], at)

    def footprint(order):
        order = fresh(order)
        (entry,) = LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.RELEASE)
        events = OrderEvent.objects.filter(order=order, created_at=at)
        return (
            order.status,
            order.completed_at,
            entry.idempotency_key.split(":")[0],
            sorted((p.account.kind, p.amount) for p in entry.postings.all()),
            [(e.type, e.from_status, e.to_status, e.parameters["rule"]) for e in events],
            notified(order.buyer, "auto_released"),
            notified(order.supplier, "auto_released"),
        )

    assert footprint(one) == footprint(many)
    assert_ledger_invariants()


def test_a_dry_run_says_what_would_happen_and_changes_nothing():
    order = shipped_order()

    result = sweep_run("orders.auto_release", now=order.release_due_at + SECOND, dry_run=True)

    assert result.due == 1 and result.done == 0
    assert order.reference in result.lines[0]
    assert fresh(order).status == Status.SHIPPED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partial indexes, EXPLAIN")
@pytest.mark.parametrize(
    ("due", "index"),
    [
        (clock.auto_release_due, "orders_release_due"),
        (clock.overdue_due, "orders_overdue_due"),
        (clock.overdue_refund_due, "orders_decision_due"),
        (clock.unpaid_due, "orders_unpaid_due"),
        (clock.ship_by_reminder_due, "orders_ship_by_reminder_due"),
        (clock.release_reminder_due, "orders_release_due"),
    ],
)
def test_each_rule_finds_its_due_orders_through_its_partial_index(due, index):
    """With sequential scans priced out, the planner can still answer: the index matches the
    rule's predicate. (benchmarks/sweeps.py shows the plan chosen freely at a million rows.)"""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = due(T0).order_by().values("pk").explain()

    assert index in plan
    assert "Seq Scan" not in plan
