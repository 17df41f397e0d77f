"""Serving the files of pièces, only to those who may see the dossier.

Files are never served from MEDIA_URL: each download goes through this view, which
looks the dossier up in ``Dossier.objects.visible_to(user)`` — a dossier (or a file)
the user may not see is a 404, so that its existence is not revealed.
"""

import re

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from auditeurs.models import Role
from dossiers.models import Dossier, PieceFile

# Only what check_upload lets in is ever served with its own type; anything else
# (a row edited by hand) goes out as opaque bytes.
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"
# Staff who read pièces in the browser next to their work: the centre's review, the
# jury's dossier page.
INLINE_VIEWERS = frozenset({Role.GESTIONNAIRE, Role.MEMBRE_JURY})


@require_safe
@login_required
def download_piece_file(request, dossier_id, file_id):
    """The stored file, as an attachment named by the server
    (``<reference>-<pièce type code>-v<n>.<ext>``), never by the uploader.

    ``?inline=1`` lets a gestionnaire or a jury member view it in the browser instead.
    """
    dossier = get_object_or_404(Dossier.objects.visible_to(request.user), pk=dossier_id)
    piece_file = get_object_or_404(
        PieceFile.objects.select_related("piece__piece_type"), pk=file_id, piece__dossier=dossier
    )
    content_type = piece_file.content_type
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        content_type, extension = FALLBACK_CONTENT_TYPE, "bin"
    inline = (
        request.GET.get("inline") == "1"
        and request.user.role in INLINE_VIEWERS
        and extension != "bin"
    )

    response = FileResponse(
        default_storage.open(piece_file.storage_key, "rb"),
        as_attachment=not inline,
        filename=_file_name(dossier, piece_file, extension),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    if not inline or extension != "pdf":
        # Whatever the bytes hold, a browser rendering them gets no script, no
        # same-origin access. Not on an inline PDF: Chrome refuses to run its PDF
        # viewer in a sandboxed document; its content type is checked at upload
        # and nosniff keeps the browser from guessing another one.
        response["Content-Security-Policy"] = "sandbox"
    if inline:
        # Lets the centre's and the jury's pages show the pièce in the page.
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _file_name(dossier, piece_file, extension):
    piece = piece_file.piece
    # Versions are counted in upload order, the first file of the pièce being v1.
    version = piece.files.filter(pk__lte=piece_file.pk).count()
    # The type code is catalogue data: keep it to characters safe in any file name.
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", piece.piece_type.code).strip("-") or "piece"
    return f"{dossier.reference}-{code}-v{version}.{extension}"
