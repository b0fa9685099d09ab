"""Reads over orders. Supplier figures here are computed from real rows (orders, events,
messages) on every call; callers cache them."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from apps.core.money import to_usd_minor
from apps.orders.models import Order, OrderEvent, OrderMessage

# States in which the supplier has been paid into escrow in full and owes a shipment.
SHIPMENT_OWED_STATES = (
    Order.Status.FUNDED,
    Order.Status.SHIPPED,
    Order.Status.DISPUTED,
    Order.Status.COMPLETED,
    Order.Status.REFUNDED,
)
# A dispute decided with money back to the buyer counts as lost by the supplier.
DISPUTE_OUTCOMES_LOST = ("refund", "partial_refund", "return_and_refund")


@dataclass(frozen=True)
class CompletedOrders:
    count: int
    value_usd_minor: int
    value_by_currency: dict


def supplier_completed_orders(*, supplier, since, until) -> CompletedOrders:
    """Orders completed (escrow released) in [since, until)."""
    rows = (
        Order.objects.filter(
            supplier=supplier,
            status=Order.Status.COMPLETED,
            completed_at__gte=since,
            completed_at__lt=until,
        )
        .values("currency")
        .annotate(total=Sum("total_amount"), n=Count("id"))
        .order_by("currency")
    )
    by_currency = {row["currency"]: row["total"] for row in rows}
    return CompletedOrders(
        count=sum(row["n"] for row in rows),
        value_usd_minor=sum(to_usd_minor(total, cur) for cur, total in by_currency.items()),
        value_by_currency=by_currency,
    )


@dataclass(frozen=True)
class Punctuality:
    shipments_due: int
    on_time: int

    @property
    def rate(self):
        return self.on_time / self.shipments_due if self.shipments_due else None


def supplier_shipment_punctuality(*, supplier, since, until) -> Punctuality:
    """Of the funded orders whose ship-by date fell in [since, until): how many shipped by it.

    An order never shipped (refunded for late shipment, or still unshipped) counts as late; an
    order whose balance was never paid is not the supplier's to ship and does not count."""
    due = Order.objects.filter(
        supplier=supplier,
        ship_by__gte=since,
        ship_by__lt=until,
        status__in=SHIPMENT_OWED_STATES,
    )
    counts = due.aggregate(
        total=Count("id"), on_time=Count("id", filter=Q(shipped_at__lte=F("ship_by")))
    )
    return Punctuality(shipments_due=counts["total"], on_time=counts["on_time"])


@dataclass(frozen=True)
class DisputeRecord:
    orders_funded: int
    disputed_orders: int
    disputes_lost: int

    @property
    def rate(self):
        return self.disputed_orders / self.orders_funded if self.orders_funded else None


def supplier_disputes(*, supplier, since, until) -> DisputeRecord:
    events = OrderEvent.objects.filter(
        order__supplier=supplier, created_at__gte=since, created_at__lt=until
    )
    disputed = events.filter(type=OrderEvent.Type.DISPUTE_OPENED).values("order").distinct().count()
    lost = events.filter(
        type=OrderEvent.Type.DISPUTE_RESOLVED, parameters__outcome__in=DISPUTE_OUTCOMES_LOST
    ).count()
    funded = Order.objects.filter(
        supplier=supplier, funded_at__gte=since, funded_at__lt=until
    ).count()
    return DisputeRecord(orders_funded=funded, disputed_orders=disputed, disputes_lost=lost)


@dataclass(frozen=True)
class Responsiveness:
    buyer_messages: int
    answered_in_time: int
    average_response: dt.timedelta | None

    @property
    def rate(self):
        return self.answered_in_time / self.buyer_messages if self.buyer_messages else None


def supplier_responsiveness(*, supplier, since, until, target) -> Responsiveness:
    """Buyer messages on the supplier's orders sent in [since, until): the share the supplier
    answered within `target`, and the average time to the first answer.

    A message still inside its `target` window with no answer yet is not counted either way."""
    first_reply = (
        OrderMessage.objects.filter(
            order=OuterRef("order"), sender=supplier, created_at__gt=OuterRef("created_at")
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        OrderMessage.objects.filter(
            order__supplier=supplier,
            sender=F("order__buyer"),
            created_at__gte=since,
            created_at__lt=until,
        )
        .annotate(replied_at=Subquery(first_reply))
        .values_list("created_at", "replied_at")
    )
    considered = answered = 0
    delays = []
    for sent_at, replied_at in rows:
        if replied_at is not None:
            delays.append(replied_at - sent_at)
        elif until - sent_at < target:
            continue  # still within the window: not yet late
        considered += 1
        if replied_at is not None and replied_at - sent_at <= target:
            answered += 1
    average = sum(delays, dt.timedelta()) / len(delays) if delays else None
    return Responsiveness(
        buyer_messages=considered, answered_in_time=answered, average_response=average
    )
