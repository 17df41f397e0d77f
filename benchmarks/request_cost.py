"""What one request costs D3's process: the fixed cost of every page (middlewares, the
base template) and the auditeur's pages, on the Cnam-scale data, measured alone.

    .venv/bin/python benchmarks/request_cost.py [--requests 60] [--rounds 3] [--layers]
        [--pyinstrument DIR]

``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/d3_bench``, the data
of ``generate_scale_data``) and ``BENCH_CACHE_URL`` (a Redis, default
``redis://127.0.0.1:6379/15``) say where. Settings are production's (DEBUG off, cached
templates, a persistent connection, Redis cache), as in ``benchmarks/load.py``; users
are logged in by Django's ``login()`` as there. Everything runs in one transaction
rolled back at the end: the bench database is left as it was (the sessions and audit
entries of the log-ins included).

For each page it prints the queries of one request, the CPU time of this process
(Django's share; PostgreSQL's is its own process's) and the wall time, median and 95th
percentile, of its least disturbed round; with ``--layers``, each middleware's own
share (its time minus the layers inside it), queries included. With ``--pyinstrument
DIR`` it also writes a profile of each page (text) into DIR. The load benchmark (wrk, gunicorn) stays the measure of record;
this script says where a page's time goes.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENV = {
    "DJANGO_SETTINGS_MODULE": "d3.settings",
    "DATABASE_CONN_MAX_AGE": "600",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_SECURE_COOKIES": "false",
    "D3_BENCH": "true",
    "D3_LOG_LEVEL": "WARNING",
}

# Per-middleware figures of the request being measured (inclusive, by layer index).
_LAYERS = []
_QUERIES = [0]


def _timed_layer(index, path):
    """A middleware class wrapping ``path``'s, recording the CPU time and queries spent
    in its ``__call__`` and ``process_view`` (inclusive of the layers inside it)."""
    from django.utils.module_loading import import_string

    real_class = import_string(path)

    class Timed:
        def __init__(self, get_response):
            self.inner = real_class(get_response)
            if hasattr(self.inner, "process_view"):
                self.process_view = self._process_view

        def __call__(self, request):
            cpu, queries = time.process_time(), _QUERIES[0]
            try:
                return self.inner(request)
            finally:
                _LAYERS[index]["call"] += time.process_time() - cpu
                _LAYERS[index]["call_q"] += _QUERIES[0] - queries

        def _process_view(self, request, *args):
            cpu, queries = time.process_time(), _QUERIES[0]
            try:
                return self.inner.process_view(request, *args)
            finally:
                _LAYERS[index]["view_hook"] += time.process_time() - cpu
                _LAYERS[index]["view_hook_q"] += _QUERIES[0] - queries

        def __getattr__(self, name):  # process_exception, process_template_response
            return getattr(self.inner, name)

    Timed.__name__ = Timed.__qualname__ = f"Timed{index}"
    return Timed


def _install_timed_middleware():
    from django.conf import settings

    module = sys.modules[__name__]
    paths = list(settings.MIDDLEWARE)
    timed = []
    # The pass-through layer last measures the view itself, so that the innermost real
    # middleware's own share is known too.
    for index, path in enumerate([*paths, f"{__name__}.PassThrough"]):
        cls = _timed_layer(index, path)
        setattr(module, cls.__name__, cls)
        timed.append(f"{__name__}.{cls.__name__}")
    settings.MIDDLEWARE = timed
    return paths


class PassThrough:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


def _count_queries(execute, sql, params, many, context):
    _QUERIES[0] += 1
    return execute(sql, params, many, context)


def _login(user):
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import login
    from django.test import Client, RequestFactory

    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


def _cast():
    from auditeurs.models import Role, User
    from dossiers.models import Dossier, State

    # The load benchmark's first auditeur and dossier (benchmarks/load.py, _cast).
    dossier = (Dossier.objects.filter(state=State.COURRIER_ENVOYE,
                                      auditeur__profile__completed_at__isnull=False)
               .select_related("auditeur").order_by("pk").first())
    gestionnaire = User.objects.filter(role=Role.GESTIONNAIRE).order_by("pk").first()
    return dossier, gestionnaire


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(client, path, requests, names):
    """Queries, CPU and wall time of ``path``, and each middleware's own share."""
    _LAYERS[:] = [dict.fromkeys(("call", "call_q", "view_hook", "view_hook_q"), 0)
                  for _ in range(len(names) + 1)]
    for _ in range(5):  # warm-up: imports, template cache, connection
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    cpus, walls, queries = [], [], []
    totals = [dict.fromkeys(("call", "call_q", "view_hook", "view_hook_q"), 0)
              for _ in range(len(names) + 1)]
    for _ in range(requests):
        _LAYERS[:] = [dict.fromkeys(("call", "call_q", "view_hook", "view_hook_q"), 0)
                      for _ in range(len(names) + 1)]
        _QUERIES[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        client.get(path)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        queries.append(_QUERIES[0])
        for total, layer in zip(totals, _LAYERS):
            for key in total:
                total[key] += layer[key]
    # A layer's own share: its inclusive time minus the next layer's; the view's
    # process_view hooks are counted where they belong, not in the innermost layer.
    hooks = sum(t["view_hook"] for t in totals)
    hooks_q = sum(t["view_hook_q"] for t in totals)
    own = []
    for index, name in enumerate(names):
        inner = totals[index + 1]
        cpu = totals[index]["call"] - inner["call"]
        count = totals[index]["call_q"] - inner["call_q"]
        own.append((name, (cpu + totals[index]["view_hook"]) * 1000 / requests,
                    (count + totals[index]["view_hook_q"]) / requests))
    view_cpu = (totals[-1]["call"] - hooks) * 1000 / requests
    view_q = (totals[-1]["call_q"] - hooks_q) / requests
    return {
        "queries": statistics.median(queries),
        "cpu": (statistics.median(cpus), _percentile(cpus, 0.95)),
        "wall": (statistics.median(walls), _percentile(walls, 0.95)),
        "layers": own,
        "view": (view_cpu, view_q),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pyinstrument", metavar="DIR")
    parser.add_argument("--layers", action="store_true", help="each middleware's share")
    args = parser.parse_args()

    os.environ.update(ENV)
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/d3_bench")
    os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/15")
    os.environ["CELERY_BROKER_URL"] = os.environ["CACHE_URL"]
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    names = _install_timed_middleware() if args.layers else []
    from django.db import connection, transaction

    with transaction.atomic(), connection.execute_wrapper(_count_queries):
        dossier, gestionnaire = _cast()
        auditeur = _login(dossier.auditeur)
        staff = _login(gestionnaire)
        pages = [
            ("Référence (auditeur)", auditeur, "/bench/baseline/"),
            ("Référence (gestionnaire)", staff, "/bench/baseline/"),
            ("Aide (auditeur, gabarit de base)", auditeur, "/aide/"),
            ("Auditeur : suivi", auditeur, "/auditeur/suivi/"),
            ("Auditeur : dossier", auditeur, f"/dossiers/{dossier.pk}/"),
        ]
        # Pages measured in turn, round after round; each page's least disturbed round
        # (lowest median CPU) is kept: on a shared machine, the others' load only adds.
        best = {}
        for _ in range(args.rounds):
            for label, client, path in pages:
                result = measure(client, path, args.requests, names)
                if label not in best or result["cpu"][0] < best[label]["cpu"][0]:
                    best[label] = result
        print(f"{'page':36} {'requêtes':>8} {'CPU p50/p95 (ms)':>18} {'durée p50/p95 (ms)':>20}")
        for label, client, path in pages:
            result = best[label]
            print(f"{label:36} {result['queries']:8.0f} "
                  f"{result['cpu'][0]:8.1f} / {result['cpu'][1]:6.1f}  "
                  f"{result['wall'][0]:8.1f} / {result['wall'][1]:6.1f}")
            if args.layers:
                for name, cpu, count in result["layers"]:
                    print(f"    {name.rsplit('.', 1)[-1]:34} {cpu:6.2f} ms  {count:4.1f} req.")
                print(f"    {'vue et gabarit':34} {result['view'][0]:6.2f} ms  "
                      f"{result['view'][1]:4.1f} req.")
            if args.pyinstrument:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                with profiler:
                    for _ in range(args.requests):
                        client.get(path)
                out = Path(args.pyinstrument)
                out.mkdir(parents=True, exist_ok=True)
                name = path.strip("/").replace("/", "_") or "racine"
                (out / f"{name}-{client is staff and 'staff' or 'auditeur'}.txt").write_text(
                    profiler.output_text(unicode=True, show_all=False))
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
