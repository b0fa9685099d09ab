"""The money endpoints stay lean. Paying by card and confirming receipt check access on the
order's own row (the services lock and re-read it), read the ledger accounts an entry needs in
one query, write each ledger entry in one statement, answer from one load of what the answer
shows, and sum the order's escrow in one query. Before: 43 queries to pay the deposit by card
and 39 to confirm receipt, then 26 each, then 20 and 16; the bounds below are today's counts.
The escrow summary's one query gives the same figures as adding up each kind of posting on its
own."""

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client
from rest_framework.test import APIClient

from apps.escrow import services as escrow_services
from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting
from apps.escrow.selectors import EscrowSummary, escrow_summary_for
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order, webhook

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
DEPOSIT, TOTAL = 180_000, 600_000  # confirmed_order(): US$6,000.00, 30 %

# Counted inside the test's transaction (the services' own transactions are savepoints here),
# with the caller already authenticated. An order's first payment opens its escrow account (and
# a buyer's first, its funding account): on PostgreSQL the same one statement reads and opens
# them (SQLite, the demo's, needs three).
PAY_BY_CARD_MAX_QUERIES = 12  # was 15, 20, 26 and 43 before that
# The key's row claimed (one statement on PostgreSQL: the insert, or the row already there),
# locked and its answer stored, with the savepoints around the request's work.
IDEMPOTENCY_KEY_MAX_QUERIES = 7  # was 10: get_or_create read, then inserted in a savepoint
CONFIRM_RECEIPT_MAX_QUERIES = 14  # was 16, 26 and 39 before that
ESCROW_SUMMARY_QUERIES = 1


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def shipped_order():
    order = confirmed_order()
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="card"
    )
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU1"
    )
    return Order.objects.get(pk=order.pk)


def test_paying_the_deposit_by_card_stays_within_its_queries(django_assert_max_num_queries):
    order = confirmed_order()
    client = client_for(order.buyer)
    with django_assert_max_num_queries(PAY_BY_CARD_MAX_QUERIES):
        response = client.post(
            f"{ORDERS}{order.pk}/payments/", {"purpose": "deposit", "method": "card"}, "json"
        )
    assert response.status_code == 201, response.content
    assert response.json()["order"]["status"] == "deposit_paid"
    assert response.json()["order"]["escrow"]["held"] == DEPOSIT
    assert_ledger_invariants()


def test_paying_with_an_idempotency_key_adds_only_the_keys_queries(
    django_assert_max_num_queries,
):
    order = confirmed_order()
    client = client_for(order.buyer)
    with django_assert_max_num_queries(PAY_BY_CARD_MAX_QUERIES + IDEMPOTENCY_KEY_MAX_QUERIES):
        response = client.post(
            f"{ORDERS}{order.pk}/payments/",
            {"purpose": "deposit", "method": "card"},
            "json",
            HTTP_IDEMPOTENCY_KEY="query-count-1",
        )
    assert response.status_code == 201, response.content


def test_confirming_receipt_stays_within_its_queries(django_assert_max_num_queries):
    order = shipped_order()
    client = client_for(order.buyer)
    with django_assert_max_num_queries(CONFIRM_RECEIPT_MAX_QUERIES):
        response = client.post(f"{ORDERS}{order.pk}/confirm-receipt/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["escrow"]["released"] == TOTAL
    assert_ledger_invariants()


def test_someone_elses_order_is_still_a_404_on_the_light_access_check():
    order = confirmed_order()
    other = shipped_order()
    paid = client_for(order.buyer).post(
        f"{ORDERS}{other.pk}/payments/", {"purpose": "balance", "method": "card"}, "json"
    )
    received = client_for(order.buyer).post(f"{ORDERS}{other.pk}/confirm-receipt/")
    assert (paid.status_code, received.status_code) == (404, 404)
    assert Order.objects.get(pk=other.pk).status == Order.Status.SHIPPED


# --- the escrow summary -----------------------------------------------------------------------


def summed_one_by_one(order) -> EscrowSummary:
    """The figures as separate sums over the postings, the way they are defined."""
    kinds, accounts = LedgerEntry.Kind, LedgerAccount.Kind
    escrow = LedgerPosting.objects.filter(account__kind=accounts.ESCROW, account__order=order)

    def total(queryset):
        return queryset.aggregate(t=Sum("amount"))["t"] or 0

    of_order = LedgerPosting.objects.filter(entry__order=order)
    account = LedgerAccount.objects.filter(kind=accounts.ESCROW, order=order).first()
    return EscrowSummary(
        currency=order.currency,
        paid_in=total(escrow.filter(entry__kind=kinds.PAYMENT, amount__gt=0))
        + total(escrow.filter(entry__kind=kinds.OVERPAYMENT_RETURN, amount__lt=0)),
        held=account.balance if account else 0,
        released=total(
            of_order.filter(
                account__kind=accounts.SUPPLIER_PAYABLE,
                entry__kind__in=[kinds.RELEASE, kinds.SETTLEMENT],
            )
        ),
        refunded=total(
            of_order.filter(
                account__kind=accounts.BUYER_FUNDING,
                entry__kind__in=[kinds.REFUND, kinds.SETTLEMENT],
            )
        ),
    )


def unpaid():
    return confirmed_order()


def deposit_overpaid_by_tt():
    order = confirmed_order()
    payment = escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )
    webhook(
        Client(),
        "payment.transfer_received",
        {"reference": payment.provider_reference, "amount": DEPOSIT + 5_000},
    )
    return order


def received():
    order = shipped_order()
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    return order


def partly_refunded():
    order = shipped_order()
    escrow_services.escrow_refund(
        order=order, acting_user=order.supplier, amount=100_000, reason="Two cartons short"
    )
    return order


def refunded_in_full():
    order = confirmed_order()
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="card"
    )
    escrow_services.escrow_refund(order=order, acting_user=order.supplier, reason="Cannot make it")
    return order


@pytest.mark.parametrize(
    "make_order",
    [unpaid, deposit_overpaid_by_tt, shipped_order, received, partly_refunded, refunded_in_full],
)
@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_escrow_summary_is_one_query_with_the_figures_of_the_postings(
    make_order, vendor, django_assert_num_queries, monkeypatch
):
    """On PostgreSQL the sums are written out as SQL, elsewhere (the demo's SQLite) built by the
    ORM: both give the postings' figures."""
    order = Order.objects.get(pk=make_order().pk)
    monkeypatch.setattr(connection, "vendor", vendor)
    with django_assert_num_queries(ESCROW_SUMMARY_QUERIES):
        summary = escrow_summary_for(order=order)
    assert summary == summed_one_by_one(order)
    assert summary.paid_in - summary.released - summary.refunded == summary.held
    assert_ledger_invariants()
