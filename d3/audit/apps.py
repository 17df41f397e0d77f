from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "d3.audit"
    label = "audit"
    verbose_name = "Journal d'audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from d3.audit import signals  # noqa: F401 (connects the receivers)
        from d3.audit.redaction import guard_server_loggers

        guard_server_loggers()
