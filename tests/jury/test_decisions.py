"""jury.decisions.record_decision: the members of a session record, and may correct, the
decision on each of its dossiers until it is closed; a stale form never overwrites."""

import pytest

from d3.courriels.models import Courriel
from dossiers.models import AepOutcome, Dossier, Kind, State
from dossiers.workflow import TransitionError
from jury.decisions import DecisionChanged, record_decision
from jury.models import Decision
from tests.jury.factories import DecisionFactory, SessionDossierFactory

S = State
FAVOURABLE = {"cursus_valide": True, "aep_outcome": "validee", "dd_outcome": "delivre"}


@pytest.fixture
def dossier(session, auditeur):
    """Jeanne Martin's DD + AEP on the session, waiting for the jury."""
    return SessionDossierFactory(session=session, auditeur=auditeur)


def record(dossier, user, expected_version=None, **fields):
    return record_decision(dossier.pk, user=user, expected_version=expected_version,
                           **(FAVOURABLE | fields))


def test_a_member_records_the_decision(dossier, membre_jury):
    decision = record(dossier, membre_jury)

    decision = Decision.objects.get(pk=decision.pk)
    assert (decision.dossier, decision.session) == (dossier, dossier.jury_session)
    assert (decision.cursus_valide, decision.aep_outcome, decision.dd_outcome) == (
        True, "validee", "delivre")
    assert (decision.stage_months, decision.motive) == (None, "")
    assert (decision.recorded_by, decision.version) == (membre_jury, 1)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.state == S.DECISION_RENDUE
    # What a later DD of the same diploma relies on.
    assert dossier.aep_outcome == AepOutcome.VALIDEE
    event = dossier.events.get()
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        "record_decision", membre_jury, S.INSCRIT_JURY, S.DECISION_RENDUE)
    assert event.data == {"session": dossier.jury_session_id, "version": 1,
                          "cursus_valide": True, "aep_outcome": "validee",
                          "stage_months": None, "dd_outcome": "delivre"}
    assert decision.recorded_at == event.created_at
    # The auditeur learns the decision from the courrier, not before.
    assert not Courriel.objects.exists()


def test_the_president_records_too(dossier, president):
    assert record(dossier, president).recorded_by == president


def test_a_correction_before_closing_bumps_the_version(dossier, membre_jury, president):
    first = record(dossier, membre_jury)

    second = record(dossier, president, expected_version=first.version,
                    aep_outcome="validee_sous_reserve", stage_months=6, dd_outcome="ajourne",
                    motive="Douze mois dans la spécialité sont exigés ; six sont justifiés.")

    assert second.pk == first.pk
    decision = Decision.objects.get()
    assert (decision.version, decision.recorded_by, decision.stage_months) == (2, president, 6)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.aep_outcome == AepOutcome.VALIDEE_SOUS_RESERVE
    correction = dossier.events.order_by("pk").last()
    assert (correction.from_state, correction.to_state) == (S.DECISION_RENDUE,
                                                            S.DECISION_RENDUE)
    # Only the first decision shows on the auditeur's timeline.
    assert not correction.visible_to_auditeur


def test_a_stale_version_is_told_the_decision_changed(dossier, membre_jury, president):
    first = record(dossier, membre_jury)
    record(dossier, president, expected_version=1, motive="Relu.",
           cursus_valide=True)

    with pytest.raises(DecisionChanged) as changed:
        record(dossier, membre_jury, expected_version=first.version, cursus_valide=False,
               dd_outcome="refuse", aep_outcome="non_validee", motive="Cursus incomplet.")

    current = changed.value.current_decision
    assert (current.version, current.recorded_by, current.motive) == (2, president, "Relu.")
    assert changed.value.message.startswith(
        "La décision a été modifiée par Hélène Marchand le "
    )
    assert "Voici la décision enregistrée" in changed.value.message
    assert isinstance(changed.value, TransitionError)
    assert Decision.objects.get().version == 2
    assert Decision.objects.get().cursus_valide is True


def test_a_first_decision_made_meanwhile_is_not_overwritten(dossier, membre_jury, president):
    record(dossier, president)

    with pytest.raises(DecisionChanged) as changed:
        record(dossier, membre_jury, expected_version=None, cursus_valide=False,
               aep_outcome="non_validee", dd_outcome="refuse", motive="Non.")

    assert changed.value.current_decision.recorded_by == president
    assert Decision.objects.get().recorded_by == president


def test_a_version_for_a_decision_that_does_not_exist(dossier, membre_jury):
    with pytest.raises(DecisionChanged) as changed:
        record(dossier, membre_jury, expected_version=3)
    assert changed.value.current_decision is None
    assert not Decision.objects.exists()


# --- Who may decide -----------------------------------------------------------------


def test_a_member_of_another_session_cannot_decide(dossier, outsider_member):
    SessionDossierFactory(session__members=[outsider_member])

    with pytest.raises(Dossier.DoesNotExist):
        record(dossier, outsider_member)
    assert not Decision.objects.exists()


@pytest.mark.parametrize("role", ["auditeur", "gestionnaire", "agent_dnf", "administrateur"])
def test_only_jury_members_decide(role, every_role, dossier):
    with pytest.raises(Dossier.DoesNotExist):
        record(dossier, every_role[role])
    assert Dossier.objects.get(pk=dossier.pk).state == S.INSCRIT_JURY


def test_a_dossier_taken_off_the_session_cannot_be_decided(dossier, membre_jury):
    Dossier.objects.filter(pk=dossier.pk).update(state=S.TRANSMIS_DNF, jury_session=None)

    with pytest.raises(Dossier.DoesNotExist):
        record(dossier, membre_jury)


def test_a_sent_courrier_closes_the_decision(membre_jury, session):
    decision = DecisionFactory(dossier__session=session)
    Dossier.objects.filter(pk=decision.dossier_id).update(state=S.COURRIER_ENVOYE)

    with pytest.raises(TransitionError, match="déjà envoyé"):
        record(decision.dossier, membre_jury, expected_version=1)


# --- What a decision must say ---------------------------------------------------------


def errors_of(dossier, user, **fields):
    with pytest.raises(TransitionError) as refused:
        record_decision(dossier.pk, user=user, expected_version=None, **fields)
    assert not Decision.objects.exists()
    assert Dossier.objects.get(pk=dossier.pk).state == S.INSCRIT_JURY
    return refused.value.errors


def test_a_dd_and_aep_needs_both_outcomes(dossier, membre_jury):
    assert errors_of(dossier, membre_jury, cursus_valide=True) == {
        "aep_outcome": "Indiquez la décision sur l'expérience professionnelle.",
        "dd_outcome": "Indiquez la décision sur la délivrance du diplôme.",
    }
    assert errors_of(dossier, membre_jury, cursus_valide=None, **{
        k: v for k, v in FAVOURABLE.items() if k != "cursus_valide"
    }) == {"cursus_valide": "Indiquez si le cursus est validé."}


def test_an_aep_alone_has_no_diploma_outcome(session, membre_jury):
    dossier = SessionDossierFactory(session=session, kind=Kind.AEP_ANTICIPEE)

    assert errors_of(dossier, membre_jury, **FAVOURABLE) == {
        "dd_outcome": "Ce dossier ne comporte pas de demande de diplôme.",
    }
    decision = record_decision(dossier.pk, user=membre_jury, expected_version=None,
                               cursus_valide=True, aep_outcome="validee")
    assert (decision.aep_outcome, decision.dd_outcome) == ("validee", "")
    assert Dossier.objects.get(pk=dossier.pk).aep_outcome == AepOutcome.VALIDEE


def test_a_dd_alone_has_no_experience_outcome_and_keeps_its_aep_outcome(session, membre_jury):
    # A DD alone relies on an earlier favourable AEP: its own aep_outcome stays empty.
    dossier = SessionDossierFactory(session=session, kind=Kind.DD)

    assert errors_of(dossier, membre_jury, **FAVOURABLE) == {
        "aep_outcome": "Ce dossier ne comporte pas d'analyse de l'expérience professionnelle.",
    }
    record_decision(dossier.pk, user=membre_jury, expected_version=None,
                    cursus_valide=True, dd_outcome="delivre")
    assert Dossier.objects.get(pk=dossier.pk).aep_outcome == ""


def test_a_stage_is_of_three_months_or_more(dossier, membre_jury):
    reserve = {"cursus_valide": True, "aep_outcome": "validee_sous_reserve",
               "dd_outcome": "ajourne", "motive": "Stage exigé."}
    assert errors_of(dossier, membre_jury, **reserve) == {
        "stage_months": "Indiquez la durée du stage exigé, en mois.",
    }
    assert errors_of(dossier, membre_jury, stage_months=2, **reserve) == {
        "stage_months": "La durée du stage doit être comprise entre 3 et 24 mois.",
    }
    assert errors_of(dossier, membre_jury, stage_months=6, **FAVOURABLE) == {
        "stage_months": "Une durée de stage ne s'indique que pour une expérience validée "
                        "sous réserve d'un stage.",
    }
    decision = record(dossier, membre_jury, stage_months=3, **reserve)
    assert decision.stage_months == 3


@pytest.mark.parametrize("unfavourable", [
    {"cursus_valide": False, "dd_outcome": "ajourne"},
    {"aep_outcome": "non_validee", "dd_outcome": "refuse"},
    {"aep_outcome": "validee_sous_reserve", "stage_months": 6, "dd_outcome": "ajourne"},
    {"dd_outcome": "ajourne"},
    {"dd_outcome": "refuse"},
])
def test_a_decision_that_is_not_favourable_needs_a_motive(dossier, membre_jury, unfavourable):
    fields = FAVOURABLE | unfavourable | {"motive": "   "}
    assert errors_of(dossier, membre_jury, **fields) == {
        "motive": "Indiquez le motif de la décision : il est imprimé dans le courrier envoyé "
                  "à l'auditeur.",
    }
    decision = record(dossier, membre_jury, **(fields | {"motive": " Motif. "}))
    assert decision.motive == "Motif."


def test_a_diploma_is_delivered_only_with_the_cursus_and_the_experience(dossier, membre_jury):
    assert errors_of(dossier, membre_jury, **(FAVOURABLE | {"cursus_valide": False,
                                                            "motive": "x"})) == {
        "dd_outcome": "Le diplôme ne peut pas être délivré si le cursus n'est pas validé.",
    }
    assert errors_of(dossier, membre_jury, **(FAVOURABLE | {
        "aep_outcome": "validee_sous_reserve", "stage_months": 6, "motive": "x"})) == {
        "dd_outcome": "Le diplôme ne peut être délivré que si l'expérience professionnelle "
                      "est validée sans réserve.",
    }


def test_a_motive_has_a_length_limit(dossier, membre_jury):
    assert errors_of(dossier, membre_jury, **(FAVOURABLE | {"motive": "x" * 5001})) == {
        "motive": "Le motif ne peut pas dépasser 5000 caractères.",
    }


def test_the_message_lists_every_error(dossier, membre_jury):
    with pytest.raises(TransitionError) as refused:
        record_decision(dossier.pk, user=membre_jury, expected_version=None,
                        cursus_valide=True)
    assert refused.value.message == (
        "La décision n'est pas enregistrée : Indiquez la décision sur l'expérience "
        "professionnelle. Indiquez la décision sur la délivrance du diplôme."
    )
    assert len(refused.value.reasons) == 2
