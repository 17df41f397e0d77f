from django.conf import settings
from django.db import models


class Status(models.TextChoices):
    PENDING = "pending", "En attente d'envoi"
    SENT = "sent", "Envoyé"
    FAILED = "failed", "En échec"


class CourrielQuerySet(models.QuerySet):
    def due(self, now):
        """Pending courriels whose next attempt has come and whose claim has lapsed."""
        return self.filter(status=Status.PENDING, next_attempt_at__lte=now).filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
        )


class Courriel(models.Model):
    """An outgoing e-mail, written in the same transaction as the change it reports.

    The row is the outbox: a task sends it after commit and marks it sent; a
    periodic sweep resends what is still pending. ``claimed_until`` is a lease
    taken by a conditional UPDATE so that two workers never send the same row.
    """

    to = models.EmailField("destinataire")
    subject = models.CharField("objet", max_length=250)
    body_text = models.TextField("texte")
    body_html = models.TextField("HTML", blank=True)
    # [{"name": "recapitulatif.pdf", "path": "<storage key>", "mimetype": "application/pdf"}]
    attachments = models.JSONField("pièces jointes", default=list, blank=True)
    template = models.CharField("modèle", max_length=100)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="compte destinataire",
    )
    # The dossier it concerns, by reference until dossiers exist as rows.
    dossier_reference = models.CharField("dossier concerné", max_length=40, blank=True)
    status = models.CharField(
        "état", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    next_attempt_at = models.DateTimeField("prochaine tentative")
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    objects = CourrielQuerySet.as_manager()

    class Meta:
        verbose_name = "courriel"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="courriel_pending_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"
