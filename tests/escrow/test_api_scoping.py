"""The escrow API is scoped to the caller: another buyer or supplier gets 404 on someone else's
order and moves nothing; statements, balances and payouts show only the caller's own; the
wrong party is refused (403); nobody signed out gets anything (401)."""

import pytest
from rest_framework.test import APIClient

from apps.escrow import services as escrow_services
from apps.escrow.models import IdempotencyRecord, LedgerEntry, Payment, Payout
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order
from tests.factories import BuyerFactory, EligibleSupplierFactory, MediatorFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
OUTSIDERS = {"another buyer": BuyerFactory, "another supplier": EligibleSupplierFactory}


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def order_in(state):
    order = confirmed_order()
    if state in ("funded", "shipped"):
        escrow_services.payment_start(
            order=order, acting_user=order.buyer, purpose="full", method="card"
        )
    if state == "shipped":
        order_services.order_ship(
            order=order, acting_user=order.supplier, carrier="DHL", tracking_number="JD1"
        )
    return Order.objects.get(pk=order.pk)


def money_snapshot(order):
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        Payment.objects.count(),
        LedgerEntry.objects.count(),
        Payout.objects.count(),
        order.events.count(),
    )


# (method, path under /api/v1/orders/{id}/, body, a state in which the order's own party may
# call it, that party)
ORDER_ENDPOINTS = [
    ("get", "payments/", None, "confirmed", "supplier"),
    ("post", "payments/", {"purpose": "deposit", "method": "card"}, "confirmed", "buyer"),
    ("post", "refund/", {"reason": "Not as contracted"}, "funded", "supplier"),
]
IDS = [f"{method} {path}" for method, path, *_rest in ORDER_ENDPOINTS]


def call(client, method, url, body, **headers):
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, body, format="json", **headers)


@pytest.mark.parametrize(("method", "path", "body", "state", "party"), ORDER_ENDPOINTS, ids=IDS)
def test_the_orders_own_party_may_use_the_endpoint(method, path, body, state, party):
    order = order_in(state)

    response = call(client_for(getattr(order, party)), method, f"{ORDERS}{order.pk}/{path}", body)

    assert response.status_code in (200, 201), response.content
    assert_ledger_invariants()


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(("method", "path", "body", "state", "party"), ORDER_ENDPOINTS, ids=IDS)
def test_someone_elses_order_is_not_found_and_nothing_moves(
    outsider, method, path, body, state, party
):
    order = order_in(state)
    before = money_snapshot(order)

    response = call(
        client_for(OUTSIDERS[outsider]()),
        method,
        f"{ORDERS}{order.pk}/{path}",
        body,
        HTTP_IDEMPOTENCY_KEY="outsider-1",
    )

    assert response.status_code == 404, response.content
    assert money_snapshot(order) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "state", "party"), ORDER_ENDPOINTS[:2], ids=IDS[:2]
)
def test_staff_see_no_payments_and_pay_nothing_on_orders_not_theirs(
    method, path, body, state, party
):
    # Staff refund any order (test_api.test_staff_may_refund_any_order); paying and the
    # payment list are the parties' own.
    order = order_in(state)

    response = call(client_for(MediatorFactory()), method, f"{ORDERS}{order.pk}/{path}", body)

    assert response.status_code == 404


@pytest.mark.parametrize(("method", "path", "body", "state", "party"), ORDER_ENDPOINTS, ids=IDS)
def test_an_order_endpoint_needs_a_signed_in_caller(method, path, body, state, party):
    order = order_in(state)
    before = money_snapshot(order)

    response = call(
        client_for(), method, f"{ORDERS}{order.pk}/{path}", body, HTTP_IDEMPOTENCY_KEY="anon-1"
    )

    assert response.status_code == 401
    assert money_snapshot(order) == before
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/statements/", None),
        ("get", "/api/v1/balances/", None),
        ("get", "/api/v1/payouts/", None),
        ("post", "/api/v1/payouts/", {"amount": 100, "currency": "USD"}),
    ],
)
def test_the_callers_money_needs_a_signed_in_caller(method, path, body):
    assert call(client_for(), method, path, body).status_code == 401


def test_a_buyer_cannot_refund_and_a_supplier_cannot_pay():
    funded = order_in("funded")
    confirmed = order_in("confirmed")

    refund = client_for(funded.buyer).post(
        f"{ORDERS}{funded.pk}/refund/", {"reason": "I want my money"}, format="json"
    )
    payment = client_for(confirmed.supplier).post(
        f"{ORDERS}{confirmed.pk}/payments/", {"purpose": "deposit", "method": "card"}, format="json"
    )

    assert refund.status_code == 403, refund.content
    assert payment.status_code == 403, payment.content
    assert Order.objects.get(pk=funded.pk).status == Order.Status.FUNDED
    assert Order.objects.get(pk=confirmed.pk).status == Order.Status.CONFIRMED
    assert Payment.objects.count() == 1  # the funded order's own
    assert_ledger_invariants()


def test_the_statement_shows_only_the_callers_own_lines():
    mine, theirs = order_in("funded"), order_in("funded")

    lines = client_for(mine.buyer).get("/api/v1/statements/").json()["results"]

    assert [line["order_reference"] for line in lines] == [mine.reference]
    assert theirs.reference not in {line["order_reference"] for line in lines}
    assert client_for(mine.supplier).get("/api/v1/statements/").json()["results"] == []


def test_balances_and_payouts_show_only_the_callers_own():
    mine, theirs = order_in("shipped"), order_in("shipped")
    for order in (mine, theirs):
        order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    escrow_services.payout_request(supplier=theirs.supplier, amount=1000, currency="USD")

    balances = client_for(mine.supplier).get("/api/v1/balances/").json()
    payouts = client_for(mine.supplier).get("/api/v1/payouts/").json()

    assert balances == [{"currency": "USD", "available": 600_000, "held": 0, "paid_out": 0}]
    assert payouts["results"] == []
    assert len(client_for(theirs.supplier).get("/api/v1/payouts/").json()["results"]) == 1
