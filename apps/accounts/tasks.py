from celery import shared_task

from apps.accounts.notifications import notification_deliver, notifications_deliver_pending


@shared_task(name="accounts.deliver_notification", ignore_result=True)
def deliver_notification(notification_id):
    notification_deliver(notification_id=notification_id)


@shared_task(name="accounts.deliver_pending_notifications", ignore_result=True)
def deliver_pending_notifications():
    notifications_deliver_pending()


@shared_task(name="accounts.deliver_notifications", ignore_result=True)
def deliver_notifications(notification_ids):
    for notification_id in notification_ids:
        notification_deliver(notification_id=notification_id)
