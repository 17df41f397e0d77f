"""Removing stored files that no row points to (orphans).

A file is written to the storage *before* the transaction that records its key, so that
no row stays locked while bytes travel (to S3 maybe). When that transaction rolls back,
the code that stored the file deletes it (:func:`dossiers.pieces.add_file`,
:func:`dossiers.signing.sign_dossier`, :func:`jury.tasks.deliver_courrier`); but a
process killed in between, a storage unreachable at that moment, or an outer
transaction that rolls back after the inner one succeeded leave the bytes behind with
nothing referencing them. Nobody can download them (every download goes through a row),
they only take room and keep personal data longer than needed.

:func:`remove_orphan_files` (Celery beat, daily: :mod:`dossiers.tasks`) walks the areas
where D3 writes files and deletes those that are unreferenced **and** older than
:data:`ORPHAN_AGE`. The age protects a file whose transaction is still running (an
upload being recorded, a courrier's letter stored under its lease): it is unreferenced
for a few seconds or minutes, never for a day.

Only the storage API is used (``listdir``, ``get_modified_time``, ``delete``), so it
works the same on the local disk and on S3. Keys are checked against the database in
batches of :data:`BATCH_SIZE` (one ``IN`` query per referencing column), never all the
keys of 600 000 pièces in one query; the modification time (a HEAD request on S3) is
asked only for the few files no row references.
"""

import logging
from datetime import timedelta
from itertools import islice

from django.core.files.storage import default_storage
from django.utils import timezone

from dossiers.models import PieceFile, Signature

logger = logging.getLogger(__name__)

ORPHAN_AGE = timedelta(days=1)
BATCH_SIZE = 500

# Where D3 writes files (dossiers.pieces, dossiers.signing, jury.tasks). Anything else
# in the storage (the health check's probe…) is not ours to judge.
AREAS = ("pieces", "recapitulatifs", "courriers")


def _references():
    """Every column that holds a storage key, as ``(model, field)``.

    Every batch is checked against all of them, whatever its area: a file is deleted
    only if *no* row anywhere points to it. (Courriels' attachments point to
    récapitulatifs and courriers, whose rows are written in the same transaction.)
    """
    from jury.models import Courrier

    return (
        (PieceFile, "storage_key"),
        (Signature, "recapitulatif_key"),
        (Courrier, "storage_key"),
    )


def remove_orphan_files(*, storage=None, batch_size=BATCH_SIZE):
    """Delete the unreferenced files older than :data:`ORPHAN_AGE`; return a summary.

    The summary counts the files ``checked``, the orphans ``removed`` and the young
    orphans ``kept`` (probably an upload in progress; next run decides).
    """
    storage = storage or default_storage
    oldest_allowed = timezone.now() - ORPHAN_AGE
    summary = {"checked": 0, "removed": 0, "kept": 0}
    keys = _walk(storage)
    while batch := list(islice(keys, batch_size)):
        summary["checked"] += len(batch)
        referenced = _referenced(batch)
        for key in batch:
            if key in referenced:
                continue
            if storage.get_modified_time(key) > oldest_allowed:
                summary["kept"] += 1
                continue
            storage.delete(key)
            summary["removed"] += 1
    logger.info(
        "Fichiers orphelins : %(removed)d supprimés, %(kept)d récents conservés, "
        "%(checked)d fichiers examinés.", summary,
    )
    return summary


def discard(key):
    """Delete the file of a transaction that failed (nothing references it).

    Called while that failure propagates: if the storage fails too (S3 unreachable),
    the file is left to :func:`remove_orphan_files` rather than the storage's error
    hiding the one that failed the transaction.
    """
    try:
        default_storage.delete(key)
    except Exception:
        logger.warning("Fichier %s non supprimé : la tâche des fichiers orphelins le "
                       "supprimera.", key, exc_info=True)


def _walk(storage):
    """Every key under :data:`AREAS`, one at a time (sub-folders included)."""
    folders = list(AREAS)
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = storage.listdir(folder)
        except FileNotFoundError:  # nothing stored there yet (local disk)
            continue
        folders.extend(f"{folder}/{name}" for name in subfolders)
        for name in files:
            yield f"{folder}/{name}"


def _referenced(keys):
    referenced = set()
    for model, field in _references():
        referenced.update(
            model.objects.filter(**{f"{field}__in": keys}).order_by()
            .values_list(field, flat=True)
        )
    return referenced
