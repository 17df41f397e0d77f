"""Load benchmark: D3's pages under 8 concurrent logged-in sessions, against a baseline.

    .venv/bin/python benchmarks/run.py load        (what ``make bench`` runs)

Needs PostgreSQL and Redis on this machine (``BENCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/d3_bench``; ``BENCH_REDIS_URL``, default
``redis://127.0.0.1:6379/8``) and ``wrk`` (Debian package). What it does:

1. creates the database if missing, migrates it, and fills it with
   ``generate_scale_data`` (seed 2026) if it holds no account;
2. collects the static files and starts gunicorn with the production settings
   (``DJANGO_DEBUG=false``: cached templates, manifest static files; persistent
   connections ``DATABASE_CONN_MAX_AGE=600``; plain HTTP on the loopback, so
   ``DJANGO_SECURE_SSL_REDIRECT=false`` and ``DJANGO_SECURE_COOKIES=false``), Redis as
   cache and broker, and a Celery worker; ``D3_BENCH=true`` adds the baseline page and
   lifts allauth's per-address log-in limit (every request comes from 127.0.0.1;
   otherwise the log-in scenario would measure the limiter's 429 pages);
3. logs in generated users the way Django does (``django.contrib.auth.login`` on a
   session of the database backend, so the log-in signals run): staff accounts have
   a TOTP authenticator, so the second factor's middleware lets them through as it
   does in production after the code was given; nothing goes around the middleware;
4. for each scenario checks one request by hand (status, and the page asked for),
   then runs wrk with one connection per thread, each connection its own user's
   session (``benchmarks/wrk/sessions.lua``), and reads requests/s, p50/p95/p99 and
   errors; the baseline (``/bench/baseline/``: a short template, one query, the same
   middleware and cookies) runs in the same process of gunicorn, first and last;
5. replays each list page once in this process with its queries captured and runs
   ``EXPLAIN (ANALYZE, FORMAT JSON)`` on each, reporting sequential scans of big tables;
6. stops gunicorn and the worker, and returns the Markdown section of
   ``docs/benchmarks.md``.
"""

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
LUA = Path(__file__).resolve().parent / "wrk" / "sessions.lua"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/d3_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
CONCURRENCY = 8
SECRET_KEY = "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"

# Tables whose sequential scan on a list page is a defect at this scale.
BIG_TABLES = {
    "auditeurs_user", "auditeurs_auditeurprofile", "auditeurs_validatedue",
    "dossiers_dossier", "dossiers_piece", "dossiers_piecefile", "dossiers_event",
    "dossiers_signature", "jury_decision", "jury_courrier",
}


@dataclass
class Scenario:
    name: str
    label: str
    role: str  # auditeur, gestionnaire, agent_dnf, membre_jury, login, baseline
    path: object  # a string, or a function of the user's "context" giving it
    p95_budget_ms: float | None = None
    explain: bool = False  # a list page: its queries are explained
    page_check: str = ""  # text the page must contain (e.g. "Page 50 sur")
    expected: int = 200
    result: dict = field(default_factory=dict)


SCENARIOS = [
    Scenario("baseline", "Référence : gabarit court, une requête", "baseline",
             "/bench/baseline/"),
    Scenario("auditeur_suivi", "Auditeur : suivi de ses dossiers", "auditeur",
             "/auditeur/suivi/", 100),
    Scenario("auditeur_dossier", "Auditeur : page d'un dossier", "auditeur",
             lambda c: f"/dossiers/{c['dossier']}/", 100),
    Scenario("centre_p1", "Gestionnaire : file, tous les états, page 1", "gestionnaire",
             "/centre/dossiers/?etat=tous", 150, True, "Page 1 sur"),
    Scenario("centre_p50", "Gestionnaire : file, tous les états, page 50", "gestionnaire",
             "/centre/dossiers/?etat=tous&page=50", 150, True, "Page 50 sur"),
    Scenario("centre_filtres", "Gestionnaire : file filtrée (état, nature, diplôme)",
             "gestionnaire",
             lambda c: f"/centre/dossiers/?etat=courrier_envoye&nature=dd&diplome={c['diplome']}",
             150, True),
    Scenario("centre_recherche_nom", "Gestionnaire : recherche par nom", "gestionnaire",
             "/centre/dossiers/?etat=tous&q=martin", 150, True),
    Scenario("centre_recherche_numero", "Gestionnaire : recherche par numéro d'auditeur",
             "gestionnaire", lambda c: f"/centre/dossiers/?etat=tous&q={c['number']}", 150,
             True),
    Scenario("dnf_p1", "DNF : dossiers transmis, page 1", "agent_dnf", "/dnf/dossiers/", 150,
             True, "Page 1 sur"),
    Scenario("dnf_p50", "DNF : dossiers transmis, page 50", "agent_dnf",
             "/dnf/dossiers/?page=50", 150, True, "Page 50 sur"),
    Scenario("dnf_recherche_nom", "DNF : recherche par nom, tous les états", "agent_dnf",
             "/dnf/dossiers/?etat=tous&q=martin", 150, True),
    Scenario("dnf_recherche_numero", "DNF : recherche par numéro d'auditeur, tous les états",
             "agent_dnf", lambda c: f"/dnf/dossiers/?etat=tous&q={c['number']}", 150, True),
    Scenario("jury_session", "Jury : session de 100 dossiers", "membre_jury",
             "/jury/sessions/1/", None, True),
    Scenario("connexion", "Connexion (POST du formulaire, CSRF)", "login",
             "/compte/login/", None, expected=302),
    Scenario("baseline_fin", "Référence, en fin de passage", "baseline", "/bench/baseline/"),
]


def _env(database_url, redis_url, var_dir):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "d3.settings",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "D3_BENCH": "true",
        "D3_LOG_LEVEL": "WARNING",
        "D3_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT),
    }


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn ne répond pas sur le port {port}")


def _ensure_database(database_url):
    """Create the bench database if PostgreSQL does not have it yet."""
    import psycopg

    parsed = urllib.parse.urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def _manage(env, *args, log):
    started = time.monotonic()
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True)
    log(f"  manage.py {' '.join(args)} : {time.monotonic() - started:.0f} s")


# --- In this process: users, sessions and EXPLAIN (Django set up on the bench database) --


def _setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _session_cookie(user):
    """A session of ``user`` created by Django's own log-in (signals included)."""
    from django.conf import settings
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
    request.session = SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    return f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}"


def _cast():
    """CONCURRENCY users of each role, each with what his/her URLs need."""
    from auditeurs.models import Role, User
    from dossiers.models import Dossier, State
    from jury.models import JurySession

    cast = {}
    dossiers = (Dossier.objects.filter(state=State.COURRIER_ENVOYE,
                                       auditeur__profile__completed_at__isnull=False)
                .select_related("auditeur").order_by("pk")[:CONCURRENCY])
    cast["auditeur"] = [(d.auditeur, {"dossier": d.pk}) for d in dossiers]
    gestionnaires = User.objects.filter(role=Role.GESTIONNAIRE).order_by("pk")[:CONCURRENCY]
    cast["gestionnaire"] = []
    for user in gestionnaires:
        centre = user.centres.get()
        sample = (Dossier.objects.filter(centre=centre, state=State.COURRIER_ENVOYE,
                                         kind="dd")
                  .select_related("auditeur__profile").order_by("pk").first())
        cast["gestionnaire"].append((user, {
            "diplome": sample.diplome_id,
            "number": sample.auditeur.profile.auditeur_number,
        }))
    agents = list(User.objects.filter(role=Role.AGENT_DNF).order_by("pk"))
    transmitted = (Dossier.objects.filter(state=State.COURRIER_ENVOYE)
                   .select_related("auditeur__profile").order_by("pk")[:CONCURRENCY])
    cast["agent_dnf"] = [(agents[i % len(agents)],
                          {"number": dossier.auditeur.profile.auditeur_number})
                         for i, dossier in enumerate(transmitted)]
    session = JurySession.objects.get(pk=1)
    jury = [session.president, *session.members.order_by("pk")]
    cast["membre_jury"] = [(jury[i % len(jury)], {}) for i in range(CONCURRENCY)]
    cast["baseline"] = cast["auditeur"]
    return cast


def _login_specs(port, users):
    """For the log-in scenario: each connection's CSRF cookie and filled-in form."""
    import http.cookies
    import re
    import urllib.request

    from benchmarks.scale_data import PASSWORD

    specs = []
    for user, _ in users:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/compte/login/") as response:
            page = response.read().decode()
            jar = http.cookies.SimpleCookie()
            for header in response.headers.get_all("Set-Cookie"):
                jar.load(header)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": user.username,
                                       "password": PASSWORD})
        specs.append(("POST", "/compte/login/", f"csrftoken={jar['csrftoken'].value}", body))
    return specs


def _check(port, scenario, spec):
    """One request by hand: the expected status, and the page asked for."""
    import http.client

    method, path, cookie, body = spec
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    content = response.read().decode(errors="replace")
    connection.close()
    if response.status != scenario.expected:
        location = response.getheader("Location") or ""
        hint = (" ; données d'une version antérieure du générateur ? relancez "
                "manage.py generate_scale_data --reset sur la base du banc"
                if location.startswith("/compte/") else "")
        raise RuntimeError(f"{scenario.name} : {method} {path} a répondu {response.status} "
                           f"(attendu {scenario.expected}) {location}{hint}")
    if scenario.page_check and scenario.page_check not in content:
        raise RuntimeError(f"{scenario.name} : « {scenario.page_check} » absent de {path}")


def _wrk(port, specs, expected, duration, connections=CONCURRENCY, timeout=10):
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as handle:
        for method, path, cookie, body in specs:
            handle.write(f"{expected}\t{method}\t{path}\t{cookie}\t{body}\n")
        sessions_file = handle.name
    try:
        completed = subprocess.run(
            ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{duration}s",
             "--timeout", f"{timeout}s", "-s", str(LUA), f"http://127.0.0.1:{port}"],
            env={**os.environ, "D3_WRK_SESSIONS": sessions_file},
            capture_output=True, text=True, check=True,
        )
    finally:
        os.unlink(sessions_file)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("D3RESULT"))
    result = json.loads(line.removeprefix("D3RESULT "))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def explain_page(cookie, path):
    """The page's queries, each explained: count, slowest, sequential scans of big tables."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    name, _, value = cookie.partition("=")
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    report = {"queries": len(captured), "slowest_ms": 0.0, "slowest_sql": "",
              "seq_scans": []}
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            elapsed = plan["Execution Time"]
            if elapsed > report["slowest_ms"]:
                report["slowest_ms"], report["slowest_sql"] = elapsed, sql
            for node in _plan_nodes(plan["Plan"]):
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
                    report["seq_scans"].append(
                        f"{node['Relation Name']} ({elapsed:.0f} ms)")
    return report


# --- The run --------------------------------------------------------------------------


def machine():
    """What the figures were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} Gio"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()
    versions = {}
    for command, label in ((["psql", "--version"], "PostgreSQL (client)"),
                           (["redis-server", "--version"], "Redis"),
                           (["wrk", "--version"], "wrk")):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=10)
            versions[label] = (out.stdout or out.stderr).splitlines()[0].strip()
        except (OSError, IndexError, subprocess.TimeoutExpired):
            versions[label] = "absent"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory,
            "load": f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
            "python": platform.python_version(), **versions}


def run(*, duration=20, workers=5, log=print):
    """The whole load benchmark; returns its results (see :func:`markdown`)."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk est introuvable : apt-get install -y wrk (make bench le fait).")
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    started = time.monotonic()
    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = _env(database_url, redis_url, var_dir)
    _ensure_database(database_url)
    _manage(env, "migrate", "--no-input", "-v", "0", log=log)
    _setup_django(env)
    from django.db import connection

    from auditeurs.models import User

    if not User.objects.exists():
        log("  base vide : génération des données (graine 2026)…")
        _manage(env, "generate_scale_data", "--seed", "2026", log=log)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                       "version()")
        size, pg_version = cursor.fetchone()
    _manage(env, "collectstatic", "--no-input", "-v", "0", log=log)

    cast = _cast()
    cookies = {role: [_session_cookie(user) for user, _ in users]
               for role, users in cast.items()}
    port = _free_port()
    logs = var_dir / "logs"
    logs.mkdir(exist_ok=True)
    processes = []
    try:
        with open(logs / "gunicorn.log", "w") as gunicorn_log, \
                open(logs / "worker.log", "w") as worker_log:
            processes.append(subprocess.Popen(
                [str(ROOT / ".venv/bin/gunicorn"), "d3.wsgi", "--workers", str(workers),
                 "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
                cwd=ROOT, env=env, stdout=gunicorn_log, stderr=subprocess.STDOUT,
                start_new_session=True))
            processes.append(subprocess.Popen(
                [str(ROOT / ".venv/bin/celery"), "-A", "d3", "worker", "--concurrency", "1",
                 "--loglevel", "WARNING"],
                cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                start_new_session=True))
            _wait_for(port)
            login_specs = _login_specs(port, cast["auditeur"])
            for scenario in SCENARIOS:
                if scenario.role == "login":
                    specs = login_specs
                else:
                    specs = []
                    for (user, context), cookie in zip(cast[scenario.role],
                                                       cookies[scenario.role]):
                        path = scenario.path(context) if callable(scenario.path) \
                            else scenario.path
                        specs.append(("GET", path, cookie, ""))
                _check(port, scenario, specs[0])
                # A short warm-up: each gunicorn worker opens its connection, fills its
                # template cache.
                _wrk(port, specs, scenario.expected, 2)
                # A log-in costs a password hash (PBKDF2, 1,000,000 rounds: a good part of
                # a second of CPU each); it is measured longer to complete enough of them.
                # Its wait is measured up to 30 s (10 s for pages) rather than counted as
                # a socket error: 8 hashes at once queue on 2 cores.
                login = scenario.role == "login"
                length = max(duration, 30) if login else duration
                scenario.result = _wrk(port, specs, scenario.expected, length,
                                       timeout=30 if login else 10)
                # The same requests from one session alone: the page's own time, without
                # the queue that 8 sessions with no pause form on 2 cores.
                scenario.result["single"] = _wrk(port, specs[:1], scenario.expected,
                                                 max(5, length // 3), connections=1)
                if scenario.explain:
                    scenario.result["explain"] = explain_page(specs[0][2], specs[0][1])
                log(f"  {scenario.name:26} {scenario.result['rps']:7.1f} req/s  "
                    f"p95 {scenario.result['p95_ms']:7.1f} ms")
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
    counts = _data_counts()
    return {"machine": machine(), "database_size": size, "postgresql": pg_version,
            "counts": counts, "duration": duration, "workers": workers,
            "scenarios": SCENARIOS, "seconds": time.monotonic() - started}


def _data_counts():
    from django.db import connection

    tables = {"comptes": "auditeurs_user", "dossiers": "dossiers_dossier",
              "pièces (fichiers)": "dossiers_piecefile", "événements": "dossiers_event",
              "sessions de jury": "jury_jurysession", "décisions": "jury_decision",
              "courriers": "jury_courrier"}
    counts = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[label] = cursor.fetchone()[0]
    return counts


# --- Budgets and the report -----------------------------------------------------------


def _number(value, digits=1):
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def _single(result):
    single = result.get("single")
    if not single:
        return "—"
    return f"{_number(single['p50_ms'])} / {_number(single['p95_ms'])}"


def _errors(result):
    """Errors of a scenario; one that got no response at all in its time is one too."""
    errors = result["socket_errors"] + result["http_errors"] + result["unexpected"]
    return errors if result["requests"] else max(errors, 1)


def budgets(scenarios):
    """(budget, figures, met) for each rule of the issue."""
    by_name = {scenario.name: scenario.result for scenario in scenarios}
    baseline = max(by_name["baseline"]["rps"], by_name["baseline_fin"]["rps"])
    rules = []
    for name in ("auditeur_suivi", "auditeur_dossier"):
        result = by_name[name]
        ratio = result["rps"] / baseline
        rules.append((f"{name} : p95 ≤ 100 ms et débit ≥ 25 % de la référence",
                      f"p95 {_number(result['p95_ms'])} ms, {_number(100 * ratio, 0)} %",
                      result["p95_ms"] <= 100 and ratio >= 0.25))
    for name in ("centre_p1", "centre_p50", "centre_filtres", "dnf_p1", "dnf_p50"):
        result = by_name[name]
        rules.append((f"{name} : p95 ≤ 150 ms", f"{_number(result['p95_ms'])} ms",
                      result["p95_ms"] <= 150))
    for first, fiftieth in (("centre_p1", "centre_p50"), ("dnf_p1", "dnf_p50")):
        slower = by_name[fiftieth]["p95_ms"] / by_name[first]["p95_ms"] - 1
        rules.append((f"{fiftieth} au plus 20 % plus lente que la page 1 (p95)",
                      f"{_number(100 * slower, 0)} %", slower <= 0.20))
    for name in ("centre_recherche_nom", "centre_recherche_numero", "dnf_recherche_nom",
                 "dnf_recherche_numero"):
        result = by_name[name]
        rules.append((f"{name} : p95 < 150 ms", f"{_number(result['p95_ms'])} ms",
                      result["p95_ms"] < 150))
    errors = sum(_errors(result) for result in by_name.values())
    rules.append(("aucune erreur sous charge", f"{errors} erreur(s)", errors == 0))
    scans = [f"{s.name} : {', '.join(s.result['explain']['seq_scans'])}"
             for s in scenarios if s.explain and s.result["explain"]["seq_scans"]]
    rules.append(("chaque liste servie par un index (aucun Seq Scan d'une grande table)",
                  "; ".join(scans) or "aucun", not scans))
    return rules


def markdown(results):
    machine_info = results["machine"]
    scenarios = results["scenarios"]
    by_name = {scenario.name: scenario.result for scenario in scenarios}
    baseline = max(by_name["baseline"]["rps"], by_name["baseline_fin"]["rps"])
    lines = [
        "## Charge : pages de D3 sous 8 sessions simultanées",
        "",
        "Commande : `make bench` (ou `.venv/bin/python benchmarks/run.py load`) ; "
        "voir `benchmarks/load.py` pour le détail de la méthode.",
        "",
        f"- Machine : {machine_info['cpu']}, {machine_info['cores']} cœurs, "
        f"{machine_info['memory']} de mémoire ; charge moyenne au moment de la mesure "
        f"(1 / 5 / 15 min) : {machine_info['load']}.",
        f"- Logiciels : Python {machine_info['python']}, "
        f"{results['postgresql'].split(' on ')[0]}, {machine_info['Redis']}, "
        f"{machine_info['wrk']}.",
        f"- Serveur : gunicorn, {results['workers']} processus synchrones, réglages de "
        "production (DEBUG désactivé, gabarits en cache, connexions persistantes "
        "`DATABASE_CONN_MAX_AGE=600`), HTTP simple sur la boucle locale ; Redis pour le "
        "cache et le broker ; un worker Celery.",
        f"- Charge : wrk, {CONCURRENCY} connexions, chacune la session d'un utilisateur "
        f"différent (ou une session distincte du même), {results['duration']} s par "
        "scénario après 2 s de chauffe.",
        "- Données (`generate_scale_data --seed 2026`) : "
        + ", ".join(f"{_number(count, 0)} {label}" for label, count in results["counts"].items())
        + f" ; base de {results['database_size']}.",
        f"- Durée de l'ensemble : {_number(results['seconds'] / 60, 1)} min.",
        "",
        "| scénario | requêtes/s | rapport à la référence | p50 (ms) | p95 (ms) | p99 (ms) "
        "| erreurs | p50 / p95 d'une session seule (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario in scenarios:
        result = scenario.result
        errors = _errors(result)
        lines.append(
            f"| {scenario.label} | {_number(result['rps'])} | "
            f"{_number(result['rps'] / baseline, 2)} | {_number(result['p50_ms'])} | "
            f"{_number(result['p95_ms'])} | {_number(result['p99_ms'])} | {errors} | "
            f"{_single(result)} |")
    lines += [
        "",
        "La référence est la meilleure des deux mesures de `/bench/baseline/` (début et fin "
        "du passage). Erreurs : réponses 4xx/5xx, erreurs de socket, toute réponse d'un "
        "autre statut que celui attendu (200 ; 302 pour la connexion), et un scénario sans "
        "aucune réponse dans son temps ; une réponse au-delà de 10 s (30 s pour la connexion, "
        "mesurée 30 s au moins) compte comme erreur de socket.",
        "",
        "Les 8 sessions de wrk enchaînent leurs requêtes sans pause : le serveur est saturé "
        "en permanence et le temps de réponse y est surtout l'attente des autres requêtes "
        f"(loi de Little : {CONCURRENCY} requêtes en cours / débit). La dernière colonne "
        "donne le temps de la page elle-même, mesuré avec une seule session juste après.",
        "",
        "### Requêtes des pages de liste (EXPLAIN ANALYZE)",
        "",
        "| page | requêtes | la plus lente (ms) | parcours séquentiels de grandes tables |",
        "|---|---|---|---|",
    ]
    for scenario in scenarios:
        if not scenario.explain:
            continue
        explain = scenario.result["explain"]
        lines.append(f"| {scenario.label} | {explain['queries']} | "
                     f"{_number(explain['slowest_ms'])} | "
                     f"{', '.join(explain['seq_scans']) or 'aucun'} |")
    lines += ["", "### Objectifs", "", "| objectif | mesure | atteint |", "|---|---|---|"]
    for budget, figure, met in budgets(scenarios):
        lines.append(f"| {budget} | {figure} | {'oui' if met else '**non**'} |")
    return "\n".join(lines) + "\n"
