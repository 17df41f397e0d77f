"""Redis, the Celery broker, stopped or frozen while people use D3.

Auditeurs sign, a gestionnaire asks for corrections, the DNF closes a jury session whose
courriers are due at once: each of them is answered at once, the change saved. Every
courriel waits in the outbox and every courrier stays programmed; once Redis is back,
the periodic sweeps (queued here as beat queues them) hand them to a real worker and
each courriel reaches the mail server exactly once.

Two kinds of outage: Redis stopped (connections refused: a publish fails at once) and
Redis frozen (SIGSTOP: connections accepted, nothing answered, as a broker behind a cut
network). Frozen is the one that used to hang a request forever: kombu's default socket
timeout is none. Now a request waits at most for one CELERY_BROKER_TIMEOUT.
"""

import datetime
import threading
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import d3.celery
from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import resend_pending
from dossiers.models import Dossier, Piece, PieceStatus, State
from jury import tasks
from jury.models import Courrier, CourrierStatus
from tests.concurrency import requires_postgresql
from tests.dossiers.factories import DossierFactory
from tests.factories import PASSWORD
from tests.faults.services import wait_until
from tests.jury.factories import JurySessionFactory, SessionDossierFactory

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

SIGNATURES = 5
COURRIERS = 3


def timed_post(user, url, data):
    client = Client()
    client.force_login(user)
    started = time.monotonic()
    response = client.post(url, data)
    elapsed = time.monotonic() - started
    assert response.status_code == 302, response.content.decode()[:2000]
    return elapsed


def sign(dossier):
    return timed_post(dossier.auditeur, reverse("dossiers:sign", args=[dossier.pk]),
                      {"password": PASSWORD, "sworn": "on"})


@pytest.fixture
def publishing(monkeypatch):
    """The seconds each publish from a request spent on the broker, in order."""
    durations = []

    def timed(task, *args, **kwargs):
        started = time.monotonic()
        try:
            return d3.celery.publish(task, *args, **kwargs)
        finally:
            durations.append(time.monotonic() - started)

    monkeypatch.setattr("d3.courriels.tasks.publish", timed)
    monkeypatch.setattr("jury.tasks.publish", timed)
    return durations


def run_sweep(worker, task):
    """Queue a periodic task, as beat does, and wait until the worker has run it."""
    done = worker.succeeded(task.name)
    task.delay()
    wait_until(lambda: worker.succeeded(task.name) > done, f"tâche {task.name}",
               on_timeout=worker.log)


def test_redis_down_nobody_waits_and_every_courriel_goes_out_once_when_it_is_back(
    broker, worker, smtp_sink, publishing, auditeur, gestionnaire, agent_dnf, membre_jury,
    capsys,
):
    signing = [DossierFactory(signable=True, auditeur__profile__auditeur_number=f"SIG{n:06d}")
               for n in range(SIGNATURES + 2)]
    to_correct = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire,
                                signable=True)
    Piece.objects.filter(dossier=to_correct).update(status=PieceStatus.ERRONEE,
                                                    comment="Copie illisible.")
    session = JurySessionFactory(date=timezone.localdate() - datetime.timedelta(days=40),
                                 president=membre_jury)
    for _ in range(COURRIERS):
        SessionDossierFactory(session=session, decided=True)
    worker.start()
    # Redis up: a signature as usual (the first one of the process also loads WeasyPrint).
    baseline = sign(signing.pop(0))
    wait_until(lambda: len(smtp_sink.message_ids()) == Courriel.objects.count() > 0,
               "courriel de la signature témoin", on_timeout=worker.log)
    publishing.clear()

    # --- Redis stopped: connections refused ----------------------------------------
    broker.stop()
    stopped = [sign(dossier) for dossier in signing[:SIGNATURES]]
    stopped.append(timed_post(
        gestionnaire, reverse("dossiers:centre_ask_corrections", args=[to_correct.pk]),
        {"deadline": timezone.localdate() + datetime.timedelta(days=20)}))
    stopped_publishes, publishing[:] = list(publishing), []

    # --- Redis frozen: connections accepted, nothing answered ---------------------------
    broker.start()
    broker.freeze()
    # Should a publish hang (no socket timeout), thawing Redis turns the hang into a
    # failed assertion on the time it took, rather than a suite that never ends.
    watchdog = threading.Timer(20, broker.thaw)
    watchdog.start()
    # As in a web process that has not met the outage yet: its first publish waits for
    # the broker's timeout, the next ones (the other courriers) are not even tried.
    d3.celery._broker_down_until = 0.0
    frozen = [timed_post(agent_dnf, reverse("jury:dnf_session_close", args=[session.pk]),
                         {})]
    d3.celery._broker_down_until = 0.0
    frozen.append(sign(signing[-1]))
    frozen_publishes = list(publishing)
    # The load balancer's probe says so, within its own bound, instead of hanging.
    started = time.monotonic()
    probe = Client().get(reverse("health"))
    probe_seconds = time.monotonic() - started
    watchdog.cancel()
    assert (probe.status_code, probe.json()["checks"]["broker"]) == (503, "erreur")
    assert probe_seconds < settings.CELERY_BROKER_TIMEOUT + 1.5, probe_seconds

    # Every change is saved, nothing has gone out.
    assert all(Dossier.objects.get(pk=dossier.pk).state == State.DEPOSE
               for dossier in signing)
    assert Dossier.objects.get(pk=to_correct.pk).state == State.A_COMPLETER
    assert Courrier.objects.filter(status=CourrierStatus.PROGRAMME).count() == COURRIERS
    assert Courriel.objects.filter(status=Status.SENT).count() == 1  # the baseline's
    waiting = Courriel.objects.filter(status=Status.PENDING).count()
    assert waiting >= SIGNATURES + 2
    assert len(smtp_sink.message_ids()) == 1
    # Quickly: a refused connection costs next to nothing; a frozen broker one timeout
    # per request at most (the session's three courriers: one timeout, not three).
    assert len(stopped_publishes) == waiting - 1
    assert max(stopped_publishes) < 1, stopped_publishes
    assert len(frozen_publishes) == COURRIERS + 1
    timeout = settings.CELERY_BROKER_TIMEOUT
    assert timeout - 0.5 < frozen_publishes[0] < timeout + 1.5, frozen_publishes
    assert sum(frozen_publishes[1:COURRIERS]) < 0.1, frozen_publishes
    assert max(frozen) < max(baseline, *stopped) + timeout + 1.5, (baseline, stopped, frozen)

    # --- Redis back: beat's sweeps queue what waited, the worker sends it -----------
    broker.thaw()
    run_sweep(worker, tasks.send_due_courriers)
    wait_until(lambda: not Courrier.objects.exclude(status=CourrierStatus.ENVOYE).exists(),
               "courriers envoyés", on_timeout=worker.log)
    run_sweep(worker, resend_pending)
    expected = 1 + waiting + COURRIERS  # each courrier's courriel, written when it went out
    wait_until(lambda: len(smtp_sink.message_ids()) >= expected, "courriels reçus",
               on_timeout=worker.log)
    # The next sweeps find nothing left to send.
    run_sweep(worker, resend_pending)
    run_sweep(worker, tasks.send_due_courriers)

    received = smtp_sink.message_ids()
    rows = list(Courriel.objects.values_list("pk", "status"))
    assert len(rows) == expected
    assert {status for _, status in rows} == {Status.SENT}
    assert sorted(received) == sorted(f"<courriel-{pk}@localhost>" for pk, _ in rows)
    lost = len({f"<courriel-{pk}@localhost>" for pk, _ in rows} - set(received))
    with capsys.disabled():
        print(f"\nRedis arrêté puis figé pendant {SIGNATURES + 1} signatures, une demande "
              f"de corrections et la clôture d'une session de {COURRIERS} courriers : "
              f"{len(rows) - 1} courriels en attente, {len(received) - 1} reçus au retour, "
              f"{lost} perdu, {len(received) - len(set(received))} en double. Attente du "
              f"broker par requête : au plus {max(stopped_publishes):.3f} s Redis arrêté, "
              f"{frozen_publishes[0]:.2f} s Redis figé (CELERY_BROKER_TIMEOUT={timeout} s). "
              f"Requêtes : signature témoin {baseline:.2f} s, au plus {max(stopped):.2f} s "
              f"(arrêté), {max(frozen):.2f} s (figé) ; /sante/ en 503 en {probe_seconds:.2f} s "
              f"(figé).")
