"""dossiers.retention: a closed dossier is removed D3_RETENTION_YEARS after it closed,
with its files and everything tied to it, and an anonymised trace of its decision stays;
an open dossier is never touched, whatever its age. The clock is moved, never waited for.
"""

import datetime
import logging
import threading
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from auditeurs.models import AuditeurProfile, User, ValidatedUE
from d3.courriels.models import Courriel
from dossiers import retention, tasks
from dossiers.models import (
    AnonymisedDecision,
    Dossier,
    Event,
    ExperiencePeriod,
    Kind,
    Piece,
    PieceFile,
    Signature,
    State,
)
from jury.models import Courrier, Decision
from tests.concurrency import requires_postgresql, run_in_threads
from tests.courriels.factories import CourrielFactory
from tests.dossiers.factories import (
    DossierFactory,
    EventFactory,
    PeriodFactory,
    PieceFactory,
    PieceFileFactory,
    SignatureFactory,
    sample_pdf,
)
from tests.factories import AuditeurFactory, UEFactory, ValidatedUEFactory
from tests.jury.factories import CourrierFactory, JurySessionFactory

PARIS = ZoneInfo("Europe/Paris")
# The courrier goes out on 10 March 2020: five years later, 10 March 2025, is the limit.
SENT = datetime.datetime(2020, 3, 10, 9, 0, tzinfo=PARIS)
DAY_BEFORE_LIMIT = datetime.datetime(2025, 3, 9, 9, 0, tzinfo=PARIS)
DAY_AFTER_LIMIT = datetime.datetime(2025, 3, 11, 9, 0, tzinfo=PARIS)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture(autouse=True)
def _five_years(settings):
    settings.D3_RETENTION_YEARS = 5


def stored(key):
    return default_storage.exists(key)


def fill(dossier):
    """What a real dossier holds: a period, a pièce with two versions, a signature with
    its récapitulatif, events with comments, a courriel about it. Returns the keys."""
    PeriodFactory(dossier=dossier)
    piece = PieceFactory(dossier=dossier, deposee=True)
    PieceFileFactory(piece=piece, replaced_at=SENT)  # an older version
    recapitulatif = default_storage.save("recapitulatifs/recap.pdf",
                                         ContentFile(sample_pdf("Récapitulatif")))
    # Signed states come with their signature from the factory; a withdrawn one not.
    signature = dossier.signatures.first() or SignatureFactory(dossier=dossier)
    signature.recapitulatif_key = recapitulatif
    signature.save()
    EventFactory(dossier=dossier, comment="Motif : le diplôme prérequis manque.")
    EventFactory(dossier=dossier, action="note", visible_to_auditeur=False,
                 comment="Note interne : appeler Mme Martin.")
    CourrielFactory(dossier_reference=dossier.reference, to=dossier.auditeur.email,
                    recipient_user=dossier.auditeur)
    keys = list(PieceFile.objects.filter(piece__dossier=dossier)
                .values_list("storage_key", flat=True))
    assert len(keys) == 2
    return [*keys, recapitulatif]


@pytest.fixture
def decided(db):
    """A DD + AEP decided by the jury of 2 February 2020 (experience not validated,
    diploma refused), created in January, courrier sent on 10 March."""
    with at(SENT - datetime.timedelta(days=60)):
        session = JurySessionFactory(closed=True, date=datetime.date(2020, 2, 2))
        courrier = CourrierFactory(
            dossier__session=session, dossier__decision__non_validee=True,
            dossier__auditeur__last_login=SENT,
        )
    courrier.sent_at = SENT
    courrier.storage_key = default_storage.save("courriers/c.pdf",
                                                ContentFile(sample_pdf("Courrier")))
    courrier.status = "envoye"
    courrier.save()
    dossier = courrier.dossier
    Dossier.objects.filter(pk=dossier.pk).update(state=State.COURRIER_ENVOYE)
    with at(SENT - datetime.timedelta(days=60)):
        keys = fill(dossier)
    return dossier, [*keys, courrier.storage_key]


def closed_at(moment, **state):
    """A dossier that entered a closed state (irrecevable, retiré) at ``moment``."""
    with at(moment):
        dossier = DossierFactory(**state)
        return dossier, fill(dossier)


def run(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return retention.remove_expired_dossiers(**kwargs)


def whole(dossier):
    """What a kept dossier must still have."""
    return {
        "dossier": Dossier.objects.filter(pk=dossier.pk).exists(),
        "periods": ExperiencePeriod.objects.filter(dossier=dossier).count(),
        "files": PieceFile.objects.filter(piece__dossier=dossier).count(),
        "signatures": Signature.objects.filter(dossier=dossier).count(),
        "comments": Event.objects.filter(dossier=dossier).exclude(comment="").count(),
        "courriels": Courriel.objects.filter(dossier_reference=dossier.reference).count(),
    }


def test_the_day_before_the_limit_everything_is_kept_and_the_day_after_it_is_gone(
    decided, django_capture_on_commit_callbacks
):
    dossier, keys = decided
    before = whole(dossier)
    assert before == {"dossier": True, "periods": 1, "files": 2, "signatures": 1,
                      "comments": 2, "courriels": 1}
    # The dossier was created (and last changed state) two months before the sending:
    # only the courrier's date counts for a dossier decided by a jury.
    assert dossier.state_changed_at < SENT - datetime.timedelta(days=59)

    with at(DAY_BEFORE_LIMIT):
        report = run(django_capture_on_commit_callbacks)
    assert report.dossiers == 0
    assert whole(dossier) == before
    assert all(stored(key) for key in keys)
    assert AnonymisedDecision.objects.count() == 0

    with at(DAY_AFTER_LIMIT):
        report = run(django_capture_on_commit_callbacks)
    assert (report.dossiers, report.files, report.failed) == (1, 4, [])
    assert whole(dossier) == {"dossier": False, "periods": 0, "files": 0, "signatures": 0,
                              "comments": 0, "courriels": 0}
    assert not Piece.objects.filter(dossier_id=dossier.pk).exists()
    assert not Decision.objects.filter(dossier_id=dossier.pk).exists()
    assert not Courrier.objects.filter(dossier_id=dossier.pk).exists()
    assert not any(stored(key) for key in keys)


def test_the_trace_keeps_the_decision_and_nothing_personal(
    decided, django_capture_on_commit_callbacks
):
    dossier, _ = decided
    with at(DAY_AFTER_LIMIT):
        run(django_capture_on_commit_callbacks)

    trace = AnonymisedDecision.objects.get()
    assert (trace.diplome, trace.diplome_code) == (dossier.diplome, dossier.diplome.code)
    assert (trace.centre, trace.centre_code) == (dossier.centre, dossier.centre.code)
    assert trace.kind == Kind.DD_AEP
    assert trace.closing_state == State.COURRIER_ENVOYE
    assert (trace.submitted_year, trace.closed_year) == (2020, 2020)
    assert trace.jury_date == datetime.date(2020, 2, 2)
    assert trace.decision_kind == "diplome_refuse"
    assert (trace.cursus_valide, trace.aep_outcome, trace.stage_months, trace.dd_outcome) \
        == (True, "non_validee", None, "refuse")
    # Nothing in the row names the person or the dossier, nor any free text.
    text = " ".join(str(value) for value in AnonymisedDecision.objects.values().get().values())
    for personal in (dossier.auditeur.username, dossier.auditeur.last_name, dossier.reference,
                     "ne relève de la spécialité", "Motif", "1990"):
        assert personal.lower() not in text.lower()


def test_withdrawn_and_inadmissible_dossiers_count_from_their_closing(
    db, django_capture_on_commit_callbacks
):
    limit = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=PARIS)
    withdrawn, withdrawn_keys = closed_at(datetime.datetime(2020, 6, 2, 12, 0, tzinfo=PARIS),
                                          retire=True)
    refused, refused_keys = closed_at(datetime.datetime(2020, 5, 31, 12, 0, tzinfo=PARIS),
                                      irrecevable=True)

    with at(limit):
        report = run(django_capture_on_commit_callbacks)

    assert report.dossiers == 1
    assert whole(withdrawn)["dossier"] and all(stored(key) for key in withdrawn_keys)
    assert not whole(refused)["dossier"] and not any(stored(key) for key in refused_keys)
    trace = AnonymisedDecision.objects.get()
    assert (trace.closing_state, trace.closed_year, trace.jury_date, trace.decision_kind,
            trace.cursus_valide) == (State.IRRECEVABLE, 2020, None, "", None)


@pytest.mark.parametrize("state", [s for s in State if s not in State.closed()])
def test_an_open_dossier_is_never_touched_whatever_its_age(
    state, db, django_capture_on_commit_callbacks
):
    with at(datetime.datetime(2001, 1, 1, tzinfo=PARIS)):
        dossier = DossierFactory(state=state)
        keys = fill(dossier)
        before = whole(dossier)

    with at(datetime.datetime(2040, 1, 1, tzinfo=PARIS)):
        report = run(django_capture_on_commit_callbacks)

    assert report.dossiers == 0
    assert whole(dossier) == before and before["dossier"]
    assert all(stored(key) for key in keys)


def test_a_second_run_changes_nothing(decided, django_capture_on_commit_callbacks):
    with at(DAY_AFTER_LIMIT):
        first = run(django_capture_on_commit_callbacks)
        second = run(django_capture_on_commit_callbacks)
    assert (first.dossiers, second.dossiers, second.files) == (1, 0, 0)
    assert AnonymisedDecision.objects.count() == 1


def test_a_failure_leaves_that_dossier_whole_and_the_others_go_on(
    db, django_capture_on_commit_callbacks, caplog
):
    moment = datetime.datetime(2019, 1, 1, tzinfo=PARIS)
    first, first_keys = closed_at(moment, retire=True)
    second, _ = closed_at(moment, retire=True)
    real = retention._remove_account_if_unused

    def fail_on_first(user_id, cutoff):
        if user_id == first.auditeur_id:
            raise RuntimeError("base indisponible")
        return real(user_id, cutoff)

    with at(DAY_AFTER_LIMIT), mock.patch.object(retention, "_remove_account_if_unused",
                                                fail_on_first):
        report = run(django_capture_on_commit_callbacks)

    assert (report.dossiers, report.failed) == (1, [first.pk])
    # Everything of the failed dossier rolled back, its files still there.
    assert whole(first) == {"dossier": True, "periods": 1, "files": 2, "signatures": 1,
                            "comments": 2, "courriels": 1}
    assert all(stored(key) for key in first_keys)
    assert not whole(second)["dossier"]
    assert AnonymisedDecision.objects.count() == 1
    assert f"le dossier {first.pk} n'a pas pu être supprimé" in caplog.text


def test_files_are_deleted_only_once_the_transaction_has_committed(decided):
    dossier, keys = decided
    # Inside the test's transaction nothing commits: the rows are gone, the files not yet.
    with at(DAY_AFTER_LIMIT):
        report = retention.remove_expired_dossiers()
    assert report.dossiers == 1
    assert not Dossier.objects.filter(pk=dossier.pk).exists()
    assert all(stored(key) for key in keys)


def test_batches_and_the_limit_of_a_run(db, django_capture_on_commit_callbacks, caplog):
    moment = datetime.datetime(2019, 1, 1, tzinfo=PARIS)
    with at(moment):
        dossiers = DossierFactory.create_batch(5, retire=True)

    caplog.set_level(logging.INFO, logger="dossiers.retention")
    with at(DAY_AFTER_LIMIT):
        first = run(django_capture_on_commit_callbacks, batch_size=2, limit=3)
        assert (first.dossiers, first.more) == (3, True)
        rest = run(django_capture_on_commit_callbacks, batch_size=2, limit=3)
        assert (rest.dossiers, rest.more) == (2, False)

    assert not Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).exists()
    assert AnonymisedDecision.objects.count() == 5
    assert "Rétention (5 ans) : 3 dossier(s) supprimé(s) et anonymisé(s)" in caplog.text


def test_the_task_queues_another_run_until_everything_expired_is_removed(
    db, django_capture_on_commit_callbacks
):
    with at(datetime.datetime(2019, 1, 1, tzinfo=PARIS)):
        DossierFactory.create_batch(5, retire=True)
    # Celery runs eagerly in the tests: the re-queued runs happen at once.
    with at(DAY_AFTER_LIMIT), mock.patch.object(retention, "RUN_LIMIT", 2), \
            django_capture_on_commit_callbacks(execute=True):
        result = tasks.remove_expired_dossiers.delay().get()

    # The first run's own figures; its accounts had no other dossier and were never used.
    assert result == {"dossiers": 2, "files": 0, "accounts": 2, "failed": 0}
    assert Dossier.objects.count() == 0
    assert AnonymisedDecision.objects.count() == 5


# --- A favourable analysis of the experience ---------------------------------------


def _favourable_aep(auditeur=None, **decision):
    """An AEP anticipée whose courrier (experience validated) went out on ``SENT``."""
    with at(SENT - datetime.timedelta(days=30)):
        courrier = CourrierFactory(
            envoye=True, dossier__kind=Kind.AEP_ANTICIPEE,
            **({"dossier__auditeur": auditeur} if auditeur else {}),
            **{f"dossier__decision__{k}": v for k, v in decision.items()},
        )
    Courrier.objects.filter(pk=courrier.pk).update(sent_at=SENT)
    return courrier.dossier


def test_a_favourable_analysis_stays_while_the_diploma_is_not_delivered(
    db, django_capture_on_commit_callbacks
):
    """A later DD for the diploma relies on it: removing it would take that right away."""
    favourable = _favourable_aep()
    unfavourable = _favourable_aep(non_validee=True)
    assert favourable.aep_outcome == "validee"

    with at(datetime.datetime(2040, 1, 1, tzinfo=PARIS)):
        report = run(django_capture_on_commit_callbacks)

    assert report.dossiers == 1
    assert Dossier.objects.filter(pk=favourable.pk).exists()
    assert not Dossier.objects.filter(pk=unfavourable.pk).exists()


def test_a_favourable_analysis_expires_once_the_diploma_is_delivered(
    db, django_capture_on_commit_callbacks
):
    favourable = _favourable_aep()
    # The DD that relied on it: diploma delivered by the jury in 2021.
    with at(datetime.datetime(2021, 1, 1, tzinfo=PARIS)):
        CourrierFactory(envoye=True, dossier__kind=Kind.DD, dossier__auditeur=favourable.auditeur,
                        dossier__session__diplomes=[favourable.diplome])

    with at(DAY_AFTER_LIMIT):
        report = run(django_capture_on_commit_callbacks)

    # The analysis is past its own five years; the DD (delivered in 2021) not yet.
    assert report.dossiers == 1
    assert not Dossier.objects.filter(pk=favourable.pk).exists()
    assert Dossier.objects.filter(auditeur=favourable.auditeur, kind=Kind.DD).exists()
    trace = AnonymisedDecision.objects.get()
    assert (trace.kind, trace.decision_kind, trace.aep_outcome) == (
        Kind.AEP_ANTICIPEE, "experience_validee", "validee")


# --- The account ---------------------------------------------------------------------


def test_the_account_goes_with_its_last_dossier_when_unused_since_the_cutoff(
    decided, django_capture_on_commit_callbacks
):
    dossier, _ = decided
    auditeur = dossier.auditeur
    ValidatedUEFactory(auditeur=auditeur, ue=UEFactory())
    account_courriel = CourrielFactory(recipient_user=auditeur, dossier_reference="")

    with at(DAY_AFTER_LIMIT):
        report = run(django_capture_on_commit_callbacks)

    assert report.accounts == 1
    assert not User.objects.filter(pk=auditeur.pk).exists()
    assert not AuditeurProfile.objects.filter(user_id=auditeur.pk).exists()
    assert not ValidatedUE.objects.filter(auditeur_id=auditeur.pk).exists()
    assert not Courriel.objects.filter(pk=account_courriel.pk).exists()


def test_an_account_with_another_dossier_or_used_recently_is_kept(
    decided, django_capture_on_commit_callbacks
):
    dossier, _ = decided
    with at(datetime.datetime(2019, 1, 1, tzinfo=PARIS)):
        busy = AuditeurFactory(last_login=None)
        DossierFactory(auditeur=busy, retire=True)
        DossierFactory(auditeur=busy)  # a draft, open: it stays, and so does the account
    # The decided dossier's auditeur logged in last week.
    User.objects.filter(pk=dossier.auditeur_id).update(
        last_login=DAY_AFTER_LIMIT - datetime.timedelta(days=7)
    )

    with at(DAY_AFTER_LIMIT):
        report = run(django_capture_on_commit_callbacks)

    assert (report.dossiers, report.accounts) == (2, 0)
    assert User.objects.filter(pk__in=[busy.pk, dossier.auditeur_id]).count() == 2
    assert Dossier.objects.filter(auditeur=busy, state=State.BROUILLON).count() == 1


# --- Two runs at once ---------------------------------------------------------------


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remove_the_dossier_once():
    with at(datetime.datetime(2019, 1, 1, tzinfo=PARIS)):
        dossier = DossierFactory(retire=True)
        fill(dossier)
    barrier = threading.Barrier(2)
    cutoff = retention.retention_cutoff(DAY_AFTER_LIMIT)

    def remove():
        barrier.wait()
        removal = retention.remove_dossier(dossier.pk, cutoff=cutoff)
        return "supprimé" if removal else "déjà fait"

    assert connection.vendor == "postgresql"
    assert run_in_threads(remove) == ["déjà fait", "supprimé"]
    assert AnonymisedDecision.objects.count() == 1
    assert not Dossier.objects.filter(pk=dossier.pk).exists()


# --- The traces in the admin ---------------------------------------------------------


def test_the_administrateur_reads_the_traces_and_cannot_change_them(
    client, administrateur, decided, django_capture_on_commit_callbacks
):
    with at(DAY_AFTER_LIMIT):
        run(django_capture_on_commit_callbacks)
    trace = AnonymisedDecision.objects.get()
    client.force_login(administrateur)

    listing = client.get(reverse("admin:dossiers_anonymiseddecision_changelist"))
    assert listing.status_code == 200
    assert trace.diplome_code in listing.content.decode()
    assert client.get(reverse("admin:dossiers_anonymiseddecision_add")).status_code == 403
    client.post(reverse("admin:dossiers_anonymiseddecision_delete", args=[trace.pk]),
                {"post": "yes"})
    assert AnonymisedDecision.objects.filter(pk=trace.pk).exists()
