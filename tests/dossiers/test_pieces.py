"""add_file / remove_file: checked before anything is stored, stored under a random
key, older versions kept, and only the auditeur of an editable dossier may do it."""

import hashlib
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers.models import Dossier, Kind, Piece, PieceFile, PieceStatus, State
from dossiers.pieces import PieceNotEditable, add_file, clean_file_name, remove_file
from dossiers.uploads import MAX_UPLOAD_SIZE, UploadRefused
from tests.concurrency import requires_postgresql
from tests.dossiers import files
from tests.factories import DiplomeFactory, PieceTypeFactory


def make_piece(auditeur, *, state=State.BROUILLON, status=PieceStatus.ATTENDUE,
               multiple_files=False, accepted_formats=("pdf", "jpeg", "png")):
    dossier = Dossier.objects.create(
        auditeur=auditeur, centre=auditeur.profile.centre, diplome=DiplomeFactory(),
        kind=Kind.DD, state=state,
    )
    piece_type = PieceTypeFactory(multiple_files=multiple_files,
                                  accepted_formats=list(accepted_formats))
    return Piece.objects.create(dossier=dossier, piece_type=piece_type, status=status)


def stored_files(settings):
    media = Path(settings.MEDIA_ROOT)
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def add_pdf(piece, user, name="diplome.pdf", content=None):
    return add_file(piece=piece, uploaded_file=files.upload(content or files.pdf_bytes(), name),
                    user=user)


# --- Refusals: nothing stored, nothing recorded ------------------------------


@pytest.mark.parametrize(
    ("content", "name", "accepted", "message_start"),
    [
        (b"", "vide.pdf", ("pdf",), "Le fichier est vide"),
        (b"%PDF-" + b"0" * MAX_UPLOAD_SIZE, "gros.pdf", ("pdf",), "Le fichier dépasse"),
        (files.EXE_BYTES, "diplome.pdf", ("pdf",), "Ce fichier n'est ni un PDF"),
        (files.HTML_BYTES, "diplome.pdf", ("pdf",), "Ce fichier n'est ni un PDF"),
        (files.SVG_BYTES, "photo.png", ("png",), "Ce fichier n'est ni un PDF"),
        (files.PNG_SIGNATURE_THEN_HTML, "photo.png", ("png",), "Cette image est illisible"),
        (files.truncated_png_bytes(), "photo.png", ("png",), "Cette image est illisible"),
        (files.corrupted_png_bytes(), "photo.png", ("png",), "Cette image est illisible"),
        (files.png_bomb_bytes(), "photo.png", ("png",), "Cette image a trop de pixels"),
        (files.encrypted_pdf_bytes(), "diplome.pdf", ("pdf",), "Ce PDF est protégé"),
        (files.garbage_pdf_bytes(), "diplome.pdf", ("pdf",), "Ce PDF est illisible"),
        (files.png_bytes(), "photo.png", ("pdf",), "Ce fichier est au format PNG. Format accepté"),
    ],
    ids=["empty", "10MB+1", "exe-renamed", "html-renamed", "svg-renamed", "png-then-html",
         "truncated-png", "corrupted-png", "bomb", "encrypted-pdf", "garbage-pdf",
         "format-not-accepted"],
)
def test_it_stores_nothing_when_the_file_is_refused(
    auditeur, settings, content, name, accepted, message_start
):
    piece = make_piece(auditeur, accepted_formats=accepted)

    with pytest.raises(UploadRefused) as caught:
        add_file(piece=piece, uploaded_file=files.upload(content, name), user=auditeur)

    assert caught.value.message.startswith(message_start)
    assert not isinstance(caught.value, PieceNotEditable)
    assert stored_files(settings) == []
    assert not PieceFile.objects.exists()
    piece.refresh_from_db()
    assert piece.status == PieceStatus.ATTENDUE


# --- Storing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (files.pdf_bytes(), "Diplôme de licence.pdf", "application/pdf"),
        (files.jpeg_bytes(), "photo.jpg", "image/jpeg"),
        (files.png_bytes(), "scan.png", "image/png"),
    ],
)
def test_it_stores_and_records_the_file(auditeur, settings, content, name, content_type):
    piece = make_piece(auditeur)

    piece_file = add_file(piece=piece, uploaded_file=files.upload(content, name), user=auditeur)

    piece_file.refresh_from_db()
    assert piece_file.piece == piece
    assert piece_file.content_type == content_type
    assert piece_file.size == len(content)
    assert piece_file.sha256 == hashlib.sha256(content).hexdigest()
    assert piece_file.original_name == name
    assert piece_file.uploaded_by == auditeur
    assert piece_file.replaced_at is None
    with default_storage.open(piece_file.storage_key, "rb") as stored:
        assert stored.read() == content
    assert len(stored_files(settings)) == 1
    piece.refresh_from_db()
    assert piece.status == PieceStatus.DEPOSEE


def test_it_stores_a_file_uploaded_to_disk(auditeur):
    content = files.pdf_bytes()
    piece = make_piece(auditeur)

    uploaded = files.temporary_upload(content)

    piece_file = add_file(piece=piece, uploaded_file=uploaded, user=auditeur)
    # The storage moved the temporary file; closing (as the request does) copes with it.
    uploaded.close()

    with default_storage.open(piece_file.storage_key, "rb") as stored:
        assert stored.read() == content


def test_the_storage_key_is_random_and_never_the_uploaded_name(auditeur):
    piece = make_piece(auditeur, multiple_files=True)

    first = add_pdf(piece, auditeur, name="mon-diplome.pdf")
    second = add_pdf(piece, auditeur, name="mon-diplome.pdf")

    assert re.fullmatch(r"pieces/[0-9a-f]{32}", first.storage_key)
    assert first.storage_key != second.storage_key
    assert "diplome" not in first.storage_key


def test_it_keeps_a_clean_original_name(auditeur):
    piece = make_piece(auditeur)

    piece_file = add_pdf(piece, auditeur, name="..\\..\\fac\u202etxt.pdf\x00\n")

    assert piece_file.original_name == "fac" + "txt.pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("releve.pdf", "releve.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\jeanne\\diplôme.pdf", "diplôme.pdf"),
        ("bul\x00le\ttin\r\n.pdf", "bulletin.pdf"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("", "fichier"),
        ("..", "fichier"),
        ("e\u0301te\u0301.png", "été.png"),
    ],
)
def test_clean_file_name(name, expected):
    assert clean_file_name(name) == expected


def test_clean_file_name_keeps_the_extension_of_a_long_name():
    cleaned = clean_file_name("a" * 400 + ".pdf")

    assert len(cleaned) == 255
    assert cleaned.endswith("a.pdf")


@requires_postgresql
def test_it_locks_the_dossier_row(auditeur):
    piece = make_piece(auditeur)

    with CaptureQueriesContext(connection) as queries:
        add_pdf(piece, auditeur)

    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert 'FOR UPDATE OF "dossiers_dossier"' in locking[0]


def test_it_touches_the_dossier(auditeur):
    piece = make_piece(auditeur)
    before = piece.dossier.updated_at

    add_pdf(piece, auditeur)

    piece.dossier.refresh_from_db()
    assert piece.dossier.updated_at > before


def test_a_failed_transaction_leaves_no_stored_file(auditeur, settings, monkeypatch):
    piece = make_piece(auditeur)

    def failing_create(**kwargs):
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(PieceFile.objects, "create", failing_create)

    with pytest.raises(RuntimeError):
        add_pdf(piece, auditeur)

    assert stored_files(settings) == []
    piece.refresh_from_db()
    assert piece.status == PieceStatus.ATTENDUE


# --- Versions ----------------------------------------------------------------


def test_replacing_keeps_the_previous_version(auditeur, settings):
    piece = make_piece(auditeur)
    first = add_pdf(piece, auditeur, name="v1.pdf")

    second = add_pdf(piece, auditeur, name="v2.pdf", content=files.pdf_bytes(pages=2))

    first.refresh_from_db()
    assert first.replaced_at is not None
    assert second.replaced_at is None
    assert default_storage.exists(first.storage_key)
    assert default_storage.exists(second.storage_key)
    assert len(stored_files(settings)) == 2
    assert list(piece.files.filter(replaced_at__isnull=True)) == [second]


def test_a_multiple_files_type_keeps_every_file_current(auditeur):
    piece = make_piece(auditeur, multiple_files=True)

    first = add_pdf(piece, auditeur)
    second = add_file(piece=piece, uploaded_file=files.upload(files.png_bytes(), "b.png"),
                      user=auditeur)

    assert list(piece.files.filter(replaced_at__isnull=True)) == [first, second]


# --- Who may change a pièce, and when ------------------------------------------


@pytest.mark.parametrize("status", [PieceStatus.ERRONEE, PieceStatus.MANQUANTE])
def test_a_flagged_piece_can_be_replaced_when_a_completer(auditeur, status):
    piece = make_piece(auditeur, state=State.A_COMPLETER, status=status)

    add_pdf(piece, auditeur)

    piece.refresh_from_db()
    assert piece.status == PieceStatus.DEPOSEE


@pytest.mark.parametrize("status", [PieceStatus.CONFORME, PieceStatus.DEPOSEE,
                                    PieceStatus.ATTENDUE])
def test_a_piece_not_flagged_cannot_be_replaced_when_a_completer(auditeur, settings, status):
    piece = make_piece(auditeur, state=State.A_COMPLETER, status=status)

    with pytest.raises(PieceNotEditable) as caught:
        add_pdf(piece, auditeur)

    assert caught.value.message.startswith("Cette pièce ne peut plus être modifiée")
    assert stored_files(settings) == []
    assert not PieceFile.objects.exists()


def test_a_piece_replaced_during_the_corrections_can_be_replaced_again(auditeur):
    piece = make_piece(auditeur, state=State.A_COMPLETER, status=PieceStatus.ERRONEE)
    Dossier.objects.filter(pk=piece.dossier_id).update(
        state_changed_at=timezone.now() - timezone.timedelta(days=1)
    )
    piece.dossier.refresh_from_db()
    add_pdf(piece, auditeur, name="correction.pdf")

    again = add_pdf(piece, auditeur, name="correction-bis.pdf")

    assert list(piece.files.filter(replaced_at__isnull=True)) == [again]


def test_a_piece_deposited_before_the_corrections_stays_locked(auditeur):
    piece = make_piece(auditeur, state=State.A_COMPLETER, status=PieceStatus.DEPOSEE)
    PieceFile.objects.create(
        piece=piece, storage_key="pieces/ancien", original_name="ancien.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, uploaded_by=auditeur,
    )
    # The dossier entered a_completer after that file was deposited.
    Dossier.objects.filter(pk=piece.dossier_id).update(
        state_changed_at=timezone.now() + timezone.timedelta(seconds=1)
    )
    piece.dossier.refresh_from_db()

    with pytest.raises(PieceNotEditable):
        add_pdf(piece, auditeur)


@pytest.mark.parametrize(
    "state", [s for s in State if s not in (State.BROUILLON, State.A_COMPLETER)]
)
def test_a_signed_dossier_is_read_only(auditeur, settings, state):
    piece = make_piece(auditeur, state=state, status=PieceStatus.ERRONEE)

    with pytest.raises(PieceNotEditable, match="le dossier a été signé"):
        add_pdf(piece, auditeur)

    assert stored_files(settings) == []


@pytest.mark.parametrize("intruder", ["other_auditeur", "gestionnaire", "agent_dnf"])
def test_only_the_auditeur_of_the_dossier_may_add_files(request, auditeur, settings, intruder):
    piece = make_piece(auditeur)

    with pytest.raises(PieceNotEditable, match="Vous ne pouvez pas modifier"):
        add_pdf(piece, request.getfixturevalue(intruder))

    assert stored_files(settings) == []
    assert not PieceFile.objects.exists()


def test_the_check_under_the_lock_sees_a_verdict_given_meanwhile(auditeur, settings):
    piece = make_piece(auditeur, state=State.A_COMPLETER, status=PieceStatus.ERRONEE)
    # The centre marks it conforme after the page was loaded: the stale instance
    # still says erronee, the locked re-read does not.
    Piece.objects.filter(pk=piece.pk).update(status=PieceStatus.CONFORME)

    with pytest.raises(PieceNotEditable):
        add_pdf(piece, auditeur)

    assert stored_files(settings) == []


# --- Removing a file of a multiple-files pièce ---------------------------------


def test_removing_a_file_keeps_it_stored(auditeur):
    piece = make_piece(auditeur, multiple_files=True)
    first = add_pdf(piece, auditeur)
    second = add_pdf(piece, auditeur)

    remove_file(piece_file=first, user=auditeur)

    first.refresh_from_db()
    assert first.replaced_at is not None
    assert default_storage.exists(first.storage_key)
    assert list(piece.files.filter(replaced_at__isnull=True)) == [second]
    piece.refresh_from_db()
    assert piece.status == PieceStatus.DEPOSEE


def test_removing_the_last_file_of_a_draft_makes_the_piece_attendue(auditeur):
    piece = make_piece(auditeur, multiple_files=True)
    only = add_pdf(piece, auditeur)

    remove_file(piece_file=only, user=auditeur)

    piece.refresh_from_db()
    assert piece.status == PieceStatus.ATTENDUE


def test_removing_the_last_file_of_a_flagged_piece_makes_it_manquante(auditeur):
    piece = make_piece(auditeur, state=State.A_COMPLETER, status=PieceStatus.ERRONEE,
                       multiple_files=True)
    PieceFile.objects.create(
        piece=piece, storage_key="pieces/errone", original_name="errone.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, uploaded_by=auditeur,
    )

    remove_file(piece_file=piece.files.get(), user=auditeur)

    piece.refresh_from_db()
    assert piece.status == PieceStatus.MANQUANTE


def test_a_file_cannot_be_removed_twice(auditeur):
    piece = make_piece(auditeur, multiple_files=True)
    piece_file = add_pdf(piece, auditeur)
    remove_file(piece_file=piece_file, user=auditeur)

    with pytest.raises(UploadRefused, match="déjà été remplacé ou retiré"):
        remove_file(piece_file=PieceFile.objects.get(pk=piece_file.pk), user=auditeur)


def test_the_file_of_a_single_file_piece_is_replaced_not_removed(auditeur):
    piece = make_piece(auditeur)
    piece_file = add_pdf(piece, auditeur)

    with pytest.raises(UploadRefused, match="ne peut pas être retiré"):
        remove_file(piece_file=piece_file, user=auditeur)


def test_no_one_else_removes_a_file(auditeur, other_auditeur):
    piece = make_piece(auditeur, multiple_files=True)
    piece_file = add_pdf(piece, auditeur)

    with pytest.raises(PieceNotEditable):
        remove_file(piece_file=piece_file, user=other_auditeur)

    piece_file.refresh_from_db()
    assert piece_file.replaced_at is None


def test_no_file_is_removed_from_a_signed_dossier(auditeur):
    piece = make_piece(auditeur, multiple_files=True)
    piece_file = add_pdf(piece, auditeur)
    Dossier.objects.filter(pk=piece.dossier_id).update(state=State.DEPOSE)

    with pytest.raises(PieceNotEditable):
        remove_file(piece_file=piece_file, user=auditeur)
