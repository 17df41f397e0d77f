from django.contrib import admin
from django.urls import include, path

from d3 import views

urlpatterns = [
    path("", views.home, name="home"),
    path("compte/", include("allauth.urls")),
    path("aide/", views.aide, name="aide"),
    path("aide/personnels/", views.aide_staff, name="aide_staff"),
    path("sante/", views.health, name="health"),
    path("courriels-locaux/", include("d3.courriels.urls")),
    path("", include("auditeurs.urls")),
    path("", include("jury.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "D3 — administration"
admin.site.site_title = "D3 Cnam"
admin.site.index_title = "Catalogue, comptes et imports"
