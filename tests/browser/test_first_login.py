"""Journey: a demo auditeur logs in for the first time, completes the profile and
reaches "Suivi de dossiers" — with the keyboard where it matters, and axe-core
checking every page on the way."""

import pytest
from django.core.management import call_command

from auditeurs.models import User
from tests.browser.conftest import assert_accessible

PASSWORD = "d3-demo-2026"


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", verbosity=0)


def test_first_login_completes_profile_then_reaches_suivi(live_server, page, demo_data):
    page.goto(live_server.url + "/")

    # Anonymous: sent to the log-in page.
    assert "/compte/login/" in page.url
    assert_accessible(page)
    # The first Tab lands on the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Aller au contenu"

    page.get_by_label("Identifiant ENF").fill("demo.auditeur.auditeur")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # First log-in: the profile gate.
    page.wait_for_url("**/auditeur/profil/")
    assert_accessible(page)
    page.goto(live_server.url + "/auditeur/suivi/")
    page.wait_for_url("**/auditeur/profil/")

    page.get_by_label("Civilité").select_option(label="Madame")
    page.get_by_label("Nom de naissance").fill("Auditeur")
    page.get_by_label("Prénoms").fill("Démo")
    page.get_by_label("Date de naissance").fill("1992-03-14")
    page.get_by_label("Lieu de naissance").fill("Nantes")
    page.get_by_label("Nationalité").fill("Française")
    page.get_by_label("Adresse", exact=True).fill("292 rue Saint-Martin")
    page.get_by_label("Code postal").fill("75003")
    page.get_by_label("Commune").fill("Paris")
    page.get_by_label("Téléphone").fill("01 40 27 20 00")
    page.get_by_label("Courriel").fill("demo.auditeur@example.org")
    page.get_by_role("button", name="Enregistrer").click()

    page.wait_for_url("**/auditeur/suivi/")
    assert page.get_by_role("heading", level=1).inner_text().strip() == "Suivi de dossiers"
    assert_accessible(page)

    profile = User.objects.get(username="demo.auditeur.auditeur").profile
    assert profile.is_complete
    assert profile.birth_place == "Nantes"

    # The other pages of the auditeur space are reachable and accessible too.
    for path in ("/auditeur/attestation-m1/", "/aide/", "/auditeur/profil/",
                 "/auditeur/donnees-personnelles/"):
        page.goto(live_server.url + path)
        assert page.url.endswith(path)
        assert_accessible(page)
