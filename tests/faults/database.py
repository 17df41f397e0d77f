"""Making the database fail in the middle of a transaction, at a chosen statement.

:func:`database_fails` watches the SQL the code under test sends (Django's
``execute_wrapper``) and, right after the first ``INSERT`` into a given table — the
state already updated, the event (or the file's row) already written — either:

- ``"error"``: raises ``OperationalError`` there, as a statement failing on a server
  out of disk or a lost network would; the transaction rolls back;
- ``"killed"``: has a second connection terminate the request's PostgreSQL backend
  (``pg_terminate_backend``, waiting until it is gone), as a database restarted or
  failed over under a live request: the rest of the transaction and its ``COMMIT`` fail
  on a dead connection, whatever the code does next.
"""

from contextlib import contextmanager

from django.db import OperationalError, connection, connections

FAILURES = ("error", "killed")


@contextmanager
def database_fails(table, how="error"):
    """Fail the connection after the first ``INSERT`` into ``table``; yields a list
    that holds that statement once the failure has happened."""
    if how not in FAILURES:
        raise ValueError(how)
    fired = []

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not fired and sql.lstrip().upper().startswith(f'INSERT INTO "{table.upper()}"'):
            fired.append(sql)
            if how == "error":
                raise OperationalError("server closed the connection unexpectedly")
            _terminate(context["connection"].connection.info.backend_pid)
        return result

    with connection.execute_wrapper(wrapper):
        yield fired


def _terminate(pid):
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            # The timeout makes it wait until the backend has exited (PostgreSQL 14+).
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0], "le processus PostgreSQL n'a pas été arrêté"
    finally:
        killer.close()
