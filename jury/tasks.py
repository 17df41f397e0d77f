"""Sending the courriers on their day.

``send_due_courriers`` (Celery beat, hourly) queues ``send_courrier`` for every
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
retry, a task redelivered by the broker). Before rendering, a worker takes a lease with
one conditional ``UPDATE … SET rendered_at = now WHERE status = 'programme' AND
storage_key = '' AND (rendered_at IS NULL OR rendered_at < now - LEASE)``: exactly one
of two simultaneous claims touches the row (PostgreSQL re-checks the WHERE clause on a
row another transaction has just updated). While ``storage_key`` is empty,
``rendered_at`` is thus the start of the current attempt, the lease; once the key is
written, it is when the letter was stored. The worker writes the key only if
``rendered_at`` is still its own claim time; otherwise its lease lapsed and another
worker took over, and it deletes its file: there is never a second letter. A lease
rather than a lock held while rendering: no transaction stays open during the slow
work, and a worker that dies simply lets the lease lapse (``LEASE`` is longer than
Celery's hard time limit), after which the next sweep takes the courrier again.

Failures (rendering, storage, database) are retried with a growing delay; after
``MAX_RETRIES`` retries the courrier is ``echec`` with ``last_error``, for the DNF to
see and resend (:func:`jury.courriers.resend`). A stored letter survives a failed
sending: the retries reuse it.
"""

import logging
from datetime import timedelta
from uuid import uuid4

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from dossiers import workflow
from jury.letters import render_courrier_pdf
from jury.models import Courrier, CourrierStatus

logger = logging.getLogger(__name__)

# Longer than CELERY_TASK_TIME_LIMIT (300 s): a live worker always finishes, or is
# killed, before its lease runs out.
LEASE = timedelta(minutes=10)
# 1, 2, 4, 8, 16 minutes: about half an hour of failures before "en échec".
MAX_RETRIES = 5
FIRST_RETRY_DELAY = timedelta(minutes=1)
# One sweep queues at most this many tasks; the next sweep takes the rest.
SWEEP_BATCH = 1000

SENT = "envoyé"
NOT_DUE = "pas encore dû"
NOTHING_TO_DO = "déjà traité"
BUSY = "en cours ailleurs"
RETRYING = "nouvel essai programmé"
FAILED = "en échec"


def retry_delay(retries):
    """Delay before the ``retries``-th retry (1-based), in seconds."""
    return int((FIRST_RETRY_DELAY * 2 ** (retries - 1)).total_seconds())


@shared_task
def send_due_courriers():
    """Periodic: queue the sending of every programmed courrier whose day has come."""
    due_ids = list(
        Courrier.objects.due(timezone.localdate())
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for courrier_id in due_ids:
        send_courrier_soon(courrier_id)
    return len(due_ids)


@shared_task
def send_courrier(courrier_id, attempt=1):
    """Render (once) and send one courrier if it is due; return what happened.

    On failure the error is kept on the row and a new attempt is queued after a delay
    (``attempt`` counts them); after ``MAX_RETRIES`` retries the courrier is ``echec``.
    Celery's own ``retry`` is not used: a task that fails is then simply done, which
    keeps the eager mode of the tests and the broker's redeliveries out of the count.
    """
    try:
        return deliver_courrier(courrier_id)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, retried, then shown
        logger.warning("Courrier %s : échec de l'envoi (essai %s).", courrier_id, attempt,
                       exc_info=True)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempt > MAX_RETRIES:
            _mark_failed(courrier_id, error)
            return FAILED
        Courrier.objects.filter(pk=courrier_id, status=CourrierStatus.PROGRAMME).update(
            last_error=error
        )
        _retry_later(courrier_id, attempt + 1)
        return RETRYING


def _retry_later(courrier_id, attempt):
    try:
        send_courrier.apply_async((courrier_id,), {"attempt": attempt},
                                  countdown=retry_delay(attempt - 1))
    except BrokerError:
        # Still programmed: the next hourly sweep tries again.
        logger.warning("Courrier %s : file de tâches injoignable, nouvel essai différé.",
                       courrier_id, exc_info=True)


def send_courrier_soon(courrier_id):
    """Queue the sending task; a broker outage only delays it until the next sweep."""
    try:
        send_courrier.delay(courrier_id)
    except BrokerError:
        logger.warning("Courrier %s : file de tâches injoignable, envoi différé.",
                       courrier_id, exc_info=True)


def deliver_courrier(courrier_id):
    """Steps 1 and 2 of the module docstring; raises on failure (the task retries)."""
    today = timezone.localdate()
    courrier = Courrier.objects.get(pk=courrier_id)
    if courrier.status != CourrierStatus.PROGRAMME:
        return NOTHING_TO_DO
    if courrier.due_on > today:
        return NOT_DUE
    if not courrier.storage_key and not _store_letter(courrier_id, today):
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
        courrier.save(update_fields=["status", "sent_at", "last_error"])
    return SENT


def _store_letter(courrier_id, today):
    """Render and store the letter under a lease; False if another worker holds it."""
    claimed_at = _claim(courrier_id, today)
    if claimed_at is None:
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
            pk=courrier_id, storage_key="", rendered_at=claimed_at
        ).update(storage_key=key, rendered_at=timezone.now())
    except BaseException:
        if key is not None:
            default_storage.delete(key)
        # Let the next attempt claim it at once rather than after the lease.
        Courrier.objects.filter(pk=courrier_id, storage_key="",
                                rendered_at=claimed_at).update(rendered_at=None)
        raise
    if not stored:
        # Our lease lapsed and another worker stored its own copy: keep only that one.
        logger.error("Courrier %s rendu après expiration du bail : copie supprimée.",
                     courrier_id)
        default_storage.delete(key)
    return True


def _claim(courrier_id, today):
    """Take the render lease; the claim time (the token), or None if someone has it."""
    now = timezone.now()
    claimed = (
        Courrier.objects.due(today)
        .filter(pk=courrier_id, storage_key="")
        .filter(Q(rendered_at__isnull=True) | Q(rendered_at__lt=now - LEASE))
        .update(rendered_at=now)
    )
    return now if claimed else None


def _mark_failed(courrier_id, error):
    Courrier.objects.filter(pk=courrier_id, status=CourrierStatus.PROGRAMME).update(
        status=CourrierStatus.ECHEC, last_error=error
    )
    # A failed render leaves no lease behind: "renvoyer" may start again at once.
    Courrier.objects.filter(pk=courrier_id, storage_key="").update(rendered_at=None)
    logger.error("Courrier %s en échec : %s", courrier_id, error)
