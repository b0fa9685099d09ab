"""Set-based ledger work for the clock: the same entries the one-order services write, for a
chunk of orders in one transaction.

Used where a sweep handles many due orders at once (apps/orders/clock.py). The guarantees are
those of entry_post: one entry per business event under its idempotency key (a key already
written is skipped, so a replayed chunk moves nothing twice), postings that balance, account
rows locked in id order before their cached balances change, and an escrow never below zero
(the database's check constraint and deferred balance trigger still apply to every row). The
caller holds the orders' row locks, as every money service does.
"""

from django.db import connection
from django.db.models import F

from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting

Kind = LedgerAccount.Kind


def _user_accounts(kind, wanted):
    """{(user_id, currency): account} for `wanted`, creating the missing ones."""

    def existing():
        found = LedgerAccount.objects.filter(
            kind=kind,
            order__isnull=True,
            user_id__in={user for user, _ in wanted},
            currency__in={currency for _, currency in wanted},
        )
        return {(a.user_id, a.currency): a for a in found}

    accounts = existing()
    missing = [key for key in wanted if key not in accounts]
    if missing:
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(kind=kind, user_id=user, currency=cur) for user, cur in missing],
            ignore_conflicts=True,  # another worker created it a moment ago: use that one
        )
        accounts = existing()
    return accounts


def escrow_release_many(*, orders, now, description="escrow released to the supplier"):
    """For each order (rows locked by the caller), moves everything its escrow holds to its
    supplier's payable balance: one RELEASE entry per order, keyed `release:<order id>` as
    escrow_release does. Returns {order id: amount released}."""
    ids = [order.pk for order in orders]
    escrows = {
        a.order_id: a for a in LedgerAccount.objects.filter(kind=Kind.ESCROW, order_id__in=ids)
    }
    written = set(
        LedgerEntry.objects.filter(idempotency_key__in=[f"release:{pk}" for pk in ids]).values_list(
            "idempotency_key", flat=True
        )
    )
    todo = [o for o in orders if f"release:{o.pk}" not in written and o.pk in escrows]
    payables = _user_accounts(Kind.SUPPLIER_PAYABLE, {(o.supplier_id, o.currency) for o in todo})
    account_ids = {escrows[o.pk].pk for o in todo} | {a.pk for a in payables.values()}
    locked = {
        a.pk: a
        for a in LedgerAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk")
    }
    held = {o.pk: locked[escrows[o.pk].pk].balance for o in todo}
    todo = [o for o in todo if held[o.pk] > 0]
    if not todo:
        return {}
    entries = LedgerEntry.objects.bulk_create(
        LedgerEntry(
            idempotency_key=f"release:{o.pk}",
            kind=LedgerEntry.Kind.RELEASE,
            order_id=o.pk,
            description=f"{o.reference}: {description}"[:300],
            created_at=now,
        )
        for o in todo
    )
    postings, change = [], {}
    for order, entry in zip(todo, entries, strict=True):
        amount = held[order.pk]
        escrow, payable = escrows[order.pk], payables[(order.supplier_id, order.currency)]
        postings.append(
            LedgerPosting(
                entry=entry, account_id=escrow.pk, amount=-amount, currency=order.currency
            )
        )
        postings.append(
            LedgerPosting(
                entry=entry, account_id=payable.pk, amount=amount, currency=order.currency
            )
        )
        change[escrow.pk] = change.get(escrow.pk, 0) - amount
        change[payable.pk] = change.get(payable.pk, 0) + amount
    LedgerPosting.objects.bulk_create(postings)
    # Every cached balance in one UPDATE joined to a VALUES list (the rows are locked above);
    # an ORM Case/When over hundreds of accounts costs more to build than to run.
    if connection.vendor != "postgresql":  # the embedded demo database
        for pk, delta in change.items():
            LedgerAccount.objects.filter(pk=pk).update(balance=F("balance") + delta)
        return {o.pk: held[o.pk] for o in todo}
    table = LedgerAccount._meta.db_table
    values = ", ".join(["(%s, %s)"] * len(change))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET balance = a.balance + v.delta "  # noqa: S608 - no input
            f"FROM (VALUES {values}) AS v(id, delta) WHERE a.id = v.id",
            [n for pair in change.items() for n in pair],
        )
    return {o.pk: held[o.pk] for o in todo}
