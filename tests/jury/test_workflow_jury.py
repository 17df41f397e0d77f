"""What issue 5 adds to dossiers.workflow: the transmission date, the jury's arrows and
their events."""

import pytest
from django.utils import timezone

from dossiers import workflow
from dossiers.models import Dossier, Event, PieceStatus, State
from tests.dossiers.factories import DossierFactory, PieceFactory

S = State


@pytest.mark.django_db
def test_declaring_a_dossier_complete_records_its_transmission(auditeur, gestionnaire):
    dossier = DossierFactory(auditeur=auditeur, pris_en_charge=True, owner=gestionnaire)
    PieceFactory(dossier=dossier, status=PieceStatus.CONFORME)
    before = timezone.now()

    workflow.declare_complete(dossier.pk, user=gestionnaire)

    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.state == S.TRANSMIS_DNF
    assert before <= dossier.transmitted_at <= timezone.now()


def test_a_dossier_comes_off_a_session_only_before_the_decision():
    transition = workflow.TRANSITIONS["remove_from_session"]
    assert (transition.sources, transition.target) == ({S.INSCRIT_JURY}, S.TRANSMIS_DNF)
    with pytest.raises(workflow.TransitionError, match="déjà rendu sa décision"):
        workflow.check("remove_from_session", Dossier(state=S.DECISION_RENDUE))


def test_the_jury_refusals_speak_of_the_jury():
    with pytest.raises(workflow.TransitionError,
                       match="déjà inscrit à une session de jury"):
        workflow.check("add_to_session", Dossier(state=S.INSCRIT_JURY))
    with pytest.raises(workflow.TransitionError, match="déjà envoyé"):
        workflow.check("record_decision", Dossier(state=S.COURRIER_ENVOYE))
    with pytest.raises(workflow.TransitionError, match="déjà envoyé"):
        workflow.check("send_letter", Dossier(state=S.COURRIER_ENVOYE))


def test_the_label_of_a_programmed_courrier_gives_its_date():
    event = Event(action=workflow.COURRIER_SCHEDULED, data={"due_on": "2027-02-28"})
    assert workflow.event_label(event) == "Courrier de décision programmé pour le 28/02/2027"
    assert workflow.event_label(Event(action=workflow.COURRIER_SCHEDULED)) == (
        "Courrier de décision programmé"
    )
