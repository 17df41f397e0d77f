"""The jury's actions when two people or two workers act at once (PostgreSQL): one
letter and one courriel per courrier, one decision never silently overwritten, no
decision slipped into a session being closed."""

import datetime
import threading
import time
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine

from d3.courriels.models import Courriel
from dossiers import workflow
from dossiers.models import Event
from dossiers.workflow import TransitionError
from jury import decisions, sessions, tasks
from jury.models import Courrier, CourrierStatus, Decision
from tests.concurrency import requires_postgresql, run_in_threads
from tests.jury.factories import (
    CourrierFactory,
    JurySessionFactory,
    SessionDossierFactory,
)

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
JURY_DATE = datetime.date(2027, 1, 31)


@pytest.fixture
def on_the_day():
    with time_machine.travel(datetime.datetime(2027, 2, 28, 9, tzinfo=PARIS)):
        yield


@pytest.fixture
def closed_session(db):
    return JurySessionFactory(closed=True, date=JURY_DATE)


def stored_letters(settings):
    folder = settings.MEDIA_ROOT / "courriers"
    return list(folder.iterdir()) if folder.exists() else []


def slowly(function, seconds=0.5):
    def slow(*args, **kwargs):
        time.sleep(seconds)
        return function(*args, **kwargs)
    return slow


def test_two_workers_sending_the_same_courrier_make_one_letter_and_one_courriel(
    closed_session, on_the_day, settings
):
    courrier = CourrierFactory(dossier__session=closed_session)
    barrier = threading.Barrier(2, timeout=10)

    def worker():
        barrier.wait()
        return tasks.send_courrier(courrier.pk)

    # The first worker is still rendering when the second one tries to claim.
    with mock.patch.object(tasks, "render_courrier_pdf",
                           slowly(tasks.render_courrier_pdf)):
        outcomes = run_in_threads(worker)

    assert outcomes == [tasks.BUSY, tasks.SENT]
    assert len(stored_letters(settings)) == 1
    assert Courriel.objects.count() == 1
    assert Event.objects.filter(action="send_letter").count() == 1
    assert Courrier.objects.get().status == CourrierStatus.ENVOYE


def test_two_workers_sending_a_stored_letter_send_it_once(closed_session, on_the_day):
    # Rendered by an earlier attempt that failed afterwards: both go straight to sending.
    courrier = CourrierFactory(dossier__session=closed_session,
                               storage_key="courriers/deja-rendu.pdf")
    barrier = threading.Barrier(2, timeout=10)

    def worker():
        barrier.wait()
        return tasks.send_courrier(courrier.pk)

    # The first one holds the courrier's lock a while; the second waits, then sees it sent.
    with mock.patch.object(workflow, "send_letter", slowly(workflow.send_letter)):
        outcomes = run_in_threads(worker)

    assert outcomes == [tasks.NOTHING_TO_DO, tasks.SENT]
    assert Courriel.objects.count() == 1
    assert Event.objects.filter(action="send_letter").count() == 1


def test_the_periodic_task_run_by_two_workers_sends_each_courrier_once(
    closed_session, on_the_day, settings
):
    CourrierFactory.create_batch(3, dossier__session=closed_session)
    barrier = threading.Barrier(2, timeout=10)

    def beat():
        barrier.wait()
        return tasks.send_due_courriers()

    outcomes = run_in_threads(beat, timeout=120)

    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert set(Courrier.objects.values_list("status", flat=True)) == {CourrierStatus.ENVOYE}
    assert len(stored_letters(settings)) == 3
    assert Courriel.objects.count() == 3
    assert Event.objects.filter(action="send_letter").count() == 3


def test_two_members_deciding_at_once_one_is_told_the_decision_changed(
    session, president, membre_jury
):
    dossier = SessionDossierFactory(session=session)
    members = [president, membre_jury]
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=10)

    def decide():
        with lock:
            member = members.pop()
        barrier.wait()
        decision = decisions.record_decision(
            dossier.pk, user=member, expected_version=None, cursus_valide=True,
            aep_outcome="validee", dd_outcome="delivre",
        )
        return f"enregistrée (version {decision.version})"

    outcomes = run_in_threads(decide, refusals=(TransitionError,))

    assert outcomes[1] == "enregistrée (version 1)"
    assert outcomes[0].startswith("La décision a été modifiée par ")
    assert Decision.objects.get().version == 1
    assert Event.objects.filter(action="record_decision").count() == 1


def test_a_correction_and_the_closing_at_once(session, president, agent_dnf):
    decided = SessionDossierFactory(session=session, decided=True)
    barrier = threading.Barrier(2, timeout=10)

    def correct():
        barrier.wait()
        decisions.record_decision(
            decided.pk, user=president, expected_version=1, cursus_valide=False,
            aep_outcome="non_validee", dd_outcome="refuse", motive="Relecture du dossier.",
        )
        return "corrigée"

    def close():
        barrier.wait()
        sessions.close_session(session.pk, user=agent_dnf)
        return "close"

    actions = [correct, close]
    lock = threading.Lock()

    def one_of_them():
        with lock:
            action = actions.pop()
        return action()

    outcomes = run_in_threads(one_of_them, refusals=(TransitionError,))

    assert "close" in outcomes
    decision = Decision.objects.get()
    if "corrigée" in outcomes:
        # The correction came first; the courrier was programmed with it.
        assert decision.version == 2
    else:
        assert decision.version == 1
        assert decisions.SESSION_CLOSED in outcomes
    assert Courrier.objects.count() == 1
