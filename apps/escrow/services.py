"""Every money movement. Each is one balanced ledger entry with an idempotency key, written in
the same transaction as the order's state change and event, under the order row's lock
(select_for_update), so racing calls get exactly one winner and a replay changes nothing.

Sign convention: a posting's amount is added to its account's balance. Money coming in from a
buyer: buyer funding −x, order escrow +x. Release: escrow −x, supplier payable +x. Refund:
escrow −x, buyer funding +x. Payout: payable −x, payouts +x.

Money credited to a buyer's funding account leaves Pactline: entry_post sends it through the
provider as refunds to the payments it came from (refunds_send). A refund the bank refuses comes
back as owed to the buyer (buyer funding −x, refund owed +x) until staff send it again."""

import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import asdict

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from apps.accounts.models import CompanyProfile, User
from apps.accounts.notifications import notification_send
from apps.core.dates import local_date, local_datetime
from apps.core.money import format_money
from apps.core.sql import columns, instance
from apps.core.text import json_storable
from apps.escrow.bank import bank_details_check, holder_is_company
from apps.escrow.exceptions import (
    BankDetailsInvalid,
    LedgerUnbalanced,
    Overpayment,
    PasswordMismatch,
    PaymentRefused,
    PayoutAccountNotReady,
    PayoutRefused,
    WebhookRejected,
)
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
    WebhookEvent,
)
from apps.escrow.providers.sandbox import provider
from apps.escrow.selectors import (
    payout_account_current,
    refund_account_current,
    refund_goes_elsewhere,
)
from apps.orders import events
from apps.orders.exceptions import NotAParty, OutOfTurn, WrongParty
from apps.orders.models import Order, OrderEvent
from apps.orders.services import (
    apply_transition,
    end_of_day,
    notify,
    ship_by_after_late_balance,
)

logger = logging.getLogger(__name__)

Status = Order.Status
Kind = LedgerAccount.Kind

# --- the ledger -------------------------------------------------------------------------------


def ledger_accounts(*wanted) -> list[LedgerAccount]:
    """The accounts `wanted` names, each a (kind, currency, order id, user id) with None where
    the kind has no order or no user, created on first use, in the order asked. On PostgreSQL
    one statement reads them and opens the missing ones; elsewhere one query when they all
    exist, three when some are new. A new account is inserted with ON CONFLICT DO NOTHING, so a
    transaction that creates the same account at the same time makes this one wait for it and
    then read its row: no savepoint, no IntegrityError."""

    def read(keys):
        match = Q()
        for kind, currency, order_id, user_id in keys:
            match |= Q(kind=kind, currency=currency, order_id=order_id, user_id=user_id)
        return {
            (a.kind, a.currency, a.order_id, a.user_id): a
            for a in LedgerAccount.objects.filter(match)
        }

    keys = list(dict.fromkeys(wanted))
    if connection.vendor == "postgresql":
        found = _accounts_read_or_open(keys)
    else:
        found = read(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            LedgerAccount.objects.bulk_create(
                [
                    LedgerAccount(kind=kind, currency=currency, order_id=order_id, user_id=user_id)
                    for kind, currency, order_id, user_id in missing
                ],
                ignore_conflicts=True,
            )
    # Opened by a transaction racing this one: its row is visible to a new statement.
    missing = [key for key in keys if key not in found]
    if missing:
        found |= read(missing)
    return [found[key] for key in wanted]


_ACCOUNT_COLUMNS = columns(LedgerAccount)


def _accounts_read_or_open(keys):
    """PostgreSQL: the accounts `keys` name, those missing inserted, in one statement. Each
    key's condition is written as the ORM writes it (`user_id IS NULL`), so the partial unique
    indexes serve the read. An account another transaction opens at the same moment is not in
    the answer (this statement's snapshot predates it); the caller reads it afterwards."""
    conditions, params, rows = [], [], []
    for kind, currency, order_id, user_id in keys:
        parts = ['"kind" = %s', '"currency" = %s']
        params += [kind, currency]
        for column, value in (("order_id", order_id), ("user_id", user_id)):
            if value is None:
                parts.append(f'"{column}" IS NULL')
            else:
                parts.append(f'"{column}" = %s')
                params.append(value)
        conditions.append(f"({' AND '.join(parts)})")
        rows.append("(%s, %s, %s::bigint, %s::bigint)")
    for key in keys:
        params += list(key)
    table = LedgerAccount._meta.db_table
    # Only the model's column names are written in; every value is a parameter.
    sql = f"""
WITH found AS (
    SELECT {_ACCOUNT_COLUMNS} FROM "{table}" WHERE {" OR ".join(conditions)}
), made AS (
    INSERT INTO "{table}" ("kind", "currency", "order_id", "user_id", "balance")
    SELECT w.kind, w.currency, w.order_id, w.user_id, 0
      FROM (VALUES {", ".join(rows)}) w (kind, currency, order_id, user_id)
     WHERE NOT EXISTS (
           SELECT 1 FROM found f
            WHERE f."kind" = w.kind AND f."currency" = w.currency
              AND f."order_id" IS NOT DISTINCT FROM w.order_id
              AND f."user_id" IS NOT DISTINCT FROM w.user_id)
    ON CONFLICT DO NOTHING
    RETURNING {_ACCOUNT_COLUMNS}
)
SELECT * FROM found UNION ALL SELECT * FROM made"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        accounts = [instance(LedgerAccount, row) for row in cursor.fetchall()]
    return {(a.kind, a.currency, a.order_id, a.user_id): a for a in accounts}


def ledger_account(kind, currency, *, order=None, user=None, user_id=None) -> LedgerAccount:
    """The account, created on first use. `user_id` instead of `user` spares loading the user."""
    return ledger_accounts(
        (kind, currency, order.pk if order else None, user.pk if user else user_id)
    )[0]


def entry_post(
    *,
    key,
    kind,
    postings,
    description,
    order=None,
    created_by=None,
    now=None,
    refund_payment=None,
    retry_of=None,
):
    """Writes one ledger entry with `postings` [(account, amount), ...], or returns the entry
    already written under `key` (a replay). Postings must sum to zero per currency. Account
    rows are locked in id order and their cached balances updated in this transaction; an
    order's escrow can never go below zero. What the entry credits to a buyer's funding account
    is sent back to the buyer through the provider (refunds_send; to `refund_payment` when
    given, else to the order's payments), in the same transaction."""
    totals = defaultdict(int)
    for account, amount in postings:
        totals[account.currency] += amount
    if any(totals.values()) or not postings:
        existing = LedgerEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:  # the key decides: a replay returns the first entry
            return existing
        raise LedgerUnbalanced(f"entry {key} does not balance: {dict(totals)}")
    for account, _amount in postings:
        # The order's escrow sums (what the order page and document show, and whether money
        # froze the contract) are read through the entries written with the order.
        if account.kind == Kind.ESCROW and account.order_id != getattr(order, "pk", None):
            raise ValueError(
                f"entry {key} moves order {account.order_id}'s escrow: write it with that order"
            )
    change = defaultdict(int)
    for account, amount in postings:
        change[account.pk] += amount
    entry = LedgerEntry(
        idempotency_key=key,
        kind=kind,
        order=order,
        description=description[:300],
        created_by=created_by,
        created_at=now or timezone.now(),
    )
    if connection.vendor == "postgresql":
        balances = _entry_write_in_one_statement(entry, postings, change)
    else:
        balances = _entry_write(entry, postings, change)
    if balances is None:  # the key was taken: a replay
        return LedgerEntry.objects.get(idempotency_key=key)
    # The caller's account objects show the balances as they now stand.
    for account, _amount in postings:
        account.balance = balances[account.pk]
    to_buyer = sum(
        amount for account, amount in postings if account.kind == Kind.BUYER_FUNDING and amount > 0
    )
    if to_buyer:
        refunds_send(
            entry, to_buyer, payment=refund_payment, retry_of=retry_of, now=entry.created_at
        )
    return entry


def _entry_write(entry, postings, change):
    """entry_post's writes, statement by statement (SQLite, the demo's database). Returns the
    accounts' new balances by id, or None if the entry's key is taken."""
    if LedgerEntry.objects.filter(idempotency_key=entry.idempotency_key).exists():
        return None
    locked = LedgerAccount.objects.select_for_update().filter(pk__in=list(change))
    accounts = {a.pk: a for a in locked.order_by("pk")}
    for pk, delta in change.items():
        account = accounts[pk]
        if account.kind == Kind.ESCROW and account.balance + delta < 0:
            raise LedgerUnbalanced(f"entry {entry.idempotency_key} would take {account} below zero")
    entry.save()
    LedgerPosting.objects.bulk_create(
        LedgerPosting(entry=entry, account=account, amount=amount, currency=account.currency)
        for account, amount in postings
        if amount
    )
    # Every balance in one UPDATE (the rows are locked above).
    LedgerAccount.objects.filter(pk__in=list(change)).update(
        balance=F("balance")
        + Case(
            *(When(pk=pk, then=Value(delta)) for pk, delta in change.items()),
            default=Value(0),
            output_field=BigIntegerField(),
        )
    )
    return {pk: accounts[pk].balance + delta for pk, delta in change.items()}


# entry_post's writes on PostgreSQL, in one round trip instead of five: lock the accounts in id
# order (count(*) reads every locked row, so all are locked, in that order, before anything is
# written), refuse an escrow going below zero, insert the entry unless its key is taken, its
# postings and the new balances. The deferred trigger still checks the entry balances at commit.
_ENTRY_SQL = """
WITH moves(account_id, amount, currency) AS (
    SELECT * FROM unnest(%(accounts)s::bigint[], %(amounts)s::bigint[], %(currencies)s::text[])
), changes AS (
    SELECT account_id, sum(amount)::bigint AS delta FROM moves GROUP BY account_id
), locked AS (
    SELECT a."id", a."kind", a."balance" FROM "escrow_ledgeraccount" a
     WHERE a."id" IN (SELECT account_id FROM changes) ORDER BY a."id" FOR UPDATE
), checked AS (
    SELECT count(*) AS accounts,
           count(*) FILTER (WHERE l."kind" = 'escrow' AND l."balance" + c.delta < 0) AS short
      FROM locked l JOIN changes c ON c.account_id = l."id"
), entry AS (
    INSERT INTO "escrow_ledgerentry"
           ("idempotency_key", "kind", "order_id", "description", "created_by_id", "created_at")
    SELECT %(key)s, %(kind)s, %(order)s, %(description)s, %(created_by)s, %(created_at)s
      FROM checked WHERE checked.short = 0
        AND checked.accounts = (SELECT count(*) FROM changes)
    ON CONFLICT ("idempotency_key") DO NOTHING
    RETURNING "id"
), postings AS (
    INSERT INTO "escrow_ledgerposting" ("entry_id", "account_id", "amount", "currency")
    SELECT entry."id", m.account_id, m.amount, m.currency FROM entry, moves m
     WHERE m.amount <> 0
), balances AS (
    UPDATE "escrow_ledgeraccount" a SET "balance" = a."balance" + c.delta
      FROM changes c, entry WHERE a."id" = c.account_id
    RETURNING a."id", a."balance"
)
SELECT (SELECT "id" FROM entry), (SELECT short FROM checked), (SELECT accounts FROM checked),
       (SELECT coalesce(json_agg(json_build_array("id", "balance")), '[]') FROM balances)
"""


def _entry_write_in_one_statement(entry, postings, change):
    """As _entry_write, in one statement (_ENTRY_SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ENTRY_SQL,
            {
                "accounts": [account.pk for account, _amount in postings],
                "amounts": [amount for _account, amount in postings],
                "currencies": [account.currency for account, _amount in postings],
                "key": entry.idempotency_key,
                "kind": entry.kind,
                "order": entry.order_id,
                "description": entry.description,
                "created_by": entry.created_by_id,
                "created_at": entry.created_at,
            },
        )
        entry_id, short, found, balances = cursor.fetchone()
    if found != len(change):
        raise LedgerAccount.DoesNotExist(f"entry {entry.idempotency_key}: unknown account")
    if entry_id is None:
        if short and not LedgerEntry.objects.filter(idempotency_key=entry.idempotency_key).exists():
            raise LedgerUnbalanced(f"entry {entry.idempotency_key} would take an escrow below zero")
        return None
    entry.pk = entry_id
    entry._state.adding = False
    entry._state.db = connection.alias
    return dict(balances)


def escrow_account_if_opened(order) -> LedgerAccount | None:
    """The order's escrow account, or None before any money reached it (not created here)."""
    return LedgerAccount.objects.filter(kind=Kind.ESCROW, order=order).first()


def escrow_held(order) -> int:
    account = escrow_account_if_opened(order)
    return account.balance if account else 0


# --- payments -------------------------------------------------------------------------------


def amount_due(order, purpose):
    """What the buyer owes for `purpose` now, in minor units of the order's currency."""
    version = order.current_version
    if purpose == Payment.Purpose.DEPOSIT:
        return version.deposit_amount
    if purpose == Payment.Purpose.BALANCE:
        return order.total_amount - escrow_held(order) if order.status == Status.DEPOSIT_PAID else 0
    return order.total_amount - escrow_held(order)


@transaction.atomic
def payment_start(*, order, acting_user, purpose, method, amount=None, now=None) -> Payment:
    """The buyer pays the deposit, the balance, or everything at once into the order's escrow.
    Card and Pay Later are captured at once (money in escrow, order moves on); the other methods
    wait for the provider's webhook. Refused: paying more than is due, paying a cancelled or
    completed order, a balance before the deposit."""
    now = now or timezone.now()
    # The order row alone is locked; its contract version and parties come in the same query.
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("current_version", "buyer", "supplier")
        .get(pk=order.pk)
    )
    party = order.party(acting_user)
    if party is None:
        raise NotAParty
    if party != "buyer":
        raise WrongParty(_("The buyer pays into escrow."))
    if method not in Payment.Method.values:
        raise PaymentRefused(_("Choose a payment method."), field="method")
    if order.status in (Status.DRAFT,):
        raise OutOfTurn(_("Both parties confirm the contract before anything is paid."))
    if order.status in (Status.CANCELLED, Status.COMPLETED, Status.REFUNDED):
        raise OutOfTurn(
            _("This order is %(status)s: it takes no more payments.")
            % {"status": order.get_status_display().lower()}
        )
    if purpose == Payment.Purpose.DEPOSIT and order.status != Status.CONFIRMED:
        raise OutOfTurn(_("The deposit is already paid."))
    if purpose == Payment.Purpose.DEPOSIT and order.current_version.deposit_amount == 0:
        raise PaymentRefused(
            _("This contract has no deposit: pay the full amount."), field="purpose"
        )
    if purpose == Payment.Purpose.BALANCE and order.status == Status.CONFIRMED:
        raise OutOfTurn(_("Pay the deposit first (or pay the full amount)."))
    if order.status not in (Status.CONFIRMED, Status.DEPOSIT_PAID):
        raise OutOfTurn(_("This order is paid in full."))
    # A statement of its own: one begun before the lock was granted would not see a payment
    # that the transaction holding the lock wrote (the race test shows it).
    if Payment.objects.filter(order=order, status=Payment.Status.PENDING).exists():
        raise PaymentRefused(
            _("A payment for this order is still on its way; wait for it to arrive.")
        )
    due = amount_due(order, purpose)
    if amount is not None and amount > due:
        raise Overpayment(
            _("That is more than is due: %(due)s.") % {"due": format_money(due, order.currency)}
        )
    if amount is not None and amount != due:
        raise PaymentRefused(_("Pay the amount due in one payment."), field="amount")
    if due <= 0:
        raise OutOfTurn(_("Nothing is due on this order."))
    payment = Payment(
        order=order,
        payer=acting_user,
        purpose=purpose,
        method=method,
        amount=due,
        currency=order.currency,
        created_at=now,
        provider_reference="pending",
    )
    started = provider(payment.provider).start(payment=payment)
    payment.provider_reference = started.reference
    payment.instructions = started.instructions
    if started.captured:
        # Captured as it was made: the row is written once, with the money in, and no one else
        # can see it before this transaction ends.
        payment.received_amount = due
        payment.confirm()
        payment.confirmed_at = now
    payment.save()
    if started.captured:
        buyer_funding, escrow = _payment_accounts(order)
        _payment_entry(order, payment, due, "capture", buyer_funding, escrow, now)
        _order_after_payment(order, payment, now, held=escrow.balance)
    return payment


def _payment_accounts(order):
    """(buyer funding, order escrow): where a payment's money comes from and goes."""
    return ledger_accounts(
        (Kind.BUYER_FUNDING, order.currency, None, order.buyer_id),
        (Kind.ESCROW, order.currency, order.pk, None),
    )


def _payment_entry(order, payment, amount, transfer_id, buyer_funding, escrow, now):
    """Transfer `transfer_id` of `payment`: `amount` from the buyer's funding into escrow."""
    return entry_post(
        key=f"payment:{payment.pk}:{transfer_id}",
        kind=LedgerEntry.Kind.PAYMENT,
        order=order,
        now=now,
        created_by=payment.payer,
        description=(
            f"{order.reference}: {payment.get_purpose_display()} by {payment.get_method_display()}"
        ),
        postings=[(buyer_funding, -amount), (escrow, amount)],
    )


def _payment_receive(order, payment, amount, *, transfer_id, now):
    """Money arrived for `payment` (the order row is locked by the caller): post it into escrow,
    return anything beyond what the payment is for, and move the order on when it is complete."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    buyer_funding, escrow = _payment_accounts(order)
    key = f"payment:{payment.pk}:{transfer_id}"
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return payment  # this transfer was counted already
    if payment.status != Payment.Status.PENDING or order.status not in (
        Status.CONFIRMED,
        Status.DEPOSIT_PAID,
    ):
        # The order no longer takes this money: it comes in and goes straight back.
        entry_post(
            key=key,
            kind=LedgerEntry.Kind.PAYMENT,
            order=order,
            now=now,
            description=f"{order.reference}: {payment.get_method_display()} received",
            postings=[(buyer_funding, -amount), (escrow, amount)],
        )
        entry_post(
            key=f"returned:{payment.pk}:{transfer_id}",
            kind=LedgerEntry.Kind.OVERPAYMENT_RETURN,
            order=order,
            now=now,
            description=f"{order.reference}: payment not accepted, returned",
            postings=[(escrow, -amount), (buyer_funding, amount)],
            refund_payment=payment,
        )
        return payment
    accepted = min(amount, payment.amount - payment.received_amount)
    _payment_entry(order, payment, amount, transfer_id, buyer_funding, escrow, now)
    if amount > accepted:
        entry_post(
            key=f"overpayment:{payment.pk}:{transfer_id}",
            kind=LedgerEntry.Kind.OVERPAYMENT_RETURN,
            order=order,
            now=now,
            description=f"{order.reference}: overpayment returned",
            postings=[(escrow, -(amount - accepted)), (buyer_funding, amount - accepted)],
            refund_payment=payment,
        )
    payment.received_amount += accepted
    if payment.received_amount == payment.amount:
        payment.confirm()
        payment.confirmed_at = now
    payment.save()
    if payment.status == Payment.Status.CONFIRMED:
        # escrow.balance is current: the order lock keeps anyone else off this escrow, and
        # entry_post updated it.
        _order_after_payment(order, payment, now, held=escrow.balance)
    return payment


def _order_after_payment(order, payment, now, *, held=None):
    """`held`: what the order's escrow holds now, when the caller knows it."""
    version = order.current_version
    moved = False
    if order.status == Status.CONFIRMED:
        order.deposit_paid_at = now
        if version.ship_within_days:
            order.ship_by = order.ship_by_original = end_of_day(
                timezone.localdate(now) + dt.timedelta(days=version.ship_within_days),
                order.supplier,
            )
        if payment.purpose == Payment.Purpose.DEPOSIT:
            apply_transition(
                order,
                "pay_deposit",
                acting_user=payment.payer,
                event_type=OrderEvent.Type.DEPOSIT_PAID,
                now=now,
                parameters={"amount": payment.amount, "payment": payment.provider_reference},
            )
            moved = True
    if held is None:
        held = escrow_held(order)
    if held >= order.total_amount and order.status in (
        Status.CONFIRMED,
        Status.DEPOSIT_PAID,
    ):
        order.funded_at = now
        # A reminder sent while only the deposit was paid was about the balance: the supplier
        # is reminded to ship in its turn.
        order.ship_by_reminded_at = None
        apply_transition(
            order,
            "pay_balance",
            acting_user=payment.payer,
            event_type=OrderEvent.Type.FUNDED,
            now=now,
            parameters={"amount": payment.amount, "payment": payment.provider_reference},
        )
        ship_by_after_late_balance(order, now)
        moved = True
    if moved:
        order.save()
        notify(order, order.supplier, "payment_received", context={"payment": payment})


# No bank transfer is larger: ten trillion in major units. Anything above is a provider's
# error, refused before it could overflow the ledger's 64-bit balances.
MAX_TRANSFER = 10**15


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python's json accepts them


def _transfer_amount(data):
    amount = data.get("amount")
    # Minor units: a whole, positive number, never a string, a fraction or a boolean.
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_TRANSFER:
        raise WebhookRejected(
            "transfer amount must be a positive whole number of minor units, at most 10^15"
        )
    return amount


class WebhookOutcome:
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


@transaction.atomic
def webhook_receive(*, provider_name, body: bytes, signature_header, now=None) -> str:
    """A signed provider notification. Verified (HMAC over timestamp.body, 300 s window),
    recorded once by event id (a replay is 'duplicate' and changes nothing), then applied."""
    now = now or timezone.now()
    provider(provider_name).verify_webhook(body=body, signature_header=signature_header, now=now)
    try:
        event = json.loads(body, parse_constant=_no_constant)
        event_id, event_type, data = event["id"], event["type"], event.get("data", {})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WebhookRejected("malformed event") from exc
    if not json_storable(event):  # kept as it came, so it must be storable as JSON
        raise WebhookRejected("malformed event")
    id_limit = WebhookEvent._meta.get_field("event_id").max_length
    type_limit = WebhookEvent._meta.get_field("type").max_length
    if not (
        isinstance(event_id, str)
        and 0 < len(event_id) <= id_limit
        and isinstance(event_type, str)
        and 0 < len(event_type) <= type_limit
        and isinstance(data, dict)
    ):
        raise WebhookRejected("malformed event")
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                provider=provider_name,
                event_id=event_id,
                type=event_type,
                payload=event,
                received_at=now,
            )
    except IntegrityError:
        return WebhookOutcome.DUPLICATE
    reference = data.get("reference", "")
    if not isinstance(reference, str):
        raise WebhookRejected("malformed event")
    if event_type.startswith("payout."):
        return _payout_webhook_apply(provider_name, reference, event_type, data, now)
    if event_type.startswith("refund."):
        return _refund_webhook_apply(provider_name, reference, event_type, data, now)
    payment = Payment.objects.filter(provider_reference=reference).first()
    if payment is None:
        purchase = GoldPurchase.objects.filter(provider_reference=reference).first()
        if purchase is None:
            return WebhookOutcome.IGNORED
        return _gold_webhook_apply(purchase, event_id, event_type, data, now)
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    if event_type == "payment.transfer_received":
        amount = _transfer_amount(data)
        _payment_receive(order, payment, amount, transfer_id=event_id, now=now)
    elif event_type == "payment.succeeded":
        payment.refresh_from_db()
        remaining = payment.amount - payment.received_amount
        if remaining > 0:
            _payment_receive(order, payment, remaining, transfer_id=event_id, now=now)
    elif event_type == "payment.failed":
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == Payment.Status.PENDING and payment.received_amount == 0:
            payment.fail()
            payment.save()
            notify(order, order.buyer, "payment_failed", context={"payment": payment})
    else:
        return WebhookOutcome.IGNORED
    return WebhookOutcome.PROCESSED


# --- release and refunds --------------------------------------------------------------------


def escrow_release(*, order, acting_user=None, now=None):
    """Moves everything held in the order's escrow to the supplier's payable balance. Called
    inside the transition that completes the order, with the order row locked."""
    # A completing order was funded, so its escrow exists; both accounts in one query.
    escrow, payable = ledger_accounts(
        (Kind.ESCROW, order.currency, order.pk, None),
        (Kind.SUPPLIER_PAYABLE, order.currency, None, order.supplier_id),
    )
    held = escrow.balance
    if held <= 0:
        return None
    return entry_post(
        key=f"release:{order.pk}",
        kind=LedgerEntry.Kind.RELEASE,
        order=order,
        now=now,
        created_by=acting_user,
        description=f"{order.reference}: escrow released to the supplier",
        postings=[(escrow, -held), (payable, held)],
    )


@transaction.atomic
def escrow_refund(*, order, acting_user, amount=None, reason, now=None):
    """Refunds the buyer from escrow. The whole held amount (amount=None) refunds the order. Part
    of it, once the goods are shipped, is one entry that refunds that part and releases the
    rest to the supplier, completing the order. The supplier may refund; so may staff."""
    now = now or timezone.now()
    order = Order.objects.select_for_update().get(pk=order.pk)
    party = order.party(acting_user)
    if party != "supplier" and not acting_user.is_staff:
        raise NotAParty(_("The supplier or a mediator refunds an order."))
    if order.status == Status.DISPUTED:
        raise OutOfTurn(_("This order has an open claim: its escrow moves when the case ends."))
    if order.status not in (
        Status.DEPOSIT_PAID,
        Status.FUNDED,
        Status.OVERDUE,
        Status.SHIPPED,
    ):
        raise OutOfTurn(
            _("This order is %(status)s: there is nothing in escrow to refund.")
            % {"status": order.get_status_display().lower()}
        )
    if not (reason or "").strip():
        raise PaymentRefused(_("Say why the buyer is refunded."), field="reason")
    held = escrow_held(order)
    refund = held if amount is None else amount
    if refund <= 0:
        raise PaymentRefused(_("Refund a positive amount."), field="amount")
    if refund > held:
        raise Overpayment(
            _("Only %(held)s is held in escrow.") % {"held": format_money(held, order.currency)}
        )
    if refund == held:
        entry = escrow_refund_in_full(
            order=order, acting_user=acting_user, parameters={"reason": reason.strip()}, now=now
        )
    else:
        if order.status != Status.SHIPPED:
            raise PaymentRefused(
                _("Before shipment an order is refunded in full or not at all."), field="amount"
            )
        escrow, buyer_funding, payable = ledger_accounts(
            (Kind.ESCROW, order.currency, order.pk, None),
            (Kind.BUYER_FUNDING, order.currency, None, order.buyer_id),
            (Kind.SUPPLIER_PAYABLE, order.currency, None, order.supplier_id),
        )
        entry = entry_post(
            key=f"refund:{order.pk}",
            kind=LedgerEntry.Kind.SETTLEMENT,
            order=order,
            now=now,
            created_by=acting_user,
            description=f"{order.reference}: partly refunded, rest released to the supplier",
            postings=[(escrow, -held), (buyer_funding, refund), (payable, held - refund)],
        )
        events.order_event_write(
            order=order,
            type=OrderEvent.Type.REFUNDED,
            user=acting_user,
            parameters={"amount": refund, "partial": True, "reason": reason.strip()},
            at=now,
        )
        order.completed_at = now
        apply_transition(
            order,
            "complete",
            acting_user=acting_user,
            event_type=OrderEvent.Type.COMPLETED,
            now=now,
            parameters={"released": held - refund},
        )
    order.save()
    for recipient in (order.buyer, order.supplier):
        if recipient != acting_user:
            notify(order, recipient, "refunded", context={"amount": refund})
    return entry


def _refund_everything_held(order, *, acting_user, now, description):
    """One REFUND entry moving all the order's escrow to the buyer (None when it holds
    nothing); keyed like every full refund, so it happens once per order."""
    escrow = escrow_account_if_opened(order)
    held = escrow.balance if escrow else 0
    if held <= 0:
        return None, 0
    entry = entry_post(
        key=f"refund:{order.pk}",
        kind=LedgerEntry.Kind.REFUND,
        order=order,
        now=now,
        created_by=acting_user,
        description=f"{order.reference}: {description}",
        postings=[
            (escrow, -held),
            (ledger_account(Kind.BUYER_FUNDING, order.currency, user_id=order.buyer_id), held),
        ],
    )
    return entry, held


def escrow_refund_in_full(*, order, acting_user=None, parameters=None, now):
    """Refunds everything the order's escrow holds to the buyer and moves the order to
    refunded, with its event. The caller holds the order row lock, saves the order and
    notifies. acting_user None is the clock; `parameters` then name the rule and the reason."""
    entry, held = _refund_everything_held(
        order, acting_user=acting_user, now=now, description="refunded in full"
    )
    apply_transition(
        order,
        "refund",
        acting_user=acting_user,
        event_type=OrderEvent.Type.REFUNDED,
        now=now,
        parameters={"amount": held, **(parameters or {})},
    )
    return entry


def escrow_return_unaccepted(*, order, acting_user=None, now):
    """Returns to the buyer whatever reached the escrow of an order that will not go ahead
    (part of a T/T on an order that expires unpaid), and fails its pending payments so a late
    transfer is sent back on arrival. The caller holds the order row lock. The payment's
    received amount stays as it arrived; the return is a refund of it."""
    for payment in Payment.objects.select_for_update().filter(
        order=order, status=Payment.Status.PENDING
    ):
        payment.fail()
        payment.save()
    entry, _held = _refund_everything_held(
        order,
        acting_user=acting_user,
        now=now,
        description="order did not go ahead, payment returned",
    )
    return entry


# --- money back to the buyer, through the provider ------------------------------------------


def refunds_send(entry, amount, *, payment=None, retry_of=None, now):
    """Sends `amount`, which `entry` credits to the buyer of its order, back through the
    provider: to `payment`, or spread over the order's payments, newest first, each up to what
    it brought in and was not yet refunded (anything beyond that goes with the newest). A card
    or Pay Later refund is done at once; a bank transfer is processing until the webhook."""
    order = entry.order
    parts = _refund_parts(order, amount, payment) if order is not None else []
    if not parts:
        # Money written to the ledger without a payment (imported history): nothing to send
        # it to. Staff settle it with the buyer outside Pactline.
        logger.error("Entry %s credits a buyer but has no payment to send it to", entry.pk)
        return []
    # Sent again after a refusal: to the bank account the buyer gave for it, if it gave one,
    # else where the refused one went.
    account = (
        (refund_account_current(refund=retry_of) or retry_of.account)
        if retry_of is not None
        else None
    )
    refunds = []
    for paid, part in parts:
        refund = Refund(
            order=order,
            buyer_id=order.buyer_id,
            payment=paid,
            entry=entry,
            retry_of=retry_of,
            amount=part,
            currency=order.currency,
            method=Payment.Method.TT if account else paid.method,
            account=account,
            destination=str(account)[: Refund._meta.get_field("destination").max_length]
            if account
            else "",
            provider=paid.provider,
            created_at=now,
        )
        started = provider(refund.provider).refund_start(refund=refund)
        refund.provider_reference = started.reference
        if started.done:
            refund.mark_refunded()
            refund.refunded_at = now
        else:
            refund.chase_at = now + dt.timedelta(days=settings.PACTLINE_REFUND_CHASE_DAYS)
        refunds.append(refund)
    return Refund.objects.bulk_create(refunds)


def _refund_parts(order, amount, payment):
    """[(payment, amount)]: where `amount` goes back to (refunds_send)."""
    if payment is not None:
        return [(payment, amount)]
    payments = list(
        Payment.objects.filter(order=order, received_amount__gt=0).order_by("-created_at", "-pk")
    )
    if not payments:
        return []
    # What each payment already sent back as the order's refunds (overpayments returned on
    # arrival were never part of what it brought in; a retry resends an earlier refund).
    refunded = dict(
        Refund.objects.filter(order=order, retry_of__isnull=True)
        .exclude(entry__kind=LedgerEntry.Kind.OVERPAYMENT_RETURN)
        .values_list("payment")
        .annotate(total=Sum("amount"))
    )
    parts = defaultdict(int)
    left = amount
    for paid in payments:
        part = min(left, max(0, paid.received_amount - refunded.get(paid.pk, 0)))
        if part:
            parts[paid] += part
            left -= part
    if left:
        parts[payments[0]] += left
    return [(paid, part) for paid, part in parts.items()]


REFUND_TRANSITIONS = {
    Refund.Status.REFUNDED: "mark_refunded",
    Refund.Status.FAILED: "mark_failed",
}

# What the provider's refund webhooks say, as the status they move a refund to.
REFUND_EVENTS = {
    "refund.succeeded": Refund.Status.REFUNDED,
    "refund.failed": Refund.Status.FAILED,
}


def _refund_move(refund, to, *, now, reason=""):
    """Moves the locked `refund` to `to` (TransitionNotAllowed if it cannot go there). Failed,
    its money is back with Pactline, owed to the buyer, in one entry keyed by the refund. The
    buyer hears either way."""
    getattr(refund, REFUND_TRANSITIONS[to])()
    if to == Refund.Status.FAILED:
        refund.failure_reason = reason[: Refund._meta.get_field("failure_reason").max_length]
        refund.failed_at = now
        # Held for the buyer until it is sent again: the clock reminds staff if nobody does.
        refund.chase_at = now + dt.timedelta(days=settings.PACTLINE_REFUND_CHASE_DAYS)
    else:
        refund.refunded_at = now
        refund.chase_at = None
    refund.save()
    if to == Refund.Status.FAILED:
        buyer_funding, owed = ledger_accounts(
            (Kind.BUYER_FUNDING, refund.currency, None, refund.buyer_id),
            (Kind.REFUND_OWED, refund.currency, None, refund.buyer_id),
        )
        entry_post(
            key=f"refund-failed:{refund.pk}",
            kind=LedgerEntry.Kind.REFUND_FAILED,
            order=refund.order,
            now=now,
            description=f"{refund.order.reference}: refund {refund.provider_reference} not "
            "delivered, held for the buyer",
            postings=[(buyer_funding, -refund.amount), (owed, refund.amount)],
        )
        _staff_tell(
            refund,
            kind="refund_failed_staff",
            template="escrow/email/refund_failed_staff",
            context={"refund": refund, "order": refund.order},
        )
    notification_send(
        user=refund.buyer,
        kind=f"refund_{to}",
        template=f"escrow/email/refund_{to}",
        context={"refund": refund, "order": refund.order},
        link=reverse("order_detail", args=[refund.order_id]),
    )


def _refund_webhook_apply(provider_name, reference, event_type, data, now):
    """A refund webhook: the refund it names is done or refused. Refused after done is the bank
    sending it back: the money is owed to the buyer again. One that cannot move (done after
    refused) changes nothing and is logged for staff to reconcile with the provider."""
    return _bank_answer_apply(
        Refund.objects.select_related("buyer", "order"),
        provider_name,
        reference,
        REFUND_EVENTS.get(event_type),
        data,
        lambda refund, to, reason: _refund_move(refund, to, now=now, reason=reason),
    )


def _bank_answer_apply(queryset, provider_name, reference, to, data, move):
    """A provider's webhook saying where a transfer of ours (a payout, a refund) now stands:
    the row of `queryset` it names, locked, is moved to `to` by move(row, to, bank's reason).
    An answer the row cannot take changes nothing and, unless the row is there already, is
    logged for staff to reconcile with the provider."""
    if to is None:
        return WebhookOutcome.IGNORED
    transfer = (
        queryset.select_for_update(of=("self",))
        .filter(provider=provider_name, provider_reference=reference)
        .first()
    )
    if transfer is None:
        return WebhookOutcome.IGNORED
    reason = data.get("reason", "")
    try:
        move(transfer, to, reason if isinstance(reason, str) else "")
    except TransitionNotAllowed:
        if transfer.status != to:
            logger.warning(
                "Provider %s says %s %s is %s, but it is %s: reconcile with the provider.",
                provider_name,
                transfer._meta.model_name,
                transfer.pk,
                to,
                transfer.status,
            )
        return WebhookOutcome.IGNORED
    return WebhookOutcome.PROCESSED


def refund_chase_due(now):
    """Refunds past their chase date: on their way with no answer from the bank, or refused
    and held for the buyer with nobody having sent them again."""
    return Refund.objects.filter(
        status__in=[Refund.Status.PROCESSING, Refund.Status.FAILED],
        retry__isnull=True,
        chase_at__lte=now,
    )


def refund_chase(refund, now):
    """The clock's step for one refund past its chase date (locked by the sweep): see
    _staff_chase."""
    return _staff_chase(
        refund,
        now,
        days=settings.PACTLINE_REFUND_CHASE_DAYS,
        template="escrow/email/refund_chase",
        context={"refund": refund, "order": refund.order},
    )


def payout_chase_due(now):
    """Payouts the supplier's bank has not answered in time: staff chase the provider."""
    return Payout.objects.filter(
        status__in=[Payout.Status.REQUESTED, Payout.Status.PROCESSING], chase_at__lte=now
    )


def payout_chase(payout, now):
    """The clock's step for one payout still unanswered past its chase date (locked by the
    sweep): see _staff_chase."""
    return _staff_chase(
        payout,
        now,
        days=settings.PACTLINE_PAYOUT_CHASE_DAYS,
        template="escrow/email/payout_chase",
        context={"payout": payout},
    )


def _staff_who_may_change(model):
    """Active staff who may change rows of escrow's `model` (through a group or their own
    permissions), and superusers: who handles money that needs a person."""
    may = Q(is_superuser=True)
    permission = Permission.objects.filter(
        content_type__app_label="escrow", codename=f"change_{model}"
    ).first()
    if permission is not None:  # else only superusers (a None would match users without any)
        may |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    return User.objects.filter(may, is_staff=True, is_active=True).distinct()


def _staff_chase(transfer, now, *, days, template, context):
    """A transfer of ours (a refund, a payout) the bank has not answered: every active staff
    member who may move such transfers is emailed to ask the provider and record the bank's
    answer in the admin; the next chase is set `days` on, and repeats until it is answered."""
    model = transfer._meta.model_name
    waited = (now - transfer.created_at).days
    transfer.chase_at = now + dt.timedelta(days=days)
    transfer.save(update_fields=["chase_at"])
    context = {**context, "days": waited}
    _staff_tell(transfer, kind=f"{model}_chase", template=template, context=context)
    return f"{transfer.provider_reference}: unanswered for {waited} days, staff asked to chase it"


def _staff_tell(row, *, kind, template, context):
    """Emails the staff who may change `row` (of an escrow model), linking to it in the admin."""
    model = row._meta.model_name
    link = reverse(f"admin:escrow_{model}_change", args=[row.pk])
    for member in _staff_who_may_change(model):
        notification_send(user=member, kind=kind, template=template, context=context, link=link)


def _refund_locked(refund):
    """`refund` read again under its row lock, with its buyer and order: every step that moves a
    refund or money owed for it takes this lock first, so they happen one after the other."""
    return (
        Refund.objects.select_for_update(of=("self",))
        .select_related("buyer", "order")
        .get(pk=refund.pk)
    )


@transaction.atomic
def refund_advance(*, refund, acting_user, to, now=None) -> Refund:
    """Staff record the buyer's bank's answer to a refund when the provider's webhook did not
    come: refunded, or failed (the money is then owed to the buyer, as on the webhook)."""
    now = now or timezone.now()
    if not acting_user.is_staff:
        raise NotAParty(_("Only staff move refunds on."))
    if to not in REFUND_TRANSITIONS:
        raise PaymentRefused(_("Unknown refund status."), field="status")
    refund = _refund_locked(refund)
    try:
        _refund_move(refund, to, now=now)
    except TransitionNotAllowed as exc:
        raise OutOfTurn(
            _("This refund is %(status)s already.")
            % {"status": refund.get_status_display().lower()}
        ) from exc
    return refund


@transaction.atomic
def refund_account_give(
    *, refund, buyer, password, holder_name, country, iban="", account_number="", bic="", now=None
) -> RefundAccount:
    """The buyer gives a bank account for a refund its bank or card did not take, confirming
    with its password (BankDetailsInvalid with messages by field, the password's among them):
    staff send the refund again there. A new row each time (the one before is marked replaced);
    the same details again change nothing. The buyer is emailed (whoever gave them, it hears
    where its money will go) and so are the staff who send refunds again."""
    if refund.buyer_id != buyer.pk:
        raise NotAParty
    refund = _refund_locked(refund)
    if not refund_goes_elsewhere(refund):
        raise OutOfTurn(
            _("Only a refund that was not delivered and not yet sent again goes elsewhere.")
        )
    details = _bank_details_confirmed(
        buyer,
        password,
        holder_name=holder_name,
        country=country,
        iban=iban,
        account_number=account_number,
        bic=bic,
    )
    now = now or timezone.now()
    current = refund_account_current(refund=refund)
    if _same_or_replaced(current, details, now):
        return current
    account = RefundAccount.objects.create(
        refund=refund, buyer=buyer, created_at=now, **asdict(details)
    )
    context = {"refund": refund, "order": refund.order, "account": account}
    notification_send(
        user=buyer,
        kind="refund_account",
        template="escrow/email/refund_account",
        context=context,
        link=reverse("order_detail", args=[refund.order_id]),
    )
    _staff_tell(
        refund,
        kind="refund_account_given",
        template="escrow/email/refund_account_given",
        context=context,
    )
    return account


@transaction.atomic
def refund_retry(*, refund, acting_user, now=None) -> Refund:
    """Staff send an undelivered refund again, from what Pactline holds owed to the buyer: to
    the bank account the buyer gave for it (refund_account_give), else to the same payment. The
    new refund is `retry_of` the failed one. Once per failed refund."""
    now = now or timezone.now()
    if not acting_user.is_staff:
        raise NotAParty(_("Only staff send a refund again."))
    refund = _refund_locked(refund)
    if refund.status != Refund.Status.FAILED:
        raise OutOfTurn(
            _("This refund is %(status)s: only an undelivered refund is sent again.")
            % {"status": refund.get_status_display().lower()}
        )
    if Refund.objects.filter(retry_of=refund).exists():
        raise OutOfTurn(_("This refund was sent again already."))
    owed, buyer_funding = ledger_accounts(
        (Kind.REFUND_OWED, refund.currency, None, refund.buyer_id),
        (Kind.BUYER_FUNDING, refund.currency, None, refund.buyer_id),
    )
    entry_post(
        key=f"refund-retry:{refund.pk}",
        kind=LedgerEntry.Kind.REFUND_RETRY,
        order=refund.order,
        now=now,
        created_by=acting_user,
        description=f"{refund.order.reference}: refund {refund.provider_reference} sent again",
        postings=[(owed, -refund.amount), (buyer_funding, refund.amount)],
        refund_payment=refund.payment,
        retry_of=refund,
    )
    return Refund.objects.get(retry_of=refund)


# --- payouts --------------------------------------------------------------------------------


@transaction.atomic
def payout_request(*, supplier, amount, currency, now=None) -> Payout:
    """The supplier takes money from its available (payable) balance to its bank account."""
    now = now or timezone.now()
    if supplier.role != User.Role.SUPPLIER:
        raise WrongParty(_("Only suppliers have payouts."))
    payable = ledger_account(Kind.SUPPLIER_PAYABLE, currency, user=supplier)
    payable = LedgerAccount.objects.select_for_update().get(pk=payable.pk)
    if amount is None or amount <= 0:
        raise PayoutRefused(_("Ask for a positive amount."))
    account = _payout_account_ready(supplier, now)
    # Covered claims the supplier owes come out of its balance before any payout.
    owed = supplier_owed(supplier=supplier, currency=currency)
    if amount > payable.balance - owed:
        if owed:
            raise PayoutRefused(
                _(
                    "Your available balance is %(available)s after %(owed)s you owe for "
                    "covered claims."
                )
                % {
                    "available": format_money(max(0, payable.balance - owed), currency),
                    "owed": format_money(owed, currency),
                }
            )
        raise PayoutRefused(
            _("Your available balance is %(available)s.")
            % {"available": format_money(payable.balance, currency)}
        )
    payout = Payout(
        supplier=supplier,
        amount=amount,
        currency=currency,
        created_at=now,
        account=account,
        destination=str(account)[: Payout._meta.get_field("destination").max_length],
        chase_at=now + dt.timedelta(days=settings.PACTLINE_PAYOUT_CHASE_DAYS),
    )
    payout.provider_reference = provider(payout.provider).payout_start(payout=payout)
    payout.save()
    if owed:
        receivable_net(
            supplier=supplier, currency=currency, key=f"netting:payout:{payout.pk}", now=now
        )
    entry_post(
        key=f"payout:{payout.pk}",
        kind=LedgerEntry.Kind.PAYOUT,
        now=now,
        created_by=supplier,
        description=f"Payout {payout.pk} to {account.masked}",
        postings=[
            (payable, -amount),
            (ledger_account(Kind.PAYOUTS, currency, user=supplier), amount),
        ],
    )
    return payout


def _bank_details_confirmed(user, password, **details):
    """The bank details as apps.escrow.bank checked them, given by `user` with its password:
    BankDetailsInvalid with messages by field (the password's among them) otherwise."""
    errors = {}
    try:
        checked = bank_details_check(**details)
    except BankDetailsInvalid as exc:
        errors = dict(exc.errors)
    if not password or not user.check_password(password):
        errors["password"] = [PasswordMismatch.default_message]
    if errors:
        raise BankDetailsInvalid(errors=errors)
    return checked


def _same_or_replaced(current, details, now):
    """True when the `current` account (or None) already has `details`; otherwise it is marked
    replaced as of `now`, since a bank account row is never edited."""
    if current is None:
        return False
    if all(getattr(current, name) == value for name, value in asdict(details).items()):
        return True
    current.replaced_at = now
    current.save(update_fields=["replaced_at"])
    return False


def _payout_account_ready(supplier, now) -> PayoutAccount:
    """The account a payout asked for now goes to; PayoutAccountNotReady when there is none, its
    holder waits for staff to check it, or a change is still held."""
    account = payout_account_current(supplier=supplier)
    if account is None:
        raise PayoutAccountNotReady
    if account.holder_check == PayoutAccount.HolderCheck.WAITING:
        raise PayoutAccountNotReady(
            _(
                "Your payout bank account is held by “%(holder)s”, not by your company "
                "“%(company)s”: payouts to it start once Pactline has checked it (you are "
                "emailed). An account in your company's name needs no check."
            )
            % {"holder": account.holder_name, "company": payout_company_name(supplier)}
        )
    if account.holder_check == PayoutAccount.HolderCheck.REFUSED:
        raise PayoutAccountNotReady(
            _(
                "Pactline could not accept the holder of your payout bank account, "
                "“%(holder)s” (%(reason)s). Change it to an account in your company's name."
            )
            % {"holder": account.holder_name, "reason": account.holder_refusal_reason}
        )
    if account.payouts_from > now:
        raise PayoutAccountNotReady(
            _(
                "On %(changed)s your payout bank account was changed; payouts to it start on "
                "%(start)s: a safety wait after a change."
            )
            % {
                "changed": local_datetime(account.created_at),
                "start": local_datetime(account.payouts_from),
            }
        )
    return account


@transaction.atomic
def payout_account_set(
    *, supplier, password, holder_name, country, iban="", account_number="", bic="", now=None
) -> PayoutAccount:
    """The supplier sets or changes the bank account its payouts go to, confirming with its
    password (BankDetailsInvalid with messages by field, the password's among them). Writes a
    new row and marks the current one replaced, never editing one, so every payout's
    destination stays on record. A change, unlike the first account, holds payouts for
    PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS. The supplier is told by email either way; details
    equal to the current account's change nothing. The supplier's row is locked, so two changes
    at once are written one after the other (and timed after the lock, so in that order)."""
    if supplier.role != User.Role.SUPPLIER:
        raise WrongParty(_("Only suppliers have payouts."))
    details = _bank_details_confirmed(
        supplier,
        password,
        holder_name=holder_name,
        country=country,
        iban=iban,
        account_number=account_number,
        bic=bic,
    )
    User.objects.select_for_update().filter(pk=supplier.pk).values_list("pk").get()
    now = now or timezone.now()
    current = payout_account_current(supplier=supplier)
    if _same_or_replaced(current, details, now):
        return current
    hold = dt.timedelta(hours=settings.PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS)
    company = payout_company_name(supplier)
    account = PayoutAccount.objects.create(
        supplier=supplier,
        created_at=now,
        payouts_from=now + hold if current is not None else now,
        holder_check=payout_holder_check(supplier, details.holder_name, company=company),
        **asdict(details),
    )
    context = {"account": account, "previous": current, "company": company}
    notification_send(
        user=supplier,
        kind="payout_account_changed" if current is not None else "payout_account_added",
        template="escrow/email/payout_account",
        context=context,
        link=reverse("supplier_payout_account"),
    )
    if account.holder_check == PayoutAccount.HolderCheck.WAITING:
        _staff_tell(
            account,
            kind="payout_account_holder",
            template="escrow/email/payout_account_holder",
            context=context,
        )
    return account


def payout_holder_check(supplier, holder_name, *, company=None) -> str:
    """How a new payout account of `supplier` held by `holder_name` starts: `matches` when the
    holder is the company (`company`, its name, when the caller has read it), else `waiting`
    for staff."""
    if company is None:
        company = payout_company_name(supplier)
    if holder_is_company(holder_name, company):
        return PayoutAccount.HolderCheck.MATCHES
    return PayoutAccount.HolderCheck.WAITING


def payout_company_name(supplier):
    """The name a supplier's payout account is to be held in: the registered name its approved
    verification was checked against (the business licence), else its profile's company name
    (which the supplier may edit, so it counts only until the supplier is verified)."""
    from apps.suppliers.models import VerificationApplication  # suppliers builds on escrow

    verified = (
        VerificationApplication.objects.filter(
            supplier=supplier, status=VerificationApplication.Status.APPROVED
        )
        .order_by("-reviewed_at", "-pk")
        .values_list("registered_company_name", flat=True)
        .first()
    )
    profile = CompanyProfile.objects.filter(user=supplier).values_list("company_name", flat=True)
    return verified or profile.first() or ""


@transaction.atomic
def payout_account_holder_approve(*, account, acting_user, now=None) -> PayoutAccount:
    """Staff have checked that the holder of a payout account waiting for it is the supplier
    (a trading name, the owner of a sole proprietorship, the name in another script): payouts
    may go there (once any hold after a change has passed), and the supplier is emailed."""
    account = _holder_waiting_locked(account, acting_user)
    _holder_decided(account, PayoutAccount.HolderCheck.APPROVED, acting_user, now)
    return account


@transaction.atomic
def payout_account_holder_refuse(*, account, acting_user, reason, now=None) -> PayoutAccount:
    """Staff found that the holder of a payout account waiting for it is not the supplier: no
    payouts go there, and the supplier is emailed `reason` and asked for an account in the
    company's name (a new account is checked anew)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise PayoutRefused(_("Say why: the supplier reads it."), field="reason")
    account = _holder_waiting_locked(account, acting_user)
    account.holder_refusal_reason = reason[
        : PayoutAccount._meta.get_field("holder_refusal_reason").max_length
    ]
    _holder_decided(account, PayoutAccount.HolderCheck.REFUSED, acting_user, now)
    return account


def _holder_waiting_locked(account, acting_user):
    """`account` under its row lock, if staff may decide on its holder now: it is the
    supplier's current account and its holder waits for the check."""
    if not acting_user.is_staff:
        raise NotAParty(_("Only Pactline staff check account holders."))
    account = (
        PayoutAccount.objects.select_for_update().select_related("supplier").get(pk=account.pk)
    )
    if account.replaced_at is not None:
        raise OutOfTurn(_("This account has been replaced; the supplier's current one counts."))
    if account.holder_check != PayoutAccount.HolderCheck.WAITING:
        raise OutOfTurn(
            _("This account's holder is not waiting for a check: %(state)s.")
            % {"state": account.get_holder_check_display()}
        )
    return account


def _holder_decided(account, decision, acting_user, now):
    account.holder_check = decision
    account.holder_checked_by = acting_user
    account.holder_checked_at = now or timezone.now()
    account.save(
        update_fields=[
            "holder_check",
            "holder_checked_by",
            "holder_checked_at",
            "holder_refusal_reason",
        ]
    )
    notification_send(
        user=account.supplier,
        kind=f"payout_account_holder_{decision}",
        template=f"escrow/email/payout_account_holder_{decision}",
        context={"account": account},
        link=reverse("supplier_payout_account"),
    )


@transaction.atomic
def payout_advance(*, payout, acting_user, to, now=None) -> Payout:
    """Staff move a payout on: processing, paid, or failed (money returned). The provider does
    the same through its signed webhooks (webhook_receive)."""
    now = now or timezone.now()
    if not acting_user.is_staff:
        raise NotAParty(_("Only staff advance payouts."))
    if to not in PAYOUT_TRANSITIONS:
        raise PayoutRefused(_("Unknown payout status."), field="status")
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    try:
        _payout_move(payout, PAYOUT_TRANSITIONS[to], acting_user=acting_user, now=now)
    except TransitionNotAllowed as exc:
        raise OutOfTurn(
            _("This payout is %(status)s already.")
            % {"status": payout.get_status_display().lower()}
        ) from exc
    return payout


PAYOUT_TRANSITIONS = {
    Payout.Status.PROCESSING: "process",
    Payout.Status.PAID: "mark_paid",
    Payout.Status.FAILED: "mark_failed",
}


def _payout_move(payout, transition, *, acting_user=None, now, reason=""):
    """Moves the locked `payout` on by its `transition` (TransitionNotAllowed if it cannot be
    taken from where the payout is). Failed returns the money to the supplier's available
    balance, in one entry keyed by the payout. The supplier hears when it is paid or failed."""
    getattr(payout, transition)()
    to = payout.status
    if to == Payout.Status.FAILED:
        payout.failure_reason = reason[: Payout._meta.get_field("failure_reason").max_length]
    payout.save()
    if to == Payout.Status.FAILED:
        payouts, payable = ledger_accounts(
            (Kind.PAYOUTS, payout.currency, None, payout.supplier_id),
            (Kind.SUPPLIER_PAYABLE, payout.currency, None, payout.supplier_id),
        )
        entry_post(
            key=f"payout-reversal:{payout.pk}",
            kind=LedgerEntry.Kind.PAYOUT_REVERSAL,
            now=now,
            created_by=acting_user,
            description=f"Payout {payout.pk} failed; returned to the balance",
            postings=[(payouts, -payout.amount), (payable, payout.amount)],
        )
    if to in (Payout.Status.PAID, Payout.Status.FAILED):
        notification_send(
            user=payout.supplier,
            kind=f"payout_{to}",
            template=f"escrow/email/payout_{to}",
            context={"payout": payout},
            link=reverse("supplier_payouts"),
        )


# What the provider's payout webhooks say, as the status they move a payout to.
PAYOUT_EVENTS = {
    "payout.processing": Payout.Status.PROCESSING,
    "payout.paid": Payout.Status.PAID,
    "payout.failed": Payout.Status.FAILED,
}


def _payout_webhook_apply(provider_name, reference, event_type, data, now):
    """A payout webhook: the payout it names moves on. Failed after paid is the bank sending
    the money back: it returns to the supplier's balance. One that cannot move there (paid
    after failed) changes nothing and is logged for staff to reconcile with the provider."""

    def move(payout, to, reason):
        transition = PAYOUT_TRANSITIONS[to]
        if to == Payout.Status.FAILED and payout.status == Payout.Status.PAID:
            transition = "mark_returned"  # the bank sent it back after paying it
        _payout_move(payout, transition, now=now, reason=reason)

    return _bank_answer_apply(
        Payout.objects.select_related("supplier"),
        provider_name,
        reference,
        PAYOUT_EVENTS.get(event_type),
        data,
        move,
    )


# --- disputes (apps/disputes calls these with the order row locked) ---------------------------


def dispute_escrow_settle(*, order, refund, key, acting_user=None, reason="", now=None):
    """Ends a dispute on an order whose escrow is frozen (status disputed), in the caller's
    transaction and under its order lock: `refund` (capped at what is held) goes back to the
    buyer and the rest is released to the supplier, as one entry keyed `key`. All of it refunds
    the order; less completes it. Returns what the buyer got back."""
    now = now or timezone.now()
    if order.status != Status.DISPUTED:
        raise OutOfTurn(_("This order's escrow is not frozen by a dispute."))
    held = escrow_held(order)
    refund = max(0, min(refund, held))
    if order.shipped_at is None and 0 < refund < held:
        raise PaymentRefused(
            _("Before shipment an order is refunded in full or not at all."), field="amount"
        )
    escrow, buyer_funding, payable = ledger_accounts(
        (Kind.ESCROW, order.currency, order.pk, None),
        (Kind.BUYER_FUNDING, order.currency, None, order.buyer_id),
        (Kind.SUPPLIER_PAYABLE, order.currency, None, order.supplier_id),
    )
    if order.shipped_at is None and refund == 0:
        # Nothing was shipped: the supplier is paid only for goods it ships, so the escrow stays
        # held and the order waits for shipment again.
        apply_transition(
            order,
            "resume_after_dispute",
            acting_user=acting_user,
            event_type=OrderEvent.Type.DISPUTE_RESOLVED,
            now=now,
            parameters={"reason": reason, "refund": 0},
        )
        order.save()
        return 0
    if held and refund == held:
        entry_post(
            key=key,
            kind=LedgerEntry.Kind.REFUND,
            order=order,
            now=now,
            created_by=acting_user,
            description=f"{order.reference}: refunded in full after a dispute",
            postings=[(escrow, -held), (buyer_funding, held)],
        )
        apply_transition(
            order,
            "refund",
            acting_user=acting_user,
            event_type=OrderEvent.Type.REFUNDED,
            now=now,
            parameters={"amount": held, "reason": reason},
        )
    else:
        if held:
            postings = [(escrow, -held), (payable, held - refund)]
            if refund:
                postings.append((buyer_funding, refund))
            entry_post(
                key=key,
                kind=LedgerEntry.Kind.SETTLEMENT if refund else LedgerEntry.Kind.RELEASE,
                order=order,
                now=now,
                created_by=acting_user,
                description=(
                    f"{order.reference}: dispute settled, partly refunded, rest released"
                    if refund
                    else f"{order.reference}: dispute ended, escrow released to the supplier"
                ),
                postings=postings,
            )
        if refund:
            events.order_event_write(
                order=order,
                type=OrderEvent.Type.REFUNDED,
                user=acting_user,
                parameters={"amount": refund, "partial": True, "reason": reason},
                at=now,
            )
        order.completed_at = now
        apply_transition(
            order,
            "settle_dispute",
            acting_user=acting_user,
            event_type=OrderEvent.Type.COMPLETED,
            now=now,
            parameters={"released": held - refund},
        )
    order.save()
    return refund


def coverage_claim_pay(*, order, amount, key, acting_user=None, now=None):
    """Pays a post-delivery claim on a completed order from platform coverage to the buyer, and
    books what the supplier now owes back (its receivable goes negative by `amount`): two
    entries, keyed `key` and `key`:receivable, in the caller's transaction."""
    now = now or timezone.now()
    if amount <= 0:
        return None
    coverage, buyer_funding, receivable = ledger_accounts(
        (Kind.PLATFORM_COVERAGE, order.currency, None, None),
        (Kind.BUYER_FUNDING, order.currency, None, order.buyer_id),
        (Kind.SUPPLIER_RECEIVABLE, order.currency, None, order.supplier_id),
    )
    entry = entry_post(
        key=key,
        kind=LedgerEntry.Kind.COVERAGE_CLAIM,
        order=order,
        now=now,
        created_by=acting_user,
        description=f"{order.reference}: claim paid from Trade Assurance coverage",
        postings=[(coverage, -amount), (buyer_funding, amount)],
    )
    entry_post(
        key=f"{key}:receivable",
        kind=LedgerEntry.Kind.RECEIVABLE,
        order=order,
        now=now,
        created_by=acting_user,
        description=f"{order.reference}: supplier owes the covered claim back",
        postings=[(receivable, -amount), (coverage, amount)],
    )
    return entry


def supplier_owed(*, supplier, currency) -> int:
    """What the supplier owes Pactline for covered claims in `currency` (0 or more)."""
    account = LedgerAccount.objects.filter(
        kind=Kind.SUPPLIER_RECEIVABLE, currency=currency, user=supplier
    ).first()
    return max(0, -account.balance) if account else 0


def receivable_net(*, supplier, currency, key, now=None) -> int:
    """Takes what the supplier owes from its payable balance, as far as that balance goes, in
    the caller's transaction. Returns the amount netted."""
    owed = supplier_owed(supplier=supplier, currency=currency)
    if not owed:
        return 0
    payable = ledger_account(Kind.SUPPLIER_PAYABLE, currency, user=supplier)
    payable = LedgerAccount.objects.get(pk=payable.pk)
    netted = min(owed, max(0, payable.balance))
    if not netted:
        return 0
    entry_post(
        key=key,
        kind=LedgerEntry.Kind.NETTING,
        now=now,
        created_by=supplier,
        description="Covered claims owed to Pactline, netted from the balance",
        postings=[
            (payable, -netted),
            (ledger_account(Kind.SUPPLIER_RECEIVABLE, currency, user=supplier), netted),
        ],
    )
    return netted


# --- Gold membership, bought through the payment provider -----------------------------------


def gold_price():
    """(amount, currency) of a year of Gold."""
    return settings.PACTLINE_GOLD_PRICE_USD, "USD"


def gold_renewal_opens(gold_until):
    """When a member may buy its next year: PACTLINE_GOLD_RENEWAL_DAYS before the current
    membership ends (None: no membership, buy any time)."""
    if gold_until is None:
        return None
    return gold_until - dt.timedelta(days=settings.PACTLINE_GOLD_RENEWAL_DAYS)


@transaction.atomic
def gold_purchase_start(*, supplier, method, now=None) -> GoldPurchase:
    """The supplier buys a year of Gold. Card is captured at once and the year is added now; a
    bank transfer waits for the provider's webhook. Refused: not a supplier, a purchase still
    waiting for its money, a membership that does not end within PACTLINE_GOLD_RENEWAL_DAYS
    (a second year bought by a second click)."""
    from apps.suppliers.models import SupplierProfile

    now = now or timezone.now()
    if supplier.role != User.Role.SUPPLIER:
        raise WrongParty(_("Only suppliers buy Gold membership."))
    if method not in GoldPurchase.Method.values:
        raise PaymentRefused(_("Choose a payment method."), field="method")
    # One purchase at a time per supplier: its user row is the lock.
    User.objects.select_for_update().filter(pk=supplier.pk).first()
    if GoldPurchase.objects.filter(supplier=supplier, status=GoldPurchase.Status.PENDING).exists():
        raise PaymentRefused(_("A payment for Gold is still on its way; wait for it to arrive."))
    # Read after the lock, from the table: the caller's user object may carry a profile loaded
    # before another purchase committed.
    gold_until = (
        SupplierProfile.objects.filter(user=supplier).values_list("gold_until", flat=True).first()
    )
    opens = gold_renewal_opens(gold_until)
    if opens is not None and now < opens:
        raise PaymentRefused(
            _("Your Gold membership runs on; you can renew it from %(date)s.")
            % {"date": local_date(opens)}
        )
    amount, currency = gold_price()
    purchase = GoldPurchase(
        supplier=supplier, method=method, amount=amount, currency=currency, created_at=now
    )
    started = provider(purchase.provider).start(payment=purchase)
    purchase.provider_reference = started.reference
    purchase.instructions = started.instructions
    purchase.save()
    if started.captured:
        purchase = _gold_purchase_receive(purchase, amount, transfer_id="capture", now=now)
    return purchase


def _gold_purchase_receive(purchase, amount, *, transfer_id, now):
    """Money arrived for a Gold purchase (its row locked by the caller): the part still due goes
    from the supplier's funding to Pactline's revenue, one entry per transfer; paid in full, the
    purchase adds a year of Gold in this transaction. Money for a purchase that no longer takes
    it, and any excess, is not booked: the provider sends it back."""
    from apps.suppliers.models import GoldMembership
    from apps.suppliers.services import gold_membership_grant

    key = f"gold:{purchase.pk}:{transfer_id}"
    if purchase.status != GoldPurchase.Status.PENDING:
        return purchase
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return purchase  # this transfer was counted already
    accepted = min(amount, purchase.amount - purchase.received_amount)
    funding, revenue = ledger_accounts(
        (Kind.SUPPLIER_FUNDING, purchase.currency, None, purchase.supplier_id),
        (Kind.PLATFORM_REVENUE, purchase.currency, None, None),
    )
    entry_post(
        key=key,
        kind=LedgerEntry.Kind.MEMBERSHIP,
        now=now,
        created_by=purchase.supplier,
        description=f"Gold membership {purchase.provider_reference} by "
        f"{purchase.get_method_display()}",
        postings=[(funding, -accepted), (revenue, accepted)],
    )
    purchase.received_amount += accepted
    if purchase.received_amount == purchase.amount:
        purchase.pay()
        purchase.paid_at = now
        purchase.membership = gold_membership_grant(
            supplier=purchase.supplier,
            source=GoldMembership.Source.PAYMENT,
            note=f"{purchase.provider_reference} ({purchase.get_method_display()})",
            now=now,
        )
    purchase.save()
    return purchase


@transaction.atomic
def gold_purchase_cancel(*, purchase, acting_user, now=None) -> GoldPurchase:
    """The supplier drops a bank transfer it has not made (to pay by card instead, say). Only
    while nothing of it has arrived; a transfer that comes later is not taken (the provider
    returns it)."""
    purchase = GoldPurchase.objects.select_for_update().get(pk=purchase.pk)
    if purchase.supplier_id != acting_user.pk:
        raise WrongParty(_("Only the supplier who started this payment can cancel it."))
    if purchase.status != GoldPurchase.Status.PENDING:
        raise PaymentRefused(
            _("This payment is %(status)s: there is nothing to cancel.")
            % {"status": purchase.get_status_display().lower()}
        )
    if purchase.received_amount:
        raise PaymentRefused(
            _("Part of this transfer has arrived: it can no longer be cancelled. Send the rest.")
        )
    purchase.cancel()
    purchase.save()
    return purchase


def _gold_webhook_apply(purchase, event_id, event_type, data, now):
    purchase = GoldPurchase.objects.select_for_update().get(pk=purchase.pk)
    if event_type == "payment.transfer_received":
        _gold_purchase_receive(purchase, _transfer_amount(data), transfer_id=event_id, now=now)
    elif event_type == "payment.succeeded":
        remaining = purchase.amount - purchase.received_amount
        if remaining > 0:
            _gold_purchase_receive(purchase, remaining, transfer_id=event_id, now=now)
    elif event_type == "payment.failed":
        if purchase.status == GoldPurchase.Status.PENDING and purchase.received_amount == 0:
            purchase.fail()
            purchase.save()
            notification_send(
                user=purchase.supplier,
                kind="gold_payment_failed",
                template="escrow/email/gold_payment_failed",
                context={"purchase": purchase},
                link=reverse("supplier_trade_assurance"),
            )
    else:
        return WebhookOutcome.IGNORED
    return WebhookOutcome.PROCESSED
