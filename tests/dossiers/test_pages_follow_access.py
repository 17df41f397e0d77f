"""Who gets what of a dossier: its pages, its pièces' files and its signed récapitulatif.

The owner gets them; anyone else gets nothing that reveals the dossier: another
auditeur a 404, staff a 403 on the auditeur's pages (a capability refusal, the same for
every dossier, existing or not) and a 404 on the files; anonymous visitors are sent to
the log-in page. For GET and POST alike, and a refused POST changes nothing.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from dossiers.models import Event, Signature, State
from tests.dossiers.factories import DossierFactory, PieceFileFactory, sample_pdf
from tests.factories import PASSWORD

OWNER, OTHER_AUDITEUR, OTHER_GESTIONNAIRE, GESTIONNAIRE, MEMBRE_JURY, AGENT_DNF, ANONYMOUS = (
    "owner", "other_auditeur", "other_gestionnaire", "gestionnaire", "membre_jury",
    "agent_dnf", "anonymous",
)

# Auditeur pages: (URL name, method, expected status per visitor; 302 = log-in page).
AUDITEUR_PAGES = {
    ("detail", "get"): 200,
    ("recapitulatif", "get"): 200,
    ("withdraw", "get"): 200,
    ("withdraw", "post"): 302,  # withdrawn, back to the dossier page
    ("sign", "post"): 200,  # the page again, with "déjà déposé": nothing signed
}
STAFF_ON_AUDITEUR_PAGES = {
    OTHER_AUDITEUR: 404,
    OTHER_GESTIONNAIRE: 403,
    GESTIONNAIRE: 403,
    MEMBRE_JURY: 403,
    AGENT_DNF: 403,
}
FILES = {
    # visitor → status for the signed récapitulatif and a pièce's file (deposited dossier)
    OWNER: 200,
    OTHER_AUDITEUR: 404,
    OTHER_GESTIONNAIRE: 404,
    GESTIONNAIRE: 200,  # the centre of the dossier, once it is deposited
    MEMBRE_JURY: 404,
    AGENT_DNF: 404,  # not before the DNF has it
}


@pytest.fixture
def visitors(auditeur, other_auditeur, other_gestionnaire, gestionnaire, membre_jury,
             agent_dnf):
    return {
        OWNER: auditeur,
        OTHER_AUDITEUR: other_auditeur,
        OTHER_GESTIONNAIRE: other_gestionnaire,
        GESTIONNAIRE: gestionnaire,
        MEMBRE_JURY: membre_jury,
        AGENT_DNF: agent_dnf,
        ANONYMOUS: None,
    }


@pytest.fixture
def dossier(auditeur):
    """A deposited dossier of the auditeur, with a pièce's file and a signed récapitulatif."""
    dossier = DossierFactory(auditeur=auditeur, depose=True, signature=False, signable=True)
    key = default_storage.save("recapitulatifs/r.pdf", ContentFile(sample_pdf("Récap")))
    Signature.objects.create(dossier=dossier, signed_by=auditeur, signed_at=dossier.created_at,
                             digest="0" * 64, recapitulatif_key=key)
    return dossier


def _request(client, visitor, method, address, data=None):
    if visitor is not None:
        client.force_login(visitor)
    response = getattr(client, method)(address, data or {})
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _assert_login_redirect(response, address):
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={address}"


CASES = [
    pytest.param(name, method, who, id=f"{name}-{method}-{who}")
    for (name, method) in AUDITEUR_PAGES
    for who in [OWNER, *STAFF_ON_AUDITEUR_PAGES, ANONYMOUS]
]


@pytest.mark.parametrize(("name", "method", "who"), CASES)
def test_auditeur_pages(client, visitors, dossier, name, method, who):
    address = reverse(f"dossiers:{name}", args=[dossier.pk])
    data = {"sworn": "on", "password": "pas-le-bon"} if name == "sign" else {}

    response = _request(client, visitors[who], method, address, data)

    if who == ANONYMOUS:
        _assert_login_redirect(response, address)
    elif who == OWNER:
        assert response.status_code == AUDITEUR_PAGES[(name, method)]
    else:
        assert response.status_code == STAFF_ON_AUDITEUR_PAGES[who]
    if not (who == OWNER and (name, method) == ("withdraw", "post")):
        dossier.refresh_from_db()
        assert dossier.state == State.DEPOSE
        assert not Event.objects.filter(dossier=dossier).exists()
        assert Signature.objects.filter(dossier=dossier).count() == 1


def _files(dossier):
    piece_file = dossier.pieces.get().files.get()
    return {
        "signed_pdf": reverse("dossiers:signed_pdf", args=[dossier.pk]),
        "piece_file": reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk]),
    }


@pytest.mark.parametrize("what", ["signed_pdf", "piece_file"])
@pytest.mark.parametrize("who", [*FILES, ANONYMOUS])
def test_files(client, visitors, dossier, what, who):
    address = _files(dossier)[what]

    response = _request(client, visitors[who], "get", address)

    if who == ANONYMOUS:
        _assert_login_redirect(response, address)
    else:
        assert response.status_code == FILES[who]


@pytest.mark.parametrize("what", ["signed_pdf", "piece_file"])
def test_files_are_not_sent_on_post(client, auditeur, dossier, what):
    client.force_login(auditeur)
    assert client.post(_files(dossier)[what]).status_code == 405


def test_a_draft_stays_private_from_its_centre(client, auditeur, gestionnaire):
    draft = DossierFactory(auditeur=auditeur, signable=True)
    piece_file = PieceFileFactory(piece=draft.pieces.get())
    client.force_login(gestionnaire)

    for address in (
        reverse("dossiers:signed_pdf", args=[draft.pk]),
        reverse("dossiers:piece_file", args=[draft.pk, piece_file.pk]),
    ):
        assert client.get(address).status_code == 404


@pytest.mark.parametrize("who", [OTHER_AUDITEUR, OWNER])
def test_a_missing_dossier_is_a_404_like_a_foreign_one(client, visitors, who):
    client.force_login(visitors[who])
    for name in ("detail", "recapitulatif", "withdraw", "signed_pdf"):
        assert client.get(reverse(f"dossiers:{name}", args=[999999])).status_code == 404
    assert client.post(reverse("dossiers:sign", args=[999999]),
                       {"sworn": "on", "password": PASSWORD}).status_code == 404
