"""The nightly removal of orphan files: referenced files and young orphans are kept,
orphans a day old are deleted; real files, a moved clock."""

import logging
import math
from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from dossiers import orphans, tasks
from tests.dossiers.factories import PieceFileFactory, SignatureFactory, sample_pdf
from tests.jury.factories import CourrierFactory

pytestmark = pytest.mark.django_db


def store(key):
    return default_storage.save(key, ContentFile(sample_pdf(key)))


@pytest.fixture
def files():
    """One referenced file and one orphan in each area D3 writes to, all written now."""
    referenced = [
        PieceFileFactory().storage_key,
        SignatureFactory(recapitulatif_key=store("recapitulatifs/signe.pdf")).recapitulatif_key,
        CourrierFactory(envoye=True).storage_key,
    ]
    orphaned = [store("pieces/perdu"), store("recapitulatifs/perdu.pdf"),
                store("courriers/perdu.pdf")]
    assert {key.split("/")[0] for key in referenced} == set(orphans.AREAS)
    return referenced, orphaned


def existing(keys):
    return [key for key in keys if default_storage.exists(key)]


def test_an_orphan_is_kept_for_a_day_then_removed(files, time_machine):
    referenced, orphaned = files
    now = timezone.now()

    time_machine.move_to(now + timedelta(hours=23), tick=False)
    assert orphans.remove_orphan_files() == {"checked": 6, "removed": 0, "kept": 3}
    assert existing(referenced + orphaned) == referenced + orphaned

    time_machine.move_to(now + timedelta(hours=25), tick=False)
    assert orphans.remove_orphan_files() == {"checked": 6, "removed": 3, "kept": 0}
    assert existing(orphaned) == []
    assert existing(referenced) == referenced


def test_a_referenced_file_is_never_removed_however_old(files, time_machine):
    referenced, _ = files
    time_machine.move_to(timezone.now() + timedelta(days=3650), tick=False)

    orphans.remove_orphan_files()

    assert existing(referenced) == referenced


def test_files_outside_the_areas_are_not_ours(time_machine):
    probe = store("sante/.probe")
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)

    assert orphans.remove_orphan_files() == {"checked": 0, "removed": 0, "kept": 0}
    assert default_storage.exists(probe)


def test_keys_are_checked_against_the_database_in_batches(time_machine,
                                                          django_assert_num_queries):
    referenced = [PieceFileFactory().storage_key for _ in range(3)]
    orphaned = [store(f"pieces/perdu-{n}") for n in range(4)]
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)

    # One query per referencing column and batch of 3 keys: 7 keys, 3 batches, 3 columns
    # (never one query with every key, never one per key).
    batches = math.ceil(7 / 3)
    with django_assert_num_queries(batches * len(orphans._references())):
        summary = orphans.remove_orphan_files(batch_size=3)

    assert summary == {"checked": 7, "removed": 4, "kept": 0}
    assert existing(referenced + orphaned) == referenced


def test_the_count_is_logged(files, time_machine, caplog):
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)

    with caplog.at_level(logging.INFO, logger="dossiers.orphans"):
        orphans.remove_orphan_files()

    assert caplog.messages == [
        "Fichiers orphelins : 3 supprimés, 0 récents conservés, 6 fichiers examinés."
    ]


def test_the_task_runs_every_night(files, time_machine):
    entry = django_settings.CELERY_BEAT_SCHEDULE["files-remove-orphans"]
    assert entry["task"] == tasks.remove_orphan_files.name
    assert entry["schedule"] == crontab(hour=3, minute=15)
    # Minutes at the Cnam's scale: more than the default limit, less than the broker's
    # visibility timeout (an hour), after which a second worker would get it.
    task = tasks.remove_orphan_files
    assert django_settings.CELERY_TASK_TIME_LIMIT < task.soft_time_limit < task.time_limit
    assert task.time_limit < 3600
    _, orphaned = files
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)

    assert tasks.remove_orphan_files.delay().get()["removed"] == 3
    assert existing(orphaned) == []
