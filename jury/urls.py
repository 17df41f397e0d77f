from django.urls import path

from jury import views
from jury.pages import verification

app_name = "jury"

urlpatterns = [
    path("dnf/", views.dnf_home, name="dnf_home"),
    path("jury/", views.jury_home, name="jury_home"),
]

# The DNF's pages: transmitted dossiers, sessions, courriers (jury/pages/dnf.py).
urlpatterns += []

# The jury members' pages: sessions, dossiers, decisions (jury/pages/members.py).
urlpatterns += []

# Public verification of a courrier's code (jury/pages/verification.py).
urlpatterns += [
    path("verification/", verification.verification, name="verification"),
]
