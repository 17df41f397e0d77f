"""Journey: a demo auditrice makes a DD + AEP for her licence, declares her experience
and watches the pre-assessment change, uploads her pièces, signs the récapitulatif and
follows the deposited dossier — axe-core checking every page on the way."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from d3.courriels.models import Courriel
from dossiers.models import Dossier, Signature, State
from tests.browser.conftest import assert_accessible
from tests.dossiers import files

PASSWORD = "d3-demo-2026"
USERNAME = "marie.curie.auditeur"
DIPLOME = "LG02501A"


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", verbosity=0)


def _add_period(page, *, employer, position, start, end, in_specialty):
    form = page.locator("#form-periode")
    form.get_by_label("Employeur", exact=True).fill(employer)
    form.get_by_label("Poste occupé").fill(position)
    form.get_by_label("Salarié").check()
    form.get_by_label("Date de début").fill(start)
    form.get_by_label("Date de fin").fill(end)
    form.get_by_label("Temps de travail (%)").fill("100")
    specialty = form.get_by_label("Dans la spécialité (ou le domaine) du diplôme")
    level = form.get_by_label("À un niveau correspondant au diplôme")
    for box in (specialty, level):
        box.set_checked(in_specialty)
    form.get_by_label("Missions et tâches principales").fill(f"{position} chez {employer}.")


def test_an_auditrice_prepares_signs_and_follows_her_dossier(live_server, page, demo_data,
                                                             tmp_path):
    pdf = tmp_path / "justificatif.pdf"
    pdf.write_bytes(files.pdf_bytes())

    # Log in: Suivi de dossiers, no request yet.
    page.goto(live_server.url + "/compte/login/")
    page.get_by_label("Identifiant ENF").fill(USERNAME)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/auditeur/suivi/")
    expect(page.get_by_text("Vous n'avez encore aucune demande en cours")).to_be_visible()
    assert_accessible(page)

    # A new request: the diploma, then the kind.
    page.get_by_role("link", name="Faire une nouvelle demande").click()
    page.wait_for_url("**/dossiers/nouveau/")
    assert_accessible(page)
    page.get_by_label("Rechercher un diplôme").fill(DIPLOME)
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name=re.compile(f"Choisir le diplôme {DIPLOME}")).click()
    page.wait_for_url("**/dossiers/nouveau/*/")
    assert_accessible(page)
    page.get_by_label("Demande de diplôme et analyse de l'expérience professionnelle").check()
    page.get_by_label("Non", exact=True).check()
    page.get_by_role("button", name="Créer la demande").click()

    # Step 1: the prerequisite diploma.
    page.wait_for_url("**/prerequis/")
    dossier = Dossier.objects.get(auditeur__username=USERNAME)
    assert dossier.state == State.BROUILLON
    assert_accessible(page)
    page.get_by_label("Intitulé du diplôme obtenu").fill("Baccalauréat scientifique")
    page.get_by_label("Année d'obtention").fill("2010")
    page.get_by_label("Établissement qui l'a délivré").fill("Lycée Henri-IV, Paris")
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Step 2: experience; a period outside the specialty does not meet the rules…
    page.wait_for_url("**/experience/")
    assessment = page.locator("#apercu-pre-evaluation")
    assert_accessible(page)
    _add_period(page, employer="Boulangerie Martin", position="Vendeuse",
                start="2012-01-01", end="2013-12-31", in_specialty=False)
    page.locator("#form-periode").get_by_role("button", name="Ajouter cette période").click()
    page.wait_for_url("**/experience/")
    expect(page.get_by_text("La période « Vendeuse — Boulangerie Martin » est enregistrée."))\
        .to_be_visible()
    expect(assessment.locator(".badge")).to_have_text("Conditions non remplies")
    expect(assessment).to_contain_text("24 mois")
    assert_accessible(page)

    # …one in the specialty does: the preview changes as it is typed, then it is saved.
    _add_period(page, employer="Cnam", position="Développeuse",
                start="2014-01-01", end="2018-12-31", in_specialty=True)
    expect(assessment.locator(".badge")).to_have_text("Conditions remplies")
    expect(assessment).to_contain_text("tient compte de la période en cours de saisie")
    page.locator("#form-periode").get_by_role("button", name="Ajouter cette période").click()
    page.wait_for_url("**/experience/")
    expect(assessment.locator(".badge")).to_have_text("Conditions remplies")
    expect(assessment).to_contain_text("84 mois")
    assert_accessible(page)
    page.get_by_role("button", name="Enregistrer et continuer").click()

    # Step 3: a PDF for every pièce asked.
    page.wait_for_url("**/pieces/")
    assert_accessible(page)
    sections = page.locator("section.card[id^='piece-']")
    count = sections.count()
    assert count >= 5
    for index in range(count):
        section = page.locator("section.card[id^='piece-']").nth(index)
        label = section.get_by_role("heading", level=2).inner_text().strip()
        section.locator("input[type=file]").set_input_files(str(pdf))
        section.get_by_role("button", name=f"Déposer : {label}", exact=True).click()
        page.wait_for_load_state()
        expect(page.locator("section.card[id^='piece-']").nth(index)).to_contain_text(
            "justificatif.pdf"
        )
        expect(page.locator(".messages")).to_contain_text(label)
    assert_accessible(page)
    page.get_by_role("link", name="Continuer vers le récapitulatif").click()

    # The récapitulatif: everything, then the signature.
    page.wait_for_url("**/recapitulatif/")
    main = page.locator("main")
    for text in ("Marie Curie", DIPLOME, "Baccalauréat scientifique", "Boulangerie Martin",
                 "Cnam", "Conditions remplies", "justificatif.pdf"):
        expect(main).to_contain_text(text)
    expect(page.get_by_text("Votre dossier ne peut pas encore être signé")).to_have_count(0)
    assert_accessible(page)

    # A wrong password signs nothing.
    page.get_by_role("checkbox").check()
    page.get_by_label("Votre mot de passe").fill("pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Signer et déposer mon dossier").click()
    expect(page.get_by_role("alert")).to_contain_text("Mot de passe incorrect")
    assert_accessible(page)
    dossier.refresh_from_db()
    assert dossier.state == State.BROUILLON

    page.get_by_role("checkbox").check()
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Signer et déposer mon dossier").click()

    # The dossier page: deposited, with its timeline and the signed récapitulatif.
    page.wait_for_url(f"**/dossiers/{dossier.pk}/")
    expect(page.get_by_text("Votre dossier est signé et déposé.")).to_be_visible()
    expect(page.locator("main .badge").first).to_have_text(re.compile("Déposé", re.I))
    timeline = page.locator("ol.timeline")
    expect(timeline.locator("li")).to_have_count(3)
    expect(timeline.locator("li").nth(0)).to_contain_text("Demande créée")
    expect(timeline.locator("li").nth(1)).to_contain_text("Dossier signé et déposé")
    expect(timeline.locator("li[aria-current='step']")).to_contain_text(
        "Dossier signé et déposé"
    )
    expect(timeline.locator("li").nth(2)).to_contain_text("À venir")
    expect(page.get_by_role("link", name="Récapitulatif signé (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Continuer ma demande")).to_have_count(0)
    assert_accessible(page)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert Signature.objects.get(dossier=dossier).recapitulatif_key
    assert Courriel.objects.filter(template="dossier_depose",
                                   dossier_reference=dossier.reference).exists()

    # Suivi de dossiers lists it, deposited, with nothing to do for now.
    page.get_by_role("link", name="Retour au suivi de dossiers").click()
    page.wait_for_url("**/auditeur/suivi/")
    row = page.locator("tr", has_text=dossier.reference)
    expect(row).to_contain_text("Déposé", ignore_case=True)
    expect(row).to_contain_text("Rien pour le moment")
    assert_accessible(page)

    # Read-only now: the draft pages send back to the dossier page.
    page.goto(live_server.url + f"/dossiers/{dossier.pk}/experience/")
    page.wait_for_url(f"**/dossiers/{dossier.pk}/")
    expect(page.locator(".messages")).to_contain_text("ne peut plus être modifié")
