"""Django's PostgreSQL backend, with one change: how a persistent connection is checked before
a request reuses it.

Django's check (CONN_HEALTH_CHECKS) sends `SELECT 1` at the start of every request that uses
the database: a round trip on every API call and page, only to learn what is nearly always
true. A server that ends an idle session (a restart, pg_terminate_backend, an idle timeout, a
pooler closing it) tells the client first: it sends a FATAL error and closes the socket, so the
socket of an idle connection becomes readable. An idle connection has nothing else to read (we
never LISTEN). So the socket is asked first, without waiting: quiet means the connection is
used as it is; anything to read, or a connection psycopg already knows is closed or broken, and
Django's own check runs, closing the connection so that the request opens a new one.

A connection dropped without a word (a cable pulled) is caught by neither check before it is
used: Django's SELECT 1 would wait for TCP to give up too."""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.pool is None
            and self._quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _quiet(self):
        """The connection is open as far as psycopg knows and the server has sent nothing since
        the last answer."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        try:
            readable, _writable, _failed = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
