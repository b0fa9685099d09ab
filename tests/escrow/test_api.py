"""The escrow API: paying into an order's escrow (card at once, T/T through the provider's
webhook), refunds, the supplier's balances and payouts, and the caller's statement. Every refusal
comes with a message (400 on a field, 409 out of turn), and every test ends with the ledger's
invariants."""

import pytest
import yaml
from django.test import Client
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIClient

from apps.escrow import services as escrow_services
from apps.escrow.models import LedgerEntry, Payment, Payout
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order, webhook
from tests.factories import MediatorFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
DEPOSIT, BALANCE, TOTAL = 180_000, 420_000, 600_000  # confirmed_order(): US$6,000.00, 30 %


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def pay(order, purpose, method, user=None, **extra):
    return client_for(user or order.buyer).post(
        f"{ORDERS}{order.pk}/payments/", {"purpose": purpose, "method": method, **extra}, "json"
    )


def refund(order, user=None, **data):
    data.setdefault("reason", "Goods not as contracted")
    return client_for(user or order.supplier).post(f"{ORDERS}{order.pk}/refund/", data, "json")


def payout(supplier, amount, currency="USD"):
    return client_for(supplier).post(
        "/api/v1/payouts/", {"amount": amount, "currency": currency}, "json"
    )


def refused(response, status, field, words):
    assert response.status_code == status, response.content
    messages = response.json()[field]
    assert any(words in message for message in messages), messages
    return messages


def reloaded(order):
    return Order.objects.get(pk=order.pk)


def funded_order(**overrides):
    """Paid in full by card: US$6,000.00 in escrow."""
    order = confirmed_order(**overrides)
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="card"
    )
    return reloaded(order)


def shipped_order():
    order = funded_order()
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU1234567"
    )
    return reloaded(order)


def completed_order():
    order = shipped_order()
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    return reloaded(order)


# --- the happy path ----------------------------------------------------------------------------


def test_an_order_is_paid_by_tt_and_card_shipped_received_and_paid_out():
    order = confirmed_order()
    buyer, supplier = order.buyer, order.supplier

    deposit = pay(order, "deposit", "tt")
    assert deposit.status_code == 201, deposit.content
    body = deposit.json()
    payment = body["payment"]
    assert (payment["purpose"], payment["method"], payment["status"]) == (
        "deposit",
        "tt",
        "pending",
    )
    assert (payment["amount"], payment["received_amount"], payment["currency"]) == (
        DEPOSIT,
        0,
        "USD",
    )
    assert payment["instructions"]["payment_reference"] == payment["reference"]
    assert body["order"]["status"] == "confirmed"
    assert body["order"]["escrow"]["held"] == 0

    arrived = webhook(
        Client(),
        "payment.transfer_received",
        {"reference": payment["reference"], "amount": DEPOSIT},
    )
    assert arrived.json() == {"status": "processed"}
    assert reloaded(order).status == Order.Status.DEPOSIT_PAID

    balance = pay(order, "balance", "card")
    assert balance.status_code == 201, balance.content
    assert balance.json()["payment"]["status"] == "confirmed"
    assert balance.json()["order"]["status"] == "funded"
    assert balance.json()["order"]["escrow"] == {
        "currency": "USD",
        "paid_in": TOTAL,
        "held": TOTAL,
        "released": 0,
        "refunded": 0,
    }
    listed = client_for(supplier).get(f"{ORDERS}{order.pk}/payments/").json()
    assert [(p["purpose"], p["status"], p["received_amount"]) for p in listed] == [
        ("deposit", "confirmed", DEPOSIT),
        ("balance", "confirmed", BALANCE),
    ]

    shipped = client_for(supplier).post(
        f"{ORDERS}{order.pk}/ship/", {"carrier": "Maersk", "tracking_number": "MSKU1"}, "json"
    )
    assert shipped.status_code == 200, shipped.content
    assert client_for(supplier).get("/api/v1/balances/").json() == [
        {"currency": "USD", "available": 0, "held": TOTAL, "paid_out": 0}
    ]
    received = client_for(buyer).post(
        f"{ORDERS}{order.pk}/confirm-receipt/", HTTP_IDEMPOTENCY_KEY="receipt-1"
    )
    assert received.status_code == 200, received.content
    assert received.json()["status"] == "completed"
    assert received.json()["escrow"]["released"] == TOTAL
    assert received.json()["escrow"]["held"] == 0
    assert client_for(supplier).get("/api/v1/balances/").json() == [
        {"currency": "USD", "available": TOTAL, "held": 0, "paid_out": 0}
    ]

    requested = payout(supplier, 500_000)
    assert requested.status_code == 201, requested.content
    assert (requested.json()["amount"], requested.json()["status"]) == (500_000, "requested")
    escrow_services.payout_advance(
        payout=Payout.objects.get(pk=requested.json()["id"]),
        acting_user=MediatorFactory(),
        to="paid",
    )
    assert [
        p["status"] for p in client_for(supplier).get("/api/v1/payouts/").json()["results"]
    ] == ["paid"]
    assert client_for(supplier).get("/api/v1/balances/").json() == [
        {"currency": "USD", "available": 100_000, "held": 0, "paid_out": 500_000}
    ]

    buyer_lines = client_for(buyer).get("/api/v1/statements/").json()["results"]
    assert [(line["kind"], line["account_kind"], line["amount"]) for line in buyer_lines] == [
        ("payment", "buyer_funding", -BALANCE),
        ("payment", "buyer_funding", -DEPOSIT),
    ]
    assert {line["order_reference"] for line in buyer_lines} == {order.reference}
    supplier_lines = client_for(supplier).get("/api/v1/statements/").json()["results"]
    assert sorted(
        (line["kind"], line["account_kind"], line["amount"]) for line in supplier_lines
    ) == [
        ("payout", "payouts", 500_000),
        ("payout", "supplier_payable", -500_000),
        ("release", "supplier_payable", TOTAL),
    ]
    assert all(line["currency"] == "USD" and line["date"] for line in supplier_lines)
    assert_ledger_invariants()


def test_the_order_detail_shows_its_escrow():
    order = funded_order()

    detail = client_for(order.buyer).get(f"{ORDERS}{order.pk}/").json()

    assert detail["escrow"] == {
        "currency": "USD",
        "paid_in": TOTAL,
        "held": TOTAL,
        "released": 0,
        "refunded": 0,
    }


def test_a_contract_without_deposit_is_paid_in_full():
    order = confirmed_order(deposit_percent=0)

    response = pay(order, "full", "card")

    assert response.status_code == 201, response.content
    assert response.json()["order"]["status"] == "funded"
    assert response.json()["payment"]["amount"] == TOTAL
    assert_ledger_invariants()


def test_paying_the_exact_amount_due_is_accepted():
    order = confirmed_order()

    response = pay(order, "deposit", "card", amount=DEPOSIT)

    assert response.status_code == 201, response.content
    assert response.json()["order"]["status"] == "deposit_paid"
    assert_ledger_invariants()


# --- refusals ----------------------------------------------------------------------------------


def test_paying_more_than_is_due_is_refused_on_the_amount():
    order = confirmed_order()

    refused(pay(order, "deposit", "card", amount=DEPOSIT + 1), 400, "amount", "more than is due")

    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()


def test_paying_less_than_is_due_is_refused_on_the_amount():
    order = confirmed_order()

    refused(pay(order, "deposit", "card", amount=DEPOSIT - 1), 400, "amount", "in one payment")


def test_paying_a_cancelled_order_is_a_conflict():
    order = confirmed_order()
    order_services.order_cancel(order=order, acting_user=order.buyer, reason="Found it cheaper")

    refused(pay(order, "deposit", "card"), 409, "detail", "cancelled")

    assert not LedgerEntry.objects.exists()


def test_paying_a_completed_order_is_a_conflict():
    order = completed_order()
    entries = LedgerEntry.objects.count()

    refused(pay(order, "balance", "card"), 409, "detail", "completed")

    assert LedgerEntry.objects.count() == entries
    assert_ledger_invariants()


def test_paying_a_draft_is_a_conflict():
    order = confirmed_order()
    draft = order_services.order_draft_for_buyer(
        supplier=order.supplier, buyer_email=order.buyer.email, terms=terms()
    )

    refused(pay(draft, "deposit", "card"), 409, "detail", "confirm the contract")


def test_the_balance_before_the_deposit_is_a_conflict():
    order = confirmed_order()

    refused(pay(order, "balance", "card"), 409, "detail", "deposit first")

    assert not Payment.objects.exists()


def test_the_deposit_twice_is_a_conflict():
    order = confirmed_order()
    pay(order, "deposit", "card")

    refused(pay(order, "deposit", "card"), 409, "detail", "already paid")
    assert_ledger_invariants()


def test_a_second_payment_while_one_is_on_its_way_is_refused():
    order = confirmed_order()
    assert pay(order, "deposit", "tt").status_code == 201

    refused(pay(order, "full", "card"), 400, "detail", "still on its way")

    assert Payment.objects.count() == 1 and not LedgerEntry.objects.exists()


def test_a_deposit_on_a_contract_without_one_is_refused_on_the_purpose():
    order = confirmed_order(deposit_percent=0)

    refused(pay(order, "deposit", "card"), 400, "purpose", "no deposit")


def test_a_fully_paid_order_takes_no_more_payments():
    order = funded_order()

    refused(pay(order, "balance", "card"), 409, "detail", "")
    assert_ledger_invariants()


def test_an_unknown_purpose_or_method_is_refused_on_its_field():
    order = confirmed_order()

    response = pay(order, "tip", "bitcoin")

    refused(response, 400, "purpose", "")
    assert "method" in response.json()


def test_only_the_buyer_pays():
    order = confirmed_order()

    refused(pay(order, "deposit", "card", user=order.supplier), 403, "detail", "buyer pays")

    assert not Payment.objects.exists()


def test_the_contract_cannot_change_once_a_payment_is_received():
    order = confirmed_order()
    pay(order, "deposit", "card")
    payload = {
        "currency": "USD",
        "lines": [
            {"product_title": "Bulb", "specification": "E27", "quantity": 1, "unit_price": 1}
        ],
        "quality_standard": "AQL 2.5",
        "shipping_method": "sea",
        "incoterm": "FOB",
        "shipping_address": "Havenweg 1, Rotterdam",
        "deposit_percent": 0,
        "ship_within_days": 30,
    }

    response = client_for(order.supplier).post(f"{ORDERS}{order.pk}/contract/", payload, "json")

    refused(response, 409, "detail", "no longer change")
    assert reloaded(order).current_version.number == 1
    assert_ledger_invariants()


# Not strict: the service fix is under way (tests/escrow/test_services.py); drop the mark with it.
def test_an_order_with_part_of_its_deposit_in_escrow_cannot_be_cancelled():
    order = confirmed_order()
    reference = pay(order, "deposit", "tt").json()["payment"]["reference"]
    webhook(Client(), "payment.transfer_received", {"reference": reference, "amount": 50_000})

    response = client_for(order.buyer).post(
        f"{ORDERS}{order.pk}/cancel/", {"reason": "Changed our mind"}, "json"
    )

    assert response.status_code == 409, response.content
    assert_ledger_invariants()


# --- refunds -----------------------------------------------------------------------------------


def test_the_supplier_refunds_a_funded_order_in_full():
    order = funded_order()

    response = refund(order)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "refunded"
    assert response.json()["escrow"]["refunded"] == TOTAL
    assert response.json()["escrow"]["held"] == 0
    assert_ledger_invariants()


def test_a_shipped_order_is_partly_refunded_and_the_rest_released():
    order = shipped_order()

    response = refund(order, amount=100_000, reason="20 pieces broken")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["escrow"] == {
        "currency": "USD",
        "paid_in": TOTAL,
        "held": 0,
        "released": TOTAL - 100_000,
        "refunded": 100_000,
    }
    assert_ledger_invariants()


def test_staff_may_refund_any_order():
    order = funded_order()

    response = refund(order, user=MediatorFactory(), reason="Decided in mediation")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "refunded"
    assert_ledger_invariants()


def test_refunding_more_than_is_held_is_refused_on_the_amount():
    order = shipped_order()

    refused(refund(order, amount=TOTAL + 1), 400, "amount", "held in escrow")

    assert reloaded(order).status == Order.Status.SHIPPED
    assert_ledger_invariants()


def test_a_partial_refund_before_shipment_is_refused_on_the_amount():
    order = funded_order()

    refused(refund(order, amount=100_000), 400, "amount", "in full or not at all")

    assert reloaded(order).status == Order.Status.FUNDED
    assert_ledger_invariants()


def test_a_refund_needs_a_reason():
    order = funded_order()

    refused(refund(order, reason="  "), 400, "reason", "why")

    assert reloaded(order).status == Order.Status.FUNDED


def test_an_order_with_nothing_in_escrow_cannot_be_refunded():
    order = confirmed_order()

    refused(refund(order), 409, "detail", "nothing in escrow")


def test_the_buyer_cannot_refund_itself():
    order = funded_order()

    refused(refund(order, user=order.buyer), 403, "detail", "supplier or a mediator")

    assert reloaded(order).status == Order.Status.FUNDED
    assert_ledger_invariants()


# --- balances and payouts ------------------------------------------------------------------------


def test_a_payout_beyond_the_available_balance_is_refused_on_the_amount():
    order = completed_order()

    refused(payout(order.supplier, TOTAL + 1), 400, "amount", "available balance")

    assert not Payout.objects.exists()
    assert_ledger_invariants()


def test_a_payout_in_a_currency_without_a_balance_is_refused():
    order = completed_order()

    refused(payout(order.supplier, 100, currency="EUR"), 400, "amount", "available balance")


def test_a_payout_of_nothing_is_refused_on_the_amount():
    order = completed_order()

    response = payout(order.supplier, 0)

    refused(response, 400, "amount", "")


def test_a_failed_payout_returns_to_the_balance():
    order = completed_order()
    requested = payout(order.supplier, TOTAL).json()

    escrow_services.payout_advance(
        payout=Payout.objects.get(pk=requested["id"]), acting_user=MediatorFactory(), to="failed"
    )

    assert client_for(order.supplier).get("/api/v1/balances/").json() == [
        {"currency": "USD", "available": TOTAL, "held": 0, "paid_out": 0}
    ]
    kinds = [
        line["kind"]
        for line in client_for(order.supplier).get("/api/v1/statements/").json()["results"]
    ]
    assert kinds.count("payout_reversal") == 2
    assert_ledger_invariants()


def test_the_bank_refusing_a_payout_through_the_provider_shows_in_its_payouts():
    order = completed_order()
    requested = payout(order.supplier, TOTAL).json()
    assert requested["reference"].startswith("po_sbx_") and requested["failure_reason"] == ""

    answer = webhook(
        Client(),
        "payout.failed",
        {"reference": requested["reference"], "reason": "IBAN unknown"},
    )

    assert (answer.status_code, answer.json()) == (200, {"status": "processed"})
    [shown] = client_for(order.supplier).get("/api/v1/payouts/").json()["results"]
    assert (shown["id"], shown["status"], shown["failure_reason"]) == (
        requested["id"],
        "failed",
        "IBAN unknown",
    )
    assert client_for(order.supplier).get("/api/v1/balances/").json() == [
        {"currency": "USD", "available": TOTAL, "held": 0, "paid_out": 0}
    ]
    assert_ledger_invariants()


@pytest.mark.parametrize("path", ["/api/v1/balances/", "/api/v1/payouts/"])
def test_balances_and_payouts_are_for_suppliers(path):
    order = funded_order()

    refused(client_for(order.buyer).get(path), 403, "detail", "supplier accounts")


def test_a_buyer_cannot_ask_for_a_payout():
    order = funded_order()

    refused(payout(order.buyer, 100), 403, "detail", "supplier accounts")


def test_the_statement_is_paginated(monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 5)
    order = funded_order()
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="DHL", tracking_number="JD1"
    )
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    for _n in range(3):
        escrow_services.payout_request(supplier=order.supplier, amount=1000, currency="USD")

    page = client_for(order.supplier).get("/api/v1/statements/").json()

    assert page["count"] == 7 and len(page["results"]) == 5 and page["next"]


# --- the schema --------------------------------------------------------------------------------


def test_the_schema_documents_the_escrow_endpoints_and_the_idempotency_key(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]

    assert set(paths["/api/v1/orders/{id}/payments/"]) == {"get", "post"}
    assert set(paths["/api/v1/payouts/"]) == {"get", "post"}
    for path in ("/api/v1/statements/", "/api/v1/balances/"):
        assert set(paths[path]) == {"get"}
        assert paths[path]["get"]["tags"] == ["escrow"]
    money_moving = [
        paths["/api/v1/orders/{id}/payments/"]["post"],
        paths["/api/v1/orders/{id}/refund/"]["post"],
        paths["/api/v1/orders/{id}/confirm-receipt/"]["post"],
        paths["/api/v1/orders/{id}/cancel/"]["post"],
        paths["/api/v1/payouts/"]["post"],
    ]
    for operation in money_moving:
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, operation["operationId"]
        assert "409" in operation["responses"]
    hook = paths["/api/v1/escrow/webhooks/{provider_name}/"]["post"]
    assert hook["tags"] == ["escrow"]
    assert {p["name"] for p in hook["parameters"]} >= {"provider_name", "Pactline-Signature"}
    assert set(hook["responses"]) >= {"200", "400"}
    properties = schema["components"]["schemas"]["OrderDetail"]["properties"]
    assert "escrow" in properties
