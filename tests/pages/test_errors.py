import pytest
from django.test import RequestFactory
from django.urls import reverse

from d3.views import too_many_requests

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_in_french(client, auditeur):
    client.force_login(auditeur)
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_a_refused_page_says_so_in_french(client, auditeur):
    client.force_login(auditeur)
    response = client.get(reverse("jury:dnf_home"))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_the_rate_limit_page_is_french_with_status_429(auditeur):
    request = RequestFactory().get("/")
    request.user = auditeur
    response = too_many_requests(request)
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()


def test_the_server_error_page_renders_without_context(client):
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Le service a rencontré une erreur" in html


def test_allauths_email_management_is_not_offered(client, auditeur):
    client.force_login(auditeur)
    response = client.get("/compte/email/")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
