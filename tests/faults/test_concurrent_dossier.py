"""Twenty simultaneous requests on one dossier, through the real views: the auditeur
signs (with the password) and withdraws, a gestionnaire takes it in charge, all at once.

Whatever the order PostgreSQL gives them: no server error, the history is one chain of
legal transitions from the initial state to the final one, each courriel is queued once
per transition that sends it, and there is at most one signature per round.
"""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from d3.courriels.models import Courriel
from dossiers import signing
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
    # still a draft does not exist for the centre (404), never anything else.
    allowed = {("sign", 200), ("sign", 302), ("withdraw", 302), ("take", 302)}
    if initial == State.BROUILLON:
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
