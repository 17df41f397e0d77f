"""Demo data: centres, a catalogue of diplomas, auditeurs with validated UEs, and one
account per role with a known password.

:func:`load_demo` only creates what is missing and never overwrites what exists, so
it is safe to run at each start: a password, a profile or a diploma changed during a
demonstration stays as it was left.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from auditeurs.models import AuditeurProfile, Centre, Civilite, Role, User, ValidatedUE
from auditeurs.staff_security import current_totp_code, has_active_totp, totp_secret_of
from dossiers.models import (
    UE,
    Diplome,
    ExperienceRuleSet,
    Family,
    GroupKind,
    PieceType,
    RuleKind,
    UEGroup,
)

DEMO_PASSWORD = "d3-demo-2026"
# The TOTP secret of every demo staff account (documented in the README): add it to
# an authenticator app, or print the code of the moment with
# ``manage.py code_totp demo.gestionnaire``.
DEMO_TOTP_SECRET = "D3DEMOCNAMTOTPSECRETKEYQRSTUVWXY"

CENTRES = [
    # code, name, service e-mail (reserved .example domain: a demo never mails anyone real)
    ("PAR", "Cnam Paris", "scolarite.paris@cnam-demo.example"),
    ("ARA", "Cnam Auvergne-Rhône-Alpes — Lyon", "scolarite.lyon@cnam-demo.example"),
    ("PDL", "Cnam Pays de la Loire — Nantes", "scolarite.nantes@cnam-demo.example"),
    ("HDF", "Cnam Hauts-de-France — Lille", "scolarite.lille@cnam-demo.example"),
    ("NAQ", "Cnam Nouvelle-Aquitaine — Bordeaux", "scolarite.bordeaux@cnam-demo.example"),
]

# The three rule sets of the procedure (domain.md, "Experience rules").
RULE_L1_L3 = "Licence, parcours L1-L2-L3"
RULE_L3 = "Licence, admission directe en L3"
RULE_RNCP = "Titre RNCP"
RULE_SETS = [
    {
        "name": RULE_L1_L3,
        "kind": RuleKind.LICENCE_L1_L3,
        "months_total": 36,
        "months_specialty": 12,
        "months_outside": None,
        "stage_months_min": 6,
        "stage_months_max": 6,
    },
    {
        "name": RULE_L3,
        "kind": RuleKind.LICENCE_L3,
        "months_total": None,
        "months_specialty": 12,
        "months_outside": None,
        "stage_months_min": 6,
        "stage_months_max": 6,
    },
    {
        "name": RULE_RNCP,
        "kind": RuleKind.TITRE_RNCP,
        "months_total": None,
        "months_specialty": 24,
        "months_outside": 36,
        "stage_months_min": 3,
        "stage_months_max": 6,
    },
]

UES = [
    # code, title, ECTS
    ("UTC501", "Outils mathématiques pour l'informatique", 6),
    ("UTC502", "Principes fondamentaux des systèmes d'exploitation", 6),
    ("UTC503", "Paradigmes de programmation", 6),
    ("UTC504", "Systèmes d'information et bases de données", 6),
    ("UTC505", "Introduction à la cyberstructure de l'internet : réseaux et sécurité", 6),
    ("NFA031", "Programmation avec Java : notions de base", 6),
    ("NFA032", "Programmation Java : programmation objet", 6),
    ("NFA008", "Bases de données", 6),
    ("NFA004", "Architecture des machines", 4),
    ("NFP107", "Systèmes de gestion de bases de données", 6),
    ("NFP121", "Programmation avancée", 6),
    ("NFE114", "Systèmes d'information web", 6),
    ("NFE107", "Urbanisation et architecture des systèmes d'information", 6),
    ("NFE108", "Méthodologies des systèmes d'information", 6),
    ("NSY103", "Linux : principes et programmation", 6),
    ("NSY104", "Architectures des systèmes informatiques", 6),
    ("RSX101", "Réseaux et protocoles pour l'internet", 6),
    ("RSX112", "Sécurité des réseaux", 6),
    ("SEC101", "Cybersécurité : référentiel, objectifs et déploiement", 6),
    ("SEC102", "Menaces informatiques et codes malveillants : analyse et lutte", 6),
    ("GLG101", "Test et validation du logiciel", 6),
    ("GLG105", "Génie logiciel avancé", 6),
    ("GLG203", "Architectures logicielles Java", 6),
    ("RCP101", "Recherche opérationnelle et aide à la décision", 6),
    ("RCP105", "Modélisation, optimisation, complexité et algorithmes", 6),
    ("STA211", "Entreposage et fouille de données", 6),
    ("NFE204", "Bases de données documentaires et distribuées", 6),
    ("NFE205", "Bases de données multimédia et géographiques", 3),
    ("ANG320", "Anglais professionnel", 6),
    ("ANG330", "Anglais général pour débutants", 3),
    ("MSE147", "Organisation et management des entreprises", 6),
    ("DRS101", "Droit du travail : relations individuelles", 6),
    ("ESC101", "Mercatique I : les études de marché et les nouveaux enjeux de la mercatique", 6),
    ("CFA109", "Comptabilité et contrôle de gestion", 6),
]


@dataclass
class GroupDef:
    label: str
    required: int
    ues: list
    kind: str = GroupKind.COUNT


@dataclass
class DiplomeDef:
    code: str
    title: str
    family: str
    specialty: str
    prerequisite: str
    rule_set: str | None
    groups: list = field(default_factory=list)
    min_ues_for_early_aep: int = 3
    active: bool = True


LICENCE_INFO = "LG02501A"
LICENCE_L3 = "LG02503A"
DIPLOMES = [
    DiplomeDef(
        code=LICENCE_INFO,
        title="Licence Sciences, technologies, santé mention informatique",
        family=Family.LICENCE,
        specialty="Informatique",
        prerequisite="Baccalauréat ou diplôme de niveau 4 équivalent",
        rule_set=RULE_L1_L3,
        min_ues_for_early_aep=4,
        groups=[
            GroupDef("UE obligatoires", 6,
                     ["UTC501", "UTC502", "UTC503", "UTC504", "UTC505", "NFA031"]),
            GroupDef("2 UE au choix parmi 5", 2,
                     ["NFA032", "NFA008", "NFP121", "NSY103", "RSX101"]),
            GroupDef("Anglais", 1, ["ANG320"]),
        ],
    ),
    DiplomeDef(
        code=LICENCE_L3,
        title="Licence mention informatique, parcours Ingénierie logicielle (admission en L3)",
        family=Family.LICENCE,
        specialty="Informatique — génie logiciel",
        prerequisite="Bac+2 en informatique (BTS SIO, BUT informatique, L2)",
        rule_set=RULE_L3,
        groups=[
            GroupDef("UE obligatoires", 4, ["GLG101", "GLG105", "NFE108", "RCP101"]),
            GroupDef("Options : 12 crédits ECTS", 12,
                     ["NFP121", "NFE114", "NSY103", "RSX101", "NFA004", "NFE205"],
                     kind=GroupKind.ECTS),
            GroupDef("Anglais", 1, ["ANG320"]),
        ],
    ),
    DiplomeDef(
        code="CPN8400A",
        title="Titre RNCP niveau 6 Concepteur en architecture informatique",
        family=Family.TITRE_RNCP,
        specialty="Architecture des systèmes d'information",
        prerequisite="Bac+2 (DUT, BTS) ou titre de niveau 5 dans le domaine",
        rule_set=RULE_RNCP,
        groups=[
            GroupDef("UE obligatoires", 4, ["NFE107", "NSY104", "RSX101", "NFP107"]),
            GroupDef("1 UE au choix parmi 3", 1, ["SEC101", "GLG203", "NFE114"]),
        ],
    ),
    DiplomeDef(
        code="MR11501A",
        title="Master Informatique, parcours Systèmes d'information et aide à la décision",
        family=Family.MASTER,
        specialty="Informatique — systèmes d'information",
        prerequisite="Licence en informatique ou diplôme de niveau 6 équivalent",
        rule_set=None,
        min_ues_for_early_aep=5,
        groups=[
            GroupDef("UE obligatoires", 3, ["NFE204", "STA211", "RCP105"]),
            GroupDef("3 UE au choix parmi 6", 3,
                     ["NFE107", "NFE108", "NFP107", "SEC101", "GLG105", "RSX112"]),
            GroupDef("Anglais", 1, ["ANG320"]),
        ],
    ),
    DiplomeDef(
        code="CYC9100A",
        title="Diplôme d'ingénieur spécialité informatique, parcours Architecture et "
              "ingénierie des systèmes et des logiciels",
        family=Family.INGENIEUR,
        specialty="Informatique",
        prerequisite="Bac+2 scientifique ou technique, ou licence en informatique",
        rule_set=None,
        min_ues_for_early_aep=6,
        groups=[
            GroupDef("UE obligatoires", 5, ["GLG105", "GLG203", "NSY104", "RCP105", "NFE107"]),
            GroupDef("Options : 18 crédits ECTS", 18,
                     ["SEC101", "SEC102", "RSX112", "STA211", "NFE204", "NFE205"],
                     kind=GroupKind.ECTS),
            GroupDef("Management et anglais", 2, ["MSE147", "ANG320"]),
        ],
    ),
    DiplomeDef(
        code="CC13600A",
        title="Certificat de compétence Développeur d'applications web",
        family=Family.CERTIFICAT,
        specialty="Développement web",
        prerequisite="",
        rule_set=None,
        min_ues_for_early_aep=1,
        groups=[GroupDef("UE obligatoires", 3, ["NFA031", "NFA008", "NFE114"])],
    ),
    DiplomeDef(
        code="LG03601A",
        title="Licence Droit, économie, gestion mention gestion (ancien programme)",
        family=Family.LICENCE,
        specialty="Gestion",
        prerequisite="Baccalauréat ou diplôme de niveau 4 équivalent",
        rule_set=RULE_L1_L3,
        active=False,
        groups=[
            GroupDef("UE obligatoires", 4, ["MSE147", "DRS101", "ESC101", "CFA109"]),
            GroupDef("Anglais", 1, ["ANG320", "ANG330"]),
        ],
    ),
]

PIECE_TYPES = [
    {
        "code": "identite",
        "label": "Pièce d'identité",
        "help_text": "Carte nationale d'identité (recto et verso), passeport ou titre de séjour "
                     "en cours de validité.",
        "required_for_dd": True,
        "required_for_aep": True,
        "multiple_files": True,
        "accepted_formats": ["pdf", "jpeg", "png"],
        "position": 10,
    },
    {
        "code": "diplome-prerequis",
        "label": "Copie du diplôme prérequis",
        "help_text": "Le diplôme exigé pour l'accès au diplôme demandé (par exemple un bac+2 "
                     "pour une licence en L3), ou l'attestation de réussite.",
        "required_for_dd": True,
        "required_for_aep": False,
        "multiple_files": False,
        "accepted_formats": ["pdf", "jpeg", "png"],
        "position": 20,
    },
    {
        "code": "certificats-travail",
        "label": "Certificats de travail / attestations employeur",
        "help_text": "Un document par période déclarée, mentionnant le poste, les dates et le "
                     "temps de travail. Pour une activité indépendante : extrait Kbis ou "
                     "attestation URSSAF.",
        "required_for_dd": False,
        "required_for_aep": True,
        "multiple_files": True,
        "accepted_formats": ["pdf", "jpeg", "png"],
        "position": 30,
    },
    {
        "code": "rapport-experience",
        "label": "Rapport d'expérience",
        "help_text": "Le rapport que lit le jury : vos missions, vos responsabilités et leur "
                     "lien avec la spécialité du diplôme (une dizaine de pages).",
        "required_for_dd": False,
        "required_for_aep": True,
        "multiple_files": False,
        "accepted_formats": ["pdf"],
        "position": 40,
    },
    {
        "code": "cv",
        "label": "Curriculum vitæ",
        "help_text": "CV détaillé à jour.",
        "required_for_dd": False,
        "required_for_aep": True,
        "multiple_files": False,
        "accepted_formats": ["pdf"],
        "position": 50,
    },
    {
        "code": "attestation-stage",
        "label": "Attestation de stage",
        "help_text": "Si un stage vous a été demandé : la convention et l'attestation de fin "
                     "de stage.",
        "required_for_dd": False,
        "required_for_aep": False,
        "multiple_files": True,
        "accepted_formats": ["pdf", "jpeg", "png"],
        "position": 60,
    },
]


@dataclass
class AccountDef:
    username: str
    first_name: str
    last_name: str
    role: str
    description: str
    centres: list = field(default_factory=list)
    is_staff: bool = False
    is_superuser: bool = False


STAFF_ACCOUNTS = [
    AccountDef("demo.gestionnaire", "Camille", "Gestionnaire", Role.GESTIONNAIRE,
               "gestionnaire du centre Cnam Paris", centres=["PAR"]),
    AccountDef("demo.dnf", "Dominique", "Agent-DNF", Role.AGENT_DNF, "agent DNF"),
    AccountDef("demo.jury", "Jules", "Jury", Role.MEMBRE_JURY, "membre de jury"),
    AccountDef("demo.admin", "Ada", "Administratrice", Role.ADMINISTRATEUR,
               "administrateur (administration Django)", is_staff=True, is_superuser=True),
]


@dataclass
class AuditeurDef:
    username: str
    first_name: str
    last_name: str
    civilite: str
    number: str
    centre: str
    description: str = ""
    completed: bool = True
    demo_password: bool = False  # only the accounts the README lists have a known password
    validated: list = field(default_factory=list)  # UE codes


def _ues_of(code):
    diplome = next(d for d in DIPLOMES if d.code == code)
    return [ue for group in diplome.groups for ue in group.ues]


AUDITEURS = [
    AuditeurDef(
        "demo.auditeur.auditeur", "Démo", "Auditeur", Civilite.MONSIEUR, "PAR000001", "PAR",
        description="auditeur, profil à compléter (première connexion)",
        completed=False, demo_password=True,
        validated=["UTC501", "UTC502"],
    ),
    AuditeurDef(
        "marie.curie.auditeur", "Marie", "Curie", Civilite.MADAME, "PAR000002", "PAR",
        description="auditrice, profil complété, toutes les UE de la licence informatique",
        demo_password=True,
        # Every group of the licence, plus one UE outside it.
        validated=_ues_of(LICENCE_INFO) + ["NFE114"],
    ),
    AuditeurDef(
        "gaston.lagaffe.auditeur", "Gaston", "Lagaffe", Civilite.MONSIEUR, "PAR000003", "PAR",
        description="auditeur, profil complété, une partie des UE de la licence informatique",
        demo_password=True,
        # Enough for an AEP anticipée (4), not for a DD: two UE obligatoires, one option
        # and English are still missing.
        validated=["UTC501", "UTC502", "UTC503", "UTC504", "NFA032"],
    ),
    AuditeurDef(
        "jean.dupont.auditeur", "Jean", "Dupont", Civilite.MONSIEUR, "ARA000101", "ARA",
        validated=_ues_of("CPN8400A")[:5],
    ),
    # A homonym: the identifier takes a digit suffix.
    AuditeurDef(
        "jean.dupont2.auditeur", "Jean", "Dupont", Civilite.MONSIEUR, "PDL000102", "PDL",
        validated=["NFA031", "NFA008"],
    ),
    AuditeurDef(
        "amina.benali.auditeur", "Amina", "Benali", Civilite.MADAME, "PDL000103", "PDL",
        validated=_ues_of(LICENCE_L3),
    ),
    AuditeurDef(
        "lucie.martin.auditeur", "Lucie", "Martin", Civilite.MADAME, "HDF000104", "HDF",
        validated=["NFA031", "NFA008", "NFE114"],
    ),
    AuditeurDef(
        "thomas.nguyen.auditeur", "Thomas", "Nguyen", Civilite.MONSIEUR, "PAR000105", "PAR",
        completed=False,
        validated=["NFE204", "STA211"],
    ),
]


@dataclass
class DemoSummary:
    centres: int
    diplomes: int
    ues: int
    auditeurs: int
    accounts: list  # (identifier, description) of the accounts with the demo password
    password: str = DEMO_PASSWORD


@transaction.atomic
def load_demo():
    """Create whatever demo object is missing; return what the demo offers."""
    centres = load_centres()
    load_catalogue()
    load_piece_types()
    accounts = load_auditeurs(centres) + load_staff_accounts(centres)
    return DemoSummary(
        centres=len(CENTRES),
        diplomes=len(DIPLOMES),
        ues=len(UES),
        auditeurs=len(AUDITEURS),
        accounts=accounts,
    )


def load_centres():
    centres = {}
    for code, name, email in CENTRES:
        centres[code], _ = Centre.objects.get_or_create(
            code=code, defaults={"name": name, "service_email": email}
        )
    return centres


def load_catalogue():
    rule_sets = {}
    for definition in RULE_SETS:
        values = dict(definition)
        name = values.pop("name")
        rule_sets[name], _ = ExperienceRuleSet.objects.get_or_create(name=name, defaults=values)
    ues = {}
    for code, title, ects in UES:
        ues[code], _ = UE.objects.get_or_create(code=code, defaults={"title": title, "ects": ects})
    for definition in DIPLOMES:
        diplome, created = Diplome.objects.get_or_create(
            code=definition.code,
            defaults={
                "title": definition.title,
                "family": definition.family,
                "specialty": definition.specialty,
                "prerequisite": definition.prerequisite,
                "rule_set": rule_sets[definition.rule_set] if definition.rule_set else None,
                "min_ues_for_early_aep": definition.min_ues_for_early_aep,
                "active": definition.active,
            },
        )
        if not created:
            # Its groups are the administrateur's now: edited, they stay edited.
            continue
        for position, group_def in enumerate(definition.groups, start=1):
            group = UEGroup.objects.create(
                diplome=diplome,
                label=group_def.label,
                kind=group_def.kind,
                required=group_def.required,
                position=position * 10,
            )
            group.ues.set([ues[code] for code in group_def.ues])


def load_piece_types():
    for definition in PIECE_TYPES:
        values = dict(definition)
        PieceType.objects.get_or_create(code=values.pop("code"), defaults=values)


def _get_or_create_account(username, defaults, demo_password):
    user = User.objects.filter(username__iexact=username).first()
    if user is not None:
        return user, False
    user = User(username=username, **defaults)
    if demo_password:
        user.set_password(DEMO_PASSWORD)
    else:
        user.set_unusable_password()
    user.save()
    return user, True


def load_staff_accounts(centres):
    accounts = []
    for definition in STAFF_ACCOUNTS:
        user, created = _get_or_create_account(
            definition.username,
            {
                "first_name": definition.first_name,
                "last_name": definition.last_name,
                "email": f"{definition.username}@cnam-demo.example",
                "role": definition.role,
                "is_staff": definition.is_staff,
                "is_superuser": definition.is_superuser,
            },
            demo_password=True,
        )
        if created and definition.centres:
            user.centres.set([centres[code] for code in definition.centres])
        # Staff must have a second factor (auditeurs.staff_security); one set up
        # during a demonstration stays as it is.
        if not has_active_totp(user):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        accounts.append((definition.username, definition.description))
    return accounts


class NotADemoSecret(Exception):
    pass


def demo_totp_code(username):
    """The TOTP code of the moment of a demo staff account.

    Only for accounts whose secret is still DEMO_TOTP_SECRET: the command prints no
    code of a real person's authenticator.
    """
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise NotADemoSecret(f"Aucun compte n'a l'identifiant « {username} ».")
    try:
        secret = totp_secret_of(user)
    except Authenticator.DoesNotExist:
        raise NotADemoSecret(
            f"Le compte « {user.username} » n'a pas d'application d'authentification."
        ) from None
    if secret != DEMO_TOTP_SECRET:
        raise NotADemoSecret(
            f"Le compte « {user.username} » n'utilise pas le secret TOTP de démonstration."
        )
    return current_totp_code(secret)


# Validation dates spread over past sessions, so that the lists look like real ones.
_SESSIONS = [
    datetime.date(2022, 2, 4),
    datetime.date(2022, 6, 24),
    datetime.date(2023, 2, 3),
    datetime.date(2023, 6, 30),
    datetime.date(2024, 2, 2),
    datetime.date(2024, 6, 28),
]


def load_auditeurs(centres):
    accounts = []
    ues = {ue.code: ue for ue in UE.objects.filter(code__in=[code for code, *_ in UES])}
    for index, definition in enumerate(AUDITEURS):
        user, created = _get_or_create_account(
            definition.username,
            {
                "first_name": definition.first_name,
                "last_name": definition.last_name,
                "email": f"{definition.username.removesuffix('.auditeur')}@example.org",
                "role": Role.AUDITEUR,
            },
            demo_password=definition.demo_password,
        )
        if created:
            AuditeurProfile.objects.create(user=user, **_profile_values(definition, centres, index))
        existing = set(user.validated_ues.values_list("ue__code", flat=True))
        ValidatedUE.objects.bulk_create(
            [
                ValidatedUE(
                    auditeur=user,
                    ue=ues[code],
                    validated_on=_SESSIONS[(index + position) % len(_SESSIONS)],
                    centre=centres[definition.centre],
                    grade=Decimal(10 + (index * 3 + position * 7) % 9) + Decimal("0.5"),
                )
                for position, code in enumerate(definition.validated)
                if code not in existing and code in ues
            ]
        )
        if definition.demo_password:
            accounts.append((definition.username, definition.description))
    return accounts


_TOWNS = {
    "PAR": ("75003", "Paris"),
    "ARA": ("69007", "Lyon"),
    "PDL": ("44000", "Nantes"),
    "HDF": ("59000", "Lille"),
    "NAQ": ("33000", "Bordeaux"),
}


def _profile_values(definition, centres, index):
    values = {
        "auditeur_number": definition.number,
        "centre": centres[definition.centre],
        "civilite": definition.civilite,
        "birth_name": definition.last_name,
        "first_names": definition.first_name,
    }
    if definition.completed:
        values.update(
            birth_date=datetime.date(1985 + index, 1 + index % 12, 10 + index),
            birth_place=["Paris", "Lyon", "Nantes", "Lille", "Bordeaux"][index % 5],
            nationality="Française",
            address_line1=f"{12 + index} rue des Arts-et-Métiers",
            postal_code=_TOWNS[definition.centre][0],
            city=_TOWNS[definition.centre][1],
            country="France",
            phone=f"06 12 34 56 {index:02d}",
            completed_at=timezone.now(),
        )
    return values
