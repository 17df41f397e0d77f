"""Following a dossier: Suivi de dossiers, the dossier page, the signed récapitulatif,
the withdrawal."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from d3.courriels.models import Courriel
from dossiers.models import Event, Kind, PieceStatus, Signature, State
from dossiers.progress import progress
from tests.dossiers.factories import (
    DossierFactory,
    EventFactory,
    PieceFactory,
    PieceFileFactory,
    SignatureFactory,
    sample_pdf,
)
from tests.factories import DiplomeFactory, PieceTypeFactory

SUIVI_URL = reverse("auditeurs:suivi")


def detail_url(dossier):
    return reverse("dossiers:detail", args=[dossier.pk])


def withdraw_url(dossier):
    return reverse("dossiers:withdraw", args=[dossier.pk])


def signed_pdf_url(dossier):
    return reverse("dossiers:signed_pdf", args=[dossier.pk])


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


# --- progress.py ----------------------------------------------------------------------


@pytest.mark.parametrize("state", list(State))
def test_every_state_has_its_steps_in_words(state):
    result = progress(state)
    assert result.state_label == State(state).label
    assert result.current_step.endswith(".")
    assert result.expected.endswith(".")
    assert result.badge in ("", "info", "success", "warning", "error")
    closed = state in (State.IRRECEVABLE, State.COURRIER_ENVOYE, State.RETIRE)
    assert (result.next_step == "") == closed


def test_the_auditeur_has_something_to_do_only_on_a_draft_or_corrections():
    needing = {state for state in State if progress(state).action_needed}
    assert needing == {State.BROUILLON, State.A_COMPLETER}


# --- Suivi de dossiers ------------------------------------------------------------------


def test_suivi_lists_the_auditeurs_own_dossiers_with_states_in_words(
    client, auditeur, other_auditeur
):
    draft = DossierFactory(
        auditeur=auditeur, kind=Kind.DD_AEP,
        diplome=DiplomeFactory(code="LG02501A", title="Licence informatique générale"),
    )
    deposited = DossierFactory(auditeur=auditeur, kind=Kind.AEP_ANTICIPEE, depose=True)
    foreign = DossierFactory(auditeur=other_auditeur, depose=True)
    client.force_login(auditeur)

    html = html_of(client.get(SUIVI_URL))

    assert "Vos demandes" in html
    assert "Vous n'avez encore aucune demande en cours" not in html
    assert draft.reference in html
    assert deposited.reference in html
    assert foreign.reference not in html
    assert foreign.diplome.code not in html
    assert "LG02501A — Licence informatique générale" in html
    assert "Demande de diplôme et analyse de l&#x27;expérience professionnelle" in html
    assert "Analyse anticipée de l&#x27;expérience professionnelle" in html
    assert ">Brouillon</span>" in html
    assert ">Déposé</span>" in html
    assert detail_url(draft) in html
    assert detail_url(deposited) in html
    # What is expected from the auditeur, and the way back into the draft only.
    assert "relisez le récapitulatif et signez-le" in html
    assert "Rien pour le moment" in html
    assert reverse("dossiers:edit_prerequisite", args=[draft.pk]) in html
    assert reverse("dossiers:edit_prerequisite", args=[deposited.pk]) not in html
    assert f"{timezone.localdate(draft.updated_at):%d/%m/%Y}" in html


def test_suivi_keeps_the_empty_state_without_dossiers(client, auditeur, other_auditeur):
    DossierFactory(auditeur=other_auditeur)
    client.force_login(auditeur)

    html = html_of(client.get(SUIVI_URL))

    assert "Vous n'avez encore aucune demande en cours" in html
    assert "Vos demandes" not in html


def _suivi_queries(client, django_assert_num_queries, expected_rows):
    with django_assert_num_queries(SUIVI_QUERIES):
        response = client.get(SUIVI_URL)
    assert len(response.context["dossier_rows"]) == expected_rows


# Session, user, dossiers with their diploma, validated UEs (the profile gate reads the
# session).
SUIVI_QUERIES = 4


def test_suivi_runs_a_fixed_number_of_queries(client, auditeur, django_assert_num_queries):
    client.force_login(auditeur)
    DossierFactory(auditeur=auditeur)
    _suivi_queries(client, django_assert_num_queries, 1)
    for state in [State.DEPOSE, State.EN_CONTROLE, State.A_COMPLETER, State.TRANSMIS_DNF,
                  State.INSCRIT_JURY, State.DECISION_RENDUE, State.COURRIER_ENVOYE,
                  State.RETIRE, State.IRRECEVABLE]:
        DossierFactory(auditeur=auditeur, state=state)
    _suivi_queries(client, django_assert_num_queries, 10)


# --- Dossier page --------------------------------------------------------------------------


@pytest.fixture
def deposited(auditeur):
    """A deposited dossier with its history, a pièce per status and a signed récapitulatif."""
    dossier = DossierFactory(auditeur=auditeur, depose=True, signature=False)
    created = datetime.datetime(2026, 3, 2, 9, 15, tzinfo=datetime.UTC)
    EventFactory(dossier=dossier, action="created", to_state=State.BROUILLON)
    EventFactory(dossier=dossier, action="sign", from_state=State.BROUILLON,
                 to_state=State.DEPOSE)
    Event.objects.filter(dossier=dossier, action="created").update(created_at=created)
    Event.objects.filter(dossier=dossier, action="sign").update(
        created_at=created + datetime.timedelta(days=2, hours=5)
    )
    key = default_storage.save("recapitulatifs/test.pdf", ContentFile(sample_pdf("Récap")))
    SignatureFactory(dossier=dossier, recapitulatif_key=key)
    return dossier


def test_the_dossier_page_shows_steps_timeline_pieces_and_documents(client, auditeur, deposited):
    dossier = deposited
    identite = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        label="Pièce d'identité", position=1), deposee=True)
    current = PieceFileFactory(piece=identite, original_name="carte-identite.pdf")
    erronee = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        label="Copie du diplôme prérequis", position=2),
        status=PieceStatus.ERRONEE, comment="La copie est illisible.")
    PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(label="CV", position=3),
                 status=PieceStatus.CONFORME, comment="Note interne non affichée.")
    client.force_login(auditeur)

    html = html_of(client.get(detail_url(dossier)))

    assert f"<h1>Dossier {dossier.reference}</h1>" in html
    assert dossier.diplome.code in html
    assert ">Déposé</span>" in html
    state = progress(State.DEPOSE)
    assert state.current_step.replace("'", "&#x27;") in html
    assert state.next_step.replace("'", "&#x27;") in html
    # Timeline, in order, dates in French, the current step marked.
    timeline = html.split('class="timeline"')[1].split("</ol>")[0]
    assert timeline.index("Demande créée") < timeline.index("Dossier signé et déposé")
    assert "le 2 mars 2026 à 10:15" in timeline
    assert "le 4 mars 2026 à 15:15" in timeline
    assert "À venir : Contrôle du dossier par votre centre" in timeline
    assert 'class="timeline__item--current" aria-current="step"' in html
    current_item = html.split('aria-current="step"')[1]
    assert current_item.index("Dossier signé et déposé") < current_item.index("</li>")
    # Pièces: status in words, the centre's comment when it asks for something.
    assert "Pièce d&#x27;identité" in html
    assert reverse("dossiers:piece_file", args=[dossier.pk, current.pk]) in html
    assert "carte-identite.pdf" in html
    assert "Erronée" in html and "Conforme" in html
    assert "La copie est illisible." in html
    assert "Note interne non affichée." not in html
    assert erronee.piece_type.label in html
    # Documents: the signed récapitulatif.
    assert signed_pdf_url(dossier) in html
    # Actions: withdraw (before the jury), no editing after the deposit.
    assert withdraw_url(dossier) in html
    assert reverse("dossiers:edit_prerequisite", args=[dossier.pk]) not in html
    assert "Continuer ma demande" not in html


def test_the_timeline_hides_events_not_visible_to_the_auditeur(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur, en_controle=True)
    EventFactory(dossier=dossier, action="created", to_state=State.BROUILLON)
    EventFactory(dossier=dossier, action="sign", from_state=State.BROUILLON,
                 to_state=State.DEPOSE)
    EventFactory(dossier=dossier, action="note", to_state="", visible_to_auditeur=False,
                 comment="Note du centre : vérifier l'employeur.")
    EventFactory(dossier=dossier, action="take", from_state=State.DEPOSE,
                 to_state=State.EN_CONTROLE, comment="Prise en charge par Claire.")
    client.force_login(auditeur)

    response = client.get(detail_url(dossier))
    html = html_of(response)

    labels = [row["label"] for row in response.context["timeline"]]
    assert labels == ["Demande créée", "Dossier signé et déposé",
                      "Dossier pris en charge par le centre"]
    assert "vérifier l&#x27;employeur" not in html
    assert "Prise en charge par Claire." in html
    assert [row["current"] for row in response.context["timeline"]] == [False, False, True]


def test_a_draft_offers_to_continue_sign_and_withdraw(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    client.force_login(auditeur)

    html = html_of(client.get(detail_url(dossier)))

    assert reverse("dossiers:edit_prerequisite", args=[dossier.pk]) in html
    assert reverse("dossiers:recapitulatif", args=[dossier.pk]) in html
    assert withdraw_url(dossier) in html
    assert ">Brouillon</span>" in html
    assert "Aucun document pour le moment" in html


@pytest.mark.parametrize("state", [State.INSCRIT_JURY, State.RETIRE, State.COURRIER_ENVOYE])
def test_no_withdrawal_once_with_the_jury_or_closed(client, auditeur, state):
    dossier = DossierFactory(auditeur=auditeur, state=state)
    client.force_login(auditeur)

    html = html_of(client.get(detail_url(dossier)))

    assert withdraw_url(dossier) not in html
    assert reverse("dossiers:recapitulatif", args=[dossier.pk]) not in html


# Session, user, dossier, events, pièces, their current files, latest signature (the
# profile gate reads the session).
DETAIL_QUERIES = 7


def test_the_dossier_page_runs_a_fixed_number_of_queries(
    client, auditeur, django_assert_num_queries
):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    client.force_login(auditeur)

    def add(n):
        for _ in range(n):
            EventFactory(dossier=dossier, action="sign", to_state=State.DEPOSE, comment="x")
            piece = PieceFactory(dossier=dossier, deposee=True, status=PieceStatus.ERRONEE,
                                 comment="À refaire.")
            PieceFileFactory(piece=piece)  # a second current file (multiple files)
            SignatureFactory(dossier=dossier)

    add(1)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(dossier))
    assert len(response.context["timeline"]) == 1
    add(9)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(detail_url(dossier))
    assert len(response.context["timeline"]) == 10
    assert len(response.context["piece_rows"]) == 10


def test_a_drafts_page_does_not_look_for_a_signature(
    client, auditeur, django_assert_num_queries
):
    draft = DossierFactory(auditeur=auditeur)
    PieceFileFactory(piece=PieceFactory(dossier=draft, deposee=True))
    client.force_login(auditeur)

    with django_assert_num_queries(DETAIL_QUERIES - 1):
        html = html_of(client.get(detail_url(draft)))
    assert "Aucun document pour le moment" in html


# --- Signed récapitulatif --------------------------------------------------------------------


def download(client, address):
    response = client.get(address)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_the_signed_recapitulatif_downloads_with_safe_headers(client, auditeur, deposited):
    client.force_login(auditeur)

    response, body = download(client, signed_pdf_url(deposited))

    assert response.status_code == 200
    assert body == sample_pdf("Récap")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="recapitulatif-{deposited.reference}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store, private"


def test_the_latest_signature_is_the_one_served(client, auditeur, deposited):
    key = default_storage.save("recapitulatifs/new.pdf", ContentFile(sample_pdf("Nouveau")))
    SignatureFactory(dossier=deposited, recapitulatif_key=key,
                     signed_at=timezone.now() + datetime.timedelta(minutes=5))
    client.force_login(auditeur)

    response, body = download(client, signed_pdf_url(deposited))

    assert body == sample_pdf("Nouveau")


def test_no_signed_recapitulatif_is_a_404(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    client.force_login(auditeur)
    assert client.get(signed_pdf_url(dossier)).status_code == 404
    SignatureFactory(dossier=dossier, recapitulatif_key="")
    assert client.get(signed_pdf_url(dossier)).status_code == 404
    SignatureFactory(dossier=dossier, recapitulatif_key="recapitulatifs/gone.pdf")
    assert client.get(signed_pdf_url(dossier)).status_code == 404


def test_the_centre_downloads_it_after_the_deposit(client, gestionnaire, deposited):
    client.force_login(gestionnaire)
    response, body = download(client, signed_pdf_url(deposited))
    assert response.status_code == 200
    assert body == sample_pdf("Récap")


# --- Withdrawal ------------------------------------------------------------------------------


def test_the_withdrawal_asks_for_confirmation(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    client.force_login(auditeur)

    html = html_of(client.get(withdraw_url(dossier)))

    assert f"Retirer le dossier {dossier.reference}" in html
    assert "Ce retrait est définitif" in html
    assert "Motif du retrait" in html
    assert "Retirer définitivement mon dossier" in html
    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert not Event.objects.filter(dossier=dossier).exists()


def test_confirming_withdraws_with_an_event(client, auditeur, django_capture_on_commit_callbacks):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    client.force_login(auditeur)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw_url(dossier), {"comment": "  Je change de diplôme. "},
                               follow=True)

    assert response.redirect_chain == [(detail_url(dossier), 302)]
    html = html_of(response)
    assert "Votre dossier est retiré." in html
    assert ">Retiré</span>" in html
    assert "Dossier retiré" in html
    assert "Je change de diplôme." in html
    dossier.refresh_from_db()
    assert dossier.state == State.RETIRE
    event = Event.objects.get(dossier=dossier)
    assert (event.action, event.actor, event.comment) == ("withdraw", auditeur,
                                                         "Je change de diplôme.")
    assert Courriel.objects.filter(template="dossier_retire").count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_no_withdrawal_from_inscrit_jury(client, auditeur, method):
    dossier = DossierFactory(auditeur=auditeur, inscrit_jury=True)
    client.force_login(auditeur)

    response = getattr(client, method)(withdraw_url(dossier), follow=True)

    assert response.redirect_chain == [(detail_url(dossier), 302)]
    assert "Ce dossier est présenté au jury : il ne peut plus être retiré." in html_of(response)
    dossier.refresh_from_db()
    assert dossier.state == State.INSCRIT_JURY
    assert not Event.objects.filter(dossier=dossier).exists()
    assert not Courriel.objects.exists()


def test_a_too_long_motive_is_refused_and_nothing_changes(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    client.force_login(auditeur)

    response = client.post(withdraw_url(dossier), {"comment": "x" * 1001})

    assert "Le formulaire contient une erreur." in html_of(response)
    dossier.refresh_from_db()
    assert dossier.state == State.BROUILLON
    assert not Signature.objects.filter(dossier=dossier).exists()
