from django.apps import AppConfig


class AuditeursConfig(AppConfig):
    name = "auditeurs"
    verbose_name = "Comptes et auditeurs"
