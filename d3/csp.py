"""Content-Security-Policy on every response (Django 5.2 has none of its own).

D3's pages carry no inline script, no ``on…=`` handler and no ``style=`` attribute:
scripts and style sheets come from our static files only, so an injected ``<script>``
or attribute would not run. The policy is sent in every mode, DEBUG included, so that
the browser tests (which fail on any violation Chromium reports) catch a page that
breaks it.

A response that sets its own policy keeps it (files served for download are
``sandbox``ed, :func:`dossiers.downloads.attachment`). A view needing more declares it
with :func:`csp_extend`.
"""

from functools import wraps

from django.conf import settings

__all__ = ["POLICY", "CSPMiddleware", "csp_extend", "header_value"]

HEADER = "Content-Security-Policy"

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # data: for the QR code of the second factor's set-up page (allauth.mfa).
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Django's technical 404 and 500 pages (DEBUG only, never in production) are styled
# and scripted inline; without this a developer would read them unstyled.
_DEBUG_PAGES = {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"]}


def header_value(extra=None):
    directives = {name: list(sources) for name, sources in POLICY.items()}
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def csp_extend(**directives):
    """Add sources to some directives for one view: ``style_src=["'unsafe-inline'"]``."""
    extra = {name.replace("_", "-"): sources for name, sources in directives.items()}

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.csp_extra = extra
            return response

        return wrapper

    return decorator


class CSPMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER in response:
            return response
        extra = getattr(response, "csp_extra", None)
        if settings.DEBUG and response.status_code in (404, 500) and extra is None:
            extra = _DEBUG_PAGES
        response[HEADER] = header_value(extra)
        return response
