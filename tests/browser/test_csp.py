"""The Content-Security-Policy in Chromium: the hook of conftest sees a violation, and
the Django admin, the pages of the administrateur, runs under the policy untouched."""

import pytest
from django.test import Client

from d3.csp import header_value

pytestmark = pytest.mark.django_db(transaction=True)

INLINE_PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Essai</title></head>
<body><p style="color: red">Essai</p><script>document.title = "exécuté";</script></body></html>"""


def test_the_browser_hook_sees_an_inline_script_and_style_blocked(live_server, page):
    url = f"{live_server.url}/essai-csp/"
    page.route(url, lambda route: route.fulfill(
        status=200, body=INLINE_PAGE,
        headers={"Content-Type": "text/html; charset=utf-8",
                 "Content-Security-Policy": header_value()},
    ))
    page.goto(url)
    page.wait_for_function("() => document.readyState === 'complete'")

    assert page.title() == "Essai"  # the inline script did not run
    blocked = " ".join(page.csp_violations)
    assert "script-src-elem" in blocked
    assert "style-src-attr" in blocked
    page.csp_violations.clear()  # seen: the fixture must not fail this test


def test_the_admin_runs_under_the_policy(live_server, page, administrateur, auditeur):
    client = Client()
    client.force_login(administrateur)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    for path in ["/admin/", "/admin/auditeurs/user/?role__exact=auditeur",
                 f"/admin/auditeurs/user/{auditeur.pk}/change/", "/admin/audit/auditentry/",
                 "/admin/audit/auditentry/?action__exact=connexion"]:
        page.goto(live_server.url + path)
        page.wait_for_function("() => document.readyState === 'complete'")
        assert page.url == live_server.url + path  # the page itself, not a redirect
        assert page.locator("#site-name").count() == 1, path
        assert page.csp_violations == [], path
