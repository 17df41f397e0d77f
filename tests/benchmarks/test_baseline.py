"""The benchmark's baseline page exists only when D3_BENCH is set."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches

import d3.urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_urls(settings):
    settings.D3_BENCH = True
    clear_url_caches()
    importlib.reload(d3.urls)
    yield
    settings.D3_BENCH = False
    clear_url_caches()
    importlib.reload(d3.urls)


def test_no_baseline_page_without_the_bench_setting(client, auditeur):
    client.force_login(auditeur)
    assert client.get("/bench/baseline/").status_code == 404


def test_the_baseline_is_one_short_page_with_one_query(bench_urls, client, centre):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/bench/baseline/")
    assert response.status_code == 200
    assert "Premier centre : Cnam Paris." in response.content.decode()
    assert len(queries) == 1


@pytest.mark.parametrize(("bench", "login_limit"), [("", "30/m/ip"), ("true", "1000000/m/ip")])
def test_only_the_bench_lifts_the_log_in_limit_per_address(tmp_path, bench, login_limit):
    from tests.test_settings_env import run

    script = ("import django; django.setup(); from django.conf import settings as s; "
              "print(s.D3_BENCH, s.ACCOUNT_RATE_LIMITS['login'], "
              "s.ACCOUNT_RATE_LIMITS['login_failed'])")
    result = run(["-c", script], {"DJANGO_DEBUG": "true", "D3_BENCH": bench}, tmp_path)
    assert result.returncode == 0, result.stderr
    # The failed log-in limits stay whatever the mode.
    assert result.stdout.split() == [str(bool(bench)), login_limit, "10/m/ip,5/5m/key"]
