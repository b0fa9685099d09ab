import pytest
from django.db import OperationalError

from config import views
from config.celery import app as celery_app
from config.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() | {"worker_heartbeat": None} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "worker_heartbeat": None,
    }


def test_healthz_reports_the_last_worker_heartbeat(client):
    heartbeat()

    assert client.get("/healthz").json()["worker_heartbeat"]


def test_healthz_is_503_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 1: a refused connection, as when Redis is down.
    unreachable = celery_app.connection_for_write
    monkeypatch.setattr(
        celery_app, "connection_for_write", lambda: unreachable("redis://127.0.0.1:1/0")
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_is_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
