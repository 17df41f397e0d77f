"""jury.tasks: a courrier goes out on its day, rendered once and sent once, whatever the
retries; a failure ends "en échec" for the DNF to resend (jury.courriers.resend)."""

import datetime
import io
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from pypdf import PdfReader

from d3.courriels.models import Courriel
from dossiers import workflow
from dossiers.models import Dossier, Event, State
from dossiers.workflow import TransitionError
from jury import courriers, tasks
from jury.models import Courrier, CourrierStatus
from tests.jury.factories import CourrierFactory, JurySessionFactory

PARIS = ZoneInfo("Europe/Paris")
JURY_DATE = datetime.date(2027, 1, 31)
DUE = datetime.date(2027, 2, 28)


def at(year, month, day, hour=10, minute=0):
    return time_machine.travel(
        datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS), tick=False
    )


@pytest.fixture
def courrier(auditeur, president, diplome):
    """Jeanne Martin's courrier, a favourable decision of the jury of 31 January 2027,
    due on 28 February."""
    session = JurySessionFactory(closed=True, date=JURY_DATE, president=president,
                                 diplomes=[diplome])
    return CourrierFactory(dossier__session=session, dossier__auditeur=auditeur)


def reload(courrier):
    return Courrier.objects.get(pk=courrier.pk)


def stored_letters(settings):
    folder = settings.MEDIA_ROOT / "courriers"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_nothing_goes_out_before_a_month_after_the_jury(courrier, settings):
    assert courrier.due_on == DUE
    with at(2027, 2, 27, 23, 59):
        assert tasks.send_due_courriers() == 0
        assert tasks.send_courrier(courrier.pk) == tasks.NOT_DUE

    courrier = reload(courrier)
    assert courrier.status == CourrierStatus.PROGRAMME
    assert (courrier.storage_key, courrier.rendered_at, courrier.sent_at) == ("", None, None)
    assert stored_letters(settings) == []
    assert not Courriel.objects.exists()


def test_it_goes_out_on_its_day(courrier, settings):
    with at(2027, 2, 28, 0, 5):
        assert tasks.send_due_courriers() == 1

    courrier = reload(courrier)
    sent_at = datetime.datetime(2027, 2, 28, 0, 5, tzinfo=PARIS)
    assert (courrier.status, courrier.sent_at, courrier.rendered_at) == (
        CourrierStatus.ENVOYE, sent_at, sent_at)
    assert courrier.storage_key.startswith("courriers/")
    assert stored_letters(settings) == [settings.MEDIA_ROOT / courrier.storage_key]
    with default_storage.open(courrier.storage_key, "rb") as file:
        text = PdfReader(io.BytesIO(file.read())).pages[0].extract_text()
    assert courriers_code(courrier) in text

    dossier = Dossier.objects.get(pk=courrier.dossier_id)
    assert dossier.state == State.COURRIER_ENVOYE
    event = dossier.events.get(action="send_letter")
    assert (event.actor, event.from_state, event.to_state) == (
        None, State.DECISION_RENDUE, State.COURRIER_ENVOYE)

    courriel = Courriel.objects.get()
    assert courriel.template == "courrier_envoye"
    assert courriel.to == "jeanne.martin.auditeur@example.org"
    assert courriel.subject == f"Courrier de décision du jury — dossier {dossier.reference}"
    assert courriel.attachments == [{
        "name": f"courrier-{dossier.reference}.pdf",
        "path": courrier.storage_key,
        "mimetype": "application/pdf",
    }]
    assert "Le jury réuni le 31 janvier 2027 a examiné votre dossier" in courriel.body_text
    assert "daté du 28 février 2027" in courriel.body_text
    assert f"code de vérification {courriers_code(courrier)}" in courriel.body_text


def courriers_code(courrier):
    from jury.letters import format_code

    return format_code(courrier.verification_code)


def test_run_twice_it_makes_one_letter_and_one_courriel(courrier, settings):
    with at(2027, 3, 1):
        assert tasks.send_due_courriers() == 1
        assert tasks.send_due_courriers() == 0
        assert tasks.send_courrier(courrier.pk) == tasks.NOTHING_TO_DO

    assert len(stored_letters(settings)) == 1
    assert Courriel.objects.count() == 1
    assert Event.objects.filter(action="send_letter").count() == 1


def run_attempts_until_echec(start):
    """Run the sweep at each attempt's time, as beat would, until the courrier fails
    for good; return the times the attempts ran at."""
    times = []
    now = start
    for retries in range(tasks.MAX_RETRIES + 1):
        with time_machine.travel(now, tick=False):
            assert tasks.send_due_courriers() == 1
        times.append(now)
        now += tasks.retry_delay(retries + 1)
    return times


def test_the_retries_reuse_the_letter_stored_by_the_first_attempt(courrier, settings,
                                                                   agent_dnf):
    real_render = tasks.render_courrier_pdf
    start = datetime.datetime(2027, 2, 28, 10, tzinfo=PARIS)
    with mock.patch.object(tasks, "render_courrier_pdf", wraps=real_render) as render:
        with mock.patch.object(workflow, "send_letter",
                               side_effect=RuntimeError("base indisponible")) as send:
            run_attempts_until_echec(start)
        assert send.call_count == tasks.MAX_RETRIES + 1
        failed = reload(courrier)
        assert (failed.status, failed.attempts) == (CourrierStatus.ECHEC,
                                                    tasks.MAX_RETRIES + 1)
        assert failed.last_error == "RuntimeError: base indisponible"
        assert failed.storage_key

        with at(2027, 3, 2):
            courriers.resend(courrier.pk, user=agent_dnf)
            assert reload(courrier).attempts == 0
            assert tasks.send_courrier(courrier.pk) == tasks.SENT

    # One rendering for seven attempts: the letter is the one stored the first time.
    assert render.call_count == 1
    assert reload(courrier).storage_key == failed.storage_key
    assert len(stored_letters(settings)) == 1
    assert Courriel.objects.count() == 1


def test_a_failed_attempt_waits_for_its_delay_then_the_sweep_retries(courrier):
    start = datetime.datetime(2027, 2, 28, 10, tzinfo=PARIS)
    with time_machine.travel(start, tick=False), mock.patch.object(
        tasks, "render_courrier_pdf", side_effect=OSError("WeasyPrint indisponible")
    ):
        assert tasks.send_courrier(courrier.pk) == tasks.RETRYING
    waiting = reload(courrier)
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at) == (
        CourrierStatus.PROGRAMME, 1, start + tasks.FIRST_RETRY_DELAY)
    assert waiting.last_error == "OSError: WeasyPrint indisponible"

    # Before its delay, neither the sweep nor a stray task sends it.
    with time_machine.travel(start + tasks.FIRST_RETRY_DELAY - datetime.timedelta(seconds=1),
                             tick=False):
        assert tasks.send_due_courriers() == 0
        assert tasks.send_courrier(courrier.pk) == tasks.NOT_DUE
    with time_machine.travel(start + tasks.FIRST_RETRY_DELAY, tick=False):
        assert tasks.send_due_courriers() == 1
    sent = reload(courrier)
    assert (sent.status, sent.last_error, sent.next_attempt_at) == (
        CourrierStatus.ENVOYE, "", None)


def test_failures_are_retried_then_the_courrier_is_en_echec(courrier, settings):
    start = datetime.datetime(2027, 2, 28, 10, tzinfo=PARIS)
    with mock.patch.object(
        tasks, "render_courrier_pdf", side_effect=OSError("WeasyPrint indisponible")
    ) as render, mock.patch.object(tasks.send_courrier, "apply_async",
                                   wraps=tasks.send_courrier.apply_async) as queued:
        times = run_attempts_until_echec(start)
        with time_machine.travel(times[-1] + datetime.timedelta(days=1), tick=False):
            assert tasks.send_due_courriers() == 0

    # 5, 10, 20, 40 and 80 minutes apart, each run by the sweep: never a task with an
    # ETA, which Redis would hand to a second worker after its visibility timeout.
    assert [(b - a).total_seconds() / 60 for a, b in zip(times, times[1:])] == [
        5, 10, 20, 40, 80]
    assert render.call_count == tasks.MAX_RETRIES + 1
    assert all(not ({"countdown", "eta"} & set(call.kwargs)) for call in queued.call_args_list)
    courrier = reload(courrier)
    assert courrier.status == CourrierStatus.ECHEC
    assert courrier.last_error == "OSError: WeasyPrint indisponible"
    # No lease left behind, no file, nothing sent.
    assert (courrier.storage_key, courrier.rendered_at, courrier.claimed_until) == (
        "", None, None)
    assert stored_letters(settings) == []
    assert Dossier.objects.get(pk=courrier.dossier_id).state == State.DECISION_RENDUE
    assert not Courriel.objects.exists()


def test_a_courrier_being_rendered_elsewhere_is_left_alone(courrier, settings):
    with at(2027, 2, 28, 9):
        Courrier.objects.filter(pk=courrier.pk).update(
            claimed_until=datetime.datetime(2027, 2, 28, 9, 5, tzinfo=PARIS),
            claim_token="a" * 32)
        assert tasks.send_due_courriers() == 0
        assert tasks.send_courrier(courrier.pk) == tasks.BUSY
    assert reload(courrier).status == CourrierStatus.PROGRAMME

    # The other worker died: once its lease has lapsed, the sweep takes it over.
    with at(2027, 2, 28, 9, 6):
        assert tasks.send_due_courriers() == 1
    courrier = reload(courrier)
    assert (courrier.status, courrier.claimed_until, courrier.claim_token) == (
        CourrierStatus.ENVOYE, None, "")
    assert len(stored_letters(settings)) == 1


def test_a_letter_rendered_after_its_lease_lapsed_is_not_kept(courrier, settings):
    """A worker that was too slow: another one took the courrier over meanwhile."""
    def render_while_another_worker_takes_over(courrier):
        Courrier.objects.filter(pk=courrier.pk).update(claim_token="b" * 32)
        return b"%PDF-1.7 trop tard"

    with at(2027, 2, 28), mock.patch.object(
        tasks, "render_courrier_pdf", side_effect=render_while_another_worker_takes_over
    ):
        assert tasks.send_courrier(courrier.pk) == tasks.BUSY
    courrier = reload(courrier)
    assert (courrier.status, courrier.storage_key) == (CourrierStatus.PROGRAMME, "")
    assert stored_letters(settings) == []


# --- The DNF resends -----------------------------------------------------------------


def test_the_dnf_resends_a_courrier_en_echec(courrier, agent_dnf,
                                             django_capture_on_commit_callbacks):
    Courrier.objects.filter(pk=courrier.pk).update(status=CourrierStatus.ECHEC,
                                                   last_error="OSError: disque plein")

    with at(2027, 3, 2), django_capture_on_commit_callbacks(execute=True):
        courriers.resend(courrier.pk, user=agent_dnf)

    courrier = reload(courrier)
    assert (courrier.status, courrier.last_error) == (CourrierStatus.ENVOYE, "")
    assert Courriel.objects.filter(template="courrier_envoye").count() == 1


def test_the_dnf_sends_the_courriel_of_a_sent_courrier_again(courrier, agent_dnf):
    with at(2027, 2, 28):
        tasks.send_courrier(courrier.pk)
    courrier = reload(courrier)

    with at(2027, 3, 10), mock.patch.object(tasks, "render_courrier_pdf") as render:
        courriers.resend(courrier.pk, user=agent_dnf)

    render.assert_not_called()
    first, again = Courriel.objects.order_by("pk")
    assert again.subject == f"Nouvel envoi : {first.subject}"
    assert again.attachments == first.attachments
    assert "voici à nouveau le courrier de décision" in again.body_text
    assert reload(courrier).status == CourrierStatus.ENVOYE
    event = Event.objects.get(action=workflow.COURRIER_RESENT)
    assert (event.actor, event.data["courriel"]) == (agent_dnf, again.pk)
    assert Dossier.objects.get(pk=courrier.dossier_id).state == State.COURRIER_ENVOYE


def test_a_programmed_courrier_is_not_resent(courrier, agent_dnf):
    with at(2027, 2, 10), pytest.raises(TransitionError) as refused:
        courriers.resend(courrier.pk, user=agent_dnf)
    assert refused.value.message == (
        "Ce courrier n'est pas encore parti : son envoi est programmé pour le 28/02/2027."
    )


@pytest.mark.parametrize("role", ["auditeur", "gestionnaire", "membre_jury"])
def test_only_the_dnf_resends(role, every_role, courrier):
    Courrier.objects.filter(pk=courrier.pk).update(status=CourrierStatus.ECHEC)
    with pytest.raises(Courrier.DoesNotExist):
        courriers.resend(courrier.pk, user=every_role[role])
    assert reload(courrier).status == CourrierStatus.ECHEC


def test_the_periodic_task_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["courriers-send-due"]
    assert entry["task"] == "jury.tasks.send_due_courriers"
    # The retries after a failure wait for it: 5 minutes, the first retry's delay.
    assert entry["schedule"] <= tasks.FIRST_RETRY_DELAY.total_seconds()
    assert tasks.send_due_courriers.name == entry["task"]


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_the_admin_shows_a_failing_courrier_s_attempts_and_error(courrier, client,
                                                                 administrateur):
    Courrier.objects.filter(pk=courrier.pk).update(
        attempts=2, last_error="OSError: WeasyPrint indisponible",
        next_attempt_at=datetime.datetime(2027, 2, 28, 10, 30, tzinfo=PARIS))
    client.force_login(administrateur)

    html = client.get(f"/admin/jury/courrier/{courrier.pk}/change/").content.decode()

    assert "Tentatives échouées" in html
    assert "OSError: WeasyPrint indisponible" in html
    assert "28 février 2027 10:30" in html
