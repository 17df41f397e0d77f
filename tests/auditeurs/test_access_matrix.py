"""Who may open which page: one row per page, the allowed roles read from d3.access.

Every page without URL arguments that checks a capability must have a row here
(test_every_capability_page_is_in_the_table): adding a page means adding its row. One
that checks none is in OPEN_PAGES; a page in neither table fails
(test_every_page_without_argument_is_in_a_table). Pages about one object (a dossier, a
session) are in the sweep of tests/security/test_url_sweep.py, and have their own
matrix next to them.
"""

import pytest
from django.urls import resolve, reverse

from auditeurs.models import Role
from d3 import access
from tests.security.helpers import url_patterns

# URL name → capability (the one its view declares, or the admin's for the admin site).
PAGES = {
    "auditeurs:suivi": "auditeur_space",
    "auditeurs:profile": "auditeur_space",
    "auditeurs:attestation_m1": "auditeur_space",
    "auditeurs:attestation_m1_pdf": "auditeur_space",
    "auditeurs:personal_data": "auditeur_space",
    "auditeurs:personal_data_archive": "auditeur_space",
    "dossiers:start": "auditeur_space",
    "auditeurs:centre_home": "centre_home",
    "auditeurs:create_account": "create_auditeur_account",
    "dossiers:centre_queue": "centre_review",
    "dossiers:centre_export": "centre_review",
    "jury:dnf_home": "dnf_home",
    "jury:dnf_dossiers": "dnf_pages",
    "jury:dnf_sessions": "dnf_pages",
    "jury:dnf_session_create": "dnf_pages",
    "jury:jury_home": "jury_home",
    "aide_staff": "staff_help",
    "admin:index": "admin_home",
}
# Built by another piece of work: until then only the refusals are pinned.
UNDER_CONSTRUCTION = {"auditeurs:attestation_m1", "auditeurs:attestation_m1_pdf"}
ROLES = list(Role)

CASES = [
    pytest.param(url_name, role, id=f"{url_name}-{role}")
    for url_name in PAGES
    for role in ROLES
]


# Pages without argument that check no capability, with what an anonymous visitor
# gets. A page in neither table fails test_every_page_without_argument_is_in_a_table.
OPEN_PAGES = {
    "home": "login",  # each role to its home page, anonymous visitors to the log-in
    "aide": 200,
    "health": (200, 503),  # for load balancers: 503 while a service is down
    "dossiers:simulateur": 200,
    "jury:verification": 200,
    "courriels:local_list": 404,  # the developers' outbox: DEBUG only
}
# Django's admin (admin:index above; its own permissions) and allauth's account pages
# (tests/auditeurs/test_login*.py) are left to their own tests.
SKIPPED_PREFIXES = ("admin/", "compte/")


def _argument_less_pages():
    """(route, URL name, view) of every page without URL arguments."""
    for route, name, pattern in url_patterns():
        if pattern.pattern.regex.groups == 0:
            yield route, name, pattern.callback


def _capability_pages():
    """(URL name, view capability) of every argument-less page that checks one."""
    for _, name, view in _argument_less_pages():
        capability = getattr(view, "capability", None)
        if name and capability:
            yield name, capability


def test_every_capability_page_is_in_the_table():
    found = dict(_capability_pages())
    missing = sorted(set(found) - set(PAGES))
    assert not missing, f"Add these pages to PAGES: {missing}"
    for url_name, capability in found.items():
        assert PAGES[url_name] == capability, url_name


def test_every_page_without_argument_is_in_a_table():
    missing = sorted(
        name or route
        for route, name, _ in _argument_less_pages()
        if not route.startswith(SKIPPED_PREFIXES) and name not in PAGES
        and name not in OPEN_PAGES
    )
    assert not missing, f"Add these pages to PAGES (or OPEN_PAGES if public): {missing}"


def test_skipped_prefixes_hold_the_admin_and_allauth():
    routes = [route for route, _, _ in _argument_less_pages()]
    for prefix in SKIPPED_PREFIXES:
        assert any(route.startswith(prefix) for route in routes), prefix


@pytest.mark.parametrize("url_name", list(OPEN_PAGES))
def test_open_pages_check_no_capability(client, db, url_name):
    view = resolve(reverse(url_name)).func
    assert getattr(view, "capability", None) is None
    response = client.get(reverse(url_name))
    expected = OPEN_PAGES[url_name]
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code in (expected if isinstance(expected, tuple) else (expected,))


def test_every_navigation_link_and_home_is_in_the_table():
    linked = {url_name for items in access.NAVIGATION.values() for url_name, _ in items}
    linked |= set(access.HOME_URL_NAMES.values())
    assert linked <= set(PAGES)


def test_every_home_is_open_to_its_role():
    for role, url_name in access.HOME_URL_NAMES.items():
        assert role in access.CAPABILITIES[PAGES[url_name]], role


@pytest.mark.parametrize(("url_name", "role"), CASES)
def test_role_access(client, every_role, url_name, role):
    client.force_login(every_role[role])
    response = client.get(reverse(url_name))
    if response.streaming:
        # Read to the end, as a server sends it: the test client then closes the
        # streamed file (the personal data archive) and its temporary file goes.
        b"".join(response.streaming_content)
    allowed = role in access.CAPABILITIES[PAGES[url_name]]

    if url_name == "admin:index" and not allowed:
        # Django's admin sends accounts without is_staff to its own log-in page.
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    elif not allowed:
        assert response.status_code == 403
    elif url_name in UNDER_CONSTRUCTION:
        assert response.status_code != 403
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("url_name", list(PAGES))
def test_anonymous_is_sent_to_log_in(client, db, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    login_url = reverse("admin:login") if url_name == "admin:index" else reverse("account_login")
    assert response["Location"].startswith(f"{login_url}?next=")
