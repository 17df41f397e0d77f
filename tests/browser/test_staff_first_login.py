"""Journey: a new gestionnaire logs in for the first time, is sent to set up the second
factor, confirms the password, reads the key beside the QR code, gives the app's code,
keeps the recovery codes and reaches the centre's home; next time the code is asked
after the password — axe-core (and the CSP watch) on every page, no JavaScript needed."""

import pytest

from auditeurs.models import Role
from auditeurs.staff_security import current_totp_code, has_active_totp
from tests.browser.conftest import assert_accessible, pass_second_factor
from tests.factories import PASSWORD, CentreFactory, StaffFactory

USERNAME = "ines.fabre"


@pytest.fixture
def new_gestionnaire(transactional_db):
    return StaffFactory(username=USERNAME, first_name="Inès", last_name="Fabre",
                        role=Role.GESTIONNAIRE, centres=[CentreFactory(code="PAR")],
                        totp=False)


def log_in(page, live_server):
    page.goto(live_server.url + "/compte/login/")
    page.get_by_label("Identifiant ENF").fill(USERNAME)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_new_gestionnaire_sets_up_totp_then_gives_the_code_at_log_in(
    live_server, page, new_gestionnaire
):
    log_in(page, live_server)

    # Any page first: allauth asks the password again before a change of second factor.
    page.wait_for_url("**/compte/reauthenticate/**")
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Confirmer").click()

    page.wait_for_url("**/compte/2fa/totp/activate/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Activer l'authentification à deux facteurs")
    assert page.get_by_role("img", name="QR code à scanner").is_visible()
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code affiché par l'application").fill(current_totp_code(secret))
    page.get_by_role("button", name="Activer").click()

    page.wait_for_url("**/compte/2fa/recovery-codes/")
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="Continuer vers mon espace").click()
    page.wait_for_url("**/centre/")
    assert_accessible(page)
    assert has_active_totp(new_gestionnaire)

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/compte/login/")
    log_in(page, live_server)
    pass_second_factor(page, USERNAME)
    page.wait_for_url("**/centre/")
