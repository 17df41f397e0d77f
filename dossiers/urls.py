from django.urls import path

from dossiers import downloads, simulator

app_name = "dossiers"

urlpatterns = [
    path("simulateur/", simulator.simulateur, name="simulateur"),
    path(
        "dossiers/<int:dossier_id>/fichiers/<int:file_id>/",
        downloads.download_piece_file,
        name="piece_file",
    ),
]
