"""A persistent PostgreSQL connection is checked before a request reuses it without a round
trip when nothing is wrong (apps/core/postgresql): a connection the server ended is still
replaced before the request uses it, so a database restart costs no request an error."""

import select
from unittest import mock

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]


@pytest.fixture
def persistent():
    """A connection of its own, as a web worker keeps one between requests (health checks on,
    as settings.py asks for)."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict = {**wrapper.settings_dict, "CONN_MAX_AGE": 600}
    wrapper.settings_dict["CONN_HEALTH_CHECKS"] = True
    wrapper.connect()
    yield wrapper
    wrapper.close()


def next_request(wrapper):
    """What Django does when a request starts (and when the previous one ended): the connection
    is kept, and is to be checked again before it is next used."""
    wrapper.close_if_unusable_or_obsolete()
    assert wrapper.connection is not None


def backend_pid(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_settings_use_the_backend_with_the_quiet_health_check(persistent):
    assert connection.settings_dict["ENGINE"] == "apps.core.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert type(persistent).__module__ == "apps.core.postgresql.base"


def test_a_quiet_connection_is_reused_without_asking_the_server(persistent):
    pid = backend_pid(persistent)
    next_request(persistent)

    with mock.patch.object(persistent, "is_usable", wraps=persistent.is_usable) as asked:
        assert backend_pid(persistent) == pid
        assert backend_pid(persistent) == pid  # checked once per request

    asked.assert_not_called()  # Django's own check would have sent SELECT 1


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(persistent):
    pid = backend_pid(persistent)
    next_request(persistent)
    with connection.cursor() as cursor:  # as a restart or an idle timeout would
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    # The server says so before it closes the socket; wait for that, as a later request would.
    readable, _, _ = select.select([persistent.connection.fileno()], [], [], 10)
    assert readable

    with mock.patch.object(persistent, "is_usable", wraps=persistent.is_usable) as asked:
        new_pid = backend_pid(persistent)  # no error: the request goes on, on a new connection

    assert new_pid != pid
    asked.assert_called_once()


def test_a_connection_psycopg_knows_is_closed_is_replaced(persistent):
    pid = backend_pid(persistent)
    next_request(persistent)
    persistent.connection.close()  # closed under Django, as by a failure psycopg noticed

    assert backend_pid(persistent) != pid
