"""'Mot de passe oublié ?': allauth mails a link, the link sets a new password.

allauth sends this e-mail itself (not through the outbox): nothing else happens
in that request, so there is no state change it could contradict.
"""

import re

from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

NEW_PASSWORD = "un-nouveau-mot-de-passe-42"


def _reset_link(message):
    return re.search(r"https?://\S+/compte/password/reset/key/\S+/", message.body).group(0)


def test_the_request_page_is_french_and_accessible(client, db):
    response = client.get(reverse("account_reset_password"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mot de passe oublié" in html
    assert '<label for="id_email">Courriel</label>' in html
    assert 'autocomplete="email"' in html


def test_it_mails_a_reset_link_that_sets_a_new_password(client, auditeur):
    response = client.post(reverse("account_reset_password"), {"email": auditeur.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert "Consultez votre messagerie" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [auditeur.email]
    assert message.subject == "[D3 Cnam] Choisir un nouveau mot de passe"
    assert "identifiant ENF : jeanne.martin.auditeur" in message.body

    # The link stores the key in the session and hides it from the URL.
    response = client.get(_reset_link(message))
    assert response.status_code == 302
    form_url = response["Location"]
    page = client.get(form_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choisir votre mot de passe" in html
    assert 'autocomplete="new-password"' in html

    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    assert "Mot de passe enregistré" in client.get(response["Location"]).content.decode()

    auditeur.refresh_from_db()
    assert auditeur.check_password(NEW_PASSWORD)
    assert not auditeur.check_password(PASSWORD)


def test_mismatched_new_passwords_are_refused_in_french(client, auditeur):
    client.post(reverse("account_reset_password"), {"email": auditeur.email})
    form_url = client.get(_reset_link(mail.outbox[0]))["Location"]
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": "autre-chose-42"})
    assert response.status_code == 200
    assert "Vous devez saisir deux fois le même mot de passe." in response.content.decode()
    auditeur.refresh_from_db()
    assert auditeur.check_password(PASSWORD)


def test_a_used_link_says_it_has_expired(client, auditeur):
    client.post(reverse("account_reset_password"), {"email": auditeur.email})
    link = _reset_link(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = client.get(link)
    assert response.status_code == 200
    assert "Ce lien n'est plus valable" in response.content.decode()


def test_an_unknown_address_reveals_nothing(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "personne@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    # allauth tells the owner of the address, without a link to any account.
    assert len(mail.outbox) == 1
    assert "/compte/password/reset/key/" not in mail.outbox[0].body
