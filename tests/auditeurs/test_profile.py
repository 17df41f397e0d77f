"""The profile asked at first log-in, and its later edits."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from auditeurs.models import AuditeurProfile

PROFILE_URL = reverse("auditeurs:profile")
SUIVI_URL = reverse("auditeurs:suivi")


def valid_data(**overrides):
    data = {
        "civilite": "m",
        "birth_name": "Durand",
        "usage_name": "",
        "first_names": "Paul Louis",
        "birth_date": "1988-02-29",
        "birth_place": "Nantes",
        "nationality": "Française",
        "address_line1": "292 rue Saint-Martin",
        "address_line2": "",
        "postal_code": "75003",
        "city": "Paris",
        "country": "France",
        "phone": "06 12 34 56 78",
        "email": "paul.durand@example.org",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url_name", ["auditeurs:suivi", "auditeurs:attestation_m1", "auditeurs:attestation_m1_pdf"]
)
def test_the_gate_sends_a_first_login_auditeur_to_the_profile(client, new_auditeur, url_name):
    client.force_login(new_auditeur)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL


def test_the_gate_lets_the_auditeur_reach_help_and_log_out(client, new_auditeur):
    client.force_login(new_auditeur)
    assert client.get(reverse("aide")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200


def test_the_first_visit_is_prefilled_and_shows_the_cnam_data(client, new_auditeur):
    client.force_login(new_auditeur)
    response = client.get(PROFILE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Compléter votre profil" in html
    assert "PAR100002" in html
    assert "Cnam Paris" in html
    # Read-only: not form fields.
    assert 'name="auditeur_number"' not in html
    assert 'name="centre"' not in html
    form = response.context["form"]
    assert form["birth_name"].value() == "Durand"
    assert form["first_names"].value() == "Paul"
    assert form["country"].value() == "France"
    assert 'autocomplete="bday"' in html
    assert 'autocomplete="postal-code"' in html


def test_completing_the_profile_renews_the_session_and_opens_suivi(client, new_auditeur):
    client.force_login(new_auditeur)
    old_session_key = client.session.session_key

    response = client.post(PROFILE_URL, valid_data())

    assert response.status_code == 302
    assert response["Location"] == SUIVI_URL
    assert client.session.session_key != old_session_key
    profile = AuditeurProfile.objects.get(user=new_auditeur)
    assert profile.is_complete
    assert profile.birth_date == datetime.date(1988, 2, 29)
    assert profile.first_names == "Paul Louis"
    assert profile.phone == "06 12 34 56 78"
    new_auditeur.refresh_from_db()
    assert new_auditeur.email == "paul.durand@example.org"

    # Still logged in, without typing the password again; the gate is open.
    response = client.get(SUIVI_URL)
    assert response.status_code == 200
    assert "Votre profil est enregistré." in response.content.decode()


def test_a_later_edit_keeps_the_completion_date(client, auditeur):
    completed_at = auditeur.profile.completed_at
    client.force_login(auditeur)
    old_session_key = client.session.session_key

    response = client.post(PROFILE_URL, valid_data(city="Lyon", postal_code="69003"))

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    profile = AuditeurProfile.objects.get(user=auditeur)
    assert profile.completed_at == completed_at
    assert profile.city == "Lyon"
    assert client.session.session_key == old_session_key
    assert "Mon profil" in client.get(PROFILE_URL).content.decode()


def test_the_auditeur_number_and_centre_cannot_be_changed(client, auditeur, other_centre):
    client.force_login(auditeur)
    client.post(
        PROFILE_URL, valid_data(auditeur_number="HACK1", centre=other_centre.pk)
    )
    profile = AuditeurProfile.objects.get(user=auditeur)
    assert profile.auditeur_number == "PAR100001"
    assert profile.centre.code == "PAR"


def test_a_new_email_replaces_the_old_one_for_password_resets(client, auditeur):
    EmailAddress.objects.create(user=auditeur, email=auditeur.email, primary=True, verified=True)
    client.force_login(auditeur)
    client.post(PROFILE_URL, valid_data(email="jeanne.nouvelle@example.org"))
    auditeur.refresh_from_db()
    assert auditeur.email == "jeanne.nouvelle@example.org"
    assert not EmailAddress.objects.filter(user=auditeur).exclude(
        email="jeanne.nouvelle@example.org"
    ).exists()


def _years_ago(years, days=0):
    today = timezone.localdate()
    return (today.replace(year=today.year - years) + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"birth_date": ""}, "birth_date", "Ce champ est obligatoire."),
        ({"birth_date": "pas une date"}, "birth_date", "Saisissez une date valide."),
        ({"birth_date": "2999-01-01"}, "birth_date", "doit être dans le passé."),
        ({"birth_date": "1850-01-01"}, "birth_date", "Vérifiez l'année de naissance."),
        ({"birth_date": _years_ago(16, days=1)}, "birth_date", "au moins 16 ans"),
        ({"postal_code": "7500"}, "postal_code", "Un code postal français comporte 5 chiffres."),
        ({"postal_code": "75OO3", "country": "france"}, "postal_code", "5 chiffres"),
        ({"phone": "appelez-moi"}, "phone", "Numéro de téléphone invalide"),
        ({"phone": "0612"}, "phone", "Numéro de téléphone invalide"),
        ({"phone": "+33 6 12 34 56 78 90 12 34"}, "phone", "Numéro de téléphone invalide"),
        ({"email": "pas-un-courriel"}, "email", "Saisissez une adresse de courriel valide."),
        ({"civilite": ""}, "civilite", "Ce champ est obligatoire."),
        ({"civilite": "dr"}, "civilite", "Sélectionnez un choix valide."),
        ({"address_line1": "  "}, "address_line1", "Ce champ est obligatoire."),
        ({"city": ""}, "city", "Ce champ est obligatoire."),
    ],
)
def test_invalid_data_is_refused_next_to_the_field_and_nothing_saved(
    client, new_auditeur, overrides, field, message
):
    client.force_login(new_auditeur)
    before = AuditeurProfile.objects.values().get(user=new_auditeur)

    response = client.post(PROFILE_URL, valid_data(**overrides))

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    assert message in form.errors[field][0]
    html = response.content.decode()
    field_id = form[field].auto_id
    assert f'id="{field_id}_error"' in html
    assert f'href="#{field_id}"' in html  # the summary links to the field
    assert AuditeurProfile.objects.values().get(user=new_auditeur) == before
    new_auditeur.refresh_from_db()
    assert new_auditeur.email != "paul.durand@example.org"


def test_sixteen_today_is_old_enough(client, new_auditeur):
    client.force_login(new_auditeur)
    response = client.post(PROFILE_URL, valid_data(birth_date=_years_ago(16)))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("country", "postal_code", "phone"),
    [
        ("Belgique", "1000", "+32 2 123 45 67"),
        ("Royaume-Uni", "SW1A 1AA", "+44 (0)20 7946 0958"),
        ("FRANCE", "75 003", "01.40.27.20.00"),
    ],
)
def test_foreign_addresses_and_usual_phone_forms_are_accepted(
    client, new_auditeur, country, postal_code, phone
):
    client.force_login(new_auditeur)
    response = client.post(
        PROFILE_URL, valid_data(country=country, postal_code=postal_code, phone=phone)
    )
    assert response.status_code == 302
    assert AuditeurProfile.objects.get(user=new_auditeur).is_complete


def test_an_auditeur_without_profile_is_told_to_ask_the_centre(client, new_auditeur):
    new_auditeur.profile.delete()
    new_auditeur.refresh_from_db()
    client.force_login(new_auditeur)
    assert client.get(SUIVI_URL)["Location"] == PROFILE_URL
    response = client.get(PROFILE_URL)
    assert response.status_code == 404
    assert "Profil introuvable" in response.content.decode()
