"""The database failing in the middle of a transition or an upload: nothing half-done.

Each action goes through its real view, on PostgreSQL, in a real transaction (no test
transaction around it). The database fails right after the action has written its
state and its event (``error``: a statement fails), or once everything is written but
before the ``COMMIT`` (``killed``: the request's PostgreSQL backend is terminated, see
:mod:`tests.faults.database`). The user gets the French error page; the state, the
events, the courriels, the signatures and the files are as before the request.
"""

import datetime

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from d3.courriels.models import Courriel
from dossiers.models import Dossier, Event, Piece, PieceFile, PieceStatus, Signature
from jury.models import Courrier, JurySession
from tests.concurrency import requires_postgresql
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory, review_snapshot
from tests.factories import PASSWORD, PieceTypeFactory
from tests.faults.database import FAILURES, database_fails
from tests.jury.factories import JurySessionFactory, SessionDossierFactory

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]

ERROR_PAGE = "rien n'a été enregistré à moitié"


def post_failing(user, url, data, *, table, how):
    """POST as ``user`` while the database fails after the first INSERT into ``table``."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    with database_fails(table, how) as fired:
        response = client.post(url, data)
    assert fired, f"aucun INSERT dans {table} : la panne n'a pas eu lieu"
    return response


def assert_error_page(response):
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Le service a rencontré une erreur" in html and ERROR_PAGE in html


def snapshot(dossier):
    """Everything of the dossier a failed request must leave as it was."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    return review_snapshot(dossier) | {
        "updated_at": dossier.updated_at,
        "transmitted_at": dossier.transmitted_at,
        "files": list(PieceFile.objects.filter(piece__dossier=dossier).values_list("pk")),
        "signatures": list(Signature.objects.filter(dossier=dossier).values_list("pk")),
    }


def stored(area):
    return default_storage.listdir(area)[1] if default_storage.exists(area) else []


def assert_nothing_sent():
    assert not Courriel.objects.exists()
    assert mail.outbox == []


# --- Transitions of a dossier ----------------------------------------------------------------
#
# For each action: who acts, on what, through which view; the INSERT after which the
# statement fails (``error``: the state and the event are written) and the INSERT after
# which the connection dies (``killed``: the last write of the transaction).


def _sign(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    return auditeur, dossier, reverse("dossiers:sign", args=[dossier.pk]), {
        "password": PASSWORD, "sworn": "on",
    }


def _take(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, depose=True, signable=True)
    return gestionnaire, dossier, reverse("dossiers:centre_take", args=[dossier.pk]), {}


def _ask_corrections(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire,
                             signable=True)
    Piece.objects.filter(dossier=dossier).update(status=PieceStatus.ERRONEE,
                                                 comment="Copie illisible.")
    deadline = datetime.date.today() + datetime.timedelta(days=20)
    return gestionnaire, dossier, reverse("dossiers:centre_ask_corrections",
                                          args=[dossier.pk]), {"deadline": deadline}


def _declare_complete(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire,
                             signable=True)
    Piece.objects.filter(dossier=dossier).update(status=PieceStatus.CONFORME)
    return gestionnaire, dossier, reverse("dossiers:centre_declare_complete",
                                          args=[dossier.pk]), {"confirm": "on"}


TRANSITIONS = {
    # action: (scene, error after, killed after)
    "sign": (_sign, "dossiers_event", "courriels_courriel"),
    "take": (_take, "dossiers_event", "dossiers_event"),
    "ask_corrections": (_ask_corrections, "dossiers_event", "courriels_courriel"),
    "declare_complete": (_declare_complete, "dossiers_event", "courriels_courriel"),
}


@pytest.mark.parametrize("how", FAILURES)
@pytest.mark.parametrize("action", TRANSITIONS)
def test_a_transition_is_all_or_nothing(action, how, auditeur, gestionnaire):
    scene, error_after, killed_after = TRANSITIONS[action]
    user, dossier, url, data = scene(auditeur, gestionnaire)
    before = snapshot(dossier)
    recapitulatifs = stored("recapitulatifs")

    response = post_failing(user, url, data,
                            table=error_after if how == "error" else killed_after, how=how)

    assert_error_page(response)
    assert snapshot(dossier) == before
    assert_nothing_sent()
    # The signed récapitulatif rendered before the transaction is deleted with it.
    assert stored("recapitulatifs") == recapitulatifs

    # The database is back: the same request now goes through, once.
    client = Client()
    client.force_login(user)
    assert client.post(url, data).status_code == 302
    after = Dossier.objects.get(pk=dossier.pk)
    assert after.state != before["state"]
    assert Event.objects.filter(dossier=dossier, action=action).count() == 1


@pytest.mark.parametrize("how", FAILURES)
def test_closing_a_session_is_all_or_nothing(how, agent_dnf, membre_jury):
    session = JurySessionFactory(date=datetime.date.today() - datetime.timedelta(days=3),
                                 president=membre_jury)
    dossiers = [SessionDossierFactory(session=session, decided=True) for _ in range(2)]
    before = [snapshot(dossier) for dossier in dossiers]
    url = reverse("jury:dnf_session_close", args=[session.pk])

    response = post_failing(agent_dnf, url, {},
                            table="jury_courrier" if how == "error" else "dossiers_event",
                            how=how)

    assert_error_page(response)
    session = JurySession.objects.get(pk=session.pk)
    assert session.closed_at is None and session.closed_by is None
    assert not Courrier.objects.exists()
    assert [snapshot(dossier) for dossier in dossiers] == before
    assert_nothing_sent()


# --- A pièce's upload --------------------------------------------------------------------------


@pytest.mark.parametrize("how", FAILURES)
def test_an_upload_is_all_or_nothing(how, auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    piece = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(accepted_formats=["pdf"]))
    before = snapshot(dossier)
    url = reverse("dossiers:piece_upload", args=[dossier.pk, piece.pk])

    response = post_failing(auditeur, url, {"fichier": files.upload(files.pdf_bytes())},
                            table="dossiers_piecefile", how=how)

    assert_error_page(response)
    assert snapshot(dossier) == before
    assert not PieceFile.objects.exists()
    assert Piece.objects.get(pk=piece.pk).status == PieceStatus.ATTENDUE
    # The bytes stored before the transaction are deleted when it fails.
    assert stored("pieces") == []
