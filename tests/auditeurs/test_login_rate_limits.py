"""allauth's rate limits are on: repeated failures lock the key out, resets are bounded."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client, username, password):
    return client.post(reverse("account_login"), {"login": username, "password": password})


def test_five_failures_lock_the_identifier_even_with_the_right_password(client, auditeur):
    for _ in range(5):
        response = _log_in(client, auditeur.username, "pas-le-bon")
        assert SESSION_KEY not in client.session
    response = _log_in(client, auditeur.username, PASSWORD)
    assert SESSION_KEY not in client.session
    assert "Trop de tentatives de connexion ont échoué" in response.content.decode()


def test_failures_on_one_identifier_do_not_lock_another(client, auditeur, other_auditeur):
    for _ in range(5):
        _log_in(client, auditeur.username, "pas-le-bon")
    _log_in(client, other_auditeur.username, PASSWORD)
    assert client.session[SESSION_KEY] == str(other_auditeur.pk)


def test_password_reset_requests_are_bounded_per_address(client, auditeur):
    url = reverse("account_reset_password")
    statuses = [client.post(url, {"email": auditeur.email}).status_code for _ in range(7)]
    assert statuses[:5] == [302] * 5
    assert 429 in statuses[5:]
    assert len(mail.outbox) == 5
