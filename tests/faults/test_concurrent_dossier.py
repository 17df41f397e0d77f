"""Twenty simultaneous requests on one dossier, through the real views: the auditeur
signs (with the password) and withdraws, a gestionnaire takes it in charge, all at once.

Whatever the order PostgreSQL gives them: no server error, the history is one chain of
legal transitions from the initial state to the final one, each courriel is queued once
per transition that sends it, and there is at most one signature per round.
"""

import threading
import time
from collections import Counter

import pytest
from django.core import mail
from django.db import connection, connections
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from d3.courriels.models import Courriel
from dossiers import signing, workflow
from dossiers.models import Dossier, Event, Signature, State
from dossiers.workflow import TRANSITIONS
from tests.concurrency import requires_postgresql, run_in_threads
from tests.dossiers.factories import DossierFactory
from tests.factories import PASSWORD

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 20
MIX = ["sign"] * 8 + ["withdraw"] * 6 + ["take"] * 6
# The courriel each action queues (take sends none).
COURRIELS = {"sign": "dossier_depose", "withdraw": "dossier_retire"}


def reachable(state):
    """Every state the transitions can lead to from ``state`` (itself included)."""
    seen, todo = {state}, [state]
    while todo:
        current = todo.pop()
        for transition in TRANSITIONS.values():
            if current in transition.sources and transition.target not in seen:
                seen.add(transition.target)
                todo.append(transition.target)
    return seen


def assert_one_chain(dossier, initial):
    """Events by id: each change starts where the previous one ended, by a legal arrow."""
    state = initial
    for event in Event.objects.filter(dossier=dossier).order_by("pk"):
        if not event.to_state:
            continue
        transition = TRANSITIONS[event.action]
        assert event.from_state == state, f"{event.action} depuis {event.from_state}, pas {state}"
        assert state in transition.sources and event.to_state == transition.target
        state = event.to_state
    assert dossier.state == state
    return state


@pytest.mark.parametrize(("initial", "signatures_ahead"), [
    (State.BROUILLON, False),
    # A withdrawal beats the signatures to the lock (they render the récapitulatif
    # first, then check everything again): here the takes and withdrawals are sent the
    # moment the first signature commits, while the other signatures are still running.
    (State.BROUILLON, True),
    (State.DEPOSE, False),
], ids=["draft", "draft-signatures-ahead", "just-signed"])
def test_twenty_simultaneous_requests_leave_one_consistent_history(
        initial, signatures_ahead, auditeur, gestionnaire, monkeypatch):
    assert len(MIX) == THREADS
    signed = threading.Event()
    if signatures_ahead:
        sign = signing.workflow.sign

        def sign_then_tell(*args, **kwargs):
            signature = sign(*args, **kwargs)
            signed.set()
            return signature

        monkeypatch.setattr(signing.workflow, "sign", sign_then_tell)
    dossier = DossierFactory(auditeur=auditeur, state=initial, signable=True)
    signatures_before = Signature.objects.filter(dossier=dossier).count()
    requests = {
        "sign": (auditeur, reverse("dossiers:sign", args=[dossier.pk]),
                 {"password": PASSWORD, "sworn": "on"}),
        "withdraw": (auditeur, reverse("dossiers:withdraw", args=[dossier.pk]),
                     {"comment": "Je change de projet."}),
        "take": (gestionnaire, reverse("dossiers:centre_take", args=[dossier.pk]), {}),
    }
    jobs = []
    for action in MIX:
        user, url, data = requests[action]
        client = Client()  # raises any server error: run_in_threads reports it
        client.force_login(user)
        jobs.append((action, client, url, data))
    jobs_lock = threading.Lock()
    barrier = threading.Barrier(THREADS, timeout=30)

    def one_request():
        with jobs_lock:
            action, client, url, data = jobs.pop()
        barrier.wait()
        if signatures_ahead and action != "sign":
            signed.wait(timeout=30)
        return action, client.post(url, data).status_code

    outcomes = run_in_threads(one_request, count=THREADS, timeout=120)

    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert errors == []
    statuses = Counter(outcomes)
    # Refusals are pages with a message (200) or redirects with one (302); a dossier
    # still a draft does not exist for the centre (404). Once signed, it always exists
    # for the centre: withdrawn while a take waited for the lock, it is refused with
    # "Ce dossier a été retiré…", never a 404.
    allowed = {("sign", 200), ("sign", 302), ("withdraw", 302), ("take", 302)}
    if initial == State.BROUILLON and not signatures_ahead:
        allowed.add(("take", 404))
    assert set(statuses) <= allowed, statuses

    dossier = Dossier.objects.get(pk=dossier.pk)
    final = assert_one_chain(dossier, initial)
    assert final in reachable(initial)

    done = Counter(Event.objects.filter(dossier=dossier).values_list("action", flat=True))
    assert all(count == 1 for count in done.values()), done
    templates = Counter(Courriel.objects.values_list("template", flat=True))
    assert templates == Counter({COURRIELS[a]: 1 for a in done if a in COURRIELS})
    assert len(mail.outbox) == sum(templates.values())
    signatures = Signature.objects.filter(dossier=dossier).count() - signatures_before
    assert signatures == done["sign"] <= 1
    # One signed récapitulatif kept per signature: the losers' PDFs are deleted.
    assert len(_stored("recapitulatifs")) == signatures
    if signatures_ahead:
        assert done["sign"] == 1
    # Shown with -s: which requests won, for the record.
    print(f"\n{initial} → {final}: {dict(statuses)}; événements {dict(done)}; "
          f"courriels {dict(templates)}")


def _stored(area):
    return default_storage.listdir(area)[1] if default_storage.exists(area) else []


def test_a_take_waiting_for_the_lock_while_the_auditeur_withdraws_gets_the_refusal(
        auditeur, gestionnaire, monkeypatch):
    """The take reaches the lock while the withdrawal holds it: once the withdrawal has
    committed, the take is refused with its message, the dossier still the centre's."""
    dossier = DossierFactory(auditeur=auditeur, depose=True, signable=True)
    holding, release = threading.Event(), threading.Event()
    queue_to_auditeur = workflow._queue_to_auditeur

    def hold_the_lock(*args, **kwargs):
        holding.set()
        release.wait(timeout=30)
        return queue_to_auditeur(*args, **kwargs)

    monkeypatch.setattr(workflow, "_queue_to_auditeur", hold_the_lock)

    outcomes = {}

    def withdraw():
        try:
            workflow.withdraw(dossier.pk, user=auditeur)
            outcomes["withdraw"] = "retiré"
        finally:
            connections.close_all()

    def take():
        holding.wait(timeout=30)
        try:
            workflow.take(dossier.pk, user=gestionnaire)
            outcomes["take"] = "pris"
        except (workflow.TransitionError, Dossier.DoesNotExist) as refusal:
            outcomes["take"] = getattr(refusal, "message", refusal)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=withdraw), threading.Thread(target=take)]
    for thread in threads:
        thread.start()
    _wait_for_a_lock_wait()
    release.set()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == {
        "withdraw": "retiré",
        "take": "Ce dossier a été retiré par l'auditeur : il n'y a plus rien à contrôler.",
    }
    assert Dossier.objects.get(pk=dossier.pk).state == State.RETIRE


def _wait_for_a_lock_wait(timeout=20):
    """Until a backend of this database waits for a row lock (the take, behind the
    withdrawal); PostgreSQL says so in pg_stat_activity."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("aucune requête n'attend le verrou du dossier")
