"""The auditeur's corrections: what the centre asks for a dossier ``a_completer``, the
replacement of the flagged pièces, then a new signature (dossiers/pages/follow.py)."""

from django.http import Http404
from django.views.decorators.http import require_POST, require_safe

from d3.access import capability_required
from dossiers.uploads import bounded_uploads


@require_safe
@capability_required("auditeur_space")
def corrections(request, pk):
    raise Http404


@require_POST
@capability_required("auditeur_space")
@bounded_uploads
def correction_upload(request, pk, piece_id):
    raise Http404
