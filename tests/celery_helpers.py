"""A real Celery worker process for the tests about the worker."""

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIET = ["--without-heartbeat", "--without-gossip", "--without-mingle"]


@contextlib.contextmanager
def celery_worker(*args, env):
    """Runs `celery -A config worker <args>` with `env` until the block ends (SIGTERM, then
    kill after 20 s). Yields the process; its output is on .stdout."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", *args, *QUIET],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
