from django.urls import path

from auditeurs import attestation, personal_data_views, views

app_name = "auditeurs"

urlpatterns = [
    path("auditeur/profil/", views.profile, name="profile"),
    path("auditeur/suivi/", views.suivi, name="suivi"),
    path("auditeur/attestation-m1/", attestation.attestation_m1, name="attestation_m1"),
    path("auditeur/attestation-m1/pdf/", attestation.attestation_m1_pdf, name="attestation_m1_pdf"),
    path("auditeur/donnees-personnelles/", personal_data_views.personal_data_page,
         name="personal_data"),
    path("auditeur/donnees-personnelles/archive/", personal_data_views.personal_data_archive,
         name="personal_data_archive"),
    path("centre/", views.centre_home, name="centre_home"),
    path("centre/comptes/nouveau/", views.create_account, name="create_account"),
]
