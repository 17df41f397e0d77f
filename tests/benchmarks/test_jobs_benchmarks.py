"""The memory and job benchmarks still run: each script at a tiny size, against the test
database, with its own Redis, gunicorn or Celery workers and SMTP sink.

Not timed: their figures are in docs/benchmarks.md. What is checked is that every
upload, letter and courriel went through the real processes and was counted once.
"""

import shutil

import pytest
from django.db import connection

from benchmarks import courriels_throughput, courriers_scale, processes, upload_memory
from tests.faults.services import require

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def jobs_database(monkeypatch):
    """The scripts write into the test database (they empty it first, as the end of a
    transactional test does anyway)."""
    require(shutil.which("redis-server"), "redis-server introuvable dans le PATH")
    require(connection.vendor == "postgresql",
            "PostgreSQL requis : les processus du banc rejoignent la base par le réseau")
    db = connection.settings_dict
    monkeypatch.setenv("BENCH_JOBS_DATABASE_URL", f"postgres://{db['USER']}:{db['PASSWORD']}"
                       f"@{db['HOST']}:{db['PORT']}/{db['NAME']}")


def test_upload_memory_posts_real_files_to_gunicorn_and_reads_its_peak(jobs_database):
    results = processes.run_script("upload_memory.py", "--uploads", "2", "--megabytes", "1")

    assert results["uploads"] == 2
    assert 1024 * 1024 - 2048 < results["file_bytes"] <= 1024 * 1024
    assert len(results["peaks_mib"]) == 2
    assert results["peak_after_uploads_mib"] >= results["peak_after_warmup_mib"] > 20
    assert results["met"] and results["peak_increase_mib"] < upload_memory.BUDGET_MIB
    assert "Hausse du pic" in upload_memory.markdown(results)


def test_courriers_of_two_sessions_are_sent_by_a_worker_once_each(jobs_database):
    results = processes.run_script("courriers_scale.py", "--letters", "4", "--session", "2",
                                   "--every", "2")

    assert [phase["letters"] for phase in results["sessions"]] == [2, 2]
    assert results["courriels_received"] == 4
    assert results["duplicates"] == results["lost"] == 0
    assert [count for count, _ in results["rss_samples_mib"]] == [2, 4]
    assert results["met"]
    assert "courriers/s" in courriers_scale.markdown(results)


def test_courriels_are_delivered_by_two_workers_once_each(jobs_database):
    results = processes.run_script("courriels_throughput.py", "--courriels", "10")

    assert results["workers"] == 2
    assert results["distinct"] == results["received"] == results["marked_sent"] == 10
    assert results["duplicates"] == results["lost"] == 0
    assert results["met"]
    assert "doublons | **0**" in courriels_throughput.markdown(results)


def test_the_load_benchmark_database_is_never_emptied(monkeypatch):
    monkeypatch.setenv("BENCH_JOBS_DATABASE_URL", "postgres://postgres@127.0.0.1/d3_bench")
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit, match="Base d3_bench refusée"):
        processes.database_url()


def test_check_exits_with_an_error_only_when_a_budget_is_missed(capsys):
    processes.report({"met": True}, check=True)
    processes.report({"met": False}, check=False)
    with pytest.raises(SystemExit) as exited:
        processes.report({"met": False}, check=True)
    assert exited.value.code == 1
    assert capsys.readouterr().out.count(processes.JSON_PREFIX) == 3
