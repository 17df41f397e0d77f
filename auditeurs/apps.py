from django.apps import AppConfig


class AuditeursConfig(AppConfig):
    name = "auditeurs"
    verbose_name = "Comptes et auditeurs"

    def ready(self):
        # Connects the receivers of staff sessions (log-in, account disabled) and the
        # profile gate's (log-in).
        from auditeurs import middleware, staff_security  # noqa: F401
