"""The gestionnaire's home: the auditeurs of his/her centre(s) only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from auditeurs.selectors import auditeurs_visible_to
from tests.factories import AuditeurFactory

HOME_URL = reverse("auditeurs:centre_home")


def _usernames(response):
    return [user.username for user in response.context["page_obj"].object_list]


def test_it_lists_the_auditeurs_of_the_centre_only(
    client, gestionnaire, auditeur, new_auditeur, other_auditeur
):
    client.force_login(gestionnaire)
    response = client.get(HOME_URL)
    assert response.status_code == 200
    assert sorted(_usernames(response)) == [auditeur.username, new_auditeur.username]
    html = response.content.decode()
    assert "PAR100001" in html
    assert "Cnam Paris" in html
    assert "Complété" in html
    assert "À compléter" in html
    assert other_auditeur.username not in html
    assert reverse("auditeurs:create_account") in html


def test_the_other_centre_sees_its_own(client, other_gestionnaire, auditeur, other_auditeur):
    client.force_login(other_gestionnaire)
    assert _usernames(client.get(HOME_URL)) == [other_auditeur.username]


def test_a_gestionnaire_of_two_centres_sees_both(
    client, gestionnaire, other_centre, auditeur, other_auditeur
):
    gestionnaire.centres.add(other_centre)
    client.force_login(gestionnaire)
    assert sorted(_usernames(client.get(HOME_URL))) == sorted(
        [auditeur.username, other_auditeur.username]
    )


@pytest.mark.parametrize("query", ["martin", "MARTIN", "jeanne.mar", "PAR100001", "par1000 jeanne"])
def test_it_searches_by_name_identifier_or_number(client, gestionnaire, auditeur, new_auditeur,
                                                  query):
    client.force_login(gestionnaire)
    response = client.get(HOME_URL, {"q": query})
    assert _usernames(response) == [auditeur.username]


def test_a_search_never_reaches_another_centre(client, gestionnaire, other_auditeur):
    client.force_login(gestionnaire)
    response = client.get(HOME_URL, {"q": "LYO200001"})
    assert _usernames(response) == []
    assert "Aucun auditeur ne correspond à « LYO200001 »." in response.content.decode()


def test_the_empty_state_offers_to_create_an_account(client, gestionnaire):
    client.force_login(gestionnaire)
    html = client.get(HOME_URL).content.decode()
    assert "Aucun auditeur n'est encore enregistré pour votre centre." in html
    assert reverse("auditeurs:create_account") in html


def test_it_pages_by_fifty_with_a_constant_query_count(client, gestionnaire, centre):
    client.force_login(gestionnaire)
    AuditeurFactory.create_batch(3, profile__centre=centre)
    client.get(HOME_URL)
    with CaptureQueriesContext(connection) as few:
        client.get(HOME_URL)
    AuditeurFactory.create_batch(50, profile__centre=centre)
    with CaptureQueriesContext(connection) as many:
        response = client.get(HOME_URL)
    assert len(many) == len(few)

    page = response.context["page_obj"]
    assert len(page.object_list) == 50
    assert page.paginator.count == 53
    assert "page=2" in response.content.decode()
    second = client.get(HOME_URL, {"page": 2})
    assert len(second.context["page_obj"].object_list) == 3
    # A page number out of range shows the last page rather than an error.
    assert client.get(HOME_URL, {"page": 99}).context["page_obj"].number == 2


def test_the_search_is_kept_across_pages(client, gestionnaire, centre):
    AuditeurFactory.create_batch(
        51, last_name="Dupont", profile__centre=centre
    )
    client.force_login(gestionnaire)
    html = client.get(HOME_URL, {"q": "dupont"}).content.decode()
    assert "?q=dupont&amp;page=2" in html


def test_the_selector_gives_other_roles_no_auditeur(
    auditeur, other_auditeur, agent_dnf, membre_jury, administrateur
):
    assert not auditeurs_visible_to(agent_dnf).exists()
    assert not auditeurs_visible_to(membre_jury).exists()
    assert not auditeurs_visible_to(auditeur).exists()
    assert auditeurs_visible_to(administrateur).count() == 2
