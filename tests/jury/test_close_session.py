"""Closing a session: only when every dossier has a decision; it locks the decisions and
programs each courrier for max(jury date + 1 month, closing day)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from d3.courriels.models import Courriel
from dossiers import workflow
from dossiers.models import Dossier, State
from dossiers.workflow import TransitionError
from jury import decisions, sessions
from jury.courriers import due_on, one_month_after
from jury.models import Courrier, CourrierStatus, Decision, JurySession
from tests.jury.factories import JurySessionFactory, SessionDossierFactory

PARIS = ZoneInfo("Europe/Paris")


def at(year, month, day, hour=10):
    return time_machine.travel(datetime.datetime(year, month, day, hour, tzinfo=PARIS),
                               tick=False)


@pytest.mark.parametrize(("day", "expected"), [
    ((2027, 1, 31), (2027, 2, 28)),
    ((2028, 1, 31), (2028, 2, 29)),  # leap year
    ((2026, 3, 31), (2026, 4, 30)),
    ((2026, 5, 15), (2026, 6, 15)),
    ((2026, 12, 15), (2027, 1, 15)),
    ((2026, 12, 31), (2027, 1, 31)),
    ((2026, 2, 28), (2026, 3, 28)),
])
def test_one_month_after(day, expected):
    assert one_month_after(datetime.date(*day)) == datetime.date(*expected)


def test_a_courrier_is_due_a_month_after_the_jury_or_on_the_closing_day_if_later():
    jury = datetime.date(2027, 1, 31)
    assert due_on(jury, datetime.date(2027, 2, 1)) == datetime.date(2027, 2, 28)
    assert due_on(jury, datetime.date(2027, 2, 28)) == datetime.date(2027, 2, 28)
    assert due_on(jury, datetime.date(2027, 3, 2)) == datetime.date(2027, 3, 2)


@pytest.fixture
def held_session(agent_dnf, president, membre_jury, diplome):
    """A session held on 31 January 2027 with two decided dossiers."""
    session = JurySessionFactory(date=datetime.date(2027, 1, 31), created_by=agent_dnf,
                                 president=president, members=[membre_jury],
                                 diplomes=[diplome])
    SessionDossierFactory.create_batch(2, session=session, decided=True)
    return session


def test_closing_programs_one_courrier_per_dossier(agent_dnf, held_session):
    with at(2027, 2, 1):
        session = sessions.close_session(held_session.pk, user=agent_dnf)

    session.refresh_from_db()
    assert session.closed_by == agent_dnf
    assert session.closed_at == datetime.datetime(2027, 2, 1, 10, tzinfo=PARIS)
    courriers = Courrier.objects.order_by("dossier_id")
    assert [c.dossier_id for c in courriers] == sorted(
        session.dossiers.values_list("pk", flat=True))
    for courrier in courriers:
        assert courrier.session == session
        assert courrier.due_on == datetime.date(2027, 2, 28)
        assert courrier.status == CourrierStatus.PROGRAMME
        assert len(courrier.verification_code) == 16
        event = courrier.dossier.events.get(action=workflow.COURRIER_SCHEDULED)
        assert (event.actor, event.data["due_on"]) == (agent_dnf, "2027-02-28")
        assert event.visible_to_auditeur
        assert workflow.event_label(event) == "Courrier de décision programmé pour le 28/02/2027"
    assert len({c.verification_code for c in courriers}) == 2
    # Nothing is sent at closing: the courriers wait for their day.
    assert not Courriel.objects.exists()
    assert set(Dossier.objects.values_list("state", flat=True)) == {State.DECISION_RENDUE}


def test_closing_is_refused_while_a_dossier_has_no_decision(agent_dnf, held_session):
    waiting = SessionDossierFactory.create_batch(2, session=held_session)

    with pytest.raises(TransitionError) as refused:
        sessions.close_session(held_session.pk, user=agent_dnf)

    assert refused.value.message.startswith(
        "La session ne peut pas être close : 2 dossiers n'ont pas encore de décision du jury."
    )
    assert refused.value.reasons == tuple(
        f"{dossier.reference} : pas encore de décision." for dossier in waiting
    )
    held_session.refresh_from_db()
    assert not held_session.is_closed
    assert not Courrier.objects.exists()


def test_an_empty_session_is_not_closed(agent_dnf, session):
    with pytest.raises(TransitionError, match="Aucun dossier"):
        sessions.close_session(session.pk, user=agent_dnf)


def test_a_session_is_closed_once(agent_dnf, held_session):
    sessions.close_session(held_session.pk, user=agent_dnf)

    with pytest.raises(TransitionError, match="déjà close"):
        sessions.close_session(held_session.pk, user=agent_dnf)
    assert Courrier.objects.count() == 2


def test_decisions_are_locked_once_the_session_is_closed(agent_dnf, president, held_session):
    sessions.close_session(held_session.pk, user=agent_dnf)
    decision = Decision.objects.first()

    with pytest.raises(TransitionError) as refused:
        decisions.record_decision(
            decision.dossier_id, user=president, expected_version=decision.version,
            cursus_valide=False, aep_outcome="non_validee", dd_outcome="refuse",
            motive="Changement d'avis.",
        )

    assert refused.value.message == (
        "La session de jury est close : les décisions ne peuvent plus être modifiées."
    )
    decision.refresh_from_db()
    assert (decision.version, decision.cursus_valide) == (1, True)


def test_a_session_closed_more_than_a_month_after_the_jury_sends_at_closing(
    agent_dnf, held_session, django_capture_on_commit_callbacks
):
    with at(2027, 3, 5), django_capture_on_commit_callbacks(execute=True):
        sessions.close_session(held_session.pk, user=agent_dnf)

    for courrier in Courrier.objects.all():
        assert courrier.due_on == datetime.date(2027, 3, 5)
        assert courrier.status == CourrierStatus.ENVOYE
        assert courrier.sent_at == datetime.datetime(2027, 3, 5, 10, tzinfo=PARIS)
        assert courrier.dossier.state == State.COURRIER_ENVOYE
    assert Courriel.objects.filter(template="courrier_envoye").count() == 2


def test_closing_on_time_sends_nothing_before_the_day(
    agent_dnf, held_session, django_capture_on_commit_callbacks
):
    with at(2027, 2, 2), django_capture_on_commit_callbacks(execute=True) as callbacks:
        sessions.close_session(held_session.pk, user=agent_dnf)

    assert callbacks == []
    assert set(Courrier.objects.values_list("status", flat=True)) == {CourrierStatus.PROGRAMME}


def test_only_the_dnf_closes_a_session(president, membre_jury, held_session):
    for user in (president, membre_jury):
        with pytest.raises(JurySession.DoesNotExist):
            sessions.close_session(held_session.pk, user=user)
    held_session.refresh_from_db()
    assert not held_session.is_closed
