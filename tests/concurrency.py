"""Run one action from several threads at once, each with its own database connection.

Row locks and claims are only meaningful on PostgreSQL: these tests need it and
are skipped on the embedded SQLite (CI always runs them, on PostgreSQL).
"""

import threading

import pytest
from django.db import connection, connections

requires_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="verrous de lignes : PostgreSQL requis"
)


def run_in_threads(action, *, count=2, refusals=(), timeout=60):
    """Call ``action()`` from ``count`` threads; return their outcomes, sorted.

    An outcome is what ``action`` returned, the ``message`` of a refusal (one of
    ``refusals``), or any other exception, kept so that the test sees it rather
    than a thread dying silently. ``action`` synchronises the threads itself (a
    ``threading.Barrier`` where the race must happen).
    """
    outcomes = []
    lock = threading.Lock()

    def run():
        try:
            outcome = action()
        except refusals as refusal:
            outcome = refusal.message
        except Exception as exc:  # noqa: BLE001 — reported to the test, see above
            outcome = exc
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return sorted(outcomes, key=str)
