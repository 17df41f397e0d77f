"""download_piece_file: who may download a pièce's file, and how it is sent."""

import pytest
from django.urls import reverse

from dossiers.models import Dossier, Kind, Piece, State
from dossiers.pieces import add_file
from tests.dossiers import files
from tests.factories import DiplomeFactory, PieceTypeFactory

PDF = files.pdf_bytes()


def make_dossier(auditeur, *, code="diplome-prerequis", multiple_files=False):
    dossier = Dossier.objects.create(
        auditeur=auditeur, centre=auditeur.profile.centre, diplome=DiplomeFactory(),
        kind=Kind.DD, state=State.BROUILLON,
    )
    piece_type = PieceTypeFactory(code=code, multiple_files=multiple_files)
    piece = Piece.objects.create(dossier=dossier, piece_type=piece_type)
    return dossier, piece


def deposit(piece, auditeur, content=PDF, name="mon diplôme.pdf"):
    return add_file(piece=piece, uploaded_file=files.upload(content, name), user=auditeur)


def set_state(dossier, state):
    Dossier.objects.filter(pk=dossier.pk).update(state=state)


def url(dossier, piece_file, **query):
    address = reverse("dossiers:piece_file", args=[dossier.pk, piece_file.pk])
    if query:
        address += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return address


def get(client, user, address):
    if user is not None:
        client.force_login(user)
    response = client.get(address)
    # Read (and so close) a streamed file, as a server would.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def deposited(auditeur):
    dossier, piece = make_dossier(auditeur)
    piece_file = deposit(piece, auditeur)
    return dossier, piece_file


def test_the_auditeur_downloads_the_file_with_safe_headers(client, auditeur, deposited):
    dossier, piece_file = deposited

    response, body = get(client, auditeur, url(dossier, piece_file))

    assert response.status_code == 200
    assert body == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{dossier.reference}-diplome-prerequis-v1.pdf"'
    )
    assert "diplôme" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store, private"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Length"] == str(len(PDF))


def test_each_version_has_its_number(client, auditeur, deposited):
    dossier, first = deposited
    second = deposit(first.piece, auditeur, content=files.png_bytes(), name="photo.png")

    old, old_body = get(client, auditeur, url(dossier, first))
    new, new_body = get(client, auditeur, url(dossier, second))

    # The replaced version stays downloadable: the history is the centre's evidence.
    assert old_body == PDF
    assert old["Content-Disposition"].endswith('-diplome-prerequis-v1.pdf"')
    assert new["Content-Type"] == "image/png"
    assert new["Content-Disposition"].endswith('-diplome-prerequis-v2.png"')


def test_an_odd_piece_type_code_is_made_safe(client, auditeur):
    dossier, piece = make_dossier(auditeur, code='pièce "1"/a')
    piece_file = deposit(piece, auditeur)

    response, _ = get(client, auditeur, url(dossier, piece_file))

    assert response["Content-Disposition"] == (
        f'attachment; filename="{dossier.reference}-pi-ce-1-a-v1.pdf"'
    )


def test_other_auditeur_gets_a_404(client, other_auditeur, deposited):
    dossier, piece_file = deposited

    response, _ = get(client, other_auditeur, url(dossier, piece_file))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("state", "expected"),
    [(State.BROUILLON, 404), (State.DEPOSE, 200), (State.A_COMPLETER, 200),
     (State.TRANSMIS_DNF, 200)],
)
def test_the_gestionnaire_of_the_centre_once_deposited(
    client, gestionnaire, deposited, state, expected
):
    dossier, piece_file = deposited
    set_state(dossier, state)

    response, _ = get(client, gestionnaire, url(dossier, piece_file))

    assert response.status_code == expected


def test_a_gestionnaire_of_another_centre_gets_a_404(client, other_gestionnaire, deposited):
    dossier, piece_file = deposited
    set_state(dossier, State.DEPOSE)

    response, _ = get(client, other_gestionnaire, url(dossier, piece_file))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("state", "expected"),
    [(State.DEPOSE, 404), (State.EN_CONTROLE, 404), (State.TRANSMIS_DNF, 200),
     (State.INSCRIT_JURY, 200)],
)
def test_the_agent_dnf_once_transmitted(client, agent_dnf, deposited, state, expected):
    dossier, piece_file = deposited
    set_state(dossier, state)

    response, _ = get(client, agent_dnf, url(dossier, piece_file))

    assert response.status_code == expected


@pytest.mark.parametrize("role", ["membre_jury", "administrateur"])
def test_jury_and_administrateur_get_a_404(request, client, deposited, role):
    dossier, piece_file = deposited
    set_state(dossier, State.INSCRIT_JURY)

    response, _ = get(client, request.getfixturevalue(role), url(dossier, piece_file))

    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(client, deposited):
    dossier, piece_file = deposited
    address = url(dossier, piece_file)

    response, _ = get(client, None, address)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_a_file_of_another_dossier_is_a_404(client, auditeur, deposited):
    dossier, _ = deposited
    other_dossier, other_piece = make_dossier(auditeur, code="autre-piece")
    foreign_file = deposit(other_piece, auditeur)

    response, _ = get(client, auditeur, url(dossier, foreign_file))

    assert response.status_code == 404


def test_only_reading_is_allowed(client, auditeur, deposited):
    dossier, piece_file = deposited
    client.force_login(auditeur)

    assert client.post(url(dossier, piece_file)).status_code == 405


# --- Never inline -------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditeur", "gestionnaire", "agent_dnf"])
def test_everyone_always_gets_an_attachment_even_asking_inline(
    request, client, deposited, role
):
    # ?inline=1 once let staff view a pièce in the page; it is gone: a crafted file
    # must never be rendered in D3's origin.
    dossier, piece_file = deposited
    set_state(dossier, State.EN_CONTROLE if role == "gestionnaire" else State.TRANSMIS_DNF)

    response, _ = get(client, request.getfixturevalue(role), url(dossier, piece_file, inline=1))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Frame-Options"] == "DENY"


def test_an_unexpected_stored_type_is_sent_as_opaque_bytes(client, auditeur, deposited):
    dossier, piece_file = deposited
    type(piece_file).objects.filter(pk=piece_file.pk).update(content_type="text/html")

    response, _ = get(client, auditeur, url(dossier, piece_file))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].endswith('-diplome-prerequis-v1.bin"')



def test_a_draft_withdrawn_before_signing_stays_out_of_the_centres_reach(client, gestionnaire):
    from dossiers.models import Dossier
    from tests.dossiers.factories import DossierFactory, SignatureFactory

    draft = DossierFactory(auditeur__profile__centre=gestionnaire.centres.get(), retire=True)
    assert not Dossier.objects.visible_to(gestionnaire).filter(pk=draft.pk).exists()
    signed = DossierFactory(auditeur__profile__centre=gestionnaire.centres.get(), retire=True)
    SignatureFactory(dossier=signed)
    assert Dossier.objects.visible_to(gestionnaire).filter(pk=signed.pk).exists()
