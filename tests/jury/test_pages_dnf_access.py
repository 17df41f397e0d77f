"""Who gets what of the DNF's pages: the lists, a session, its dossiers, its decisions,
its PV and its courriers, for GET and POST.

An agent DNF gets them; every other role gets a 403 (the capability: the same answer
for a session that exists and one that does not, so nothing leaks) — even the jury
member who presides the session, even the auditeur whose dossier is on it; anonymous
visitors are sent to the log-in page. A refused request changes nothing. For an agent
DNF, a session, dossier or courrier that does not exist is a 404.
"""

import pytest
from django.urls import reverse

from auditeurs.models import Role
from d3.courriels.models import Courriel
from dossiers.models import Dossier, Event
from jury.models import Courrier, Decision, JurySession
from tests.factories import StaffFactory
from tests.jury.factories import (
    CourrierFactory,
    JurySessionFactory,
    SessionDossierFactory,
    TransmittedDossierFactory,
)

pytestmark = pytest.mark.django_db

AGENT_DNF, PRESIDENT, MEMBRE_JURY, GESTIONNAIRE, AUDITEUR, ADMINISTRATEUR, ANONYMOUS = (
    "agent_dnf", "president", "membre_jury", "gestionnaire", "auditeur", "administrateur",
    "anonymous",
)
OTHERS = (PRESIDENT, MEMBRE_JURY, GESTIONNAIRE, AUDITEUR, ADMINISTRATEUR)

OPEN, CLOSED = "open", "closed"

# (URL name, session, method) → status for the agent DNF (302: back to the session with a
# message, whether the action succeeded or was refused).
SESSION_PAGES = {
    ("dnf_session", OPEN, "get"): 200,
    ("dnf_session_edit", OPEN, "get"): 200,
    ("dnf_session_edit", OPEN, "post"): 302,
    ("dnf_session_add", OPEN, "post"): 302,
    ("dnf_session_remove", OPEN, "post"): 302,
    ("dnf_session_close", OPEN, "get"): 200,
    ("dnf_session_close", OPEN, "post"): 302,  # refused: a decision is missing
    ("dnf_session_pv", OPEN, "get"): 200,
    ("dnf_session_courriers", OPEN, "get"): 302,  # not closed: no courriers yet
    ("dnf_session", CLOSED, "get"): 200,
    ("dnf_session_edit", CLOSED, "get"): 302,
    ("dnf_session_close", CLOSED, "get"): 302,
    ("dnf_session_pv", CLOSED, "get"): 200,
    ("dnf_session_courriers", CLOSED, "get"): 200,
    ("dnf_courrier_resend", CLOSED, "post"): 302,
}


@pytest.fixture
def world(auditeur, membre_jury):
    """An open session (a dossier of the auditeur waiting for its decision, another
    decided, one to add) and a closed one with a courrier en échec."""
    session = JurySessionFactory(president=membre_jury)
    waiting = SessionDossierFactory(session=session, auditeur=auditeur)
    SessionDossierFactory(session=session, decided=True)
    to_add = TransmittedDossierFactory(diplome=session.diplomes.get())
    courrier = CourrierFactory(echec=True, dossier__auditeur=auditeur,
                               dossier__session__president=membre_jury)
    return {OPEN: session, CLOSED: courrier.session, "waiting": waiting, "to_add": to_add,
            "courrier": courrier}


@pytest.fixture
def visitors(agent_dnf, membre_jury, gestionnaire, auditeur, administrateur):
    return {
        AGENT_DNF: agent_dnf,
        PRESIDENT: membre_jury,
        MEMBRE_JURY: StaffFactory(role=Role.MEMBRE_JURY),
        GESTIONNAIRE: gestionnaire,
        AUDITEUR: auditeur,
        ADMINISTRATEUR: administrateur,
        ANONYMOUS: None,
    }


def address(name, kind, world, missing=False):
    session = world[kind]
    if name == "dnf_courrier_resend":
        return reverse(f"jury:{name}", args=[999999 if missing else world["courrier"].pk])
    pk = 999999 if missing else session.pk
    if name == "dnf_session_remove":
        return reverse(f"jury:{name}", args=[pk, world["waiting"].pk])
    return reverse(f"jury:{name}", args=[pk])


def data(name, world, membre_jury):
    if name == "dnf_session_edit":
        return {"date": "2030-01-15", "place": "Ailleurs",
                "diplomes": [world[OPEN].diplomes.get().pk], "president": membre_jury.pk}
    if name == "dnf_session_add":
        return {"dossiers": [world["to_add"].pk]}
    return {}


def snapshot():
    return (
        list(JurySession.objects.order_by("pk").values_list("pk", "date", "place",
                                                            "closed_at")),
        list(Dossier.objects.order_by("pk").values_list("pk", "state", "jury_session")),
        list(Decision.objects.order_by("pk").values_list("pk", "version")),
        list(Courrier.objects.order_by("pk").values_list("pk", "status")),
        Event.objects.count(),
        Courriel.objects.count(),
    )


def request(client, visitor, method, where, payload=None):
    if visitor is not None:
        client.force_login(visitor)
    return getattr(client, method)(where, payload or {})


CASES = [
    pytest.param(name, kind, method, who, id=f"{name}-{kind}-{method}-{who}")
    for (name, kind, method) in SESSION_PAGES
    for who in (AGENT_DNF, *OTHERS, ANONYMOUS)
]


@pytest.mark.parametrize(("name", "kind", "method", "who"), CASES)
def test_session_pages(client, visitors, world, membre_jury, name, kind, method, who):
    where = address(name, kind, world)
    before = snapshot()

    response = request(client, visitors[who], method, where,
                       data(name, world, membre_jury) if method == "post" else None)

    if who == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={where}"
    elif who == AGENT_DNF:
        assert response.status_code == SESSION_PAGES[(name, kind, method)]
        if response.status_code == 302:
            assert response["Location"].startswith(
                reverse("jury:dnf_session", args=[world[kind].pk])
            )
    else:
        assert response.status_code == 403
    if who != AGENT_DNF:
        assert snapshot() == before


@pytest.mark.parametrize(("name", "kind", "method"), list(SESSION_PAGES))
@pytest.mark.parametrize("who", [AGENT_DNF, PRESIDENT, GESTIONNAIRE])
def test_what_does_not_exist(client, visitors, world, membre_jury, name, kind, method, who):
    """A 404 for the DNF; the same 403 as for an existing session for everyone else."""
    where = address(name, kind, world, missing=True)

    response = request(client, visitors[who], method, where,
                       data(name, world, membre_jury) if method == "post" else None)

    assert response.status_code == (404 if who == AGENT_DNF else 403)


@pytest.mark.parametrize("name", ["dnf_dossiers", "dnf_sessions"])
def test_lists_are_read_only(client, agent_dnf, name):
    client.force_login(agent_dnf)
    assert client.post(reverse(f"jury:{name}")).status_code == 405


@pytest.mark.parametrize("who", [*OTHERS, ANONYMOUS])
def test_creating_a_session_is_for_the_dnf(client, visitors, membre_jury, world, who):
    where = reverse("jury:dnf_session_create")
    before = snapshot()

    response = request(client, visitors[who], "post", where, {
        "date": "2030-01-15", "place": "Cnam", "diplomes": [world[OPEN].diplomes.get().pk],
        "president": membre_jury.pk,
    })

    if who == ANONYMOUS:
        assert response["Location"] == f"{reverse('account_login')}?next={where}"
    else:
        assert response.status_code == 403
    assert snapshot() == before


def test_the_transmitted_list_and_the_sessions_list_show_nothing_to_others(
    client, visitors, world
):
    """Only the DNF's scopes feed the lists: another role reaching them gets nothing."""
    from jury import selectors

    for who in OTHERS:
        user = visitors[who]
        filters = selectors.TransmittedFilters(state=selectors.ALL_STATES)
        assert not selectors.transmitted_dossiers(user, filters).exists()
        assert not selectors.sessions(user, selectors.UPCOMING).exists()
        assert not selectors.sessions(user, selectors.PAST).exists()
        with pytest.raises(JurySession.DoesNotExist):
            selectors.session(user, world[OPEN].pk)
        with pytest.raises(Courrier.DoesNotExist):
            selectors.session_courrier(user, world["courrier"].pk)
    dnf = visitors[AGENT_DNF]
    assert selectors.transmitted_dossiers(
        dnf, selectors.TransmittedFilters(state=selectors.ALL_STATES)
    ).count() == 4
