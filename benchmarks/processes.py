"""Real processes for the memory and job benchmarks: a database of their own, a Redis of
their own, gunicorn and Celery workers in production settings, a mail server that counts.

Used by ``upload_memory.py``, ``courriers_scale.py`` and ``courriels_throughput.py``.
Their database (``BENCH_JOBS_DATABASE_URL``, default ``d3_bench_jobs``) is **emptied**
at the start of each run (``manage.py flush``): never the load benchmark's ``d3_bench``,
whose hundred thousand generated accounts take minutes to make again, which is refused.
Redis is a ``redis-server`` started for the run on a free port and stopped after it: no
task left by another run, no one else's queue touched.
"""

import json
import os
import re
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import DEFAULT_DATABASE, _ensure_database, _env, _free_port  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_JOBS_DATABASE = "postgres://postgres@127.0.0.1:5432/d3_bench_jobs"
# The first line of a script's output that starts with this holds its figures.
JSON_PREFIX = "D3BENCH "


def database_url():
    url = os.environ.get("BENCH_JOBS_DATABASE_URL", DEFAULT_JOBS_DATABASE)
    name = urllib.parse.urlparse(url).path.lstrip("/")
    load_database = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    if name == urllib.parse.urlparse(load_database).path.lstrip("/"):
        raise SystemExit(f"Base {name} refusée : c'est celle du banc de charge, que ces "
                         "mesures videraient. Donnez une autre base dans "
                         "BENCH_JOBS_DATABASE_URL.")
    return url


# --- Memory of a process --------------------------------------------------------------


def memory_mib(pid):
    """``VmRSS`` (now) and ``VmHWM`` (peak since the process started) in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.MULTILINE)[1]) / 1024
              for key in ("VmRSS", "VmHWM")}
    return values


def cpu_seconds(pid):
    """User and system CPU time ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid):
    """The processes ``pid`` started (gunicorn's workers, a Celery pool's children)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def only_child(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while not (found := children(pid)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"le processus {pid} n'a pas démarré de processus fils")
        time.sleep(0.1)
    if len(found) != 1:
        raise RuntimeError(f"le processus {pid} a {len(found)} processus fils, un attendu")
    return found[0]


# --- The run's services ---------------------------------------------------------------


@contextmanager
def redis_server():
    """A ``redis-server`` of this run on a free port, without persistence; its URL."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="d3-bench-redis-") as workdir:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"redis://127.0.0.1:{port}/0"
            _wait(lambda: _answers(url), f"redis-server sur le port {port}", 10)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _answers(url):
    import redis

    try:
        with redis.Redis.from_url(url, socket_timeout=0.5) as client:
            return client.ping()
    except redis.RedisError:
        return False


def _wait(condition, what, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} : toujours pas prêt au bout de {timeout} s")
        time.sleep(0.1)


def environment(database, redis_url, var_dir, **extra):
    """Production settings (see ``benchmarks/load.py``) on this run's database and Redis."""
    return {**_env(database, redis_url, var_dir), "D3_LOG_LEVEL": "INFO",
            **{key: str(value) for key, value in extra.items()}}


def prepare_database(env):
    """Create and migrate the run's database, set Django up on it here, and empty it."""
    _ensure_database(env["DATABASE_URL"])
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    # Content types and permissions come back when first needed; recreating them all
    # here would only slow the run down.
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)


class Service:
    """A command in its own process group, its output in ``log_path``."""

    def __init__(self, command, env, log_path, ready=None):
        self.log_path = Path(log_path)
        self.ready = ready
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self):
        """Until ``ready(self)`` is true (a line in the log…); returns self."""
        if self.ready:
            _wait(lambda: self.ready(self) or self.process.poll() is not None,
                  f"{self.process.args[0]}", 120)
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args[0]} s'est arrêté au démarrage :\n"
                                   f"{self.log()}")
        return self

    @property
    def pid(self):
        return self.process.pid

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def celery_worker(env, log_path, name, concurrency=1):
    """``celery -A d3 worker`` with the production pool (prefork), starting: its
    ``wait_ready()`` returns once it takes tasks."""
    return Service(
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "d3", "worker", "--concurrency",
         str(concurrency), "--loglevel", "INFO", "-n", f"{name}@%h", "--without-gossip",
         "--without-mingle"],
        env, log_path, ready=lambda service: " ready." in service.log())


@contextmanager
def services():
    """Stops every :class:`Service` appended to the yielded list, whatever happens."""
    started = []
    try:
        yield started
    finally:
        for service in reversed(started):
            service.stop()


# --- A mail server that counts --------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def handle(self):
        self.reply("220 puits ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 puits")
            elif verb == b"DATA":
                self.reply("354 fin par <CRLF>.<CRLF>")
                message_id = None
                while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    if message_id is None and line[:11].lower() == b"message-id:":
                        message_id = line[11:].strip().decode()
                if not line:
                    return
                self.server.sink.received(message_id)
                self.reply("250 accepté")
            elif verb == b"QUIT":
                self.reply("221 au revoir")
                return
            else:
                self.reply("250 OK")

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    """A mail server in a thread of the benchmark, counting messages by ``Message-ID``."""

    def __init__(self):
        self.port = _free_port()
        self.counts = {}
        self.first_at = self.last_at = None
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", self.port), _SmtpHandler)
        self._server.sink = self

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def received(self, message_id):
        with self._lock:
            self.counts[message_id] = self.counts.get(message_id, 0) + 1
            self.last_at = time.monotonic()
            self.first_at = self.first_at or self.last_at

    @property
    def messages(self):
        with self._lock:
            return sum(self.counts.values())

    @property
    def distinct(self):
        with self._lock:
            return len(self.counts)

    @property
    def duplicates(self):
        """Messages received more than once: each extra copy counts."""
        with self._lock:
            return sum(count - 1 for count in self.counts.values())


# --- What a script prints, what the orchestrator reads --------------------------------


# How each section says where it ran.
ON_ITS_OWN = ("sur une base PostgreSQL propre à ces mesures (`BENCH_JOBS_DATABASE_URL`, par "
              "défaut `d3_bench_jobs`, vidée au début ; jamais `d3_bench`) et un Redis lancé "
              "pour la mesure")


def machine_load():
    """The load average (1 min) and the cores: the benchmarks ran on a shared machine."""
    return {"load_1min": round(os.getloadavg()[0], 1), "cores": os.cpu_count()}


def load_sentence(results):
    load = results.get("machine_load") or {}
    # The load says whether something else shared the machine: the bench's own
    # processes (web or workers, PostgreSQL, Redis) keep it near the number of cores.
    return (f"Machine : {load.get('cores', '?')} cœurs, charge moyenne de "
            f"{str(load.get('load_1min', '?')).replace('.', ',')} à la fin de la mesure "
            "(processus du banc compris).")


def print_results(results):
    print(JSON_PREFIX + json.dumps(results, ensure_ascii=False), flush=True)


def report(results, check):
    """Print the figures; with ``check``, exit with status 1 if a budget was missed."""
    print_results(results)
    if check and not results["met"]:
        sys.exit(1)


@contextmanager
def mail_run(prefix, **settings):
    """A run whose Celery workers send courriels to a :class:`SmtpSink`: its own folder,
    Redis and database (emptied), and the list its services go in to be stopped.
    Yields ``(env, sink, running, var_dir)``."""
    with tempfile.TemporaryDirectory(prefix=prefix) as var_dir, redis_server() as redis_url, \
            SmtpSink() as sink, services() as running:
        env = environment(database_url(), redis_url, var_dir, EMAIL_HOST="127.0.0.1",
                          EMAIL_PORT=sink.port, **settings)
        prepare_database(env)
        yield env, sink, running, Path(var_dir)


def run_script(script, *args):
    """Run ``benchmarks/<script>`` in its own process (Django set up on its own database)
    and return the figures it printed."""
    completed = subprocess.run([str(PYTHON), str(ROOT / "benchmarks" / script), *args],
                               cwd=ROOT, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if line.startswith(JSON_PREFIX):
            return json.loads(line.removeprefix(JSON_PREFIX))
    raise RuntimeError(f"{script} n'a pas donné de résultats (code {completed.returncode}) :"
                       f"\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")

