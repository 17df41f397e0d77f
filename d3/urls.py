from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse
from django.views.generic import RedirectView

from d3 import views


def admin_login(request, extra_context=None):
    """The admin has no log-in form of its own: everyone signs in through allauth (same
    identifiers, same rate limits, and for staff the second factor). Its own form would
    log in with a password alone, even over a session already open."""
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


# Set before admin.site.urls is read below: the URL patterns take the view then.
admin.site.login = admin_login

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

# The load benchmark's baseline (d3.bench): only when D3_BENCH is set, never in production.
if settings.D3_BENCH:
    from d3 import bench

    urlpatterns.append(path("bench/baseline/", bench.baseline, name="bench_baseline"))

handler429 = "d3.views.too_many_requests"

admin.site.site_header = "D3 — administration"
admin.site.site_title = "D3 Cnam"
admin.site.index_title = "Catalogue, comptes et imports"
