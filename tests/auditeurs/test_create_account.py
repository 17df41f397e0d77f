"""A gestionnaire creates the ENF account of an auditeur of his/her centre."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from auditeurs.accounts import create_auditeur_account
from auditeurs.models import AuditeurProfile, Role, User
from d3.courriels.models import Courriel

CREATE_URL = reverse("auditeurs:create_account")
NEW_PASSWORD = "un-mot-de-passe-choisi-42"


def _data(centre, **overrides):
    data = {
        "civilite": "mme",
        "first_name": "Camille",
        "last_name": "Laurent",
        "email": "camille.laurent@example.org",
        "auditeur_number": "PAR300001",
        "centre": centre.pk,
    }
    data.update(overrides)
    return data


def _link(courriel):
    link = re.search(r"https?://\S+/compte/password/reset/key/[^\s\"<]+/", courriel.body_text)
    return link.group(0)


def test_the_form_offers_only_the_gestionnaires_centres(client, gestionnaire, other_centre):
    client.force_login(gestionnaire)
    response = client.get(CREATE_URL)
    assert response.status_code == 200
    choices = [label for _value, label in response.context["form"].fields["centre"].choices]
    assert choices == ["Choisissez", "Cnam Paris"]
    # A single centre comes preselected.
    assert response.context["form"]["centre"].value() == gestionnaire.centres.get().pk


def test_it_creates_the_account_and_queues_the_courriel(client, gestionnaire, centre, settings):
    settings.D3_SITE_URL = "https://diplome.cnam.fr"
    client.force_login(gestionnaire)

    response = client.post(CREATE_URL, _data(centre))

    user = User.objects.get(username="camille.laurent.auditeur")
    assert response.status_code == 302
    assert response["Location"] == f"{CREATE_URL}?compte={user.pk}"
    assert user.role == Role.AUDITEUR
    assert user.email == "camille.laurent@example.org"
    assert (user.first_name, user.last_name) == ("Camille", "Laurent")
    assert not user.has_usable_password()
    profile = user.profile
    assert (profile.auditeur_number, profile.centre) == ("PAR300001", centre)
    assert profile.civilite == "mme"
    assert not profile.is_complete

    courriel = Courriel.objects.get()
    assert courriel.to == "camille.laurent@example.org"
    assert courriel.template == "compte_cree"
    assert courriel.recipient_user == user
    assert "camille.laurent.auditeur" in courriel.body_text
    assert "camille.laurent.auditeur" in courriel.body_html
    assert "Bonjour Madame Camille Laurent" in courriel.body_text
    assert _link(courriel).startswith("https://diplome.cnam.fr/compte/password/reset/key/")
    assert _link(courriel) in courriel.body_html

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "camille.laurent.auditeur" in page.content.decode()


def test_the_link_in_the_courriel_lets_the_auditeur_choose_a_password(client, gestionnaire,
                                                                      centre):
    client.force_login(gestionnaire)
    client.post(CREATE_URL, _data(centre))
    client.logout()
    link = _link(Courriel.objects.get())

    form_url = client.get(link)["Location"]
    assert "Choisir votre mot de passe" in client.get(form_url).content.decode()
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = client.post(
        reverse("account_login"),
        {"login": "camille.laurent.auditeur", "password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    # First log-in: the profile comes first.
    assert client.get(response["Location"])["Location"] == reverse("auditeurs:profile")
    assert client.session[SESSION_KEY]


def test_a_homonym_gets_a_digit_suffix(client, gestionnaire, centre, auditeur):
    client.force_login(gestionnaire)
    client.post(CREATE_URL, _data(centre, first_name="Jeanne", last_name="Martin"))
    client.post(
        CREATE_URL,
        _data(centre, first_name="Jeanne", last_name="MARTIN", auditeur_number="PAR300002"),
    )
    assert User.objects.filter(username__startswith="jeanne.martin").count() == 3
    assert User.objects.filter(username="jeanne.martin2.auditeur").exists()
    assert User.objects.filter(username="jeanne.martin3.auditeur").exists()


def test_accents_and_apostrophes_become_a_valid_identifier(client, gestionnaire, centre):
    client.force_login(gestionnaire)
    client.post(CREATE_URL, _data(centre, first_name="Marie-Hélène", last_name="d'Orléans",
                                  auditeur_number=" par 300 003 "))
    user = User.objects.get(username="marie-helene.dorleans.auditeur")
    assert user.profile.auditeur_number == "PAR300003"


def test_a_duplicate_number_is_refused_and_nothing_created(client, gestionnaire, centre,
                                                           auditeur):
    client.force_login(gestionnaire)
    users_before = User.objects.count()

    response = client.post(CREATE_URL, _data(centre, auditeur_number="PAR100001"))

    assert response.status_code == 200
    assert response.context["form"].errors["auditeur_number"] == [
        "Ce numéro d'auditeur est déjà attribué à un autre compte."
    ]
    assert User.objects.count() == users_before
    assert not Courriel.objects.exists()


def test_a_centre_outside_the_gestionnaires_is_refused(client, gestionnaire, other_centre):
    client.force_login(gestionnaire)
    response = client.post(CREATE_URL, _data(other_centre))
    assert response.status_code == 200
    assert "l&#x27;un de vos centres" in response.content.decode()
    assert not User.objects.filter(role=Role.AUDITEUR).exists()
    assert not Courriel.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": "***"}, "last_name"),
        ({"email": "pas-un-courriel"}, "email"),
        ({"auditeur_number": "PAR-300"}, "auditeur_number"),
        ({"civilite": "x"}, "civilite"),
    ],
)
def test_invalid_data_is_refused(client, gestionnaire, centre, overrides, field):
    client.force_login(gestionnaire)
    response = client.post(CREATE_URL, _data(centre, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(role=Role.AUDITEUR).exists()


@pytest.mark.parametrize("fixture", ["auditeur", "agent_dnf", "membre_jury", "administrateur"])
def test_other_roles_are_refused(client, request, centre, fixture):
    client.force_login(request.getfixturevalue(fixture))
    response = client.post(CREATE_URL, _data(centre, auditeur_number="PAR399999"))
    assert response.status_code == 403
    assert not AuditeurProfile.objects.filter(auditeur_number="PAR399999").exists()


def test_the_success_page_shows_only_accounts_of_the_centre(client, gestionnaire, other_auditeur):
    client.force_login(gestionnaire)
    response = client.get(CREATE_URL, {"compte": other_auditeur.pk})
    assert response.status_code == 404


# --- The service itself ------------------------------------------------------


def _create(created_by, centre, **overrides):
    kwargs = {
        "created_by": created_by,
        "first_name": "Camille",
        "last_name": "Laurent",
        "email": "camille.laurent@example.org",
        "auditeur_number": "PAR300001",
        "centre": centre,
        "civilite": "mme",
    }
    kwargs.update(overrides)
    return create_auditeur_account(**kwargs)


def test_the_service_refuses_a_centre_that_is_not_the_gestionnaires(other_gestionnaire, centre):
    with pytest.raises(PermissionDenied):
        _create(other_gestionnaire, centre)
    assert not User.objects.filter(role=Role.AUDITEUR).exists()


def test_the_service_refuses_other_roles(agent_dnf, centre):
    with pytest.raises(PermissionDenied):
        _create(agent_dnf, centre)


def test_the_service_refuses_a_duplicate_number_atomically(gestionnaire, centre, auditeur):
    users_before = User.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        _create(gestionnaire, centre, auditeur_number="PAR100001")
    assert "auditeur_number" in excinfo.value.message_dict
    assert User.objects.count() == users_before
    assert not Courriel.objects.exists()


def test_the_service_takes_the_next_identifier_when_one_is_taken_meanwhile(
    gestionnaire, centre, monkeypatch
):
    """Two gestionnaires at once: the identifier found free is gone at insert time."""
    from auditeurs import accounts

    User.objects.create(username="camille.laurent.auditeur", role=Role.AUDITEUR)
    calls = []

    def stale_taken(identifier):
        calls.append(identifier)
        # First search: the other insert is not visible yet.
        return len(calls) > 1 and accounts.User.objects.filter(username=identifier).exists()

    monkeypatch.setattr(accounts, "_identifier_taken", stale_taken)
    user = _create(gestionnaire, centre)
    assert user.username == "camille.laurent2.auditeur"
    assert Courriel.objects.get().recipient_user == user
