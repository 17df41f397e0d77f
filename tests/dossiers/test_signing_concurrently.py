"""Two simultaneous signatures of the same dossier (double click, two tabs): one wins."""

import threading
from unittest import mock

import pytest
from django.core import mail

from d3.courriels.models import Courriel
from dossiers import signing
from dossiers.models import Event, Signature, State
from dossiers.signing import TransitionError, sign_dossier
from tests.concurrency import requires_postgresql, run_in_threads
from tests.dossiers.factories import DossierFactory
from tests.factories import PASSWORD


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signatures_sign_once(auditeur, settings):
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    # Both requests pass the checks made without lock before either renders its PDF:
    # only the locked transaction can tell them apart.
    barrier = threading.Barrier(2, timeout=20)
    render_pdf = signing.render_pdf

    def render_after_both_checked(*args, **kwargs):
        barrier.wait()
        return render_pdf(*args, **kwargs)

    def sign():
        sign_dossier(dossier.pk, user=auditeur, password=PASSWORD, sworn=True,
                     ip="198.51.100.4", user_agent="Firefox")
        return "signed"

    with mock.patch.object(signing, "render_pdf", render_after_both_checked):
        outcomes = run_in_threads(sign, refusals=(TransitionError,))

    assert outcomes == sorted([
        "signed", "Ce dossier a déjà été déposé : il ne peut plus être signé.",
    ])
    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    signature = Signature.objects.get(dossier=dossier)
    assert Event.objects.filter(dossier=dossier, action="sign").count() == 1
    assert Courriel.objects.count() == 1
    assert len(mail.outbox) == 1
    # The loser's PDF is deleted: only the winner's remains.
    stored = sorted(p.name for p in (settings.MEDIA_ROOT / "recapitulatifs").iterdir())
    assert stored == [signature.recapitulatif_key.split("/")[1]]
