from django.urls import path

from dossiers import simulator

app_name = "dossiers"

urlpatterns = [
    path("simulateur/", simulator.simulateur, name="simulateur"),
]
