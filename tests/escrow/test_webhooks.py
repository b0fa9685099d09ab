"""The payment provider's webhook (/api/v1/escrow/webhooks/sandbox/): signed with HMAC-SHA256 over
timestamp.body, refused outside a 300 s window, applied once per event id. A T/T may arrive in
several transfers; what is paid beyond what is due goes straight back."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from apps.escrow import services as escrow_services
from apps.escrow.models import LedgerEntry, Payment, WebhookEvent
from apps.escrow.providers.sandbox import sign
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order, webhook

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/v1/escrow/webhooks/sandbox/"
DEPOSIT = 180_000
# A whole second, so the signed timestamp is exactly "now" with time frozen.
FROZEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def tt_deposit():
    """A confirmed order whose buyer chose to pay the deposit by T/T: pending."""
    order = confirmed_order()
    payment = escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )
    return Order.objects.get(pk=order.pk), payment


def transfer(payment, amount, **kwargs):
    return webhook(
        Client(),
        "payment.transfer_received",
        {"reference": payment.provider_reference, "amount": amount},
        **kwargs,
    )


def held(order):
    return escrow_services.escrow_held(order)


def post_raw(body, signature):
    return Client().post(
        WEBHOOK, data=body, content_type="application/json", HTTP_PACTLINE_SIGNATURE=signature
    )


def test_a_transfer_moves_the_money_into_escrow():
    order, payment = tt_deposit()

    response = transfer(payment, DEPOSIT)

    assert (response.status_code, response.json()) == (200, {"status": "processed"})
    assert held(order) == DEPOSIT
    assert Order.objects.get(pk=order.pk).status == Order.Status.DEPOSIT_PAID
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.CONFIRMED
    assert_ledger_invariants()


def test_a_tt_in_two_transfers_pays_the_deposit_when_the_second_arrives():
    order, payment = tt_deposit()

    transfer(payment, 100_000)
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    assert Payment.objects.get(pk=payment.pk).received_amount == 100_000
    transfer(payment, 80_000)

    payment.refresh_from_db()
    assert (payment.status, payment.received_amount) == (Payment.Status.CONFIRMED, DEPOSIT)
    assert Order.objects.get(pk=order.pk).status == Order.Status.DEPOSIT_PAID
    assert held(order) == DEPOSIT
    assert_ledger_invariants()


def test_an_overpaying_transfer_is_returned_beyond_what_is_due():
    order, payment = tt_deposit()

    transfer(payment, DEPOSIT + 25_000)

    assert held(order) == DEPOSIT
    returned = LedgerEntry.objects.get(kind=LedgerEntry.Kind.OVERPAYMENT_RETURN)
    assert {p.amount for p in returned.postings.all()} == {-25_000, 25_000}
    assert Order.objects.get(pk=order.pk).status == Order.Status.DEPOSIT_PAID
    assert_ledger_invariants()


def test_a_replayed_event_is_credited_once():
    order, payment = tt_deposit()

    answers = [transfer(payment, 100_000, event_id="evt_once").json() for _n in range(100)]

    assert answers[0] == {"status": "processed"}
    assert answers[1:] == [{"status": "duplicate"}] * 99
    assert held(order) == 100_000
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).count() == 1
    assert WebhookEvent.objects.count() == 1
    assert_ledger_invariants()


def test_a_transfer_for_an_unknown_payment_is_acknowledged_and_ignored():
    order, _payment = tt_deposit()

    response = webhook(
        Client(), "payment.transfer_received", {"reference": "sbx_nobody", "amount": 5}
    )

    assert (response.status_code, response.json()) == (200, {"status": "ignored"})
    assert held(order) == 0 and not LedgerEntry.objects.exists()


def test_an_event_of_another_type_is_ignored():
    order, payment = tt_deposit()

    response = webhook(Client(), "payment.disputed", {"reference": payment.provider_reference})

    assert response.json() == {"status": "ignored"}
    assert held(order) == 0


def test_a_failed_payment_leaves_the_order_waiting_for_another():
    order, payment = tt_deposit()

    response = webhook(Client(), "payment.failed", {"reference": payment.provider_reference})

    assert response.json() == {"status": "processed"}
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.FAILED
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED
    # Nothing is on its way any more: the buyer may pay again.
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="card"
    )
    assert held(order) == DEPOSIT
    assert_ledger_invariants()


def test_money_for_a_cancelled_order_goes_straight_back():
    order, payment = tt_deposit()
    order_services.order_cancel(order=order, acting_user=order.buyer, reason="Found it cheaper")

    response = transfer(payment, DEPOSIT)

    assert response.json() == {"status": "processed"}
    assert held(order) == 0
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.OVERPAYMENT_RETURN).count() == 1
    assert_ledger_invariants()


# --- refused -----------------------------------------------------------------------------------


def test_a_bad_signature_is_refused():
    order, payment = tt_deposit()
    body = json.dumps(
        {
            "id": "evt_forged",
            "type": "payment.transfer_received",
            "data": {"reference": payment.provider_reference, "amount": DEPOSIT},
        }
    ).encode()
    timestamp = int(timezone.now().timestamp())

    forged = post_raw(body, sign(body, timestamp, secret="not-the-secret"))
    tampered = post_raw(body.replace(b"180000", b"999999"), sign(body, timestamp))

    assert forged.status_code == 400 and tampered.status_code == 400
    assert held(order) == 0 and not WebhookEvent.objects.exists()


def test_a_missing_or_malformed_signature_header_is_refused():
    _order, payment = tt_deposit()
    body = b'{"id":"evt_1","type":"payment.succeeded","data":{}}'

    assert post_raw(body, "").status_code == 400
    assert post_raw(body, "t=yesterday,v1=abc").status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(("age", "status"), [(301, 400), (299, 200), (-301, 400), (-299, 200)])
def test_only_a_timestamp_within_300_seconds_is_accepted(age, status):
    order, payment = tt_deposit()

    with time_machine.travel(FROZEN, tick=False):
        response = transfer(payment, DEPOSIT, at=FROZEN - dt.timedelta(seconds=age))

    assert response.status_code == status, response.content
    assert held(order) == (DEPOSIT if status == 200 else 0)
    assert_ledger_invariants()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"type":"payment.succeeded","data":{}}',
        b'{"id":"evt_1","data":{}}',
    ],
    ids=["not json", "not an object", "no id", "no type"],
)
def test_a_malformed_event_is_refused(body):
    response = post_raw(body, sign(body, int(timezone.now().timestamp())))

    assert response.status_code == 400, response.content
    assert not WebhookEvent.objects.exists()


def test_a_transfer_of_nothing_is_refused():
    order, payment = tt_deposit()

    response = transfer(payment, 0)

    assert response.status_code == 400
    assert held(order) == 0 and not WebhookEvent.objects.exists()
    assert_ledger_invariants()


def test_an_unknown_provider_is_not_found():
    body = b'{"id":"evt_1","type":"payment.succeeded","data":{}}'

    response = Client().post(
        "/api/v1/escrow/webhooks/elsewhere/",
        data=body,
        content_type="application/json",
        HTTP_PACTLINE_SIGNATURE=sign(body, int(timezone.now().timestamp())),
    )

    assert response.status_code == 404


def test_the_webhook_takes_only_posts():
    assert Client().get(WEBHOOK).status_code == 405
