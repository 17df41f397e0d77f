import datetime

import factory
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone

from auditeurs.models import AuditeurProfile, Centre, Role, User, ValidatedUE
from auditeurs.staff_security import has_active_totp
from dossiers.models import (
    UE,
    Diplome,
    ExperienceRuleSet,
    Family,
    PieceType,
    RuleKind,
    UEGroup,
)

PASSWORD = "mot-de-passe-de-test"
# The TOTP secret of every staff account the factories create (base32, as an
# authenticator app stores it); tests.second_factor gives the code of the moment.
TOTP_SECRET = "JBSWY3DPEHPK3PXPD3TESTSTAFF2FA77"


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Centre Cnam n° {n}")
    service_email = factory.LazyAttribute(lambda o: f"scolarite-{o.code.lower()}@cnam.fr")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Prenom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    username = factory.Sequence(lambda n: f"prenom{n}.nom{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    role = Role.GESTIONNAIRE
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def centres(self, create, extracted, **kwargs):
        if create and extracted:
            self.centres.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class StaffFactory(UserFactory):
    """A staff account with its second factor active, as D3 requires of staff
    (auditeurs.staff_security); ``totp=False`` makes one that has not set it up."""

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        if create and extracted is not False and self.role != Role.AUDITEUR:
            # The factory gets existing usernames rather than creating them twice.
            if not has_active_totp(self):
                TOTP.activate(self, TOTP_SECRET)


class AuditeurFactory(UserFactory):
    username = factory.Sequence(lambda n: f"prenom{n}.nom{n}.auditeur")
    role = Role.AUDITEUR
    profile = factory.RelatedFactory(
        "tests.factories.ProfileFactory", factory_related_name="user"
    )


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditeurProfile

    user = factory.SubFactory(AuditeurFactory, profile=None)
    # Past the fixtures' own numbers (PAR100001, PAR100002): never the same twice.
    auditeur_number = factory.Sequence(lambda n: f"PAR{500000 + n}")
    centre = factory.SubFactory(CentreFactory)
    civilite = "mme"
    birth_name = factory.LazyAttribute(lambda o: o.user.last_name)
    first_names = factory.LazyAttribute(lambda o: o.user.first_name)
    birth_date = datetime.date(1990, 5, 17)
    birth_place = "Lyon"
    nationality = "Française"
    address_line1 = "12 rue de la République"
    postal_code = "69002"
    city = "Lyon"
    country = "France"
    phone = "0600000000"
    completed_at = factory.LazyFunction(timezone.now)


class RuleSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExperienceRuleSet
        django_get_or_create = ("name",)

    name = "Licence, parcours L1-L2-L3"
    kind = RuleKind.LICENCE_L1_L3
    months_total = 36
    months_specialty = 12
    stage_months_min = 6
    stage_months_max = 6


class UEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UE
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"NFA{n:03d}")
    title = factory.Sequence(lambda n: f"Unité d'enseignement {n}")
    ects = 6


class DiplomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diplome
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"LG{n:05d}A")
    title = factory.Sequence(lambda n: f"Licence informatique {n}")
    family = Family.LICENCE
    specialty = "Informatique"
    prerequisite = "Bac+2 (DUT, BTS, L2) en informatique"
    rule_set = factory.SubFactory(RuleSetFactory)
    min_ues_for_early_aep = 3
    active = True


class UEGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UEGroup
        skip_postgeneration_save = True

    diplome = factory.SubFactory(DiplomeFactory)
    label = "UE obligatoires"
    required = 2

    @factory.post_generation
    def ues(self, create, extracted, **kwargs):
        if create and extracted:
            self.ues.set(extracted)


class ValidatedUEFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ValidatedUE

    auditeur = factory.SubFactory(AuditeurFactory)
    ue = factory.SubFactory(UEFactory)
    validated_on = datetime.date(2024, 6, 30)
    grade = 12


class PieceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PieceType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"piece-{n}")
    label = factory.Sequence(lambda n: f"Pièce {n}")
    required_for_dd = True
    accepted_formats = ["pdf", "jpeg", "png"]
