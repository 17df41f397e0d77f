"""The jury's decisions: recorded by the members of a session until it is closed.

A decision says whether the cursus is validated; for an AEP, whether the experience is
validated, validated subject to a stage of N months, or not; for a DD, whether the
diploma is delivered, the candidate ajourné or refused; and a motive, required when the
decision is not favourable, which the courrier prints.

Lost updates. Two members may edit the same decision at once. Each form carries the
``version`` it was opened on; :func:`record_decision` compares it with the stored one
under the dossier's lock and raises :class:`DecisionChanged` (with the decision as it
now is) when they differ, instead of silently overwriting what the other member saved.
"""

from django.db import transaction
from django.utils import timezone

from dossiers import workflow
from dossiers.models import AepOutcome, Dossier
from dossiers.workflow import TransitionError
from jury.models import DdOutcome, Decision, JurySession

__all__ = [
    "MAX_MOTIVE_LENGTH",
    "MAX_STAGE_MONTHS",
    "MIN_STAGE_MONTHS",
    "SESSION_CLOSED",
    "DecisionChanged",
    "decision_summary",
    "is_favourable",
    "jury_dossiers",
    "record_decision",
    "sits_on",
]

MIN_STAGE_MONTHS = 3
MAX_STAGE_MONTHS = 24
MAX_MOTIVE_LENGTH = 5000
SESSION_CLOSED = (
    "La session de jury est close : les décisions ne peuvent plus être modifiées."
)


class DecisionChanged(TransitionError):
    """The decision was saved by someone else since the form was opened.

    ``current_decision`` is the decision as it now is (or ``None`` if there is none),
    for the page to show it in place of what the member typed.
    """

    def __init__(self, current_decision):
        self.current_decision = current_decision
        if current_decision is None:
            message = (
                "La décision a changé depuis l'ouverture du formulaire : rechargez la page."
            )
        else:
            who = workflow.display_name(current_decision.recorded_by)
            when = timezone.localtime(current_decision.recorded_at)
            message = (
                f"La décision a été modifiée par {who} le {when:%d/%m/%Y à %H:%M} pendant "
                f"que vous la saisissiez. Voici la décision enregistrée : vérifiez-la et, "
                f"si besoin, enregistrez à nouveau vos modifications."
            )
        super().__init__(message)


def sits_on(user):
    """The sessions ``user`` sits on, as president or member; none for other roles."""
    from auditeurs.models import Role

    if not (user.is_authenticated and user.is_active and user.role == Role.MEMBRE_JURY):
        return JurySession.objects.none()
    return JurySession.objects.visible_to(user)


def jury_dossiers(user):
    """The dossiers ``user`` may decide on: those of the sessions he/she sits on."""
    return Dossier.objects.visible_to(user).filter(jury_session__in=sits_on(user))


def is_favourable(*, cursus_valide, aep_outcome="", dd_outcome=""):
    """Whether a decision needs no motive: everything asked for is granted in full."""
    return (
        bool(cursus_valide)
        and aep_outcome in ("", AepOutcome.VALIDEE)
        and dd_outcome in ("", DdOutcome.DELIVRE)
    )


def record_decision(dossier_id, *, user, expected_version, cursus_valide, aep_outcome="",
                    stage_months=None, dd_outcome="", motive=""):
    """Record or correct the jury's decision on a dossier; return the :class:`Decision`.

    ``user`` must sit on the dossier's session (``Dossier.DoesNotExist`` otherwise) and
    the session must be open. ``expected_version`` is the version the member saw:
    ``None`` for a first decision. The dossier goes to ``decision_rendue`` (event, no
    courriel) and, for a dossier with an AEP, keeps the AEP's outcome in
    ``Dossier.aep_outcome`` (what a later DD of the same diploma relies on).

    Raises :class:`DecisionChanged` on a stale version, :class:`TransitionError` with
    ``errors`` (one per field) when the decision is incomplete or inconsistent.
    """
    aep_outcome = aep_outcome or ""
    dd_outcome = dd_outcome or ""
    motive = (motive or "").strip()
    stage_months = None if stage_months in (None, "") else int(stage_months)
    decision = None
    with transaction.atomic():
        # The session first, as every function that changes a session's dossiers:
        # closing waits for this decision, or this decision sees the session closed.
        session_id = (
            jury_dossiers(user).values_list("jury_session_id", flat=True).get(pk=dossier_id)
        )
        session = (
            JurySession.objects.select_for_update(of=("self",)).select_related("president")
            .get(pk=session_id)
        )
        if session.is_closed:
            raise TransitionError(SESSION_CLOSED)

        def precondition(dossier):
            nonlocal decision
            if dossier.jury_session_id != session.pk:
                # Taken off the session between the two reads above.
                raise TransitionError("Ce dossier n'est plus inscrit à cette session de jury.")
            decision = (
                Decision.objects.select_for_update(of=("self",)).select_related("recorded_by")
                .filter(dossier=dossier).first()
            )
            current_version = decision.version if decision is not None else None
            if current_version != expected_version:
                raise DecisionChanged(decision)
            _validate(dossier, cursus_valide=cursus_valide, aep_outcome=aep_outcome,
                      stage_months=stage_months, dd_outcome=dd_outcome, motive=motive)

        def changes(dossier):
            return {"aep_outcome": aep_outcome} if dossier.includes_aep else {}

        def after(dossier, event):
            nonlocal decision
            fields = {
                "cursus_valide": bool(cursus_valide),
                "aep_outcome": aep_outcome,
                "stage_months": stage_months if aep_outcome == AepOutcome.VALIDEE_SOUS_RESERVE
                else None,
                "dd_outcome": dd_outcome,
                "motive": motive,
                "recorded_by": user,
                "recorded_at": event.created_at,
            }
            if decision is None:
                decision = Decision.objects.create(dossier=dossier, session=session, **fields)
            else:
                for name, value in fields.items():
                    setattr(decision, name, value)
                decision.version += 1
                decision.save()
            event.data = {
                "session": session.pk,
                "version": decision.version,
                "cursus_valide": decision.cursus_valide,
                "aep_outcome": aep_outcome,
                "stage_months": decision.stage_months,
                "dd_outcome": dd_outcome,
            }
            event.save(update_fields=["data"])

        workflow.record_decision(dossier_id, user=user, queryset=jury_dossiers(user),
                                 precondition=precondition, changes=changes, after=after)
    return decision


def _validate(dossier, *, cursus_valide, aep_outcome, stage_months, dd_outcome, motive):
    """Raise TransitionError with each field's error if the decision does not hold."""
    errors = {}
    if cursus_valide is None:
        errors["cursus_valide"] = "Indiquez si le cursus est validé."
    if dossier.includes_aep:
        if aep_outcome not in AepOutcome.values:
            errors["aep_outcome"] = "Indiquez la décision sur l'expérience professionnelle."
        elif aep_outcome == AepOutcome.VALIDEE_SOUS_RESERVE:
            if stage_months is None:
                errors["stage_months"] = "Indiquez la durée du stage exigé, en mois."
            elif not (MIN_STAGE_MONTHS <= stage_months <= MAX_STAGE_MONTHS):
                errors["stage_months"] = (
                    f"La durée du stage doit être comprise entre {MIN_STAGE_MONTHS} et "
                    f"{MAX_STAGE_MONTHS} mois."
                )
    elif aep_outcome:
        errors["aep_outcome"] = (
            "Ce dossier ne comporte pas d'analyse de l'expérience professionnelle."
        )
    if stage_months is not None and aep_outcome != AepOutcome.VALIDEE_SOUS_RESERVE \
            and "aep_outcome" not in errors:
        errors["stage_months"] = (
            "Une durée de stage ne s'indique que pour une expérience validée sous réserve "
            "d'un stage."
        )
    if dossier.includes_dd:
        if dd_outcome not in DdOutcome.values:
            errors["dd_outcome"] = "Indiquez la décision sur la délivrance du diplôme."
        elif dd_outcome == DdOutcome.DELIVRE:
            if cursus_valide is False:
                errors["dd_outcome"] = (
                    "Le diplôme ne peut pas être délivré si le cursus n'est pas validé."
                )
            elif dossier.includes_aep and aep_outcome in AepOutcome.values \
                    and aep_outcome != AepOutcome.VALIDEE:
                errors["dd_outcome"] = (
                    "Le diplôme ne peut être délivré que si l'expérience professionnelle "
                    "est validée sans réserve."
                )
    elif dd_outcome:
        errors["dd_outcome"] = "Ce dossier ne comporte pas de demande de diplôme."
    if not errors and not motive and not is_favourable(
        cursus_valide=cursus_valide, aep_outcome=aep_outcome, dd_outcome=dd_outcome
    ):
        errors["motive"] = (
            "Indiquez le motif de la décision : il est imprimé dans le courrier envoyé à "
            "l'auditeur."
        )
    if len(motive) > MAX_MOTIVE_LENGTH:
        errors["motive"] = f"Le motif ne peut pas dépasser {MAX_MOTIVE_LENGTH} caractères."
    if errors:
        raise TransitionError(
            "La décision n'est pas enregistrée : " + " ".join(errors.values()),
            reasons=list(errors.values()), errors=errors,
        )


def decision_summary(decision, dossier=None):
    """The decision in words, one line per part, for pages, the PV and the courrier."""
    dossier = dossier or decision.dossier
    lines = [("Cursus", "validé" if decision.cursus_valide else "non validé")]
    if dossier.includes_aep and decision.aep_outcome:
        label = AepOutcome(decision.aep_outcome).label
        if decision.aep_outcome == AepOutcome.VALIDEE_SOUS_RESERVE and decision.stage_months:
            label = f"{label} de {decision.stage_months} mois"
        lines.append(("Expérience professionnelle", label))
    if dossier.includes_dd and decision.dd_outcome:
        lines.append(("Diplôme", DdOutcome(decision.dd_outcome).label))
    return lines
