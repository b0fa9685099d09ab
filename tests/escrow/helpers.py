import json

from django.db.models import Sum
from django.utils import timezone

from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting
from apps.escrow.providers.sandbox import signed_event
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.factories import BuyerFactory, EligibleSupplierFactory
from tests.orders.helpers import terms

# Valid IBANs of six countries: the registry's examples.
IBANS = {
    "NL": "NL91ABNA0417164300",
    "DE": "DE89370400440532013000",
    "GB": "GB29NWBK60161331926819",
    "FR": "FR1420041010050500013M02606",
    "BE": "BE68539007547034",
    "ES": "ES9121000418450200051332",
}


def confirmed_order(**overrides):
    """A contract both parties confirmed: US$6,000.00, 30% deposit (US$1,800.00)."""
    supplier, buyer = EligibleSupplierFactory(), BuyerFactory()
    order = order_services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms(**overrides)
    )
    order_services.contract_confirm(order=order, acting_user=buyer, version_number=1)
    return order_services.contract_confirm(order=order, acting_user=supplier, version_number=1)


def webhook(
    client, event_type, data, *, at=None, event_id=None, path="/api/v1/escrow/webhooks/sandbox/"
):
    body, signature = signed_event(
        event_type, data, timestamp=int((at or timezone.now()).timestamp()), event_id=event_id
    )
    return client.post(
        path, data=body, content_type="application/json", HTTP_PACTLINE_SIGNATURE=signature
    )


def assert_ledger_invariants():
    """The ledger's promises: every entry balances per currency, no escrow is negative, released
    + refunded never exceed what was paid in, a finished order holds nothing, cached balances
    equal the postings."""
    for entry in LedgerEntry.objects.prefetch_related("postings"):
        totals = {}
        for posting in entry.postings.all():
            totals[posting.currency] = totals.get(posting.currency, 0) + posting.amount
        assert not any(totals.values()), f"unbalanced entry {entry.idempotency_key}"
    for account in LedgerAccount.objects.all():
        posted = LedgerPosting.objects.filter(account=account).aggregate(t=Sum("amount"))["t"] or 0
        assert account.balance == posted, f"cached balance of {account} is off"
        if account.kind == LedgerAccount.Kind.ESCROW:
            assert account.balance >= 0
            order = account.order
            paid_in = (
                LedgerPosting.objects.filter(account=account, amount__gt=0).aggregate(
                    t=Sum("amount")
                )["t"]
                or 0
            )
            paid_out = -(
                LedgerPosting.objects.filter(account=account, amount__lt=0).aggregate(
                    t=Sum("amount")
                )["t"]
                or 0
            )
            assert paid_out <= paid_in
            if order.status in (
                Order.Status.COMPLETED,
                Order.Status.REFUNDED,
                Order.Status.CANCELLED,
            ):
                assert account.balance == 0, (
                    f"{order} is {order.status} but holds {account.balance}"
                )


def json_of(response):
    return json.loads(response.content)


def assert_refunds_match_ledger():
    """Money credited to a buyer leaves through the provider: for every buyer and currency,
    the refunds sent equal what the ledger credited to its funding account, and what it holds
    owed equals its undelivered refunds not yet sent again."""
    from apps.escrow.models import Refund

    credited = {
        (row["account__user"], row["currency"]): row["total"]
        for row in LedgerPosting.objects.filter(
            account__kind=LedgerAccount.Kind.BUYER_FUNDING, amount__gt=0
        )
        .values("account__user", "currency")
        .annotate(total=Sum("amount"))
    }
    sent = {
        (row["buyer"], row["currency"]): row["total"]
        for row in Refund.objects.values("buyer", "currency").annotate(total=Sum("amount"))
    }
    assert sent == credited, f"refunds sent {sent} but the ledger credited buyers {credited}"
    owed = {
        (a.user_id, a.currency): a.balance
        for a in LedgerAccount.objects.filter(kind=LedgerAccount.Kind.REFUND_OWED)
        if a.balance
    }
    undelivered = {
        (row["buyer"], row["currency"]): row["total"]
        for row in Refund.objects.filter(status=Refund.Status.FAILED, retry__isnull=True)
        .values("buyer", "currency")
        .annotate(total=Sum("amount"))
    }
    assert owed == undelivered, f"owed to buyers {owed}, undelivered refunds {undelivered}"
