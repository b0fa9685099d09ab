"""The case timeline: one small function that appends a CaseEvent (Saleor's events.py)."""

from django.utils import timezone

from apps.disputes.models import CaseEvent


def case_event_write(
    *, case, type, user=None, from_status="", to_status="", parameters=None, at=None
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        type=type,
        user=user,
        from_status=from_status,
        to_status=to_status or case.status,
        parameters=parameters or {},
        created_at=at or timezone.now(),
    )
