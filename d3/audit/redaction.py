"""No password, token or key in the logs.

Django logs the path of every 4xx/5xx response (``django.request``: "Not Found:
/compte/password/reset/key/…") and runserver every request (``django.server``): the
links that set a password carry their key in the path. This filter masks such keys,
and any ``password=``, ``token=``, ``key=``… of a query string, in the message before
any handler sees it. It is set on those loggers (a logger's filters run before the
record propagates) and on the console handler for every other record.

gunicorn's access log (the Dockerfile turns it on) writes every request line through
its own logger and handlers, which D3's LOGGING does not configure: the filter is added
to that logger when Django starts (:func:`guard_server_loggers`).
"""

import logging
import re

MASK = "[masqué]"

_PATTERNS = [
    # allauth's "set a new password" link: /password/reset/key/<uidb36>-<key>/
    (re.compile(r"(/reset/key/)[^/\s?\"']+"), rf"\g<1>{MASK}"),
    (re.compile(r"(?i)\b(password\d?|mot_de_passe|token|key|code|secret)=[^&\s\"']+"),
     rf"\g<1>={MASK}"),
]


def redact(text):
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# Loggers of the WSGI server, with handlers of their own that LOGGING leaves alone.
SERVER_LOGGERS = ("gunicorn.access", "gunicorn.error")


def guard_server_loggers():
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
