"""PDF rendering with WeasyPrint, shared by every document D3 produces.

Récapitulatifs, courriers, PV and the attestation form all go through
:func:`render_pdf`: a Django template rendered to HTML, then laid out by
WeasyPrint. Two things matter beyond "it works":

- Fonts. Building a ``FontConfiguration`` scans the system fonts and costs more
  than laying out a one-page letter, so one instance is created lazily and kept
  for the life of the process (a web or Celery worker).
- Network. A template may end up holding a URL typed by a user or copied from
  somewhere (an image in a motive, a stray stylesheet link). WeasyPrint would
  fetch it, from the server, during a request: a slow page at best, a
  server-side request forgery at worst. The fetcher below only reads ``data:``
  URLs and static files of the project; everything else is refused and simply
  left out of the document.
"""

import functools
import posixpath
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

__all__ = ["render_pdf"]

_font_config = None
# Creation of the shared font configuration, and the layout itself: Pango's font
# map is not meant to be used by two threads at once (threaded web workers).
_lock = threading.Lock()


def _get_font_config():
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def _static_roots():
    """Folders a PDF may read files from: the project's static files, nothing else."""
    roots = [Path(d if isinstance(d, (str, Path)) else d[1]) for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


def _resolve_static(path):
    """Map a ``file:`` path to a real static file, or return None.

    Templates write ``{% static 'css/pdf.css' %}``, i.e. ``/static/css/pdf.css``,
    which resolves against the base URL to ``file:///static/css/pdf.css``: the
    part after STATIC_URL is looked up with the staticfiles finders (works
    without collectstatic), then in STATIC_ROOT (hashed names in production).
    """
    static_prefix = urlsplit(settings.STATIC_URL).path
    if not static_prefix.endswith("/"):
        static_prefix += "/"
    path = posixpath.normpath(path)
    if path.startswith(static_prefix):
        name = path[len(static_prefix):]
        try:
            found = finders.find(name)
            if found:
                return Path(found)
            stored = Path(staticfiles_storage.path(name))
        except SuspiciousFileOperation:  # "..": outside the static folders
            return None
        except NotImplementedError:  # remote static storage: no local path
            return None
        return stored if stored.is_file() else None
    # A path relative to the base URL: it must stay inside a static folder.
    resolved = Path(path).resolve()
    if resolved.is_file() and any(resolved.is_relative_to(root) for root in _static_roots()):
        return resolved
    return None


@functools.cache
def _fetcher_class():
    # WeasyPrint takes half a second to import: only pay for it when a PDF is made.
    from weasyprint.urls import URLFetcher

    class StaticOnlyURLFetcher(URLFetcher):
        """Reads ``data:`` URLs and project static files; refuses anything else."""

        def __init__(self):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            scheme = url.partition(":")[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                resolved = _resolve_static(unquote(urlsplit(url).path))
                if resolved is not None:
                    return super().fetch(resolved.as_uri(), headers)
                raise ValueError(f"Fichier hors des fichiers statiques refusé : {url}")
            raise ValueError(f"Aucune ressource réseau dans un PDF : {url}")

    return StaticOnlyURLFetcher


def _base_url():
    return (Path(settings.BASE_DIR) / "static").resolve().as_uri() + "/"


def render_pdf(template_name, context, *, request=None, stylesheets=()):
    """Render ``template_name`` with ``context`` and return the PDF as bytes.

    ``stylesheets``: names of CSS templates applied on top of the page's own styles,
    each parsed once per process (hundreds of letters share one parsed sheet).
    """
    html = render_to_string(template_name, context, request=request)
    return render_html_pdf(html, stylesheets=stylesheets)


def render_html_pdf(html, *, stylesheets=()):
    """The PDF of an HTML string already rendered (see :func:`render_pdf`)."""
    from weasyprint import HTML

    fetcher = _fetcher_class()()
    with _lock:
        font_config = _get_font_config()
        sheets = [_parsed_stylesheet(name, font_config) for name in stylesheets]
        document = HTML(string=html, base_url=_base_url(), url_fetcher=fetcher)
        return document.write_pdf(stylesheets=sheets, font_config=font_config)


_parsed_stylesheets = {}


def _parsed_stylesheet(template_name, font_config):
    # Called under _lock: the cache is filled by one thread at a time.
    if template_name not in _parsed_stylesheets:
        from weasyprint import CSS

        _parsed_stylesheets[template_name] = CSS(
            string=render_to_string(template_name), font_config=font_config
        )
    return _parsed_stylesheets[template_name]
