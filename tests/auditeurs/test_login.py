"""Log-in by ENF identifier: where each role lands, and the French errors."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import PASSWORD
from tests.second_factor import log_in_through_form

LOGIN_URL = reverse("account_login")


def _log_in(client, login, password=PASSWORD, **extra):
    return client.post(LOGIN_URL, {"login": login, "password": password, **extra})


def test_it_shows_the_french_login_page(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Identifiant ENF" in html
    assert 'placeholder="prenom.nom.auditeur"' in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert "Mot de passe oublié ?" in html
    assert reverse("account_reset_password") in html
    # No sign-up: ENF accounts exist already.
    assert reverse("account_signup") not in html


def test_it_lands_a_returning_auditeur_on_suivi(client, auditeur):
    response = _log_in(client, auditeur.username)
    assert response.status_code == 302
    assert response["Location"] == reverse("auditeurs:suivi")
    assert client.session[SESSION_KEY] == str(auditeur.pk)


def test_it_accepts_an_identifier_typed_with_capitals(client, auditeur):
    response = _log_in(client, "  Jeanne.Martin.Auditeur ")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(auditeur.pk)


def test_it_lands_a_first_login_auditeur_on_the_profile(client, new_auditeur):
    response = _log_in(client, new_auditeur.username, follow=False)
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == reverse("auditeurs:profile")


@pytest.mark.parametrize(
    ("fixture", "home"),
    [
        ("gestionnaire", "auditeurs:centre_home"),
        ("agent_dnf", "jury:dnf_home"),
        ("membre_jury", "jury:jury_home"),
        ("administrateur", "admin:index"),
    ],
)
def test_it_lands_staff_on_their_home(client, request, fixture, home):
    user = request.getfixturevalue(fixture)
    response = log_in_through_form(client, user)  # password, then the TOTP code
    assert response.status_code == 302
    assert response["Location"] == reverse(home)
    assert client.get(response["Location"]).status_code == 200


def test_it_refuses_a_wrong_password_in_french(client, auditeur):
    response = _log_in(client, auditeur.username, password="pas-le-bon")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "L&#x27;identifiant ENF ou le mot de passe est incorrect." in response.content.decode()


def test_it_refuses_an_unknown_identifier_with_the_same_message(client, db):
    response = _log_in(client, "personne.inconnue.auditeur")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    # Same words as a wrong password: the page does not reveal which accounts exist.
    assert "L&#x27;identifiant ENF ou le mot de passe est incorrect." in response.content.decode()


@pytest.mark.parametrize(
    "login", ["jeanne martin", "jeanne.martin@cnam.fr", "jéanne.martin.auditeur"]
)
def test_it_says_a_malformed_identifier_is_invalid(client, auditeur, login):
    response = _log_in(client, login)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["login"]] == ["invalid_identifier"]
    html = response.content.decode()
    assert "Identifiant invalide" in html
    # The error is tied to the field for assistive technologies.
    assert 'id="id_login_error"' in html
    assert 'aria-describedby="id_login_error"' in html
    assert 'aria-invalid="true"' in html


def test_it_asks_for_both_fields(client, db):
    response = _log_in(client, "", password="")
    html = response.content.decode()
    assert "Saisissez votre identifiant ENF." in html
    assert "Saisissez votre mot de passe." in html


def test_an_inactive_account_cannot_log_in(client, auditeur):
    auditeur.is_active = False
    auditeur.save()
    _log_in(client, auditeur.username)
    assert SESSION_KEY not in client.session


def test_an_account_created_without_password_cannot_log_in(client, auditeur):
    auditeur.set_unusable_password()
    auditeur.save()
    response = _log_in(client, auditeur.username, password="")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_allauth_uses_the_d3_login_form(settings):
    # Needed for the identifier check above: ACCOUNT_FORMS in d3/settings.py.
    assert settings.ACCOUNT_FORMS["login"] == "auditeurs.forms.LoginForm"
