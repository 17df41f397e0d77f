"""jury.sessions: the DNF creates and edits sessions, puts transmitted dossiers on them
and takes them off, until the session is closed."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from d3.courriels.models import Courriel
from dossiers.models import Dossier, Event, Kind, State
from dossiers.workflow import TransitionError
from jury import sessions
from jury.models import JurySession
from tests.factories import DiplomeFactory
from tests.jury.factories import (
    DecisionFactory,
    JurySessionFactory,
    SessionDossierFactory,
    TransmittedDossierFactory,
)

S = State
JURY_DATE = datetime.date(2026, 3, 31)


def reload(dossier):
    return Dossier.objects.get(pk=dossier.pk)


# --- Create and edit -----------------------------------------------------------------


def test_the_dnf_creates_a_session(agent_dnf, president, membre_jury, diplome):
    session = sessions.create_session(
        user=agent_dnf, date=JURY_DATE, place="  Cnam Paris, salle 17  ",
        diplomes=[diplome], president=president, members=[membre_jury, president],
    )

    session = JurySession.objects.get(pk=session.pk)
    assert (session.date, session.place) == (JURY_DATE, "Cnam Paris, salle 17")
    assert (session.president, session.created_by) == (president, agent_dnf)
    assert list(session.diplomes.all()) == [diplome]
    # The president is not repeated among the members.
    assert list(session.members.all()) == [membre_jury]
    assert not session.is_closed


@pytest.mark.parametrize("role", ["auditeur", "gestionnaire", "membre_jury", "administrateur"])
def test_only_the_dnf_creates_a_session(role, every_role, president, diplome):
    with pytest.raises(PermissionDenied):
        sessions.create_session(user=every_role[role], date=JURY_DATE, place="Paris",
                                diplomes=[diplome], president=president, members=[])
    assert not JurySession.objects.exists()


def test_a_session_needs_its_fields_and_jury_members(agent_dnf, gestionnaire, membre_jury):
    with pytest.raises(TransitionError) as refused:
        sessions.create_session(user=agent_dnf, date=None, place=" ", diplomes=[],
                                president=gestionnaire, members=[membre_jury, agent_dnf])

    assert set(refused.value.errors) == {"date", "place", "diplomes", "president", "members"}
    assert refused.value.errors["president"] == (
        "Le président doit avoir un compte de membre de jury actif."
    )
    assert "Sophie Leroy" in refused.value.errors["members"]
    assert not JurySession.objects.exists()


def test_the_dnf_edits_an_open_session(agent_dnf, session, outsider_member):
    other = DiplomeFactory()
    sessions.update_session(session.pk, user=agent_dnf, place="Cnam Lyon",
                            members=[outsider_member], diplomes=[*session.diplomes.all(), other])

    session.refresh_from_db()
    assert session.place == "Cnam Lyon"
    assert list(session.members.all()) == [outsider_member]
    assert session.diplomes.count() == 2


def test_moving_the_date_tells_the_auditeurs_already_on_the_session(agent_dnf, session):
    dossier = SessionDossierFactory(session=session)

    sessions.update_session(session.pk, user=agent_dnf, date=JURY_DATE)

    courriel = Courriel.objects.get(template="dossier_inscrit_jury")
    assert courriel.to == dossier.auditeur.email
    assert courriel.subject == f"Nouvelle date du jury pour votre dossier {dossier.reference}"
    assert "Date du jury : 31 mars 2026" in courriel.body_text
    # 31 March + 1 month = 30 April.
    assert "à partir du 30 avril 2026" in courriel.body_text


def test_a_diploma_with_dossiers_on_the_session_stays(agent_dnf, session):
    SessionDossierFactory(session=session)

    with pytest.raises(TransitionError, match="retirez d'abord ces dossiers"):
        sessions.update_session(session.pk, user=agent_dnf, diplomes=[DiplomeFactory()])

    assert [d.code for d in session.diplomes.all()] == ["LG02501A"]


def test_a_closed_session_cannot_be_edited(agent_dnf):
    session = JurySessionFactory(closed=True)

    with pytest.raises(TransitionError, match="close"):
        sessions.update_session(session.pk, user=agent_dnf, place="Ailleurs")


@pytest.mark.parametrize("role", ["auditeur", "gestionnaire", "membre_jury"])
def test_a_session_does_not_exist_for_anyone_but_the_dnf(role, every_role, session):
    user = every_role[role]
    with pytest.raises(JurySession.DoesNotExist):
        sessions.update_session(session.pk, user=user, place="Ailleurs")
    with pytest.raises(JurySession.DoesNotExist):
        sessions.close_session(session.pk, user=user)
    assert not sessions.dnf_sessions(user).exists()


# --- Dossiers put on a session ---------------------------------------------------------


def test_transmitted_dossiers_are_put_on_the_session(agent_dnf, session, transmitted):
    second = TransmittedDossierFactory(diplome=transmitted.diplome, kind=Kind.DD)

    added = sessions.add_dossiers(session.pk, [second.pk, transmitted.pk], user=agent_dnf)

    assert [dossier.pk for dossier in added] == sorted([transmitted.pk, second.pk])
    for dossier in (transmitted, second):
        dossier = reload(dossier)
        assert dossier.state == S.INSCRIT_JURY
        assert dossier.jury_session == session
        event = dossier.events.get(action="add_to_session")
        assert (event.actor, event.from_state, event.to_state) == (
            agent_dnf, S.TRANSMIS_DNF, S.INSCRIT_JURY)
        assert event.data == {"session": session.pk, "jury_date": session.date.isoformat()}
        assert event.visible_to_auditeur
    assert Courriel.objects.filter(template="dossier_inscrit_jury").count() == 2


def test_the_auditeur_is_told_the_jury_date_and_the_earliest_courrier_date(
    agent_dnf, transmitted, president, diplome
):
    session = JurySessionFactory(date=datetime.date(2027, 1, 31), president=president,
                                 diplomes=[diplome])

    sessions.add_dossiers(session.pk, [transmitted.pk], user=agent_dnf)

    courriel = Courriel.objects.get()
    assert courriel.to == "jeanne.martin.auditeur@example.org"
    assert courriel.subject == (
        f"Votre dossier {transmitted.reference} est inscrit à une session de jury"
    )
    assert "Bonjour Madame Jeanne Martin," in courriel.body_text
    assert "Date du jury : 31 janvier 2027" in courriel.body_text
    # 31 January + 1 month = the last day of February.
    assert "au plus tôt un mois après la date du jury, soit à partir du 28 février 2027" \
        in courriel.body_text
    assert "28 février 2027" in courriel.body_html
    assert f"/dossiers/{transmitted.pk}/" in courriel.body_text


def test_all_or_none_with_each_refused_dossier_named(agent_dnf, session, transmitted):
    other_diploma = TransmittedDossierFactory()
    on_another = SessionDossierFactory(diplome=transmitted.diplome)
    in_control = TransmittedDossierFactory(diplome=transmitted.diplome, state=S.EN_CONTROLE)
    ids = [transmitted.pk, other_diploma.pk, on_another.pk, in_control.pk]

    with pytest.raises(TransitionError) as refused:
        sessions.add_dossiers(session.pk, ids, user=agent_dnf)

    message = refused.value.message
    assert message.startswith("Aucun dossier n'a été inscrit : 3 dossiers ne peuvent pas l'être.")
    date = on_another.jury_session.date
    assert refused.value.reasons == (
        (f"{other_diploma.reference} : le diplôme {other_diploma.diplome.code} n'est pas "
         f"examiné par cette session."),
        f"{on_another.reference} : déjà inscrit à la session du {date:%d/%m/%Y}.",
        # Not transmitted: the DNF does not see it at all.
        f"Dossier n° {in_control.pk} : dossier introuvable ou retiré par l'auditeur.",
    )
    assert reload(transmitted).state == S.TRANSMIS_DNF
    assert reload(transmitted).jury_session is None
    assert not Event.objects.filter(action="add_to_session").exists()
    assert not Courriel.objects.exists()


def test_a_dossier_already_on_this_session_is_refused(agent_dnf, session):
    dossier = SessionDossierFactory(session=session)

    with pytest.raises(TransitionError) as refused:
        sessions.add_dossiers(session.pk, [dossier.pk], user=agent_dnf)
    assert refused.value.reasons == (f"{dossier.reference} : déjà inscrit à cette session.",)


def test_a_withdrawn_dossier_is_refused(agent_dnf, session, transmitted):
    Dossier.objects.filter(pk=transmitted.pk).update(state=S.RETIRE)

    with pytest.raises(TransitionError, match="retiré par l'auditeur"):
        sessions.add_dossiers(session.pk, [transmitted.pk], user=agent_dnf)


def test_no_dossier_chosen(agent_dnf, session):
    with pytest.raises(TransitionError, match="Choisissez au moins un dossier"):
        sessions.add_dossiers(session.pk, [], user=agent_dnf)


def test_nothing_is_put_on_a_closed_session(agent_dnf, transmitted, diplome):
    session = JurySessionFactory(closed=True, diplomes=[diplome])

    with pytest.raises(TransitionError, match="close"):
        sessions.add_dossiers(session.pk, [transmitted.pk], user=agent_dnf)
    assert reload(transmitted).state == S.TRANSMIS_DNF


def test_only_the_dnf_puts_dossiers_on_a_session(membre_jury, president, session,
                                                 transmitted):
    for user in (membre_jury, president):
        with pytest.raises(JurySession.DoesNotExist):
            sessions.add_dossiers(session.pk, [transmitted.pk], user=user)
    assert reload(transmitted).state == S.TRANSMIS_DNF


# --- A dossier taken off ---------------------------------------------------------------


def test_a_dossier_is_taken_off_before_any_decision(agent_dnf, session):
    dossier = SessionDossierFactory(session=session)

    sessions.remove_dossier(session.pk, dossier.pk, user=agent_dnf)

    dossier = reload(dossier)
    assert (dossier.state, dossier.jury_session) == (S.TRANSMIS_DNF, None)
    event = dossier.events.get()
    assert (event.action, event.from_state, event.to_state) == (
        "remove_from_session", S.INSCRIT_JURY, S.TRANSMIS_DNF)
    # It can be put on a session again.
    sessions.add_dossiers(session.pk, [dossier.pk], user=agent_dnf)
    assert reload(dossier).state == S.INSCRIT_JURY


def test_a_decided_dossier_stays_on_its_session(agent_dnf, session):
    dossier = SessionDossierFactory(session=session, decided=True)

    with pytest.raises(TransitionError) as refused:
        sessions.remove_dossier(session.pk, dossier.pk, user=agent_dnf)

    assert refused.value.message == (
        "Le jury a déjà rendu sa décision sur ce dossier : il ne peut plus être retiré de "
        "la session."
    )
    assert reload(dossier).jury_session == session


def test_a_dossier_of_another_session_is_not_taken_off_this_one(agent_dnf, session):
    dossier = SessionDossierFactory()

    with pytest.raises(TransitionError, match="n'est pas inscrit à cette session"):
        sessions.remove_dossier(session.pk, dossier.pk, user=agent_dnf)


def test_nothing_is_taken_off_a_closed_session(agent_dnf):
    decision = DecisionFactory(dossier__session__closed=True)

    with pytest.raises(TransitionError, match="close"):
        sessions.remove_dossier(decision.session.pk, decision.dossier.pk, user=agent_dnf)


def test_only_the_dnf_takes_a_dossier_off(membre_jury, session):
    dossier = SessionDossierFactory(session=session)

    with pytest.raises(JurySession.DoesNotExist):
        sessions.remove_dossier(session.pk, dossier.pk, user=membre_jury)
    assert reload(dossier).state == S.INSCRIT_JURY
