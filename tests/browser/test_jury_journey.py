"""Journey of a jury: the agent DNF creates a session and puts a transmitted dossier on
it; the jury member opens the session and the dossier, views a pièce and records the
decision; the agent DNF closes the session; a month later the courrier goes out, and
the auditrice finds it in her dossier and downloads it — axe-core checking every page,
courriels counted."""

import datetime
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from auditeurs.models import User
from d3.courriels.models import Courriel
from dossiers import review, workflow
from dossiers.models import Diplome, Dossier, ExperiencePeriod, Kind, PieceStatus, State
from dossiers.pieces import add_file
from dossiers.requests import start_request
from dossiers.signing import sign_dossier
from jury import tasks
from jury.courriers import one_month_after
from jury.models import Courrier, CourrierStatus, Decision, JurySession
from tests.browser.conftest import assert_accessible, pass_second_factor
from tests.dossiers import files

PASSWORD = "d3-demo-2026"
AUDITRICE = "marie.curie.auditeur"
GESTIONNAIRE = "demo.gestionnaire"
AGENT_DNF = "demo.dnf"
JURY = "demo.jury"
DIPLOME = "LG02501A"
PLACE = "Cnam Paris, 292 rue Saint-Martin — salle des conseils"


@pytest.fixture
def transmitted(transactional_db):
    """The demo data, and a DD + AEP of the auditrice made, signed, checked by the
    centre and transmitted to the DNF through the real services."""
    call_command("load_demo", verbosity=0)
    marie = User.objects.get(username=AUDITRICE)
    gestionnaire = User.objects.get(username=GESTIONNAIRE)
    dossier = start_request(auditeur=marie, diplome=Diplome.objects.get(code=DIPLOME),
                            kind=Kind.DD_AEP, formation_continue=False)
    Dossier.objects.filter(pk=dossier.pk).update(
        prerequisite_title="Baccalauréat scientifique", prerequisite_year=2010,
        prerequisite_institution="Lycée Henri-IV, Paris",
    )
    ExperiencePeriod.objects.create(
        dossier=dossier, employer="Institut du radium", position="Développeuse",
        start=datetime.date(2018, 1, 1), end=datetime.date(2022, 12, 31),
        in_specialty=True, at_level=True, tasks="Logiciels de mesure.",
    )
    for piece in dossier.pieces.select_related("piece_type", "dossier"):
        add_file(piece=piece, user=marie, uploaded_file=SimpleUploadedFile(
            f"{piece.piece_type.code}.pdf", files.pdf_bytes(), content_type=files.PDF_TYPE))
    sign_dossier(dossier.pk, user=marie, password=PASSWORD, sworn=True, ip="192.0.2.1",
                 user_agent="tests")
    workflow.take(dossier.pk, user=gestionnaire)
    for piece in dossier.pieces.all():
        review.set_piece_verdict(piece.pk, user=gestionnaire, status=PieceStatus.CONFORME)
    workflow.declare_complete(dossier.pk, user=gestionnaire)
    dossier.refresh_from_db()
    assert dossier.state == State.TRANSMIS_DNF
    return dossier


def log_in(page, live_server, username):
    page.goto(live_server.url + "/compte/login/")
    page.get_by_label("Identifiant ENF").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_factor(page, username)


def log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/compte/login/"))


def test_a_session_decided_closed_and_its_courrier_received(live_server, page, transmitted):
    dossier = transmitted
    reference = dossier.reference
    today = timezone.localdate()
    before = Courriel.objects.count()

    # --- The agent DNF creates the session and puts the dossier on it. ---------------
    log_in(page, live_server, AGENT_DNF)
    page.wait_for_url("**/dnf/")
    assert_accessible(page)
    page.get_by_role("navigation").get_by_role("link", name="Sessions de jury").click()
    page.wait_for_url("**/dnf/sessions/")
    assert_accessible(page)
    page.get_by_role("link", name="Créer une session de jury").click()
    page.wait_for_url("**/dnf/sessions/nouvelle/")
    assert_accessible(page)
    page.get_by_label("Date du jury").fill(today.isoformat())
    page.get_by_label("Lieu").fill(PLACE)
    page.get_by_role("group", name="Diplômes concernés").get_by_label(
        re.compile(f"^{DIPLOME}")).check()
    page.get_by_label("Président").select_option(label="Jules Jury")
    page.get_by_role("group", name="Membres").get_by_label("Jules Jury").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Créer la session").click()
    session = JurySession.objects.get()
    page.wait_for_url(f"**/dnf/sessions/{session.pk}/")
    assert_accessible(page)
    page.get_by_label(re.compile(f"^Inscrire le dossier {reference}")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Inscrire les dossiers sélectionnés").click()
    expect(page.locator("#dossiers tbody tr").filter(has_text=reference)).to_have_count(1)
    assert_accessible(page)
    dossier.refresh_from_db()
    assert (dossier.state, dossier.jury_session_id) == (State.INSCRIT_JURY, session.pk)
    assert Courriel.objects.filter(template="dossier_inscrit_jury",
                                   to=dossier.auditeur.email).count() == 1
    log_out(page)

    # --- The jury member: his sessions, the session, the dossier, the decision. -------
    log_in(page, live_server, JURY)
    page.wait_for_url("**/jury/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Jury du ")).click()
    page.wait_for_url(f"**/jury/sessions/{session.pk}/")
    row = page.locator("tbody tr").filter(has_text=reference)
    expect(row).to_contain_text("DD + AEP")
    expect(row).to_contain_text("Conditions remplies")
    expect(row).to_contain_text("À décider")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(f"^{reference}")).click()
    page.wait_for_url(f"**/jury/dossiers/{dossier.pk}/")
    expect(page.locator("h1")).to_contain_text(reference)
    expect(page.locator("#cursus")).to_contain_text("Cursus complet")
    expect(page.locator("#experience")).to_contain_text("Institut du radium")
    assert_accessible(page)
    # A pièce as the jury gets it: a download, never shown in D3's page.
    link = page.locator("#pieces a[download]").first
    expect(link).to_contain_text("(PDF,")
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("group", name="Cursus validé").get_by_label("Oui").check()
    page.get_by_role("group", name="Analyse de l'expérience").get_by_label(
        "Expérience validée", exact=True).check()
    page.get_by_role("group", name="Délivrance du diplôme").get_by_label(
        "Diplôme délivré").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".messages")).to_contain_text(
        f"La décision sur le dossier {reference} est enregistrée.")
    expect(page.locator("#decision")).to_contain_text("Diplôme délivré")
    assert_accessible(page)
    decision = Decision.objects.get(dossier=dossier)
    assert (decision.cursus_valide, decision.aep_outcome, decision.dd_outcome) == (
        True, "validee", "delivre")
    log_out(page)

    # --- The agent DNF closes the session. -------------------------------------------------
    log_in(page, live_server, AGENT_DNF)
    page.wait_for_url("**/dnf/")
    page.goto(f"{live_server.url}/dnf/sessions/{session.pk}/")
    page.get_by_role("link", name="Clore la session").click()
    page.wait_for_url(f"**/dnf/sessions/{session.pk}/clore/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Clore la session").click()
    expect(page.locator(".messages")).to_contain_text("La session est close")
    assert_accessible(page)
    courrier = Courrier.objects.get(dossier=dossier)
    due_on = one_month_after(today)
    assert (courrier.due_on, courrier.status) == (due_on, CourrierStatus.PROGRAMME)
    log_out(page)

    # Before its day, the auditrice sees when the courrier will come.
    log_in(page, live_server, AUDITRICE)
    page.wait_for_url("**/suivi/")
    page.get_by_role("link", name=re.compile(f"^{reference}")).click()
    page.wait_for_url(f"**/dossiers/{dossier.pk}/")
    expect(page.locator("ol.timeline")).to_contain_text(
        f"Courrier de décision programmé pour le {due_on:%d/%m/%Y}")
    expect(page.locator("ol.timeline")).to_contain_text("Envoi du courrier de décision, prévu le")
    expect(page.get_by_role("link", name=re.compile("courrier de décision", re.I)))\
        .to_have_count(0)
    assert_accessible(page)
    log_out(page)

    # --- A month later, the courrier goes out. ------------------------------------------
    on_its_day = datetime.datetime.combine(due_on, datetime.time(8),
                                           tzinfo=timezone.get_current_timezone())
    with time_machine.travel(on_its_day, tick=True):
        assert tasks.send_due_courriers() == 1
    courrier.refresh_from_db()
    assert courrier.status == CourrierStatus.ENVOYE
    assert courrier.sent_at.date() == due_on

    # --- The auditrice finds it in her dossier and downloads it. -------------------------
    log_in(page, live_server, AUDITRICE)
    page.wait_for_url("**/suivi/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(f"^{reference}")).click()
    page.wait_for_url(f"**/dossiers/{dossier.pk}/")
    expect(page.locator("main .badge").filter(has_text="Courrier envoyé").first).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("Courrier de décision envoyé")
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le courrier de décision (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"courrier-{reference}.pdf"
    with open(download.path(), "rb") as letter:
        assert letter.read(5) == b"%PDF-"

    # Courriels: the inscription on the session, the courrier (with its PDF).
    assert Courriel.objects.count() - before == 2
    sent = Courriel.objects.get(template="courrier_envoye")
    assert sent.to == dossier.auditeur.email
    assert sent.attachments[0]["name"] == f"courrier-{reference}.pdf"
