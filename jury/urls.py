from django.urls import path

from jury import views
from jury.pages import dnf
from jury.pages import verification

app_name = "jury"

urlpatterns = [
    path("dnf/", views.dnf_home, name="dnf_home"),
    path("jury/", views.jury_home, name="jury_home"),
]

# The DNF's pages: transmitted dossiers, sessions, courriers (jury/pages/dnf.py).
urlpatterns += [
    path("dnf/dossiers/", dnf.dossiers_page, name="dnf_dossiers"),
    path("dnf/sessions/", dnf.sessions_page, name="dnf_sessions"),
    path("dnf/sessions/nouvelle/", dnf.session_create, name="dnf_session_create"),
    path("dnf/sessions/<int:pk>/", dnf.session_page, name="dnf_session"),
    path("dnf/sessions/<int:pk>/modifier/", dnf.session_edit, name="dnf_session_edit"),
    path("dnf/sessions/<int:pk>/inscrire/", dnf.session_add, name="dnf_session_add"),
    path("dnf/sessions/<int:pk>/retirer/<int:dossier_id>/", dnf.session_remove,
         name="dnf_session_remove"),
    path("dnf/sessions/<int:pk>/clore/", dnf.session_close, name="dnf_session_close"),
    path("dnf/sessions/<int:pk>/proces-verbal.pdf", dnf.session_pv, name="dnf_session_pv"),
    path("dnf/sessions/<int:pk>/courriers.pdf", dnf.session_courriers,
         name="dnf_session_courriers"),
    path("dnf/courriers/<int:pk>/renvoyer/", dnf.courrier_resend,
         name="dnf_courrier_resend"),
]

# The jury members' pages: sessions, dossiers, decisions (jury/pages/members.py).
from jury.pages import members  # noqa: E402

urlpatterns += [
    path("jury/sessions/<int:pk>/", members.session_page, name="member_session"),
    path("jury/dossiers/<int:pk>/", members.dossier_page, name="member_dossier"),
    path("jury/dossiers/<int:pk>/decision/", members.decision, name="member_decision"),
]

# Public verification of a courrier's code (jury/pages/verification.py).
urlpatterns += [
    path("verification/", verification.verification, name="verification"),
]
