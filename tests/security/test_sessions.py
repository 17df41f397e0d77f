"""Sessions: staff sessions end after D3_STAFF_IDLE_MINUTES of inactivity (auditeurs keep
the 8-hour policy), log-out and disabling an account end the session for good (the old
cookie is replayed), and log-in changes the session key (fixation)."""

import datetime
from html import unescape

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.second_factor import log_in_through_form

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
CENTRE_HOME = reverse("auditeurs:centre_home")
LOGIN = reverse("account_login")
COOKIE = settings.SESSION_COOKIE_NAME


def minutes(n):
    return datetime.timedelta(minutes=n)


def replay(cookie_value, url):
    """A new browser that only has the old session cookie."""
    other = Client()
    other.cookies[COOKIE] = cookie_value
    return other.get(url)


# --- Staff: inactivity ------------------------------------------------------------------


def test_a_staff_session_idle_past_the_delay_is_sent_to_log_in_in_french(client, gestionnaire):
    assert settings.D3_STAFF_IDLE_MINUTES == 30
    with time_machine.travel(START, tick=False) as clock:
        log_in_through_form(client, gestionnaire)
        assert client.get(CENTRE_HOME).status_code == 200
        old_cookie = client.cookies[COOKIE].value

        clock.shift(minutes(31))
        response = client.get(CENTRE_HOME)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={CENTRE_HOME}"
        assert SESSION_KEY not in client.session
        page = unescape(client.get(response["Location"]).content.decode())
        assert "Votre session a été fermée après 30 minutes sans activité" in page
        # The session is gone from the store, not only from this client.
        assert not Session.objects.filter(session_key=old_cookie).exists()
        assert replay(old_cookie, CENTRE_HOME).status_code == 302


def test_activity_before_the_delay_keeps_a_staff_session_alive(client, gestionnaire):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(gestionnaire)
        for _ in range(4):  # a request every 25 minutes: 100 minutes in all
            clock.shift(minutes(25))
            assert client.get(CENTRE_HOME).status_code == 200
        assert client.session[SESSION_KEY] == str(gestionnaire.pk)

        clock.shift(minutes(30) + datetime.timedelta(seconds=59))
        assert client.get(CENTRE_HOME).status_code == 302


def test_the_idle_delay_is_a_setting(client, agent_dnf, settings):
    settings.D3_STAFF_IDLE_MINUTES = 5
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(agent_dnf)
        clock.shift(minutes(4))
        assert client.get(reverse("jury:dnf_home")).status_code == 200
        clock.shift(minutes(6))
        assert client.get(reverse("jury:dnf_home"))["Location"].startswith(LOGIN)


def test_auditeurs_keep_their_session_through_a_long_pause(client, auditeur):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(auditeur)
        clock.shift(datetime.timedelta(hours=2))
        assert client.get(reverse("auditeurs:suivi")).status_code == 200


def test_recording_activity_writes_the_session_once_a_minute_at_most(client, gestionnaire):
    def session_writes():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CENTRE_HOME).status_code == 200
        return [q["sql"] for q in queries.captured_queries
                if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]

    with time_machine.travel(START, tick=False) as clock:
        client.force_login(gestionnaire)
        clock.shift(datetime.timedelta(seconds=30))
        assert session_writes() == []
        clock.shift(datetime.timedelta(seconds=31))
        assert len(session_writes()) == 1


# --- Log-out and disabled accounts end the session ---------------------------------------


def test_log_out_ends_the_session_the_old_cookie_is_refused(client, gestionnaire):
    log_in_through_form(client, gestionnaire)
    old_cookie = client.cookies[COOKIE].value
    assert replay(old_cookie, CENTRE_HOME).status_code == 200

    client.post(reverse("account_logout"))

    assert not Session.objects.filter(session_key=old_cookie).exists()
    response = replay(old_cookie, CENTRE_HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("fixture", ["gestionnaire", "auditeur"])
def test_disabling_an_account_ends_its_sessions(request, fixture):
    user = request.getfixturevalue(fixture)
    home = reverse("home")
    browsers = [Client(), Client()]  # say, the office and home
    with time_machine.travel(START, tick=False) as clock:
        for browser in browsers:
            log_in_through_form(browser, user)
            clock.shift(minutes(1))  # a TOTP code serves once: the next one
    cookies = [browser.cookies[COOKIE].value for browser in browsers]
    assert UserSession.objects.filter(user=user).count() == 2
    with time_machine.travel(START + minutes(3), tick=False):
        assert all(replay(cookie, home).status_code == 302 for cookie in cookies)  # its home
        assert all(not replay(cookie, home)["Location"].startswith(LOGIN) for cookie in cookies)

        user.is_active = False
        user.save()

        assert not Session.objects.filter(session_key__in=cookies).exists()
        assert not UserSession.objects.filter(user=user).exists()
        for cookie in cookies:
            response = replay(cookie, home)
            assert response["Location"].startswith(LOGIN)


def _admin_change_form_data(form, **changes):
    """What the admin's change form posts back as it stands, with ``changes``."""
    data = {}
    for bound in form:
        if bound.field.disabled or bound.name == "password":
            continue
        value = changes.get(bound.name, bound.value())
        widget = bound.field.widget
        if hasattr(widget, "decompress"):  # date and time in two inputs
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is not None:
            data[bound.html_name] = value
    return data


def test_disabling_an_account_in_the_admin_ends_its_sessions(client, gestionnaire,
                                                            administrateur):
    staff_browser = Client()
    log_in_through_form(staff_browser, gestionnaire)
    old_cookie = staff_browser.cookies[COOKIE].value

    client.force_login(administrateur)
    url = reverse("admin:auditeurs_user_change", args=[gestionnaire.pk])
    form = client.get(url).context["adminform"].form
    response = client.post(url, _admin_change_form_data(form, is_active=False))
    assert response.status_code == 302, response.context["adminform"].form.errors

    gestionnaire.refresh_from_db()
    assert not gestionnaire.is_active
    assert not Session.objects.filter(session_key=old_cookie).exists()
    assert replay(old_cookie, CENTRE_HOME)["Location"].startswith(LOGIN)


def test_deleting_a_staff_authenticator_ends_its_sessions(client, gestionnaire):
    # A lost phone: an administrator deletes the TOTP; the open sessions must not
    # carry on without it.
    log_in_through_form(client, gestionnaire)
    old_cookie = client.cookies[COOKIE].value
    Authenticator.objects.get(user=gestionnaire, type=Authenticator.Type.TOTP).delete()
    assert not Session.objects.filter(session_key=old_cookie).exists()
    assert replay(old_cookie, CENTRE_HOME)["Location"].startswith(LOGIN)


def test_an_account_disabled_without_save_signal_is_still_refused(client, gestionnaire):
    # QuerySet.update() sends no signal: the rows stay, the backend refuses the user.
    log_in_through_form(client, gestionnaire)
    old_cookie = client.cookies[COOKIE].value
    type(gestionnaire).objects.filter(pk=gestionnaire.pk).update(is_active=False)
    assert Session.objects.filter(session_key=old_cookie).exists()
    assert replay(old_cookie, CENTRE_HOME)["Location"].startswith(LOGIN)


def test_saving_an_active_account_ends_nothing(client, gestionnaire):
    log_in_through_form(client, gestionnaire)
    gestionnaire.first_name = "Clara"
    gestionnaire.save()
    assert client.get(CENTRE_HOME).status_code == 200


# --- Session fixation ---------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["gestionnaire", "auditeur"])
def test_log_in_gives_a_new_session_key(client, request, fixture):
    user = request.getfixturevalue(fixture)
    # A session planted before log-in (say, by an attacker who set the cookie).
    client.get(LOGIN)
    session = client.session
    session["planted"] = True
    session.save()
    planted = session.session_key
    client.cookies[COOKIE] = planted

    log_in_through_form(client, user)

    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.cookies[COOKIE].value != planted
    assert not Session.objects.filter(session_key=planted).exists()
    assert replay(planted, reverse("home"))["Location"].startswith(LOGIN)


# --- The list of one's sessions ------------------------------------------------------------


def test_the_list_of_open_sessions_is_in_french_and_closes_the_others(auditeur):
    here, elsewhere = Client(), Client()
    log_in_through_form(here, auditeur)
    log_in_through_form(elsewhere, auditeur)

    page = here.get(reverse("usersessions_list"))

    html = unescape(page.content.decode())
    assert "Mes sessions ouvertes" in html
    assert "2 sessions ouvertes" in html
    # As many header cells as data cells in each row (allauth's own table had one more).
    assert html.count('<th scope="col">') == 4
    assert html.count("<td>") == 2 * 4
    assert "Oui, celle-ci" in html

    here.post(reverse("usersessions_list"))

    assert UserSession.objects.filter(user=auditeur).count() == 1
    assert here.get(reverse("auditeurs:suivi")).status_code == 200
    assert elsewhere.get(reverse("auditeurs:suivi")).status_code == 302


def test_the_list_of_sessions_is_for_a_logged_in_user_only(client):
    response = client.get(reverse("usersessions_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
