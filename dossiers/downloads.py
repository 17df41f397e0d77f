"""Serving files: the pièces of a dossier, only to those who may see it, and the
headers every file D3 sends carries.

Files are never served from MEDIA_URL: each pièce download goes through
:func:`download_piece_file`, which looks the dossier up in
``Dossier.objects.visible_to(user)`` — a dossier (or a file) the user may not see is
a 404, so that its existence is not revealed.

Every file D3 serves (pièces, signed récapitulatif, courriers, PV, attestation,
CSV export) goes out through :func:`attachment`: always as an attachment named by
the server, never displayed in the browser. A file shown in the page (``inline``)
would run in D3's origin with whatever a crafted upload holds; an attachment is
saved and opened by the user's own viewer, outside the site.
"""

import re

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from auditeurs.models import Role
from d3.audit.record import Action, get_visible_or_404, record
from dossiers.models import Dossier, PieceFile

# Only what check_upload lets in is ever served with its own type; anything else
# (a row edited by hand) goes out as opaque bytes.
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name):
    """``name`` reduced to ASCII letters, digits, ``.``, ``_`` and ``-``: what any
    browser and file system takes as is, without quoting or encoding tricks."""
    return _UNSAFE_IN_NAME.sub("-", name).strip("-.") or "fichier"


def attachment(content, *, filename, content_type, response_class=FileResponse):
    """A response that makes the browser save ``content`` as ``filename``.

    ``content``: bytes, a file object or (with ``StreamingHttpResponse``) an iterator.
    The headers: ``Content-Disposition: attachment`` with a server-made name;
    ``nosniff`` so that the declared type is the only one a browser considers;
    ``no-store, private`` so that no cache (shared or the browser's) keeps personal
    data; a sandboxing CSP in case a browser displays it all the same.
    """
    filename = safe_file_name(filename)
    if response_class is FileResponse:
        response = FileResponse(
            content, as_attachment=True, filename=filename, content_type=content_type
        )
    else:
        response = response_class(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "sandbox"
    return response


@require_safe
@login_required
def download_piece_file(request, dossier_id, file_id):
    """The stored file, as an attachment named by the server
    (``<reference>-<pièce type code>-v<n>.<ext>``), never by the uploader.

    A file not usable yet (antivirus scan pending) or refused (infected, its bytes
    deleted) is a 404 to everyone: see :mod:`dossiers.antivirus`.
    """
    dossier = get_visible_or_404(request, Dossier.objects.visible_to(request.user),
                                 pk=dossier_id)
    piece_file = get_visible_or_404(
        request,
        PieceFile.objects.usable().filter(piece__dossier=dossier)
        .select_related("piece__piece_type"),
        pk=file_id,
    )
    content_type = piece_file.content_type
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        content_type, extension = FALLBACK_CONTENT_TYPE, "bin"
    try:
        stream = default_storage.open(piece_file.storage_key, "rb")
    except FileNotFoundError:
        raise Http404("Fichier introuvable.") from None
    if request.user.role != Role.AUDITEUR:
        # Every pièce a member of staff takes out of D3 is in the audit trail.
        record(request, Action.TELECHARGEMENT_PIECE, obj=piece_file)
    return attachment(
        stream, filename=_file_name(dossier, piece_file, extension), content_type=content_type
    )


def _file_name(dossier, piece_file, extension):
    piece = piece_file.piece
    # Versions are counted in upload order, the first file of the pièce being v1.
    version = piece.files.filter(pk__lte=piece_file.pk).count()
    # The type code is catalogue data: keep it to characters safe in any file name.
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", piece.piece_type.code).strip("-") or "piece"
    return f"{dossier.reference}-{code}-v{version}.{extension}"
