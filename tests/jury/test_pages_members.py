"""The jury members' pages: the sessions list, a session's dossiers, a dossier as the
jury reads it, and the decision through its form — each kind's happy path, the form
filled in wrong, a decision saved meanwhile by another member, a closed session."""

import datetime
import html as html_module
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.models import AepOutcome, Dossier, Event, Kind, State
from jury.models import DdOutcome, Decision
from tests.dossiers.factories import PeriodFactory, PieceFactory
from tests.factories import (
    AuditeurFactory,
    PieceTypeFactory,
    StaffFactory,
    UEFactory,
    UEGroupFactory,
    ValidatedUEFactory,
)
from tests.jury.factories import DecisionFactory, JurySessionFactory, SessionDossierFactory

pytestmark = pytest.mark.django_db

HOME_URL = reverse("jury:jury_home")


def session_url(session):
    return reverse("jury:member_session", args=[session.pk])


def dossier_url(dossier):
    return reverse("jury:member_dossier", args=[dossier.pk])


def decision_url(dossier):
    return reverse("jury:member_decision", args=[dossier.pk])


def html_of(response):
    """The page's HTML, entities decoded (Django escapes apostrophes)."""
    assert response.status_code == 200
    return html_module.unescape(response.content.decode())


def text_of(response):
    """The page's text, tags removed and spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_of(response)))


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def snapshot(dossier):
    """What a refused decision must leave as it was."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    return {
        "state": dossier.state,
        "aep_outcome": dossier.aep_outcome,
        "decisions": list(Decision.objects.order_by("pk").values_list(
            "pk", "version", "cursus_valide", "aep_outcome", "stage_months", "dd_outcome",
            "motive", "recorded_by",
        )),
        "events": list(Event.objects.order_by("pk").values_list("pk", flat=True)),
    }


@pytest.fixture
def session(membre_jury):
    return JurySessionFactory(members=[membre_jury])


@pytest.fixture
def dossier(session, auditeur):
    """A DD + AEP on the session."""
    return SessionDossierFactory(session=session, auditeur=auditeur)


@pytest.fixture
def member(client, membre_jury):
    client.force_login(membre_jury)
    return membre_jury


# --- Sessions list ------------------------------------------------------------------------


def test_the_sessions_list_shows_the_members_sessions_upcoming_then_past(
    client, member, agent_dnf
):
    today = timezone.localdate()
    later = JurySessionFactory(members=[member], date=today + datetime.timedelta(days=30),
                               place="Cnam Lyon")
    soon = JurySessionFactory(members=[member], date=today, place="Cnam Paris")
    presided = JurySessionFactory(president=member, date=today - datetime.timedelta(days=3),
                                  place="Cnam Lille")
    closed = JurySessionFactory(members=[member], closed=True, place="Cnam Nantes")
    JurySessionFactory(place="Cnam Bordeaux")  # another jury's
    for _ in range(3):
        SessionDossierFactory(session=soon)
    SessionDossierFactory(session=soon, decided=True)
    SessionDossierFactory(session=closed, decided=True)

    response = client.get(HOME_URL)

    upcoming = [row["session"] for row in response.context["upcoming"]]
    past = [row["session"] for row in response.context["past"]]
    assert upcoming == [soon, later]
    assert past == [presided, closed]
    text = text_of(response)
    assert "Cnam Bordeaux" not in text
    rows = {row["session"].pk: row for row in response.context["upcoming"]
            + response.context["past"]}
    assert rows[soon.pk]["session"].dossier_count == 4
    assert rows[soon.pk]["session"].decided_count == 1
    assert rows[soon.pk]["undecided"] == 3
    assert rows[presided.pk]["role"] == "Président"
    assert rows[soon.pk]["role"] == "Membre"
    assert "3 à décider" in text
    assert "1 sur 4" in text
    assert f"Close le {timezone.localdate(closed.closed_at):%d/%m/%Y}" in text
    assert session_url(soon) in html_of(response)


def test_a_member_without_sessions_is_told_so(client, member):
    response = client.get(HOME_URL)

    assert "Vous ne siégez à aucune session de jury" in text_of(response)


# Session, user, the sessions with their counts, their diplomas.
HOME_QUERIES = 4


def test_the_sessions_list_runs_a_fixed_number_of_queries(
    client, member, django_assert_num_queries
):
    JurySessionFactory(members=[member])
    with django_assert_num_queries(HOME_QUERIES):
        client.get(HOME_URL)
    for n in range(10):
        session = JurySessionFactory(members=[member], closed=n % 2 == 0)
        SessionDossierFactory(session=session, decided=True)
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(HOME_URL)
    assert len(response.context["upcoming"]) + len(response.context["past"]) == 11


# --- A session's dossiers -----------------------------------------------------------------


def test_the_session_page_lists_its_dossiers_with_assessment_and_decision(
    client, member, session
):
    rule_set = session.diplomes.get().rule_set
    assert rule_set.months_total == 36  # L1-L3: 36 months in all, 12 in the specialty
    met = SessionDossierFactory(session=session, auditeur__last_name="Arago")
    PeriodFactory(dossier=met, start=datetime.date(2015, 1, 1), end=datetime.date(2019, 12, 31))
    short = SessionDossierFactory(session=session, auditeur__last_name="Becquerel",
                                  kind=Kind.AEP_ANTICIPEE)
    PeriodFactory(dossier=short, start=datetime.date(2020, 1, 1), end=datetime.date(2020, 6, 30))
    dd_only = SessionDossierFactory(session=session, auditeur__last_name="Curie",
                                    kind=Kind.DD, decided=True, decision__ajourne=True)
    elsewhere = SessionDossierFactory()  # another session's

    response = client.get(session_url(session))

    rows = response.context["rows"]
    assert [row["dossier"] for row in rows] == [met, short, dd_only]
    assert [row["kind"] for row in rows] == ["DD + AEP", "AEP anticipée", "DD"]
    assert [row["assessment"]["label"] for row in rows] == [
        "Conditions remplies", "Conditions non remplies", "Sans objet"]
    assert [row["decision"]["decided"] for row in rows] == [False, False, True]
    text = text_of(response)
    assert elsewhere.reference not in text
    for dossier in (met, short, dd_only):
        assert dossier.reference in text
        assert dossier_url(dossier) in html_of(response)
    assert met.auditeur.profile.display_name in text
    assert "Diplôme : ajourné" in text
    assert "1 enregistrée sur 3 dossiers ; 2 à décider" in text
    assert session.place in text


# Session, user, the session, its diplomas, its members, the dossiers with their auditeur,
# diploma and decision, their periods.
SESSION_QUERIES = 7


def test_the_session_page_runs_a_fixed_number_of_queries(
    client, member, session, django_assert_num_queries
):
    SessionDossierFactory(session=session)
    with django_assert_num_queries(SESSION_QUERIES):
        response = client.get(session_url(session))
    assert len(response.context["rows"]) == 1

    session.members.add(StaffFactory(role="membre_jury"))
    for n in range(99):
        dossier = SessionDossierFactory(
            session=session, kind=[Kind.DD_AEP, Kind.DD, Kind.AEP_ANTICIPEE][n % 3],
            decided=n % 2 == 0,
        )
        PeriodFactory(dossier=dossier)
    with django_assert_num_queries(SESSION_QUERIES):
        response = client.get(session_url(session))
    assert len(response.context["rows"]) == 100


# --- A dossier for the jury ---------------------------------------------------------------


def test_the_dossier_page_shows_profile_cursus_experience_rapport_and_pieces(
    client, member, session, auditeur
):
    diplome = session.diplomes.get()
    ue1, ue2, ue3 = UEFactory(code="NFA001"), UEFactory(code="NFA002"), UEFactory(code="NFA003")
    UEGroupFactory(diplome=diplome, label="UE obligatoires", required=2, ues=[ue1, ue2])
    UEGroupFactory(diplome=diplome, label="1 UE au choix", required=1, ues=[ue3])
    ValidatedUEFactory(auditeur=auditeur, ue=ue1)
    ValidatedUEFactory(auditeur=auditeur, ue=ue3)
    dossier = SessionDossierFactory(session=session, auditeur=auditeur)
    PeriodFactory(dossier=dossier, employer="Cnam Entreprises", position="Analyste",
                  start=datetime.date(2020, 1, 1), end=datetime.date(2020, 12, 31))
    rapport = PieceFactory(dossier=dossier, deposee=True, piece_type=PieceTypeFactory(
        code="rapport-experience", label="Rapport d'expérience"))
    identity = PieceFactory(dossier=dossier, deposee=True, piece_type=PieceTypeFactory(
        code="identite", label="Pièce d'identité"))

    response = client.get(dossier_url(dossier))

    text = text_of(response)
    html = html_of(response)
    assert auditeur.profile.display_name in text
    assert auditeur.profile.auditeur_number in text
    assert "UE obligatoires : il manque 1 UE (1 sur 2 exigés)." in text
    assert "1 UE au choix : condition remplie" in text
    assert "Cnam Entreprises — Analyste" in text
    assert "Pré-évaluation de l'expérience professionnelle" in text
    assert "Conditions non remplies" in text
    assert [row["piece"] for row in response.context["rapport_rows"]] == [rapport]
    assert [row["piece"] for row in response.context["piece_rows"]] == [identity]
    for piece in (rapport, identity):
        piece_file = piece.files.get()
        download = reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk])
        assert f'href="{download}" download' in html
    # The decision form of a DD + AEP: every field.
    form = response.context["form"]
    assert list(form.fields) == ["version", "cursus_valide", "aep_outcome", "stage_months",
                                 "dd_outcome", "motive"]
    for label in ("Cursus validé", "Analyse de l'expérience", "Expérience validée",
                  "Validée sous réserve d'un stage", "Non validée", "Durée du stage (mois)",
                  "Délivrance du diplôme", "Diplôme délivré", "Ajourné", "Refusé", "Motif",
                  "Enregistrer la décision"):
        assert label in text
    assert "Aucune décision n'est encore enregistrée" in text


@pytest.mark.parametrize(("kind", "fields"), [
    (Kind.DD, ["version", "cursus_valide", "dd_outcome", "motive"]),
    (Kind.AEP_ANTICIPEE, ["version", "cursus_valide", "aep_outcome", "stage_months", "motive"]),
])
def test_the_form_has_only_the_fields_of_the_dossiers_kind(client, member, session, kind,
                                                          fields):
    dossier = SessionDossierFactory(session=session, kind=kind)

    response = client.get(dossier_url(dossier))

    assert list(response.context["form"].fields) == fields
    text = text_of(response)
    assert ("Délivrance du diplôme" in text) == (kind == Kind.DD)
    assert ("Analyse de l'expérience" in text) == (kind == Kind.AEP_ANTICIPEE)
    assert "Ce dossier ne comporte pas d'analyse" in text if kind == Kind.DD else True


# Session, user, the dossier (auditeur, profile, centre, diploma, session), its decision,
# validated UEs, UE groups, their UEs, periods, pièces, their files, the next dossier.
DOSSIER_QUERIES = 11


def test_the_dossier_page_runs_a_fixed_number_of_queries(
    client, member, session, dossier, django_assert_num_queries
):
    UEGroupFactory(diplome=dossier.diplome, ues=[UEFactory(), UEFactory()])
    ValidatedUEFactory(auditeur=dossier.auditeur)
    DecisionFactory(dossier=dossier)

    def add(n):
        for _ in range(n):
            PieceFactory(dossier=dossier, deposee=True)
            PeriodFactory(dossier=dossier)
            ValidatedUEFactory(auditeur=dossier.auditeur)
            UEGroupFactory(diplome=dossier.diplome, ues=[UEFactory()])
            SessionDossierFactory(session=session)

    add(1)
    with django_assert_num_queries(DOSSIER_QUERIES):
        response = client.get(dossier_url(dossier))
    assert len(response.context["piece_rows"]) == 1
    add(10)
    with django_assert_num_queries(DOSSIER_QUERIES):
        response = client.get(dossier_url(dossier))
    assert len(response.context["piece_rows"]) == 11
    assert len(response.context["period_rows"]) == 11


def test_the_next_dossier_to_decide_is_offered(client, member, session):
    first = SessionDossierFactory(session=session, auditeur__last_name="Arago")
    SessionDossierFactory(session=session, auditeur__last_name="Becquerel", decided=True)
    third = SessionDossierFactory(session=session, auditeur__last_name="Curie")

    response = client.get(dossier_url(first))

    assert response.context["next_dossier"] == third
    assert f"Dossier suivant à décider : {third.reference}" in text_of(response)


# --- Recording the decision ---------------------------------------------------------------


def post(client, dossier, **data):
    data.setdefault("motive", "")
    return client.post(decision_url(dossier), data)


def test_a_favourable_decision_on_a_dd_and_aep(client, member, dossier):
    response = post(client, dossier, cursus_valide="oui", aep_outcome="validee",
                    dd_outcome="delivre")

    assert response.status_code == 302
    assert response["Location"] == dossier_url(dossier)
    decision = Decision.objects.get(dossier=dossier)
    assert (decision.cursus_valide, decision.aep_outcome, decision.dd_outcome) == (
        True, AepOutcome.VALIDEE, DdOutcome.DELIVRE)
    assert decision.stage_months is None and decision.motive == ""
    assert decision.recorded_by == member and decision.version == 1
    dossier.refresh_from_db()
    assert dossier.state == State.DECISION_RENDUE
    assert dossier.aep_outcome == AepOutcome.VALIDEE

    page = client.get(response["Location"])
    assert f"La décision sur le dossier {dossier.reference} est enregistrée." in messages_of(page)
    text = text_of(page)
    assert "Décision enregistrée" in text
    assert "Diplôme délivré" in text
    assert "Modifier la décision" in text
    assert page.context["form"]["version"].value() == 1


def test_an_aep_validated_subject_to_a_stage(client, member, session):
    dossier = SessionDossierFactory(session=session, kind=Kind.AEP_ANTICIPEE)

    response = post(client, dossier, cursus_valide="oui", aep_outcome="validee_sous_reserve",
                    stage_months="4", motive="Moins de douze mois dans la spécialité.")

    assert response.status_code == 302
    decision = Decision.objects.get(dossier=dossier)
    assert decision.aep_outcome == AepOutcome.VALIDEE_SOUS_RESERVE
    assert decision.stage_months == 4
    assert decision.dd_outcome == ""
    assert decision.motive == "Moins de douze mois dans la spécialité."
    text = text_of(client.get(dossier_url(dossier)))
    assert "Expérience validée sous réserve d'un stage de 4 mois" in text
    assert "Moins de douze mois dans la spécialité." in text


def test_a_dd_ajourne_with_its_motive(client, member, session):
    dossier = SessionDossierFactory(session=session, kind=Kind.DD)

    response = post(client, dossier, cursus_valide="oui", dd_outcome="ajourne",
                    motive="Le mémoire n'est pas soutenu.")

    assert response.status_code == 302
    decision = Decision.objects.get(dossier=dossier)
    assert (decision.dd_outcome, decision.aep_outcome) == (DdOutcome.AJOURNE, "")
    assert decision.motive == "Le mémoire n'est pas soutenu."


def test_a_stage_length_without_a_stage_is_dropped(client, member, dossier):
    response = post(client, dossier, cursus_valide="oui", aep_outcome="validee",
                    stage_months="6", dd_outcome="delivre")

    assert response.status_code == 302
    assert Decision.objects.get(dossier=dossier).stage_months is None


def test_the_president_corrects_the_decision_until_the_session_is_closed(
    client, member, session, dossier
):
    DecisionFactory(dossier=dossier)
    client.force_login(session.president)

    response = post(client, dossier, version="1", cursus_valide="oui", aep_outcome="validee",
                    dd_outcome="ajourne", motive="Soutenance à reprendre.")

    assert response.status_code == 302
    decision = Decision.objects.get(dossier=dossier)
    assert decision.version == 2
    assert decision.dd_outcome == DdOutcome.AJOURNE
    assert decision.recorded_by == session.president


@pytest.mark.parametrize(("data", "field", "message"), [
    pytest.param({"cursus_valide": "oui", "aep_outcome": "validee", "dd_outcome": "ajourne"},
                 "motive", "Indiquez le motif de la décision", id="motive-missing-ajourne"),
    pytest.param({"cursus_valide": "non", "aep_outcome": "non_validee", "dd_outcome": "refuse",
                  "motive": "   "},
                 "motive", "Indiquez le motif de la décision", id="motive-blank-refuse"),
    pytest.param({"cursus_valide": "oui", "aep_outcome": "validee_sous_reserve",
                  "stage_months": "2", "dd_outcome": "ajourne", "motive": "Stage."},
                 "stage_months", "Le stage exigé dure au moins 3 mois.", id="stage-too-short"),
    pytest.param({"cursus_valide": "oui", "aep_outcome": "validee_sous_reserve",
                  "dd_outcome": "ajourne", "motive": "Stage."},
                 "stage_months", "Indiquez la durée du stage exigé, en mois.",
                 id="stage-missing"),
    pytest.param({"cursus_valide": "oui", "dd_outcome": "delivre"},
                 "aep_outcome", "Indiquez la décision sur l'expérience professionnelle.",
                 id="aep-missing"),
    pytest.param({"aep_outcome": "validee", "dd_outcome": "delivre"},
                 "cursus_valide", "Indiquez si le cursus est validé.", id="cursus-missing"),
    pytest.param({"cursus_valide": "oui", "aep_outcome": "validee"},
                 "dd_outcome", "Indiquez la décision sur la délivrance du diplôme.",
                 id="dd-missing"),
    pytest.param({"cursus_valide": "non", "aep_outcome": "validee", "dd_outcome": "delivre",
                  "motive": "Cursus incomplet."},
                 "dd_outcome", "ne peut pas être délivré si le cursus n'est pas validé",
                 id="delivered-without-cursus"),
])
def test_a_decision_filled_in_wrong_saves_nothing(client, member, dossier, data, field,
                                                 message):
    before = snapshot(dossier)

    response = post(client, dossier, **data)

    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    text = text_of(response)
    assert "Le formulaire contient" in text
    assert message in text
    assert snapshot(dossier) == before


def test_a_decision_saved_meanwhile_by_another_member_is_not_overwritten(
    client, member, session, dossier
):
    # The member opened the form before any decision; the president saved one since.
    president = session.president
    DecisionFactory(dossier=dossier, recorded_by=president, dd_outcome=DdOutcome.AJOURNE,
                    motive="Soutenance à reprendre.")
    before = snapshot(dossier)

    response = post(client, dossier, version="", cursus_valide="oui", aep_outcome="validee",
                    dd_outcome="delivre")

    assert response.status_code == 200
    assert snapshot(dossier) == before
    text = text_of(response)
    assert f"La décision a été modifiée par {president.get_full_name()}" in text
    assert "Votre saisie, qui n'a pas été enregistrée" in text
    # The decision as it is now, and a fresh form loaded with it and its version.
    assert response.context["decision"].motive == "Soutenance à reprendre."
    assert "Soutenance à reprendre." in text
    form = response.context["form"]
    assert not form.is_bound
    assert form["version"].value() == 1
    assert form["dd_outcome"].value() == DdOutcome.AJOURNE

    # Saved again over the version now seen: it goes through.
    response = post(client, dossier, version="1", cursus_valide="oui", aep_outcome="validee",
                    dd_outcome="delivre")
    assert response.status_code == 302
    decision = Decision.objects.get(dossier=dossier)
    assert (decision.version, decision.dd_outcome, decision.recorded_by) == (
        2, DdOutcome.DELIVRE, member)


def test_an_older_version_is_refused_too(client, member, dossier):
    DecisionFactory(dossier=dossier, version=3)
    before = snapshot(dossier)

    response = post(client, dossier, version="2", cursus_valide="oui", aep_outcome="validee",
                    dd_outcome="delivre")

    assert response.status_code == 200
    assert response.context["changed"] is not None
    assert snapshot(dossier) == before


# --- A closed session ---------------------------------------------------------------------


@pytest.fixture
def closed_dossier(membre_jury):
    session = JurySessionFactory(members=[membre_jury], closed=True)
    return SessionDossierFactory(session=session, decided=True)


def test_a_closed_sessions_dossier_is_read_only(client, member, closed_dossier):
    response = client.get(dossier_url(closed_dossier))

    assert response.context["form"] is None
    text = text_of(response)
    assert "la décision ne peut plus être modifiée" in text
    assert "Enregistrer la décision" not in text
    assert "Diplôme délivré" in text
    assert decision_url(closed_dossier) not in html_of(response)


def test_a_decision_posted_on_a_closed_session_is_refused(client, member, closed_dossier):
    before = snapshot(closed_dossier)

    response = post(client, closed_dossier, version="1", cursus_valide="non",
                    aep_outcome="non_validee", dd_outcome="refuse", motive="Non.")

    assert response.status_code == 302
    assert response["Location"] == dossier_url(closed_dossier)
    assert snapshot(closed_dossier) == before
    page = client.get(response["Location"])
    assert messages_of(page) == [
        "La session de jury est close : les décisions ne peuvent plus être modifiées."]


def test_a_session_closed_while_the_form_was_open_refuses_the_decision(
    client, member, session, dossier, agent_dnf, monkeypatch
):
    # Past the view's own check, then refused by the backend under the session's lock.
    from jury import decisions
    from jury.pages import members

    def closed_meanwhile(*args, **kwargs):
        type(session).objects.filter(pk=session.pk).update(closed_at=timezone.now(),
                                                           closed_by=agent_dnf)
        return decisions.record_decision(*args, **kwargs)

    monkeypatch.setattr(members, "record_decision", closed_meanwhile)
    before = snapshot(dossier)

    response = post(client, dossier, cursus_valide="oui", aep_outcome="validee",
                    dd_outcome="delivre")

    assert response.status_code == 302
    assert snapshot(dossier) == before
    assert messages_of(client.get(response["Location"])) == [decisions.SESSION_CLOSED]


def test_the_session_page_of_a_closed_session_says_so(client, member, closed_dossier):
    response = client.get(session_url(closed_dossier.jury_session))

    text = text_of(response)
    assert "Close" in text
    assert "les décisions ne peuvent plus être modifiées" in text
    assert "à décider" not in text


def test_an_auditeur_name_is_not_enough_to_find_a_dossier(client, member, session):
    # Dossiers of other sessions are never listed, whatever their auditeur.
    auditeur = AuditeurFactory()
    mine = SessionDossierFactory(session=session, auditeur=auditeur)
    theirs = SessionDossierFactory(auditeur=auditeur, diplome=mine.diplome)

    response = client.get(session_url(session))

    assert [row["dossier"] for row in response.context["rows"]] == [mine]
    assert client.get(dossier_url(theirs)).status_code == 404


def test_the_jury_reads_the_identity_not_the_contact_details(client, member, dossier):
    profile = dossier.auditeur.profile

    page = client.get(dossier_url(dossier)).content.decode()

    assert profile.birth_place in page
    assert profile.address_line1 not in page
    assert profile.phone not in page
    assert dossier.auditeur.email not in page
