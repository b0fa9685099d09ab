"""Orders at each point the clock watches, built through the real services at a fixed time."""

import datetime as dt

from django.utils import timezone

from apps.accounts.models import Notification
from apps.escrow import services as escrow
from apps.escrow.models import LedgerAccount
from apps.orders import services
from apps.orders.models import Order, OrderEvent
from tests.escrow.helpers import confirmed_order

SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def funded_order(**terms):
    """Confirmed and paid in full by card now (T0 under the `clock` fixture); ship-by is the
    end of the contract's ship_by_date (45 days from today unless given)."""
    order = confirmed_order(**terms)
    escrow.payment_start(order=order, acting_user=order.buyer, purpose="full", method="card")
    return Order.objects.get(pk=order.pk)


def shipped_order(**terms):
    order = funded_order(**terms)
    return services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU7654321"
    )


def fresh(order):
    return Order.objects.get(pk=order.pk)


def held(order):
    return escrow.escrow_held(order)


def payable(supplier, currency="USD"):
    account = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.SUPPLIER_PAYABLE, user=supplier, currency=currency
    ).first()
    return account.balance if account else 0


def buyer_funding(buyer, currency="USD"):
    account = LedgerAccount.objects.get(
        kind=LedgerAccount.Kind.BUYER_FUNDING, user=buyer, currency=currency
    )
    return account.balance


def rule_events(order, rule):
    return [
        e
        for e in OrderEvent.objects.filter(order=order)
        if (e.parameters or {}).get("rule") == rule
    ]


def notified(user, kind):
    return Notification.objects.filter(user=user, kind=f"order_{kind}").count()


def now():
    return timezone.now()
