"""Periodic jobs of the dossiers app (Celery beat: ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from dossiers import orphans, retention


@shared_task
def remove_orphan_files():
    """Daily: delete stored files that no row references, once a day old (see
    :mod:`dossiers.orphans`); return the counts."""
    return orphans.remove_orphan_files()


@shared_task
def remove_expired_dossiers():
    """Daily: remove the closed dossiers past ``D3_RETENTION_YEARS``, their decision kept
    anonymised (see :mod:`dossiers.retention`); return the counts.

    A run stops after ``retention.RUN_LIMIT`` dossiers to stay within the task's time
    limit; when more remain (a first run on years of data), it queues the next run.
    """
    report = retention.remove_expired_dossiers()
    if report.more:
        remove_expired_dossiers.apply_async(countdown=60)
    return {"dossiers": report.dossiers, "files": report.files, "accounts": report.accounts,
            "failed": len(report.failed)}
