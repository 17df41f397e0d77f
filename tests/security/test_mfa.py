"""Staff accounts (every role but auditeur) set up a TOTP second factor before any staff
page, then give its code at each log-in: through D3's form, after a password reset and
on the way to the Django admin. Auditeurs are not concerned."""

import datetime
import re
import time
from html import unescape
from io import StringIO

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from auditeurs.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, load_demo
from auditeurs.models import Role, User
from auditeurs.staff_security import totp_secret_of
from d3.access import home_url_name
from tests.factories import PASSWORD, StaffFactory
from tests.second_factor import current_totp_code, log_in_through_form

pytestmark = pytest.mark.django_db

STAFF_ROLES = [Role.GESTIONNAIRE, Role.AGENT_DNF, Role.MEMBRE_JURY, Role.ADMINISTRATEUR]
ACTIVATE = reverse("mfa_activate_totp")
AUTHENTICATE = reverse("mfa_authenticate")
EXPLANATION = "Les comptes des personnels"


def staff_without_totp(role=Role.GESTIONNAIRE, **kwargs):
    if role == Role.ADMINISTRATEUR:
        kwargs.update(is_staff=True, is_superuser=True)
    return StaffFactory(role=role, totp=False, **kwargs)


def code_for(secret, steps_ahead=0):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_ahead))


def open_activation(client, user):
    """Log in with the password, confirm it again (allauth asks it before any change
    of second factor), land on the activation page: its response."""
    log_in_through_form(client, user)
    response = client.get(reverse("home"), follow=True)
    assert [url for url, _ in response.redirect_chain][-2:] == [
        ACTIVATE, f"{reverse('account_reauthenticate')}?next=%2Fcompte%2F2fa%2Ftotp%2Factivate%2F"]
    assert "Confirmer votre identité" in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD})
    assert response["Location"] == ACTIVATE
    return client.get(ACTIVATE)


def assert_no_inline_script_or_style(html):
    # A strict content security policy (no inline script, no style attribute) must
    # leave these pages whole.
    assert "<script" not in html
    assert "style=" not in html


# --- Without TOTP: every staff page sends to the activation ----------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_a_staff_account_without_totp_reaches_no_staff_page(client, role):
    user = staff_without_totp(role)
    client.force_login(user)
    for url in [reverse(home_url_name(user)), reverse("aide_staff"), reverse("home")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == ACTIVATE, url


def test_the_activation_page_explains_why_in_french(client):
    response = open_activation(client, staff_without_totp())
    html = response.content.decode()
    assert "<h1>Activer l'authentification à deux facteurs</h1>" in html
    assert EXPLANATION in html
    # The QR code is inline SVG with a text alternative; the key is printed for
    # those who cannot scan it.
    assert '<svg role="img" aria-labelledby="totp-qr-title"' in html
    assert response.context["form"].secret in html
    assert 'autocomplete="one-time-code"' in html
    assert_no_inline_script_or_style(html)


def test_while_pending_log_out_health_static_and_404_stay_open(client):
    user = staff_without_totp()
    client.force_login(user)
    assert client.get(reverse("health")).status_code in (200, 503)
    static = client.get("/static/css/d3.css")
    assert static.status_code == 200
    assert b"".join(static.streaming_content)  # read to the end: the file is closed
    assert client.get("/pas-de-page-ici/").status_code == 404
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert SESSION_KEY not in client.session


def test_activation_with_the_right_code_opens_the_staff_pages(client):
    user = staff_without_totp()
    secret = open_activation(client, user).context["form"].secret

    response = client.post(ACTIVATE, {"code": code_for(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Codes de secours" in html
    assert len(page.context["unused_codes"]) == 10
    assert page.context["unused_codes"][0] in html
    assert_no_inline_script_or_style(html)

    assert client.get(reverse("auditeurs:centre_home")).status_code == 200


def test_activation_with_a_wrong_code_is_refused_in_french_and_nothing_saved(client):
    user = staff_without_totp()
    secret = open_activation(client, user).context["form"].secret
    wrong = code_for(secret, steps_ahead=5)

    response = client.post(ACTIVATE, {"code": wrong})
    assert response.status_code == 200
    assert "Ce code n&#x27;est pas valable" in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()
    assert client.get(reverse("auditeurs:centre_home"))["Location"] == ACTIVATE


def test_staff_cannot_remove_their_second_factor(client, gestionnaire):
    log_in_through_form(client, gestionnaire)
    deactivate = reverse("mfa_deactivate_totp")
    response = client.post(f"{reverse('account_reauthenticate')}?next={deactivate}",
                           {"password": PASSWORD, "next": deactivate})
    assert response["Location"] == deactivate
    response = client.post(deactivate)
    assert response.status_code == 200
    assert "doivent garder" in response.content.decode()
    assert Authenticator.objects.filter(user=gestionnaire, type="totp").exists()


def test_the_second_factor_page_says_it_is_active_and_offers_no_removal_to_staff(
    client, gestionnaire
):
    client.force_login(gestionnaire)
    response = client.get(reverse("mfa_index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Votre application d'authentification est active" in html
    assert reverse("mfa_deactivate_totp") not in html
    assert_no_inline_script_or_style(html)


def test_auditeurs_need_no_second_factor(client, auditeur):
    response = log_in_through_form(client, auditeur)
    assert response["Location"] == reverse("auditeurs:suivi")
    assert client.get(reverse("auditeurs:suivi")).status_code == 200


# --- Log-in: the code is asked after the password ---------------------------------------


def test_staff_log_in_asks_for_the_code_before_any_page(client, gestionnaire):
    response = client.post(reverse("account_login"),
                           {"login": gestionnaire.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == AUTHENTICATE
    # Password alone: not logged in.
    assert SESSION_KEY not in client.session
    assert client.get(reverse("auditeurs:centre_home"))["Location"].startswith(
        reverse("account_login"))

    page = client.get(AUTHENTICATE)
    html = page.content.decode()
    assert "Code de vérification" in html
    assert 'autocomplete="one-time-code"' in html
    assert_no_inline_script_or_style(html)

    response = client.post(AUTHENTICATE, {"code": "000000"})
    assert response.status_code == 200
    assert "Ce code n&#x27;est pas valable" in response.content.decode()
    assert SESSION_KEY not in client.session

    response = client.post(AUTHENTICATE, {"code": current_totp_code(gestionnaire)})
    assert response.status_code == 302
    assert response["Location"] == reverse("auditeurs:centre_home")
    assert client.session[SESSION_KEY] == str(gestionnaire.pk)


def test_guessing_codes_is_stopped_after_five_wrong_ones(client, gestionnaire):
    start = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post(reverse("account_login"),
                    {"login": gestionnaire.username, "password": PASSWORD})
        right = current_totp_code(gestionnaire)
        wrong = [f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 6)]
        for code in wrong:
            assert client.post(AUTHENTICATE, {"code": code}).status_code == 200
        # The sixth try is refused even with the right code.
        response = client.post(AUTHENTICATE, {"code": right})
        assert response.status_code == 200
        assert "Trop de tentatives de connexion ont échoué" in unescape(
            response.content.decode())
        assert SESSION_KEY not in client.session

        clock.shift(datetime.timedelta(minutes=5, seconds=1))
        response = client.post(AUTHENTICATE, {"code": current_totp_code(gestionnaire)})
        assert response["Location"] == reverse("auditeurs:centre_home")


def test_a_code_serves_once(client, gestionnaire):
    code = current_totp_code(gestionnaire)
    assert log_in_through_form(client, gestionnaire, code=code)["Location"] == reverse(
        "auditeurs:centre_home")
    client.post(reverse("account_logout"))

    response = log_in_through_form(client, gestionnaire, code=code)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_a_recovery_code_replaces_the_app_once(client, gestionnaire):
    user = staff_without_totp(username="nina.vidal")
    secret = open_activation(client, user).context["form"].secret
    client.post(ACTIVATE, {"code": code_for(secret)})
    recovery = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"][0]
    client.post(reverse("account_logout"))

    response = log_in_through_form(client, user, code=recovery)
    assert response["Location"] == reverse("auditeurs:centre_home")
    client.post(reverse("account_logout"))
    assert log_in_through_form(client, user, code=recovery).status_code == 200
    assert SESSION_KEY not in client.session


# --- A password reset does not bypass it ------------------------------------------------


def test_a_password_reset_does_not_log_in_and_the_next_log_in_asks_the_code(
    client, gestionnaire
):
    new_password = "un-nouveau-mot-de-passe-42"
    client.post(reverse("account_reset_password"), {"email": gestionnaire.email})
    link = re.search(r"https?://\S+/compte/password/reset/key/\S+/", mail.outbox[0].body)
    form_url = client.get(link.group(0))["Location"]
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response["Location"] == reverse("account_reset_password_from_key_done")

    assert SESSION_KEY not in client.session
    assert client.get(reverse("auditeurs:centre_home"))["Location"].startswith(
        reverse("account_login"))
    response = client.post(reverse("account_login"),
                           {"login": gestionnaire.username, "password": new_password})
    assert response["Location"] == AUTHENTICATE
    assert SESSION_KEY not in client.session
    response = client.post(AUTHENTICATE, {"code": current_totp_code(gestionnaire)})
    assert response["Location"] == reverse("auditeurs:centre_home")


# --- The Django admin -------------------------------------------------------------------


def test_an_administrator_without_totp_cannot_reach_the_admin(client):
    admin = staff_without_totp(Role.ADMINISTRATEUR)
    client.force_login(admin)
    for url in [reverse("admin:index"), reverse("admin:auditeurs_user_changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == ACTIVATE


def test_the_admin_log_in_is_d3_s_with_the_code(client, administrateur):
    response = client.get(reverse("admin:index"), follow=True)
    # The admin's own log-in form is never offered: D3's is, with its second step.
    assert response.request["PATH_INFO"] == reverse("account_login")
    assert response.request["QUERY_STRING"] == "next=%2Fadmin%2F"
    response = client.post(reverse("account_login"), {
        "login": administrateur.username, "password": PASSWORD, "next": "/admin/"})
    assert response["Location"] == AUTHENTICATE
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))
    # The admin's log-in URL checks no password: a POST there logs no one in.
    response = client.post(reverse("admin:login"),
                           {"username": administrateur.username, "password": PASSWORD})
    assert response["Location"].startswith(reverse("account_login"))
    assert SESSION_KEY not in client.session

    response = client.post(AUTHENTICATE, {"code": current_totp_code(administrateur)})
    assert response["Location"] == "/admin/"
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_log_in_form_cannot_switch_an_open_session_to_another_account(
    client, auditeur, administrateur
):
    # Django's own admin log-in form would accept a password over any open session.
    client.force_login(auditeur)
    client.post(reverse("admin:login"),
                {"username": administrateur.username, "password": PASSWORD})
    assert client.session[SESSION_KEY] == str(auditeur.pk)


# --- Demo accounts: a documented secret, and a command that prints the code --------------


def test_demo_staff_accounts_log_in_with_the_code_the_command_prints(client):
    load_demo()
    for username in ["demo.gestionnaire", "demo.dnf", "demo.jury", "demo.admin"]:
        assert totp_secret_of(User.objects.get(username=username)) == DEMO_TOTP_SECRET
    assert not Authenticator.objects.filter(user__role=Role.AUDITEUR).exists()

    out = StringIO()
    call_command("code_totp", "demo.gestionnaire", stdout=out, stderr=StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    response = log_in_through_form(
        client, User.objects.get(username="demo.gestionnaire"), password=DEMO_PASSWORD, code=code)
    assert response["Location"] == reverse("auditeurs:centre_home")


def test_the_code_command_prints_no_code_of_a_real_account(gestionnaire):
    with pytest.raises(CommandError, match="n'utilise pas le secret TOTP de démonstration"):
        call_command("code_totp", gestionnaire.username)
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("code_totp", "personne.inconnue")


def test_loading_the_demo_again_keeps_a_second_factor_set_up_meanwhile(db):
    load_demo()
    user = User.objects.get(username="demo.dnf")
    Authenticator.objects.filter(user=user).update(data={"secret": "NEWSECRETNEWSECRET234567"})
    load_demo()
    assert totp_secret_of(user) == "NEWSECRETNEWSECRET234567"
    assert Authenticator.objects.filter(user=user).count() == 1


def test_staff_confirm_a_sensitive_change_with_the_password_or_the_code(client, gestionnaire):
    generate = reverse("mfa_generate_recovery_codes")
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC),
                             tick=False) as clock:
        log_in_through_form(client, gestionnaire)
        clock.shift(datetime.timedelta(minutes=1))  # the next code
        response = client.get(generate)
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        html = client.get(response["Location"]).content.decode()
        assert "Confirmer votre identité" in html
        assert reverse("mfa_reauthenticate") in html  # the other way: the app's code

        page = client.get(f"{reverse('mfa_reauthenticate')}?next={generate}")
        html = page.content.decode()
        assert '<label for="id_code">Code de l\'application d\'authentification</label>' in html
        assert_no_inline_script_or_style(html)
        response = client.post(f"{reverse('mfa_reauthenticate')}?next={generate}",
                               {"code": current_totp_code(gestionnaire), "next": generate})
        assert response["Location"] == generate
        response = client.post(generate)
        assert response["Location"] == reverse("mfa_view_recovery_codes")
        assert len(client.get(response["Location"]).context["unused_codes"]) == 10
