"""The auditeur's corrections: what the centre asks for a dossier ``a_completer``, and
the replacement of the pièces it flagged. Signing again is the récapitulatif's work
(dossiers/pages/follow.py), which this page leads to.

Only the dossier's own auditeur gets here (another dossier is a 404, staff a 403);
a dossier that is not, or no longer, à compléter sends back to its page with a
message. Which pièce may be replaced is decided by :func:`dossiers.pieces.add_file`
under the dossier's lock; the page only shows the upload forms where it would agree.
"""

from functools import wraps

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from d3.access import capability_required
from d3.audit.record import get_visible_or_404
from dossiers.antivirus import refused_files
from dossiers.models import Piece, PieceFile, PieceStatus, State
from dossiers.pages.edit import (
    ACCEPTS,
    FILE_FIELD,
    STATUS_BADGES,
    owned_dossiers,
    store_posted_file,
)
from dossiers.pieces import PieceNotEditable, remove_file
from dossiers.uploads import (
    MAX_UPLOAD_SIZE,
    UploadRefused,
    accepted_formats_message,
    bounded_uploads,
)

FLAGGED_STATUSES = (PieceStatus.ERRONEE, PieceStatus.MANQUANTE)


def corrections_page(view):
    """The auditeur's own dossier ``pk``, à compléter, passed to ``view`` instead of ``pk``.

    Installs no parsing of the body, so that :func:`bounded_uploads` may come below it.
    """

    @capability_required("auditeur_space")
    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        dossier = get_visible_or_404(
            request, owned_dossiers(request.user).select_related("diplome", "centre"), pk=pk
        )
        if dossier.state != State.A_COMPLETER:
            return _not_awaiting_corrections(request, dossier)
        return view(request, dossier, *args, **kwargs)

    return wrapper


def _not_awaiting_corrections(request, dossier):
    messages.info(
        request,
        f"Le dossier {dossier.reference} est « {dossier.get_state_display()} » : aucune "
        "correction ne vous est demandée pour le moment.",
    )
    return redirect("dossiers:detail", pk=dossier.pk)


def changed_this_round(dossier, files):
    """Whether one of ``files`` (a pièce's, all versions) was deposited or replaced
    since the dossier became à compléter: a pièce flagged in this round and already
    re-deposited, which :func:`dossiers.pieces.can_edit_piece` still lets the auditeur
    replace. Works on prefetched files, so that a page of pièces costs no query each."""
    since = dossier.state_changed_at
    return any(
        f.uploaded_at >= since or (f.replaced_at is not None and f.replaced_at >= since)
        for f in files
    )


def deadline_context(dossier, today=None):
    """The date the centre gave for the corrections, and whether it is past."""
    due = dossier.corrections_due
    today = today or timezone.localdate()
    return {"corrections_due": due, "deadline_passed": due is not None and due < today}


def _rows(dossier):
    files = Prefetch("files", queryset=PieceFile.objects.order_by("uploaded_at", "pk"))
    pieces = dossier.pieces.select_related("piece_type").prefetch_related(files)
    asked, others = [], []
    for piece in pieces:
        piece_type = piece.piece_type
        all_files = list(piece.files.all())
        flagged = piece.status in FLAGGED_STATUSES
        replaced = (not flagged and piece.status == PieceStatus.DEPOSEE
                    and changed_this_round(dossier, all_files))
        row = {
            "piece": piece,
            "type": piece_type,
            "badge": STATUS_BADGES.get(piece.status, "badge--info"),
            "replaced": replaced,
            "current": [f for f in all_files if f.replaced_at is None],
            # Most recent first: what was replaced last is the one looked for.
            "previous": [f for f in reversed(all_files) if f.replaced_at is not None],
            "refused": refused_files(all_files),
        }
        if flagged or replaced:
            row["formats"] = accepted_formats_message(piece_type.accepted_formats)
            row["accept"] = ",".join(
                ACCEPTS[f] for f in piece_type.accepted_formats if f in ACCEPTS
            )
            asked.append(row)
        else:
            others.append(row)
    return asked, others


@require_safe
@corrections_page
def corrections(request, dossier):
    asked, others = _rows(dossier)
    return render(request, "dossiers/corrections.html", {
        "dossier": dossier,
        "asked_rows": asked,
        "other_rows": others,
        "still_flagged": sum(1 for row in asked if not row["replaced"]),
        "file_field": FILE_FIELD,
        "max_size_mb": MAX_UPLOAD_SIZE // (1024 * 1024),
        **deadline_context(dossier),
    })


@require_POST
@corrections_page
@bounded_uploads
def correction_upload(request, dossier, piece_id):
    piece = get_object_or_404(
        Piece.objects.select_related("piece_type", "dossier"), pk=piece_id, dossier=dossier
    )
    label = piece.piece_type.label
    try:
        store_posted_file(
            request, piece,
            then=" Une fois vos corrections terminées, relisez le récapitulatif et signez "
                 "à nouveau votre dossier.",
        )
    except PieceNotEditable as exc:
        piece.dossier.refresh_from_db(fields=["state"])
        if piece.dossier.state != State.A_COMPLETER:
            return _not_awaiting_corrections(request, piece.dossier)
        messages.error(request, f"« {label} » : {exc.message}")
    except UploadRefused as exc:
        messages.error(request, f"« {label} » : fichier refusé. {exc.message}")
    return redirect(_piece_anchor(dossier, piece))


@require_POST
@corrections_page
def correction_file_remove(request, dossier, file_id):
    """Withdraw one file of a flagged pièce that holds several (a wrong attestation
    among good ones); the file is kept, marked withdrawn."""
    piece_file = get_object_or_404(
        PieceFile.objects.select_related("piece__piece_type", "piece__dossier"),
        pk=file_id, piece__dossier=dossier,
    )
    piece = piece_file.piece
    try:
        remove_file(piece_file=piece_file, user=request.user)
    except PieceNotEditable as exc:
        dossier.refresh_from_db(fields=["state"])
        if dossier.state != State.A_COMPLETER:
            return _not_awaiting_corrections(request, dossier)
        messages.error(request, f"« {piece.piece_type.label} » : {exc.message}")
    except UploadRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Le fichier « {piece_file.original_name} » est retiré de la pièce "
            f"« {piece.piece_type.label} ».",
        )
    return redirect(_piece_anchor(dossier, piece))


def _piece_anchor(dossier, piece):
    return f"{reverse('dossiers:corrections', args=[dossier.pk])}#piece-{piece.pk}"
