"""The Celery app and the beat schedule, kept in code so every deployment runs the same clock.

Tasks are thin: they call services. What must happen later is a row in the database; beat sweeps
find what is due, so a lost message is caught by the next sweep (ARCHITECTURE.md, Celery).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pactline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("config.tasks",)

app.conf.beat_schedule = {
    # Proves, through /healthz, that beat schedules and a worker executes.
    "heartbeat": {"task": "pactline.heartbeat", "schedule": 30.0},
    # Later issues add their sweeps here.
}
