"""The whole loop of the centre's review, through the real functions: deposited, taken,
pièces checked, corrections asked, the auditeur replaces a pièce and signs again, the
centre is told, takes it again, finds everything right and sends it to the DNF."""

import datetime

import pytest
from django.utils import timezone

from d3.courriels.models import Courriel
from dossiers import review, workflow
from dossiers.models import Event, Piece, PieceStatus, State
from dossiers.pieces import add_file
from dossiers.signing import sign_dossier
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PASSWORD

S = State
P = PieceStatus

pytestmark = pytest.mark.django_db


def sign(dossier, auditeur):
    return sign_dossier(dossier.pk, user=auditeur, password=PASSWORD, sworn=True,
                        ip="203.0.113.7", user_agent="Firefox")


def test_the_full_loop_of_corrections(auditeur, gestionnaire, centre):
    dossier = DossierFactory(auditeur=auditeur, signable=True)
    identity = dossier.pieces.get()
    diploma = PieceFactory(dossier=dossier, deposee=True,
                           piece_type__label="Copie du diplôme prérequis")
    sign(dossier, auditeur)
    assert [c.template for c in Courriel.objects.order_by("pk")] == ["dossier_depose"]

    # The centre takes it and checks each pièce: one is illegible.
    workflow.take(dossier.pk, user=gestionnaire)
    review.set_piece_verdict(identity.pk, user=gestionnaire, status="conforme")
    review.set_piece_verdict(diploma.pk, user=gestionnaire, status="erronee",
                             comment="La copie est illisible.")
    review.add_note(dossier.pk, user=gestionnaire, text="Relancer si rien sous 15 jours.")
    deadline = timezone.localdate() + datetime.timedelta(days=15)
    workflow.ask_corrections(dossier.pk, user=gestionnaire, deadline=deadline)

    dossier.refresh_from_db()
    assert (dossier.state, dossier.correction_round) == (S.A_COMPLETER, 1)
    asked = Courriel.objects.get(template="corrections_demandees")
    assert "Copie du diplôme prérequis (erronée) : La copie est illisible." in asked.body_text

    # The auditeur replaces the flagged pièce (only that one) and signs again.
    diploma = Piece.objects.select_related("dossier", "piece_type").get(pk=diploma.pk)
    add_file(piece=diploma, uploaded_file=files.upload(files.pdf_bytes(2), "diplome.pdf"),
             user=auditeur)
    sign(dossier, auditeur)

    dossier.refresh_from_db()
    assert (dossier.state, dossier.correction_round) == (S.DEPOSE, 1)
    assert dossier.signatures.count() == 2
    redeposit = Courriel.objects.get(template="dossier_redepose")
    assert redeposit.to == centre.service_email == "scolarite-paris@cnam.fr"
    assert redeposit.recipient_user is None
    assert redeposit.dossier_reference == dossier.reference
    assert "Jeanne Martin" in redeposit.subject
    assert dossier.reference in redeposit.subject
    # The auditeur still gets the accusé de réception of the new signature.
    accuses = Courriel.objects.filter(template="dossier_depose", to=auditeur.email)
    assert accuses.count() == 2
    assert "complété et signé à nouveau" in accuses.order_by("pk").last().body_text

    # Checked again: the replaced pièce is right now; the dossier goes to the DNF.
    workflow.take(dossier.pk, user=gestionnaire)
    diploma.refresh_from_db()
    assert diploma.status == P.DEPOSEE
    dossier.refresh_from_db()
    assert review.available_actions(dossier, gestionnaire) == {
        "set_verdict", "declare_inadmissible", "add_note",
    }
    review.set_piece_verdict(diploma.pk, user=gestionnaire, status="conforme")
    workflow.declare_complete(dossier.pk, user=gestionnaire)

    dossier.refresh_from_db()
    assert (dossier.state, dossier.owner) == (S.TRANSMIS_DNF, gestionnaire)
    assert [c.template for c in Courriel.objects.order_by("pk")] == [
        "dossier_depose", "corrections_demandees", "dossier_depose", "dossier_redepose",
        "dossier_transmis",
    ]
    history = [(e.action, e.to_state) for e in Event.objects.order_by("pk")]
    assert history == [
        ("sign", S.DEPOSE),
        ("take", S.EN_CONTROLE),
        ("piece_verdict", ""),
        ("piece_verdict", ""),
        ("note", ""),
        ("ask_corrections", S.A_COMPLETER),
        ("sign", S.DEPOSE),
        ("take", S.EN_CONTROLE),
        ("piece_verdict", ""),
        ("declare_complete", S.TRANSMIS_DNF),
    ]
    timeline = [workflow.event_label(e)
                for e in Event.objects.filter(visible_to_auditeur=True).order_by("pk")]
    assert timeline == [
        "Dossier signé et déposé",
        "Dossier pris en charge par le centre",
        f"Pièce vérifiée : conforme ({identity.piece_type.label})",
        "Pièce vérifiée : erronée (Copie du diplôme prérequis)",
        "Corrections demandées",
        "Dossier déposé à nouveau après corrections",
        "Dossier pris en charge par le centre",
        "Pièce vérifiée : conforme (Copie du diplôme prérequis)",
        "Dossier complet, transmis à la DNF",
    ]


def test_the_centre_courriel_of_a_re_deposit(auditeur, centre):
    dossier = DossierFactory(auditeur=auditeur, signable=True, a_completer=True,
                             correction_round=2)

    signature = sign(dossier, auditeur)

    courriel = Courriel.objects.get(template="dossier_redepose")
    assert courriel.subject == (
        f"Dossier {dossier.reference} déposé à nouveau après corrections — Jeanne Martin"
    )
    for body in (courriel.body_text, courriel.body_html):
        assert "Jeanne Martin (n° d'auditeur PAR100001)" in body
        assert dossier.reference in body
        assert dossier.diplome.code in body
        assert "Cnam Paris" in body
        assert "(2 demandes de corrections)" in body
    assert courriel.attachments == []
    # The accusé de réception to the auditeur is unchanged, with the new récapitulatif.
    accuse = Courriel.objects.get(template="dossier_depose")
    assert accuse.to == auditeur.email
    assert accuse.attachments[0]["path"] == signature.recapitulatif_key


def test_a_first_deposit_does_not_write_to_the_centre(auditeur):
    dossier = DossierFactory(auditeur=auditeur, signable=True)

    sign(dossier, auditeur)

    assert [c.template for c in Courriel.objects.all()] == ["dossier_depose"]


def test_a_centre_without_service_email_is_not_written_to(auditeur, centre):
    centre.service_email = ""
    centre.save()
    dossier = DossierFactory(auditeur=auditeur, signable=True, a_completer=True,
                             correction_round=1)

    sign(dossier, auditeur)

    dossier.refresh_from_db()
    assert dossier.state == S.DEPOSE
    assert [c.template for c in Courriel.objects.all()] == ["dossier_depose"]
