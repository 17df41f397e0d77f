"""workflow.withdraw: the auditeur withdraws his/her own dossier before the jury."""

import threading

import pytest

from d3.courriels.models import Courriel
from dossiers import workflow
from dossiers.models import Dossier, Event, State
from dossiers.workflow import TransitionError
from tests.concurrency import requires_postgresql, run_in_threads
from tests.dossiers.factories import DossierFactory

BEFORE_JURY = [State.BROUILLON, State.DEPOSE, State.EN_CONTROLE, State.A_COMPLETER,
               State.TRANSMIS_DNF]


@pytest.mark.django_db
@pytest.mark.parametrize("state", BEFORE_JURY)
def test_it_withdraws_the_auditeurs_dossier(state, auditeur):
    dossier = DossierFactory(auditeur=auditeur, state=state)

    updated = workflow.withdraw(dossier.pk, user=auditeur, comment="Je change de diplôme.")

    assert updated.state == State.RETIRE
    dossier.refresh_from_db()
    assert dossier.state == State.RETIRE
    event = Event.objects.get(dossier=dossier)
    assert (event.actor, event.action) == (auditeur, "withdraw")
    assert (event.from_state, event.to_state) == (state, State.RETIRE)
    assert event.comment == "Je change de diplôme."
    assert event.visible_to_auditeur


@pytest.mark.django_db
def test_it_queues_the_courriel_to_the_auditeur(auditeur):
    dossier = DossierFactory(auditeur=auditeur, depose=True)

    workflow.withdraw(dossier.pk, user=auditeur, comment="Je change de diplôme.")

    courriel = Courriel.objects.get()
    assert courriel.to == auditeur.email
    assert courriel.recipient_user == auditeur
    assert courriel.template == "dossier_retire"
    assert courriel.dossier_reference == dossier.reference
    assert courriel.subject == f"Votre dossier {dossier.reference} est retiré"
    for body in (courriel.body_text, courriel.body_html):
        assert "Bonjour Madame Jeanne Martin" in body
        assert dossier.diplome.code in body
        assert "Je change de diplôme." in body
        assert "Cnam Paris" in body
        assert dossier.reference in body


@pytest.mark.django_db
def test_the_courriel_leaves_out_an_empty_motive(auditeur):
    dossier = DossierFactory(auditeur=auditeur)

    workflow.withdraw(dossier.pk, user=auditeur)

    assert "Motif" not in Courriel.objects.get().body_text


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_auditeur", "gestionnaire", "agent_dnf"])
def test_nobody_else_can_withdraw_it(who, auditeur, request):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    user = request.getfixturevalue(who)

    with pytest.raises(Dossier.DoesNotExist):
        workflow.withdraw(dossier.pk, user=user)

    dossier.refresh_from_db()
    assert dossier.state == State.DEPOSE
    assert not Event.objects.exists()
    assert not Courriel.objects.exists()


@pytest.mark.django_db
def test_an_inactive_account_cannot_withdraw(auditeur):
    dossier = DossierFactory(auditeur=auditeur)
    auditeur.is_active = False
    auditeur.save()

    with pytest.raises(Dossier.DoesNotExist):
        workflow.withdraw(dossier.pk, user=auditeur)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "message"),
    [
        (State.INSCRIT_JURY, "Ce dossier est présenté au jury : il ne peut plus être retiré."),
        (State.DECISION_RENDUE, "Ce dossier est présenté au jury : il ne peut plus être retiré."),
        (State.COURRIER_ENVOYE, "Ce dossier est présenté au jury : il ne peut plus être retiré."),
        (State.RETIRE, "Ce dossier est déjà retiré."),
        (State.IRRECEVABLE, "Action impossible : le dossier est « Irrecevable »."),
    ],
)
def test_it_cannot_be_withdrawn_once_before_the_jury_or_closed(state, message, auditeur):
    dossier = DossierFactory(auditeur=auditeur, state=state)

    with pytest.raises(TransitionError) as refused:
        workflow.withdraw(dossier.pk, user=auditeur)

    assert refused.value.message == message
    dossier.refresh_from_db()
    assert dossier.state == state
    assert not Event.objects.exists()
    assert not Courriel.objects.exists()


@requires_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_withdrawals_apply_once(auditeur):
    dossier = DossierFactory(auditeur=auditeur, depose=True)
    barrier = threading.Barrier(2, timeout=10)

    def withdraw():
        barrier.wait()
        workflow.withdraw(dossier.pk, user=auditeur)
        return "ok"

    outcomes = run_in_threads(withdraw, refusals=(TransitionError,))

    assert outcomes == ["Ce dossier est déjà retiré.", "ok"]
    assert Event.objects.filter(dossier=dossier).count() == 1
    assert Courriel.objects.count() == 1
