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


# --- Dossiers ---------------------------------------------------------------


class Kind(models.TextChoices):
    DD = "dd", "Demande de délivrance de diplôme"
    AEP_ANTICIPEE = "aep_anticipee", "Analyse anticipée de l'expérience professionnelle"
    DD_AEP = "dd_aep", "Demande de diplôme et analyse de l'expérience professionnelle"

    @classmethod
    def including_dd(cls):
        return (cls.DD, cls.DD_AEP)

    @classmethod
    def including_aep(cls):
        return (cls.AEP_ANTICIPEE, cls.DD_AEP)


class State(models.TextChoices):
    BROUILLON = "brouillon", "Brouillon"
    DEPOSE = "depose", "Déposé"
    EN_CONTROLE = "en_controle", "En cours de contrôle"
    A_COMPLETER = "a_completer", "À compléter"
    IRRECEVABLE = "irrecevable", "Irrecevable"
    TRANSMIS_DNF = "transmis_dnf", "Transmis à la DNF"
    INSCRIT_JURY = "inscrit_jury", "Inscrit à une session de jury"
    DECISION_RENDUE = "decision_rendue", "Décision rendue"
    COURRIER_ENVOYE = "courrier_envoye", "Courrier envoyé"
    RETIRE = "retire", "Retiré"

    @classmethod
    def closed(cls):
        """States after which a new dossier of the same kind may be opened."""
        return (cls.IRRECEVABLE, cls.COURRIER_ENVOYE, cls.RETIRE)

    @classmethod
    def from_dnf(cls):
        """States in which the DNF has the dossier."""
        return (cls.TRANSMIS_DNF, cls.INSCRIT_JURY, cls.DECISION_RENDUE, cls.COURRIER_ENVOYE)


class AepOutcome(models.TextChoices):
    VALIDEE = "validee", "Expérience validée"
    VALIDEE_SOUS_RESERVE = "validee_sous_reserve", "Expérience validée sous réserve d'un stage"
    NON_VALIDEE = "non_validee", "Expérience non validée"

    @classmethod
    def favourable(cls):
        return (cls.VALIDEE, cls.VALIDEE_SOUS_RESERVE)


class DossierQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The dossiers ``user`` may see at all; anything else is a 404.

        Auditeurs see their own; gestionnaires those of their centres once signed
        (drafts stay private, withdrawn or not); agents DNF those transmitted to the DNF and after.
        Jury members those put on the sessions they sit on.
        """
        from auditeurs.models import Role

        if not (user.is_authenticated and user.is_active):
            return self.none()
        if user.role == Role.AUDITEUR:
            return self.filter(auditeur=user)
        if user.role == Role.GESTIONNAIRE:
            # From the first signature on: a draft, even withdrawn, never reached
            # the centre (a signed dossier withdrawn later stays, for the history).
            # Only the few withdrawn dossiers of the centres are looked up among the
            # signatures: a correlated EXISTS under this OR made PostgreSQL hash the
            # whole signature table at each page (benchmarks/load.py).
            centres = user.centres.all()
            signed_withdrawn = Signature.objects.filter(
                dossier__centre__in=centres, dossier__state=State.RETIRE
            ).values("dossier_id")
            return self.filter(centre__in=centres).exclude(
                state=State.BROUILLON
            ).filter(~models.Q(state=State.RETIRE) | models.Q(pk__in=signed_withdrawn))
        if user.role == Role.AGENT_DNF:
            return self.filter(state__in=State.from_dnf())
        if user.role == Role.MEMBRE_JURY:
            from jury.models import JurySession

            return self.filter(
                state__in=State.from_dnf(),
                jury_session__in=JurySession.objects.visible_to(user),
            )
        return self.none()

    def open(self):
        return self.exclude(state__in=State.closed())


class Dossier(models.Model):
    """A request of an auditeur for one diploma: a DD, an AEP anticipée, or both.

    ``state`` is only ever changed by :mod:`dossiers.workflow`.
    """

    auditeur = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, related_name="dossiers",
        verbose_name="auditeur",
    )
    # Copied from the profile when the dossier is created: the centre that checks it.
    centre = models.ForeignKey(
        "auditeurs.Centre", on_delete=models.PROTECT, related_name="dossiers",
        verbose_name="centre",
    )
    diplome = models.ForeignKey(
        Diplome, on_delete=models.PROTECT, related_name="dossiers", verbose_name="diplôme"
    )
    kind = models.CharField("nature de la demande", max_length=15, choices=Kind.choices)
    state = models.CharField(
        "état", max_length=20, choices=State.choices, default=State.BROUILLON
    )
    prerequisite_title = models.CharField("diplôme prérequis obtenu", max_length=250, blank=True)
    prerequisite_year = models.PositiveSmallIntegerField(
        "année d'obtention", null=True, blank=True
    )
    prerequisite_institution = models.CharField(
        "établissement", max_length=250, blank=True
    )
    # The gestionnaire who has taken the dossier in charge (en_controle).
    owner = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, null=True, blank=True,
        related_name="dossiers_in_charge", verbose_name="pris en charge par",
    )
    # How many times corrections were asked: a deposited dossier with rounds behind
    # it is a re-deposit, which the centre's queue puts first.
    correction_round = models.PositiveSmallIntegerField("demandes de corrections", default=0)
    corrections_due = models.DateField("corrections attendues avant le", null=True, blank=True)
    # The jury session the DNF has put the dossier on (inscrit_jury and after).
    jury_session = models.ForeignKey(
        "jury.JurySession", on_delete=models.PROTECT, null=True, blank=True,
        related_name="dossiers", verbose_name="session de jury",
    )
    # When the dossier was transmitted to the DNF (the DNF's lists filter on it).
    transmitted_at = models.DateTimeField("transmis à la DNF le", null=True, blank=True)
    # Written by the jury's decision; a later DD for the same diploma relies on it.
    aep_outcome = models.CharField(
        "résultat de l'analyse de l'expérience", max_length=25,
        choices=AepOutcome.choices, blank=True,
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    state_changed_at = models.DateTimeField("état modifié le", auto_now_add=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = "dossier"
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["auditeur", "-updated_at"], name="dossier_by_auditeur"),
            models.Index(fields=["centre", "state", "state_changed_at"],
                         name="dossier_centre_queue"),
            models.Index(fields=["state", "state_changed_at"], name="dossier_by_state"),
            # The lists of the centre and of the DNF at the Cnam's scale
            # (benchmarks/load.py): their counts, filters, sort and page read these
            # indexes alone (index-only scans), never the rows of thousands of dossiers.
            models.Index(fields=["centre", "-state_changed_at", "-id"],
                         include=["state", "diplome", "kind", "owner", "correction_round",
                                  "auditeur"],
                         name="dossier_centre_list"),
            models.Index(fields=["state", "transmitted_at", "id"],
                         include=["centre", "diplome", "kind", "auditeur"],
                         name="dossier_dnf_list"),
        ]

    def __str__(self):
        return f"{self.reference} — {self.get_kind_display()} — {self.diplome.code}"

    @property
    def reference(self):
        return f"D3-{self.created_at:%Y}-{self.pk:06d}"

    @property
    def includes_dd(self):
        return self.kind in Kind.including_dd()

    @property
    def includes_aep(self):
        return self.kind in Kind.including_aep()


class PeriodKind(models.TextChoices):
    EMPLOYMENT = "employment", "Salarié"
    SELF_EMPLOYED = "self_employed", "Indépendant"
    INTERNSHIP = "internship", "Stage"


class ExperiencePeriod(models.Model):
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="periods", verbose_name="dossier"
    )
    employer = models.CharField("employeur", max_length=200)
    position = models.CharField("poste occupé", max_length=200)
    start = models.DateField("début")
    end = models.DateField("fin", null=True, blank=True, help_text="Vide si en cours.")
    working_time = models.PositiveSmallIntegerField(
        "temps de travail (%)", default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    in_specialty = models.BooleanField("dans la spécialité du diplôme", default=False)
    at_level = models.BooleanField("à un niveau correspondant au diplôme", default=False)
    kind = models.CharField(
        "nature", max_length=15, choices=PeriodKind.choices, default=PeriodKind.EMPLOYMENT
    )
    tasks = models.TextField("missions et tâches", blank=True)

    class Meta:
        verbose_name = "période d'expérience"
        verbose_name_plural = "périodes d'expérience"
        ordering = ["start", "pk"]

    def __str__(self):
        return f"{self.position} — {self.employer}"


class PieceStatus(models.TextChoices):
    ATTENDUE = "attendue", "Attendue"
    DEPOSEE = "deposee", "Déposée"
    CONFORME = "conforme", "Conforme"
    ERRONEE = "erronee", "Erronée"
    MANQUANTE = "manquante", "Manquante"


class Piece(models.Model):
    """A pièce justificative of a dossier; its files keep every version."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="pieces", verbose_name="dossier"
    )
    piece_type = models.ForeignKey(
        PieceType, on_delete=models.PROTECT, related_name="+", verbose_name="type de pièce"
    )
    status = models.CharField(
        "statut", max_length=10, choices=PieceStatus.choices, default=PieceStatus.ATTENDUE
    )
    comment = models.TextField("commentaire du centre", blank=True)

    class Meta:
        verbose_name = "pièce"
        ordering = ["piece_type__position", "piece_type__label"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "piece_type"], name="piece_once_per_type"),
        ]

    def __str__(self):
        return f"{self.piece_type} ({self.get_status_display()})"


class ScanStatus(models.TextChoices):
    """Where a file stands with the antivirus (:mod:`dossiers.antivirus`)."""

    # Antivirus off when the file was stored: usable at once, as before any scanning.
    NON_ANALYSE = "non_analyse", "non analysé"
    EN_ATTENTE = "en_attente", "analyse antivirus en cours"
    SAIN = "sain", "sain"
    # Refused: its bytes are deleted and it no longer counts as the pièce's file.
    INFECTE = "infecte", "infecté"


USABLE_SCAN_STATUSES = (ScanStatus.NON_ANALYSE, ScanStatus.SAIN)
_FORMAT_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


class PieceFileQuerySet(models.QuerySet):
    def usable(self):
        """Files that may be downloaded and count as provided: not waiting for the
        antivirus, not refused by it."""
        return self.filter(scan_status__in=USABLE_SCAN_STATUSES)


class PieceFile(models.Model):
    """One uploaded file. Replacing it keeps this row (``replaced_at`` set)."""

    piece = models.ForeignKey(
        Piece, on_delete=models.CASCADE, related_name="files", verbose_name="pièce"
    )
    storage_key = models.CharField("clé de stockage", max_length=255, unique=True)
    original_name = models.CharField("nom d'origine", max_length=255)
    content_type = models.CharField("type", max_length=50)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("déposé le", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, related_name="+", verbose_name="déposé par"
    )
    replaced_at = models.DateTimeField("remplacé le", null=True, blank=True)
    scan_status = models.CharField(
        "analyse antivirus", max_length=12, choices=ScanStatus.choices,
        default=ScanStatus.NON_ANALYSE,
    )
    scanned_at = models.DateTimeField("analysé le", null=True, blank=True)
    # The name clamd gives the threat found ("Eicar-Test-Signature"), shown to the auditeur.
    threat = models.CharField("menace détectée", max_length=200, blank=True)

    objects = PieceFileQuerySet.as_manager()

    @property
    def usable(self):
        return self.scan_status in USABLE_SCAN_STATUSES

    @property
    def format_label(self):
        """"PDF", "JPEG", "PNG" (what a download link says it gives), else "fichier"."""
        return _FORMAT_LABELS.get(self.content_type, "fichier")

    class Meta:
        verbose_name = "fichier de pièce"
        verbose_name_plural = "fichiers de pièces"
        ordering = ["uploaded_at", "pk"]
        indexes = [
            models.Index(fields=["piece"], name="piecefile_current",
                         condition=models.Q(replaced_at__isnull=True)),
            # What the antivirus sweep looks for; few rows at any time.
            models.Index(fields=["uploaded_at"], name="piecefile_scan_pending",
                         condition=models.Q(scan_status="en_attente")),
        ]

    def __str__(self):
        return self.original_name


class Signature(models.Model):
    """An electronic signature of the dossier's content (a new one after corrections)."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="signatures", verbose_name="dossier"
    )
    signed_by = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, related_name="+", verbose_name="signé par"
    )
    signed_at = models.DateTimeField("signé le")
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    user_agent = models.CharField("navigateur", max_length=500, blank=True)
    digest = models.CharField("empreinte SHA-256 du contenu", max_length=64)
    recapitulatif_key = models.CharField("récapitulatif signé (clé de stockage)",
                                         max_length=255, blank=True)

    class Meta:
        verbose_name = "signature"
        ordering = ["signed_at", "pk"]
        get_latest_by = "signed_at"
        # The nightly orphan files' job looks stored keys up (dossiers.orphans).
        indexes = [models.Index(fields=["recapitulatif_key"], name="signature_recapitulatif")]

    def __str__(self):
        return f"Signature du {self.signed_at:%d/%m/%Y %H:%M}"


class Event(models.Model):
    """A line of the dossier's history: every transition, verdict and note.

    The same rows feed the auditeur's timeline (``visible_to_auditeur``) and the
    staff's audit trail.
    """

    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="events", verbose_name="dossier"
    )
    actor = models.ForeignKey(
        "auditeurs.User", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name="auteur",
    )
    created_at = models.DateTimeField("date", auto_now_add=True)
    action = models.CharField("action", max_length=40)
    from_state = models.CharField("état avant", max_length=20, choices=State.choices,
                                  blank=True)
    to_state = models.CharField("état après", max_length=20, choices=State.choices,
                                blank=True)
    comment = models.TextField("commentaire", blank=True)
    visible_to_auditeur = models.BooleanField("visible par l'auditeur", default=True)
    data = models.JSONField("détails", default=dict, blank=True)

    class Meta:
        verbose_name = "événement"
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["dossier", "created_at"], name="event_by_dossier")]

    def __str__(self):
        return f"{self.action} ({self.created_at:%d/%m/%Y})"


# --- Retention ---------------------------------------------------------------


class AnonymisedDecision(models.Model):
    """What remains of a closed dossier once :mod:`dossiers.retention` has removed it:
    the facts the institution's statistics need, and nothing that leads back to a
    person — no name, identifier, reference, birth date, exact date of the person's
    own steps, nor any free text (motives, comments).

    Dates of the person's own steps are kept as years; the jury date is shared by
    every dossier of its session.
    """

    diplome = models.ForeignKey(
        Diplome, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="diplôme",
    )
    # Copied: the trace stays readable if the catalogue entry is removed one day.
    diplome_code = models.CharField("code du diplôme", max_length=20)
    kind = models.CharField("nature de la demande", max_length=15, choices=Kind.choices)
    centre = models.ForeignKey(
        "auditeurs.Centre", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name="centre",
    )
    centre_code = models.CharField("code du centre", max_length=20)
    # The year of the first signature; empty for a draft withdrawn before any.
    submitted_year = models.PositiveSmallIntegerField("année du dépôt", null=True, blank=True)
    closing_state = models.CharField("état final", max_length=20, choices=State.choices)
    closed_year = models.PositiveSmallIntegerField("année de clôture")
    jury_date = models.DateField("date du jury", null=True, blank=True)
    # The decision, when a jury gave one (empty otherwise).
    decision_kind = models.CharField("type de décision", max_length=30, blank=True)
    cursus_valide = models.BooleanField("cursus validé", null=True, blank=True)
    aep_outcome = models.CharField(
        "analyse de l'expérience", max_length=25, choices=AepOutcome.choices, blank=True
    )
    stage_months = models.PositiveSmallIntegerField(
        "durée du stage exigé (mois)", null=True, blank=True
    )
    dd_outcome = models.CharField("délivrance du diplôme", max_length=10, blank=True)
    anonymised_on = models.DateField("anonymisé le", auto_now_add=True)

    class Meta:
        verbose_name = "décision anonymisée"
        verbose_name_plural = "décisions anonymisées"
        ordering = ["-closed_year", "diplome_code", "pk"]

    def __str__(self):
        return f"{self.diplome_code} — {self.get_kind_display()} — {self.closed_year}"
