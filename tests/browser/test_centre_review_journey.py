"""Journey of a review: the centre's gestionnaire flags a pièce erronée and asks for
corrections; the auditrice follows the courriel's link, replaces that pièce and signs
again; the gestionnaire finds the re-deposited dossier first in the queue, checks the
new pièce and transmits the dossier to the DNF — axe-core checking every page."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from auditeurs.models import User
from d3.courriels.models import Courriel
from dossiers.models import Diplome, Dossier, Kind, PieceStatus, Signature, State
from dossiers.pieces import add_file
from dossiers.requests import start_request
from dossiers.signing import sign_dossier
from tests.browser.conftest import assert_accessible, pass_second_factor
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory

PASSWORD = "d3-demo-2026"
AUDITRICE = "marie.curie.auditeur"
OTHER_AUDITEUR = "gaston.lagaffe.auditeur"  # of the same centre
GESTIONNAIRE = "demo.gestionnaire"
DIPLOME = "LG02501A"
COMMENT = "La copie est illisible : déposez un scan complet, recto et verso."


@pytest.fixture
def deposited(transactional_db):
    """The demo data, and a DD + AEP of the auditrice signed through the real services,
    in the centre of the demo gestionnaire (Cnam Paris)."""
    call_command("load_demo", verbosity=0)
    marie = User.objects.get(username=AUDITRICE)
    dossier = start_request(auditeur=marie, diplome=Diplome.objects.get(code=DIPLOME),
                            kind=Kind.DD_AEP, formation_continue=False)
    Dossier.objects.filter(pk=dossier.pk).update(
        prerequisite_title="Baccalauréat scientifique", prerequisite_year=2010,
        prerequisite_institution="Lycée Henri-IV, Paris",
    )
    for piece in dossier.pieces.select_related("piece_type", "dossier"):
        add_file(piece=piece, user=marie, uploaded_file=SimpleUploadedFile(
            f"{piece.piece_type.code}.pdf", files.pdf_bytes(), content_type=files.PDF_TYPE))
    sign_dossier(dossier.pk, user=marie, password=PASSWORD, sworn=True, ip="192.0.2.1",
                 user_agent="tests")
    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert dossier.centre.gestionnaires.filter(username=GESTIONNAIRE).exists()
    # Another auditeur's dossier, deposited days before: a first deposit waits its turn
    # behind a re-deposit.
    earlier = DossierFactory(auditeur=User.objects.get(username=OTHER_AUDITEUR), depose=True)
    Dossier.objects.filter(pk=earlier.pk).update(
        state_changed_at=timezone.now() - datetime.timedelta(days=3))
    return dossier


def log_in(page, username):
    """On the log-in page already (any ``?next=``)."""
    page.get_by_label("Identifiant ENF").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_factor(page, username)


def log_out(page):
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/compte/login/"))


def courriels(template, **filters):
    return Courriel.objects.filter(template=template, **filters)


def test_corrections_asked_made_and_checked(live_server, page, deposited, tmp_path):
    dossier = deposited
    reference = dossier.reference
    pieces = list(dossier.pieces.select_related("piece_type"))
    flagged = pieces[1]  # the diploma copy, say; any will do
    flagged_label = flagged.piece_type.label
    first_digest = Signature.objects.get(dossier=dossier).digest
    before = Courriel.objects.count()
    replacement = tmp_path / "diplome-recto-verso.pdf"
    replacement.write_bytes(files.pdf_bytes(pages=2))

    # --- The gestionnaire takes the dossier, flags one pièce, asks for corrections. ---
    page.goto(live_server.url + "/compte/login/")
    assert_accessible(page)
    log_in(page, GESTIONNAIRE)
    page.wait_for_url("**/centre/")
    assert_accessible(page)
    _open_from_queue(page, reference)
    with page.expect_navigation():
        page.get_by_role("button", name="Prendre en charge").click()
    expect(page.get_by_role("group", name="Avis sur la pièce")).to_have_count(len(pieces))
    assert_accessible(page)
    for piece in pieces:
        if piece.pk == flagged.pk:
            _verdict(page, piece, "Erronée", COMMENT)
        else:
            _verdict(page, piece, "Conforme")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Demander des corrections").click()
    dossier.refresh_from_db()
    assert dossier.state == State.A_COMPLETER
    assert_accessible(page)
    log_out(page)

    # --- The auditrice reads the courriel and follows its link. -----------------------
    asked = courriels("corrections_demandees", dossier_reference=reference)
    assert asked.count() == 1
    courriel = asked.get()
    assert courriel.to == dossier.auditeur.email
    assert flagged_label in courriel.body_text and COMMENT in courriel.body_text
    link = re.search(r"https?://\S+/dossiers/\d+/corrections/", courriel.body_text).group(0)
    path = urlsplit(link).path
    assert path == f"/dossiers/{dossier.pk}/corrections/"
    page.goto(live_server.url + path)
    page.wait_for_url(re.compile(r"/compte/login/\?next=/dossiers/\d+/corrections/$"))
    assert_accessible(page)
    log_in(page, AUDITRICE)
    page.wait_for_url(f"**{path}")

    # What is asked: the flagged pièce with the comment; the others read-only.
    expect(page.get_by_role("heading", level=1)).to_have_text("Corrections demandées")
    section = page.locator(f"#piece-{flagged.pk}")
    expect(section).to_contain_text("Erronée")
    expect(section).to_contain_text(COMMENT)
    expect(page.locator("main input[type=file]")).to_have_count(1)
    expect(page.locator("#titre-autres-pieces + p + .table-wrap tbody tr")).to_have_count(
        len(pieces) - 1)
    assert_accessible(page)

    section.locator("input[type=file]").set_input_files(str(replacement))
    with page.expect_navigation():
        section.get_by_role("button", name=f"Déposer : {flagged_label}", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("diplome-recto-verso.pdf")
    section = page.locator(f"#piece-{flagged.pk}")
    expect(section).to_contain_text("Nouveau fichier déposé")
    expect(section.locator("details summary")).to_have_text("Versions précédentes (1)")
    assert_accessible(page)

    # The dossier page tells the same, then the récapitulatif and the new signature.
    page.get_by_role("link", name=f"Retour au dossier {reference}").click()
    page.wait_for_url(f"**/dossiers/{dossier.pk}/")
    expect(page.locator("#corrections-demandees")).to_contain_text("Déjà remplacée")
    assert_accessible(page)
    page.get_by_role("link", name="Apporter les corrections").click()
    page.wait_for_url(f"**{path}")
    page.get_by_role("link", name="Relire et signer à nouveau").click()
    page.wait_for_url("**/recapitulatif/")
    expect(page.locator("main")).to_contain_text("diplome-recto-verso.pdf")
    expect(page.locator("#pieces-non-remplacees")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("checkbox").check()
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Signer à nouveau et déposer mon dossier").click()
    page.wait_for_url(f"**/dossiers/{dossier.pk}/")
    expect(page.get_by_text("Votre dossier est signé à nouveau et déposé")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text(
        "Dossier déposé à nouveau après corrections")
    assert_accessible(page)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert dossier.correction_round == 1
    signatures = list(Signature.objects.filter(dossier=dossier).order_by("signed_at", "pk"))
    assert len(signatures) == 2
    assert signatures[1].digest != first_digest and signatures[1].recapitulatif_key
    assert courriels("dossier_redepose", to=dossier.centre.service_email).count() == 1
    assert courriels("dossier_depose", dossier_reference=reference).count() == 2  # 2 accusés
    log_out(page)

    # --- The gestionnaire: the re-deposit first in the queue, checked, transmitted. -----
    log_in(page, GESTIONNAIRE)
    page.wait_for_url("**/centre/")
    _open_from_queue(page, reference, first=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Prendre en charge").click()
    assert_accessible(page)
    _verdict(page, flagged, "Conforme")
    page.get_by_label(re.compile("^Je confirme que le dossier est complet")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Déclarer complet et transmettre à la DNF").click()
    expect(page.locator("main .badge").filter(has_text="Transmis à la DNF").first)\
        .to_be_visible()
    assert_accessible(page)

    dossier.refresh_from_db()
    assert dossier.state == State.TRANSMIS_DNF
    assert all(p.status == PieceStatus.CONFORME for p in dossier.pieces.all())
    assert courriels("dossier_transmis", to=dossier.auditeur.email).count() == 1
    # Corrections asked 1, re-deposit 1 to the centre + 1 accusé, transmitted 1.
    assert Courriel.objects.count() - before == 4


def _open_from_queue(page, reference, *, first=False):
    """From the gestionnaire's home: the queue of deposited dossiers, then the dossier."""
    page.get_by_role("navigation").get_by_role("link", name="Dossiers à contrôler").click()
    page.wait_for_url("**/centre/dossiers/")
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text=reference)).to_have_count(1)
    if first:
        expect(rows.first).to_contain_text(reference)
    assert_accessible(page)
    page.get_by_role("link", name=reference, exact=True).click()
    page.wait_for_url("**/centre/dossiers/*/")
    expect(page.locator("h1")).to_contain_text(reference)


def _verdict(page, piece, verdict, comment=""):
    section = page.locator(f"#piece-{piece.pk}")
    section.get_by_role("group", name="Avis sur la pièce").get_by_label(verdict, exact=True)\
        .check()
    if comment:
        section.get_by_label("Commentaire pour l'auditeur").fill(comment)
    with page.expect_navigation():
        section.get_by_role("button", name=re.compile("^Enregistrer l'avis")).click()
    expect(page.locator(f"#piece-{piece.pk} .badge").first).to_have_text(
        re.compile(verdict, re.I))
