from django.conf import settings
from django.db import models
from django.utils import timezone

USER_AGENT_LENGTH = 200
IDENTIFIER_LENGTH = 150


class Action(models.TextChoices):
    CONNEXION = "connexion", "Connexion"
    ECHEC_CONNEXION = "echec_connexion", "Échec de connexion"
    DECONNEXION = "deconnexion", "Déconnexion"
    ACCES_REFUSE = "acces_refuse", "Accès refusé"
    TELECHARGEMENT_PIECE = "telechargement_piece", "Téléchargement de pièce"


class AuditEntry(models.Model):
    """One event of the audit trail; written once, never changed."""

    at = models.DateTimeField("date", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="compte",
    )
    # The identifier as typed or as it was then: kept when the account is deleted,
    # and the only trace of a failed log-in with an unknown identifier.
    actor_identifier = models.CharField("identifiant", max_length=IDENTIFIER_LENGTH,
                                        blank=True)
    action = models.CharField("action", max_length=32, choices=Action.choices)
    object_type = models.CharField("type d'objet", max_length=60, blank=True)
    object_id = models.CharField("identifiant de l'objet", max_length=40, blank=True)
    client_ip = models.GenericIPAddressField("adresse du client", null=True, blank=True)
    user_agent = models.CharField("navigateur", max_length=USER_AGENT_LENGTH, blank=True)

    class Meta:
        verbose_name = "entrée du journal d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]

    def __str__(self):
        who = self.actor_identifier or "anonyme"
        return f"{self.get_action_display()} — {who} — {self.at:%d/%m/%Y %H:%M}"
