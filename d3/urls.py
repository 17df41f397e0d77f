from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView

from d3 import views

urlpatterns = [
    path("", views.home, name="home"),
    # The e-mail address is part of the profile (the courrier and reset links use it):
    # allauth's page to manage several addresses is not offered.
    path("compte/email/", RedirectView.as_view(pattern_name="home", permanent=False)),
    path("compte/", include("allauth.urls")),
    path("aide/", views.aide, name="aide"),
    path("aide/personnels/", views.aide_staff, name="aide_staff"),
    path("sante/", views.health, name="health"),
    path("courriels-locaux/", include("d3.courriels.urls")),
    path("", include("auditeurs.urls")),
    path("", include("jury.urls")),
    path("", include("dossiers.urls")),
    path("admin/", admin.site.urls),
]

handler429 = "d3.views.too_many_requests"

# The admin has no log-in form of its own: everyone signs in through allauth
# (same identifiers, same rate limits).
admin.site.login = login_required(admin.site.login)
admin.site.site_header = "D3 — administration"
admin.site.site_title = "D3 Cnam"
admin.site.index_title = "Catalogue, comptes et imports"
