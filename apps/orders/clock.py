"""The clock's rules for orders: what happens when an order's deadline passes.

Each rule is a service acting on one order that the sweep engine (apps/core/sweeps.py) has
locked through the rule's due filter, so the state is re-checked under the lock. Each writes an
OrderEvent naming the rule and why it acted, and notifies both parties through the outbox, in
the same transaction. Beat runs them through the `pactline.sweep` task (config/celery.py);
`manage.py sweep` runs them by hand. The policies are in docs/policies.md ("Deadlines").
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.sweeps import Rule, register
from apps.orders import events
from apps.orders.models import Order, OrderEvent
from apps.orders.services import apply_transition, notify

Status = Order.Status
EMAIL = "orders/email/deadline"


def _days(n):
    return dt.timedelta(days=n)


def _both(order, kind, **context):
    for recipient in (order.buyer, order.supplier):
        notify(order, recipient, kind, context=context, template=EMAIL)


# --- ship-by: reminder, overdue, automatic refund ----------------------------------------------


def ship_by_reminder_due(now):
    return Order.objects.filter(
        status__in=[Status.DEPOSIT_PAID, Status.FUNDED],
        ship_by_reminded_at__isnull=True,
        ship_by__lte=now + _days(settings.PACTLINE_SHIP_BY_REMINDER_DAYS),
        ship_by__gt=now,
    )


def ship_by_remind(order, now):
    """The ship-by date is PACTLINE_SHIP_BY_REMINDER_DAYS away (or less). A funded order: the
    supplier is reminded to ship. An order with only its deposit paid cannot ship yet: the
    buyer is reminded that the balance is due before shipment, and the supplier that it ships
    once the balance arrives (a late balance moves the ship-by date). When the balance comes,
    the order is funded and the supplier gets the shipping reminder in its turn."""
    from apps.escrow.services import escrow_held

    balance = order.total_amount - escrow_held(order) if order.status == Status.DEPOSIT_PAID else 0
    order.ship_by_reminded_at = now
    order.save(update_fields=["ship_by_reminded_at", "updated_at"])
    reason = (
        f"ship-by {order.ship_by.isoformat()} is less than "
        f"{settings.PACTLINE_SHIP_BY_REMINDER_DAYS} days away"
    )
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.SHIP_BY_REMINDED,
        parameters={
            "rule": "orders.ship_by_reminder",
            "reason": f"{reason}, balance of {balance} not paid" if balance else reason,
        },
        at=now,
    )
    if balance:
        context = {"balance": balance, "days": settings.PACTLINE_LATE_BALANCE_SHIP_DAYS}
        notify(order, order.buyer, "balance_reminder", context=context, template=EMAIL)
        notify(order, order.supplier, "balance_reminder_supplier", context=context, template=EMAIL)
        return f"{order.reference}: buyer reminded to pay the balance ({balance}) before shipment"
    notify(order, order.supplier, "ship_by_reminder", template=EMAIL)
    notify(order, order.buyer, "ship_by_reminder_buyer", template=EMAIL)
    return f"{order.reference}: supplier reminded to ship by {order.ship_by.isoformat()}"


def overdue_due(now):
    # Strictly after: ship-by is the last second on which the supplier may still ship.
    return Order.objects.filter(status=Status.FUNDED, ship_by__lt=now)


def order_mark_overdue(order, now):
    """Ship-by passed with nothing shipped: the order is overdue and the buyer decides (full
    refund now, or more time) by PACTLINE_OVERDUE_DECISION_DAYS from now; both are told."""
    order.overdue_at = now
    order.decision_due_at = now + _days(settings.PACTLINE_OVERDUE_DECISION_DAYS)
    apply_transition(
        order,
        "mark_overdue",
        acting_user=None,
        event_type=OrderEvent.Type.OVERDUE,
        now=now,
        parameters={
            "rule": "orders.overdue",
            "reason": f"nothing shipped by {order.ship_by.isoformat()}",
            "decision_due_at": order.decision_due_at.isoformat(),
        },
    )
    order.save()
    notify(order, order.buyer, "overdue", template=EMAIL)
    notify(order, order.supplier, "overdue_supplier", template=EMAIL)
    return f"{order.reference}: overdue, buyer decides by {order.decision_due_at.isoformat()}"


def orders_mark_overdue_many(orders, now):
    """order_mark_overdue for a chunk of due orders the sweep has locked, set-based: one UPDATE,
    bulk inserts for the events and the notifications, in the chunk's one transaction."""
    decision_due_at = now + _days(settings.PACTLINE_OVERDUE_DECISION_DAYS)
    ids = [order.pk for order in orders]
    # The FSM transition funded -> overdue for the chunk at once; the due filter under the lock
    # guarantees every row is funded.
    Order.objects.filter(pk__in=ids, status=Status.FUNDED).update(
        status=Status.OVERDUE, overdue_at=now, decision_due_at=decision_due_at, updated_at=now
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=order.pk,
            type=OrderEvent.Type.OVERDUE,
            from_status=Status.FUNDED,
            to_status=Status.OVERDUE,
            parameters={
                "rule": "orders.overdue",
                "reason": f"nothing shipped by {order.ship_by.isoformat()}",
                "decision_due_at": decision_due_at.isoformat(),
            },
            created_at=now,
        )
        for order in orders
    )
    for order in orders:
        order.overdue_at, order.decision_due_at = now, decision_due_at
    _notify_many(
        [(order, "buyer", "overdue", {}) for order in orders]
        + [(order, "supplier", "overdue_supplier", {}) for order in orders]
    )
    return [
        f"{o.reference}: overdue, buyer decides by {decision_due_at.isoformat()}" for o in orders
    ]


def _notify_many(notices):
    """notify() for many (order, 'buyer' | 'supplier', kind, context) at once: one INSERT, one
    delivery task after commit."""
    from apps.accounts.models import User
    from apps.accounts.notifications import notifications_send_many

    people = User.objects.in_bulk(
        {o.buyer_id for o, *_ in notices} | {o.supplier_id for o, *_ in notices}
    )
    notifications_send_many(
        [
            {
                "user": people[order.buyer_id if party == "buyer" else order.supplier_id],
                "kind": f"order_{kind}",
                "template": EMAIL,
                "context": {"order": order, "kind": kind, **context},
                "link": reverse("order_detail", args=[order.pk]),
            }
            for order, party, kind, context in notices
        ]
    )


def overdue_refund_due(now):
    return Order.objects.filter(status=Status.OVERDUE, decision_due_at__lt=now)


def order_overdue_auto_refund(order, now):
    """The buyer of an overdue order decided nothing in time: everything in escrow goes back to
    the buyer, in this transaction."""
    from apps.escrow.services import escrow_held, escrow_refund_in_full

    held = escrow_held(order)
    escrow_refund_in_full(
        order=order,
        parameters={
            "rule": "orders.overdue_refund",
            "reason": f"shipment overdue and no decision by {order.decision_due_at.isoformat()}",
        },
        now=now,
    )
    order.save()
    _both(order, "auto_refunded", amount=held)
    return f"{order.reference}: refunded {held} {order.currency} to the buyer"


# --- receipt: reminder and automatic release ---------------------------------------------------


def release_reminder_due(now):
    return Order.objects.filter(
        status=Status.SHIPPED,
        release_reminded_at__isnull=True,
        release_due_at__lte=now + _days(settings.PACTLINE_RELEASE_REMINDER_DAYS),
        release_due_at__gt=now,
    )


def release_remind(order, now):
    """Tells the buyer the receiving time ends in PACTLINE_RELEASE_REMINDER_DAYS (or less)."""
    order.release_reminded_at = now
    order.save(update_fields=["release_reminded_at", "updated_at"])
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.RELEASE_REMINDED,
        parameters={
            "rule": "orders.release_reminder",
            "reason": f"the receiving time ends {order.release_due_at.isoformat()}",
        },
        at=now,
    )
    notify(order, order.buyer, "release_reminder", template=EMAIL)
    notify(order, order.supplier, "release_reminder_supplier", template=EMAIL)
    return f"{order.reference}: buyer reminded, release on {order.release_due_at.isoformat()}"


def auto_release_due(now):
    return Order.objects.filter(status=Status.SHIPPED, release_due_at__lt=now)


def _release_reason(order):
    if order.delivered_at:
        return f"inspection period after delivery ended {order.release_due_at.isoformat()}"
    return f"no delivery recorded; receiving time after shipment ended {order.release_due_at}"


def order_auto_release(order, now):
    """The receiving time ended with no receipt confirmed and no dispute: the order completes
    and everything in its escrow is released to the supplier, in this transaction."""
    from apps.escrow.services import escrow_held, escrow_release

    held = escrow_held(order)
    order.completed_at = now
    apply_transition(
        order,
        "complete",
        acting_user=None,
        event_type=OrderEvent.Type.COMPLETED,
        now=now,
        parameters={"rule": "orders.auto_release", "reason": _release_reason(order)},
    )
    escrow_release(order=order, now=now)
    order.save()
    _both(order, "auto_released", amount=held)
    return f"{order.reference}: completed, {held} {order.currency} released to the supplier"


def orders_auto_release_many(orders, now):
    """order_auto_release for a chunk of due orders whose rows the sweep has locked, set-based:
    one UPDATE for the orders, bulk inserts for the ledger entries, events and notifications,
    all in the chunk's one transaction. A chunk is done whole or not at all; a released order
    is no longer due, so a replayed chunk acts on what is left."""
    from apps.escrow.bulk import escrow_release_many

    released = escrow_release_many(orders=orders, now=now)
    ids = [order.pk for order in orders]
    # A queryset update: the FSM transition shipped -> completed, for the whole chunk at once
    # (django-fsm's per-object transition would cost a query per order); the due filter under
    # the lock guarantees every row is shipped.
    Order.objects.filter(pk__in=ids, status=Status.SHIPPED).update(
        status=Status.COMPLETED, completed_at=now, updated_at=now
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=order.pk,
            type=OrderEvent.Type.COMPLETED,
            from_status=Status.SHIPPED,
            to_status=Status.COMPLETED,
            parameters={"rule": "orders.auto_release", "reason": _release_reason(order)},
            created_at=now,
        )
        for order in orders
    )
    _notify_many(
        [
            (order, party, "auto_released", {"amount": released.get(order.pk, 0)})
            for order in orders
            for party in ("buyer", "supplier")
        ]
    )
    return [
        f"{o.reference}: completed, {released.get(o.pk, 0)} {o.currency} released to the supplier"
        for o in orders
    ]


# --- unpaid orders ---------------------------------------------------------------------------


def unpaid_due(now):
    return Order.objects.filter(status=Status.CONFIRMED, pay_by__lt=now)


def order_expire_unpaid(order, now):
    """No deposit arrived within PACTLINE_UNPAID_EXPIRY_DAYS of confirmation: the order is
    cancelled; part of a transfer that did arrive goes back to the buyer, pending payments are
    failed (a late transfer is returned on arrival), and both are told."""
    from apps.escrow.services import escrow_held, escrow_return_unaccepted

    returned = escrow_held(order)
    escrow_return_unaccepted(order=order, now=now)
    order.cancelled_at = now
    order.cancel_reason = "expired: no deposit paid in time"
    apply_transition(
        order,
        "expire",
        acting_user=None,
        event_type=OrderEvent.Type.EXPIRED,
        now=now,
        parameters={
            "rule": "orders.unpaid_expiry",
            "reason": f"no deposit by {order.pay_by.isoformat()}",
            "returned": returned,
        },
    )
    order.save()
    _both(order, "expired", days=settings.PACTLINE_UNPAID_EXPIRY_DAYS, returned=returned)
    return f"{order.reference}: expired unpaid" + (f", {returned} returned" if returned else "")


def _describe(text):
    return lambda order, now: f"{order.reference}: {text}"


register(
    Rule(
        name="orders.ship_by_reminder",
        description=_("Remind the supplier before the ship-by date"),
        model=Order,
        due=ship_by_reminder_due,
        act=ship_by_remind,
        describe=_describe("would remind the supplier of the ship-by date"),
        deadline="ship_by",
    )
)
register(
    Rule(
        name="orders.overdue",
        description=_("Mark orders not shipped by their ship-by date overdue"),
        model=Order,
        due=overdue_due,
        act=order_mark_overdue,
        act_many=orders_mark_overdue_many,
        describe=_describe("would become overdue; the buyer decides"),
        deadline="ship_by",
    )
)
register(
    Rule(
        name="orders.overdue_refund",
        description=_("Refund overdue orders the buyer decided nothing on"),
        model=Order,
        due=overdue_refund_due,
        act=order_overdue_auto_refund,
        describe=_describe("would be refunded in full"),
        deadline="decision_due_at",
    )
)
register(
    Rule(
        name="orders.release_reminder",
        description=_("Remind the buyer before the receiving time ends"),
        model=Order,
        due=release_reminder_due,
        act=release_remind,
        describe=_describe("would remind the buyer that the receiving time ends"),
        deadline="release_due_at",
    )
)
register(
    Rule(
        name="orders.auto_release",
        description=_("Complete shipped orders whose receiving time ended; release the escrow"),
        model=Order,
        due=auto_release_due,
        act=order_auto_release,
        act_many=orders_auto_release_many,
        describe=_describe("would complete; escrow released to the supplier"),
        deadline="release_due_at",
        partition="supplier_id",
    )
)
register(
    Rule(
        name="orders.unpaid_expiry",
        description=_("Expire confirmed orders with no deposit"),
        model=Order,
        due=unpaid_due,
        act=order_expire_unpaid,
        describe=_describe("would expire unpaid"),
        deadline="pay_by",
    )
)
