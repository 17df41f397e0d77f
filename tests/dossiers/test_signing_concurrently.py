"""Two simultaneous signatures of the same dossier (double click, two tabs): one wins."""

import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, connections

from d3.courriels.models import Courriel
from dossiers import signing
from dossiers.models import Event, Signature, State
from dossiers.signing import TransitionError, sign_dossier
from tests.dossiers.factories import DossierFactory
from tests.factories import PASSWORD


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signatures_sign_once(auditeur, settings):
    assert connection.vendor == "postgresql", "row locking is checked on the real database"
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    # Both requests pass the checks made without lock before either renders its PDF:
    # only the locked transaction can tell them apart.
    barrier = threading.Barrier(2, timeout=20)
    render_pdf = signing.render_pdf
    outcomes = []

    def render_after_both_checked(*args, **kwargs):
        barrier.wait()
        return render_pdf(*args, **kwargs)

    def sign():
        try:
            sign_dossier(dossier.pk, user=auditeur, password=PASSWORD, sworn=True,
                         ip="198.51.100.4", user_agent="Firefox")
            outcomes.append("signed")
        except TransitionError as exc:
            outcomes.append(exc.message)
        except Exception as exc:  # reported below: a thread must not die silently
            outcomes.append(exc)
        finally:
            connections.close_all()

    with mock.patch.object(signing, "render_pdf", render_after_both_checked):
        threads = [threading.Thread(target=sign) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(outcomes, key=str) == sorted([
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
