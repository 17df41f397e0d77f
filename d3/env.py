"""Typed readers for settings taken from the environment.

Every reader fails at start-up with a message naming the variable, so that a
typo in a deployment is caught before the first request rather than at 3 a.m.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on", "vrai", "oui"}
_FALSE = {"0", "false", "no", "off", "faux", "non", ""}


def _raw(name):
    value = os.environ.get(name)
    return None if value is None else value.strip()


def string(name, default=None):
    value = _raw(name)
    return default if value in (None, "") else value


def boolean(name, default=False):
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} doit valoir true ou false (reçu : {value!r})."
    )


def integer(name, default, minimum=None, maximum=None):
    value = _raw(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} doit être un nombre entier (reçu : {value!r})."
        ) from None
    if (minimum is not None and number < minimum) or (
        maximum is not None and number > maximum
    ):
        raise ImproperlyConfigured(
            f"{name} doit être compris entre {minimum} et {maximum} (reçu : {number})."
        )
    return number


def string_list(name, default=()):
    value = _raw(name)
    if value in (None, ""):
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def url(name, default=None, schemes=()):
    """A URL whose scheme must be one of ``schemes``."""
    value = string(name)
    if value is None:
        return default
    scheme, sep, _ = value.partition("://")
    if not sep or (schemes and scheme not in schemes):
        expected = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(
            f"{name} n'est pas une URL valide (attendu : {expected}…)."
        )
    return value
