"""Test-wide setup: fast settings, a clean cache per test, and the database banner.

The suite runs on whatever DATABASE_URL names (PostgreSQL in CI) and says loudly when it falls
back to SQLite, on which the money and race tests of later issues would prove nothing.
"""

import os
import re

import pytest

# Playwright's sync API runs an event loop in the main thread; Django refuses ORM calls there
# unless told that this is deliberate (the tests never share a connection across threads).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TEST_REDIS_DB = 15


def pytest_configure(config):
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client and the live server speak plain HTTP; tests/test_deploy.py checks the
    # production transport settings in a process of its own.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    # WhiteNoise serves straight from static/ (no collectstatic before tests).
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Tasks run inline when enqueued (after commit), so a test sees their effect; the test
    # about the real worker turns this off for itself.
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = True

    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("RedisCache"):
        # A Redis database of its own, so clearing it between tests spares a running site.
        cache["LOCATION"] = re.sub(r"/\d+$", "", cache["LOCATION"]) + f"/{TEST_REDIS_DB}"
        # A prefix per test process: runs side by side on one machine keep to their own keys.
        cache["KEY_PREFIX"] = f"pactline-test-{os.getpid()}"
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    lines = []
    if db["ENGINE"] == "apps.core.postgresql":
        lines.append(f"database: PostgreSQL {db.get('HOST') or 'socket'}:{db.get('PORT') or 5432}")
    else:
        banner = "!" * 78
        lines += [
            banner,
            "DATABASE_URL is not set to PostgreSQL: FALLING BACK TO SQLITE.",
            "Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/pactline for the real suite.",
            banner,
        ]
    lines.append(f"broker: {settings.CELERY_BROKER_URL}")
    lines.append(f"cache: {settings.CACHES['default']['BACKEND']}")
    return lines


def _clear_test_cache():
    from django.conf import settings
    from django.core.cache import cache

    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith("RedisCache"):
        cache.clear()
        return
    # cache.clear() would flush the whole Redis database, other test runs' keys included.
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{config['KEY_PREFIX']}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate limits and throttles live in the cache; each test starts with none used."""
    _clear_test_cache()
    yield
    _clear_test_cache()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in Dutch by the test before would
    otherwise leave Dutch active in this thread (nothing resets it between requests)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- CI must run the browser tests, not skip them ------------------------------------------


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.e2e)


_e2e_outcomes = {"passed": 0, "not_passed": 0}


def pytest_runtest_logreport(report):
    if "tests/e2e/" not in report.nodeid:
        return
    if report.when == "call" and report.passed:
        _e2e_outcomes["passed"] += 1
    elif report.skipped or report.failed:
        _e2e_outcomes["not_passed"] += 1


def pytest_sessionfinish(session, exitstatus):
    if (
        os.environ.get("CI")
        and exitstatus == 0
        and (_e2e_outcomes["not_passed"] or not _e2e_outcomes["passed"])
    ):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(
                "CI: browser tests were skipped or did not run; this run fails.", red=True
            )
        session.exitstatus = 1
