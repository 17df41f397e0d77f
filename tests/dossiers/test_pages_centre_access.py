"""Who gets what of the centre's review: the queue, the export, the dossier page, its
pièces and every action, for GET and POST.

A gestionnaire of the dossier's centre gets them; a gestionnaire of another centre a
404 (nothing tells that the dossier exists), and the dossier is absent from his/her
queue and export; a draft of the centre's own auditeur is a 404 too, and absent from
the queue. Other roles get a 403 (the capability, the same for any dossier, existing
or not); anonymous visitors are sent to the log-in page. A refused request changes
nothing.
"""

import csv
import io

import pytest
from django.urls import reverse

from d3.courriels.models import Courriel
from dossiers.models import Dossier, Event, State
from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db

GESTIONNAIRE, OTHER_GESTIONNAIRE, AUDITEUR, AGENT_DNF, MEMBRE_JURY, ADMINISTRATEUR, ANONYMOUS = (
    "gestionnaire", "other_gestionnaire", "auditeur", "agent_dnf", "membre_jury",
    "administrateur", "anonymous",
)
NO_CAPABILITY = (AUDITEUR, AGENT_DNF, MEMBRE_JURY, ADMINISTRATEUR)

# (URL name, method) → status for the gestionnaire of the centre (302: back to the dossier
# page with a message, whether the action succeeded or was refused).
DOSSIER_PAGES = {
    ("centre_dossier", "get"): 200,
    ("centre_take", "post"): 302,
    ("centre_take_over", "post"): 302,
    ("centre_piece_verdict", "post"): 302,
    ("centre_ask_corrections", "post"): 302,
    ("centre_declare_complete", "post"): 302,
    ("centre_declare_inadmissible", "get"): 200,
    ("centre_declare_inadmissible", "post"): 302,
    ("centre_add_note", "post"): 302,
}
DATA = {
    "centre_piece_verdict": lambda piece: {f"piece-{piece.pk}-status": "conforme"},
    "centre_ask_corrections": lambda piece: {"deadline": ""},
    "centre_declare_complete": lambda piece: {"confirm": "on"},
    "centre_declare_inadmissible": lambda piece: {"motive": "Motif."},
    "centre_add_note": lambda piece: {"text": "Note."},
}


@pytest.fixture
def visitors(gestionnaire, other_gestionnaire, auditeur, agent_dnf, membre_jury,
             administrateur):
    return {
        GESTIONNAIRE: gestionnaire,
        OTHER_GESTIONNAIRE: other_gestionnaire,
        AUDITEUR: auditeur,
        AGENT_DNF: agent_dnf,
        MEMBRE_JURY: membre_jury,
        ADMINISTRATEUR: administrateur,
        ANONYMOUS: None,
    }


@pytest.fixture
def dossier(auditeur, gestionnaire):
    """In control by the gestionnaire of its centre, with a pièce and its file."""
    return DossierFactory(auditeur=auditeur, en_controle=True, owner=gestionnaire,
                          signable=True)


def snapshot(dossier):
    dossier = Dossier.objects.get(pk=dossier.pk)
    return (
        dossier.state, dossier.owner_id, dossier.state_changed_at, dossier.correction_round,
        list(dossier.pieces.values_list("pk", "status", "comment")),
        Event.objects.count(), Courriel.objects.count(),
    )


def address(name, dossier):
    if name == "centre_piece_verdict":
        return reverse(f"dossiers:{name}", args=[dossier.pk, dossier.pieces.get().pk])
    return reverse(f"dossiers:{name}", args=[dossier.pk])


def request(client, visitor, method, where, data=None):
    if visitor is not None:
        client.force_login(visitor)
    response = getattr(client, method)(where, data or {})
    if response.streaming:
        response.content_bytes = b"".join(response.streaming_content)
    return response


def assert_login_redirect(response, where):
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={where}"


CASES = [
    pytest.param(name, method, who, id=f"{name}-{method}-{who}")
    for (name, method) in DOSSIER_PAGES
    for who in (GESTIONNAIRE, OTHER_GESTIONNAIRE, *NO_CAPABILITY, ANONYMOUS)
]


@pytest.mark.parametrize(("name", "method", "who"), CASES)
def test_dossier_pages(client, visitors, dossier, name, method, who):
    where = address(name, dossier)
    data = DATA.get(name, lambda piece: {})(dossier.pieces.get()) if method == "post" else {}
    before = snapshot(dossier)

    response = request(client, visitors[who], method, where, data)

    if who == ANONYMOUS:
        assert_login_redirect(response, where)
    elif who == GESTIONNAIRE:
        assert response.status_code == DOSSIER_PAGES[(name, method)]
        if response.status_code == 302:
            assert response["Location"] == reverse("dossiers:centre_dossier",
                                                   args=[dossier.pk])
    elif who == OTHER_GESTIONNAIRE:
        assert response.status_code == 404
    else:
        assert response.status_code == 403
    if who != GESTIONNAIRE:
        assert snapshot(dossier) == before


@pytest.mark.parametrize(("name", "method"), list(DOSSIER_PAGES))
@pytest.mark.parametrize("kind", ["draft", "withdrawn_draft", "missing"])
def test_what_never_reached_the_centre_is_a_404(client, gestionnaire, auditeur, name, method,
                                                kind):
    if kind == "missing":
        where = reverse(f"dossiers:{name}",
                        args=[999999, 1] if name == "centre_piece_verdict" else [999999])
    else:
        state = State.BROUILLON if kind == "draft" else State.RETIRE
        hidden = DossierFactory(auditeur=auditeur, state=state, signable=True)
        where = address(name, hidden)
    client.force_login(gestionnaire)

    response = getattr(client, method)(where, {"text": "x", "motive": "x", "confirm": "on"})

    assert response.status_code == 404


def test_a_pièce_is_downloaded_only_by_the_centre(client, visitors, dossier):
    piece_file = dossier.pieces.get().files.get()
    # The former ?inline=1 is ignored: a pièce is always an attachment.
    where = reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk]) + "?inline=1"

    response = request(client, visitors[GESTIONNAIRE], "get", where)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Frame-Options"] == "DENY"
    for who in (OTHER_GESTIONNAIRE, AGENT_DNF, MEMBRE_JURY):
        client.logout()
        assert request(client, visitors[who], "get", where).status_code == 404
    client.logout()
    # The auditeur gets his/her own file, as an attachment.
    response = request(client, visitors[AUDITEUR], "get", where)
    assert response["Content-Disposition"].startswith("attachment")


# --- Queue and export ------------------------------------------------------------------


LISTS = ["centre_queue", "centre_export"]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("who", [*NO_CAPABILITY, ANONYMOUS])
def test_lists_are_for_gestionnaires(client, visitors, name, who):
    where = reverse(f"dossiers:{name}")

    response = request(client, visitors[who], "get", where)

    if who == ANONYMOUS:
        assert_login_redirect(response, where)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("name", LISTS)
def test_lists_are_read_only(client, gestionnaire, name):
    client.force_login(gestionnaire)
    assert client.post(reverse(f"dossiers:{name}")).status_code == 405


def _listed(client, name):
    response = client.get(reverse(f"dossiers:{name}"), {"etat": "tous"})
    assert response.status_code == 200
    if name == "centre_queue":
        return {row.dossier.reference for row in response.context["rows"]}
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {line[0] for line in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]}


@pytest.mark.parametrize("name", LISTS)
def test_lists_hold_only_the_centres_dossiers_from_the_deposit_on(
    client, gestionnaire, other_gestionnaire, auditeur, other_auditeur, name
):
    mine = DossierFactory(auditeur=auditeur, depose=True)
    signed_then_withdrawn = DossierFactory(auditeur=auditeur, retire=True, signature=True)
    DossierFactory(auditeur=auditeur, brouillon=True)
    DossierFactory(auditeur=auditeur, retire=True)  # withdrawn before any signature
    theirs = DossierFactory(auditeur=other_auditeur, depose=True)

    client.force_login(gestionnaire)
    assert _listed(client, name) == {mine.reference, signed_then_withdrawn.reference}
    client.force_login(other_gestionnaire)
    assert _listed(client, name) == {theirs.reference}
