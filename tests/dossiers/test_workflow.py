"""dossiers.workflow: the table of legal transitions and the machinery every one goes through."""

import pytest

from dossiers import workflow
from dossiers.models import Dossier, Event, State
from dossiers.workflow import TransitionError
from tests.dossiers.factories import DossierFactory

S = State

# The diagram of domain.md, written out again here on purpose: the table in the module
# must agree with an independent reading of the spec, not with itself.
EXPECTED = {
    "sign": ({S.BROUILLON, S.A_COMPLETER}, S.DEPOSE),
    "take": ({S.DEPOSE}, S.EN_CONTROLE),
    "ask_corrections": ({S.EN_CONTROLE}, S.A_COMPLETER),
    "declare_complete": ({S.EN_CONTROLE}, S.TRANSMIS_DNF),
    "declare_inadmissible": ({S.EN_CONTROLE}, S.IRRECEVABLE),
    "add_to_session": ({S.TRANSMIS_DNF}, S.INSCRIT_JURY),
    # The DNF takes a dossier off a session before the jury decides (issue 5).
    "remove_from_session": ({S.INSCRIT_JURY}, S.TRANSMIS_DNF),
    "record_decision": ({S.INSCRIT_JURY, S.DECISION_RENDUE}, S.DECISION_RENDUE),
    "send_letter": ({S.DECISION_RENDUE}, S.COURRIER_ENVOYE),
    "withdraw": (
        {S.BROUILLON, S.DEPOSE, S.EN_CONTROLE, S.A_COMPLETER, S.TRANSMIS_DNF},
        S.RETIRE,
    ),
}
CASES = [(action, state) for action in EXPECTED for state in State]


def test_the_table_covers_exactly_the_actions_of_the_diagram():
    assert set(workflow.TRANSITIONS) == set(EXPECTED)
    for action, (sources, target) in EXPECTED.items():
        assert workflow.TRANSITIONS[action].sources == sources
        assert workflow.TRANSITIONS[action].target == target


def test_no_action_leaves_a_closed_state():
    for state in State.closed():
        assert not workflow.allowed_actions(Dossier(state=state))


@pytest.mark.parametrize(("action", "state"), CASES)
def test_can_answers_from_the_table(action, state):
    sources, _ = EXPECTED[action]
    assert workflow.can(action, Dossier(state=state)) is (state in sources)


def test_can_refuses_an_unknown_action():
    with pytest.raises(ValueError):
        workflow.can("publish", Dossier(state=S.BROUILLON))


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), CASES)
def test_each_action_from_each_state_is_applied_or_refused(action, state, gestionnaire):
    dossier = DossierFactory(state=state)
    sources, target = EXPECTED[action]
    before = dossier.state_changed_at
    events = Event.objects.count()

    if state in sources:
        updated = workflow._transition(dossier.pk, action, actor=gestionnaire,
                                       comment="Vu.", data={"k": 1})
        dossier.refresh_from_db()
        assert dossier.state == updated.state == target
        assert dossier.state_changed_at > before
        event = Event.objects.get()
        assert (event.dossier, event.actor, event.action) == (dossier, gestionnaire, action)
        assert (event.from_state, event.to_state) == (state, target)
        assert (event.comment, event.data, event.visible_to_auditeur) == ("Vu.", {"k": 1}, True)
    else:
        with pytest.raises(TransitionError) as refused:
            workflow._transition(dossier.pk, action, actor=gestionnaire)
        assert refused.value.message
        dossier.refresh_from_db()
        assert dossier.state == state
        assert dossier.state_changed_at == before
        assert Event.objects.count() == events == 0


@pytest.mark.django_db
def test_a_refused_precondition_changes_nothing(gestionnaire):
    dossier = DossierFactory(en_controle=True)

    def refuse(dossier):
        raise TransitionError("Aucune pièce n'est signalée erronée ou manquante.")

    with pytest.raises(TransitionError, match="Aucune pièce"):
        workflow._transition(dossier.pk, "ask_corrections", actor=gestionnaire,
                             precondition=refuse)

    dossier.refresh_from_db()
    assert dossier.state == S.EN_CONTROLE
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_failure_after_the_change_rolls_everything_back(gestionnaire):
    dossier = DossierFactory(depose=True)

    def explode(dossier, event):
        raise RuntimeError("courriel impossible")

    with pytest.raises(RuntimeError):
        workflow._transition(dossier.pk, "take", actor=gestionnaire, after=explode)

    dossier.refresh_from_db()
    assert dossier.state == S.DEPOSE
    assert not Event.objects.exists()


def test_signing_a_deposited_dossier_says_so():
    with pytest.raises(TransitionError) as refused:
        workflow.check("sign", Dossier(state=S.EN_CONTROLE))
    assert refused.value.message == "Ce dossier a déjà été déposé : il ne peut plus être signé."


def test_other_refusals_name_the_state():
    with pytest.raises(TransitionError) as refused:
        workflow.check("take", Dossier(state=S.IRRECEVABLE))
    assert refused.value.message == "Action impossible : le dossier est « Irrecevable »."


def test_allowed_actions_of_a_dossier_in_control():
    assert workflow.allowed_actions(Dossier(state=S.EN_CONTROLE)) == {
        "ask_corrections", "declare_complete", "declare_inadmissible", "withdraw",
    }


def test_every_action_has_a_timeline_label():
    assert set(workflow.EVENT_LABELS) == {
        "created", "take_over", "piece_verdict", "note", "courrier_scheduled",
        "courrier_resent", *EXPECTED,
    }
    assert all(workflow.EVENT_LABELS.values())
