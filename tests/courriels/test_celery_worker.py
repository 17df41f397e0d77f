"""End to end: courriels queued here are sent once by a real Celery worker over Redis."""

import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.conf import settings as django_settings
from django.db import transaction

from d3.celery import app as celery_app
from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import deliver
from tests.concurrency import requires_postgresql

# CI gives its Redis in CELERY_BROKER_URL; locally, a database of its own on the
# usual Redis. Our own queue name keeps any other worker away from our tasks.
_env_broker = os.environ.get("CELERY_BROKER_URL", "")
BROKER_URL = _env_broker if _env_broker.startswith("redis") else "redis://127.0.0.1:6379/15"
TIMEOUT = 60  # seconds


@requires_postgresql  # the worker process reaches the test database over the network
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_each_courriel_exactly_once(queue_sample, settings, tmp_path,
                                                        monkeypatch):
    _require_redis()
    queue = f"d3-test-courriels-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "courriels"
    log_path = tmp_path / "worker.log"

    with (
        _celery_publishing_to(queue, settings, monkeypatch),
        _worker(queue, mail_dir, log_path) as worker,
    ):
        courriels = []
        for number in range(5):
            with transaction.atomic():
                courriels.append(queue_sample(context={"name": "Jeanne",
                                                       "title": f"Courriel {number}"}))
            # As if the sweep ran at the same moment: a second task for the same row.
            deliver.delay(courriels[-1].pk)

        _wait_for(lambda: _sent_count() == 5 and _succeeded_tasks(log_path) == 10,
                  worker, log_path)

    sent_message_ids = re.findall(r"^Message-ID: (\S+)$", _read_mails(mail_dir), re.MULTILINE)
    assert sorted(sent_message_ids) == sorted(f"<courriel-{c.pk}@localhost>" for c in courriels)


def _require_redis():
    try:
        with redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2) as client:
            client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis injoignable ({BROKER_URL}) : obligatoire en CI.")
        pytest.skip(f"Redis injoignable ({BROKER_URL}).")


@contextmanager
def _celery_publishing_to(queue, settings, monkeypatch):
    """Make this process publish courriel tasks to Redis, on a queue of our own.

    The own queue keeps other test runs' workers away from our tasks. The app
    reads its configuration once, so it is changed in place and put back.
    """
    # Celery prefers this variable to its own configuration for the broker URL.
    monkeypatch.setenv("CELERY_BROKER_URL", BROKER_URL)
    changes = {
        "broker_url": BROKER_URL,
        "broker_transport_options": {"visibility_timeout": 3600},
        "task_always_eager": False,
        "task_routes": {"d3.courriels.tasks.*": {"queue": queue}},
    }
    # Read before the Django settings change: the app may read them lazily.
    previous = {key: celery_app.conf.get(key) for key in changes}
    settings.CELERY_BROKER_URL = BROKER_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(changes)
    _drop_broker_connections()
    try:
        yield
    finally:
        _drop_broker_connections()
        celery_app.conf.update(previous)
        _forget_queue(queue)


def _drop_broker_connections():
    # Connections made for the previous broker URL must not be reused.
    celery_app.close()
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


def _forget_queue(queue):
    with redis.Redis.from_url(BROKER_URL) as client:
        # The queue and its exchange are both named after it (kombu's Redis layout).
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


@contextmanager
def _worker(queue, mail_dir, log_path):
    database = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.courriels.worker_settings",
        # The test database, where this test's rows are committed.
        "DATABASE_URL": (f"postgres://{database['USER']}:{database['PASSWORD']}"
                         f"@{database['HOST']}:{database['PORT']}/{database['NAME']}"),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "D3_TEST_EMAIL_FILE_PATH": str(mail_dir),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "d3", "worker", "--pool=solo",
        "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "--loglevel=INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, env=env, cwd=django_settings.BASE_DIR,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        yield worker
    finally:
        worker.terminate()  # warm shutdown: the task under way finishes first
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for(condition, worker, log_path):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if worker.poll() is not None:
            pytest.fail(f"Le worker s'est arrêté :\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"Courriels non envoyés après {TIMEOUT} s :\n{log_path.read_text()}")
        time.sleep(0.2)


def _sent_count():
    return Courriel.objects.filter(status=Status.SENT).count()


def _succeeded_tasks(log_path):
    # The worker logs each finished task; the duplicates must have run too.
    return len(re.findall(r"Task d3\.courriels\.tasks\.deliver\[\S+\] succeeded",
                          log_path.read_text()))


def _read_mails(mail_dir):
    return "".join(path.read_text() for path in sorted(Path(mail_dir).glob("*.log")))
