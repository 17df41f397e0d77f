"""Jury sessions, their decisions and the courriers sent after them."""

import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class JurySessionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Agents DNF see every session; a jury member only those he/she sits on."""
        from auditeurs.models import Role

        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.role == Role.AGENT_DNF:
            return self.all()
        if user.role == Role.MEMBRE_JURY:
            return self.filter(models.Q(members=user) | models.Q(president=user)).distinct()
        return self.none()

    def upcoming(self, today=None):
        return self.filter(date__gte=today or timezone.localdate())

    def past(self, today=None):
        return self.filter(date__lt=today or timezone.localdate())


class JurySession(models.Model):
    date = models.DateField("date du jury")
    place = models.CharField("lieu", max_length=200)
    diplomes = models.ManyToManyField(
        "dossiers.Diplome", related_name="jury_sessions", verbose_name="diplômes concernés"
    )
    president = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, related_name="sessions_presided",
        verbose_name="président",
    )
    members = models.ManyToManyField(
        "auditeurs.User", related_name="jury_sessions", verbose_name="membres", blank=True
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    created_by = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, related_name="+", verbose_name="créée par"
    )
    closed_at = models.DateTimeField("close le", null=True, blank=True)
    closed_by = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="close par",
    )

    objects = JurySessionQuerySet.as_manager()

    class Meta:
        verbose_name = "session de jury"
        verbose_name_plural = "sessions de jury"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["date"], name="jurysession_by_date")]

    def __str__(self):
        return f"Jury du {self.date:%d/%m/%Y} — {self.place}"

    @property
    def is_closed(self):
        return self.closed_at is not None


class DdOutcome(models.TextChoices):
    DELIVRE = "delivre", "Diplôme délivré"
    AJOURNE = "ajourne", "Ajourné"
    REFUSE = "refuse", "Refusé"


class Decision(models.Model):
    """The jury's decision on one dossier; locked when the session is closed.

    ``version`` grows at each save: a member who saves over a version he/she did
    not see is told the decision changed, never silently overwrites it.
    """

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="decision",
        verbose_name="dossier",
    )
    session = models.ForeignKey(
        JurySession, on_delete=models.PROTECT, related_name="decisions", verbose_name="session"
    )
    cursus_valide = models.BooleanField("cursus validé")
    aep_outcome = models.CharField(
        "analyse de l'expérience", max_length=25, blank=True,
        choices=[
            ("validee", "Expérience validée"),
            ("validee_sous_reserve", "Expérience validée sous réserve d'un stage"),
            ("non_validee", "Expérience non validée"),
        ],
    )
    stage_months = models.PositiveSmallIntegerField(
        "durée du stage exigé (mois)", null=True, blank=True, validators=[MinValueValidator(3)]
    )
    dd_outcome = models.CharField(
        "délivrance du diplôme", max_length=10, choices=DdOutcome.choices, blank=True
    )
    motive = models.TextField("motif", blank=True)
    recorded_by = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, related_name="+", verbose_name="saisie par"
    )
    recorded_at = models.DateTimeField("saisie le")
    version = models.PositiveIntegerField("version", default=1)

    class Meta:
        verbose_name = "décision"

    def __str__(self):
        return f"Décision — {self.dossier}"


class CourrierStatus(models.TextChoices):
    PROGRAMME = "programme", "Programmé"
    ENVOYE = "envoye", "Envoyé"
    ECHEC = "echec", "En échec"


def new_verification_code():
    # 16 characters of an unambiguous alphabet: ~80 bits, unguessable, easy to type.
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class CourrierQuerySet(models.QuerySet):
    def due(self, now):
        """Programmed courriers whose day has come, whose next attempt (after a failure)
        has come and that no worker holds (``claimed_until`` lapsed or unset)."""
        return self.filter(
            status=CourrierStatus.PROGRAMME, due_on__lte=timezone.localdate(now),
        ).filter(
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now),
        )


class Courrier(models.Model):
    """The letter sent after the jury: scheduled at closing, rendered once, then sent."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="courrier",
        verbose_name="dossier",
    )
    session = models.ForeignKey(
        JurySession, on_delete=models.PROTECT, related_name="courriers", verbose_name="session"
    )
    due_on = models.DateField("envoi prévu le")
    status = models.CharField(
        "état", max_length=10, choices=CourrierStatus.choices, default=CourrierStatus.PROGRAMME
    )
    verification_code = models.CharField(
        "code de vérification", max_length=16, unique=True, default=new_verification_code
    )
    storage_key = models.CharField("fichier (clé de stockage)", max_length=255, blank=True)
    rendered_at = models.DateTimeField("produit le", null=True, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    # Failed attempts since it was programmed (or programmed again by the DNF); the
    # next one waits until next_attempt_at (jury.tasks: back-off, then "en échec").
    attempts = models.PositiveSmallIntegerField("tentatives échouées", default=0)
    next_attempt_at = models.DateTimeField("prochaine tentative", null=True, blank=True)
    last_error = models.TextField("dernière erreur", blank=True)
    # The lease of the worker rendering it, taken by a conditional UPDATE
    # (jury.tasks._claim): no other worker renders it until claimed_until has passed.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)

    objects = CourrierQuerySet.as_manager()

    class Meta:
        verbose_name = "courrier"
        indexes = [
            models.Index(fields=["due_on"], name="courrier_due",
                         condition=models.Q(status="programme")),
        ]

    def __str__(self):
        return f"Courrier — {self.dossier}"
