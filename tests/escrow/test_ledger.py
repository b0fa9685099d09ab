"""The ledger's own promises: balanced entries, idempotent keys, cached balances that equal the
postings, and the PostgreSQL guards behind the service (the deferred balance trigger, the
append-only triggers and the escrow-never-negative check)."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.escrow import services
from apps.escrow.exceptions import LedgerUnbalanced
from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database guards exist on PostgreSQL only"
)


@pytest.fixture(autouse=True, params=["one statement", "statement by statement"])
def writes(request, monkeypatch):
    """Every ledger test runs against both ways entry_post writes: the one PostgreSQL statement
    and the statement-by-statement path the demo's SQLite takes."""
    if request.param == "statement by statement":
        monkeypatch.setattr(
            services, "_entry_write_in_one_statement", services._entry_write, raising=True
        )
    return request.param


@pytest.fixture
def order():
    return confirmed_order()


@pytest.fixture
def accounts(order):
    """The buyer's funding account, the order's escrow and the supplier's payable balance."""
    return (
        services.ledger_account(Kind.BUYER_FUNDING, "USD", user=order.buyer),
        services.ledger_account(Kind.ESCROW, order.currency, order=order),
        services.ledger_account(Kind.SUPPLIER_PAYABLE, "USD", user=order.supplier),
    )


def post(key, postings, order=None, kind=LedgerEntry.Kind.PAYMENT):
    return services.entry_post(
        key=key, kind=kind, postings=postings, description=f"test {key}", order=order
    )


def balances(*accounts):
    return [LedgerAccount.objects.get(pk=a.pk).balance for a in accounts]


def counts():
    return LedgerEntry.objects.count(), LedgerPosting.objects.count()


# --- the service ----------------------------------------------------------------------------------


def test_a_balanced_entry_is_written_with_its_postings_and_cached_balances(order, accounts):
    funding, escrow, payable = accounts

    entry = post("pay-1", [(funding, -180_000), (escrow, 180_000)], order=order)

    assert entry.order == order
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-180_000, 180_000]
    assert set(entry.postings.values_list("currency", flat=True)) == {"USD"}
    assert balances(funding, escrow, payable) == [-180_000, 180_000, 0]
    assert_ledger_invariants()


def test_an_unbalanced_entry_is_refused_and_writes_nothing(order, accounts):
    funding, escrow, _payable = accounts

    with pytest.raises(LedgerUnbalanced, match="does not balance"):
        post("bad-1", [(funding, -100), (escrow, 99)], order=order)
    with pytest.raises(LedgerUnbalanced):
        post("bad-2", [(escrow, 100)], order=order)
    with pytest.raises(LedgerUnbalanced):
        post("bad-3", [], order=order)

    assert counts() == (0, 0)
    assert balances(funding, escrow) == [0, 0]


def test_an_entry_moving_an_orders_escrow_is_written_with_that_order(order, accounts):
    """The order's escrow sums are read through the entries written with it: an entry that
    moves the escrow under no order, or another's, would vanish from the order page."""
    funding, escrow, _payable = accounts

    with pytest.raises(ValueError, match="write it with that order"):
        post("lost-1", [(funding, -100), (escrow, 100)])
    with pytest.raises(ValueError, match="write it with that order"):
        post("lost-2", [(funding, -100), (escrow, 100)], order=confirmed_order())

    assert counts() == (0, 0)
    assert balances(funding, escrow) == [0, 0]


def test_postings_balance_per_currency_not_only_in_total(order):
    usd_funding = services.ledger_account(Kind.BUYER_FUNDING, "USD", user=order.buyer)
    eur_funding = services.ledger_account(Kind.BUYER_FUNDING, "EUR", user=order.buyer)
    usd_escrow = services.ledger_account(Kind.ESCROW, order.currency, order=order)

    # +100 USD and -100 EUR sum to zero as numbers but not per currency.
    with pytest.raises(LedgerUnbalanced):
        post("mixed", [(usd_escrow, 100), (eur_funding, -100)], order=order)
    with pytest.raises(LedgerUnbalanced):
        post(
            "mixed-2",
            [(usd_funding, -100), (usd_escrow, 100), (eur_funding, -1)],
            order=order,
        )
    assert counts() == (0, 0)


def test_an_escrow_never_goes_below_zero(order, accounts):
    funding, escrow, payable = accounts
    post("in", [(funding, -1_000), (escrow, 1_000)], order=order)

    with pytest.raises(LedgerUnbalanced, match="below zero"):
        post("out-too-much", [(escrow, -1_001), (payable, 1_001)], order=order)
    # Several postings on the same escrow count together.
    with pytest.raises(LedgerUnbalanced, match="below zero"):
        post("split", [(escrow, -600), (escrow, -600), (payable, 1_200)], order=order)

    assert counts() == (1, 2)
    assert balances(funding, escrow, payable) == [-1_000, 1_000, 0]
    post("out-exactly", [(escrow, -1_000), (payable, 1_000)], order=order)
    assert balances(funding, escrow, payable) == [-1_000, 0, 1_000]
    assert_ledger_invariants()


def test_other_accounts_may_go_negative(order, accounts):
    """Buyer funding and payouts are external: they are the other side of money in and out."""
    funding, escrow, _payable = accounts
    post("in", [(funding, -5), (escrow, 5)], order=order)
    assert balances(funding) == [-5]


def test_a_replayed_key_returns_the_same_entry_and_writes_nothing(order, accounts):
    funding, escrow, payable = accounts
    first = post("once", [(funding, -700), (escrow, 700)], order=order)
    before = counts(), balances(funding, escrow, payable)

    again = post("once", [(funding, -700), (escrow, 700)], order=order)
    # The key decides: a replay with other postings (even unbalanced ones) is still the first.
    other = post("once", [(escrow, -700), (payable, 700)], order=order)
    unbalanced = post("once", [(escrow, 1)], order=order)

    assert again.pk == first.pk == other.pk == unbalanced.pk
    assert (counts(), balances(funding, escrow, payable)) == before
    assert_ledger_invariants()


def test_cached_balances_equal_the_postings_after_many_entries(order, accounts):
    funding, escrow, payable = accounts
    for n in range(1, 11):
        post(f"in-{n}", [(funding, -n * 100), (escrow, n * 100)], order=order)
    for n in range(1, 6):
        post(
            f"out-{n}",
            [(escrow, -n * 50), (payable, n * 50)],
            order=order,
            kind=LedgerEntry.Kind.RELEASE,
        )

    for account in (funding, escrow, payable):
        posted = LedgerPosting.objects.filter(account=account).aggregate(t=Sum("amount"))["t"]
        assert LedgerAccount.objects.get(pk=account.pk).balance == posted
    assert balances(funding, escrow, payable) == [-5_500, 5_500 - 750, 750]
    assert LedgerPosting.objects.aggregate(t=Sum("amount"))["t"] == 0
    assert_ledger_invariants()


def test_the_ledger_of_a_whole_order_balances(order):
    """Deposit, balance, shipment and release, through the services."""
    from apps.escrow.models import Payment
    from apps.orders import services as order_services

    buyer, supplier = order.buyer, order.supplier
    services.payment_start(order=order, acting_user=buyer, purpose="deposit", method="card")
    services.payment_start(order=order, acting_user=buyer, purpose="balance", method="card")
    order_services.order_ship(
        order=order, acting_user=supplier, carrier="Maersk", tracking_number="MSKU123"
    )
    order_services.order_confirm_receipt(order=order, acting_user=buyer)

    assert Payment.objects.filter(order=order, status="confirmed").count() == 2
    assert services.escrow_held(order) == 0
    payable = services.ledger_account(Kind.SUPPLIER_PAYABLE, "USD", user=supplier)
    assert LedgerAccount.objects.get(pk=payable.pk).balance == 600_000
    assert LedgerPosting.objects.aggregate(t=Sum("amount"))["t"] == 0
    assert_ledger_invariants()


# --- the database guards (PostgreSQL) -------------------------------------------------------------


def raw_entry(cursor, key, order=None):
    cursor.execute(
        "INSERT INTO escrow_ledgerentry (idempotency_key, kind, order_id, description, created_at)"
        " VALUES (%s, 'payment', %s, 'raw', %s) RETURNING id",
        [key, order.pk if order else None, timezone.now()],
    )
    return cursor.fetchone()[0]


def raw_posting(cursor, entry_id, account, amount):
    cursor.execute(
        "INSERT INTO escrow_ledgerposting (entry_id, account_id, amount, currency)"
        " VALUES (%s, %s, %s, %s)",
        [entry_id, account.pk, amount, account.currency],
    )


@needs_postgresql
def test_an_unbalanced_entry_written_straight_to_the_database_is_rejected(order, accounts):
    _funding, escrow, _payable = accounts
    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        entry_id = raw_entry(cursor, "raw-unbalanced", order)
        raw_posting(cursor, entry_id, escrow, 500)
    assert counts() == (0, 0)


@needs_postgresql
def test_a_balanced_entry_written_straight_to_the_database_passes_the_trigger(order, accounts):
    """Checked immediately, the trigger runs after each statement: both postings in one INSERT."""
    funding, escrow, _payable = accounts
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        entry_id = raw_entry(cursor, "raw-balanced", order)
        cursor.execute(
            "INSERT INTO escrow_ledgerposting (entry_id, account_id, amount, currency)"
            " VALUES (%s, %s, -500, 'USD'), (%s, %s, 500, 'USD')",
            [entry_id, funding.pk, entry_id, escrow.pk],
        )
    assert counts() == (1, 2)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_balance_trigger_is_checked_at_commit():
    """Deferred: postings may be written one by one; the commit is what must balance."""
    order = confirmed_order()
    funding = services.ledger_account(Kind.BUYER_FUNDING, "USD", user=order.buyer)
    escrow = services.ledger_account(Kind.ESCROW, order.currency, order=order)

    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        entry_id = raw_entry(cursor, "raw-commit-unbalanced", order)
        raw_posting(cursor, entry_id, escrow, 500)  # accepted until the commit
    assert counts() == (0, 0)

    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = raw_entry(cursor, "raw-commit-balanced", order)
        raw_posting(cursor, entry_id, escrow, 500)
        raw_posting(cursor, entry_id, funding, -500)
    assert counts() == (1, 2)


@needs_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE escrow_ledgerentry SET description = 'edited'",
        "UPDATE escrow_ledgerentry SET created_at = created_at - interval '1 day'",
        "DELETE FROM escrow_ledgerentry",
        "UPDATE escrow_ledgerposting SET amount = amount * 2",
        "DELETE FROM escrow_ledgerposting",
    ],
)
def test_ledger_rows_are_append_only(order, accounts, statement):
    funding, escrow, _payable = accounts
    post("in", [(funding, -1_000), (escrow, 1_000)], order=order)

    with (
        pytest.raises(DatabaseError, match="never updated or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert counts() == (1, 2)
    assert sorted(LedgerPosting.objects.values_list("amount", flat=True)) == [-1_000, 1_000]
    assert LedgerEntry.objects.get().description == "test in"


@needs_postgresql
def test_the_database_refuses_a_negative_escrow_balance(order, accounts):
    funding, escrow, payable = accounts
    post("in", [(funding, -1_000), (escrow, 1_000)], order=order)

    never_negative = "escrow_order_escrow_never_negative"
    with (
        pytest.raises(IntegrityError, match=never_negative),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE escrow_ledgeraccount SET balance = -1 WHERE id = %s", [escrow.pk])
    with pytest.raises(IntegrityError, match=never_negative), transaction.atomic():
        LedgerAccount.objects.filter(pk=escrow.pk).update(balance=-1_000)

    # Other kinds of account may be negative (buyer funding is money from outside).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE escrow_ledgeraccount SET balance = -5 WHERE id = %s", [payable.pk])
    assert balances(escrow) == [1_000]


def test_accounts_are_read_in_one_query_once_opened_and_come_back_in_the_order_asked(
    order, django_assert_num_queries
):
    wanted = [
        (Kind.SUPPLIER_PAYABLE, "USD", None, order.supplier_id),
        (Kind.ESCROW, "USD", order.pk, None),
        (Kind.BUYER_FUNDING, "EUR", None, order.buyer_id),
    ]
    opened = services.ledger_accounts(*wanted)  # read, insert the missing, read them back
    assert [(a.kind, a.currency, a.order_id, a.user_id) for a in opened] == wanted

    with django_assert_num_queries(1):
        again = services.ledger_accounts(*reversed(wanted))
    assert [a.pk for a in again] == [a.pk for a in reversed(opened)]
    assert LedgerAccount.objects.count() == 3
