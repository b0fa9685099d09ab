"""The Celery app and the beat schedule, kept in code so every deployment runs the same clock.

Tasks are thin: they call services. What must happen later is a row in the database; beat sweeps
find what is due, so a lost message is caught by the next sweep (ARCHITECTURE.md, Celery).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pactline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("config.tasks",)

app.conf.beat_schedule = {
    # Proves, through /healthz, that beat schedules and a worker executes.
    "heartbeat": {"task": "pactline.heartbeat", "schedule": 30.0},
    # Emails whose on-commit delivery message was lost (a crash after commit).
    "deliver-pending-notifications": {
        "task": "accounts.deliver_pending_notifications",
        "schedule": 60.0,
    },
    "recompute-trade-assurance-amounts": {
        "task": "suppliers.recompute_trade_assurance_amounts",
        "schedule": crontab(hour=2, minute=30),
    },
    # Idempotency-Key records are kept PACTLINE_IDEMPOTENCY_KEY_HOURS (48 h), then purged.
    "purge-idempotency-keys": {
        "task": "escrow.purge_idempotency_keys",
        "schedule": crontab(minute=15),  # hourly
    },
    # Later issues add their sweeps here.
}
