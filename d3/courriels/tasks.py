"""Delivery of the courriel outbox.

Each :class:`Courriel` row is sent by ``deliver(courriel_id)``, queued when the
transaction that wrote it commits; ``resend_pending`` (Celery beat, every
minute) queues again whatever is due, which covers a broker that was down at
commit time, a worker that died, and retries after a mail-server failure.

Claiming. Two workers may hold a task for the same row (the on-commit task and
the sweep, or a task redelivered by the broker). Before sending, a worker takes
a lease with one conditional ``UPDATE … WHERE status = 'pending' AND
next_attempt_at <= now AND (claimed_until IS NULL OR claimed_until < now)``,
writing ``claimed_until`` and a random ``claim_token``. PostgreSQL re-checks the
WHERE clause on a row another transaction has just updated, so exactly one of
two simultaneous claims touches the row; the other touches nothing and returns.
The worker then marks the row sent (or failed) only if it still holds the token.

Why a lease rather than a lock held while sending: SMTP is slow, may hang for
``EMAIL_TIMEOUT``, and must not run inside a database transaction. A lease
needs no open transaction, and if the worker dies the lease simply lapses and
the sweep picks the row up again. The lease (``COURRIEL_LEASE_SECONDS``) exceeds
Celery's hard time limit (checked by the settings), so a live worker always
finishes (or is killed) before its lease runs out.

At-least-once window. If a worker dies after the mail server accepted the
message but before the "sent" UPDATE commits, the lease lapses and the courriel
is sent a second time. Nothing can close that window without the mail server
taking part in our transaction. It is a few milliseconds wide, and the
``Message-ID`` header is the same on every attempt, so mail systems that
deduplicate by Message-ID keep only one copy.
In every other case a courriel is sent exactly once.
"""

import logging
import secrets
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from d3.celery import publish
from d3.courriels.models import Courriel, Status

logger = logging.getLogger(__name__)

FIRST_RETRY_DELAY = timedelta(minutes=1)
# 1, 2, 4 … 32 then 60 minutes: with the default 8 attempts, about 2 h of an
# unreachable mail server before a courriel is marked failed for staff to resend.
MAX_RETRY_DELAY = timedelta(hours=1)
# One sweep queues at most this many tasks, so that a long outage does not
# flood the broker when it comes back; the next sweep takes the rest.
SWEEP_BATCH = 500


def max_attempts():
    return getattr(settings, "COURRIEL_MAX_ATTEMPTS", 8)


def lease():
    """How long a worker owns a courriel it is sending: see "Why a lease" above."""
    return timedelta(seconds=settings.COURRIEL_LEASE_SECONDS)


def retry_delay(attempts):
    """Back-off after the ``attempts``-th failed attempt (1-based)."""
    return min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)


@shared_task
def deliver(courriel_id):
    """Send one courriel, unless it is already sent or being sent elsewhere."""
    token = _claim(courriel_id)
    if token is None:
        return
    courriel = Courriel.objects.get(pk=courriel_id)
    try:
        _build_message(courriel).send()
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
        logger.warning("Courriel %s : échec de l'envoi.", courriel_id, exc_info=True)
        _record_failure(courriel, token, exc)
        return
    _mark_sent(courriel_id, token)


@shared_task
def resend_pending():
    """Periodic sweep: queue delivery of every due courriel (bounded batch)."""
    due_ids = list(
        Courriel.objects.due(timezone.now())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for courriel_id in due_ids:
        deliver.delay(courriel_id)
    return len(due_ids)


def resend(courriel):
    """Put a failed courriel back in the outbox, for staff; False if it was not failed.

    Its attempts start again from zero, so it gets the whole back-off again.
    """
    updated = Courriel.objects.filter(pk=courriel.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(),
        claimed_until=None, claim_token="",
    )
    if updated:
        transaction.on_commit(partial(deliver_soon, courriel.pk))
    return bool(updated)


def deliver_soon(courriel_id):
    """Queue the delivery task; a broker outage only delays the courriel.

    The row is committed and pending: the sweep sends it once the broker is back.
    Raising, or waiting for the broker, would turn a saved change into an error
    page or a hung one (see :func:`d3.celery.publish`).
    """
    publish(deliver, (courriel_id,))


def _claim(courriel_id):
    """Take the lease on a due row; the token, or None if someone else has it."""
    now = timezone.now()
    token = secrets.token_hex(16)
    claimed = (
        Courriel.objects.due(now)
        .filter(pk=courriel_id)
        .update(claimed_until=now + lease(), claim_token=token)
    )
    return token if claimed else None


def _build_message(courriel):
    message = EmailMultiAlternatives(
        subject=courriel.subject,
        body=courriel.body_text,
        to=[courriel.to],
        headers={"Message-ID": _message_id(courriel)},
    )
    if courriel.body_html:
        message.attach_alternative(courriel.body_html, "text/html")
    for attachment in courriel.attachments:
        with default_storage.open(attachment["path"], "rb") as file:
            message.attach(attachment["name"], file.read(), attachment["mimetype"])
    return message


def _message_id(courriel):
    # The same on every attempt, so that a rare duplicate (see the module
    # docstring) is recognisably the same message.
    domain = urlsplit(settings.D3_SITE_URL).hostname or "localhost"
    return f"<courriel-{courriel.pk}@{domain}>"


def _mark_sent(courriel_id, token):
    updated = Courriel.objects.filter(pk=courriel_id, claim_token=token).update(
        status=Status.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1,
        last_error="", claimed_until=None, claim_token="",
    )
    if not updated:
        # Our lease lapsed while sending and another worker took the row over.
        logger.error("Courriel %s envoyé après expiration du bail : doublon possible.",
                     courriel_id)


def _record_failure(courriel, token, exc):
    attempts = courriel.attempts + 1
    gave_up = attempts >= max_attempts()
    Courriel.objects.filter(pk=courriel.pk, claim_token=token).update(
        status=Status.FAILED if gave_up else Status.PENDING,
        attempts=attempts,
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=timezone.now() + retry_delay(attempts),
        claimed_until=None,
        claim_token="",
    )
    if gave_up:
        logger.error("Courriel %s abandonné après %s tentatives.", courriel.pk, attempts)
