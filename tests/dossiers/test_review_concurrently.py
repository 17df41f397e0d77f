"""The centre's review when two people act at once: the dossier's row lock serialises
them, the second one sees what the first one left and gets a clear message; nothing is
applied twice and no courriel is sent twice."""

import threading
import time

import pytest
from django.db import connection

from auditeurs.models import Role
from d3.courriels.models import Courriel
from dossiers import workflow
from dossiers.models import Dossier, Event, PieceStatus, State
from dossiers.workflow import TransitionError
from tests.concurrency import requires_postgresql, run_in_threads
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import StaffFactory

S = State

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def colleague(centre):
    return StaffFactory(username="nadia.simon", first_name="Nadia", last_name="Simon",
                        role=Role.GESTIONNAIRE, centres=[centre])


def one_each(*items):
    """Hands each thread its own item (the threads run the same function)."""
    items = list(items)
    lock = threading.Lock()

    def pop():
        with lock:
            return items.pop()

    return pop


def test_two_gestionnaires_taking_at_once_take_it_once(auditeur, gestionnaire, colleague):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    barrier = threading.Barrier(2, timeout=10)
    next_user = one_each(gestionnaire, colleague)

    def take():
        user = next_user()
        barrier.wait()
        workflow.take(dossier.pk, user=user)
        return f"taken by {user.username}"

    outcomes = run_in_threads(take, refusals=(TransitionError,))

    dossier.refresh_from_db()
    assert dossier.state == S.EN_CONTROLE
    winner = dossier.owner
    loser_message = f"Ce dossier est déjà pris en charge par {winner.get_full_name()}."
    assert outcomes == sorted([f"taken by {winner.username}", loser_message])
    event = Event.objects.get(dossier=dossier)
    assert (event.action, event.actor) == ("take", winner)
    assert not Courriel.objects.exists()


def test_taking_while_the_auditeur_withdraws_applies_each_at_most_once(auditeur,
                                                                      gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    barrier = threading.Barrier(2, timeout=10)
    next_actor = one_each("auditeur", "gestionnaire")

    def act():
        actor = next_actor()
        barrier.wait()
        if actor == "auditeur":
            workflow.withdraw(dossier.pk, user=auditeur)
            return "withdrawn"
        workflow.take(dossier.pk, user=gestionnaire)
        return "taken"

    outcomes = run_in_threads(act, refusals=(TransitionError,))

    dossier.refresh_from_db()
    # The auditeur may withdraw a dossier in control: whatever the order, it ends
    # withdrawn. Either the take came first and both apply, one after the other, or
    # the withdrawal came first and the take is refused.
    assert dossier.state == S.RETIRE
    history = [(e.action, e.from_state, e.to_state)
               for e in Event.objects.filter(dossier=dossier).order_by("pk")]
    if outcomes == ["taken", "withdrawn"]:
        assert history == [("take", S.DEPOSE, S.EN_CONTROLE),
                           ("withdraw", S.EN_CONTROLE, S.RETIRE)]
    else:
        assert outcomes == sorted([
            "withdrawn",
            "Ce dossier a été retiré par l'auditeur : il n'y a plus rien à contrôler.",
        ])
        assert history == [("withdraw", S.DEPOSE, S.RETIRE)]
    assert [c.template for c in Courriel.objects.all()] == ["dossier_retire"]


def _wait_for_a_lock_waiter(timeout=10):
    """Return once another backend waits for a row lock (the holder calls this)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Activity statistics are a snapshot per transaction: refresh them.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_take_waiting_for_a_withdrawal_is_refused(auditeur, gestionnaire, monkeypatch):
    """The withdrawal holds the lock while the take starts: exactly one transition
    wins, one event, one courriel."""
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    lock_held = threading.Event()
    saw_waiter = []
    queue_to_auditeur = workflow._queue_to_auditeur

    def queue_while_the_take_waits(*args, **kwargs):
        # Inside the withdrawal's transaction, the row locked: let the take start
        # and wait until it is blocked on this lock.
        lock_held.set()
        saw_waiter.append(_wait_for_a_lock_waiter())
        return queue_to_auditeur(*args, **kwargs)

    monkeypatch.setattr(workflow, "_queue_to_auditeur", queue_while_the_take_waits)
    next_actor = one_each("auditeur", "gestionnaire")

    def act():
        if next_actor() == "auditeur":
            workflow.withdraw(dossier.pk, user=auditeur)
            return "withdrawn"
        assert lock_held.wait(timeout=10)
        workflow.take(dossier.pk, user=gestionnaire)
        return "taken"

    outcomes = run_in_threads(act, refusals=(TransitionError,))

    assert saw_waiter == [True]
    assert outcomes == sorted([
        "withdrawn", "Ce dossier a été retiré par l'auditeur : il n'y a plus rien à contrôler.",
    ])
    dossier.refresh_from_db()
    assert (dossier.state, dossier.owner) == (S.RETIRE, None)
    assert list(Event.objects.filter(dossier=dossier).values_list("action", flat=True)) == [
        "withdraw",
    ]
    assert Courriel.objects.count() == 1


@pytest.fixture
def in_control(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)
    PieceFactory(dossier=dossier, deposee=True, status=PieceStatus.ERRONEE,
                 comment="La copie est illisible.")
    return dossier


def test_asking_for_corrections_twice_at_once_sends_one_courriel(in_control, gestionnaire):
    barrier = threading.Barrier(2, timeout=10)

    def ask():
        barrier.wait()
        workflow.ask_corrections(in_control.pk, user=gestionnaire)
        return "asked"

    outcomes = run_in_threads(ask, refusals=(TransitionError,))

    assert outcomes == ["Les corrections ont déjà été demandées à l'auditeur.", "asked"]
    in_control.refresh_from_db()
    assert (in_control.state, in_control.correction_round) == (S.A_COMPLETER, 1)
    assert Event.objects.filter(dossier=in_control, action="ask_corrections").count() == 1
    assert [c.template for c in Courriel.objects.all()] == ["corrections_demandees"]


def test_two_gestionnaires_asking_for_corrections_at_once_send_one_courriel(
    in_control, gestionnaire, colleague
):
    """The owner asks while a colleague takes the dossier over to ask too: whoever
    the lock lets through first, the corrections are asked once."""
    barrier = threading.Barrier(2, timeout=10)
    next_user = one_each(gestionnaire, colleague)

    def ask():
        user = next_user()
        barrier.wait()
        if user == colleague:
            workflow.take_over(in_control.pk, user=colleague)
        workflow.ask_corrections(in_control.pk, user=user)
        return f"asked by {user.username}"

    outcomes = run_in_threads(ask, refusals=(TransitionError,))

    in_control.refresh_from_db()
    assert (in_control.state, in_control.correction_round) == (S.A_COMPLETER, 1)
    asked = Event.objects.get(dossier=in_control, action="ask_corrections")
    assert f"asked by {asked.actor.username}" in outcomes
    refusal = next(o for o in outcomes if not o.startswith("asked by"))
    assert refusal in {
        # The owner waited for the take-over, then was no longer the owner.
        "Prenez d'abord ce dossier en charge.",
        # The colleague's take-over waited for the owner's request of corrections.
        "Seul un dossier en cours de contrôle peut être repris ; celui-ci est "
        "« À compléter ».",
    }
    assert [c.template for c in Courriel.objects.all()] == ["corrections_demandees"]
    assert Dossier.objects.get(pk=in_control.pk).owner == asked.actor
