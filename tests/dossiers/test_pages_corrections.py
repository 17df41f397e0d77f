"""The auditeur's corrections page: what the centre asks, pièce by pièce, the deadline,
the replacement of the flagged pièces (and of them only), who may open it."""

import datetime
from html import unescape

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Dossier, PieceFile, PieceStatus, State
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory, PieceFileFactory
from tests.factories import PieceTypeFactory

PDF = files.pdf_bytes(pages=2)


def url(name, dossier, *args):
    return reverse(f"dossiers:{name}", args=[dossier.pk, *args])


def text(response):
    assert response.status_code == 200
    return unescape(response.content.decode())


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def asked_since(dossier, when=None):
    """Mark the dossier à compléter from ``when`` (now): its files predate the request."""
    when = when or timezone.now()
    Dossier.objects.filter(pk=dossier.pk).update(state=State.A_COMPLETER,
                                                 state_changed_at=when)
    dossier.refresh_from_db()
    return dossier


@pytest.fixture
def dossier(auditeur):
    """À compléter: the diploma copy erronée (with a comment), the CV manquante, the ID
    conforme."""
    dossier = DossierFactory(auditeur=auditeur, en_controle=True, signable=False)
    PieceFactory(
        dossier=dossier, deposee=True, status=PieceStatus.CONFORME,
        piece_type=PieceTypeFactory(code="identite", label="Pièce d'identité", position=1),
    )
    PieceFactory(
        dossier=dossier, deposee=True, status=PieceStatus.ERRONEE,
        comment="La copie est illisible : scannez-la en entier, recto et verso.",
        piece_type=PieceTypeFactory(code="prerequis", label="Copie du diplôme prérequis",
                                    accepted_formats=["pdf"], position=2),
    )
    PieceFactory(
        dossier=dossier, status=PieceStatus.MANQUANTE,
        comment="Le curriculum vitæ n'a pas été déposé.",
        piece_type=PieceTypeFactory(code="cv", label="Curriculum vitæ", position=3),
    )
    return asked_since(dossier)


def piece(dossier, code):
    return dossier.pieces.get(piece_type__code=code)


def upload(client, dossier, target, content=PDF, name="diplome-complet.pdf"):
    return client.post(url("correction_upload", dossier, target.pk),
                       {"fichier": files.upload(content, name)})


def stored_pieces():
    return sorted(default_storage.listdir("pieces")[1]) if default_storage.exists("pieces") else []


@pytest.fixture
def logged_in(client, auditeur):
    client.force_login(auditeur)
    return client


# --- What is asked ------------------------------------------------------------------------


def test_it_shows_each_flagged_piece_with_the_centres_comment(logged_in, dossier):
    erronee = piece(dossier, "prerequis")
    current = erronee.files.get()

    html = text(logged_in.get(url("corrections", dossier)))

    assert "<h1>Corrections demandées</h1>" in html
    asked, others = html.split('id="titre-autres-pieces"')
    for label, status, comment in [
        ("Copie du diplôme prérequis", "Erronée",
         "La copie est illisible : scannez-la en entier, recto et verso."),
        ("Curriculum vitæ", "Manquante", "Le curriculum vitæ n'a pas été déposé."),
    ]:
        section = asked.split(f">{label}</h3>")[1].split("</section>")[0]
        assert f">{status}</span>" in section
        assert comment in section
        assert 'enctype="multipart/form-data"' in section
    assert url("correction_upload", dossier, erronee.pk) in asked
    assert url("correction_upload", dossier, piece(dossier, "cv").pk) in asked
    assert reverse("dossiers:piece_file", args=[dossier.pk, current.pk]) in asked
    assert "Fichier de remplacement" in asked
    assert "Format accepté : PDF." in asked

    # The conforme pièce: listed, read-only.
    conforme = piece(dossier, "identite")
    assert "Pièce d'identité" in others and ">Conforme</span>" in others
    assert url("correction_upload", dossier, conforme.pk) not in html
    assert reverse("dossiers:piece_file",
                   args=[dossier.pk, conforme.files.get().pk]) in others

    assert "2 pièces signalées n'ont pas encore été remplacées." in html
    assert f'href="{url("recapitulatif", dossier)}">Relire et signer à nouveau</a>' in html
    assert 'id="delai"' not in html


def set_deadline(dossier, days_from_today):
    due = timezone.localdate() + datetime.timedelta(days=days_from_today)
    Dossier.objects.filter(pk=dossier.pk).update(corrections_due=due)
    return due


def test_the_deadline_is_shown(logged_in, dossier):
    due = set_deadline(dossier, 0)  # "avant le" includes the day itself

    html = text(logged_in.get(url("corrections", dossier)))

    assert "À compléter avant le" in html
    assert f'<time datetime="{due.isoformat()}">{due.day} ' in html
    assert "est passée" not in html


def test_a_passed_deadline_is_said_politely(logged_in, dossier):
    due = set_deadline(dossier, -1)

    html = text(logged_in.get(url("corrections", dossier)))

    assert "La date demandée est passée" in html
    assert f'<time datetime="{due.isoformat()}">' in html
    assert "Vous pouvez encore les apporter dès maintenant" in html
    assert "prenez contact avec votre centre d'inscription" in html


def test_the_deadline_follows_the_local_date(logged_in, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(corrections_due=datetime.date(2031, 5, 15))
    # 23:30 UTC on the 15th is already the 16th in Paris.
    late = datetime.datetime(2031, 5, 15, 23, 30, tzinfo=datetime.UTC)

    with time_machine.travel(late, tick=False):
        from dossiers.pages.corrections import deadline_context

        dossier.refresh_from_db()
        assert deadline_context(dossier)["deadline_passed"]
        assert not deadline_context(dossier, today=datetime.date(2031, 5, 15))[
            "deadline_passed"]


def test_the_dossier_page_lists_the_corrections_asked(logged_in, dossier):
    due = set_deadline(dossier, 10)

    html = text(logged_in.get(url("detail", dossier)))

    callout = html.split('id="corrections-demandees"')[1].split("</section>")[0]
    assert "Corrections demandées" in callout
    assert "remplacer 2 pièces" in callout
    assert "Copie du diplôme prérequis</strong> (erronée) : La copie est illisible" in callout
    assert "Curriculum vitæ</strong> (manquante) : Le curriculum vitæ n'a pas été déposé." \
        in callout
    assert "Pièce d'identité" not in callout
    assert f'À compléter avant le <time datetime="{due.isoformat()}">' in callout
    assert f'href="{url("corrections", dossier)}">Apporter les corrections</a>' in callout
    assert "Relire le récapitulatif et signer à nouveau" in html


def test_the_dossier_page_says_what_is_already_replaced(logged_in, dossier):
    upload(logged_in, dossier, piece(dossier, "prerequis"))
    upload(logged_in, dossier, piece(dossier, "cv"))

    html = text(logged_in.get(url("detail", dossier)))

    callout = html.split('id="corrections-demandees"')[1].split("</section>")[0]
    assert "<ul>" not in callout
    assert "Déjà remplacées : Copie du diplôme prérequis, Curriculum vitæ." in callout
    assert "signez à nouveau votre dossier pour le renvoyer à votre centre" in callout


def test_the_dossier_page_has_no_callout_in_other_states(logged_in, auditeur):
    dossier = DossierFactory(auditeur=auditeur, en_controle=True)

    html = text(logged_in.get(url("detail", dossier)))

    assert "corrections-demandees" not in html
    assert url("corrections", dossier) not in html


# --- Replacing a flagged pièce ------------------------------------------------------------


def test_replacing_a_flagged_piece_keeps_the_old_version(logged_in, dossier):
    erronee = piece(dossier, "prerequis")
    old = erronee.files.get()

    response = upload(logged_in, dossier, erronee)

    assert response.status_code == 302
    assert response["Location"] == f"{url('corrections', dossier)}#piece-{erronee.pk}"
    [message] = messages_of(response)
    assert message.startswith(
        "Le fichier « diplome-complet.pdf » est déposé pour « Copie du diplôme prérequis ».")
    old.refresh_from_db()
    assert old.replaced_at is not None
    assert default_storage.exists(old.storage_key)
    new = erronee.files.get(replaced_at__isnull=True)
    with default_storage.open(new.storage_key) as stored:
        assert stored.read() == PDF
    erronee.refresh_from_db()
    assert erronee.status == PieceStatus.DEPOSEE

    # Still on the page, with both versions, and may be replaced again.
    html = text(logged_in.get(url("corrections", dossier)))
    section = html.split(f'id="piece-{erronee.pk}"')[1].split("</section>")[0]
    assert "Nouveau fichier déposé" in section
    assert "La copie est illisible" in section
    current, previous = section.split("Versions précédentes (1)")
    assert "diplome-complet.pdf" in current
    assert reverse("dossiers:piece_file", args=[dossier.pk, old.pk]) in previous
    assert url("correction_upload", dossier, erronee.pk) in section
    assert "Une pièce signalée n'a pas encore été remplacée." in html

    # A mistaken replacement can itself be replaced during the round.
    upload(logged_in, dossier, erronee, content=files.pdf_bytes(3), name="la-bonne.pdf")
    assert erronee.files.filter(replaced_at__isnull=True).get().original_name == "la-bonne.pdf"
    assert erronee.files.count() == 3


def test_a_missing_piece_is_deposited(logged_in, dossier):
    manquante = piece(dossier, "cv")

    upload(logged_in, dossier, manquante, name="cv.pdf")

    manquante.refresh_from_db()
    assert manquante.status == PieceStatus.DEPOSEE
    assert manquante.files.get().original_name == "cv.pdf"


def test_replacing_a_conforme_piece_is_refused(logged_in, dossier):
    conforme = piece(dossier, "identite")
    before = stored_pieces()

    response = upload(logged_in, dossier, conforme)

    assert response.status_code == 302
    [message] = messages_of(response)
    assert message.startswith("« Pièce d'identité » : Cette pièce ne peut plus être modifiée")
    assert conforme.files.count() == 1
    conforme.refresh_from_db()
    assert conforme.status == PieceStatus.CONFORME
    assert stored_pieces() == before


def test_a_bad_file_is_refused_and_nothing_is_stored(logged_in, dossier):
    erronee = piece(dossier, "prerequis")
    before = stored_pieces()

    response = upload(logged_in, dossier, erronee, content=files.png_bytes(), name="scan.png")

    [message] = messages_of(response)
    assert message == ("« Copie du diplôme prérequis » : fichier refusé. Ce fichier est au "
                       "format PNG. Format accepté : PDF.")
    assert erronee.files.count() == 1
    erronee.refresh_from_db()
    assert erronee.status == PieceStatus.ERRONEE
    assert stored_pieces() == before


def test_posting_without_a_file_asks_for_one(logged_in, dossier):
    response = logged_in.post(url("correction_upload", dossier, piece(dossier, "cv").pk), {})

    assert messages_of(response) == ["Choisissez le fichier à déposer pour « Curriculum vitæ »."]
    assert not PieceFile.objects.filter(piece__piece_type__code="cv").exists()


def test_a_file_of_a_flagged_multiple_files_piece_is_removed(logged_in, dossier):
    attestations = PieceFactory(
        dossier=dossier, deposee=True, status=PieceStatus.ERRONEE, comment="La 2e est fausse.",
        piece_type=PieceTypeFactory(code="attestations", label="Attestations d'employeur",
                                    multiple_files=True),
    )
    PieceFileFactory(piece=attestations)
    asked_since(dossier)
    wrong = attestations.files.last()

    html = text(logged_in.get(url("corrections", dossier)))
    response = logged_in.post(url("correction_file_remove", dossier, wrong.pk))

    assert url("correction_file_remove", dossier, wrong.pk) in html
    assert "est retiré de la pièce « Attestations d'employeur »" in messages_of(response)[0]
    wrong.refresh_from_db()
    assert wrong.replaced_at is not None
    attestations.refresh_from_db()
    assert attestations.status == PieceStatus.DEPOSEE


def test_an_upload_without_the_csrf_token_is_refused(auditeur, dossier):
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditeur)

    response = upload(client, dossier, piece(dossier, "cv"))

    assert response.status_code == 403
    assert not PieceFile.objects.filter(piece__piece_type__code="cv").exists()


def test_a_piece_of_another_dossier_is_not_found(logged_in, auditeur, dossier):
    other = DossierFactory(auditeur=auditeur, a_completer=True)
    other_piece = PieceFactory(dossier=other, status=PieceStatus.MANQUANTE)

    assert upload(logged_in, dossier, other_piece).status_code == 404
    assert not other_piece.files.exists()


# --- Who and when --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["corrections", "correction_upload"])
def test_another_auditeurs_dossier_is_not_found(client, other_auditeur, dossier, name):
    client.force_login(other_auditeur)
    args = [piece(dossier, "cv").pk] if name == "correction_upload" else []

    method = client.post if name == "correction_upload" else client.get
    response = method(url(name, dossier, *args))

    assert response.status_code == 404
    assert not piece(dossier, "cv").files.exists()


@pytest.mark.parametrize("name", ["corrections", "correction_upload"])
def test_staff_are_refused(client, gestionnaire, dossier, name):
    client.force_login(gestionnaire)
    args = [piece(dossier, "cv").pk] if name == "correction_upload" else []

    method = client.post if name == "correction_upload" else client.get
    response = method(url(name, dossier, *args))

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, dossier):
    address = url("corrections", dossier)

    response = client.get(address)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={address}"


@pytest.mark.parametrize("state", [State.BROUILLON, State.DEPOSE, State.EN_CONTROLE,
                                   State.TRANSMIS_DNF, State.RETIRE])
def test_a_dossier_not_awaiting_corrections_sends_back_to_its_page(logged_in, dossier, state):
    Dossier.objects.filter(pk=dossier.pk).update(state=state)
    manquante = piece(dossier, "cv")

    shown = logged_in.get(url("corrections", dossier))
    posted = upload(logged_in, dossier, manquante)

    for response in (shown, posted):
        assert response.status_code == 302
        assert response["Location"] == url("detail", dossier)
    assert "aucune correction ne vous est demandée" in messages_of(posted)[0]
    assert not manquante.files.exists()


# --- Queries ------------------------------------------------------------------------------


# Session, user, dossier, pièces with their types, files (the profile gate reads the
# session).
CORRECTIONS_QUERIES = 5


def test_the_page_costs_the_same_queries_for_1_or_10_pieces(
    client, auditeur, django_assert_num_queries
):
    dossier = DossierFactory(auditeur=auditeur, a_completer=True)
    client.force_login(auditeur)

    def add(n, status):
        for _ in range(n):
            flagged = PieceFactory(dossier=dossier, deposee=True, status=status, comment="À refaire.")
            PieceFileFactory(piece=flagged, replaced_at=timezone.now())

    add(1, PieceStatus.ERRONEE)
    with django_assert_num_queries(CORRECTIONS_QUERIES):
        response = client.get(url("corrections", dossier))
    assert len(response.context["asked_rows"]) == 1
    add(5, PieceStatus.ERRONEE)
    add(4, PieceStatus.CONFORME)
    with django_assert_num_queries(CORRECTIONS_QUERIES):
        response = client.get(url("corrections", dossier))
    assert len(response.context["asked_rows"]) == 6
    assert len(response.context["other_rows"]) == 4
