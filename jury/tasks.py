"""Sending the courriers on their day.

``send_due_courriers`` (Celery beat, every five minutes) queues ``send_courrier`` for every
courrier that is due and still programmed; closing a session whose courriers are due
at once queues them itself. ``send_courrier(courrier_id)``:

1. renders the letter once: claims it, renders the PDF (WeasyPrint, slow, outside any
   transaction), stores it under a random key and writes that key on the row. A
   courrier whose ``storage_key`` is set is never rendered again: a retry, a second
   worker or the DNF's "renvoyer" reuse the stored letter.
2. sends it, in one transaction holding the courrier's row lock: the dossier goes
   ``decision_rendue`` → ``courrier_envoye`` (event), the courriel carrying the PDF is
   written to the outbox (delivered after commit, see :mod:`d3.courriels.tasks`), and
   the courrier becomes ``envoye``. The lock and the status check make this step happen
   once, however many workers hold a task for the same courrier.

Claiming the render. Two workers may hold a task for the same courrier (the sweep and a
task redelivered by the broker after a worker died). Before rendering, a worker takes a
lease with one conditional ``UPDATE … SET claimed_until = now + lease, claim_token = …
WHERE status = 'programme' AND storage_key = '' AND (claimed_until IS NULL OR
claimed_until < now)``: exactly one of two simultaneous claims touches the row
(PostgreSQL re-checks the WHERE clause on a row another transaction has just updated).
The worker writes the key only if it still holds its token; otherwise its lease lapsed
and another worker took over, and it deletes its file: there is never a second letter.
A lease rather than a lock held while rendering: no transaction stays open during the
slow work, and a worker that dies (SIGKILL, lost machine) simply lets the lease lapse
(``COURRIER_LEASE_SECONDS``, longer than Celery's hard time limit), after which the
next sweep takes the courrier again.

Failures (rendering, storage, database) are counted on the row (``attempts``,
``last_error``) and the next attempt waits on the row (``next_attempt_at``, growing
delay) for the periodic sweep: no task is ever queued with an ETA, which Redis would
hand to another worker after its visibility timeout. After ``MAX_RETRIES`` retries the
courrier is ``echec`` with ``last_error``, for the DNF to see and resend
(:func:`jury.courriers.resend`). A stored letter survives a failed sending: the retries
reuse it.
"""

import logging
import secrets
from datetime import timedelta
from uuid import uuid4

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from d3.celery import publish
from dossiers import workflow
from jury.letters import render_courrier_pdf
from jury.models import Courrier, CourrierStatus

logger = logging.getLogger(__name__)

# 5, 10, 20, 40, 80 minutes (each waited for by the five-minute sweep): about two
# and a half hours of failures before "en échec".
MAX_RETRIES = 5
FIRST_RETRY_DELAY = timedelta(minutes=5)
# One sweep queues at most this many tasks; the next sweep takes the rest.
SWEEP_BATCH = 1000

SENT = "envoyé"
NOT_DUE = "pas encore dû"
NOTHING_TO_DO = "déjà traité"
BUSY = "en cours ailleurs"
RETRYING = "nouvel essai programmé"
FAILED = "en échec"


def lease():
    """How long a worker owns the render of a courrier: see "Claiming the render"."""
    return timedelta(seconds=settings.COURRIER_LEASE_SECONDS)


def retry_delay(retries):
    """Delay before the ``retries``-th retry (1-based)."""
    return FIRST_RETRY_DELAY * 2 ** (retries - 1)


@shared_task
def send_due_courriers():
    """Periodic: queue the sending of every courrier due now (its day, its next attempt
    after a failure, its lapsed lease)."""
    due_ids = list(
        Courrier.objects.due(timezone.now())
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for courrier_id in due_ids:
        # In the worker, no request waits: the default publish retries are welcome.
        send_courrier.delay(courrier_id)
    return len(due_ids)


@shared_task
def send_courrier(courrier_id, attempt=None):
    """Render (once) and send one courrier if it is due; return what happened.

    On failure the error and the count of failures are kept on the row and the next
    attempt waits for the sweep (``next_attempt_at``); after ``MAX_RETRIES`` retries the
    courrier is ``echec``. Celery's own ``retry`` is not used: it would queue a task with
    an ETA. ``attempt`` is ignored: tasks queued by the previous version carry it.
    """
    try:
        return deliver_courrier(courrier_id)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, retried, then shown
        logger.warning("Courrier %s : échec de l'envoi.", courrier_id, exc_info=True)
        return _record_failure(courrier_id, f"{type(exc).__name__}: {exc}"[:2000])


def send_courrier_soon(courrier_id):
    """Queue the sending task from a request; a broker outage only delays it until the
    next sweep, and never holds the request (:func:`d3.celery.publish`)."""
    return publish(send_courrier, (courrier_id,))


def deliver_courrier(courrier_id):
    """Steps 1 and 2 of the module docstring; raises on failure (the task retries)."""
    now = timezone.now()
    courrier = Courrier.objects.get(pk=courrier_id)
    if courrier.status != CourrierStatus.PROGRAMME:
        return NOTHING_TO_DO
    if courrier.due_on > timezone.localdate(now) or (
        courrier.next_attempt_at and courrier.next_attempt_at > now
    ):
        return NOT_DUE
    if not courrier.storage_key and not _store_letter(courrier_id, now):
        return BUSY
    with transaction.atomic():
        courrier = (
            Courrier.objects.select_for_update(of=("self",)).select_related("session")
            .get(pk=courrier_id)
        )
        if courrier.status != CourrierStatus.PROGRAMME or not courrier.storage_key:
            return NOTHING_TO_DO
        workflow.send_letter(courrier.dossier_id, courrier=courrier)
        courrier.status = CourrierStatus.ENVOYE
        courrier.sent_at = timezone.now()
        courrier.last_error = ""
        courrier.next_attempt_at = None
        courrier.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at"])
    return SENT


def _store_letter(courrier_id, now):
    """Render and store the letter under a lease; False if another worker holds it."""
    token = _claim(courrier_id, now)
    if token is None:
        # Someone else is rendering it, or has just stored it: a stored letter is sent
        # by this call's caller only if the key is there now.
        return Courrier.objects.filter(pk=courrier_id).exclude(storage_key="").exists()
    key = None
    try:
        courrier = (
            Courrier.objects.select_related(
                "session__president", "dossier__auditeur__profile", "dossier__diplome",
                "dossier__decision",
            ).get(pk=courrier_id)
        )
        pdf = render_courrier_pdf(courrier)
        key = default_storage.save(f"courriers/{uuid4().hex}.pdf", ContentFile(pdf))
        stored = Courrier.objects.filter(
            pk=courrier_id, storage_key="", claim_token=token
        ).update(storage_key=key, rendered_at=timezone.now(), claimed_until=None,
                 claim_token="")
    except BaseException:
        if key is not None:
            default_storage.delete(key)
        # Let the next attempt claim it at once rather than after the lease.
        _release(courrier_id, token)
        raise
    if not stored:
        # Our lease lapsed and another worker stored its own copy: keep only that one.
        logger.error("Courrier %s rendu après expiration du bail : copie supprimée.",
                     courrier_id)
        default_storage.delete(key)
        return False
    return True


def _claim(courrier_id, now):
    """Take the render lease; its token, or None if another worker holds it."""
    token = secrets.token_hex(16)
    claimed = (
        Courrier.objects.due(now)
        .filter(pk=courrier_id, storage_key="")
        .update(claimed_until=now + lease(), claim_token=token)
    )
    return token if claimed else None


def _release(courrier_id, token):
    Courrier.objects.filter(pk=courrier_id, claim_token=token).update(
        claimed_until=None, claim_token="")


def _record_failure(courrier_id, error):
    """Count the failure; program the next attempt, or give up after ``MAX_RETRIES``."""
    courrier = Courrier.objects.filter(
        pk=courrier_id, status=CourrierStatus.PROGRAMME).only("attempts").first()
    if courrier is None:
        return NOTHING_TO_DO
    attempts = courrier.attempts + 1
    gave_up = attempts > MAX_RETRIES
    Courrier.objects.filter(pk=courrier_id, status=CourrierStatus.PROGRAMME).update(
        status=CourrierStatus.ECHEC if gave_up else CourrierStatus.PROGRAMME,
        attempts=attempts,
        last_error=error,
        next_attempt_at=None if gave_up else timezone.now() + retry_delay(attempts),
    )
    if gave_up:
        logger.error("Courrier %s en échec après %s tentatives : %s", courrier_id,
                     attempts, error)
        return FAILED
    return RETRYING
