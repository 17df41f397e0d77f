"""A Celery worker killed (SIGKILL) in the middle of its work: while the mail server
is receiving a courriel, while a courrier's letter is being rendered. After a restart,
once the dead worker's lease has lapsed, the periodic sweep retakes the row: the
courriel is sent once, the courrier rendered, stored and sent once."""

import datetime
import time
from pathlib import Path

import pytest
from django.utils import timezone

from d3.courriels.models import Courriel, Status
from d3.courriels.tasks import deliver, resend_pending
from dossiers.models import Event
from jury import tasks
from jury.models import Courrier, CourrierStatus
from tests.concurrency import requires_postgresql
from tests.courriels.factories import CourrielFactory
from tests.faults.services import wait_until
from tests.jury.factories import CourrierFactory, JurySessionFactory

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

RESEND = "d3.courriels.tasks.resend_pending"
SEND_DUE = "jury.tasks.send_due_courriers"


def run_sweep(worker, task):
    """Queue a periodic task, as beat does, and wait until the worker has run it."""
    done = worker.succeeded(task.name)
    task.delay()
    wait_until(lambda: worker.succeeded(task.name) > done, f"tâche {task.name}",
               on_timeout=worker.log)


def wait_for_lease_to_lapse(claimed_until):
    time.sleep(max(0.0, (claimed_until - timezone.now()).total_seconds()) + 0.2)


def test_a_worker_killed_while_the_mail_server_receives_the_courriel(worker, smtp_sink):
    courriel = CourrielFactory()
    worker.start()
    smtp_sink.stalling.set()
    deliver.delay(courriel.pk)
    assert smtp_sink.stalled.wait(30), worker.log()

    worker.kill()

    # Mid-sending: the row is the dead worker's until its lease lapses, nothing sent.
    killed = Courriel.objects.get(pk=courriel.pk)
    assert (killed.status, killed.attempts, killed.sent_at) == (Status.PENDING, 0, None)
    assert killed.claimed_until > timezone.now()
    assert resend_pending() == 0  # the sweep, now: the lease still runs, left alone
    assert smtp_sink.message_ids() == []

    smtp_sink.stalling.clear()
    worker.start()
    wait_for_lease_to_lapse(killed.claimed_until)
    run_sweep(worker, resend_pending)
    wait_until(lambda: Courriel.objects.get(pk=courriel.pk).status == Status.SENT,
               "courriel envoyé après la reprise", on_timeout=worker.log)
    run_sweep(worker, resend_pending)  # and again, as the next minute's sweep would

    assert smtp_sink.message_ids() == [f"<courriel-{courriel.pk}@localhost>"]
    sent = Courriel.objects.get(pk=courriel.pk)
    assert (sent.attempts, sent.claimed_until, sent.claim_token) == (1, None, "")


def test_a_prefork_child_killed_while_the_mail_server_receives_the_courriel(worker,
                                                                           smtp_sink):
    """Production's pool: the parent sees its child die and gives the task back to the
    broker (CELERY_TASK_REJECT_ON_WORKER_LOST); the new child gets it at once, finds the
    dead child's lease running and leaves the courriel to the sweep."""
    courriel = CourrielFactory()
    worker.start(pool="prefork")
    smtp_sink.stalling.set()
    deliver.delay(courriel.pk)
    assert smtp_sink.stalled.wait(30), worker.log()

    worker.kill_child()
    smtp_sink.stalling.clear()
    wait_until(lambda: worker.succeeded(deliver.name) == 1, "tâche rendue puis reprise",
               on_timeout=worker.log)
    assert "WorkerLostError" in worker.log()
    killed = Courriel.objects.get(pk=courriel.pk)
    assert (killed.status, killed.sent_at) == (Status.PENDING, None)
    assert smtp_sink.message_ids() == []

    wait_for_lease_to_lapse(killed.claimed_until)
    run_sweep(worker, resend_pending)
    wait_until(lambda: Courriel.objects.get(pk=courriel.pk).status == Status.SENT,
               "courriel envoyé après le bail", on_timeout=worker.log)
    run_sweep(worker, resend_pending)

    assert smtp_sink.message_ids() == [f"<courriel-{courriel.pk}@localhost>"]


def test_a_worker_killed_while_rendering_a_courrier(worker, smtp_sink, settings, tmp_path):
    session = JurySessionFactory(closed=True,
                                 date=timezone.localdate() - datetime.timedelta(days=40))
    courrier = CourrierFactory(dossier__session=session)
    assert courrier.due_on <= timezone.localdate()
    marker = tmp_path / "rendering"
    worker.start(D3_TEST_STALL_RENDER=str(marker))

    run_sweep(worker, tasks.send_due_courriers)
    wait_until(marker.exists, "rendu du courrier commencé", on_timeout=worker.log)
    worker.kill()

    killed = Courrier.objects.get(pk=courrier.pk)
    assert (killed.status, killed.storage_key, killed.attempts) == (
        CourrierStatus.PROGRAMME, "", 0)
    assert killed.claimed_until > timezone.now()
    assert tasks.send_due_courriers() == 0  # the sweep, now: the lease still runs

    worker.start()  # without the stall this time
    wait_for_lease_to_lapse(killed.claimed_until)
    run_sweep(worker, tasks.send_due_courriers)
    wait_until(lambda: len(smtp_sink.message_ids()) == 1, "courriel du courrier reçu",
               on_timeout=worker.log)
    run_sweep(worker, tasks.send_due_courriers)
    run_sweep(worker, resend_pending)

    sent = Courrier.objects.get(pk=courrier.pk)
    assert (sent.status, sent.attempts, sent.claimed_until) == (
        CourrierStatus.ENVOYE, 0, None)
    letters = sorted(Path(settings.MEDIA_ROOT, "courriers").iterdir())
    assert letters == [Path(settings.MEDIA_ROOT, sent.storage_key)]
    assert Event.objects.filter(dossier=courrier.dossier_id, action="send_letter").count() == 1
    [courriel] = Courriel.objects.filter(template="courrier_envoye")
    assert smtp_sink.message_ids() == [f"<courriel-{courriel.pk}@localhost>"]
