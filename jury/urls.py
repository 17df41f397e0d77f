from django.urls import path

from jury import views

app_name = "jury"

urlpatterns = [
    path("dnf/", views.dnf_home, name="dnf_home"),
    path("jury/", views.jury_home, name="jury_home"),
]
