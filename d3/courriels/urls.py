from django.urls import path

from d3.courriels import views

app_name = "courriels"

urlpatterns = [
    path("", views.local_list, name="local_list"),
    path("<int:pk>/", views.local_detail, name="local_detail"),
]
