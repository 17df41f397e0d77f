from django.urls import path

from dossiers import downloads, simulator
from dossiers.pages import follow

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
from dossiers.pages import edit, start  # noqa: E402

urlpatterns += [
    path("dossiers/nouveau/", start.start, name="start"),
    path("dossiers/nouveau/<int:diplome_id>/", start.start_kind, name="start_kind"),
    path("dossiers/<int:pk>/prerequis/", edit.edit_prerequisite, name="edit_prerequisite"),
    path("dossiers/<int:pk>/experience/", edit.edit_periods, name="edit_periods"),
    path("dossiers/<int:pk>/experience/apercu/", edit.assessment_preview,
         name="assessment_preview"),
    path("dossiers/<int:pk>/experience/<int:period_id>/", edit.period_edit,
         name="period_edit"),
    path("dossiers/<int:pk>/experience/<int:period_id>/supprimer/", edit.period_delete,
         name="period_delete"),
    path("dossiers/<int:pk>/pieces/", edit.edit_pieces, name="edit_pieces"),
    path("dossiers/<int:pk>/pieces/<int:piece_id>/deposer/", edit.piece_upload,
         name="piece_upload"),
    path("dossiers/<int:pk>/pieces/fichiers/<int:file_id>/retirer/", edit.piece_file_remove,
         name="piece_file_remove"),
]

# Following a dossier, signing, withdrawing (dossiers/pages/follow.py).
urlpatterns += [
    path("dossiers/<int:pk>/", follow.detail, name="detail"),
    path("dossiers/<int:pk>/recapitulatif/", follow.recapitulatif, name="recapitulatif"),
    path("dossiers/<int:pk>/signer/", follow.sign, name="sign"),
    path("dossiers/<int:pk>/retirer/", follow.withdraw, name="withdraw"),
    path("dossiers/<int:pk>/recapitulatif-signe/", follow.signed_pdf, name="signed_pdf"),
    path("dossiers/<int:pk>/courrier/", follow.courrier_pdf, name="courrier_pdf"),
]

# The auditeur's corrections (dossiers/pages/corrections.py).
from dossiers.pages import corrections  # noqa: E402

urlpatterns += [
    path("dossiers/<int:pk>/corrections/", corrections.corrections, name="corrections"),
    path("dossiers/<int:pk>/corrections/<int:piece_id>/deposer/", corrections.correction_upload,
         name="correction_upload"),
    path("dossiers/<int:pk>/corrections/fichiers/<int:file_id>/retirer/",
         corrections.correction_file_remove, name="correction_file_remove"),
]

# The centre's review (dossiers/pages/centre.py).
from dossiers.pages import centre  # noqa: E402

urlpatterns += [
    path("centre/dossiers/", centre.queue_page, name="centre_queue"),
    path("centre/dossiers/export.csv", centre.export, name="centre_export"),
    path("centre/dossiers/<int:pk>/", centre.dossier_page, name="centre_dossier"),
    path("centre/dossiers/<int:pk>/prendre/", centre.take, name="centre_take"),
    path("centre/dossiers/<int:pk>/reprendre/", centre.take_over, name="centre_take_over"),
    path("centre/dossiers/<int:pk>/pieces/<int:piece_id>/avis/", centre.piece_verdict,
         name="centre_piece_verdict"),
    path("centre/dossiers/<int:pk>/corrections/", centre.ask_corrections,
         name="centre_ask_corrections"),
    path("centre/dossiers/<int:pk>/transmettre/", centre.declare_complete,
         name="centre_declare_complete"),
    path("centre/dossiers/<int:pk>/irrecevable/", centre.declare_inadmissible,
         name="centre_declare_inadmissible"),
    path("centre/dossiers/<int:pk>/notes/", centre.add_note, name="centre_add_note"),
]
