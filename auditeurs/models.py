from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from auditeurs.identifiers import validate_enf_identifier


class Role(models.TextChoices):
    AUDITEUR = "auditeur", "Auditeur"
    GESTIONNAIRE = "gestionnaire", "Gestionnaire de centre"
    AGENT_DNF = "agent_dnf", "Agent DNF"
    MEMBRE_JURY = "membre_jury", "Membre de jury"
    ADMINISTRATEUR = "administrateur", "Administrateur"


class Centre(models.Model):
    code = models.CharField("code", max_length=20, unique=True)
    name = models.CharField("nom", max_length=200)
    service_email = models.EmailField(
        "courriel du service de contrôle des dossiers", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "centre"

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A D3 account; ``username`` is the ENF identifier."""

    username = models.CharField(
        "identifiant ENF",
        max_length=150,
        unique=True,
        validators=[validate_enf_identifier],
        error_messages={"unique": "Un compte existe déjà avec cet identifiant ENF."},
    )
    role = models.CharField(
        "rôle", max_length=20, choices=Role.choices, default=Role.AUDITEUR
    )
    centres = models.ManyToManyField(
        Centre,
        blank=True,
        related_name="gestionnaires",
        verbose_name="centres gérés",
        help_text="Pour un gestionnaire : les centres dont il contrôle les dossiers.",
    )

    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_auditeur(self):
        return self.role == Role.AUDITEUR


class Civilite(models.TextChoices):
    MADAME = "mme", "Madame"
    MONSIEUR = "m", "Monsieur"


class AuditeurProfile(models.Model):
    """What the auditeur completes at first log-in; the courrier is posted to this address."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", verbose_name="compte"
    )
    auditeur_number = models.CharField(
        "numéro d'auditeur",
        max_length=20,
        unique=True,
        error_messages={"unique": "Ce numéro d'auditeur est déjà attribué à un autre compte."},
    )
    centre = models.ForeignKey(
        Centre,
        on_delete=models.PROTECT,
        related_name="auditeurs",
        verbose_name="centre d'inscription",
    )
    civilite = models.CharField("civilité", max_length=3, choices=Civilite.choices, blank=True)
    birth_name = models.CharField("nom de naissance", max_length=150, blank=True)
    usage_name = models.CharField("nom d'usage", max_length=150, blank=True)
    first_names = models.CharField("prénoms", max_length=200, blank=True)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    birth_place = models.CharField("lieu de naissance", max_length=200, blank=True)
    nationality = models.CharField("nationalité", max_length=100, blank=True)
    address_line1 = models.CharField("adresse", max_length=200, blank=True)
    address_line2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("commune", max_length=150, blank=True)
    country = models.CharField("pays", max_length=100, blank=True, default="France")
    phone = models.CharField("téléphone", max_length=30, blank=True)
    completed_at = models.DateTimeField("profil complété le", null=True, blank=True)

    class Meta:
        verbose_name = "profil d'auditeur"
        verbose_name_plural = "profils d'auditeurs"

    def __str__(self):
        return f"{self.display_name} ({self.auditeur_number})"

    @property
    def is_complete(self):
        return self.completed_at is not None

    @property
    def display_name(self):
        last = self.usage_name or self.birth_name or self.user.last_name
        first = self.first_names or self.user.first_name
        return f"{first} {last}".strip()

    @property
    def postal_address_lines(self):
        lines = [self.address_line1, self.address_line2, f"{self.postal_code} {self.city}".strip()]
        if self.country and self.country.lower() != "france":
            lines.append(self.country.upper())
        return [line for line in lines if line]


class ValidatedUE(models.Model):
    """A UE the auditeur has validated, as imported from the Cnam information system."""

    auditeur = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="validated_ues", verbose_name="auditeur"
    )
    ue = models.ForeignKey(
        "dossiers.UE", on_delete=models.PROTECT, related_name="validations", verbose_name="UE"
    )
    validated_on = models.DateField("date de validation")
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, verbose_name="centre"
    )
    grade = models.DecimalField("note", max_digits=4, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "UE validée"
        verbose_name_plural = "UE validées"
        ordering = ["validated_on", "ue__code"]
        constraints = [
            models.UniqueConstraint(fields=["auditeur", "ue"], name="validated_ue_once"),
        ]

    def __str__(self):
        return f"{self.ue} — {self.auditeur}"
