from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "pactline:worker-heartbeat"


@shared_task(name="pactline.heartbeat", ignore_result=True)
def heartbeat():
    """Beat sends this every 30 s; the worker that runs it records when. /healthz reports it."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=24 * 60 * 60)
