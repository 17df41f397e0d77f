"""What each staff list page of the load benchmark costs, measured in this process.

    .venv/bin/python benchmarks/profile_lists.py                 (every list page)
    .venv/bin/python benchmarks/profile_lists.py centre_p1 -n 30 (one page, 30 times)
    .venv/bin/python benchmarks/profile_lists.py dnf_p1 --pyinstrument

The list pages of ``benchmarks/load.py`` (same users, same URLs: the centre's queue,
the DNF's transmitted dossiers, a jury session of 100 dossiers) are requested through
Django's test client with the production settings (``DJANGO_DEBUG=false``: cached
template loader), against the bench database (``BENCH_DATABASE_URL``, default
``d3_bench``). For each, the median of: the request's wall time, the CPU time of this
process (Python: middleware, view, template), the number of queries and their time as
the client sees it (PostgreSQL's part). Under 8 sessions on 2 cores, a page that costs
C ms (Python + database) has a p95 of about 8 × C / 2 ms: the budget of 150 ms means
C ≲ 35 ms. ``benchmarks/profile_pages.py`` does the same for the auditeur's pages and
the middleware.

The bench database is only read: the connection is opened read-only
(``default_transaction_read_only``), and the sessions live in the cache (Redis given by
``BENCH_REDIS_URL``, or this process's memory), built by hand as Django's log-in would
with the second factor given, so that no log-in signal writes anything.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST_PAGES = ("centre_p1", "centre_p50", "centre_filtres", "centre_recherche_nom",
              "centre_recherche_numero", "dnf_p1", "dnf_p50", "dnf_recherche_nom",
              "dnf_recherche_numero", "jury_session")


def _setup():
    sys.path.insert(0, str(ROOT))
    from benchmarks import load

    env = load._env(os.environ.get("BENCH_DATABASE_URL", load.DEFAULT_DATABASE),
                    os.environ.get("BENCH_REDIS_URL", ""), ROOT / "var" / "bench")
    if not env["CACHE_URL"]:
        del env["CACHE_URL"], env["CELERY_BROKER_URL"]
    os.environ.update(env)
    import django
    from django.conf import settings

    # Read-only, whatever a page might try to write.
    settings.DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c default_transaction_read_only=on")
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    django.setup()
    return load


def _client(user):
    """A test client logged in as ``user``, second factor given, nothing written."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cache import SessionStore
    from django.test import Client

    from auditeurs.staff_security import SESSION_ACTIVITY_KEY, SESSION_TOTP_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_TOTP_KEY] = True
    store[SESSION_ACTIVITY_KEY] = int(time.time())
    store.save()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client


def measure(client, path, runs, warm=3):
    """Medians over ``runs`` requests: wall ms, CPU ms, queries, query ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    walls, cpus, query_ms = [], [], []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
        assert response.status_code == 200, (path, response.status_code)
        walls.append(wall * 1000)
        cpus.append(cpu * 1000)
        query_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        queries = len(captured)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus),
            "queries": queries, "query_ms": statistics.median(query_ms),
            "bytes": len(response.content), "sql": captured.captured_queries}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", default=LIST_PAGES)
    parser.add_argument("-n", "--runs", type=int, default=15)
    parser.add_argument("--pyinstrument", action="store_true",
                        help="print pyinstrument's profile of each page (pip install "
                             "pyinstrument; not in the lock)")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    parser.add_argument("--html", metavar="DIR",
                        help="write each page's HTML into DIR (to compare two versions)")
    args = parser.parse_args(argv)
    load = _setup()
    scenarios = {scenario.name: scenario for scenario in load.SCENARIOS}
    cast = load._cast()
    print(f"{'page':26} {'wall ms':>8} {'CPU ms':>7} {'queries':>7} {'query ms':>8} "
          f"{'KiB':>5}")
    for name in args.pages:
        scenario = scenarios[name]
        user, context = cast[scenario.role][0]
        path = scenario.path(context) if callable(scenario.path) else scenario.path
        client = _client(user)
        if args.pyinstrument:
            from pyinstrument import Profiler

            measure(client, path, 1)
            with Profiler(interval=0.0005) as profiler:
                for _ in range(args.runs):
                    client.get(path)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        result = measure(client, path, args.runs)
        print(f"{name:26} {result['wall']:8.1f} {result['cpu']:7.1f} "
              f"{result['queries']:7d} {result['query_ms']:8.1f} "
              f"{result['bytes'] / 1024:5.0f}")
        if args.html:
            Path(args.html).mkdir(parents=True, exist_ok=True)
            (Path(args.html) / f"{name}.html").write_bytes(client.get(path).content)
        if args.sql:
            for query in result["sql"]:
                print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql']}")


if __name__ == "__main__":
    main()
