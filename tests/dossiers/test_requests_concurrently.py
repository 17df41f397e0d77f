"""Two simultaneous starts of the same request (double click, two tabs) create one dossier."""

import threading
import time
from unittest import mock

import pytest

from dossiers import requests
from dossiers.models import Dossier, Event, Kind
from dossiers.requests import RequestRefused, start_request
from tests.concurrency import requires_postgresql, run_in_threads
from tests.factories import DiplomeFactory, UEFactory, UEGroupFactory, ValidatedUEFactory

_refusal_reasons = requests.refusal_reasons


def slow_refusal_reasons(*args, **kwargs):
    # Widens the window between "no open dossier yet" and the creation, where two
    # requests without a lock would both slip through.
    reasons = _refusal_reasons(*args, **kwargs)
    time.sleep(0.3)
    return reasons


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_starts_create_one_dossier(auditeur):
    diplome = DiplomeFactory()
    ue = UEFactory()
    UEGroupFactory(diplome=diplome, required=1, ues=[ue])
    ValidatedUEFactory(auditeur=auditeur, ue=ue)
    barrier = threading.Barrier(2, timeout=10)

    def start():
        barrier.wait()
        start_request(auditeur=auditeur, diplome=diplome, kind=Kind.DD_AEP,
                      formation_continue=False)
        return "created"

    with mock.patch.object(requests, "refusal_reasons", slow_refusal_reasons):
        outcomes = run_in_threads(start, refusals=(RequestRefused,))

    dossier = Dossier.objects.get()
    assert outcomes == sorted([
        "created",
        f"Vous avez déjà une demande en cours pour ce diplôme ({dossier.reference}, "
        "demande de diplôme et analyse de l'expérience professionnelle, « Brouillon ») : "
        "poursuivez-la, ou retirez-la avant d'en faire une nouvelle.",
    ])
    assert Event.objects.count() == 1
