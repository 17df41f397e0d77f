"""Settings for the test suite: the real settings, made fast and strict."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")

from d3.settings import *  # noqa: E402,F403
from d3.settings import DATABASES, STORAGES, TEMPLATES  # noqa: E402

# No persistent connections: threads of the live server and of the concurrency
# tests must not keep the test database busy when it is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files straight from the finders: no collectstatic before the tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions in the database whatever CACHE_URL says (the pinned query counts count the
# session's); d3.sessions is tested on a Redis of its own (tests/faults).
SESSION_ENGINE = "django.contrib.sessions.backends.db"


class _UndefinedVariable(str):
    """Makes ``{{ undefined }}`` fail loudly in our templates instead of rendering ''."""

    def __mod__(self, name):
        raise AssertionError(f"Variable de gabarit non définie : {name}")


TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = _UndefinedVariable("%s")
