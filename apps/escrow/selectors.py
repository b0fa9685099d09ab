"""Reads about money, scoped to who asks."""

from dataclasses import dataclass

from django.db.models import Sum

from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting, Payment, Payout

Kind = LedgerAccount.Kind


@dataclass(frozen=True)
class EscrowSummary:
    """An order's escrow at a glance, in minor units of its currency."""

    currency: str
    paid_in: int
    held: int
    released: int
    refunded: int


def escrow_summary_for(*, order) -> EscrowSummary:
    postings = LedgerPosting.objects.filter(account__kind=Kind.ESCROW, account__order=order)
    kinds = LedgerEntry.Kind

    def total(*entry_kinds, sign):
        q = postings.filter(entry__kind__in=entry_kinds)
        q = q.filter(amount__gt=0) if sign > 0 else q.filter(amount__lt=0)
        return abs(q.aggregate(t=Sum("amount"))["t"] or 0)

    held = (
        LedgerAccount.objects.filter(kind=Kind.ESCROW, order=order)
        .values_list("balance", flat=True)
        .first()
        or 0
    )
    returned = total(kinds.OVERPAYMENT_RETURN, sign=-1)
    refunded = (
        LedgerPosting.objects.filter(
            entry__order=order,
            entry__kind__in=[kinds.REFUND, kinds.SETTLEMENT],
            account__kind=Kind.BUYER_FUNDING,
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    released = (
        LedgerPosting.objects.filter(
            entry__order=order,
            entry__kind__in=[kinds.RELEASE, kinds.SETTLEMENT],
            account__kind=Kind.SUPPLIER_PAYABLE,
        ).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    return EscrowSummary(
        currency=order.currency,
        paid_in=total(kinds.PAYMENT, sign=1) - returned,
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
    supplier's payable and payout accounts (releases, payouts). Never anyone else's."""
    return (
        LedgerPosting.objects.filter(
            account__user=user,
            account__kind__in=[Kind.BUYER_FUNDING, Kind.SUPPLIER_PAYABLE, Kind.PAYOUTS],
        )
        .select_related("entry", "entry__order", "account")
        .order_by("-entry__created_at", "-pk")
    )


def payments_for(*, order):
    return Payment.objects.filter(order=order).order_by("created_at", "pk")


def payouts_for(*, supplier):
    return Payout.objects.filter(supplier=supplier)
