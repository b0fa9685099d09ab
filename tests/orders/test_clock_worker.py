"""End to end: a real Celery worker with an embedded beat, on the Redis broker and the test
database, enforces deadlines that have passed, with nobody calling a service by hand."""

import datetime as dt
import os
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.accounts.models import Notification
from apps.orders.models import Order
from config.celery import app
from tests.celery_helpers import celery_worker
from tests.escrow.helpers import assert_ledger_invariants
from tests.orders.clock_helpers import fresh, funded_order, rule_events, shipped_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis") or connection.vendor != "postgresql",
        reason="a worker process shares the broker and the database with the test",
    ),
]


@pytest.fixture
def not_eager():
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_beat_schedules_every_order_rule_through_the_sweep_task():
    rules = {
        entry["args"][0]
        for entry in app.conf.beat_schedule.values()
        if entry["task"] == "pactline.sweep"
    }
    assert {
        "orders.overdue",
        "orders.overdue_refund",
        "orders.auto_release",
        "orders.unpaid_expiry",
        "orders.ship_by_reminder",
        "orders.release_reminder",
        "suppliers.storefront_figures",
        "escrow.refund_chase",
        "escrow.payout_chase",
    } <= rules


def test_a_real_worker_and_beat_mark_overdue_and_release_escrow(tmp_path, not_eager):
    now = timezone.now()
    late = funded_order()
    Order.objects.filter(pk=late.pk).update(
        ship_by=now - dt.timedelta(hours=1), ship_by_original=now - dt.timedelta(hours=1)
    )
    inspected = shipped_order()
    Order.objects.filter(pk=inspected.pk).update(release_due_at=now - dt.timedelta(minutes=1))

    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/"
        f"{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": f"test-clock-{uuid.uuid4().hex}",  # no other worker
        "PACTLINE_CLOCK_TICK_SECONDS": "1",
        "PACTLINE_VAR_DIR": str(tmp_path),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    with celery_worker(
        "--beat", "--schedule", str(tmp_path / "beat-schedule"), "--pool", "solo", env=env
    ) as worker:
        # Waiting on other processes, not on a clock rule: bounded, done as soon as both acted.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read()
            if (fresh(late).status, fresh(inspected).status) == (
                Order.Status.OVERDUE,
                Order.Status.COMPLETED,
            ):
                break
            time.sleep(0.5)
        while (
            time.monotonic() < deadline
            and Notification.objects.filter(
                user=late.buyer, kind="order_overdue", email_sent_at__isnull=True
            ).exists()
        ):
            time.sleep(0.5)

    assert fresh(late).status == Order.Status.OVERDUE
    assert rule_events(late, "orders.overdue")
    assert fresh(inspected).status == Order.Status.COMPLETED
    assert rule_events(inspected, "orders.auto_release")
    # The worker emailed the buyer's notice after the sweep's transaction committed.
    notice = Notification.objects.get(user=late.buyer, kind="order_overdue")
    assert notice.email_sent_at is not None
    assert_ledger_invariants()
