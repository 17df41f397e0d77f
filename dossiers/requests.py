"""Starting a request: the checks of domain.md before a dossier exists, then the draft.

``refusal_reasons`` lets the page explain, before anything is posted, why a request
cannot be made; ``start_request`` runs the same checks again, under a lock, and creates
the draft dossier with its expected pièces — or raises :class:`RequestRefused` and
creates nothing.
"""

from django.db import transaction
from django.db.models import Q, prefetch_related_objects

from auditeurs.models import User, ValidatedUE
from dossiers.eligibility import count_validated_in, evaluate_cursus
from dossiers.models import (
    AepOutcome,
    Dossier,
    Event,
    Kind,
    Piece,
    PieceStatus,
    PieceType,
    State,
)
from dossiers.workflow import CREATED

FORMATION_CONTINUE_MESSAGE = (
    "D3 ne peut pas encore être utilisé pour un cursus suivi en formation continue "
    "(stages en journée) : rapprochez-vous de l'équipe pédagogique en charge du diplôme."
)


class RequestRefused(Exception):
    """The request cannot be made; ``reasons`` are French sentences, ``message`` all of them."""

    def __init__(self, reasons):
        if isinstance(reasons, str):
            reasons = [reasons]
        self.reasons = tuple(reasons)
        self.message = " ".join(self.reasons)
        super().__init__(self.message)


def refusal_reasons(auditeur, diplome, kind, *, formation_continue=False):
    """Why ``auditeur`` may not start a ``kind`` request for ``diplome`` (empty if allowed)."""
    kind = Kind(kind)
    profile = getattr(auditeur, "profile", None)
    if profile is None or not profile.is_complete:
        return ["Complétez votre profil avant de faire une demande."]
    if not diplome.active:
        return [f"Le diplôme {diplome.code} n'est plus ouvert aux demandes dans D3."]
    if formation_continue:
        # Nothing else matters: D3 is not the way for this cursus at all.
        return [FORMATION_CONTINUE_MESSAGE]

    reasons = []
    includes_dd = kind in Kind.including_dd()
    includes_aep = kind in Kind.including_aep()
    validated = set(
        ValidatedUE.objects.filter(auditeur=auditeur).values_list("ue__code", flat=True)
    )
    rules = _group_rules(diplome)

    if includes_aep and diplome.rule_set_id is None:
        reasons.append(
            f"Le diplôme {diplome.code} n'exige pas d'expérience professionnelle : aucune "
            "analyse de l'expérience n'est nécessaire. Faites une demande de diplôme seule."
        )
    if includes_dd:
        reasons.extend(_cursus_reasons(validated, rules, diplome))
    if kind == Kind.AEP_ANTICIPEE:
        count = count_validated_in(validated, rules)
        required = diplome.min_ues_for_early_aep
        if count < required:
            reasons.append(
                "Une analyse anticipée de l'expérience professionnelle demande d'avoir "
                f"validé au moins {required} UE du diplôme ; vous en avez validé {count} : "
                f"il vous manque {required - count} UE."
            )
    if kind == Kind.DD and diplome.rule_set_id is not None and not _has_favourable_aep(
        auditeur, diplome
    ):
        reasons.append(
            "Vous n'avez pas d'analyse de l'expérience professionnelle favorable pour ce "
            "diplôme : choisissez « "
            f"{Kind.DD_AEP.label} » pour faire les deux demandes ensemble."
        )
    reasons.extend(_open_dossier_reasons(auditeur, diplome, kind))
    return reasons


def start_request(*, auditeur, diplome, kind, formation_continue):
    """Create the draft dossier, or raise :class:`RequestRefused` and create nothing."""
    kind = Kind(kind)
    with transaction.atomic():
        # Two submissions at once (double click, two tabs) would both pass the
        # "no open dossier" check before either creates its dossier: locking the
        # auditeur's row makes the second one wait, then see the first dossier.
        User.objects.select_for_update(of=("self",)).filter(pk=auditeur.pk).get()
        reasons = refusal_reasons(auditeur, diplome, kind,
                                  formation_continue=formation_continue)
        if reasons:
            raise RequestRefused(reasons)
        dossier = Dossier.objects.create(
            auditeur=auditeur,
            centre=auditeur.profile.centre,
            diplome=diplome,
            kind=kind,
            state=State.BROUILLON,
        )
        Piece.objects.bulk_create(
            Piece(dossier=dossier, piece_type=piece_type, status=PieceStatus.ATTENDUE)
            for piece_type in required_piece_types(kind)
        )
        # Not a transition (there is no state before), but the timeline starts here.
        Event.objects.create(
            dossier=dossier, actor=auditeur, action=CREATED, from_state="",
            to_state=State.BROUILLON, data={"kind": kind.value},
        )
    return dossier


def required_piece_types(kind):
    kind = Kind(kind)
    condition = Q(pk__in=[])
    if kind in Kind.including_dd():
        condition |= Q(required_for_dd=True)
    if kind in Kind.including_aep():
        condition |= Q(required_for_aep=True)
    return PieceType.objects.filter(condition)


def _group_rules(diplome):
    # One query for the groups and one for their UEs, instead of one per group.
    prefetch_related_objects([diplome], "groups__ues")
    return diplome.group_rules()


def _cursus_reasons(validated, rules, diplome):
    if not rules:
        return [
            f"Les UE du diplôme {diplome.code} ne sont pas encore décrites dans D3 : la "
            "demande de diplôme ne peut pas être vérifiée. Rapprochez-vous de votre centre "
            "d'inscription."
        ]
    reasons = []
    for group in evaluate_cursus(validated, rules).unsatisfied:
        reasons.append(
            "Toutes les UE du diplôme ne sont pas validées. "
            f"{group.summary} UE non validées : {', '.join(group.remaining)}."
        )
    return reasons


def _has_favourable_aep(auditeur, diplome):
    return Dossier.objects.filter(
        auditeur=auditeur,
        diplome=diplome,
        kind__in=Kind.including_aep(),
        aep_outcome__in=AepOutcome.favourable(),
    ).exists()


def _open_dossier_reasons(auditeur, diplome, kind):
    # A DD + AEP is both a DD and an AEP: it conflicts with an open dossier of either.
    conflicting = set()
    if kind in Kind.including_dd():
        conflicting.update(Kind.including_dd())
    if kind in Kind.including_aep():
        conflicting.update(Kind.including_aep())
    existing = (
        Dossier.objects.open()
        .filter(auditeur=auditeur, diplome=diplome, kind__in=conflicting)
        .order_by("created_at", "pk")
    )
    return [
        f"Vous avez déjà une demande en cours pour ce diplôme ({dossier.reference}, "
        f"{dossier.get_kind_display().lower()}, « {dossier.get_state_display()} ») : "
        "poursuivez-la, ou retirez-la avant d'en faire une nouvelle."
        for dossier in existing
    ]
