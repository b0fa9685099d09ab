"""`manage.py check --deploy` with production settings, run as a separate process so that the
settings module reads this environment from scratch."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7#Kq2!pL9@vR4$tW8^yZ1&bN6*cM3(dF5)gH0_jQ-sE+aU=oI~",
    "ALLOWED_HOSTS": "pactline.example.com",
    "DATABASE_URL": "postgres://pactline@db.internal:5432/pactline",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    # A key of this test only (32 bytes, URL-safe base64), as `data_keys_rotate --new-key` prints.
    "PACTLINE_DATA_KEYS": "x1n2lzmh8-bb3Yr6J6wJ3jC0nE2WvWl-3Iq2yXoDbnU=",
}


def run_check(env, tmp_path):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    base["PACTLINE_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = run_check(PRODUCTION_ENV, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_catches_debug_left_on(tmp_path):
    result = run_check({**PRODUCTION_ENV, "DEBUG": "true"}, tmp_path)

    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_check_deploy_asks_for_data_keys_from_the_environment(tmp_path):
    """Without PACTLINE_DATA_KEYS each host would encrypt bank details under a key of its own
    in var/: the other hosts could not read them."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "PACTLINE_DATA_KEYS"}
    result = run_check(env, tmp_path)

    assert result.returncode != 0
    assert "pactline.W001" in result.stdout + result.stderr


def test_a_data_key_that_is_not_a_key_stops_the_site_with_a_clear_error(tmp_path):
    result = run_check({**PRODUCTION_ENV, "PACTLINE_DATA_KEYS": "not-a-key"}, tmp_path)

    assert result.returncode != 0
    assert "pactline.E001" in result.stdout + result.stderr
    assert "32 bytes in URL-safe base64" in result.stdout + result.stderr


def test_production_responses_carry_the_security_headers(client, settings):
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP

    response = client.get("/", secure=True)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_local_default_is_sqlite_in_wal_mode_with_a_busy_timeout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["PACTLINE_VAR_DIR"] = str(tmp_path)
    code = (
        "import django; django.setup();"
        "from django.db import connection; from django.conf import settings;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0]);"
        "print(settings.CELERY_BROKER_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    journal_mode, busy_timeout, broker = result.stdout.split()
    assert journal_mode == "wal"
    assert int(busy_timeout) >= 5000
    assert broker == "filesystem://"
    assert (tmp_path / "pactline.sqlite3").exists()
    assert (tmp_path / "broker" / "out").is_dir()
