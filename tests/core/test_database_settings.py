"""PostgreSQL connections bind parameters on the server, so a query's text is the same on every
call and a query used often becomes a prepared statement (PostgreSQL stops re-planning it);
behind a pooler that cannot keep prepared statements, one setting turns them off."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.escrow.helpers import confirmed_order

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting"),
]


def prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_order_document_read_becomes_a_prepared_statement_on_its_connection():
    order = confirmed_order()
    client = APIClient()
    client.force_authenticate(order.buyer)

    for _ in range(6):
        assert client.get(f"/api/v1/orders/{order.pk}/").status_code == 200

    # The document's one statement (it aggregates the order's lines as JSON) is kept planned.
    assert any("json_agg" in statement for statement in prepared_statements())


def settings_options(env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_PREPARED_STATEMENTS")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['OPTIONS'])",
        ],
        cwd=ROOT,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://pactline@db.internal:5432/pactline",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_prepared_statements_are_on_by_default_and_can_be_turned_off_for_a_pooler():
    assert "'prepare_threshold': 5" in settings_options({})
    off = settings_options({"DATABASE_PREPARED_STATEMENTS": "false"})
    assert "'prepare_threshold': None" in off
    assert "'server_side_binding': True" in off
