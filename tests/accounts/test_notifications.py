import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import Notification
from apps.accounts.notifications import (
    notification_deliver,
    notification_send,
    notifications_deliver_pending,
)
from tests.factories import VerifiedSupplierFactory

pytestmark = pytest.mark.django_db


def send(user):
    return notification_send(
        user=user,
        kind="gold_granted",
        template="suppliers/email/gold_granted",
        context={
            "membership": type("M", (), {"starts_at": timezone.now(), "ends_at": timezone.now()})
        },
        link="/supplier/trade-assurance/",
    )


def test_a_notification_is_written_in_the_users_language(mailoutbox):
    dutch = VerifiedSupplierFactory(language="nl")

    notification = send(dutch)

    assert notification.subject == "Je Gold-lidmaatschap is actief"


def test_the_email_goes_out_after_commit(django_capture_on_commit_callbacks, mailoutbox):
    supplier = VerifiedSupplierFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notification = send(supplier)

    notification.refresh_from_db()
    assert notification.email_sent_at is not None
    assert mailoutbox[0].to == [supplier.email]
    assert "http://127.0.0.1:8000/supplier/trade-assurance/" in mailoutbox[0].body


def test_delivering_twice_sends_once(mailoutbox):
    notification = send(VerifiedSupplierFactory())

    assert notification_deliver(notification_id=notification.pk) is True
    assert notification_deliver(notification_id=notification.pk) is False
    assert len(mailoutbox) == 1


def test_the_sweep_delivers_notifications_whose_message_was_lost(mailoutbox):
    old = send(VerifiedSupplierFactory())
    fresh = send(VerifiedSupplierFactory())
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )

    assert notifications_deliver_pending() == 1
    assert [m.to for m in mailoutbox] == [[old.user.email]]
    fresh.refresh_from_db()
    assert fresh.email_sent_at is None


def test_a_failed_send_is_recorded_and_retried(monkeypatch, mailoutbox):
    notification = send(VerifiedSupplierFactory())

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("apps.accounts.notifications.send_mail", refuse)
    assert notification_deliver(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert (notification.email_attempts, notification.email_last_error) == (1, "smtp down")

    monkeypatch.undo()
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert notifications_deliver_pending() == 1
    assert len(mail.outbox) == 1


def test_the_notification_list_shows_unread_then_marks_them_read(client):
    supplier = VerifiedSupplierFactory()
    send(supplier)
    client.force_login(supplier)

    home = client.get("/supplier/").content.decode()
    assert '1<span class="visually-hidden"> unread</span>' in home

    page = client.get("/notifications/").content.decode()
    assert "Your Gold membership is active" in page
    assert "list-group-item-warning" in page
    assert not Notification.objects.filter(user=supplier, read_at__isnull=True).exists()


def test_nobody_sees_another_users_notifications(client):
    send(VerifiedSupplierFactory())
    client.force_login(VerifiedSupplierFactory())

    assert "Your Gold membership is active" not in client.get("/notifications/").content.decode()
