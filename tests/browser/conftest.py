"""Headless Chromium (Debian's) driven by Playwright, and the axe-core check.

Chromium is never downloaded: the Debian package at /usr/bin/chromium is used.
Without it the browser tests are skipped on a developer's machine, and fail in
CI, where .ci/run installs it.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI : {CHROMIUM} est introuvable (paquet Debian chromium).")
        pytest.skip("Chromium (paquet Debian) n'est pas installé sur cette machine.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _release_live_server_connections(django_db_setup, django_db_blocker):
    """Chromium may drop a request of the live server half-way (a navigation that
    replaces a page still loading); the server thread that handled it then keeps
    its database connection, and PostgreSQL refuses to drop the test database.
    End such connections before the test database is torn down."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# Runs in every frame before the page's own scripts: each Content-Security-Policy
# violation Chromium reports is handed to the test (see watch_csp).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__d3CspViolation(`${event.effectiveDirective} bloque ${event.blockedURI || "?"}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber})`);
});
"""


def watch_csp(context):
    """The list the CSP violations of every page of ``context`` are appended to."""
    violations = []
    context.expose_binding(
        "__d3CspViolation",
        lambda source, text: violations.append(f"{source['frame'].url} : {text}"),
    )
    context.add_init_script(_CSP_LISTENER)
    return violations


def assert_no_csp_violation(page):
    violations = page.csp_violations
    assert not violations, "Violations de la politique CSP :\n" + "\n".join(violations)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    violations = watch_csp(context)
    page = context.new_page()
    page.csp_violations = violations
    page.set_default_timeout(15_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    # Every journey proves its pages run under the policy, whatever it asserts.
    if violations:
        pytest.fail("Violations de la politique CSP :\n" + "\n".join(violations))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def _axe_script():
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def assert_accessible(page):
    """No serious or critical axe-core violation on the page as it stands (and no
    CSP violation so far)."""
    assert_no_csp_violation(page)
    page.evaluate(_axe_script())
    results = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    blocking = [v for v in results if v.get("impact") in ("serious", "critical")]
    details = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"Violations d'accessibilité sur {page.url} :\n{details}"


def pass_second_factor(page, username):
    """After the password: a staff account gives the code of its authenticator app on
    D3's second page (checked by axe-core); an auditeur has no second step."""
    from django.core.cache import cache

    from auditeurs.models import Role, User
    from auditeurs.staff_security import current_totp_code, totp_secret_of

    user = User.objects.get(username=username)
    if user.role == Role.AUDITEUR:
        return
    page.wait_for_url("**/compte/2fa/authenticate/")
    assert_accessible(page)
    # allauth refuses a code already used (replay), remembered in the cache; a journey
    # may sign the same account in twice within one 30-second step, where a person
    # would wait for the next code: forget the used codes rather than sleep.
    cache.clear()
    page.get_by_label("Code de l'application d'authentification").fill(
        current_totp_code(totp_secret_of(user)))
    page.get_by_role("button", name="Valider").click()
