"""The dossier lifecycle: the one module through which every state change goes.

``TRANSITIONS`` is the whole diagram of domain.md: for each action, the states it may
start from and the state it leads to. Each transition is one function that calls
:func:`_transition`, which, in one database transaction:

1. locks the dossier row (``SELECT … FOR UPDATE OF dossier``), so that two people
   acting at once are serialised: the second one sees the state the first one left
   and gets a clear message instead of applying the action twice;
2. checks the current state against the table, then the action's own precondition;
3. writes the new state, one :class:`Event` (the audit trail and the auditeur's
   timeline) and the courriel of the action (outbox row, delivered after commit).

Either all of it is saved or none of it. Views never set ``state``; they call these
functions and turn :class:`TransitionError` into a message.

Implemented here: ``withdraw`` and ``sign`` (issue 3). The other actions are in the table
already (so ``can`` answers for them) and get their functions with their issues.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from d3.courriels.outbox import queue_courriel
from dossiers.digest import compute_digest
from dossiers.models import Dossier, Event, PieceFile, Signature, State

S = State


class TransitionError(Exception):
    """An action refused: ``message`` is French and can be shown as is.

    ``reasons`` details the message when there are several things to fix (e.g. each
    missing pièce), for a page that lists them.
    """

    def __init__(self, message, *, reasons=()):
        super().__init__(message)
        self.message = message
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    # What the auditeur's timeline and the staff's history say for this event.
    event_label: str
    # Specific refusals by current state; any other state gets the generic message.
    refusals: dict = field(default_factory=dict)

    def refusal(self, state):
        if state in self.refusals:
            return self.refusals[state]
        return f"Action impossible : le dossier est « {State(state).label} »."


_ALREADY_DEPOSITED = "Ce dossier a déjà été déposé : il ne peut plus être signé."
_BEFORE_JURY = (S.BROUILLON, S.DEPOSE, S.EN_CONTROLE, S.A_COMPLETER, S.TRANSMIS_DNF)
_WITH_JURY = "Ce dossier est présenté au jury : il ne peut plus être retiré."

TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            "sign", frozenset({S.BROUILLON, S.A_COMPLETER}), S.DEPOSE,
            "Dossier signé et déposé",
            refusals={
                state: _ALREADY_DEPOSITED
                for state in (S.DEPOSE, S.EN_CONTROLE, S.TRANSMIS_DNF, S.INSCRIT_JURY,
                              S.DECISION_RENDUE, S.COURRIER_ENVOYE)
            },
        ),
        Transition("take", frozenset({S.DEPOSE}), S.EN_CONTROLE,
                   "Dossier pris en charge par le centre"),
        Transition("ask_corrections", frozenset({S.EN_CONTROLE}), S.A_COMPLETER,
                   "Corrections demandées"),
        Transition("declare_complete", frozenset({S.EN_CONTROLE}), S.TRANSMIS_DNF,
                   "Dossier complet, transmis à la DNF"),
        Transition("declare_inadmissible", frozenset({S.EN_CONTROLE}), S.IRRECEVABLE,
                   "Dossier déclaré irrecevable"),
        Transition("add_to_session", frozenset({S.TRANSMIS_DNF}), S.INSCRIT_JURY,
                   "Dossier inscrit à une session de jury"),
        # From decision_rendue too: the jury may correct its decision until the
        # session is closed (the session's check belongs to the jury app).
        Transition("record_decision", frozenset({S.INSCRIT_JURY, S.DECISION_RENDUE}),
                   S.DECISION_RENDUE, "Décision du jury enregistrée"),
        Transition("send_letter", frozenset({S.DECISION_RENDUE}), S.COURRIER_ENVOYE,
                   "Courrier envoyé"),
        Transition(
            "withdraw", frozenset(_BEFORE_JURY), S.RETIRE, "Dossier retiré",
            refusals={
                S.RETIRE: "Ce dossier est déjà retiré.",
                S.INSCRIT_JURY: _WITH_JURY,
                S.DECISION_RENDUE: _WITH_JURY,
                S.COURRIER_ENVOYE: _WITH_JURY,
            },
        ),
    )
}

# Events that are not transitions, for the timeline.
CREATED = "created"
EVENT_LABELS = {CREATED: "Demande créée"} | {
    action: t.event_label for action, t in TRANSITIONS.items()
}


def _get(action):
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise ValueError(f"Unknown dossier action {action!r}") from None


def can(action, dossier):
    """Whether ``action`` is allowed from the dossier's current state (no query).

    For templates and menus only: it does not check who acts nor the action's own
    precondition, and the transition itself checks again against the locked row.
    """
    return dossier.state in _get(action).sources


def allowed_actions(dossier):
    """The actions allowed from the dossier's state: ``{% if "withdraw" in actions %}``."""
    return frozenset(action for action, t in TRANSITIONS.items() if dossier.state in t.sources)


def check(action, dossier):
    """Raise :class:`TransitionError` if ``action`` is not allowed from the dossier's state."""
    transition = _get(action)
    if dossier.state not in transition.sources:
        raise TransitionError(transition.refusal(dossier.state))


def _owned_by(user):
    # Auditeur actions: another auditeur's dossier does not exist for this user (404,
    # nothing leaks), and neither does any dossier for a staff member.
    return Dossier.objects.visible_to(user).filter(auditeur=user)


def _transition(dossier_id, action, *, actor, queryset=None, comment="",
                visible_to_auditeur=True, data=None, precondition=None, after=None):
    """Apply ``action`` to the dossier in one transaction; return the updated dossier.

    ``queryset`` scopes who may act (``Dossier.DoesNotExist`` otherwise);
    ``precondition(dossier)`` raises :class:`TransitionError` to refuse;
    ``after(dossier, event)`` writes what goes with the change (signature, courriel),
    in the same transaction.
    """
    transition = _get(action)
    queryset = Dossier.objects.all() if queryset is None else queryset
    with transaction.atomic():
        dossier = (
            queryset.select_for_update(of=("self",))
            .select_related("auditeur", "diplome", "centre")
            .get(pk=dossier_id)
        )
        check(action, dossier)
        if precondition is not None:
            precondition(dossier)
        from_state = dossier.state
        dossier.state = transition.target
        dossier.state_changed_at = timezone.now()
        dossier.save(update_fields=["state", "state_changed_at", "updated_at"])
        event = Event.objects.create(
            dossier=dossier,
            actor=actor,
            action=action,
            from_state=from_state,
            to_state=transition.target,
            comment=comment,
            visible_to_auditeur=visible_to_auditeur,
            data=data or {},
        )
        if after is not None:
            after(dossier, event)
    return dossier


def _auditeur_context(dossier):
    auditeur = dossier.auditeur
    profile = getattr(auditeur, "profile", None)
    return {
        "civilite": profile.get_civilite_display() if profile else "",
        "display_name": profile.display_name if profile else auditeur.get_full_name(),
        "reference": dossier.reference,
        "diplome_code": dossier.diplome.code,
        "diplome_title": dossier.diplome.title,
        "kind_label": dossier.get_kind_display(),
        "centre_name": dossier.centre.name,
    }


def _queue_to_auditeur(dossier, template, context, attachments=()):
    auditeur = dossier.auditeur
    if not auditeur.email:
        # The profile asks for an e-mail; an account imported without one only misses
        # the courriel, the state change still stands and shows in the space.
        return None
    return queue_courriel(
        to=auditeur.email,
        template=template,
        context=_auditeur_context(dossier) | context,
        recipient_user=auditeur,
        dossier_reference=dossier.reference,
        attachments=attachments,
    )


# --- Withdraw ------------------------------------------------------------------------


def withdraw(dossier_id, *, user, comment=""):
    """The auditeur withdraws his/her dossier (any state before the jury).

    Raises ``Dossier.DoesNotExist`` when ``user`` is not the dossier's auditeur,
    :class:`TransitionError` when the state does not allow it.
    """

    def after(dossier, event):
        _queue_to_auditeur(dossier, "dossier_retire", {
            "withdrawn_at": event.created_at,
            "comment": comment,
        })

    return _transition(dossier_id, "withdraw", actor=user, queryset=_owned_by(user),
                       comment=comment, after=after)


# --- Sign ----------------------------------------------------------------------------


def required_pieces(dossier):
    """The dossier's pièces whose type its kind requires."""
    pieces = dossier.pieces.select_related("piece_type")
    return [
        piece for piece in pieces
        if (dossier.includes_dd and piece.piece_type.required_for_dd)
        or (dossier.includes_aep and piece.piece_type.required_for_aep)
    ]


def sign_blockers(dossier):
    """What is still missing before the dossier can be signed (French sentences).

    Empty when it can be signed. An AEP without any period is allowed: "no experience"
    is an answer (a stage will be required), not a missing field.
    """
    blockers = []
    if dossier.includes_dd and not dossier.prerequisite_title.strip():
        blockers.append("Indiquez le diplôme prérequis que vous avez obtenu.")
    with_file = set(
        PieceFile.objects.filter(piece__dossier=dossier, replaced_at__isnull=True)
        .values_list("piece_id", flat=True)
    )
    for piece in required_pieces(dossier):
        if piece.pk not in with_file:
            blockers.append(f"Pièce à déposer : {piece.piece_type.label}.")
    return blockers


def blockers_message(blockers):
    return "Le dossier ne peut pas encore être signé : " + " ".join(blockers)


def sign(dossier_id, *, user, digest, signed_at, ip, user_agent, recapitulatif_key):
    """Record the auditeur's signature and deposit the dossier; return the Signature.

    Called by :func:`dossiers.signing.sign_dossier`, which checks the password and the
    sworn statement and renders the récapitulatif (slow) before the lock is taken.
    Here, under the lock, the dossier must still be signable and its content must still
    have ``digest``, the one printed on the récapitulatif: otherwise something changed
    in between and the auditeur must read the new récapitulatif before signing.
    """
    signature = None

    def precondition(dossier):
        blockers = sign_blockers(dossier)
        if blockers:
            raise TransitionError(blockers_message(blockers), reasons=blockers)
        if compute_digest(dossier) != digest:
            raise TransitionError(
                "Le dossier a été modifié pendant la signature : relisez le récapitulatif "
                "et signez à nouveau."
            )

    def after(dossier, event):
        nonlocal signature
        signature = Signature.objects.create(
            dossier=dossier,
            signed_by=user,
            signed_at=signed_at,
            ip_address=ip or None,
            user_agent=(user_agent or "")[:500],
            digest=digest,
            recapitulatif_key=recapitulatif_key,
        )
        event.data = {"digest": digest, "signature": signature.pk}
        event.save(update_fields=["data"])
        _queue_to_auditeur(
            dossier,
            "dossier_depose",
            {
                "signed_at": signed_at,
                "digest": digest,
                "resigned": event.from_state == State.A_COMPLETER,
            },
            attachments=[{
                "name": f"recapitulatif-{dossier.reference}.pdf",
                "path": recapitulatif_key,
                "mimetype": "application/pdf",
            }],
        )

    _transition(dossier_id, "sign", actor=user, queryset=_owned_by(user),
                precondition=precondition, after=after)
    return signature
