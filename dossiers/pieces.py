"""Storing and replacing the files of a pièce.

Files are checked (:mod:`dossiers.uploads`), written to the default storage under
a random key, then recorded in one transaction that locks the dossier. Nothing is
ever overwritten or deleted once recorded: a replaced or removed file keeps its
row (``replaced_at`` set) and its stored bytes.
"""

import os
import unicodedata
import uuid

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dossiers import antivirus, orphans
from dossiers.models import Dossier, Piece, PieceFile, PieceStatus, State
from dossiers.uploads import UploadRefused, check_upload

MAX_NAME_LENGTH = 255  # PieceFile.original_name


class PieceNotEditable(UploadRefused):
    """The user may not change this pièce now (not the owner, dossier signed, pièce
    not flagged). A subclass so that views may tell it from a bad file."""


def add_file(*, piece, uploaded_file, user):
    """Check, store and record ``uploaded_file`` as a new file of ``piece``.

    The pièce becomes ``deposee``. Unless its type allows several files, the
    current file (if any) is marked replaced and kept. Raises
    :class:`~dossiers.uploads.UploadRefused` (bad file) or
    :class:`PieceNotEditable`; in both cases nothing is stored or recorded.

    Called inside an outer transaction that later rolls back, or if the storage
    cannot delete the file when the transaction fails, the stored file is left
    behind unreferenced: :mod:`dossiers.orphans` removes it a day later.
    """
    checked = check_upload(uploaded_file, piece.piece_type.accepted_formats)
    # Unlocked pre-check, so that a refused user does not cost a storage write;
    # the check that counts is repeated under the lock below.
    _check_editable(piece.dossier, piece, user)

    # The key is random: nothing the user chose reaches the storage path.
    storage_key = default_storage.save(f"pieces/{uuid.uuid4().hex}", uploaded_file)
    try:
        with transaction.atomic():
            dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=piece.dossier_id)
            # Verdicts change pièce statuses under the same dossier lock: re-read it.
            piece.refresh_from_db(fields=["status"])
            _check_editable(dossier, piece, user)
            now = timezone.now()
            if not piece.piece_type.multiple_files:
                piece.files.filter(replaced_at__isnull=True).update(replaced_at=now)
            piece_file = PieceFile.objects.create(
                piece=piece,
                storage_key=storage_key,
                original_name=clean_file_name(getattr(uploaded_file, "name", "") or ""),
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=user,
                scan_status=antivirus.initial_status(),
            )
            antivirus.schedule_scan(piece_file)
            piece.status = PieceStatus.DEPOSEE
            piece.save(update_fields=["status"])
            # Touching the dossier: "untouched draft" reminders go by updated_at.
            dossier.save(update_fields=["updated_at"])
    except BaseException:
        # Nothing references the stored bytes: do not leave them behind.
        orphans.discard(storage_key)
        raise
    piece.dossier = dossier
    return piece_file


def remove_file(*, piece_file, user):
    """Withdraw one file of a pièce whose type allows several files.

    The row and the stored bytes are kept (``replaced_at`` set). The pièce stays
    ``deposee`` while it has other files; without any it goes back to
    ``attendue`` in a draft, ``manquante`` in a dossier à compléter.
    Raises :class:`PieceNotEditable` or :class:`~dossiers.uploads.UploadRefused`.
    """
    piece = piece_file.piece
    if not piece.piece_type.multiple_files:
        raise UploadRefused(
            "Ce fichier ne peut pas être retiré : déposez un nouveau fichier pour le remplacer."
        )
    with transaction.atomic():
        dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=piece.dossier_id)
        piece.refresh_from_db(fields=["status"])
        _check_editable(dossier, piece, user)
        now = timezone.now()
        withdrawn = PieceFile.objects.filter(
            pk=piece_file.pk, piece=piece, replaced_at__isnull=True
        ).update(replaced_at=now)
        if not withdrawn:
            raise UploadRefused("Ce fichier a déjà été remplacé ou retiré.")
        piece_file.replaced_at = now
        if piece.files.filter(replaced_at__isnull=True).exists():
            piece.status = PieceStatus.DEPOSEE
        elif dossier.state == State.BROUILLON:
            piece.status = PieceStatus.ATTENDUE
        else:
            piece.status = PieceStatus.MANQUANTE
        piece.save(update_fields=["status"])
        dossier.save(update_fields=["updated_at"])


def can_edit_piece(dossier, piece):
    """Whether the auditeur may change ``piece``'s files in ``dossier``'s current state.

    In a draft, any pièce. In a dossier à compléter, the pièces the centre flagged
    (``erronee``/``manquante``) — and those already re-deposited during this round
    of corrections, so that a mistaken replacement can itself be replaced.
    Everything else is read-only once signed.
    """
    if dossier.state == State.BROUILLON:
        return True
    if dossier.state != State.A_COMPLETER:
        return False
    if piece.status in (PieceStatus.ERRONEE, PieceStatus.MANQUANTE):
        return True
    # Only flagged pièces can change during the round, so a file changed since the
    # dossier entered a_completer marks a pièce that was flagged in this round.
    since = dossier.state_changed_at
    return piece.status == PieceStatus.DEPOSEE and piece.files.filter(
        Q(uploaded_at__gte=since) | Q(replaced_at__gte=since)
    ).exists()


def _check_editable(dossier, piece, user):
    if user.pk != dossier.auditeur_id:
        raise PieceNotEditable("Vous ne pouvez pas modifier les pièces de ce dossier.")
    if not can_edit_piece(dossier, piece):
        if dossier.state == State.A_COMPLETER:
            raise PieceNotEditable(
                "Cette pièce ne peut plus être modifiée : seules les pièces signalées "
                "erronées ou manquantes peuvent être remplacées."
            )
        raise PieceNotEditable(
            "Cette pièce ne peut plus être modifiée : le dossier a été signé et déposé."
        )


def clean_file_name(name):
    """The uploaded name as shown to staff: no path, no control or invisible
    characters (a right-to-left override can disguise an extension), at most
    255 characters with the extension kept."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = name.strip().strip(".").strip()
    if not name:
        return "fichier"
    if len(name) > MAX_NAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: MAX_NAME_LENGTH - len(ext)] + ext
    return name
