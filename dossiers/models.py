"""Catalogue of the institution: diplomas, their UEs and UE groups, experience
rule sets and pièce types. Dossiers come on top of it."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from dossiers.eligibility import GroupRule


class Family(models.TextChoices):
    LICENCE = "licence", "Licence"
    MASTER = "master", "Master"
    TITRE_RNCP = "titre_rncp", "Titre RNCP"
    INGENIEUR = "ingenieur", "Diplôme d'ingénieur"
    CERTIFICAT = "certificat", "Certificat"
    AUTRE = "autre", "Autre"


class RuleKind(models.TextChoices):
    LICENCE_L1_L3 = "licence_l1_l3", "Licence, parcours L1-L2-L3"
    LICENCE_L3 = "licence_l3", "Licence, admission directe en L3"
    TITRE_RNCP = "titre_rncp", "Titre RNCP"


class ExperienceRuleSet(models.Model):
    """The experience conditions of a diploma; the numbers are data, editable per diploma.

    - L1-L3: ``months_total`` in all, of which ``months_specialty`` in the specialty;
      enough in all but not in the specialty → stage of ``stage_months_min`` months.
    - L3: ``months_specialty`` in the specialty, else a stage.
    - RNCP: ``months_specialty`` in the domain, or ``months_outside`` outside it with a
      stage of ``stage_months_min`` to ``stage_months_max`` months.
    """

    name = models.CharField("nom", max_length=150, unique=True)
    kind = models.CharField("type de règle", max_length=20, choices=RuleKind.choices)
    months_total = models.PositiveSmallIntegerField(
        "mois d'expérience au total", null=True, blank=True
    )
    months_specialty = models.PositiveSmallIntegerField("mois dans la spécialité")
    months_outside = models.PositiveSmallIntegerField(
        "mois hors spécialité ouvrant droit au stage", null=True, blank=True
    )
    stage_months_min = models.PositiveSmallIntegerField(
        "durée minimale du stage (mois)", validators=[MinValueValidator(1)]
    )
    stage_months_max = models.PositiveSmallIntegerField(
        "durée maximale du stage (mois)", validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = "règles d'expérience"
        verbose_name_plural = "règles d'expérience"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == RuleKind.LICENCE_L1_L3 and not self.months_total:
            errors["months_total"] = "Obligatoire pour le parcours L1-L2-L3."
        if self.kind == RuleKind.TITRE_RNCP and not self.months_outside:
            errors["months_outside"] = "Obligatoire pour un titre RNCP."
        if (
            self.stage_months_min
            and self.stage_months_max
            and self.stage_months_max < self.stage_months_min
        ):
            errors["stage_months_max"] = "La durée maximale est inférieure à la durée minimale."
        if errors:
            raise ValidationError(errors)


class DiplomeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Diplome(models.Model):
    code = models.CharField("code", max_length=20, unique=True)
    title = models.CharField("intitulé", max_length=250)
    family = models.CharField("famille", max_length=20, choices=Family.choices)
    specialty = models.CharField("spécialité", max_length=200, blank=True)
    prerequisite = models.CharField("diplôme prérequis", max_length=250, blank=True)
    rule_set = models.ForeignKey(
        ExperienceRuleSet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="diplomes",
        verbose_name="règles d'expérience",
        help_text="Vide si le diplôme n'exige pas d'expérience professionnelle.",
    )
    min_ues_for_early_aep = models.PositiveSmallIntegerField(
        "UE validées exigées pour une AEP anticipée", default=3
    )
    active = models.BooleanField("ouvert aux demandes", default=True)

    objects = DiplomeQuerySet.as_manager()

    class Meta:
        verbose_name = "diplôme"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.title}"

    def group_rules(self):
        """The diploma's UE groups as plain data for :mod:`dossiers.eligibility`.

        Expects ``groups`` and their ``ues`` prefetched when called in a loop.
        """
        return [group.as_rule() for group in self.groups.all()]


class UE(models.Model):
    code = models.CharField("code", max_length=20, unique=True)
    title = models.CharField("intitulé", max_length=250)
    ects = models.PositiveSmallIntegerField("crédits ECTS", default=6)

    class Meta:
        verbose_name = "UE"
        verbose_name_plural = "UE"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.title}"


class GroupKind(models.TextChoices):
    COUNT = "count", "Nombre d'UE"
    ECTS = "ects", "Crédits ECTS"


class UEGroup(models.Model):
    """``required`` UEs (or ECTS) of the group must be validated; all of them when
    ``required`` equals the number of UEs ("UE obligatoires")."""

    diplome = models.ForeignKey(
        Diplome, on_delete=models.CASCADE, related_name="groups", verbose_name="diplôme"
    )
    label = models.CharField("libellé", max_length=200)
    kind = models.CharField("compté en", max_length=5, choices=GroupKind.choices,
                            default=GroupKind.COUNT)
    required = models.PositiveSmallIntegerField("nombre exigé", validators=[MinValueValidator(1)])
    ues = models.ManyToManyField(UE, related_name="groups", verbose_name="UE du groupe")
    position = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "groupe d'UE"
        verbose_name_plural = "groupes d'UE"
        ordering = ["diplome", "position", "pk"]

    def __str__(self):
        return f"{self.diplome.code} — {self.label}"

    def as_rule(self):
        return GroupRule(
            label=self.label,
            kind=self.kind,
            required=self.required,
            ues={ue.code: ue.ects for ue in self.ues.all()},
        )


class PieceFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"


def _validate_formats(value):
    allowed = set(PieceFormat.values)
    if not isinstance(value, list) or not value or not set(value) <= allowed:
        raise ValidationError(
            "Choisissez un ou plusieurs formats parmi : " + ", ".join(PieceFormat.values) + "."
        )


class PieceType(models.Model):
    code = models.CharField("code", max_length=30, unique=True)
    label = models.CharField("libellé", max_length=200)
    help_text = models.TextField("aide", blank=True)
    required_for_dd = models.BooleanField("exigée pour une demande de diplôme", default=False)
    required_for_aep = models.BooleanField(
        "exigée pour une analyse de l'expérience", default=False
    )
    multiple_files = models.BooleanField("plusieurs fichiers possibles", default=False)
    accepted_formats = models.JSONField(
        "formats acceptés", default=list, validators=[_validate_formats]
    )
    position = models.PositiveSmallIntegerField(
        "ordre", default=0, validators=[MaxValueValidator(1000)]
    )

    class Meta:
        verbose_name = "type de pièce"
        verbose_name_plural = "types de pièces"
        ordering = ["position", "label"]

    def __str__(self):
        return self.label
