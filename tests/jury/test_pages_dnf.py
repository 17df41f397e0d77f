"""The DNF's pages: transmitted dossiers, jury sessions (create, edit, dossiers put on
and taken off, closing), the PV, the courriers and their resending.

Who may open them is in test_pages_dnf_access.py.
"""

import datetime
import io

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from auditeurs.models import Role
from dossiers.models import Event, Kind, State
from jury.models import Courrier, CourrierStatus, JurySession
from tests.dossiers.factories import DossierFactory
from tests.factories import CentreFactory, DiplomeFactory, StaffFactory
from tests.jury.factories import (
    CourrierFactory,
    JurySessionFactory,
    SessionDossierFactory,
    TransmittedDossierFactory,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"jury:{name}", args=args)


def texts(response):
    """The messages of ``response``, after those of earlier redirects not followed."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def days(n):
    return timezone.now() - datetime.timedelta(days=n)


@pytest.fixture
def dnf(client, agent_dnf):
    client.force_login(agent_dnf)
    return client


@pytest.fixture
def session(membre_jury):
    return JurySessionFactory(president=membre_jury)


# --- Home ---------------------------------------------------------------------------------


def test_the_home_counts_what_waits_and_lists_sessions_to_follow(dnf):
    TransmittedDossierFactory.create_batch(2)
    upcoming = JurySessionFactory(place="Cnam Lyon")
    SessionDossierFactory(session=upcoming)
    held = JurySessionFactory(date=timezone.localdate() - datetime.timedelta(days=3))
    failed = CourrierFactory(echec=True)

    response = dnf.get(url("dnf_home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>2</strong> dossiers en attente d'une session" in html
    assert "Cnam Lyon : 1 dossier" in html
    to_follow = {session.pk for session in response.context["to_follow"]}
    assert to_follow == {held.pk, failed.session_id}
    assert "1 courrier en échec" in html
    nav = [item["label"] for item in response.context["nav_items"]]
    assert nav == ["Accueil DNF", "Dossiers transmis", "Sessions de jury"]


def test_the_home_of_a_new_dnf_says_nothing_was_transmitted_yet(dnf):
    html = dnf.get(url("dnf_home")).content.decode()
    assert "Aucun dossier n'a encore été transmis" in html
    assert "Aucune session de jury n'est prévue." in html


# Session, user, dossier counts, session counts, next sessions, their diplomas, sessions
# to follow.
HOME_QUERIES = 7


def test_the_home_runs_a_fixed_number_of_queries(dnf, django_assert_num_queries):
    SessionDossierFactory()
    CourrierFactory(echec=True)
    with django_assert_num_queries(HOME_QUERIES):
        dnf.get(url("dnf_home"))
    for _ in range(10):
        SessionDossierFactory()
        CourrierFactory(echec=True)
    with django_assert_num_queries(HOME_QUERIES):
        response = dnf.get(url("dnf_home"))
    assert len(response.context["next_sessions"]) == 5
    assert len(response.context["to_follow"]) == 11


# --- Transmitted dossiers -----------------------------------------------------------------


def test_the_list_shows_every_centre_s_waiting_dossiers_oldest_first(dnf, centre, other_centre):
    old = TransmittedDossierFactory(auditeur__profile__centre=other_centre,
                                    transmitted_at=days(10))
    new = TransmittedDossierFactory(auditeur__profile__centre=centre, transmitted_at=days(1))
    SessionDossierFactory()
    DossierFactory(en_controle=True)  # still at the centre: not the DNF's

    response = dnf.get(url("dnf_dossiers"))

    assert response.status_code == 200
    assert [row.dossier for row in response.context["rows"]] == [old, new]
    tabs = {tab["state"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs == {"transmis_dnf": 2, "inscrit_jury": 1, "decision_rendue": 0,
                    "courrier_envoye": 0, "tous": 3}
    html = response.content.decode()
    assert old.reference in html and other_centre.name in html
    assert "2 dossiers." in html


def test_the_list_filters_by_diploma_kind_centre_and_transmission_date(
    dnf, centre, other_centre
):
    diplome = DiplomeFactory()
    match = TransmittedDossierFactory(diplome=diplome, kind=Kind.DD,
                                      auditeur__profile__centre=centre,
                                      transmitted_at=days(5))
    TransmittedDossierFactory(diplome=diplome, kind=Kind.DD_AEP,
                              auditeur__profile__centre=centre, transmitted_at=days(5))
    TransmittedDossierFactory(diplome=diplome, kind=Kind.DD,
                              auditeur__profile__centre=other_centre, transmitted_at=days(5))
    TransmittedDossierFactory(diplome=diplome, kind=Kind.DD,
                              auditeur__profile__centre=centre, transmitted_at=days(30))
    TransmittedDossierFactory(kind=Kind.DD, auditeur__profile__centre=centre,
                              transmitted_at=days(5))
    on_session = SessionDossierFactory(kind=Kind.DD, session__diplomes=[diplome],
                                       auditeur__profile__centre=centre,
                                       transmitted_at=days(4))
    today = timezone.localdate()

    response = dnf.get(url("dnf_dossiers"), {
        "diplome": diplome.pk, "nature": Kind.DD, "centre": centre.pk,
        "depuis": (today - datetime.timedelta(days=7)).isoformat(),
        "jusqu_au": today.isoformat(),
    })

    assert [row.dossier for row in response.context["rows"]] == [match]
    tabs = {tab["state"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs["transmis_dnf"] == 1
    assert tabs["inscrit_jury"] == 1
    assert tabs["tous"] == 2
    assert "1 dossier correspondant aux filtres." in response.content.decode()

    response = dnf.get(url("dnf_dossiers"), {"etat": "tous", "centre": centre.pk,
                                             "diplome": diplome.pk, "nature": Kind.DD,
                                             "depuis": (today - datetime.timedelta(days=7))})
    assert {row.dossier for row in response.context["rows"]} == {match, on_session}


def test_the_list_searches_a_name_or_a_reference(dnf):
    wanted = TransmittedDossierFactory(auditeur__last_name="Fontaine")
    TransmittedDossierFactory(auditeur__last_name="Garnier")

    by_name = dnf.get(url("dnf_dossiers"), {"q": "fontaine"})
    by_reference = dnf.get(url("dnf_dossiers"), {"q": wanted.reference})

    assert [row.dossier for row in by_name.context["rows"]] == [wanted]
    assert [row.dossier for row in by_reference.context["rows"]] == [wanted]


def test_wrong_filters_are_ignored_and_a_reversed_period_is_explained(dnf):
    TransmittedDossierFactory()

    response = dnf.get(url("dnf_dossiers"), {
        "diplome": "999999", "centre": "abc", "etat": "nimporte", "depuis": "hier",
        "page": "zzz",
    })
    assert response.status_code == 200
    assert len(response.context["rows"]) == 1

    response = dnf.get(url("dnf_dossiers"), {"depuis": "2026-03-31", "jusqu_au": "2026-03-01"})
    assert "antérieure à celle du début" in response.content.decode()
    assert response.context["filters"].until is None


def test_the_list_is_paginated_by_fifty(dnf):
    TransmittedDossierFactory.create_batch(51)

    first = dnf.get(url("dnf_dossiers"))
    second = dnf.get(url("dnf_dossiers"), {"page": 2})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 1
    assert "Page 1 sur 2" in first.content.decode()


# Session, user, diplomas and centres of the filters, counts (the page's count among
# them), page rows.
DOSSIERS_QUERIES = 6


def test_the_list_runs_a_fixed_number_of_queries(dnf, django_assert_num_queries):
    TransmittedDossierFactory()
    with django_assert_num_queries(DOSSIERS_QUERIES):
        response = dnf.get(url("dnf_dossiers"), {"etat": "tous"})
    assert len(response.context["rows"]) == 1
    # The counts per state are now in the cache (dossiers.centre_counts): one less.
    with django_assert_num_queries(DOSSIERS_QUERIES - 1):
        dnf.get(url("dnf_dossiers"), {"etat": "tous"})

    for n in range(29):
        if n % 3:
            TransmittedDossierFactory(auditeur__profile__centre=CentreFactory())
        else:
            SessionDossierFactory()
    cache.clear()  # as after a transition, or COUNTS_SECONDS
    with django_assert_num_queries(DOSSIERS_QUERIES):
        response = dnf.get(url("dnf_dossiers"), {"etat": "tous"})
    assert len(response.context["rows"]) == 30


# --- Sessions list -----------------------------------------------------------------------


def test_the_sessions_list_upcoming_and_past_with_their_dossiers(dnf):
    today = timezone.localdate()
    later = JurySessionFactory(date=today + datetime.timedelta(days=30))
    sooner = JurySessionFactory(date=today)
    SessionDossierFactory.create_batch(2, session=sooner)
    SessionDossierFactory(session=sooner, decided=True)
    past = JurySessionFactory(date=today - datetime.timedelta(days=3))
    closed = JurySessionFactory(closed=True)

    upcoming = dnf.get(url("dnf_sessions"))
    held = dnf.get(url("dnf_sessions"), {"periode": "passees"})

    assert list(upcoming.context["page_obj"].object_list) == [sooner, later]
    assert upcoming.context["page_obj"].object_list[0].dossier_count == 3
    assert upcoming.context["page_obj"].object_list[0].decision_count == 1
    assert list(held.context["page_obj"].object_list) == [past, closed]
    html = upcoming.content.decode()
    assert "Sessions à venir</strong></a> : 2 sessions" in html
    assert "Sessions passées</a> : 2 sessions<span class=\"hint\">, dont 1 pas encore close" \
        in html
    assert "1 / 3" in html
    assert "À clore" in held.content.decode()


# Session, user, counts, page count, page rows (with counts, president), their diplomas.
SESSIONS_QUERIES = 6


def test_the_sessions_list_runs_a_fixed_number_of_queries(dnf, django_assert_num_queries):
    SessionDossierFactory(decided=True)
    with django_assert_num_queries(SESSIONS_QUERIES):
        response = dnf.get(url("dnf_sessions"))
    assert len(response.context["page_obj"].object_list) == 1

    for _ in range(29):
        session = JurySessionFactory(diplomes=[DiplomeFactory(), DiplomeFactory()])
        SessionDossierFactory(session=session)
    with django_assert_num_queries(SESSIONS_QUERIES):
        response = dnf.get(url("dnf_sessions"))
    assert len(response.context["page_obj"].object_list) == 30


# --- Create and edit -----------------------------------------------------------------------


def test_creating_a_session(dnf, agent_dnf, membre_jury):
    diplome = DiplomeFactory()
    member = StaffFactory(role=Role.MEMBRE_JURY, first_name="Inès", last_name="Blanc")
    page = dnf.get(url("dnf_session_create"))
    html = page.content.decode()
    for label in ("Date du jury", "Lieu", "Diplômes concernés", "Président", "Membres",
                  "Créer la session"):
        assert label in html

    response = dnf.post(url("dnf_session_create"), {
        "date": "2026-06-15", "place": "  Cnam Paris, salle 17  ",
        "diplomes": [diplome.pk], "president": membre_jury.pk,
        "members": [member.pk, membre_jury.pk],
    })

    session = JurySession.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("dnf_session", session.pk)
    assert session.date == datetime.date(2026, 6, 15)
    assert session.place == "Cnam Paris, salle 17"
    assert list(session.diplomes.all()) == [diplome]
    assert session.president == membre_jury
    assert list(session.members.all()) == [member]
    assert session.created_by == agent_dnf
    assert texts(response) == ["La session du 15/06/2026 est créée. Inscrivez-y maintenant "
                               "les dossiers à examiner."]


def test_a_session_in_the_past_may_be_entered(dnf, membre_jury):
    response = dnf.post(url("dnf_session_create"), {
        "date": "2020-01-10", "place": "Cnam Paris",
        "diplomes": [DiplomeFactory().pk], "president": membre_jury.pk,
    })
    assert response.status_code == 302
    assert JurySession.objects.get().date == datetime.date(2020, 1, 10)


def test_a_session_form_filled_in_wrong_says_what_to_fix(dnf, gestionnaire):
    inactive = DiplomeFactory(active=False)
    response = dnf.post(url("dnf_session_create"), {
        "date": "15/13/2026", "place": "", "diplomes": [], "president": gestionnaire.pk,
        "members": [gestionnaire.pk],
    })

    assert response.status_code == 200
    assert not JurySession.objects.exists()
    errors = response.context["form"].errors
    assert errors["date"] == ["Saisissez une date valide, par exemple 15/06/2026."]
    assert errors["place"] == ["Indiquez le lieu du jury."]
    assert errors["diplomes"] == ["Choisissez au moins un diplôme examiné par cette session."]
    assert errors["president"] == ["Le président doit être choisi parmi les membres de jury."]
    assert errors["members"] == ["Les membres doivent être choisis parmi les membres de jury."]
    html = response.content.decode()
    assert "Le formulaire contient des erreurs." in html
    assert 'href="#id_diplomes_0"' in html
    assert 'id="id_diplomes_error"' in html
    assert inactive.code not in html  # closed to requests: not offered

    response = dnf.post(url("dnf_session_create"), {
        "date": "2026-06-15", "place": "Cnam", "diplomes": [inactive.pk],
        "president": "",
    })
    errors = response.context["form"].errors
    assert errors["diplomes"] == ["Choisissez les diplômes dans la liste proposée."]
    assert errors["president"] == ["Choisissez le président du jury."]


def test_editing_a_session(dnf, session, membre_jury, django_capture_on_commit_callbacks,
                           mailoutbox):
    SessionDossierFactory(session=session)
    other = DiplomeFactory()
    page = dnf.get(url("dnf_session_edit", session.pk))
    assert page.context["form"]["place"].value() == session.place
    assert "Enregistrer les modifications" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = dnf.post(url("dnf_session_edit", session.pk), {
            "date": "2026-07-02", "place": "Cnam Lille",
            "diplomes": [*session.diplomes.values_list("pk", flat=True), other.pk],
            "president": membre_jury.pk,
        })

    session.refresh_from_db()
    assert response["Location"] == url("dnf_session", session.pk)
    assert session.date == datetime.date(2026, 7, 2)
    assert session.place == "Cnam Lille"
    assert other in session.diplomes.all()
    assert texts(response) == ["La session est modifiée. Les auditeurs des dossiers inscrits "
                               "sont informés de la nouvelle date par courriel."]
    assert len(mailoutbox) == 1


def test_a_diploma_with_dossiers_on_the_session_cannot_be_taken_off(dnf, session,
                                                                      membre_jury):
    SessionDossierFactory(session=session)
    other = DiplomeFactory()

    response = dnf.post(url("dnf_session_edit", session.pk), {
        "date": session.date.isoformat(), "place": session.place,
        "diplomes": [other.pk], "president": membre_jury.pk,
    })

    assert response.status_code == 200
    assert "retirez d'abord ces dossiers" in response.context["form"].errors["diplomes"][0]
    assert list(session.diplomes.all()) != [other]


def test_a_closed_session_cannot_be_edited(dnf):
    session = JurySessionFactory(closed=True)
    response = dnf.get(url("dnf_session_edit", session.pk))
    assert response["Location"] == url("dnf_session", session.pk)
    assert texts(response) == ["Cette session de jury est close : elle ne peut plus être "
                               "modifiée."]
    response = dnf.post(url("dnf_session_edit", session.pk), {"place": "Ailleurs"})
    session.refresh_from_db()
    assert session.place != "Ailleurs"


# --- Session page, dossiers on and off ------------------------------------------------------


def test_the_session_page_shows_its_dossiers_decisions_and_those_it_may_take(
    dnf, session, centre
):
    diplome = session.diplomes.get()
    waiting = SessionDossierFactory(session=session)
    decided = SessionDossierFactory(session=session, decided=True, kind=Kind.DD)
    eligible = TransmittedDossierFactory(diplome=diplome, auditeur__profile__centre=centre)
    TransmittedDossierFactory()  # another diploma
    SessionDossierFactory(diplome=diplome)  # on another session

    response = dnf.get(url("dnf_session", session.pk))

    assert response.status_code == 200
    assert {row.dossier for row in response.context["rows"]} == {waiting, decided}
    assert [row.dossier for row in response.context["eligible_rows"]] == [eligible]
    html = response.content.decode()
    assert "Cursus : validé" in html and "Diplôme : Diplôme délivré" in html
    assert "En attente" in html
    assert html.count("Retirer de la session") == 1  # not the decided one
    assert "Inscrire les dossiers sélectionnés" in html
    assert "Clore la session" in html
    assert "1 dossier attend encore la décision du jury" in html
    assert url("dnf_session_pv", session.pk) in html
    assert url("dnf_session_courriers", session.pk) not in html


def test_the_dossiers_to_add_are_filtered_by_centre_and_diploma(dnf, centre, other_centre):
    first, second = DiplomeFactory(), DiplomeFactory()
    session = JurySessionFactory(diplomes=[first, second])
    here = TransmittedDossierFactory(diplome=first, auditeur__profile__centre=centre)
    TransmittedDossierFactory(diplome=first, auditeur__profile__centre=other_centre)
    TransmittedDossierFactory(diplome=second, auditeur__profile__centre=centre)

    response = dnf.get(url("dnf_session", session.pk),
                       {"inscrire-centre": centre.pk, "inscrire-diplome": first.pk})

    assert [row.dossier for row in response.context["eligible_rows"]] == [here]
    html = response.content.decode()
    assert "1 dossier peut être inscrit avec ces filtres." in html
    # The add form brings the filters back.
    assert f'name="inscrire-centre" value="{centre.pk}"' in html


def test_putting_dossiers_on_a_session(dnf, session, django_capture_on_commit_callbacks,
                                       mailoutbox):
    diplome = session.diplomes.get()
    first, second = TransmittedDossierFactory.create_batch(2, diplome=diplome)

    with django_capture_on_commit_callbacks(execute=True):
        response = dnf.post(url("dnf_session_add", session.pk), {
            "dossiers": [first.pk, second.pk], "inscrire-q": "x y",
        })

    assert response["Location"] == url("dnf_session", session.pk) + "?inscrire-q=x+y#inscrire"
    assert texts(response) == ["2 dossiers sont inscrits à la session : leurs auditeurs en "
                               "sont informés par courriel."]
    for dossier in (first, second):
        dossier.refresh_from_db()
        assert dossier.state == State.INSCRIT_JURY
        assert dossier.jury_session == session
    assert len(mailoutbox) == 2


def test_an_ineligible_dossier_is_refused_and_nothing_is_added(dnf, session):
    good = TransmittedDossierFactory(diplome=session.diplomes.get())
    other_diploma = TransmittedDossierFactory()

    response = dnf.post(url("dnf_session_add", session.pk),
                        {"dossiers": [good.pk, other_diploma.pk]})

    [message] = texts(response)
    assert message.startswith("Aucun dossier n'a été inscrit")
    assert other_diploma.reference in message
    good.refresh_from_db()
    assert good.state == State.TRANSMIS_DNF
    assert not session.dossiers.exists()


def test_adding_nothing_or_garbage_is_refused(dnf, session):
    response = dnf.post(url("dnf_session_add", session.pk), {})
    assert texts(response) == ["Choisissez au moins un dossier à inscrire."]
    response = dnf.post(url("dnf_session_add", session.pk), {"dossiers": ["abc"]})
    assert texts(response)[-1] == "Choisissez les dossiers à inscrire dans la liste proposée."


def test_taking_a_dossier_off_a_session(dnf, session):
    dossier = SessionDossierFactory(session=session)

    response = dnf.post(url("dnf_session_remove", session.pk, dossier.pk))

    assert response["Location"] == url("dnf_session", session.pk) + "#dossiers"
    assert texts(response) == [f"Le dossier {dossier.reference} est retiré de la session : il "
                               f"attend de nouveau une session de jury."]
    dossier.refresh_from_db()
    assert dossier.state == State.TRANSMIS_DNF
    assert dossier.jury_session is None


def test_a_decided_dossier_stays_on_the_session(dnf, session):
    dossier = SessionDossierFactory(session=session, decided=True)

    response = dnf.post(url("dnf_session_remove", session.pk, dossier.pk))

    assert len(texts(response)) == 1
    dossier.refresh_from_db()
    assert dossier.jury_session == session


def test_nothing_is_added_to_or_taken_off_a_closed_session(dnf):
    session = JurySessionFactory(closed=True)
    on_it = SessionDossierFactory(session=session, decided=True)
    waiting = TransmittedDossierFactory(diplome=session.diplomes.get())

    added = dnf.post(url("dnf_session_add", session.pk), {"dossiers": [waiting.pk]})
    removed = dnf.post(url("dnf_session_remove", session.pk, on_it.pk))

    assert texts(added) == ["Cette session de jury est close : elle ne peut plus être "
                            "modifiée."]
    assert texts(removed)[-1] == texts(added)[0]
    waiting.refresh_from_db()
    on_it.refresh_from_db()
    assert waiting.state == State.TRANSMIS_DNF and on_it.jury_session == session


# Session, user, session (counts, president…), its diplomas, members, dossiers (auditeur,
# profile, diploma, centre, decision, courrier), centres of the filter, eligible count,
# eligible rows.
SESSION_QUERIES = 9


def test_the_session_page_runs_a_fixed_number_of_queries(dnf, session,
                                                         django_assert_num_queries):
    diplome = session.diplomes.get()
    SessionDossierFactory(session=session)
    TransmittedDossierFactory(diplome=diplome)
    with django_assert_num_queries(SESSION_QUERIES):
        response = dnf.get(url("dnf_session", session.pk))
    assert len(response.context["rows"]) == 1

    for n in range(29):
        SessionDossierFactory(session=session, decided=bool(n % 2),
                              auditeur__profile__centre=CentreFactory())
        TransmittedDossierFactory(diplome=diplome)
    session.members.set(StaffFactory.create_batch(3, role=Role.MEMBRE_JURY))
    with django_assert_num_queries(SESSION_QUERIES):
        response = dnf.get(url("dnf_session", session.pk))
    assert len(response.context["rows"]) == 30
    assert len(response.context["eligible_rows"]) == 30


# --- Closing ---------------------------------------------------------------------------------


def test_closing_is_refused_while_a_decision_is_missing(dnf, session):
    SessionDossierFactory(session=session, decided=True)
    missing = SessionDossierFactory(session=session)

    page = dnf.get(url("dnf_session_close", session.pk))
    assert "La session ne peut pas encore être close" in page.content.decode()
    assert missing.reference in page.content.decode()
    assert '<button type="submit" class="button button--danger">' not in page.content.decode()

    response = dnf.post(url("dnf_session_close", session.pk))

    assert response["Location"] == url("dnf_session", session.pk)
    [message] = texts(response)
    assert message.startswith("La session ne peut pas être close : 1 dossier n'a pas encore")
    assert missing.reference in message
    session.refresh_from_db()
    assert not session.is_closed
    assert not Courrier.objects.exists()


def test_closing_a_session_whose_every_dossier_is_decided(dnf, agent_dnf, membre_jury,
                                                          time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 20, 10, tzinfo=datetime.UTC))
    session = JurySessionFactory(date=datetime.date(2026, 6, 15), president=membre_jury)
    dossiers = [SessionDossierFactory(session=session, decided=True) for _ in range(2)]

    page = dnf.get(url("dnf_session_close", session.pk))
    html = page.content.decode()
    assert "La clôture est définitive" in html
    assert "le <strong>15/07/2026</strong>" in html
    assert "Clore la session" in html

    response = dnf.post(url("dnf_session_close", session.pk))

    assert response["Location"] == url("dnf_session", session.pk)
    assert texts(response) == ["La session est close : les décisions ne peuvent plus être "
                               "modifiées. Les 2 courriers sont programmés pour le 15/07/2026."]
    session.refresh_from_db()
    assert session.closed_by == agent_dnf
    assert {c.dossier_id for c in Courrier.objects.filter(session=session)} == {
        d.pk for d in dossiers
    }
    html = dnf.get(url("dnf_session", session.pk)).content.decode()
    assert "Programmé" in html and "prévu le 15/07/2026" in html
    assert "Inscrire les dossiers sélectionnés" not in html
    assert "Retirer de la session" not in html
    assert url("dnf_session_courriers", session.pk) in html

    again = dnf.post(url("dnf_session_close", session.pk))
    assert texts(again)[0].startswith("Cette session de jury est déjà close")


# --- PV, courriers, resending ----------------------------------------------------------------


def _assert_pdf_attachment(response, filename):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_the_pv_as_pdf(dnf, membre_jury):
    session = JurySessionFactory(date=datetime.date(2026, 6, 15), president=membre_jury)
    dossier = SessionDossierFactory(session=session, decided=True)

    response = dnf.get(url("dnf_session_pv", session.pk))

    _assert_pdf_attachment(response, "pv-jury-2026-06-15.pdf")
    text = pdf_text(response.content)
    assert "Procès-verbal de la session de jury du 15 juin 2026" in text
    assert dossier.reference in text
    assert "PROJET" in text  # not closed yet


def test_the_courriers_of_a_closed_session_in_one_pdf(dnf):
    session = JurySessionFactory(closed=True, date=datetime.date(2026, 6, 15))
    programmed = CourrierFactory(dossier__session=session)
    sent = CourrierFactory(envoye=True, dossier__session=session)

    response = dnf.get(url("dnf_session_courriers", session.pk))

    _assert_pdf_attachment(response, "courriers-jury-2026-06-15.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    text = pdf_text(response.content)
    assert programmed.dossier.reference in text
    assert "Jury du 15 juin 2026" in text
    # The letter already sent is its stored file, not a new rendering.
    assert sent.dossier.reference not in text
    assert len(reader.pages) % 2 == 0  # each letter starts on a recto


def test_no_courriers_before_closing(dnf, session):
    SessionDossierFactory(session=session, decided=True)
    response = dnf.get(url("dnf_session_courriers", session.pk))
    assert response["Location"] == url("dnf_session", session.pk)
    assert texts(response) == ["Les courriers sont produits à la clôture de la session : "
                               "cette session n'est pas encore close."]


def test_the_state_of_each_courrier_and_its_resending(dnf, django_capture_on_commit_callbacks):
    failed = CourrierFactory(echec=True)
    session = failed.session
    sent = CourrierFactory(envoye=True, dossier__session=session)
    CourrierFactory(dossier__session=session,
                    due_on=timezone.localdate() + datetime.timedelta(days=20))

    html = dnf.get(url("dnf_session", session.pk)).content.decode()
    assert "En échec" in html and "Envoyé" in html and "Programmé" in html
    assert "No space left on device" in html
    assert html.count("Renvoyer le courrier") == 2

    with django_capture_on_commit_callbacks(execute=False):
        response = dnf.post(url("dnf_courrier_resend", failed.pk))
    assert response["Location"] == url("dnf_session", session.pk) + "#courriers"
    assert texts(response) == [f"Le courrier du dossier {failed.dossier.reference} est "
                               f"programmé à nouveau : il part dans quelques minutes."]
    failed.refresh_from_db()
    assert failed.status == CourrierStatus.PROGRAMME

    with django_capture_on_commit_callbacks(execute=False):
        response = dnf.post(url("dnf_courrier_resend", sent.pk))
    assert texts(response)[-1] == (f"Le courrier du dossier {sent.dossier.reference} est "
                                   f"renvoyé à l'auditeur par courriel.")
    assert Event.objects.filter(dossier=sent.dossier).exists()


def test_a_courrier_not_sent_yet_cannot_be_resent(dnf):
    courrier = CourrierFactory(due_on=datetime.date(2099, 1, 1))
    response = dnf.post(url("dnf_courrier_resend", courrier.pk))
    assert texts(response) == ["Ce courrier n'est pas encore parti : son envoi est programmé "
                               "pour le 01/01/2099."]
    courrier.refresh_from_db()
    assert courrier.status == CourrierStatus.PROGRAMME


def test_unknown_sessions_dossiers_and_courriers_are_404(dnf, session):
    dossier = SessionDossierFactory()  # on another session
    assert dnf.get(url("dnf_session", 999999)).status_code == 404
    assert dnf.get(url("dnf_session_pv", 999999)).status_code == 404
    assert dnf.post(url("dnf_session_add", 999999), {"dossiers": [1]}).status_code == 404
    assert dnf.post(url("dnf_courrier_resend", 999999)).status_code == 404
    assert dnf.post(url("dnf_session_remove", session.pk, 999999)).status_code == 404
    # A dossier of another session: refused with a message, nothing changed.
    response = dnf.post(url("dnf_session_remove", session.pk, dossier.pk))
    assert texts(response) == ["Ce dossier n'est pas inscrit à cette session de jury."]
    dossier.refresh_from_db()
    assert dossier.state == State.INSCRIT_JURY and dossier.jury_session != session
