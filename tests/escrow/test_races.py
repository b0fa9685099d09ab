"""Racing money calls on PostgreSQL, each from its own thread and connection, released together
by a barrier: the order row lock (and the payable account's lock for payouts) must give exactly
one winner, the others a domain error, and the ledger must hold its promises afterwards."""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from apps.escrow import services
from apps.escrow.exceptions import PaymentRefused, PayoutRefused
from apps.escrow.models import (
    LedgerAccount,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    WebhookEvent,
)
from apps.escrow.providers.sandbox import signed_event
from apps.escrow.services import WebhookOutcome
from apps.orders import services as order_services
from apps.orders.exceptions import OrderError
from apps.orders.models import Order
from tests.escrow.helpers import (
    IBANS,
    assert_ledger_invariants,
    assert_refunds_match_ledger,
    confirmed_order,
)
from tests.factories import PASSWORD, BuyerFactory, EligibleSupplierFactory, MediatorFactory
from tests.orders.helpers import terms

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are what these tests are about"
    ),
]

Kind = LedgerAccount.Kind
TOTAL, DEPOSIT = 600_000, 180_000


def race(calls):
    """Runs each (name, function) in its own thread, all released at once. Returns a list of
    (name, result) and (name, exception) pairs, in the order the threads were started."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, name, function):
        try:
            connection.ensure_connection()  # connected before the start, not after
            barrier.wait(timeout=30)
            outcomes[i] = (name, function())
        except Exception as exc:  # recorded and asserted by the test
            outcomes[i] = (name, exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, name, function))
        for i, (name, function) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing call never finished"
    return outcomes


def winners(outcomes):
    return [name for name, result in outcomes if not isinstance(result, Exception)]


def unexpected(outcomes, *allowed):
    """Exceptions that are not among the domain errors a user may see."""
    allowed = allowed or (OrderError,)
    return [
        (name, repr(result))
        for name, result in outcomes
        if isinstance(result, Exception) and not isinstance(result, allowed)
    ]


def held(order):
    return services.escrow_held(order)


def shipped_order():
    order = confirmed_order()
    services.payment_start(order=order, acting_user=order.buyer, purpose="full", method="card")
    return order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU7654321"
    )


# --- one shipped order, twenty hands --------------------------------------------------------------


def test_twenty_release_refund_and_cancel_calls_on_one_order_have_one_winner():
    order = shipped_order()
    buyer, supplier = order.buyer, order.supplier
    kinds = {
        "confirm_receipt": lambda: order_services.order_confirm_receipt(
            order=order, acting_user=buyer
        ),
        "cancel": lambda: order_services.order_cancel(
            order=order, acting_user=buyer, reason="Changed my mind"
        ),
        "refund_full": lambda: services.escrow_refund(
            order=order, acting_user=supplier, reason="Cannot deliver after all"
        ),
        "refund_partial": lambda: services.escrow_refund(
            order=order, acting_user=supplier, amount=50_000, reason="Short by 20 pieces"
        ),
    }
    calls = [(name, kinds[name]) for _ in range(5) for name in kinds]

    outcomes = race(calls)

    assert unexpected(outcomes) == []
    won = winners(outcomes)
    assert len(won) == 1, outcomes
    order.refresh_from_db()
    expected_status = {
        "confirm_receipt": Order.Status.COMPLETED,
        "refund_partial": Order.Status.COMPLETED,
        "refund_full": Order.Status.REFUNDED,
    }[won[0]]
    assert order.status == expected_status
    assert held(order) == 0
    money_out = LedgerEntry.objects.filter(order=order).exclude(kind="payment")
    assert money_out.count() == 1
    assert_ledger_invariants()


def test_the_same_race_on_a_funded_order_refunds_it_once():
    """Before shipment: a full refund may win; receipt, cancel and partial refunds are out of
    turn."""
    order = confirmed_order()
    services.payment_start(order=order, acting_user=order.buyer, purpose="full", method="card")
    buyer, supplier = order.buyer, order.supplier
    kinds = {
        "receipt": lambda: order_services.order_confirm_receipt(order=order, acting_user=buyer),
        "cancel": lambda: order_services.order_cancel(order=order, acting_user=buyer, reason="x"),
        "full": lambda: services.escrow_refund(order=order, acting_user=supplier, reason="x"),
        "partial": lambda: services.escrow_refund(
            order=order, acting_user=supplier, amount=1_000, reason="x"
        ),
    }
    calls = [(name, kinds[name]) for _ in range(5) for name in kinds]

    outcomes = race(calls)

    assert unexpected(outcomes) == []
    assert winners(outcomes) == ["full"]
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert held(order) == 0
    assert LedgerEntry.objects.filter(order=order, kind="refund").count() == 1
    assert_ledger_invariants()


# --- payments and webhooks ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["card", "tt"])
def test_two_payments_started_at_once_make_one_payment(method):
    order = confirmed_order()

    def start():
        return services.payment_start(
            order=order, acting_user=order.buyer, purpose="deposit", method=method
        )

    outcomes = race([("a", start), ("b", start)])

    assert unexpected(outcomes) == []
    assert len(winners(outcomes)) == 1
    assert Payment.objects.filter(order=order).count() == 1
    loser = next(result for _name, result in outcomes if isinstance(result, Exception))
    assert isinstance(loser, PaymentRefused if method == "tt" else OrderError)
    order.refresh_from_db()
    if method == "card":
        assert order.status == Order.Status.DEPOSIT_PAID
        assert held(order) == DEPOSIT
    else:
        assert order.status == Order.Status.CONFIRMED
        assert held(order) == 0
    assert_ledger_invariants()


def test_twenty_replays_of_one_webhook_credit_it_once():
    order = confirmed_order()
    payment = services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )
    now = timezone.now()
    body, signature = signed_event(
        "payment.transfer_received",
        {"reference": payment.provider_reference, "amount": 100_000},
        timestamp=int(now.timestamp()),
        event_id="evt_race",
    )

    def receive():
        return services.webhook_receive(
            provider_name="sandbox", body=body, signature_header=signature, now=now
        )

    outcomes = race([("replay", receive)] * 20)

    assert unexpected(outcomes, ()) == []
    assert Counter(result for _name, result in outcomes) == {
        WebhookOutcome.PROCESSED: 1,
        WebhookOutcome.DUPLICATE: 19,
    }
    assert WebhookEvent.objects.filter(event_id="evt_race").count() == 1
    payment.refresh_from_db()
    assert payment.received_amount == 100_000
    assert held(order) == 100_000
    assert LedgerEntry.objects.filter(order=order).count() == 1
    assert_ledger_invariants()


def test_twenty_different_transfers_at_once_fill_the_payment_and_return_the_rest():
    order = confirmed_order()
    payment = services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )
    now = timezone.now()

    def receiver(n):
        body, signature = signed_event(
            "payment.transfer_received",
            {"reference": payment.provider_reference, "amount": 20_000},
            timestamp=int(now.timestamp()),
            event_id=f"evt_part_{n}",
        )
        return lambda: services.webhook_receive(
            provider_name="sandbox", body=body, signature_header=signature, now=now
        )

    outcomes = race([(f"part{n}", receiver(n)) for n in range(20)])  # 400,000 for 180,000

    assert unexpected(outcomes, ()) == []
    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == ("confirmed", DEPOSIT)
    order.refresh_from_db()
    assert order.status == Order.Status.DEPOSIT_PAID
    assert held(order) == DEPOSIT
    funding = LedgerAccount.objects.get(kind=Kind.BUYER_FUNDING, user=order.buyer)
    assert funding.balance == -DEPOSIT
    assert_ledger_invariants()


# --- payouts --------------------------------------------------------------------------------------


def completed_orders_of_one_supplier(count):
    supplier = EligibleSupplierFactory()
    orders = []
    for _ in range(count):
        buyer = BuyerFactory()
        order = order_services.order_draft_for_buyer(
            supplier=supplier, buyer_email=buyer.email, terms=terms()
        )
        order_services.contract_confirm(order=order, acting_user=buyer, version_number=1)
        order_services.contract_confirm(order=order, acting_user=supplier, version_number=1)
        services.payment_start(order=order, acting_user=buyer, purpose="full", method="card")
        order_services.order_ship(
            order=order, acting_user=supplier, carrier="DHL", tracking_number=f"JD{order.pk}"
        )
        orders.append(order)
    return supplier, orders


@pytest.mark.parametrize(("asks", "amount"), [(12, 100_000), (20, 250_000)])
def test_payouts_asked_at_once_never_take_more_than_is_available(asks, amount):
    supplier, orders = completed_orders_of_one_supplier(1)
    order_services.order_confirm_receipt(order=orders[0], acting_user=orders[0].buyer)
    available = TOTAL

    def ask():
        return services.payout_request(supplier=supplier, amount=amount, currency="USD")

    outcomes = race([("payout", ask)] * asks)

    assert unexpected(outcomes, PayoutRefused) == []
    paid = Payout.objects.filter(supplier=supplier).aggregate(t=Sum("amount"))["t"] or 0
    assert len(winners(outcomes)) == available // amount
    assert paid == (available // amount) * amount <= available
    payable = LedgerAccount.objects.get(kind=Kind.SUPPLIER_PAYABLE, user=supplier)
    payouts = LedgerAccount.objects.get(kind=Kind.PAYOUTS, user=supplier)
    assert (payable.balance, payouts.balance) == (available - paid, paid)
    assert_ledger_invariants()


def test_releases_and_payouts_of_one_supplier_at_once_do_not_deadlock_or_lose_money():
    """Several buyers confirm receipt while the supplier asks for payouts: every release lands
    in the one payable account (created by the first of them), each payout is covered."""
    supplier, orders = completed_orders_of_one_supplier(4)
    calls = [
        (
            f"receipt{order.pk}",
            lambda order=order: order_services.order_confirm_receipt(
                order=order, acting_user=order.buyer
            ),
        )
        for order in orders
    ]
    calls += [
        ("payout", lambda: services.payout_request(supplier=supplier, amount=TOTAL, currency="USD"))
    ] * 6

    outcomes = race(calls)

    assert unexpected(outcomes, PayoutRefused) == []
    assert all(name == "payout" for name, result in outcomes if isinstance(result, Exception))
    assert LedgerAccount.objects.filter(kind=Kind.SUPPLIER_PAYABLE, user=supplier).count() == 1
    paid = Payout.objects.filter(supplier=supplier).aggregate(t=Sum("amount"))["t"] or 0
    payable = LedgerAccount.objects.get(kind=Kind.SUPPLIER_PAYABLE, user=supplier)
    assert payable.balance == 4 * TOTAL - paid >= 0
    assert all(o.status == Order.Status.COMPLETED for o in Order.objects.filter(supplier=supplier))
    assert_ledger_invariants()


def test_the_bank_and_staff_answering_one_payout_at_once_return_its_money_at_most_once():
    """The provider's webhooks (paid, failed, each replayed) and staff in the admin (paid,
    failed) all at once. The payout lock puts them in a line: the first answer moves it; after
    paid, only the bank's failed (a return) moves it again. The money ends either paid out or
    back in the balance, never both, and is returned at most once."""
    supplier, orders = completed_orders_of_one_supplier(1)
    order_services.order_confirm_receipt(order=orders[0], acting_user=orders[0].buyer)
    payout = services.payout_request(supplier=supplier, amount=TOTAL, currency="USD")
    staff = MediatorFactory()
    now = timezone.now()

    def provider_says(event_type, event_id):
        body, signature = signed_event(
            event_type,
            {"reference": payout.provider_reference, "reason": "Account closed"},
            timestamp=int(now.timestamp()),
            event_id=event_id,
        )
        return lambda: services.webhook_receive(
            provider_name="sandbox", body=body, signature_header=signature, now=now
        )

    def staff_says(to):
        return lambda: services.payout_advance(payout=payout, acting_user=staff, to=to)

    calls = [("bank paid", provider_says("payout.paid", "evt_paid"))] * 3
    calls += [("bank failed", provider_says("payout.failed", "evt_failed"))] * 3
    calls += [("staff paid", staff_says("paid")), ("staff failed", staff_says("failed"))] * 2

    outcomes = race(calls)

    assert unexpected(outcomes, OrderError) == []
    moved = [
        name
        for name, result in outcomes
        if result == WebhookOutcome.PROCESSED or isinstance(result, Payout)
    ]
    payout.refresh_from_db()
    reversals = LedgerEntry.objects.filter(kind="payout_reversal").count()
    payable = LedgerAccount.objects.get(kind=Kind.SUPPLIER_PAYABLE, user=supplier).balance
    paid_out = LedgerAccount.objects.get(kind=Kind.PAYOUTS, user=supplier).balance
    if payout.status == Payout.Status.PAID:
        assert len(moved) == 1 and moved[0].endswith("paid")
        assert (reversals, payable, paid_out) == (0, 0, TOTAL)
    else:
        assert payout.status == Payout.Status.FAILED
        # Failed at once, or paid and then sent back by the bank.
        assert moved in (["bank failed"], ["staff failed"]) or (
            len(moved) == 2 and "bank failed" in moved and any(m.endswith("paid") for m in moved)
        )
        assert (reversals, payable, paid_out) == (1, TOTAL, 0)
    assert supplier.notifications.filter(kind__startswith="payout_").count() == len(moved)
    assert_ledger_invariants()


def test_the_bank_refusing_a_refund_while_staff_send_it_again_sends_it_again_once():
    """A refund by bank transfer back to the buyer: the bank's refused (replayed) and its done,
    staff sending it again four times and marking it refunded, all at once. The refund lock puts
    them in a line: it is sent again at most once, and only after it was refused; what Pactline
    holds owed to the buyer is exactly what was refused and not sent again."""
    order = confirmed_order()
    deposit = services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="tt"
    )
    now = timezone.now()
    body, signature = signed_event(
        "payment.transfer_received",
        {"reference": deposit.provider_reference, "amount": TOTAL},
        timestamp=int(now.timestamp()),
    )
    services.webhook_receive(
        provider_name="sandbox", body=body, signature_header=signature, now=now
    )
    services.escrow_refund(order=order, acting_user=order.supplier, reason="Cannot make it")
    refund = Refund.objects.get(order=order)
    staff = MediatorFactory()

    def bank_says(event_type, event_id):
        body, signature = signed_event(
            event_type,
            {"reference": refund.provider_reference, "reason": "Account closed"},
            timestamp=int(now.timestamp()),
            event_id=event_id,
        )
        return lambda: services.webhook_receive(
            provider_name="sandbox", body=body, signature_header=signature, now=now
        )

    calls = [("bank refused", bank_says("refund.failed", "evt_refused"))] * 3
    calls += [("bank done", bank_says("refund.succeeded", "evt_done"))]
    calls += [("staff again", lambda: services.refund_retry(refund=refund, acting_user=staff))] * 4
    calls += [
        (
            "staff refunded",
            lambda: services.refund_advance(refund=refund, acting_user=staff, to="refunded"),
        )
    ]

    outcomes = race(calls)

    assert unexpected(outcomes, OrderError) == []
    refund.refresh_from_db()
    retries = list(Refund.objects.filter(retry_of=refund))
    sent_again = [
        name for name, result in outcomes if isinstance(result, Refund) and name == "staff again"
    ]
    assert len(retries) == len(sent_again) <= 1
    if retries:
        assert refund.status == Refund.Status.FAILED
    owed = LedgerAccount.objects.get_or_create(
        kind=Kind.REFUND_OWED, currency="USD", user=order.buyer
    )[0].balance
    assert owed == (TOTAL if refund.status == Refund.Status.FAILED and not retries else 0)
    assert LedgerEntry.objects.filter(kind="refund_failed").count() == (
        1 if refund.status == Refund.Status.FAILED else 0
    )
    assert_ledger_invariants()
    assert_refunds_match_ledger()


# --- accounts opened at once --------------------------------------------------------------------


def test_accounts_opened_by_eight_transactions_at_once_are_opened_once():
    from django.db import transaction

    order = confirmed_order()
    wanted = (
        (Kind.ESCROW, "USD", order.pk, None),
        (Kind.BUYER_FUNDING, "USD", None, order.buyer_id),
        (Kind.SUPPLIER_PAYABLE, "USD", None, order.supplier_id),
    )

    def open_accounts():
        with transaction.atomic():
            return [account.pk for account in services.ledger_accounts(*wanted)]

    outcomes = race([(f"opener {n}", open_accounts) for n in range(8)])

    assert [(name, repr(r)) for name, r in outcomes if isinstance(r, Exception)] == []
    assert len({tuple(result) for _name, result in outcomes}) == 1  # all got the same three
    opened = LedgerAccount.objects.values_list("kind", "currency", "order_id", "user_id")
    assert sorted(opened) == sorted(wanted)  # one row each, none twice


# --- Gold bought twice at once ------------------------------------------------------------------


def test_gold_bought_by_card_from_four_tabs_at_once_is_bought_once():
    from apps.escrow.models import GoldPurchase
    from apps.suppliers.models import GoldMembership
    from tests.factories import VerifiedSupplierFactory

    supplier = VerifiedSupplierFactory()

    outcomes = race(
        [
            (f"tab {n}", lambda: services.gold_purchase_start(supplier=supplier, method="card"))
            for n in range(4)
        ]
    )

    assert len(winners(outcomes)) == 1
    assert unexpected(outcomes, PaymentRefused) == []  # the others: "renew it from ..."
    assert GoldPurchase.objects.filter(status=GoldPurchase.Status.PAID).count() == 1
    assert GoldMembership.objects.filter(supplier=supplier).count() == 1
    revenue = LedgerAccount.objects.get(kind=Kind.PLATFORM_REVENUE)
    assert revenue.balance == GoldPurchase.objects.get().amount
    assert_ledger_invariants()


def test_payout_account_changes_at_the_same_moment_leave_one_current_account():
    """Six changes at once (the supplier's row lock puts them in a line): each replaces the one
    before it, and one account is current; never a duplicate-key error."""
    supplier = EligibleSupplierFactory(payout_account=None)

    outcomes = race(
        [
            (
                country,
                lambda country=country, iban=iban: services.payout_account_set(
                    supplier=supplier,
                    password=PASSWORD,
                    holder_name="Noord B.V.",
                    country=country,
                    iban=iban,
                ),
            )
            for country, iban in IBANS.items()
        ]
    )

    assert sorted(winners(outcomes)) == sorted(IBANS)
    accounts = list(PayoutAccount.objects.filter(supplier=supplier).order_by("pk"))
    assert len(accounts) == len(IBANS)
    assert [a.replaced_at is None for a in accounts] == [False] * (len(IBANS) - 1) + [True]
    for before, after in zip(accounts, accounts[1:], strict=False):
        assert before.created_at < before.replaced_at == after.created_at
