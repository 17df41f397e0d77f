"""The broker and lease settings read from the environment, and checked against each
other: a lease shorter than the task time limit would let a second worker take over a
task still running. Each case starts a fresh interpreter (settings are read once)."""

import json

import pytest

from tests.test_settings_env import run

PRINT = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.CELERY_BROKER_TRANSPORT_OPTIONS, s.CELERY_BROKER_CONNECTION_TIMEOUT,"
    " s.CELERY_TASK_TIME_LIMIT, s.CELERY_TASK_SOFT_TIME_LIMIT, s.COURRIEL_LEASE_SECONDS,"
    " s.COURRIER_LEASE_SECONDS]))"
)
REDIS = {"DJANGO_DEBUG": "true", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}


def read(env, tmp_path):
    result = run(["-c", PRINT], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_defaults_bound_every_wait_for_redis(tmp_path):
    options, connection, limit, soft, courriel, courrier = read(REDIS, tmp_path)

    assert options == {"visibility_timeout": 3600, "socket_timeout": 3,
                       "socket_connect_timeout": 3}
    assert (connection, limit, soft, courriel, courrier) == (3, 300, 240, 600, 600)


def test_short_values_for_the_fault_tests(tmp_path):
    options, connection, limit, soft, courriel, courrier = read(REDIS | {
        "CELERY_BROKER_TIMEOUT": "1", "CELERY_VISIBILITY_TIMEOUT": "8",
        "CELERY_TASK_TIME_LIMIT": "5", "COURRIEL_LEASE_SECONDS": "6",
        "COURRIER_LEASE_SECONDS": "7",
    }, tmp_path)

    assert options == {"visibility_timeout": 8, "socket_timeout": 1,
                       "socket_connect_timeout": 1}
    assert (connection, limit, soft, courriel, courrier) == (1, 5, 4, 6, 7)


@pytest.mark.parametrize("variable", ["COURRIEL_LEASE_SECONDS", "COURRIER_LEASE_SECONDS",
                                      "CELERY_VISIBILITY_TIMEOUT"])
def test_a_lease_not_longer_than_the_time_limit_is_refused(tmp_path, variable):
    result = run(["-c", PRINT], REDIS | {"CELERY_TASK_TIME_LIMIT": "500", variable: "500"},
                 tmp_path)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert f"{variable} (500 s) doit dépasser CELERY_TASK_TIME_LIMIT (500 s)" in last_line
