"""The escrow services, one behaviour at a time: each payment method, webhooks, deposit and
balance, release on receipt, full and partial refunds, payouts and the refusals. Every test ends
with the ledger's invariants."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.escrow import selectors, services
from apps.escrow.exceptions import (
    LedgerUnbalanced,
    Overpayment,
    PaymentRefused,
    PayoutRefused,
    WebhookRejected,
)
from apps.escrow.models import LedgerAccount, LedgerEntry, Payment, Payout, WebhookEvent
from apps.escrow.providers.sandbox import sign, signed_event
from apps.escrow.services import WebhookOutcome
from apps.orders import services as order_services
from apps.orders.exceptions import ContractLocked, NotAParty, OutOfTurn, WrongParty
from apps.orders.models import Order, OrderEvent
from apps.orders.services import end_of_day
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order, json_of, webhook
from tests.factories import BuyerFactory, MediatorFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Status = Order.Status
TOTAL, DEPOSIT, BALANCE = 600_000, 180_000, 420_000  # the helper's contract, in US cents


@pytest.fixture
def order():
    return confirmed_order()


# --- helpers --------------------------------------------------------------------------------------


def pay(order, purpose="deposit", method="card", **kwargs):
    return services.payment_start(
        order=order, acting_user=order.buyer, purpose=purpose, method=method, **kwargs
    )


def deliver(event_type, data, *, now=None, event_id=None, sent_at=None):
    """The sandbox provider's signed webhook, handed to the service."""
    now = now or timezone.now()
    body, signature = signed_event(
        event_type, data, timestamp=int((sent_at or now).timestamp()), event_id=event_id
    )
    return services.webhook_receive(
        provider_name="sandbox", body=body, signature_header=signature, now=now
    )


def transfer(payment, amount, **kwargs):
    data = {"reference": payment.provider_reference, "amount": amount}
    return deliver("payment.transfer_received", data, **kwargs)


def reloaded(order):
    return Order.objects.get(pk=order.pk)


def balance(kind, *, order=None, user=None, currency="USD"):
    account = LedgerAccount.objects.filter(
        kind=kind, order=order, user=user, currency=currency
    ).first()
    return account.balance if account else 0


def held(order):
    return balance(Kind.ESCROW, order=order)


def payable(order):
    return balance(Kind.SUPPLIER_PAYABLE, user=order.supplier)


def funding(order):
    return balance(Kind.BUYER_FUNDING, user=order.buyer)


def entry_kinds(order):
    return list(LedgerEntry.objects.filter(order=order).values_list("kind", flat=True))


def event_types(order):
    return list(order.events.values_list("type", flat=True))


def funded(order):
    pay(order, "full", "card")
    return reloaded(order)


def shipped(order):
    funded(order)
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU1234567"
    )
    return reloaded(order)


def completed(order):
    shipped(order)
    return order_services.order_confirm_receipt(order=order, acting_user=order.buyer)


# --- card and Pay Later: captured at once ---------------------------------------------------------


def test_a_card_deposit_is_captured_at_once(order):
    payment = pay(order, "deposit", "card")
    payment.refresh_from_db()

    assert (payment.status, payment.amount, payment.received_amount) == (
        "confirmed",
        DEPOSIT,
        DEPOSIT,
    )
    assert payment.provider_reference.startswith("sbx_")
    assert payment.confirmed_at is not None
    order = reloaded(order)
    assert order.status == Status.DEPOSIT_PAID
    assert order.deposit_paid_at is not None
    assert (held(order), funding(order)) == (DEPOSIT, -DEPOSIT)
    assert entry_kinds(order) == ["payment"]
    assert OrderEvent.Type.DEPOSIT_PAID in event_types(order)
    assert order.supplier.notifications.filter(kind="order_payment_received").exists()
    assert_ledger_invariants()


def test_pay_later_in_full_is_captured_at_once_and_funds_the_order(order):
    payment = pay(order, "full", "pay_later")

    assert Payment.objects.get(pk=payment.pk).status == "confirmed"
    order = reloaded(order)
    assert order.status == Status.FUNDED
    assert order.funded_at is not None
    assert held(order) == TOTAL
    # Paid in full at once: one step from confirmed to funded, no deposit step.
    assert OrderEvent.Type.FUNDED in event_types(order)
    assert OrderEvent.Type.DEPOSIT_PAID not in event_types(order)
    assert_ledger_invariants()


@pytest.mark.parametrize("method", ["card", "pay_later"])
def test_payment_start_returns_the_captured_payment_as_it_now_is(order, method):
    """The caller (the API, the portal) shows what payment_start returns: a captured payment
    must come back confirmed, not as the stale 'pending' object from before the capture."""
    payment = pay(order, "deposit", method)

    assert (payment.status, payment.received_amount) == ("confirmed", DEPOSIT)
    assert payment.confirmed_at is not None
    assert_ledger_invariants()


# --- T/T, e-Check, Boleto: pending until the provider's webhook -----------------------------------


@pytest.mark.parametrize(
    ("method", "instruction"), [("tt", "iban"), ("echeck", "iban"), ("boleto", "boleto_number")]
)
def test_pending_methods_wait_for_the_signed_webhook(order, method, instruction):
    payment = pay(order, "deposit", method)

    assert (payment.status, payment.received_amount) == ("pending", 0)
    assert instruction in payment.instructions
    assert reloaded(order).status == Status.CONFIRMED
    assert held(order) == 0
    assert not LedgerEntry.objects.exists()

    outcome = deliver(
        "payment.succeeded", {"reference": payment.provider_reference}, event_id="evt_ok"
    )

    assert outcome == WebhookOutcome.PROCESSED
    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == ("confirmed", DEPOSIT)
    assert reloaded(order).status == Status.DEPOSIT_PAID
    assert held(order) == DEPOSIT

    # The provider sends it again: recorded once, credited once.
    assert (
        deliver("payment.succeeded", {"reference": payment.provider_reference}, event_id="evt_ok")
        == WebhookOutcome.DUPLICATE
    )
    assert held(order) == DEPOSIT
    assert WebhookEvent.objects.filter(event_id="evt_ok").count() == 1
    assert_ledger_invariants()


def test_a_bank_transfer_may_arrive_in_several_parts(order):
    payment = pay(order, "deposit", "tt")

    transfer(payment, 100_000, event_id="evt_1")
    transfer(payment, 50_000, event_id="evt_2")
    transfer(payment, 50_000, event_id="evt_2")  # a replay of the second part

    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == ("pending", 150_000)
    assert reloaded(order).status == Status.CONFIRMED
    assert held(order) == 150_000

    transfer(payment, 30_000, event_id="evt_3")

    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == ("confirmed", DEPOSIT)
    assert reloaded(order).status == Status.DEPOSIT_PAID
    assert held(order) == DEPOSIT
    assert entry_kinds(order) == ["payment"] * 3
    assert_ledger_invariants()


def test_an_overpaying_transfer_is_returned(order):
    payment = pay(order, "deposit", "tt")
    transfer(payment, 100_000)

    transfer(payment, 200_000)  # 80,000 was still due

    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == ("confirmed", DEPOSIT)
    assert held(order) == DEPOSIT
    assert funding(order) == -DEPOSIT
    assert entry_kinds(order) == ["payment", "payment", "overpayment_return"]
    returned = LedgerEntry.objects.get(kind="overpayment_return")
    assert sorted(returned.postings.values_list("amount", flat=True)) == [-120_000, 120_000]
    summary = selectors.escrow_summary_for(order=order)
    assert (summary.paid_in, summary.held) == (DEPOSIT, DEPOSIT)
    assert_ledger_invariants()


def test_money_for_a_payment_already_complete_goes_straight_back(order):
    payment = pay(order, "deposit", "tt")
    transfer(payment, DEPOSIT)

    transfer(payment, 5_000)  # a stray extra transfer

    assert held(order) == DEPOSIT
    assert funding(order) == -DEPOSIT
    assert entry_kinds(order) == ["payment", "payment", "overpayment_return"]
    assert_ledger_invariants()


def test_a_failed_payment_is_marked_failed_and_another_may_be_started(order):
    payment = pay(order, "deposit", "echeck")

    outcome = deliver("payment.failed", {"reference": payment.provider_reference})

    assert outcome == WebhookOutcome.PROCESSED
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert reloaded(order).status == Status.CONFIRMED
    assert held(order) == 0
    assert order.buyer.notifications.filter(kind="order_payment_failed").exists()

    second = pay(order, "deposit", "card")
    assert Payment.objects.get(pk=second.pk).status == "confirmed"
    assert reloaded(order).status == Status.DEPOSIT_PAID
    assert_ledger_invariants()


def test_a_failure_after_money_arrived_changes_nothing(order):
    payment = pay(order, "deposit", "tt")
    transfer(payment, 10_000)

    deliver("payment.failed", {"reference": payment.provider_reference})

    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == ("pending", 10_000)
    assert held(order) == 10_000
    assert_ledger_invariants()


def test_unsigned_stale_or_odd_webhooks_are_rejected_or_ignored(order):
    payment = pay(order, "deposit", "tt")
    data = {"reference": payment.provider_reference, "amount": DEPOSIT}
    now = timezone.now()
    timestamp = int(now.timestamp())
    body, _signature = signed_event("payment.transfer_received", data, timestamp=timestamp)

    def receive(signature):
        return services.webhook_receive(
            provider_name="sandbox", body=body, signature_header=signature, now=now
        )

    for bad in ("", "t=1", "v1=abc", f"t={int(now.timestamp())},v1=deadbeef"):
        with pytest.raises(WebhookRejected):
            receive(bad)
    with pytest.raises(WebhookRejected, match="signature"):
        receive(sign(body, int(now.timestamp()), secret="not-the-secret"))
    with pytest.raises(WebhookRejected, match="tolerance"):
        receive(sign(body, int(now.timestamp()) - 301))
    with pytest.raises(WebhookRejected, match="tolerance"):
        receive(sign(body, int(now.timestamp()) + 301))
    with pytest.raises(WebhookRejected, match="positive"):
        transfer(payment, 0)
    with pytest.raises(WebhookRejected, match="positive"):
        transfer(payment, -5)

    assert deliver("payment.succeeded", {"reference": "sbx_nobody"}) == WebhookOutcome.IGNORED
    kind = "payment.disputed"
    assert deliver(kind, {"reference": payment.provider_reference}) == WebhookOutcome.IGNORED
    # Nothing rejected was recorded, so the provider may deliver those events again.
    assert not WebhookEvent.objects.filter(type="payment.transfer_received").exists()
    assert held(order) == 0
    assert reloaded(order).status == Status.CONFIRMED
    assert_ledger_invariants()


@pytest.mark.parametrize("amount", [None, "lots", "12.5", 12.7, [1]])
def test_a_transfer_without_a_whole_amount_is_rejected(order, amount):
    """A signed event with a missing or non-integer amount is a bad request (400), not a crash
    (500) and never a float rounded to minor units."""
    payment = pay(order, "deposit", "tt")
    data = {"reference": payment.provider_reference}
    if amount is not None:
        data["amount"] = amount

    with pytest.raises(WebhookRejected):
        deliver("payment.transfer_received", data)

    assert held(order) == 0
    assert_ledger_invariants()


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_list", "type": "payment.succeeded", "data": ["sbx_x"]},
        {"id": "evt_text", "type": "payment.succeeded", "data": "sbx_x"},
        {"id": None, "type": "payment.succeeded", "data": {}},
        {"id": "x" * 101, "type": "payment.succeeded", "data": {}},
        ["not", "an", "object"],
    ],
    ids=["data-list", "data-text", "id-null", "id-too-long", "body-list"],
)
def test_a_signed_but_malformed_event_is_rejected(order, event):
    """Malformed is a 400 (WebhookRejected) whoever signed it: not a 500, and never a silent
    'duplicate' for an event that was not recorded."""
    now = timezone.now()
    body = json.dumps(event).encode()

    with pytest.raises(WebhookRejected):
        services.webhook_receive(
            provider_name="sandbox",
            body=body,
            signature_header=sign(body, int(now.timestamp())),
            now=now,
        )

    assert not WebhookEvent.objects.exists()
    assert_ledger_invariants()


def test_the_webhook_endpoint_answers_the_provider(client, order):
    payment = pay(order, "deposit", "tt")
    data = {"reference": payment.provider_reference, "amount": DEPOSIT}

    first = webhook(client, "payment.transfer_received", data, event_id="evt_http")
    again = webhook(client, "payment.transfer_received", data, event_id="evt_http")
    stale = webhook(
        client, "payment.transfer_received", data, at=timezone.now() - dt.timedelta(minutes=10)
    )

    assert (first.status_code, json_of(first)) == (200, {"status": "processed"})
    assert (again.status_code, json_of(again)) == (200, {"status": "duplicate"})
    assert stale.status_code == 400
    assert held(order) == DEPOSIT
    assert_ledger_invariants()


# --- deposit, balance, in full --------------------------------------------------------------------


def test_deposit_then_balance_funds_the_order(order):
    pay(order, "deposit", "card")
    assert services.amount_due(reloaded(order), "balance") == BALANCE

    payment = pay(reloaded(order), "balance", "tt")
    assert payment.amount == BALANCE
    transfer(payment, BALANCE)

    order = reloaded(order)
    assert order.status == Status.FUNDED
    assert order.funded_at is not None
    assert held(order) == TOTAL
    assert [t for t in event_types(order) if t in ("deposit_paid", "funded")] == [
        "deposit_paid",
        "funded",
    ]
    assert_ledger_invariants()


def test_paying_in_full_from_confirmed(order):
    payment = pay(order, "full", "tt")
    assert payment.amount == TOTAL
    transfer(payment, TOTAL)

    order = reloaded(order)
    assert order.status == Status.FUNDED
    assert held(order) == TOTAL
    assert_ledger_invariants()


def test_paying_the_rest_in_full_after_the_deposit(order):
    pay(order, "deposit", "card")
    payment = pay(order, "full", "card")

    assert payment.amount == BALANCE
    assert reloaded(order).status == Status.FUNDED
    assert held(order) == TOTAL
    assert_ledger_invariants()


def test_ship_within_days_sets_ship_by_when_the_deposit_arrives():
    order = confirmed_order(ship_by_date=None, ship_within_days=30)
    assert order.ship_by is None
    started = timezone.now() - dt.timedelta(days=3)
    payment = pay(order, "deposit", "tt", now=started)
    assert reloaded(order).ship_by is None  # waiting for the money

    arrived = timezone.now()
    transfer(payment, DEPOSIT, now=arrived)

    order = reloaded(order)
    expected = end_of_day(timezone.localdate(arrived) + dt.timedelta(days=30), order.supplier)
    assert order.ship_by == expected
    assert order.deposit_paid_at == arrived
    assert_ledger_invariants()


def test_a_fixed_ship_by_date_is_kept_when_the_deposit_arrives(order):
    ship_by = order.ship_by
    pay(order, "deposit", "card", now=timezone.now() + dt.timedelta(days=2))
    assert reloaded(order).ship_by == ship_by
    assert_ledger_invariants()


# --- refused payments -----------------------------------------------------------------------------


def test_paying_more_or_less_than_is_due_is_refused(order):
    with pytest.raises(Overpayment):
        pay(order, "deposit", "card", amount=DEPOSIT + 1)
    with pytest.raises(Overpayment):
        pay(order, "full", "card", amount=TOTAL + 1)
    with pytest.raises(PaymentRefused, match="amount due"):
        pay(order, "deposit", "card", amount=DEPOSIT - 1)

    pay(order, "deposit", "card", amount=DEPOSIT)
    assert reloaded(order).status == Status.DEPOSIT_PAID
    with pytest.raises(Overpayment):
        pay(order, "balance", "card", amount=BALANCE + 1)
    assert not Payment.objects.filter(status="pending").exists()
    assert_ledger_invariants()


def test_a_cancelled_order_takes_no_payment(order):
    order_services.order_cancel(order=order, acting_user=order.buyer, reason="Found another")
    with pytest.raises(OutOfTurn, match="cancelled"):
        pay(order, "deposit", "card")
    assert not Payment.objects.exists()
    assert_ledger_invariants()


def test_a_completed_order_takes_no_payment(order):
    completed(order)
    for purpose in ("deposit", "balance", "full"):
        with pytest.raises(OutOfTurn, match="completed"):
            pay(order, purpose, "card")
    assert Payment.objects.count() == 1
    assert_ledger_invariants()


def test_a_draft_or_a_funded_order_takes_no_payment(order):
    draft = order_services.order_draft_for_buyer(
        supplier=order.supplier, buyer_email=order.buyer.email, terms=terms()
    )
    with pytest.raises(OutOfTurn, match="confirm the contract"):
        pay(draft, "full", "card")

    funded(order)
    with pytest.raises(OutOfTurn):
        pay(order, "balance", "card")
    with pytest.raises(OutOfTurn):
        pay(order, "full", "card")
    assert_ledger_invariants()


def test_the_balance_before_the_deposit_is_refused(order):
    with pytest.raises(OutOfTurn, match="deposit first"):
        pay(order, "balance", "card")
    assert not Payment.objects.exists()
    assert_ledger_invariants()


def test_the_deposit_twice_is_refused(order):
    pay(order, "deposit", "card")
    with pytest.raises(OutOfTurn, match="already paid"):
        pay(order, "deposit", "card")
    assert Payment.objects.count() == 1
    assert_ledger_invariants()


def test_a_second_payment_while_one_is_pending_is_refused(order):
    pay(order, "deposit", "tt")
    for purpose in ("deposit", "full"):
        with pytest.raises(PaymentRefused, match="still on its way"):
            pay(order, purpose, "card")
    assert Payment.objects.count() == 1
    assert held(order) == 0
    assert_ledger_invariants()


def test_a_contract_without_a_deposit_is_paid_in_full():
    order = confirmed_order(deposit_percent=0)
    with pytest.raises(PaymentRefused, match="no deposit") as error:
        pay(order, "deposit", "card")
    assert error.value.field == "purpose"

    pay(order, "full", "card")
    assert reloaded(order).status == Status.FUNDED
    assert_ledger_invariants()


def test_a_full_deposit_funds_the_order():
    order = confirmed_order(deposit_percent=100)
    pay(order, "deposit", "card")
    order = reloaded(order)
    assert order.status == Status.FUNDED
    assert held(order) == TOTAL
    assert_ledger_invariants()


def test_only_the_buyer_pays_with_a_known_method(order):
    with pytest.raises(WrongParty):
        services.payment_start(
            order=order, acting_user=order.supplier, purpose="deposit", method="card"
        )
    with pytest.raises(NotAParty):
        services.payment_start(
            order=order, acting_user=BuyerFactory(), purpose="deposit", method="card"
        )
    with pytest.raises(PaymentRefused, match="payment method"):
        pay(order, "deposit", "cash")
    assert not Payment.objects.exists()
    assert_ledger_invariants()


# --- release on receipt ---------------------------------------------------------------------------


def test_confirming_receipt_releases_the_escrow_to_the_supplier(order):
    shipped(order)
    assert (held(order), payable(order)) == (TOTAL, 0)

    order = order_services.order_confirm_receipt(order=order, acting_user=order.buyer)

    assert order.status == Status.COMPLETED
    assert (held(order), payable(order), funding(order)) == (0, TOTAL, -TOTAL)
    release = LedgerEntry.objects.get(order=order, kind="release")
    assert release.created_by == order.buyer
    assert sorted(release.postings.values_list("amount", flat=True)) == [-TOTAL, TOTAL]
    summary = selectors.escrow_summary_for(order=order)
    assert (summary.paid_in, summary.held, summary.released, summary.refunded) == (
        TOTAL,
        0,
        TOTAL,
        0,
    )
    assert selectors.supplier_balances_for(supplier=order.supplier) == [
        selectors.SupplierBalance(currency="USD", available=TOTAL, held=0, paid_out=0)
    ]
    # A released order is released once.
    assert services.escrow_release(order=order) is None
    with pytest.raises(OutOfTurn):
        order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    assert entry_kinds(order) == ["payment", "release"]
    assert_ledger_invariants()


# --- refunds --------------------------------------------------------------------------------------


def refund(order, amount=None, user=None, reason="Goods not as contracted"):
    return services.escrow_refund(
        order=order, acting_user=user or order.supplier, amount=amount, reason=reason
    )


def test_a_full_refund_returns_everything_and_refunds_the_order(order):
    funded(order)

    entry = refund(order)

    order = reloaded(order)
    assert order.status == Status.REFUNDED
    assert entry.kind == "refund"
    assert (held(order), funding(order), payable(order)) == (0, 0, 0)
    assert OrderEvent.Type.REFUNDED in event_types(order)
    assert order.buyer.notifications.filter(kind="order_refunded").exists()
    summary = selectors.escrow_summary_for(order=order)
    assert (summary.paid_in, summary.refunded, summary.released) == (TOTAL, TOTAL, 0)
    with pytest.raises(OutOfTurn, match="nothing in escrow"):
        refund(order)
    assert_ledger_invariants()


def test_a_refund_after_the_deposit_only(order):
    pay(order, "deposit", "card")
    refund(order)
    assert reloaded(order).status == Status.REFUNDED
    assert (held(order), funding(order)) == (0, 0)
    assert_ledger_invariants()


def test_a_shipped_order_may_be_refunded_in_full(order):
    """escrow_refund accepts a shipped order and refunds everything held; the order must end
    refunded (today Order.refund has no SHIPPED source: TransitionNotAllowed, a 500)."""
    shipped(order)

    refund(order)

    assert reloaded(order).status == Status.REFUNDED
    assert (held(order), funding(order), payable(order)) == (0, 0, 0)
    assert_ledger_invariants()


def test_a_partial_refund_releases_the_rest_in_one_entry(order):
    shipped(order)

    entry = refund(order, amount=100_000, reason="200 bulbs arrived broken")

    order = reloaded(order)
    assert order.status == Status.COMPLETED
    assert order.completed_at is not None
    assert entry.kind == "settlement"
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-TOTAL, 100_000, 500_000]
    assert entry_kinds(order) == ["payment", "settlement"]
    assert (held(order), funding(order), payable(order)) == (0, -500_000, 500_000)
    refunded_event = order.events.get(type=OrderEvent.Type.REFUNDED)
    assert refunded_event.parameters == {
        "amount": 100_000,
        "partial": True,
        "reason": "200 bulbs arrived broken",
    }
    summary = selectors.escrow_summary_for(order=order)
    assert (summary.paid_in, summary.refunded, summary.released) == (TOTAL, 100_000, 500_000)
    assert_ledger_invariants()


def test_a_partial_refund_before_shipment_is_refused(order):
    funded(order)
    with pytest.raises(PaymentRefused, match="in full or not at all"):
        refund(order, amount=100_000)

    assert reloaded(order).status == Status.FUNDED
    assert held(order) == TOTAL
    assert entry_kinds(order) == ["payment"]
    assert_ledger_invariants()


def test_refusals_of_a_refund(order):
    with pytest.raises(OutOfTurn, match="nothing in escrow"):
        refund(order)  # nothing paid yet
    shipped(order)
    with pytest.raises(NotAParty):
        refund(order, user=order.buyer)
    with pytest.raises(Overpayment):
        refund(order, amount=TOTAL + 1)
    with pytest.raises(PaymentRefused, match="positive"):
        refund(order, amount=0)
    with pytest.raises(PaymentRefused, match="why"):
        refund(order, amount=1_000, reason="  ")

    assert reloaded(order).status == Status.SHIPPED
    assert held(order) == TOTAL
    assert_ledger_invariants()


def test_a_mediator_may_refund(order):
    shipped(order)
    refund(order, amount=600, user=MediatorFactory())
    assert reloaded(order).status == Status.COMPLETED
    assert (held(order), funding(order), payable(order)) == (0, -TOTAL + 600, TOTAL - 600)
    assert_ledger_invariants()


def test_money_arriving_after_a_refund_goes_back(order):
    pay(order, "deposit", "card")
    payment = pay(order, "balance", "tt")
    refund(order)

    transfer(payment, BALANCE)

    assert reloaded(order).status == Status.REFUNDED
    assert (held(order), funding(order)) == (0, 0)
    assert_ledger_invariants()


# --- payouts --------------------------------------------------------------------------------------


def test_payouts_take_only_what_is_available(order):
    completed(order)
    supplier, staff = order.supplier, MediatorFactory()

    with pytest.raises(PayoutRefused, match="available balance"):
        services.payout_request(supplier=supplier, amount=TOTAL + 1, currency="USD")
    with pytest.raises(PayoutRefused):
        services.payout_request(supplier=supplier, amount=0, currency="USD")
    with pytest.raises(PayoutRefused):
        services.payout_request(supplier=supplier, amount=1, currency="EUR")
    with pytest.raises(WrongParty):
        services.payout_request(supplier=order.buyer, amount=1, currency="USD")

    payout = services.payout_request(supplier=supplier, amount=250_000, currency="USD")

    assert payout.status == "requested"
    assert payable(order) == TOTAL - 250_000
    assert balance(Kind.PAYOUTS, user=supplier) == 250_000
    with pytest.raises(PayoutRefused):
        services.payout_request(supplier=supplier, amount=TOTAL - 250_000 + 1, currency="USD")

    services.payout_advance(payout=payout, acting_user=staff, to="processing")
    services.payout_advance(payout=payout, acting_user=staff, to="paid")
    payout.refresh_from_db()
    assert payout.status == "paid"
    with pytest.raises(OutOfTurn):
        services.payout_advance(payout=payout, acting_user=staff, to="failed")
    assert selectors.supplier_balances_for(supplier=supplier) == [
        selectors.SupplierBalance(currency="USD", available=350_000, held=0, paid_out=250_000)
    ]
    assert_ledger_invariants()


def test_a_failed_payout_returns_the_money(order):
    completed(order)
    supplier, staff = order.supplier, MediatorFactory()
    payout = services.payout_request(supplier=supplier, amount=TOTAL, currency="USD")
    assert payable(order) == 0

    with pytest.raises(NotAParty):
        services.payout_advance(payout=payout, acting_user=supplier, to="failed")
    with pytest.raises(PayoutRefused):
        services.payout_advance(payout=payout, acting_user=staff, to="lost")
    services.payout_advance(payout=payout, acting_user=staff, to="failed")

    assert Payout.objects.get(pk=payout.pk).status == "failed"
    assert payable(order) == TOTAL
    assert balance(Kind.PAYOUTS, user=supplier) == 0
    assert LedgerEntry.objects.filter(kind="payout_reversal").count() == 1
    with pytest.raises(OutOfTurn):
        services.payout_advance(payout=payout, acting_user=staff, to="failed")
    assert LedgerEntry.objects.filter(kind="payout_reversal").count() == 1
    # The money is available again.
    services.payout_request(supplier=supplier, amount=TOTAL, currency="USD")
    assert_ledger_invariants()


# --- payouts through the provider: its signed webhooks move them on ---------------------------


def payout_event(payout, event_type, **data):
    return deliver(event_type, {"reference": payout.provider_reference, **data})


def notified(user, kind):
    return list(user.notifications.filter(kind=kind).values_list("subject", "body"))


def test_a_payout_goes_to_the_provider_which_reports_it_paid(order):
    completed(order)
    supplier = order.supplier
    payout = services.payout_request(supplier=supplier, amount=250_000, currency="USD")
    assert payout.provider == "sandbox" and payout.provider_reference.startswith("po_sbx_")

    assert payout_event(payout, "payout.processing") == WebhookOutcome.PROCESSED
    assert Payout.objects.get(pk=payout.pk).status == "processing"
    assert payout_event(payout, "payout.paid") == WebhookOutcome.PROCESSED

    payout.refresh_from_db()
    assert payout.status == "paid"
    [(subject, body)] = notified(supplier, "payout_paid")
    assert subject == "Your payout was paid"
    assert "US$\xa02,500.00" in body and payout.provider_reference in body
    assert selectors.supplier_balances_for(supplier=supplier) == [
        selectors.SupplierBalance(currency="USD", available=350_000, held=0, paid_out=250_000)
    ]
    assert_ledger_invariants()


def test_a_payout_the_bank_refuses_returns_the_money_with_the_reason(order):
    completed(order)
    supplier = order.supplier
    payout = services.payout_request(supplier=supplier, amount=TOTAL, currency="USD")

    outcome = payout_event(payout, "payout.failed", reason="Beneficiary account closed")

    assert outcome == WebhookOutcome.PROCESSED
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "Beneficiary account closed")
    assert payable(order) == TOTAL
    assert balance(Kind.PAYOUTS, user=supplier) == 0
    [(subject, body)] = notified(supplier, "payout_failed")
    assert subject == "Your payout failed"
    assert "back in your available balance" in body and "Beneficiary account closed" in body
    assert_ledger_invariants()


def test_a_replayed_or_late_payout_webhook_changes_nothing(order, caplog):
    completed(order)
    payout = services.payout_request(supplier=order.supplier, amount=TOTAL, currency="USD")
    deliver("payout.failed", {"reference": payout.provider_reference}, event_id="evt_fail")

    replay = deliver("payout.failed", {"reference": payout.provider_reference}, event_id="evt_fail")
    # The provider contradicting itself: paid after failed. The money is back in the balance,
    # so nothing moves; staff are told to reconcile.
    contradiction = payout_event(payout, "payout.paid")
    late = payout_event(payout, "payout.processing")

    assert (replay, contradiction, late) == ("duplicate", "ignored", "ignored")
    assert Payout.objects.get(pk=payout.pk).status == "failed"
    assert LedgerEntry.objects.filter(kind="payout_reversal").count() == 1
    assert payable(order) == TOTAL
    assert len(notified(order.supplier, "payout_failed")) == 1
    assert "reconcile" in caplog.text and f"payout {payout.pk} is paid" in caplog.text
    assert_ledger_invariants()


def test_a_paid_payout_the_bank_sends_back_returns_to_the_balance(order):
    completed(order)
    payout = services.payout_request(supplier=order.supplier, amount=TOTAL, currency="USD")
    payout_event(payout, "payout.paid")

    outcome = payout_event(payout, "payout.failed", reason="Returned by the beneficiary bank")

    assert outcome == WebhookOutcome.PROCESSED
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "Returned by the beneficiary bank")
    assert (payable(order), balance(Kind.PAYOUTS, user=order.supplier)) == (TOTAL, 0)
    assert payout_event(payout, "payout.failed") == WebhookOutcome.IGNORED  # returned once
    assert LedgerEntry.objects.filter(kind="payout_reversal").count() == 1
    with pytest.raises(OutOfTurn):  # staff cannot undo a paid payout; only the bank's return
        services.payout_advance(payout=payout, acting_user=MediatorFactory(), to="failed")
    assert_ledger_invariants()


def test_a_payout_webhook_for_an_unknown_payout_or_event_is_ignored(order):
    completed(order)
    payout = services.payout_request(supplier=order.supplier, amount=TOTAL, currency="USD")

    assert deliver("payout.paid", {"reference": "po_sbx_unknown"}) == "ignored"
    assert payout_event(payout, "payout.reversed") == "ignored"
    assert Payout.objects.get(pk=payout.pk).status == "requested"
    with pytest.raises(WebhookRejected):
        deliver("payout.paid", {"reference": ["po_sbx_list"]})
    assert_ledger_invariants()


def test_staff_moving_a_payout_tell_the_supplier_too(order):
    completed(order)
    supplier, staff = order.supplier, MediatorFactory()
    first = services.payout_request(supplier=supplier, amount=100_000, currency="USD")
    second = services.payout_request(supplier=supplier, amount=100_000, currency="USD")

    services.payout_advance(payout=first, acting_user=staff, to="processing")
    assert notified(supplier, "payout_paid") == []  # processing is not news for the supplier
    services.payout_advance(payout=first, acting_user=staff, to="paid")
    services.payout_advance(payout=second, acting_user=staff, to="failed")

    assert len(notified(supplier, "payout_paid")) == 1
    [(_subject, body)] = notified(supplier, "payout_failed")
    assert "The bank said" not in body  # staff gave no reason
    assert_ledger_invariants()


def test_payouts_never_touch_escrow(order):
    shipped(order)  # everything is still held for the order
    with pytest.raises(PayoutRefused):
        services.payout_request(supplier=order.supplier, amount=1, currency="USD")
    assert held(order) == TOTAL
    assert_ledger_invariants()


def test_the_ledger_refuses_an_unbalanced_or_negative_service_entry(order):
    """A guard for programming errors in the services, not a user's error."""
    pay(order, "deposit", "card")
    escrow = services.ledger_account(Kind.ESCROW, order.currency, order=order)
    supplier_payable = services.ledger_account(Kind.SUPPLIER_PAYABLE, "USD", user=order.supplier)
    with pytest.raises(LedgerUnbalanced):
        services.entry_post(
            key="x", kind="release", description="x", postings=[(escrow, -DEPOSIT - 1)]
        )
    with pytest.raises(LedgerUnbalanced):
        services.entry_post(
            key="y",
            kind="release",
            description="y",
            postings=[(escrow, -DEPOSIT - 1), (supplier_payable, DEPOSIT + 1)],
            order=order,
        )
    assert held(order) == DEPOSIT
    assert_ledger_invariants()


# --- the contract is frozen once money is in ------------------------------------------------------


def test_the_contract_is_locked_once_a_payment_is_confirmed(order):
    pay(order, "deposit", "card")
    with pytest.raises(ContractLocked):
        order_services.contract_edit(
            order=order, acting_user=order.supplier, terms=terms(deposit_percent=50)
        )
    assert reloaded(order).current_version.number == 1
    assert_ledger_invariants()


def test_the_contract_is_locked_while_part_of_the_deposit_is_held(order):
    """Money in escrow freezes the contract, even before the whole deposit has arrived."""
    payment = pay(order, "deposit", "tt")
    transfer(payment, 100_000)

    with pytest.raises(ContractLocked):
        order_services.contract_edit(
            order=order, acting_user=order.supplier, terms=terms(deposit_percent=50)
        )

    assert reloaded(order).current_version.number == 1
    assert_ledger_invariants()


def test_an_order_holding_part_of_the_deposit_cannot_be_cancelled(order):
    """A cancelled order must hold nothing in escrow: with money held, cancelling is refused
    (today it is accepted, and the money is stranded: escrow_refund refuses a cancelled order)."""
    payment = pay(order, "deposit", "tt")
    transfer(payment, 100_000)

    with pytest.raises(OutOfTurn):
        order_services.order_cancel(order=order, acting_user=order.buyer, reason="Changed mind")

    assert reloaded(order).status == Status.CONFIRMED
    assert_ledger_invariants()
