"""Fixtures of the fault tests: real services of the test's own, broken on purpose.

``redis_server`` (a ``redis-server`` on a free port), ``smtp_sink`` (a mail server in a
thread), ``broker`` (this process publishes its tasks to that Redis, with the broker
settings of production) and ``worker`` (a Celery worker process on that Redis, that
database and that sink, with short leases). Without ``redis-server`` or PostgreSQL the
tests are skipped locally and fail in CI.
"""

import shutil

import kombu.pools
import pytest
from django.db import connection

from d3.celery import app as celery_app
from tests.faults.services import RedisServer, SmtpSink, Worker, require

# Short leases for the workers the tests kill; the time limit stays below them, as
# the settings demand (a live worker always finishes before its lease lapses).
LEASE_SECONDS = 6
WORKER_ENV = {
    "COURRIEL_LEASE_SECONDS": str(LEASE_SECONDS),
    "COURRIER_LEASE_SECONDS": str(LEASE_SECONDS),
    "CELERY_TASK_TIME_LIMIT": str(LEASE_SECONDS - 1),
}


@pytest.fixture
def redis_server(tmp_path):
    require(shutil.which("redis-server"), "redis-server introuvable dans le PATH")
    require(connection.vendor == "postgresql",
            "PostgreSQL requis : le worker rejoint la base de test par le réseau")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def broker(redis_server, settings, monkeypatch):
    """This process publishes to the test's Redis, with production's broker options.

    The options (socket timeouts, visibility timeout) are those ``d3.settings`` builds
    for a Redis ``CELERY_BROKER_URL``: CI and ``scripts/test`` give one.
    """
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    require("socket_timeout" in options,
            "réglages d'un broker Redis requis (CELERY_BROKER_URL=redis://…)")
    # Celery prefers this variable to its own configuration for the broker URL.
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.url)
    changes = {
        "broker_url": redis_server.url,
        "broker_transport_options": options,
        "broker_connection_timeout": settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        "task_always_eager": False,
    }
    # Read before the Django settings change: the app may read them lazily.
    previous = {key: celery_app.conf.get(key) for key in changes}
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(changes)
    _drop_broker_connections()
    yield redis_server
    _drop_broker_connections()
    celery_app.conf.update(previous)


def _drop_broker_connections():
    # Connections made for another broker URL must not be reused.
    celery_app.close()
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def worker(broker, smtp_sink, settings, tmp_path):
    """A Celery worker process, not started yet: ``worker.start()``, ``worker.kill()``…"""
    process = Worker(broker.url, tmp_path / "worker.log", {
        **WORKER_ENV,
        "D3_TEST_SMTP_PORT": str(smtp_sink.port),
        # The files this test's code stores, where the worker reads and writes them.
        "D3_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    })
    yield process
    # Whatever it was doing is of no interest any more: no warm shutdown to wait for.
    process.kill()


@pytest.fixture
def smtp_to_sink(smtp_sink, settings):
    """This process sends its courriels over SMTP to the sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_TIMEOUT = 5
    return smtp_sink
