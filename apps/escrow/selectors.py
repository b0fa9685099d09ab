"""Reads about money, scoped to who asks."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, Sum

from apps.escrow.models import (
    GoldPurchase,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    RefundAccount,
)

Kind = LedgerAccount.Kind


@dataclass(frozen=True)
class EscrowSummary:
    """An order's escrow at a glance, in minor units of its currency."""

    currency: str
    paid_in: int
    held: int
    released: int
    refunded: int


# The same sums written out, for PostgreSQL: the ORM takes longer to build this query than the
# database takes to run it. The order document (apps/orders/documents.py) reads them as a
# subquery of its own statement.
ESCROW_GROUPS_SQL = """
SELECT le."kind" AS ek, la."kind" AS ak, la."order_id" AS ao, la."balance" AS ab,
       sum(p."amount") FILTER (WHERE p."amount" > 0) AS plus,
       sum(p."amount") FILTER (WHERE p."amount" < 0) AS minus
  FROM "escrow_ledgerposting" p
  JOIN "escrow_ledgerentry" le ON le."id" = p."entry_id"
  JOIN "escrow_ledgeraccount" la ON la."id" = p."account_id"
 WHERE le."order_id" = %s
 GROUP BY 1, 2, 3, 4"""


def escrow_summary_for(*, order) -> EscrowSummary:
    """One query: the postings of the order's ledger entries (every entry that touches an
    order's escrow is written with that order) summed by entry kind, account and sign; held is
    the order's escrow account balance, read through the same join. (Five filtered aggregates
    in one query cost Django more to build than the database takes to run them.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(ESCROW_GROUPS_SQL, [order.pk])
            return escrow_summary_from_groups(order, cursor.fetchall())
    groups = (
        LedgerPosting.objects.filter(entry__order=order)
        .order_by()
        .values_list("entry__kind", "account__kind", "account__order_id", "account__balance")
        .annotate(
            plus=Sum("amount", filter=Q(amount__gt=0)), minus=Sum("amount", filter=Q(amount__lt=0))
        )
    )
    return escrow_summary_from_groups(order, groups)


def escrow_summary_from_groups(order, groups) -> EscrowSummary:
    """The summary from the order's postings summed by (entry kind, account kind, account's
    order, account balance), each row ending with the positive and the negative sum. Shared
    with the order document (apps/orders/documents.py), which reads the same sums."""
    kinds = LedgerEntry.Kind
    paid = returned = held = released = refunded = 0
    for entry_kind, account_kind, account_order_id, balance, plus, minus in groups:
        plus, minus = plus or 0, minus or 0
        if account_kind == Kind.ESCROW and account_order_id == order.pk:
            held = balance
            if entry_kind == kinds.PAYMENT:
                paid += plus
            elif entry_kind == kinds.OVERPAYMENT_RETURN:
                returned -= minus
        elif account_kind == Kind.BUYER_FUNDING and entry_kind in (kinds.REFUND, kinds.SETTLEMENT):
            refunded += plus + minus
        elif account_kind == Kind.SUPPLIER_PAYABLE and entry_kind in (
            kinds.RELEASE,
            kinds.SETTLEMENT,
        ):
            released += plus + minus
    return EscrowSummary(
        currency=order.currency,
        paid_in=paid - returned,
        held=held,
        released=released,
        refunded=refunded,
    )


@dataclass(frozen=True)
class SupplierBalance:
    currency: str
    available: int  # payable: can be paid out
    held: int  # in escrow on the supplier's open orders
    paid_out: int


def supplier_balances_for(*, supplier) -> list[SupplierBalance]:
    accounts = LedgerAccount.objects.filter(
        user=supplier, kind__in=[Kind.SUPPLIER_PAYABLE, Kind.PAYOUTS]
    )
    by_currency = {}
    for account in accounts:
        row = by_currency.setdefault(account.currency, {"available": 0, "paid_out": 0, "held": 0})
        row["available" if account.kind == Kind.SUPPLIER_PAYABLE else "paid_out"] += account.balance
    held = (
        LedgerAccount.objects.filter(kind=Kind.ESCROW, order__supplier=supplier)
        .values("currency")
        .annotate(total=Sum("balance"))
    )
    for row in held:
        by_currency.setdefault(row["currency"], {"available": 0, "paid_out": 0, "held": 0})[
            "held"
        ] = row["total"]
    return [SupplierBalance(currency=c, **v) for c, v in sorted(by_currency.items())]


def statement_lines_for(*, user):
    """The user's own ledger lines: a buyer's funding account (payments in, refunds back), a
    supplier's payable, payout and receivable accounts (releases, payouts, what it owes back
    for covered claims) and its funding account (Gold membership paid). Never anyone else's."""
    return (
        LedgerPosting.objects.filter(
            account__user=user,
            account__kind__in=[
                Kind.BUYER_FUNDING,
                Kind.SUPPLIER_PAYABLE,
                Kind.PAYOUTS,
                Kind.SUPPLIER_RECEIVABLE,
                Kind.SUPPLIER_FUNDING,
            ],
        )
        .select_related("entry", "entry__order", "account")
        .order_by("-entry__created_at", "-pk")
    )


def payments_for(*, order):
    return Payment.objects.filter(order=order).order_by("created_at", "pk")


def refunds_for(*, order):
    """The money sent back to the order's buyer, oldest first, with the payment it returns to
    (the caller has checked that the user may see the order)."""
    return Refund.objects.filter(order=order).select_related("payment").order_by("created_at", "pk")


def refund_sandbox_answerable(refund):
    """A refund through the sandbox provider that the buyer's bank has not answered yet: the
    demo lets the buyer answer it (a real provider sends the webhook)."""
    return refund.provider == "sandbox" and refund.status == Refund.Status.PROCESSING


def refund_account_current(*, refund):
    """The bank account the buyer gave for `refund` (not delivered), or None."""
    return RefundAccount.objects.filter(refund=refund, replaced_at__isnull=True).first()


def refund_goes_elsewhere(refund):
    """A refund the buyer may give other bank details for: not delivered, not yet sent again."""
    return (
        refund.status == Refund.Status.FAILED
        and not Refund.objects.filter(retry_of=refund).exists()
    )


def payouts_for(*, supplier):
    return Payout.objects.filter(supplier=supplier)


def payout_account_current(*, supplier) -> PayoutAccount | None:
    """The bank account the supplier's payouts go to now, or None before it set one."""
    return PayoutAccount.objects.filter(supplier=supplier, replaced_at__isnull=True).first()


def gold_purchases_for(*, supplier):
    """The supplier's own Gold purchases, newest first."""
    return GoldPurchase.objects.filter(supplier=supplier)
