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
app.conf.imports = ("config.tasks", "apps.core.tasks")


# A staging site or a test may run the clock's sweeps every few seconds instead.
CLOCK_TICK_SECONDS = float(os.environ.get("PACTLINE_CLOCK_TICK_SECONDS") or 0)


def _sweep(rule, schedule):
    return {"task": "pactline.sweep", "schedule": CLOCK_TICK_SECONDS or schedule, "args": [rule]}


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
    # The clock (apps/orders/clock.py, docs/policies.md "Deadlines"): each entry runs one rule
    # through pactline.sweep, which finds the due orders through an index and fans them out in
    # chunks to the workers. A tick lost or doubled changes nothing: the next one finds the rest.
    "sweep-orders-overdue": _sweep("orders.overdue", 60.0),  # the buyer is told at once
    "sweep-orders-overdue-refund": _sweep("orders.overdue_refund", 300.0),
    "sweep-orders-auto-release": _sweep("orders.auto_release", 300.0),
    "sweep-orders-unpaid-expiry": _sweep("orders.unpaid_expiry", 900.0),
    "sweep-orders-ship-by-reminder": _sweep("orders.ship_by_reminder", 900.0),
    "sweep-orders-release-reminder": _sweep("orders.release_reminder", 900.0),
    "sweep-storefront-figures": _sweep("suppliers.storefront_figures", crontab(minute=5)),
    # Escrow (apps/escrow/clock.py): refunds and payouts the bank has not answered, hourly.
    "sweep-escrow-refund-chase": _sweep("escrow.refund_chase", crontab(minute=45)),
    "sweep-escrow-payout-chase": _sweep("escrow.payout_chase", crontab(minute=50)),
    # Disputes (apps/disputes/clock.py): answers, escalation, mediation SLAs, returns, decisions.
    "sweep-disputes-default": _sweep("disputes.default", 300.0),
    "sweep-disputes-escalate": _sweep("disputes.escalate", 300.0),
    "sweep-disputes-sla": _sweep("disputes.sla", 300.0),
    "sweep-disputes-evidence-close": _sweep("disputes.evidence_close", 300.0),
    "sweep-disputes-execute": _sweep("disputes.execute", 300.0),
    "sweep-disputes-return-lapse": _sweep("disputes.return_lapse", 300.0),
    "sweep-disputes-return-confirm": _sweep("disputes.return_confirm", 300.0),
}
