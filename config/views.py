"""Site-wide views: the health check and the styled error pages."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from config.tasks import HEARTBEAT_CACHE_KEY

logger = logging.getLogger(__name__)


def database_status():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason goes to the log
        logger.warning("healthz: database down: %s", exc)
        return "down"
    return "ok"


def broker_status():
    timeout = settings.PACTLINE_HEALTHZ_BROKER_TIMEOUT
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            # Redis connects lazily; a PING proves the server answers.
            client = getattr(conn.default_channel, "client", None)
            if client is not None:
                client.ping()
    except Exception as exc:  # any failure means "down"; the reason goes to the log
        logger.warning("healthz: broker down: %s", exc)
        return "down"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer, 503 when either does not. The worker
    heartbeat (written by a task that beat schedules) is reported but does not fail the check:
    a web node stays healthy while workers restart."""
    checks = {"database": database_status(), "broker": broker_status()}
    try:
        heartbeat = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:  # an unreachable cache must not turn the health check into a 500
        heartbeat = None
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "down", **checks, "worker_heartbeat": heartbeat}
    return JsonResponse(body, status=200 if healthy else 503)


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (admin, API docs)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request context: the failure may lie in what a context processor reads.
    return render(None, "500.html", status=500)


def too_many_requests(request, exception=None):
    """allauth's rate limits answer with this page (ROOT_URLCONF.handler429)."""
    return render(request, "429.html", status=429)
