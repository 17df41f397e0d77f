"""Hostile uploads through the real pages (the draft's pièces step and the corrections
page): each is refused with a French message and leaves nothing behind — no row, no
file in the storage, no temporary file of the upload handler.

Rules decided (see dossiers/uploads.py): a file is judged by its bytes, never its name
or declared type; an image must be read by Pillow and nothing but zero bytes may follow
its end marker; a request carries one file at most; the uploaded name is only ever
displayed, cleaned, and the storage key is random.
"""

import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Dossier, PieceFile, PieceStatus, State
from dossiers.uploads import MAX_UPLOAD_SIZE
from tests.dossiers import files
from tests.dossiers.factories import DossierFactory, PieceFactory
from tests.factories import PieceTypeFactory

pytestmark = pytest.mark.django_db

ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 48

NOT_A_DOCUMENT = "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG"
UNREADABLE_IMAGE = "Cette image est illisible ou endommagée"
TRAILING_DATA = "Cette image contient d'autres données après sa fin"

HOSTILE = {
    # name: (content, uploaded name, declared type, start of the French reason)
    "elf-executable": (ELF_BYTES, "diplome.pdf", "application/pdf", NOT_A_DOCUMENT),
    "pe-executable": (files.EXE_BYTES, "diplome.pdf", "application/pdf", NOT_A_DOCUMENT),
    "html-renamed-pdf": (files.HTML_BYTES, "diplome.pdf", "application/pdf", NOT_A_DOCUMENT),
    "svg-renamed-pdf": (files.SVG_BYTES, "diplome.pdf", "application/pdf", NOT_A_DOCUMENT),
    "png-signature-then-html": (files.PNG_SIGNATURE_THEN_HTML, "scan.png", "image/png",
                                UNREADABLE_IMAGE),
    "png-with-html-after-iend": (files.png_bytes() + files.HTML_BYTES, "scan.png",
                                 "image/png", TRAILING_DATA),
    "jpeg-with-html-after-eoi": (files.jpeg_bytes() + files.HTML_BYTES, "photo.jpg",
                                 "image/jpeg", TRAILING_DATA),
    "decompression-bomb": (files.png_bomb_bytes(30000, 30000), "scan.png", "image/png",
                           "Cette image a trop de pixels"),
    "empty": (b"", "vide.pdf", "application/pdf", "Le fichier est vide."),
    "over-10-mb": (b"%PDF-1.7\n" + b"0" * MAX_UPLOAD_SIZE, "gros.pdf", "application/pdf",
                   "Le fichier dépasse la taille maximale de 10 Mo."),
    "encrypted-pdf": (files.encrypted_pdf_bytes(), "diplome.pdf", "application/pdf",
                      "Ce PDF est protégé par un mot de passe ou chiffré"),
}


@pytest.fixture(autouse=True)
def upload_temp_dir(settings, tmp_path):
    """Where the upload handler writes files as they arrive: checked empty afterwards."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _piece_type():
    return PieceTypeFactory(code="prerequis", label="Copie du diplôme prérequis")


@pytest.fixture
def draft(auditeur):
    dossier = DossierFactory(auditeur=auditeur, brouillon=True)
    piece = PieceFactory(dossier=dossier, piece_type=_piece_type())
    return "piece_upload", dossier, piece


@pytest.fixture
def corrections(auditeur):
    dossier = DossierFactory(auditeur=auditeur, en_controle=True, signable=False)
    piece = PieceFactory(dossier=dossier, status=PieceStatus.MANQUANTE,
                         comment="Le diplôme manque.", piece_type=_piece_type())
    Dossier.objects.filter(pk=dossier.pk).update(state=State.A_COMPLETER,
                                                 state_changed_at=timezone.now())
    return "correction_upload", dossier, piece


@pytest.fixture(params=["draft", "corrections"])
def page(request, client, auditeur):
    client.force_login(auditeur)
    return request.getfixturevalue(request.param)


def stored(settings):
    """Every file under the media root (pièces, anything else)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def post(client, page, data, **headers):
    name, dossier, piece = page
    return client.post(reverse(f"dossiers:{name}", args=[dossier.pk, piece.pk]), data,
                       **headers)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_and_nothing_is_kept(
    client, settings, page, upload_temp_dir, case
):
    content, name, content_type, reason = HOSTILE[case]
    _, dossier, piece = page
    before = stored(settings)

    response = post(client, page, {"fichier": files.upload(content, name, content_type)})

    assert response.status_code == 302
    assert response["Location"].endswith(f"#piece-{piece.pk}")
    [message] = messages_of(response)
    assert message.startswith("« Copie du diplôme prérequis » : fichier refusé. ")
    assert reason in message
    assert not PieceFile.objects.exists()
    assert stored(settings) == before
    assert list(upload_temp_dir.iterdir()) == []
    piece.refresh_from_db()
    assert piece.status in (PieceStatus.ATTENDUE, PieceStatus.MANQUANTE)


def test_more_files_than_a_form_sends_get_a_french_page_and_nothing_is_kept(
    client, settings, page, upload_temp_dir
):
    before = stored(settings)
    address = reverse("dossiers:edit_pieces", args=[page[1].pk])

    response = post(client, page, {
        "fichier": files.upload(files.pdf_bytes(), "a.pdf"),
        "autre": files.upload(files.pdf_bytes(), "b.pdf"),
    }, HTTP_REFERER="http://testserver" + address)

    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "<h1>Fichier refusé</h1>" in html
    assert "Un seul fichier peut être déposé à la fois" in html
    assert f'href="http://testserver{address}">Revenir à vos pièces' in html
    assert not PieceFile.objects.exists()
    assert stored(settings) == before
    assert list(upload_temp_dir.iterdir()) == []


def test_a_foreign_referer_is_not_offered_as_the_way_back(client, draft, auditeur):
    client.force_login(auditeur)
    _, dossier, piece = draft

    response = client.post(
        reverse("dossiers:piece_upload", args=[dossier.pk, piece.pk]),
        {"fichier": files.upload(files.pdf_bytes(), "a.pdf"),
         "autre": files.upload(files.pdf_bytes(), "b.pdf")},
        HTTP_REFERER="https://evil.example/phishing",
    )

    assert response.status_code == 400
    assert "evil.example" not in response.content.decode()


def test_a_name_with_a_path_and_control_characters_is_stored_cleaned(
    client, settings, page
):
    _, dossier, piece = page
    hostile = "../../etc/\x1b[31mpass\x00wd\u202efdp.exe\t.pdf"

    response = post(client, page, {"fichier": files.upload(files.pdf_bytes(), hostile)})

    assert response.status_code == 302
    piece_file = PieceFile.objects.get()
    # No directory, no control or invisible character (the right-to-left override
    # that would show "exe.pdf" as "fdp.exe"…); only ever displayed.
    assert piece_file.original_name == "[31mpasswdfdp.exe.pdf"
    # The storage key is random: nothing of the name reaches the path.
    assert re.fullmatch(r"pieces/[0-9a-f]{32}", piece_file.storage_key)
    assert stored(settings) == [piece_file.storage_key]
    [message] = messages_of(response)
    assert "« [31mpasswdfdp.exe.pdf »" in message


def test_a_valid_file_still_goes_through_both_pages(client, settings, page, upload_temp_dir):
    response = post(client, page, {"fichier": files.upload(files.png_bytes(), "scan.png")})

    assert response.status_code == 302
    assert PieceFile.objects.get().content_type == "image/png"
    assert list(upload_temp_dir.iterdir()) == []
