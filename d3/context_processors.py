"""What ``base.html`` shows on every page: the role's navigation and the layout's links
(home, log-in and log-out, help).

Their addresses are the same for every request a process serves: they are reversed
once per role (and per script prefix and URLconf, which a deployment does not change
between requests), not at each page. Seven ``reverse()`` took 0.3 ms of the 1.3 ms of
CPU that ``base.html`` cost each page.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from d3.access import NAVIGATION

# Links of base.html, by the name the template reads: {{ layout_urls.home }}.
LAYOUT_URL_NAMES = {
    "home": "home",
    "login": "account_login",
    "logout": "account_logout",
    "aide": "aide",
    "aide_staff": "aide_staff",
}


@lru_cache(maxsize=64)
def _addresses(role, script_prefix, urlconf):
    """The layout's links and the role's navigation as (address, label) pairs.

    ``script_prefix`` is only part of the key: ``reverse()`` reads it itself."""
    layout = {key: reverse(name, urlconf=urlconf) for key, name in LAYOUT_URL_NAMES.items()}
    items = tuple(
        (reverse(name, urlconf=urlconf), label) for name, label in NAVIGATION.get(role, ())
    )
    return layout, items


def navigation(request):
    user = getattr(request, "user", None)
    role = user.role if user is not None and user.is_authenticated else None
    layout, items = _addresses(
        role, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    )
    if role is None:
        return {"layout_urls": layout, "nav_items": []}
    current = request.path
    return {
        "layout_urls": layout,
        "nav_items": [
            {"url": url, "label": label, "current": current == url} for url, label in items
        ],
        "user_role_label": user.get_role_display(),
    }
