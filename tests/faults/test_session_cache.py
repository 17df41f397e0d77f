"""Sessions read from Redis (``d3.sessions``, the engine when ``CACHE_URL`` names a Redis),
against a ``redis-server`` of the test's own: a page reads its session without a query;
Redis stopped or frozen, pages, log-ins and log-outs go on from the database; a log-out
deletes the copy, and a copy Redis could not be told about lapses within
``CACHE_SECONDS``."""

import shutil
import time

import pytest
import redis
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from d3.sessions import CACHE_SECONDS
from tests.faults.services import RedisServer, require
from tests.test_settings_env import run

pytestmark = pytest.mark.django_db

SUIVI = reverse("auditeurs:suivi")
LOGIN = reverse("account_login")


@pytest.fixture
def session_redis(tmp_path, settings):
    """The cache and the sessions on a Redis of this test's, as production sets them."""
    require(shutil.which("redis-server"), "redis-server introuvable dans le PATH")
    server = RedisServer(tmp_path)
    server.start()
    previous = settings.CACHES
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": server.url,
        "OPTIONS": {"socket_timeout": settings.D3_CACHE_TIMEOUT,
                    "socket_connect_timeout": settings.D3_CACHE_TIMEOUT},
    }}
    settings.SESSION_ENGINE = "d3.sessions"
    yield server
    settings.CACHES = previous  # the suite's cache is cleared after this test: not Redis
    server.stop()


def session_queries(client, url=SUIVI, status=200):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == status
    return [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]


def cached_copy_ttl(server, session_key):
    key = caches["default"].make_key(KEY_PREFIX + session_key)
    with redis.Redis.from_url(server.url) as client:
        return client.ttl(key)


def test_production_settings_choose_these_sessions_with_a_redis_cache_only(tmp_path):
    show = ["-c", "import django; django.setup(); from django.conf import settings as s; "
                  "print(s.SESSION_ENGINE, s.CACHES['default'].get('OPTIONS'))"]
    with_redis = run(show, {"DJANGO_DEBUG": "true", "CACHE_URL": "redis://127.0.0.1:6379/1",
                            "D3_CACHE_TIMEOUT": "2"}, tmp_path)
    without = run(show, {"DJANGO_DEBUG": "true"}, tmp_path)

    assert with_redis.returncode == 0, with_redis.stderr
    assert with_redis.stdout.strip() == (
        "d3.sessions {'socket_timeout': 2, 'socket_connect_timeout': 2}")
    # A per-process cache would keep a session another process has ended.
    assert without.stdout.strip() == "django.contrib.sessions.backends.db None"


def test_a_page_reads_its_session_from_redis_without_a_query(client, auditeur, session_redis):
    client.force_login(auditeur)
    key = client.cookies["sessionid"].value

    assert session_queries(client) == []
    assert session_queries(client) == []
    # The database keeps the record; the copy lives CACHE_SECONDS at most.
    assert Session.objects.filter(session_key=key).exists()
    assert 0 < cached_copy_ttl(session_redis, key) <= CACHE_SECONDS


def test_a_copy_gone_from_redis_is_read_again_from_the_database(client, auditeur,
                                                               session_redis):
    client.force_login(auditeur)
    caches["default"].clear()  # Redis restarted, or the copy lapsed

    assert len(session_queries(client)) == 1
    assert session_queries(client) == []  # copied back


def test_log_out_deletes_the_copy_the_old_cookie_is_refused(client, auditeur, session_redis):
    client.force_login(auditeur)
    key = client.cookies["sessionid"].value
    client.get(SUIVI)

    client.post(reverse("account_logout"))

    assert cached_copy_ttl(session_redis, key) == -2  # no such key
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get(SUIVI)["Location"].startswith(LOGIN)


def test_redis_stopped_pages_log_ins_and_log_outs_go_on_from_the_database(
    client, auditeur, other_auditeur, session_redis
):
    client.force_login(auditeur)
    key = client.cookies["sessionid"].value
    session_redis.stop()

    assert len(session_queries(client)) == 1  # read from the database
    other = Client()
    other.force_login(other_auditeur)  # a new session key, looked up in the database
    assert other.get(SUIVI).status_code == 200

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(SUIVI)["Location"].startswith(LOGIN)


def test_redis_frozen_a_page_waits_the_cache_timeout_once_not_forever(
    client, auditeur, session_redis, settings
):
    client.force_login(auditeur)
    session_redis.freeze()  # connections accepted, nothing answered

    started = time.monotonic()
    assert client.get(SUIVI).status_code == 200
    elapsed = time.monotonic() - started

    # The read waits the timeout, then the database answers; no second wait to copy it.
    print(f"Redis figé : page servie en {elapsed:.2f} s "
          f"(D3_CACHE_TIMEOUT={settings.D3_CACHE_TIMEOUT} s)")
    assert settings.D3_CACHE_TIMEOUT <= elapsed < 2 * settings.D3_CACHE_TIMEOUT


def test_a_copy_redis_could_not_delete_at_log_out_lapses_within_cache_seconds(
    client, auditeur, session_redis
):
    client.force_login(auditeur)
    key = client.cookies["sessionid"].value
    session_redis.freeze()
    assert client.post(reverse("account_logout")).status_code == 302  # not an error page
    session_redis.thaw()

    assert not Session.objects.filter(session_key=key).exists()
    # The copy is still there (Redis was not told): it is the one window, bounded.
    assert 0 < cached_copy_ttl(session_redis, key) <= CACHE_SECONDS
