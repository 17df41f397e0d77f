"""The layout of every page (base.html): the links it shows, reversed once per process by
the navigation context processor, are those of each role, on every kind of page."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from auditeurs.models import Role
from d3.access import NAVIGATION
from d3.context_processors import navigation
from d3.views import too_many_requests

pytestmark = pytest.mark.django_db


def hrefs(html):
    return re.findall(r'href="([^"]*)"', html)


def nav_of(html):
    block = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    return block.group(0) if block else ""


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_navigation_the_current_page_marked(client, every_role, role):
    client.force_login(every_role[role])
    url_name, label = NAVIGATION[role][0]
    # The administration's pages have the admin's own layout: its help page has ours.
    page = reverse("aide_staff") if role == Role.ADMINISTRATEUR else reverse(url_name)
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()

    nav = nav_of(html)
    assert hrefs(nav) == [reverse(name) for name, _ in NAVIGATION[role]]
    if role == Role.ADMINISTRATEUR:
        assert 'aria-current="page"' not in nav
    else:
        assert nav.count('aria-current="page"') == 1
        assert f'<a href="{page}" aria-current="page">{label}</a>' in nav
    assert f'action="{reverse("account_logout")}"' in html
    assert f'<a class="site-brand" href="{reverse("home")}">' in html
    assert f'href="{reverse("aide")}">Aide</a>' in html
    staff_help = f'href="{reverse("aide_staff")}">Aide aux personnels</a>'
    assert (staff_help in html) == (role != Role.AUDITEUR)


def test_a_visitor_is_offered_to_log_in_except_on_the_log_in_page(client, db):
    login = reverse("account_login")
    help_page = client.get(reverse("aide")).content.decode()
    login_page = client.get(login).content.decode()

    assert f'<a class="button button--secondary" href="{login}">Se connecter</a>' in help_page
    assert "Se connecter</a>" not in login_page
    assert nav_of(help_page) == ""
    assert "Se déconnecter" not in help_page


def test_error_pages_carry_the_layout_links(client, auditeur):
    client.force_login(auditeur)
    missing = client.get("/cette-page-n-existe-pas/").content.decode()
    bad_host = client.get(reverse("aide"), HTTP_HOST="ailleurs.example").content.decode()
    request = RequestFactory().get("/")
    request.user = auditeur
    too_many = too_many_requests(request).content.decode()

    for html in (missing, bad_host, too_many):
        assert f'<a class="site-brand" href="{reverse("home")}">' in html
        assert f'href="{reverse("aide")}">Aide</a>' in html


def test_the_addresses_follow_the_script_prefix_d3_is_served_under(auditeur):
    request = RequestFactory().get("/")
    request.user = auditeur
    try:
        set_script_prefix("/d3/")
        under_prefix = navigation(request)
    finally:
        set_script_prefix("/")
    at_root = navigation(request)

    assert under_prefix["layout_urls"]["home"] == "/d3" + at_root["layout_urls"]["home"]
    assert [item["url"] for item in under_prefix["nav_items"]] == [
        "/d3" + item["url"] for item in at_root["nav_items"]
    ]


def test_the_layout_addresses_are_reversed_once_not_at_each_page(client, auditeur, monkeypatch):
    import d3.context_processors

    client.force_login(auditeur)
    client.get(reverse("auditeurs:suivi"))  # reversed here at the latest
    calls = []
    real_reverse = d3.context_processors.reverse
    monkeypatch.setattr(d3.context_processors, "reverse",
                        lambda *a, **k: calls.append(a) or real_reverse(*a, **k))

    for _ in range(3):
        assert client.get(reverse("auditeurs:suivi")).status_code == 200

    assert calls == []
