"""Production headers: HSTS, a Content-Security-Policy without inline scripts on every
page, Referrer-Policy, frame denial, secure and HttpOnly cookies; and no web template
with an inline script, an ``on…=`` handler or a ``style=`` attribute."""

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from d3.csp import header_value
from tests.test_settings_env import REPO_ROOT, random_secret_key, run

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# --- With the production settings (DJANGO_DEBUG=false), in a fresh interpreter --------

_PRODUCTION_CLIENT = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from auditeurs.models import Role, User

# No collectstatic here: static URLs without the manifest, nothing else changed.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
call_command("migrate", verbosity=0)
User.objects.create_user("jeanne.martin.auditeur", password="Un-mot-de-passe-2026",
                         role=Role.AUDITEUR)
login = reverse("account_login")
client = Client()
plain = client.get(login)
page = client.get(login, secure=True)
posted = client.post(login, {"login": "jeanne.martin.auditeur",
                             "password": "Un-mot-de-passe-2026"}, secure=True)

def cookies(response):
    return {name: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
                   "samesite": morsel["samesite"]}
            for name, morsel in response.cookies.items()}

print(json.dumps({
    "plain": {"status": plain.status_code, "location": plain.get("Location")},
    "page": {"status": page.status_code, "headers": dict(page.headers),
             "cookies": cookies(page)},
    "posted": {"status": posted.status_code, "cookies": cookies(posted)},
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    result = run(
        ["-c", _PRODUCTION_CLIENT],
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": random_secret_key(),
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite://:memory:",
        },
        tmp_path_factory.mktemp("production"),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_sent_to_https(production):
    assert production["plain"]["status"] == 301
    assert production["plain"]["location"].startswith("https://")


def test_pages_carry_the_security_headers(production):
    page = production["page"]
    assert page["status"] == 200
    headers = page["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["Content-Security-Policy"] == POLICY
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_cookies_are_secure_and_the_session_cookie_is_out_of_scripts_reach(production):
    csrf = production["page"]["cookies"]["csrftoken"]
    assert csrf["secure"]
    assert production["posted"]["status"] == 302  # signed in
    session = production["posted"]["cookies"]["sessionid"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}


# --- The policy on every kind of response, in the test settings -------------------------


def test_the_policy_is_the_one_the_pages_are_written_for():
    assert header_value() == POLICY


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/compte/login/", "/verification/", "/aide/", "/une-page-qui-n-existe-pas/",
], ids=["login", "verification", "aide", "404"])
def test_every_page_has_the_policy(client, path):
    assert client.get(path)["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_signed_in_pages_and_the_admin_have_the_policy(client, administrateur, auditeur):
    client.force_login(auditeur)
    assert client.get(reverse("auditeurs:suivi"))["Content-Security-Policy"] == POLICY
    client.force_login(administrateur)
    response = client.get("/admin/auditeurs/user/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_a_file_sent_for_download_keeps_its_own_sandbox_policy(client, auditeur):
    from tests.dossiers.factories import DossierFactory, PieceFactory

    piece = PieceFactory(dossier=DossierFactory(auditeur=auditeur), deposee=True)
    client.force_login(auditeur)
    response = client.get(reverse("dossiers:piece_file",
                                  args=[piece.dossier_id, piece.files.get().pk]))
    response.close()
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"


# --- Templates served as web pages: nothing inline -------------------------------------

TEMPLATES = REPO_ROOT / "templates"
# Courriels and PDF are never served as web pages (mail clients and WeasyPrint need
# their inline styles).
NOT_WEB_PAGES = {"courriels", "pdf"}
INLINE = [
    ("inline script", re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")",
                                 re.I)),
    ("event handler attribute", re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)),
    ("style attribute", re.compile(r"<[^>]*\sstyle\s*=", re.I)),
    ("style element", re.compile(r"<style[\s>]", re.I)),
]


def web_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).parts[0] not in NOT_WEB_PAGES:
            yield path


def test_web_templates_hold_nothing_the_policy_would_block():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in web_templates()
        for what, pattern in INLINE
        if pattern.search(path.read_text())
    ]
    assert not found, "\n".join(found)


def test_the_template_check_would_see_an_inline_script(tmp_path):
    sample = '<p>x</p><script>alert(1)</script><a onclick="x()" style="color:red">'
    assert [what for what, pattern in INLINE if pattern.search(sample)] == [
        "inline script", "event handler attribute", "style attribute"]
    assert not any(p.search('<script src="/static/js/a.js" defer></script>')
                   for _, p in INLINE)
    assert Path(TEMPLATES / "base.html") in set(web_templates())
