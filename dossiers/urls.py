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

# Starting a request and filling in a draft (dossiers/pages/start.py, dossiers/pages/edit.py).
urlpatterns += []

# Following a dossier, signing, withdrawing (dossiers/pages/follow.py).
urlpatterns += []
