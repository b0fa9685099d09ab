"""The order timeline: one small function that appends an OrderEvent (Saleor's events.py).

Events are never edited; the timeline, the audit trail and the supplier figures read them."""

from django.utils import timezone

from apps.orders.models import OrderEvent


def order_event_write(
    *, order, type, user=None, from_status="", to_status="", parameters=None, at=None
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        type=type,
        user=user,
        from_status=from_status,
        to_status=to_status,
        parameters=parameters or {},
        created_at=at or timezone.now(),
    )
