"""The auditeur's page « Mes données personnelles » and the download of the archive
(:mod:`auditeurs.personal_data` builds it)."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from auditeurs import personal_data
from d3 import ratelimits
from d3.access import capability_required
from dossiers.downloads import attachment
from dossiers.models import Dossier


TOO_MANY_ARCHIVES = (
    "Vous avez demandé votre archive de nombreuses fois en peu de temps : réessayez dans "
    "une heure. Les données ne changent pas d'une demande à l'autre."
)


@require_safe
@capability_required("auditeur_space")
def personal_data_page(request):
    return _page(request)


def _page(request, *, error="", status=200):
    return render(
        request,
        "auditeurs/donnees_personnelles.html",
        {"dossier_count": Dossier.objects.visible_to(request.user).count(), "error": error},
        status=status,
    )


@require_safe
@capability_required("auditeur_space")
def personal_data_archive(request):
    """The archive of the user's own data: there is no one else's to ask for."""
    # Each archive copies every file of the auditeur: a few an hour are enough.
    if not ratelimits.hit("personal_data_archive", ratelimits.user_key(request)):
        return _page(request, error=TOO_MANY_ARCHIVES, status=429)
    archive = personal_data.build_archive(request.user)
    # FileResponse reads the temporary file in chunks and closes (deletes) it at the end.
    return attachment(
        archive, filename=personal_data.archive_file_name(request.user),
        content_type="application/zip",
    )
