"""End to end: an upload whose transaction fails leaves its file behind only when the
storage cannot delete it either; nothing references it, and the nightly job removes it
a day later."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dossiers import orphans
from dossiers.models import PieceFile
from tests.concurrency import requires_postgresql
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PieceTypeFactory
from tests.faults.database import database_fails

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


def test_a_failed_upload_leaves_an_orphan_that_the_job_removes_a_day_later(
        auditeur, time_machine, caplog):
    dossier = DossierFactory(auditeur=auditeur)
    piece = PieceFactory(dossier=dossier, piece_type=PieceTypeFactory(accepted_formats=["pdf"]))
    kept = PieceFactory(dossier=dossier, deposee=True).files.get().storage_key
    client = Client(raise_request_exception=False)
    client.force_login(auditeur)
    started = timezone.now()

    # The database dies before the COMMIT, and the storage refuses the clean-up.
    unreachable = OSError("stockage injoignable")
    with database_fails("dossiers_piecefile", "killed"), \
            mock.patch.object(default_storage, "delete", side_effect=unreachable), \
            caplog.at_level(logging.WARNING, logger="dossiers.orphans"):
        response = client.post(reverse("dossiers:piece_upload", args=[dossier.pk, piece.pk]),
                               {"fichier": files.upload(files.pdf_bytes())})

    # The user sees the error of the database, not a storage error hiding it.
    assert response.status_code == 500
    [failure] = [r for r in caplog.records if r.name == "django.request"]
    assert failure.exc_info[0] is OperationalError
    [left] = [r for r in caplog.records if r.name == "dossiers.orphans"]
    assert "non supprimé : la tâche des fichiers orphelins le supprimera" in left.getMessage()
    assert PieceFile.objects.filter(piece=piece).count() == 0
    orphan = [f"pieces/{name}" for name in default_storage.listdir("pieces")[1]
              if f"pieces/{name}" != kept]
    assert len(orphan) == 1

    time_machine.move_to(started + timedelta(hours=23), tick=False)
    assert orphans.remove_orphan_files()["removed"] == 0
    assert default_storage.exists(orphan[0])

    time_machine.move_to(started + timedelta(hours=25), tick=False)
    assert orphans.remove_orphan_files() == {"checked": 2, "removed": 1, "kept": 0}
    assert not default_storage.exists(orphan[0])
    assert default_storage.exists(kept)
