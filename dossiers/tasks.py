"""Periodic jobs of the dossiers app (Celery beat: ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from dossiers import orphans, retention


# Listing every stored file (800 000 at the Cnam's scale: 800 LIST requests on S3) and
# checking them takes minutes, more than CELERY_TASK_TIME_LIMIT; under the broker's
# visibility timeout (an hour) so that it is not handed to a second worker meanwhile.
# Stopped anyway, it loses nothing: the next night starts again.
ORPHANS_SOFT_TIME_LIMIT = 45 * 60
ORPHANS_TIME_LIMIT = 50 * 60


@shared_task(soft_time_limit=ORPHANS_SOFT_TIME_LIMIT, time_limit=ORPHANS_TIME_LIMIT)
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
