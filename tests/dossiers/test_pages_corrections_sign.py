"""Signing again after corrections: the récapitulatif of a dossier à compléter, and the
new signature that deposits it again with the centre."""

from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from d3.courriels.models import Courriel
from dossiers.digest import compute_digest
from dossiers.models import Dossier, Event, PieceStatus, Signature, State
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PASSWORD, PieceTypeFactory


def url(name, dossier, *args):
    return reverse(f"dossiers:{name}", args=[dossier.pk, *args])


def text(response):
    assert response.status_code == 200
    return unescape(response.content.decode())


@pytest.fixture
def dossier(auditeur):
    """Signed once, then sent back: its one pièce erronée, in the first round."""
    dossier = DossierFactory(auditeur=auditeur, en_controle=True, signable=True)
    dossier.pieces.update(status=PieceStatus.ERRONEE, comment="Illisible.")
    Dossier.objects.filter(pk=dossier.pk).update(
        state=State.A_COMPLETER, state_changed_at=timezone.now(), correction_round=1,
    )
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def logged_in(client, auditeur):
    client.force_login(auditeur)
    return client


def replace_the_piece(client, dossier):
    piece = dossier.pieces.get()
    response = client.post(url("correction_upload", dossier, piece.pk),
                           {"fichier": files.upload(files.pdf_bytes(2), "lisible.pdf")})
    assert response.status_code == 302
    return piece


def sign(client, dossier, password=PASSWORD):
    return client.post(url("sign", dossier), {"sworn": "on", "password": password},
                       REMOTE_ADDR="203.0.113.9")


def test_the_recapitulatif_of_a_dossier_a_completer_can_be_signed_again(logged_in, dossier):
    replace_the_piece(logged_in, dossier)

    html = text(logged_in.get(url("recapitulatif", dossier)))

    assert "Relisez attentivement votre dossier corrigé" in html
    assert "Signer à nouveau et déposer mon dossier" in html
    assert f'action="{url("sign", dossier)}"' in html
    assert f'href="{url("corrections", dossier)}">Retour aux corrections demandées</a>' in html
    assert "lisible.pdf" in html
    assert "pieces-non-remplacees" not in html
    assert "ne peut pas encore être signé" not in html
    assert 'class="steps"' not in html  # the draft's steps are over


def test_the_recapitulatif_points_out_flagged_pieces_not_replaced(logged_in, dossier):
    label = dossier.pieces.get().piece_type.label

    html = text(logged_in.get(url("recapitulatif", dossier)))

    warning = html.split('id="pieces-non-remplacees"')[1].split("</div>")[0]
    assert f"<li>{label} (erronée)</li>" in warning
    assert f'href="{url("corrections", dossier)}">Remplacer ces pièces</a>' in warning
    assert "Signer à nouveau et déposer mon dossier" in html


def test_a_missing_piece_without_file_blocks_and_links_to_the_corrections(logged_in, dossier):
    PieceFactory(dossier=dossier, status=PieceStatus.MANQUANTE,
                 piece_type=PieceTypeFactory(label="Curriculum vitæ"))

    html = text(logged_in.get(url("recapitulatif", dossier)))

    blockers = html.split("Votre dossier ne peut pas encore être signé")[1].split("</div>")[0]
    assert "Pièce à déposer : Curriculum vitæ." in blockers
    assert url("corrections", dossier) in blockers
    assert url("edit_pieces", dossier) not in html


def test_signing_again_deposits_the_dossier_with_a_new_signature(
    logged_in, dossier, auditeur, django_capture_on_commit_callbacks
):
    first = Signature.objects.get(dossier=dossier)
    replace_the_piece(logged_in, dossier)
    digest = compute_digest(dossier)
    assert digest != first.digest

    with django_capture_on_commit_callbacks(execute=True):
        response = sign(logged_in, dossier)

    assert response.status_code == 302
    assert response["Location"] == url("detail", dossier)
    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert dossier.correction_round == 1  # a re-deposit: the centre's queue puts it first
    second = Signature.objects.filter(dossier=dossier).latest()
    assert second.pk != first.pk
    assert second.digest == digest
    assert second.ip_address == "203.0.113.9"
    assert second.recapitulatif_key and default_storage.exists(second.recapitulatif_key)
    event = Event.objects.get(dossier=dossier, action="sign")
    assert event.from_state == State.A_COMPLETER and event.to_state == State.DEPOSE

    accuse = Courriel.objects.get(template="dossier_depose")
    assert accuse.to == auditeur.email
    assert accuse.attachments[0]["path"] == second.recapitulatif_key
    to_centre = Courriel.objects.get(template="dossier_redepose")
    assert to_centre.to == dossier.centre.service_email
    assert dossier.reference in to_centre.subject + to_centre.body_text

    page = text(logged_in.get(response["Location"]))
    assert "Votre dossier est signé à nouveau et déposé" in page
    assert "corrections-demandees" not in page
    assert "Dossier déposé à nouveau après corrections" in page.split('class="timeline"')[1]
    download = logged_in.get(url("signed_pdf", dossier))
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    # Read-only again: the corrections page sends back to the dossier.
    assert logged_in.get(url("corrections", dossier))["Location"] == url("detail", dossier)


def test_a_wrong_password_leaves_the_dossier_a_completer(logged_in, dossier):
    replace_the_piece(logged_in, dossier)

    html = text(sign(logged_in, dossier, password="pas-le-bon"))

    assert "Mot de passe incorrect" in html
    assert "Signer à nouveau et déposer mon dossier" in html
    dossier.refresh_from_db()
    assert dossier.state == State.A_COMPLETER
    assert Signature.objects.filter(dossier=dossier).count() == 1
    assert not Courriel.objects.exists()


def test_it_refuses_to_sign_again_while_a_flagged_piece_is_not_replaced(logged_in, dossier):
    response = sign(logged_in, dossier)

    assert "Pièce signalée par votre centre, à remplacer" in text(response)
    dossier.refresh_from_db()
    assert dossier.state == State.A_COMPLETER
    assert dossier.signatures.count() == 1
    assert not Courriel.objects.exists()


def test_it_signs_again_once_the_flagged_piece_is_replaced(logged_in, dossier):
    replace_the_piece(logged_in, dossier)

    response = sign(logged_in, dossier)

    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert dossier.signatures.count() == 2
