"""Notifications: rows in the caller's transaction, email after commit, a sweep for stragglers."""

import logging
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.accounts.models import Notification

logger = logging.getLogger(__name__)


def notification_send(*, user, kind, template, context=None, link="") -> Notification:
    """Writes a notification for `user`, rendered from templates/<template>_subject.txt and
    <template>_body.txt in the user's language and time zone, and schedules its email for
    after the surrounding transaction commits. Call it inside that transaction."""
    from apps.accounts.tasks import deliver_notification

    context = {
        **(context or {}),
        "user": user,
        "site_url": settings.PACTLINE_SITE_URL,
        "link": link,
    }
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(user.timezone)):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context).strip()
    notification = Notification.objects.create(
        user=user, kind=kind, subject=subject[:255], body=body, link=link
    )
    transaction.on_commit(lambda: deliver_notification.delay(notification.pk))
    return notification


def notification_deliver(*, notification_id) -> bool:
    """Emails one notification unless it was sent already. Safe to call twice at once: the row
    lock (skip_locked) lets one caller send it, the other returns False."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(pk=notification_id, email_sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        notification.email_attempts += 1
        try:
            send_mail(
                settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.user.email],
            )
        except Exception as exc:  # SMTP errors of every kind: record, retry in the sweep
            logger.warning("notification %s: email failed: %s", notification_id, exc)
            notification.email_last_error = str(exc)[:2000]
            notification.save(update_fields=["email_attempts", "email_last_error"])
            return False
        notification.email_sent_at = timezone.now()
        notification.save(update_fields=["email_attempts", "email_sent_at"])
        return True


def notifications_pending(*, now=None):
    """Unsent notifications old enough that their on-commit delivery should have happened."""
    now = now or timezone.now()
    return Notification.objects.filter(
        email_sent_at__isnull=True,
        email_attempts__lt=settings.PACTLINE_NOTIFICATION_MAX_ATTEMPTS,
        created_at__lte=now - timezone.timedelta(seconds=60),
    ).order_by("created_at")


def notifications_deliver_pending(*, now=None, limit=500) -> int:
    sent = 0
    for notification_id in notifications_pending(now=now).values_list("pk", flat=True)[:limit]:
        sent += notification_deliver(notification_id=notification_id)
    return sent


def notifications_for(*, user):
    return Notification.objects.filter(user=user)


def notifications_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_send_many(items) -> list:
    """notification_send for many at once (a sweep's chunk): items are dicts with user, kind,
    template, context and link. One INSERT for the rows, and one task after commit emails them
    all; the outbox sweep catches any that task misses."""
    from apps.accounts.tasks import deliver_notifications

    rows = []
    for item in items:
        user = item["user"]
        context = {
            **(item.get("context") or {}),
            "user": user,
            "site_url": settings.PACTLINE_SITE_URL,
            "link": item.get("link", ""),
        }
        language = user.language or settings.LANGUAGE_CODE
        with translation.override(language), timezone.override(zoneinfo.ZoneInfo(user.timezone)):
            subject = " ".join(render_to_string(f"{item['template']}_subject.txt", context).split())
            body = render_to_string(f"{item['template']}_body.txt", context).strip()
        rows.append(
            Notification(
                user=user,
                kind=item["kind"],
                subject=subject[:255],
                body=body,
                link=item.get("link", ""),
            )
        )
    notifications = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in notifications]
    if ids:
        transaction.on_commit(lambda: deliver_notifications.delay(ids))
    return notifications
