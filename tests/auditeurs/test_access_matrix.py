"""Who may open which page: one row per page, the allowed roles read from d3.access.

Every page without URL arguments that checks a capability must have a row here
(test_every_capability_page_is_in_the_table): adding a page means adding its row.
Pages about one object (a dossier, a session) have their own matrix next to them.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from auditeurs.models import Role
from d3 import access

# URL name → capability (the one its view declares, or the admin's for the admin site).
PAGES = {
    "auditeurs:suivi": "auditeur_space",
    "auditeurs:profile": "auditeur_space",
    "auditeurs:attestation_m1": "auditeur_space",
    "auditeurs:attestation_m1_pdf": "auditeur_space",
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


def _capability_pages(patterns=None, namespace=""):
    """(URL name, view capability) of every argument-less page that checks one."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _capability_pages(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            capability = getattr(entry.callback, "capability", None)
            if capability and entry.pattern.regex.groups == 0:
                yield f"{namespace}{entry.name}", capability


def test_every_capability_page_is_in_the_table():
    found = dict(_capability_pages())
    missing = sorted(set(found) - set(PAGES))
    assert not missing, f"Add these pages to PAGES: {missing}"
    for url_name, capability in found.items():
        assert PAGES[url_name] == capability, url_name


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
