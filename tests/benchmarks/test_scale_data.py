"""The benchmark's data generator, at a thousandth of the Cnam's scale."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from auditeurs.models import Role, User
from benchmarks import scale_data
from dossiers.models import Dossier, Event, PieceFile, State
from jury.models import Courrier, Decision, JurySession
from tests.concurrency import requires_postgresql

pytestmark = [pytest.mark.django_db, requires_postgresql]

SCALE = 0.001


def test_counts_follow_the_scale_and_every_state_is_there():
    summary = scale_data.generate(scale=SCALE, seed=7, log=lambda _: None)
    sizes = scale_data.sizes(SCALE)

    assert User.objects.filter(role=Role.AUDITEUR).count() == sizes["auditeurs"] == 100
    assert Dossier.objects.count() == sizes["dossiers"] == 150
    assert PieceFile.objects.count() == 4 * 150 == summary.counts["piece_files"]
    assert Event.objects.count() == sizes["events"] == 1000
    assert JurySession.objects.count() == sizes["sessions"]
    assert set(Dossier.objects.values_list("state", flat=True)) == set(State.values)
    # A gestionnaire per centre, each with his/her centre.
    gestionnaires = User.objects.filter(role=Role.GESTIONNAIRE)
    assert gestionnaires.count() == sizes["centres"]
    assert all(user.centres.count() == 1 for user in gestionnaires)
    # The jury's scenario session and the courriers' one hold exactly their share.
    assert Dossier.objects.filter(jury_session=1).count() == sizes["jury_page_session"]
    assert Dossier.objects.filter(jury_session=2, state=State.DECISION_RENDUE).count() \
        == sizes["courriers_session"]
    # Every decided dossier has its decision and its courrier.
    decided = Dossier.objects.filter(state__in=[State.DECISION_RENDUE, State.COURRIER_ENVOYE])
    assert Decision.objects.filter(dossier__in=decided).count() == decided.count()
    assert Courrier.objects.filter(dossier__in=decided).count() == decided.count()
    # The sequences moved past the copied ids: the application can insert again.
    assert Event.objects.create(dossier_id=1, action="note").pk == 1001


def test_every_account_has_the_one_bench_password():
    scale_data.generate(scale=SCALE, seed=7, log=lambda _: None)
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert User.objects.first().check_password(scale_data.PASSWORD)


def test_the_pieces_point_to_one_real_shared_file():
    from django.core.files.storage import default_storage

    scale_data.generate(scale=SCALE, seed=7, log=lambda _: None)
    keys = list(PieceFile.objects.values_list("storage_key", flat=True)[:3])
    assert len(set(keys)) == 3
    for key in keys:
        with default_storage.open(key) as file:
            assert file.read() == scale_data.SHARED_PDF


def test_same_seed_same_data_another_seed_other_data():
    scale_data.generate(scale=SCALE, seed=7, log=lambda _: None)
    first = scale_data.fingerprint()
    scale_data.generate(scale=SCALE, seed=7, reset=True, log=lambda _: None)
    assert scale_data.fingerprint() == first
    scale_data.generate(scale=SCALE, seed=8, reset=True, log=lambda _: None)
    assert scale_data.fingerprint() != first


def test_a_database_in_use_is_refused_without_reset(auditeur):
    with pytest.raises(CommandError, match="relancez avec --reset"):
        call_command("generate_scale_data", "--scale", str(SCALE))
    assert User.objects.get() == auditeur  # nothing written, nothing removed
    call_command("generate_scale_data", "--scale", str(SCALE), "--reset", stdout=io.StringIO())
    assert not User.objects.filter(pk=auditeur.pk, username=auditeur.username).exists()


def test_sqlite_is_refused(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(scale_data.ScaleDataError, match="SQLite refusé"):
        scale_data.generate(scale=SCALE, log=lambda _: None)
