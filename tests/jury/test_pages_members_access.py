"""Who gets what of the jury members' pages: the sessions list, a session, a dossier and
its decision, for GET and POST.

A member of the session (or its president) gets them; a jury member of another session
a 404 for the session, its dossiers and their decisions (nothing tells that they
exist), and does not see the session in his/her list. Other roles — the dossier's own
auditeur, a gestionnaire of its centre, an agent DNF, an administrateur — get a 403 (the
capability, the same for any object, existing or not); anonymous visitors are sent to
the log-in page. A refused request changes nothing.
"""

import pytest
from django.urls import reverse

from dossiers.models import Dossier, Event
from jury.models import Decision
from tests.dossiers.factories import PieceFactory
from tests.factories import StaffFactory
from tests.jury.factories import JurySessionFactory, SessionDossierFactory

pytestmark = pytest.mark.django_db

MEMBER, PRESIDENT, OTHER_MEMBER, AUDITEUR, GESTIONNAIRE, AGENT_DNF, ADMINISTRATEUR, ANONYMOUS = (
    "member", "president", "other_member", "auditeur", "gestionnaire", "agent_dnf",
    "administrateur", "anonymous",
)
NO_CAPABILITY = (AUDITEUR, GESTIONNAIRE, AGENT_DNF, ADMINISTRATEUR)
SITTING = (MEMBER, PRESIDENT)

DECISION = {"cursus_valide": "oui", "aep_outcome": "validee", "dd_outcome": "delivre",
            "motive": ""}


@pytest.fixture
def session(membre_jury):
    return JurySessionFactory(members=[membre_jury])


@pytest.fixture
def dossier(session, auditeur):
    """A DD + AEP of the auditeur (of the gestionnaire's centre) on the session."""
    dossier = SessionDossierFactory(session=session, auditeur=auditeur)
    PieceFactory(dossier=dossier, deposee=True)
    return dossier


@pytest.fixture
def other_session():
    """Another session, with its own member: he/she sits on it, not on ``session``."""
    member = StaffFactory(username="rose.blanc", first_name="Rose", last_name="Blanc",
                          role="membre_jury")
    return JurySessionFactory(members=[member])


@pytest.fixture
def visitors(session, other_session, membre_jury, auditeur, gestionnaire, agent_dnf,
             administrateur):
    return {
        MEMBER: membre_jury,
        PRESIDENT: session.president,
        OTHER_MEMBER: other_session.members.get(),
        AUDITEUR: auditeur,
        GESTIONNAIRE: gestionnaire,
        AGENT_DNF: agent_dnf,
        ADMINISTRATEUR: administrateur,
        ANONYMOUS: None,
    }


def snapshot(dossier):
    dossier = Dossier.objects.get(pk=dossier.pk)
    return (
        dossier.state, dossier.aep_outcome,
        list(Decision.objects.values_list("pk", "version", "cursus_valide", "dd_outcome")),
        Event.objects.count(),
    )


def address(name, session, dossier):
    if name == "jury_home":
        return reverse("jury:jury_home")
    if name == "member_session":
        return reverse("jury:member_session", args=[session.pk])
    return reverse(f"jury:{name}", args=[dossier.pk])


def request(client, visitor, method, where, data=None):
    if visitor is not None:
        client.force_login(visitor)
    return getattr(client, method)(where, data or {})


def assert_login_redirect(response, where):
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={where}"


# (URL name, method) → status for a member of the session.
PAGES = {
    ("member_session", "get"): 200,
    ("member_dossier", "get"): 200,
    ("member_decision", "post"): 302,
}
CASES = [
    pytest.param(name, method, who, id=f"{name}-{method}-{who}")
    for (name, method) in PAGES
    for who in (*SITTING, OTHER_MEMBER, *NO_CAPABILITY, ANONYMOUS)
]


@pytest.mark.parametrize(("name", "method", "who"), CASES)
def test_session_dossier_and_decision(client, visitors, session, dossier, name, method, who):
    where = address(name, session, dossier)
    before = snapshot(dossier)

    response = request(client, visitors[who], method, where,
                       DECISION if method == "post" else None)

    if who == ANONYMOUS:
        assert_login_redirect(response, where)
    elif who in SITTING:
        assert response.status_code == PAGES[(name, method)]
        if method == "post":
            assert response["Location"] == reverse("jury:member_dossier", args=[dossier.pk])
            assert Decision.objects.get(dossier=dossier).recorded_by == visitors[who]
    elif who == OTHER_MEMBER:
        assert response.status_code == 404
        assert dossier.reference not in response.content.decode()
    else:
        assert response.status_code == 403
    if who not in SITTING:
        assert snapshot(dossier) == before


@pytest.mark.parametrize("who", [MEMBER, OTHER_MEMBER, *NO_CAPABILITY, ANONYMOUS])
def test_the_sessions_list(client, visitors, session, other_session, dossier, who):
    where = reverse("jury:jury_home")

    response = request(client, visitors[who], "get", where)

    if who == ANONYMOUS:
        assert_login_redirect(response, where)
    elif who in NO_CAPABILITY:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        listed = {row["session"].pk for row in response.context["upcoming"]}
        mine, theirs = (session, other_session) if who == MEMBER else (other_session, session)
        assert listed == {mine.pk}
        html = response.content.decode()
        assert reverse("jury:member_session", args=[mine.pk]) in html
        assert reverse("jury:member_session", args=[theirs.pk]) not in html


@pytest.mark.parametrize(("name", "method"), list(PAGES))
def test_what_does_not_exist_is_a_404_for_a_member(client, membre_jury, name, method):
    client.force_login(membre_jury)
    where = reverse(f"jury:{name}", args=[999999])

    response = getattr(client, method)(where, DECISION if method == "post" else {})

    assert response.status_code == 404


@pytest.mark.parametrize(("name", "method"), list(PAGES))
def test_a_dossier_taken_off_the_session_is_a_404(client, membre_jury, session, name,
                                                  method):
    dossier = SessionDossierFactory(session=session, transmis_dnf=True, jury_session=None)
    client.force_login(membre_jury)
    where = address(name, session, dossier)

    response = getattr(client, method)(where, DECISION if method == "post" else {})

    if name == "member_session":
        assert response.status_code == 200
        assert dossier.reference not in response.content.decode()
    else:
        assert response.status_code == 404
    assert not Decision.objects.exists()


def test_a_member_of_another_session_gets_none_of_its_pieces(client, visitors, dossier):
    piece_file = dossier.pieces.get().files.get()
    where = reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk])

    client.force_login(visitors[OTHER_MEMBER])
    assert client.get(where).status_code == 404

    client.force_login(visitors[MEMBER])
    response = client.get(where)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()
