"""The profile gate (auditeurs/middleware.py) runs on every page: once the profile is
known to be complete it reads the session only; an incomplete profile is looked up at
each request until it is complete; staff are never looked up."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from auditeurs.middleware import SESSION_PROFILE_COMPLETE_KEY
from auditeurs.models import AuditeurProfile
from tests.auditeurs.test_profile import valid_data

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("auditeurs:profile")
SUIVI_URL = reverse("auditeurs:suivi")


def profile_queries(client, url, status=200):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status, response
    return [q["sql"] for q in queries.captured_queries
            if "auditeurs_auditeurprofile" in q["sql"]]


def test_a_complete_profile_is_remembered_at_log_in_and_costs_no_query(client, auditeur):
    client.force_login(auditeur)

    assert client.session[SESSION_PROFILE_COMPLETE_KEY] is True
    assert profile_queries(client, SUIVI_URL) == []
    assert profile_queries(client, SUIVI_URL) == []


def test_an_incomplete_profile_is_looked_up_until_completed_then_remembered(
    client, new_auditeur
):
    client.force_login(new_auditeur)
    assert client.session[SESSION_PROFILE_COMPLETE_KEY] is False
    for _ in range(2):  # each request: still incomplete, back to the profile
        assert len(profile_queries(client, SUIVI_URL, status=302)) == 1

    assert client.post(PROFILE_URL, valid_data())["Location"] == SUIVI_URL

    assert len(profile_queries(client, SUIVI_URL)) == 1  # completed since: remembered
    assert client.session[SESSION_PROFILE_COMPLETE_KEY] is True
    assert profile_queries(client, SUIVI_URL) == []


def test_a_session_from_before_the_flag_looks_the_profile_up_once(client, auditeur):
    # A session opened before this gate remembered anything (or by a log-in that
    # sent no signal): the gate asks the database once, then remembers.
    client.force_login(auditeur)
    session = client.session
    del session[SESSION_PROFILE_COMPLETE_KEY]
    session.save()

    assert len(profile_queries(client, SUIVI_URL)) == 1
    assert profile_queries(client, SUIVI_URL) == []


def test_staff_pages_never_look_a_profile_up(client, membre_jury):
    client.force_login(membre_jury)

    assert SESSION_PROFILE_COMPLETE_KEY not in client.session
    assert profile_queries(client, reverse("jury:jury_home")) == []


def test_a_profile_emptied_by_an_administrateur_is_asked_again_at_the_next_log_in(
    client, auditeur
):
    client.force_login(auditeur)
    AuditeurProfile.objects.filter(user=auditeur).update(completed_at=None)
    client.logout()

    client.force_login(auditeur)

    assert client.get(SUIVI_URL)["Location"] == PROFILE_URL
