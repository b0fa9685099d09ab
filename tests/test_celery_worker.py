"""A real Celery worker process against the configured broker runs the heartbeat task."""

import os
import re
import time
import uuid

import pytest
from django.conf import settings
from django.core.cache import cache

from config.celery import app
from config.tasks import HEARTBEAT_CACHE_KEY, heartbeat
from tests.celery_helpers import celery_worker


def test_beat_schedules_the_heartbeat():
    entry = app.conf.beat_schedule["heartbeat"]

    assert entry["task"] == heartbeat.name
    assert entry["task"] in app.tasks


@pytest.fixture
def not_eager():
    """The suite runs tasks inline; this test sends them to the broker for real."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.skipif(
    not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
    reason="the worker process and the test share the heartbeat through Redis",
)
@pytest.mark.usefixtures("not_eager")
def test_a_real_worker_runs_the_heartbeat_it_is_sent(tmp_path):
    queue = f"test-{uuid.uuid4().hex}"  # no other worker on this broker takes it
    cache_location = settings.CACHES["default"]["LOCATION"]
    env = {
        **os.environ,
        "CACHE_URL": cache_location,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "PACTLINE_VAR_DIR": str(tmp_path),
    }
    with celery_worker("--pool", "solo", "--queues", queue, env=env) as worker:
        heartbeat.apply_async(queue=queue)
        # Waiting on another process, not on a clock rule: bounded, and it returns as soon as
        # the worker has written the heartbeat.
        deadline = time.monotonic() + 60
        while cache.get(HEARTBEAT_CACHE_KEY) is None and time.monotonic() < deadline:
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.2)
    assert re.match(r"\d{4}-\d\d-\d\dT", cache.get(HEARTBEAT_CACHE_KEY) or "")
