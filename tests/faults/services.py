"""Real services the fault tests break on purpose: a Redis of their own, a mail server
(a tiny SMTP sink), Celery workers in their own processes.

Each test gets its own ``redis-server`` on a free port, so that stopping it, freezing
it (SIGSTOP: the server keeps its connections open but answers nothing, as a broker
behind a cut network) or restarting it touches no one else. The SMTP sink counts the
messages it accepted, by ``Message-ID``; it can refuse connections (nothing listens on
its port) or stall in ``DATA`` until the client goes away, never accepting the message.
"""

import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import redis

TIMEOUT = 60  # seconds: the longest a test waits for a worker


def require(available, what):
    """Skip locally without the service; in CI (``CI`` set) the test fails instead."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} : obligatoire en CI.")
    pytest.skip(what)


def free_port():
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, what, *, timeout=TIMEOUT, on_timeout=lambda: ""):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} : toujours pas au bout de {timeout} s.\n{on_timeout()}")
        time.sleep(0.1)


# --- Redis ------------------------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` of the test's own, on a free port, without persistence."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, f"redis-server sur le port {self.port}", timeout=10)

    def answers(self):
        try:
            with redis.Redis.from_url(self.url, socket_timeout=0.5) as client:
                return client.ping()
        except redis.RedisError:
            return False

    def stop(self):
        """Stopped: every connection is closed, new ones are refused."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot stop
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self):
        """Still accepting TCP connections (the kernel does), answering nothing."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)


# --- SMTP sink --------------------------------------------------------------------------


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        sink = self.server.sink
        self.reply("220 puits-smtp ESMTP")
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 puits-smtp")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 Fin par <CRLF>.<CRLF>")
                message = self._read_data()
                if message is None:
                    return
                if sink.stalling.is_set():
                    sink.stalled.set()
                    # Never accepted: the client dies waiting (the test kills it).
                    self.rfile.read()
                    return
                sink.accept(message)
                self.reply("250 Accepté")
            elif verb == "QUIT":
                self.reply("221 Au revoir")
                return
            else:
                self.reply("502 Commande inconnue")

    def _read_data(self):
        lines = []
        while line := self.rfile.readline():
            if line in (b".\r\n", b".\n"):
                return b"".join(lines).decode("utf-8", "replace")
            lines.append(line[1:] if line.startswith(b"..") else line)
        return None


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    """A mail server in a thread of the test: ``messages`` holds what it accepted."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.stalling = threading.Event()
        self.stalled = threading.Event()
        self.server = None

    def start(self):
        self.server = _Server(("127.0.0.1", self.port), _SmtpHandler)
        self.server.sink = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        """Connections refused from now on, as a mail server that is down."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accept(self, message):
        with self.lock:
            self.messages.append(message)

    def message_ids(self):
        with self.lock:
            return [re.search(r"^Message-ID: (\S+)", message, re.MULTILINE | re.IGNORECASE)[1]
                    for message in self.messages]


# --- Celery -----------------------------------------------------------------------------


class Worker:
    """``celery worker`` in its own process, on the test's Redis and database: the solo
    pool (one process, killed whole) or production's prefork pool (one child).

    Its settings are ``tests.faults.worker_settings``: the test settings, with real SMTP
    to the sink and the short leases given in ``env``.
    """

    def __init__(self, broker_url, log_path, env):
        self.broker_url = broker_url
        self.log_path = log_path
        self.env = env
        self.process = None

    def start(self, pool="solo", **extra_env):
        from django.conf import settings

        database = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
            "DATABASE_URL": (f"postgres://{database['USER']}:{database['PASSWORD']}"
                             f"@{database['HOST']}:{database['PORT']}/{database['NAME']}"),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **self.env,
            **extra_env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "d3", "worker", f"--pool={pool}",
            "--concurrency=1", "--loglevel=INFO", "-n", f"faults-{os.getpid()}-{time.monotonic_ns()}@%h",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ]
        # One log for all the worker's lives: this one is ready at the next "ready.".
        lives = self.log().count(" ready.")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.log().count(" ready.") > lives
                   or self.process.poll() is not None,
                   "démarrage du worker", on_timeout=self.log)
        if self.process.poll() is not None:
            pytest.fail(f"Le worker s'est arrêté au démarrage :\n{self.log()}")

    def kill_child(self):
        """SIGKILL to the prefork pool's child, as the kernel's OOM killer would."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)],
                                  capture_output=True, text=True).stdout.split()
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGKILL)

    def kill(self):
        """SIGKILL: no warm shutdown, no acknowledgement, no clean-up."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log(self):
        path = Path(self.log_path)
        return path.read_text(errors="replace") if path.exists() else ""

    def succeeded(self, task_name):
        """How many ``task_name`` tasks the worker (all its lives) finished."""
        return len(re.findall(rf"Task {re.escape(task_name)}\[\S+\] succeeded", self.log()))
