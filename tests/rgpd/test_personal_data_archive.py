"""« Mes données personnelles »: the auditeur downloads everything D3 holds about
him/her as one ZIP (auditeurs.personal_data), and nothing of anybody else."""

import datetime
import hashlib
import io
import json
import os
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from auditeurs import personal_data
from auditeurs.models import Role
from dossiers.models import PieceStatus, ScanStatus, State
from jury.models import CourrierStatus
from tests.dossiers.factories import (
    DossierFactory,
    EventFactory,
    PeriodFactory,
    PieceFactory,
    PieceFileFactory,
    SignatureFactory,
    sample_pdf,
)
from tests.factories import UEFactory, ValidatedUEFactory
from tests.jury.factories import CourrierFactory

ARCHIVE_URL = reverse("auditeurs:personal_data_archive")
PAGE_URL = reverse("auditeurs:personal_data")
INTERNAL_NOTE = "Note interne : dossier à surveiller, appeler le service."
FLAG_COMMENT = "Le relevé est illisible : déposez un scan en couleur."
MOTIVE = "Le jury a apprécié la qualité du rapport d'expérience."


def fill(dossier, *, names=("Relevé de notes.pdf",)):
    """A period, one pièce with a version per name, a signed récapitulatif, a visible
    event with a comment and an internal note."""
    PeriodFactory(dossier=dossier, employer="Société Générale d'Ingénierie")
    piece = PieceFactory(dossier=dossier, status=PieceStatus.ERRONEE, comment=FLAG_COMMENT)
    for name in names:
        PieceFileFactory(piece=piece, original_name=name)
    signature = dossier.signatures.first() or SignatureFactory(dossier=dossier)
    signature.recapitulatif_key = default_storage.save(
        "recapitulatifs/r.pdf", ContentFile(sample_pdf(f"Récapitulatif {dossier.pk}"))
    )
    signature.save()
    EventFactory(dossier=dossier, action="withdraw", to_state=State.RETIRE,
                 comment="Je préfère attendre l'an prochain.")
    EventFactory(dossier=dossier, action="note", visible_to_auditeur=False,
                 comment=INTERNAL_NOTE)
    return piece


@pytest.fixture
def jeanne(auditeur):
    """Jeanne Martin: a UE, a decided dossier whose courrier is sent (a pièce in two
    versions, one uploaded under a hostile name), and a draft."""
    ValidatedUEFactory(auditeur=auditeur, ue=UEFactory(code="NFA031", title="Programmation"),
                       grade=Decimal("14.50"))
    courrier = CourrierFactory(envoye=True, dossier__auditeur=auditeur,
                               dossier__decision__motive=MOTIVE)
    fill(courrier.dossier, names=("../Relevé de notes (1).pdf", "relevé définitif.PDF"))
    draft = DossierFactory(auditeur=auditeur)
    fill(draft)
    return auditeur, courrier.dossier, draft


@pytest.fixture
def luc(other_auditeur):
    dossier = DossierFactory(auditeur=other_auditeur, depose=True)
    fill(dossier, names=("Passeport de Luc Bernard.pdf",))
    return other_auditeur, dossier


def download(client, user):
    client.force_login(user)
    response = client.get(ARCHIVE_URL)
    assert response.status_code == 200
    # Reading to the end lets the test client close the response, as a server does.
    content = b"".join(response.streaming_content)
    return response, zipfile.ZipFile(io.BytesIO(content))


def read_json(archive, name):
    return json.loads(archive.read(name).decode("utf-8"))


def all_bytes(archive):
    return b"".join(archive.read(name) for name in archive.namelist())


def test_the_archive_holds_the_account_the_profile_and_the_validated_ues(client, jeanne):
    auditeur, decided, draft = jeanne
    _, archive = download(client, auditeur)

    names = archive.namelist()
    assert names[0] == "LISEZMOI.txt"
    readme = archive.read("LISEZMOI.txt").decode("utf-8-sig")
    assert "Vos données personnelles dans D3" in readme
    assert "notes internes" in readme
    assert f"dossiers/{decided.reference}/" in readme

    account = read_json(archive, "compte/profil.json")
    assert account["identifiant_enf"] == "jeanne.martin.auditeur"
    assert account["courriel"] == auditeur.email
    profile = account["profil"]
    assert profile["numero_d_auditeur"] == "PAR100001"
    assert profile["centre_d_inscription"] == "Cnam Paris"
    assert profile["date_de_naissance"] == "1990-05-17"
    assert profile["lieu_de_naissance"] == "Lyon"
    assert profile["code_postal"] == "69002"

    assert read_json(archive, "compte/ue_validees.json") == [{
        "code_ue": "NFA031", "intitule": "Programmation", "ects": 6,
        "validee_le": auditeur.validated_ues.get().validated_on.isoformat(),
        "centre": auditeur.validated_ues.get().centre.name
        if auditeur.validated_ues.get().centre else "",
        "note": "14.50",
    }]
    rows = archive.read("compte/ue_validees.csv").decode("utf-8-sig").splitlines()
    assert rows[0] == "code_ue;intitule;ects;validee_le;centre;note"
    assert rows[1].startswith("NFA031;Programmation;6;")


def test_each_dossier_in_words_with_its_files_byte_for_byte(client, jeanne):
    auditeur, decided, draft = jeanne
    _, archive = download(client, auditeur)

    data = read_json(archive, f"dossiers/{decided.reference}/dossier.json")
    assert data["nature_de_la_demande"] == decided.get_kind_display()
    assert data["etat"] == "Courrier envoyé"
    assert data["diplome"]["code"] == decided.diplome.code
    assert data["diplome_prerequis"]["intitule"] == "DUT informatique"
    [period] = data["experience_professionnelle"]
    assert (period["employeur"], period["debut"], period["fin"]) == (
        "Société Générale d'Ingénierie", "2018-01-01", "2021-12-31")
    assert period["duree_equivalent_temps_plein"] == "48 mois"
    assert data["pre_evaluation_de_l_experience"]["resultat"]
    assert [e["evenement"] for e in data["historique"]] == ["Dossier retiré"]
    assert data["historique"][0]["commentaire"] == "Je préfère attendre l'an prochain."

    [piece] = data["pieces"]
    assert piece["statut"] == "Erronée"
    assert piece["commentaire_du_centre"] == FLAG_COMMENT
    assert [f["version"] for f in piece["fichiers"]] == [1, 2]
    assert [f["nom_d_origine"] for f in piece["fichiers"]] == [
        "../Relevé de notes (1).pdf", "relevé définitif.PDF"]
    # Every version's bytes are the stored ones, under a name made safe by the server.
    stored = decided.pieces.get().files.order_by("pk")
    for entry, piece_file in zip(piece["fichiers"], stored, strict=True):
        assert entry["fichier"].startswith(f"dossiers/{decided.reference}/pieces/")
        with default_storage.open(piece_file.storage_key, "rb") as source:
            assert archive.read(entry["fichier"]) == source.read()
        assert hashlib.sha256(archive.read(entry["fichier"])).hexdigest() == \
            entry["empreinte_sha256"] == piece_file.sha256
    assert piece["fichiers"][0]["fichier"].endswith("-v1-Releve-de-notes-1.pdf")
    assert piece["fichiers"][1]["fichier"].endswith("-v2-releve-definitif.pdf")
    assert not any(".." in name or name.startswith("/") for name in archive.namelist())

    [signature] = data["signatures"]
    stored_signature = decided.signatures.get()
    assert signature["empreinte_sha256_du_contenu"] == stored_signature.digest
    assert signature["adresse_ip"] == "192.0.2.10"
    with default_storage.open(stored_signature.recapitulatif_key, "rb") as source:
        assert archive.read(signature["recapitulatif_signe"]) == source.read()

    courrier = decided.courrier
    assert data["courrier"]["code_de_verification"].replace("-", "") == \
        courrier.verification_code
    with default_storage.open(courrier.storage_key, "rb") as source:
        assert archive.read(f"dossiers/{decided.reference}/courrier-{decided.reference}.pdf") \
            == source.read()
    assert data["decision_du_jury"]["motif"] == MOTIVE
    assert data["decision_du_jury"]["delivrance_du_diplome"] == "Diplôme délivré"

    draft_data = read_json(archive, f"dossiers/{draft.reference}/dossier.json")
    assert draft_data["etat"] == "Brouillon"
    assert draft_data["courrier"] is None and draft_data["decision_du_jury"] is None


def test_internal_notes_and_another_auditeurs_data_are_absent(client, jeanne, luc):
    auditeur, _, _ = jeanne
    other, other_dossier = luc
    _, archive = download(client, auditeur)

    everything = all_bytes(archive)
    assert INTERNAL_NOTE.encode() not in everything
    for foreign in (other.username, other.last_name, other_dossier.reference,
                    "LYO200001", "Passeport de Luc Bernard"):
        assert foreign.encode() not in everything, foreign
    other_files = other_dossier.pieces.get().files.all()
    for piece_file in other_files:
        with default_storage.open(piece_file.storage_key, "rb") as source:
            assert source.read() not in [archive.read(n) for n in archive.namelist()]
    assert not any(other_dossier.reference in name for name in archive.namelist())


def test_the_decision_stays_out_until_its_courrier_is_sent(client, auditeur):
    courrier = CourrierFactory(dossier__auditeur=auditeur, dossier__decision__motive=MOTIVE)
    assert courrier.status == CourrierStatus.PROGRAMME
    _, archive = download(client, auditeur)

    data = read_json(archive, f"dossiers/{courrier.dossier.reference}/dossier.json")
    assert (data["courrier"], data["decision_du_jury"]) == (None, None)
    assert MOTIVE.encode() not in all_bytes(archive)


def test_a_file_the_antivirus_checks_or_refused_is_listed_not_joined(client, auditeur):
    piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur))
    PieceFileFactory(piece=piece, scan_status=ScanStatus.EN_ATTENTE)
    PieceFileFactory(piece=piece, scan_status=ScanStatus.INFECTE)
    _, archive = download(client, auditeur)

    data = read_json(archive, f"dossiers/{piece.dossier.reference}/dossier.json")
    files = data["pieces"][0]["fichiers"]
    assert [f["fichier"] for f in files] == [None, None]
    assert files[0]["remarque"].startswith("Analyse antivirus en cours")
    assert files[1]["remarque"].startswith("Fichier refusé par l'antivirus")
    assert not any("/pieces/" in name for name in archive.namelist())


def test_the_download_is_an_attachment_named_by_the_server_never_cached(client, jeanne):
    auditeur, _, _ = jeanne
    response, _ = download(client, auditeur)
    today = timezone.localdate()
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        f'attachment; filename="d3-donnees-personnelles-{today:%Y-%m-%d}.zip"')
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


# --- Access ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE_URL, ARCHIVE_URL])
@pytest.mark.parametrize("role", [r for r in Role if r != Role.AUDITEUR])
def test_staff_are_refused(client, every_role, role, url):
    client.force_login(every_role[role])
    response = client.get(url)
    assert response.status_code == 403


@pytest.mark.parametrize("url", [PAGE_URL, ARCHIVE_URL])
def test_anonymous_is_sent_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('account_login')}?next=")


def test_the_archive_is_asked_for_by_get_only(client, auditeur):
    client.force_login(auditeur)
    assert client.post(ARCHIVE_URL).status_code == 405


def test_the_page_explains_and_is_linked_from_the_profile_and_the_navigation(
    client, jeanne
):
    auditeur, _, _ = jeanne
    client.force_login(auditeur)
    page = client.get(PAGE_URL).content.decode()
    assert "<h1>Mes données personnelles</h1>" in page
    assert f'action="{ARCHIVE_URL}"' in page
    assert "Télécharger mes données (archive ZIP)" in page
    assert "notes internes" in page
    assert "2 à ce jour" in page
    assert f'href="{PAGE_URL}"' in page  # the navigation
    assert f'href="{PAGE_URL}"' in client.get(reverse("auditeurs:profile")).content.decode()


# --- Bounded: queries and memory -------------------------------------------------------


def _dossier_with_everything(auditeur):
    courrier = CourrierFactory(envoye=True, dossier__auditeur=auditeur)
    fill(courrier.dossier, names=("a.pdf", "b.pdf", "c.pdf"))
    return courrier.dossier


QUERIES = 8


def test_the_number_of_queries_does_not_grow_with_the_dossiers(
    auditeur, django_assert_num_queries
):
    _dossier_with_everything(auditeur)
    with django_assert_num_queries(QUERIES):
        personal_data.build_archive(auditeur).close()

    for _ in range(3):
        _dossier_with_everything(auditeur)
    fresh = type(auditeur).objects.get(pk=auditeur.pk)
    with django_assert_num_queries(QUERIES):
        archive = personal_data.build_archive(fresh)
    with zipfile.ZipFile(archive) as zf:
        assert sum(name.endswith("dossier.json") for name in zf.namelist()) == 4
    archive.close()


def test_a_large_file_is_copied_in_chunks_never_held_in_memory(auditeur):
    size = 8 * 1024 * 1024
    content = os.urandom(size)
    piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur))
    piece_file = PieceFileFactory(piece=piece, content=content)
    del content

    tracemalloc.start()
    try:
        archive = personal_data.build_archive(auditeur)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The archive is on disk: the process never held the 8 MB file, let alone the ZIP.
    assert peak < size / 4, peak
    with zipfile.ZipFile(archive) as zf:
        [name] = [n for n in zf.namelist() if "/pieces/" in n]
        assert zf.getinfo(name).file_size == size
        digest = hashlib.sha256()
        with zf.open(name) as member:
            for chunk in iter(lambda: member.read(1024 * 1024), b""):
                digest.update(chunk)
    archive.close()
    assert digest.hexdigest() == piece_file.sha256


def test_a_few_archives_an_hour_then_a_french_refusal_until_the_window_reopens(
    client, auditeur, settings
):
    settings.D3_RATE_LIMITS = {**settings.D3_RATE_LIMITS, "personal_data_archive": (2, 3600)}
    start = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        download(client, auditeur)
        download(client, auditeur)
        refused = client.get(ARCHIVE_URL)
        assert refused.status_code == 429
        assert not refused.streaming
        assert "réessayez dans une heure" in refused.content.decode()
    with time_machine.travel(start + datetime.timedelta(hours=2), tick=False):
        download(client, auditeur)
