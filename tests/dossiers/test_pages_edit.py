"""Filling in a draft: prerequisite, periods of experience with the pre-assessment, pièces."""

import datetime
import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dossiers.models import ExperiencePeriod, Kind, Piece, PieceFile, PieceStatus
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PeriodFactory, PieceFactory
from tests.factories import DiplomeFactory, PieceTypeFactory, RuleSetFactory

PDF = files.pdf_bytes()


@pytest.fixture
def dossier(auditeur):
    """A draft DD + AEP for a licence asking 36 months in all, 12 in the specialty."""
    diplome = DiplomeFactory(
        code="LG02501A", title="Licence informatique",
        prerequisite="Bac+2 (DUT, BTS, L2) en informatique",
        rule_set=RuleSetFactory(),
    )
    return DossierFactory(auditeur=auditeur, diplome=diplome, kind=Kind.DD_AEP,
                          prerequisite_title="", prerequisite_year=None,
                          prerequisite_institution="")


def url(name, dossier, *args):
    return reverse(f"dossiers:{name}", args=[dossier.pk, *args])


def text(response):
    return unescape(response.content.decode())


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def period_data(**values):
    data = {
        "employer": "Société Générale",
        "position": "Développeuse",
        "start": "2020-01-01",
        "end": "2020-12-31",
        "working_time": "100",
        "in_specialty": "on",
        "at_level": "on",
        "kind": "employment",
        "tasks": "Développement d'applications web.",
    }
    data.update(values)
    return {f"periode-{name}": value for name, value in data.items() if value is not None}


# --- Step indicator ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "current"),
    [("edit_prerequisite", "Diplôme prérequis"),
     ("edit_periods", "Expérience professionnelle"),
     ("edit_pieces", "Pièces justificatives")],
)
def test_each_step_shows_the_steps_with_the_current_one_marked(
    client, auditeur, dossier, name, current
):
    client.force_login(auditeur)

    html = text(client.get(url(name, dossier)))

    assert '<ol class="steps">' in html
    assert html.count('aria-current="step"') == 1
    marked = html.split('aria-current="step"')[1].split("</li>")[0]
    assert current in marked
    for label in ("Diplôme prérequis", "Expérience professionnelle",
                  "Pièces justificatives", "Récapitulatif et signature"):
        assert label in html
    assert f"/dossiers/{dossier.pk}/recapitulatif/" in html


# --- Step 1: prerequisite ---------------------------------------------------------


def test_the_prerequisite_step_shows_the_diplomas_prerequisite(client, auditeur, dossier):
    client.force_login(auditeur)

    html = text(client.get(url("edit_prerequisite", dossier)))

    assert "Bac+2 (DUT, BTS, L2) en informatique" in html
    assert "Enregistrer et continuer" in html


def test_the_prerequisite_is_saved_and_the_next_step_follows(client, auditeur, dossier):
    client.force_login(auditeur)

    response = client.post(url("edit_prerequisite", dossier), {
        "prerequisite_title": "DUT informatique",
        "prerequisite_year": "2012",
        "prerequisite_institution": "IUT Lyon 1",
    })

    assert response.status_code == 302
    assert response["Location"] == url("edit_periods", dossier)
    dossier.refresh_from_db()
    assert (dossier.prerequisite_title, dossier.prerequisite_year,
            dossier.prerequisite_institution) == ("DUT informatique", 2012, "IUT Lyon 1")
    assert "Le diplôme prérequis est enregistré." in messages_of(response)
    # Coming back: the saved values are in the form.
    html = text(client.get(url("edit_prerequisite", dossier)))
    assert 'value="DUT informatique"' in html and 'value="2012"' in html


@pytest.mark.parametrize(
    ("year", "message"),
    [
        (str(datetime.date.today().year + 1), "L'année d'obtention ne peut pas être dans le futur."),
        ("1949", "L'année d'obtention doit être 1950 ou après."),
        ("deux mille", "Indiquez l'année sur quatre chiffres, par exemple 2015."),
    ],
)
def test_a_wrong_year_is_refused_next_to_the_field(client, auditeur, dossier, year, message):
    client.force_login(auditeur)

    response = client.post(url("edit_prerequisite", dossier), {
        "prerequisite_title": "DUT informatique",
        "prerequisite_year": year,
        "prerequisite_institution": "IUT Lyon 1",
    })

    html = text(response)
    assert response.status_code == 200
    assert 'id="id_prerequisite_year_error"' in html
    assert message in html
    assert 'role="alert"' in html
    dossier.refresh_from_db()
    assert dossier.prerequisite_title == ""


def test_the_prerequisite_is_required_for_a_dd(client, auditeur, dossier):
    client.force_login(auditeur)

    html = text(client.post(url("edit_prerequisite", dossier), {}))

    assert "Indiquez l'intitulé du diplôme prérequis obtenu." in html
    assert "Indiquez l'année d'obtention du diplôme." in html


def test_the_prerequisite_is_optional_for_an_aep_anticipee(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur, kind=Kind.AEP_ANTICIPEE,
                             prerequisite_title="DUT", prerequisite_year=2010)
    client.force_login(auditeur)

    html = text(client.get(url("edit_prerequisite", dossier)))
    response = client.post(url("edit_prerequisite", dossier), {"prerequisite_title": ""})

    assert "(facultatif)" in html
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.prerequisite_title, dossier.prerequisite_year) == ("", None)


# --- Step 2: periods of experience ------------------------------------------------


def test_adding_periods_updates_the_pre_assessment(client, auditeur, dossier):
    client.force_login(auditeur)

    before = text(client.get(url("edit_periods", dossier)))
    first = client.post(url("edit_periods", dossier), period_data())
    after_one = text(client.get(url("edit_periods", dossier)))
    client.post(url("edit_periods", dossier), period_data(
        employer="Capgemini", start="2021-01-01", end="2022-12-31"))
    after_two = text(client.get(url("edit_periods", dossier)))

    assert "Vous n'avez encore déclaré aucune période d'expérience." in before
    assert "Stage de 6 mois requis" in before
    assert first.status_code == 302 and first["Location"] == url("edit_periods", dossier)
    assert "Conditions non remplies" in after_one
    assert "Il vous manque 24 mois d'expérience professionnelle au total." in after_one
    assert "Développeuse — Société Générale" in after_one
    assert "12 mois" in after_one
    assert "Conditions remplies" in after_two
    assert "Conditions non remplies" not in after_two
    assert "36 mois" in after_two
    assert ExperiencePeriod.objects.filter(dossier=dossier).count() == 2


def test_the_pre_assessment_region_is_live_and_the_script_enhances_it(client, auditeur, dossier):
    client.force_login(auditeur)

    html = text(client.get(url("edit_periods", dossier)))

    assert 'id="apercu-pre-evaluation" aria-live="polite"' in html
    assert f'data-preview-url="{url("assessment_preview", dossier)}"' in html
    assert '<script src="/static/js/assessment.js" defer></script>' in html
    assert "<script>" not in html


def test_a_saved_period_is_stored_as_typed(client, auditeur, dossier):
    client.force_login(auditeur)

    client.post(url("edit_periods", dossier), period_data(
        end=None, ongoing="on", working_time="80", in_specialty=None, kind="self_employed"))

    period = ExperiencePeriod.objects.get(dossier=dossier)
    assert (period.employer, period.position, period.start, period.end) == (
        "Société Générale", "Développeuse", datetime.date(2020, 1, 1), None)
    assert (period.working_time, period.in_specialty, period.at_level, period.kind) == (
        80, False, True, "self_employed")
    assert period.tasks == "Développement d'applications web."
    html = text(client.get(url("edit_periods", dossier)))
    assert "à aujourd'hui (en cours)" in html


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param({"start": "2021-01-01", "end": "2020-12-31"}, "end",
                     "La date de fin doit être postérieure ou égale à la date de début.",
                     id="end-before-start"),
        pytest.param({"start": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
                      "end": None, "ongoing": "on"}, "start",
                     "La date de début ne peut pas être dans le futur.", id="future-start"),
        pytest.param({"working_time": "0"}, "working_time",
                     "Le temps de travail doit être compris entre 1 et 100 %.", id="working-time-0"),
        pytest.param({"working_time": "101"}, "working_time",
                     "Le temps de travail doit être compris entre 1 et 100 %.",
                     id="working-time-101"),
        pytest.param({"end": None}, "end",
                     "Indiquez la date de fin, ou cochez « En cours »", id="no-end-not-ongoing"),
        pytest.param({"ongoing": "on"}, "end",
                     "Pour une période en cours, laissez la date de fin vide", id="ongoing-with-end"),
        pytest.param({"start": ""}, "start", "Indiquez la date de début.", id="no-start"),
        pytest.param({"employer": ""}, "employer", "Indiquez l'employeur.", id="no-employer"),
        pytest.param({"kind": "benevolat"}, "kind",
                     "Choisissez la nature de l'activité dans la liste.", id="unknown-kind"),
    ],
)
def test_a_wrong_period_is_refused_next_to_the_field_and_nothing_is_saved(
    client, auditeur, dossier, values, field, message
):
    client.force_login(auditeur)

    response = client.post(url("edit_periods", dossier), period_data(**values))

    html = text(response)
    assert response.status_code == 200
    error = html.split(f'id="id_periode-{field}_error"')[1].split("</p>")[0]
    assert message in error
    assert 'role="alert"' in html
    assert not ExperiencePeriod.objects.filter(dossier=dossier).exists()


def test_continuing_with_an_empty_form_goes_to_the_pieces(client, auditeur, dossier):
    client.force_login(auditeur)

    response = client.post(url("edit_periods", dossier), {
        "periode-working_time": "100", "periode-kind": "employment", "continuer": "1",
    })

    assert response.status_code == 302
    assert response["Location"] == url("edit_pieces", dossier)
    assert not ExperiencePeriod.objects.exists()


def test_continuing_saves_the_period_being_typed(client, auditeur, dossier):
    client.force_login(auditeur)

    response = client.post(url("edit_periods", dossier), {**period_data(), "continuer": "1"})

    assert response["Location"] == url("edit_pieces", dossier)
    assert ExperiencePeriod.objects.filter(dossier=dossier).count() == 1


def test_a_period_is_edited(client, auditeur, dossier):
    period = PeriodFactory(dossier=dossier, employer="Atos", end=None)
    client.force_login(auditeur)

    page = text(client.get(url("period_edit", dossier, period.pk)))
    response = client.post(url("period_edit", dossier, period.pk),
                           period_data(employer="Atos Origin", working_time="50"))

    assert 'value="Atos"' in page
    assert re.search(r'<input type="checkbox" name="periode-ongoing"[^>]* checked', page)
    assert response.status_code == 302 and response["Location"] == url("edit_periods", dossier)
    period.refresh_from_db()
    assert (period.employer, period.working_time, period.end) == (
        "Atos Origin", 50, datetime.date(2020, 12, 31))


def test_a_wrong_edit_changes_nothing(client, auditeur, dossier):
    period = PeriodFactory(dossier=dossier, employer="Atos", working_time=100)
    client.force_login(auditeur)

    response = client.post(url("period_edit", dossier, period.pk),
                           period_data(employer="Atos Origin", working_time="101"))

    assert response.status_code == 200
    assert "Le temps de travail doit être compris entre 1 et 100 %." in text(response)
    period.refresh_from_db()
    assert (period.employer, period.working_time) == ("Atos", 100)


def test_a_period_is_deleted_after_a_confirmation(client, auditeur, dossier):
    period = PeriodFactory(dossier=dossier, employer="Atos", position="Analyste")
    client.force_login(auditeur)

    page = client.get(url("period_delete", dossier, period.pk))
    assert ExperiencePeriod.objects.filter(pk=period.pk).exists()
    response = client.post(url("period_delete", dossier, period.pk))

    assert "Supprimer la période « Analyste — Atos » ?" in text(page)
    assert response.status_code == 302 and response["Location"] == url("edit_periods", dossier)
    assert not ExperiencePeriod.objects.filter(pk=period.pk).exists()
    assert "La période « Analyste — Atos » est supprimée." in messages_of(response)


def test_a_period_of_another_dossier_is_not_found(client, auditeur, dossier):
    other = PeriodFactory(dossier=DossierFactory(auditeur=auditeur))
    client.force_login(auditeur)

    assert client.get(url("period_edit", dossier, other.pk)).status_code == 404
    assert client.post(url("period_delete", dossier, other.pk)).status_code == 404
    assert ExperiencePeriod.objects.filter(pk=other.pk).exists()


def test_a_diploma_without_rules_asks_no_experience(client, auditeur):
    dossier = DossierFactory(auditeur=auditeur, diplome=DiplomeFactory(rule_set=None),
                             kind=Kind.DD)
    client.force_login(auditeur)

    html = text(client.get(url("edit_periods", dossier)))

    assert "Ce diplôme n'exige pas d'expérience professionnelle" in html


# --- Preview of the pre-assessment (JavaScript) -----------------------------------


def test_the_preview_counts_the_period_being_typed_without_saving_it(client, auditeur, dossier):
    PeriodFactory(dossier=dossier, start=datetime.date(2019, 1, 1),
                  end=datetime.date(2019, 12, 31))
    client.force_login(auditeur)

    response = client.post(url("assessment_preview", dossier), period_data(
        start="2020-01-01", end="2021-12-31"))

    html = text(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    assert "<html" not in html
    assert "Pré-évaluation de votre expérience professionnelle" in html
    assert "Conditions remplies" in html
    assert "36 mois" in html
    assert "période en cours de saisie" in html
    assert ExperiencePeriod.objects.filter(dossier=dossier).count() == 1


def test_the_preview_answers_nothing_for_an_incomplete_period(client, auditeur, dossier):
    client.force_login(auditeur)

    response = client.post(url("assessment_preview", dossier), period_data(working_time="0"))

    assert response.status_code == 204
    assert response.content == b""


def test_the_preview_is_post_only(client, auditeur, dossier):
    client.force_login(auditeur)

    assert client.get(url("assessment_preview", dossier)).status_code == 405


# --- Step 3: pièces ---------------------------------------------------------------


@pytest.fixture
def piece(dossier):
    return PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        code="prerequis", label="Copie du diplôme prérequis",
        help_text="La copie du diplôme qui donne accès à la licence.",
        accepted_formats=["pdf"],
    ))


def upload(client, dossier, piece, content=PDF, name="diplome.pdf", **kwargs):
    return client.post(url("piece_upload", dossier, piece.pk),
                       {"fichier": files.upload(content, name)}, **kwargs)


def stored_names():
    return sorted(default_storage.listdir("pieces")[1]) if default_storage.exists("pieces") else []


def test_the_pieces_page_lists_each_piece_with_its_help_and_formats(client, auditeur, dossier,
                                                                   piece):
    other = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        code="identite", label="Pièce d'identité", accepted_formats=["pdf", "jpeg", "png"]))
    client.force_login(auditeur)

    html = text(client.get(url("edit_pieces", dossier)))

    assert "Copie du diplôme prérequis" in html and "Pièce d'identité" in html
    assert "La copie du diplôme qui donne accès à la licence." in html
    assert "Format accepté : PDF." in html
    assert "Formats acceptés : PDF, JPEG, PNG." in html
    assert "10 Mo au plus" in html
    assert 'enctype="multipart/form-data"' in html
    assert url("piece_upload", dossier, piece.pk) in html
    assert url("piece_upload", dossier, other.pk) in html
    assert "Attendue" in html
    assert "Étape précédente" in html
    assert f'href="/dossiers/{dossier.pk}/recapitulatif/"' in html


def test_a_valid_pdf_is_stored_and_listed(client, auditeur, dossier, piece):
    client.force_login(auditeur)

    response = upload(client, dossier, piece, name="mon diplôme.pdf")

    assert response.status_code == 302
    assert response["Location"] == f"{url('edit_pieces', dossier)}#piece-{piece.pk}"
    piece_file = PieceFile.objects.get(piece=piece)
    with default_storage.open(piece_file.storage_key) as stored:
        assert stored.read() == PDF
    piece.refresh_from_db()
    assert piece.status == PieceStatus.DEPOSEE
    assert messages_of(response) == [
        "Le fichier « mon diplôme.pdf » est déposé pour « Copie du diplôme prérequis »."]
    html = text(client.get(url("edit_pieces", dossier)))
    assert "mon diplôme.pdf" in html
    assert reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk]) in html
    assert "Déposée" in html
    assert "Fichier de remplacement" in html


def test_an_executable_renamed_pdf_is_refused_and_nothing_is_stored(client, auditeur, dossier,
                                                                   piece):
    client.force_login(auditeur)

    response = upload(client, dossier, piece, content=files.EXE_BYTES, name="diplome.pdf")

    assert response.status_code == 302
    [message] = messages_of(response)
    assert "« Copie du diplôme prérequis » : fichier refusé." in message
    assert "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG" in message
    assert not PieceFile.objects.exists()
    assert stored_names() == []
    piece.refresh_from_db()
    assert piece.status == PieceStatus.ATTENDUE


def test_a_format_the_piece_does_not_accept_is_refused(client, auditeur, dossier, piece):
    client.force_login(auditeur)

    response = upload(client, dossier, piece, content=files.png_bytes(), name="scan.png")

    [message] = messages_of(response)
    assert "Ce fichier est au format PNG. Format accepté : PDF." in message
    assert not PieceFile.objects.exists()


def test_a_file_over_10_mb_is_refused(client, auditeur, dossier, piece):
    client.force_login(auditeur)

    response = upload(client, dossier, piece, content=b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))

    [message] = messages_of(response)
    assert "Le fichier dépasse la taille maximale de 10 Mo." in message
    assert not PieceFile.objects.exists()
    assert stored_names() == []


def test_posting_without_a_file_asks_for_one(client, auditeur, dossier, piece):
    client.force_login(auditeur)

    response = client.post(url("piece_upload", dossier, piece.pk), {})

    assert messages_of(response) == [
        "Choisissez le fichier à déposer pour « Copie du diplôme prérequis »."]
    assert not PieceFile.objects.exists()


def test_replacing_a_file_keeps_the_previous_version_listed(client, auditeur, dossier, piece):
    client.force_login(auditeur)

    upload(client, dossier, piece, name="premier.pdf")
    upload(client, dossier, piece, content=files.pdf_bytes(pages=2), name="second.pdf")

    first, second = PieceFile.objects.filter(piece=piece).order_by("pk")
    assert first.replaced_at is not None and second.replaced_at is None
    html = text(client.get(url("edit_pieces", dossier)))
    current, previous = html.split("Versions précédentes (1)")
    assert "second.pdf" in current.split(f'id="piece-{piece.pk}"')[1]
    assert "premier.pdf" in previous.split("</details>")[0]
    assert reverse("dossiers:piece_file", args=[dossier.pk, first.pk]) in previous
    assert "remplacé le" in previous


def test_a_file_of_a_multiple_files_piece_is_removed(client, auditeur, dossier):
    piece = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(
        code="attestations", label="Attestations d'employeur", multiple_files=True))
    client.force_login(auditeur)
    upload(client, dossier, piece, name="attestation-1.pdf")
    upload(client, dossier, piece, content=files.pdf_bytes(pages=2), name="attestation-2.pdf")
    first = PieceFile.objects.get(original_name="attestation-1.pdf")

    page = text(client.get(url("edit_pieces", dossier)))
    response = client.post(url("piece_file_remove", dossier, first.pk))

    assert url("piece_file_remove", dossier, first.pk) in page
    assert "Fichier à ajouter" in page
    assert response["Location"] == f"{url('edit_pieces', dossier)}#piece-{piece.pk}"
    first.refresh_from_db()
    assert first.replaced_at is not None
    assert "est retiré" in messages_of(response)[0]
    html = text(client.get(url("edit_pieces", dossier)))
    assert "retiré le" in html.split("Versions précédentes (1)")[1]


def test_a_single_file_piece_has_no_remove_action(client, auditeur, dossier, piece):
    client.force_login(auditeur)
    upload(client, dossier, piece)
    piece_file = PieceFile.objects.get()

    html = text(client.get(url("edit_pieces", dossier)))
    response = client.post(url("piece_file_remove", dossier, piece_file.pk))

    assert url("piece_file_remove", dossier, piece_file.pk) not in html
    assert "Ce fichier ne peut pas être retiré" in messages_of(response)[0]
    piece_file.refresh_from_db()
    assert piece_file.replaced_at is None


def test_a_piece_of_another_dossier_is_not_found(client, auditeur, dossier):
    other_piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur))
    client.force_login(auditeur)

    assert upload(client, dossier, other_piece).status_code == 404
    assert not PieceFile.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused(auditeur, dossier, piece):
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditeur)

    response = upload(client, dossier, piece)

    assert response.status_code == 403
    assert not PieceFile.objects.exists()
    assert stored_names() == []


def test_the_upload_works_with_the_csrf_token_of_the_page(auditeur, dossier, piece):
    client = Client(enforce_csrf_checks=True)
    client.force_login(auditeur)
    html = client.get(url("edit_pieces", dossier)).content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    response = client.post(url("piece_upload", dossier, piece.pk), {
        "csrfmiddlewaretoken": token, "fichier": files.upload(PDF, "diplome.pdf")})

    assert response.status_code == 302
    assert PieceFile.objects.filter(piece=piece).count() == 1


# --- Queries ----------------------------------------------------------------------


def test_the_periods_page_costs_the_same_queries_for_1_or_10_periods(
    client, auditeur, dossier, django_assert_num_queries
):
    client.force_login(auditeur)
    PeriodFactory(dossier=dossier)
    # Session, user, dossier, its periods, the diploma's rules (the profile gate reads
    # the session).
    with django_assert_num_queries(4):
        assert client.get(url("edit_periods", dossier)).status_code == 200
    PeriodFactory.create_batch(9, dossier=dossier)
    with django_assert_num_queries(4):
        html = text(client.get(url("edit_periods", dossier)))
    assert html.count(">Modifier<") == 10


def test_the_pieces_page_costs_the_same_queries_for_1_or_10_pieces(
    client, auditeur, dossier, django_assert_num_queries
):
    client.force_login(auditeur)
    PieceFactory(dossier=dossier, deposee=True)
    with django_assert_num_queries(5):  # the profile gate reads the session
        assert client.get(url("edit_pieces", dossier)).status_code == 200
    for _ in range(9):
        PieceFactory(dossier=dossier, deposee=True)
    with django_assert_num_queries(5):
        html = text(client.get(url("edit_pieces", dossier)))
    assert html.count('enctype="multipart/form-data"') == 10
    assert Piece.objects.filter(dossier=dossier).count() == 10
