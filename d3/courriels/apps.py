from django.apps import AppConfig


class CourrielsConfig(AppConfig):
    name = "d3.courriels"
    label = "courriels"
    verbose_name = "Courriels"
