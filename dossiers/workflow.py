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

Implemented here: the auditeur's ``withdraw`` and ``sign`` (issue 3); the centre's review
(issue 4): ``take``, ``take_over`` (a change of gestionnaire, not of state),
``ask_corrections``, ``declare_complete``, ``declare_inadmissible``. Verdicts on pièces and
internal notes, which change no state, are in :mod:`dossiers.review`. The jury's arrows
(issue 5): ``add_to_session``, ``remove_from_session``, ``record_decision``,
``send_letter``; the jury app (:mod:`jury.sessions`, :mod:`jury.decisions`,
:mod:`jury.tasks`) locks the session first, checks what belongs to it (open or closed,
who sits on it) and calls them.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from d3.courriels.outbox import queue_courriel
from dossiers import centre_counts
from dossiers.digest import compute_digest
from dossiers.models import Dossier, Event, PieceFile, PieceStatus, ScanStatus, Signature, State

S = State


class TransitionError(Exception):
    """An action refused: ``message`` is French and can be shown as is.

    ``reasons`` details the message when there are several things to fix (e.g. each
    missing pièce), for a page that lists them.

    ``errors`` maps a form field to what is wrong with it, for a page that shows each
    next to its field (``form.add_error(field, message)``).
    """

    def __init__(self, message, *, reasons=(), errors=None):
        super().__init__(message)
        self.message = message
        self.reasons = tuple(reasons)
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    # What the auditeur's timeline and the staff's history say for this event.
    event_label: str
    # Specific refusals by current state; any other state gets the generic message.
    # A value is a message, or ``f(dossier, user) -> message`` when it names someone.
    refusals: dict = field(default_factory=dict)

    def refusal(self, state, dossier=None, user=None):
        message = self.refusals.get(state)
        if callable(message):
            return message(dossier, user)
        if message:
            return message
        return f"Action impossible : le dossier est « {State(state).label} »."


def display_name(user):
    """A staff member or auditeur as messages and courriels name him/her."""
    if user is None:
        return "un autre gestionnaire"
    return user.get_full_name() or user.username


_ALREADY_DEPOSITED = "Ce dossier a déjà été déposé : il ne peut plus être signé."
_BEFORE_JURY = (S.BROUILLON, S.DEPOSE, S.EN_CONTROLE, S.A_COMPLETER, S.TRANSMIS_DNF)
_WITH_JURY = "Ce dossier est présenté au jury : il ne peut plus être retiré."

TAKE_FIRST = "Prenez d'abord ce dossier en charge."
_WITHDRAWN = "Ce dossier a été retiré par l'auditeur : il n'y a plus rien à contrôler."
_WAITING_CORRECTIONS = (
    "Ce dossier attend les corrections de l'auditeur : vous pourrez le contrôler quand il "
    "l'aura signé à nouveau."
)


def _already_taken(dossier, user):
    if user is not None and dossier is not None and dossier.owner_id == user.pk:
        return "Vous avez déjà pris ce dossier en charge."
    owner = dossier.owner if dossier is not None and dossier.owner_id else None
    return f"Ce dossier est déjà pris en charge par {display_name(owner)}."


def _on_a_session(dossier, user):
    session = dossier.jury_session if dossier is not None and dossier.jury_session_id else None
    if session is None:
        return "Ce dossier est déjà inscrit à une session de jury."
    return f"Ce dossier est déjà inscrit à la session de jury du {session.date:%d/%m/%Y}."


_DECISION_RECORDED = (
    "Le jury a déjà rendu sa décision sur ce dossier : il ne peut plus être retiré de la "
    "session."
)

# Refusals of the centre's decisions, which all start from en_controle.
_REVIEW_REFUSALS = {
    S.DEPOSE: TAKE_FIRST,
    S.RETIRE: _WITHDRAWN,
}

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
        Transition(
            "take", frozenset({S.DEPOSE}), S.EN_CONTROLE,
            "Dossier pris en charge par le centre",
            refusals={
                S.EN_CONTROLE: _already_taken,
                S.A_COMPLETER: _WAITING_CORRECTIONS,
                S.RETIRE: _WITHDRAWN,
            },
        ),
        Transition(
            "ask_corrections", frozenset({S.EN_CONTROLE}), S.A_COMPLETER,
            "Corrections demandées",
            refusals=_REVIEW_REFUSALS | {
                S.A_COMPLETER: "Les corrections ont déjà été demandées à l'auditeur.",
            },
        ),
        Transition(
            "declare_complete", frozenset({S.EN_CONTROLE}), S.TRANSMIS_DNF,
            "Dossier complet, transmis à la DNF",
            refusals=_REVIEW_REFUSALS | {
                S.A_COMPLETER: _WAITING_CORRECTIONS,
                S.TRANSMIS_DNF: "Ce dossier a déjà été transmis à la DNF.",
            },
        ),
        Transition(
            "declare_inadmissible", frozenset({S.EN_CONTROLE}), S.IRRECEVABLE,
            "Dossier déclaré irrecevable",
            refusals=_REVIEW_REFUSALS | {
                S.A_COMPLETER: _WAITING_CORRECTIONS,
                S.IRRECEVABLE: "Ce dossier a déjà été déclaré irrecevable.",
            },
        ),
        Transition(
            "add_to_session", frozenset({S.TRANSMIS_DNF}), S.INSCRIT_JURY,
            "Dossier inscrit à une session de jury",
            refusals={
                S.INSCRIT_JURY: _on_a_session,
                S.DECISION_RENDUE: _on_a_session,
                S.COURRIER_ENVOYE: "Ce dossier a déjà été présenté au jury.",
                S.RETIRE: "Ce dossier a été retiré par l'auditeur.",
            },
        ),
        # The DNF takes a dossier off a session that is not closed, before any decision.
        Transition(
            "remove_from_session", frozenset({S.INSCRIT_JURY}), S.TRANSMIS_DNF,
            "Dossier retiré de la session de jury",
            refusals={
                S.TRANSMIS_DNF: "Ce dossier n'est inscrit à aucune session de jury.",
                S.DECISION_RENDUE: _DECISION_RECORDED,
                S.COURRIER_ENVOYE: "Le courrier de décision de ce dossier est déjà envoyé.",
            },
        ),
        # From decision_rendue too: the jury may correct its decision until the
        # session is closed (the session's check belongs to the jury app).
        Transition(
            "record_decision", frozenset({S.INSCRIT_JURY, S.DECISION_RENDUE}),
            S.DECISION_RENDUE, "Décision du jury enregistrée",
            refusals={
                S.COURRIER_ENVOYE: "Le courrier de décision de ce dossier est déjà envoyé : "
                                   "la décision ne peut plus être modifiée.",
                S.TRANSMIS_DNF: "Ce dossier n'est plus inscrit à une session de jury.",
                S.RETIRE: "Ce dossier a été retiré.",
            },
        ),
        Transition(
            "send_letter", frozenset({S.DECISION_RENDUE}), S.COURRIER_ENVOYE,
            "Courrier de décision envoyé",
            refusals={S.COURRIER_ENVOYE: "Le courrier de décision est déjà envoyé."},
        ),
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

# Events that are not transitions, for the timeline and the staff's history.
CREATED = "created"
TAKE_OVER = "take_over"  # another gestionnaire of the centre takes the dossier over
PIECE_VERDICT = "piece_verdict"  # dossiers.review.set_piece_verdict
NOTE = "note"  # dossiers.review.add_note, never shown to the auditeur
COURRIER_SCHEDULED = "courrier_scheduled"  # jury.sessions.close_session
COURRIER_RESENT = "courrier_resent"  # jury.courriers.resend

EVENT_LABELS = {
    CREATED: "Demande créée",
    TAKE_OVER: "Dossier repris par un autre gestionnaire du centre",
    PIECE_VERDICT: "Pièce vérifiée",
    NOTE: "Note interne du centre",
    COURRIER_SCHEDULED: "Courrier de décision programmé",
    COURRIER_RESENT: "Courrier de décision renvoyé",
} | {action: t.event_label for action, t in TRANSITIONS.items()}
# A re-deposit is a ``sign`` event from a_completer: the timeline says so.
REDEPOSIT_LABEL = "Dossier déposé à nouveau après corrections"
VERDICT_LABELS = {
    PieceStatus.CONFORME: "Pièce vérifiée : conforme",
    PieceStatus.ERRONEE: "Pièce vérifiée : erronée",
    PieceStatus.MANQUANTE: "Pièce vérifiée : manquante",
}


def event_label(event):
    """The event in the auditeur's words, with what ``EVENT_LABELS`` cannot know:
    a re-deposit after corrections, the verdict and the pièce it concerns."""
    if event.action == "sign" and event.from_state == State.A_COMPLETER:
        return REDEPOSIT_LABEL
    if event.action == PIECE_VERDICT:
        data = event.data or {}
        label = VERDICT_LABELS.get(data.get("status"), EVENT_LABELS[PIECE_VERDICT])
        return f"{label} ({data['piece']})" if data.get("piece") else label
    if event.action == COURRIER_SCHEDULED and (event.data or {}).get("due_on"):
        due_on = datetime.date.fromisoformat(event.data["due_on"])
        return f"Courrier de décision programmé pour le {due_on:%d/%m/%Y}"
    if event.action in EVENT_LABELS:
        return EVENT_LABELS[event.action]
    return State(event.to_state).label if event.to_state else event.action


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


def check(action, dossier, user=None):
    """Raise :class:`TransitionError` if ``action`` is not allowed from the dossier's state.

    ``user``, the one acting, lets a refusal speak to him/her ("Vous avez déjà…").
    """
    transition = _get(action)
    if dossier.state not in transition.sources:
        raise TransitionError(transition.refusal(dossier.state, dossier, user))


def _owned_by(user):
    # Auditeur actions: another auditeur's dossier does not exist for this user (404,
    # nothing leaks), and neither does any dossier for a staff member.
    return Dossier.objects.visible_to(user).filter(auditeur=user)


def centre_dossiers(user):
    """The dossiers ``user`` may review as a gestionnaire: his/her centres' signed ones.

    Anything else does not exist for him/her (a 404), whoever he/she is.
    """
    from auditeurs.models import Role

    if getattr(user, "role", None) != Role.GESTIONNAIRE:
        return Dossier.objects.none()
    return Dossier.objects.visible_to(user)


def lock_dossier(queryset, dossier_id):
    """The dossier row, locked until the end of the current transaction.

    ``OF "self"``: the joined rows (auditeur, centre…) are read, not locked, so that
    two dossiers of the same auditeur or centre never wait for each other.

    ``owner`` is not joined: after waiting for the lock, PostgreSQL returns the new
    version of the dossier row but the joined rows of the first read, so a joined
    owner would still be the one (or the nobody) from before the other transaction,
    while ``owner_id`` is already the new one. Read through ``owner_id``, it is right.

    The same goes for a subquery of ``queryset``: after the wait, the new version of the
    row is checked against the subquery's rows of the first read. The gestionnaire's
    scope ("withdrawn, if signed": the signatures of the withdrawn dossiers) thus lost
    a dossier the auditeur withdrew while a gestionnaire was waiting to take it: a 404
    instead of "Ce dossier a été retiré…". So when the scoped lock finds nothing, the
    row is locked by its id and the scope asked again by a new statement, which sees
    what the other transaction committed; the usual path costs no extra query.
    """
    def locked(rows):
        return (
            rows.select_for_update(of=("self",))
            .select_related("auditeur", "diplome", "centre")
            .get(pk=dossier_id)
        )

    try:
        return locked(queryset)
    except Dossier.DoesNotExist:
        dossier = locked(Dossier.objects.all())
        if not queryset.filter(pk=dossier_id).exists():
            raise
        return dossier


def _transition(dossier_id, action, *, actor, queryset=None, comment="",
                visible_to_auditeur=True, data=None, precondition=None, changes=None,
                after=None):
    """Apply ``action`` to the dossier in one transaction; return the updated dossier.

    ``queryset`` scopes who may act (``Dossier.DoesNotExist`` otherwise);
    ``precondition(dossier)`` raises :class:`TransitionError` to refuse;
    ``changes(dossier)`` returns other fields to save with the state (``{"owner": …}``),
    computed from the locked row;
    ``after(dossier, event)`` writes what goes with the change (signature, courriel),
    in the same transaction.
    """
    transition = _get(action)
    queryset = Dossier.objects.all() if queryset is None else queryset
    with transaction.atomic():
        dossier = lock_dossier(queryset, dossier_id)
        check(action, dossier, actor)
        if precondition is not None:
            precondition(dossier)
        fields = changes(dossier) if changes is not None else {}
        from_state = dossier.state
        for name, value in fields.items():
            setattr(dossier, name, value)
        dossier.state = transition.target
        dossier.state_changed_at = timezone.now()
        dossier.save(update_fields=["state", "state_changed_at", "updated_at", *fields])
        centre_counts.changed(dossier.centre_id)
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
    current = PieceFile.objects.filter(piece__dossier=dossier, replaced_at__isnull=True)
    with_file = set(current.usable().values_list("piece_id", flat=True))
    # A file the antivirus has not passed yet counts as nothing, and holds the
    # signature even beside other files: signing would hand it to the centre.
    scanning = set(
        current.filter(scan_status=ScanStatus.EN_ATTENTE).values_list("piece_id", flat=True)
    )
    for piece in dossier.pieces.filter(pk__in=scanning).select_related("piece_type"):
        blockers.append(
            f"Analyse antivirus en cours (quelques minutes) : {piece.piece_type.label}."
        )
    for piece in required_pieces(dossier):
        if piece.pk in scanning:
            continue
        if piece.pk not in with_file:
            blockers.append(f"Pièce à déposer : {piece.piece_type.label}.")
        elif piece.status in FLAGGED_STATUSES:
            # Replacing a flagged pièce sets it back to "déposée": one still flagged
            # is one the centre asked for and the auditeur has not corrected yet.
            blockers.append(
                f"Pièce signalée par votre centre, à remplacer : {piece.piece_type.label}."
            )
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
        if event.from_state == State.A_COMPLETER:
            _queue_redeposit_to_centre(dossier, signed_at)

    _transition(dossier_id, "sign", actor=user, queryset=_owned_by(user),
                precondition=precondition, after=after)
    return signature


def _queue_redeposit_to_centre(dossier, signed_at):
    """Tell the centre's service that a dossier it sent back is ready to be checked again."""
    centre = dossier.centre
    if not centre.service_email:
        # The centre's queue shows re-deposits first anyway; the courriel is a reminder.
        return None
    profile = getattr(dossier.auditeur, "profile", None)
    return queue_courriel(
        to=centre.service_email,
        template="dossier_redepose",
        context={
            "reference": dossier.reference,
            "auditeur_name": _auditeur_context(dossier)["display_name"],
            "auditeur_number": profile.auditeur_number if profile else "",
            "diplome_code": dossier.diplome.code,
            "diplome_title": dossier.diplome.title,
            "kind_label": dossier.get_kind_display(),
            "centre_name": centre.name,
            "correction_round": dossier.correction_round,
            "signed_at": signed_at,
        },
        dossier_reference=dossier.reference,
    )


# --- Centre review ---------------------------------------------------------------------
#
# A gestionnaire of the dossier's centre takes it in charge (it becomes its "owner"),
# gives a verdict on each pièce (dossiers.review), then asks for corrections, declares
# it complete (to the DNF) or not admissible. Only the owner decides; another
# gestionnaire of the centre may take the dossier over (absence, sharing of work).

FLAGGED_STATUSES = (PieceStatus.ERRONEE, PieceStatus.MANQUANTE)
NO_FLAGGED_PIECE = (
    "Aucune pièce n'est signalée erronée ou manquante : il n'y a pas de correction à "
    "demander."
)
MOTIVE_REQUIRED = "Indiquez le motif d'irrecevabilité : l'auditeur le lira dans le courriel."
MAX_TEXT_LENGTH = 5000


def require_owner(dossier, user):
    """Refuse unless ``user`` has the dossier in charge (call it on the locked row)."""
    if dossier.owner_id is None or dossier.owner_id != user.pk:
        raise TransitionError(TAKE_FIRST)


def absolute_url(name, *args):
    """An absolute link for a courriel: ``D3_SITE_URL`` and the path of ``name``."""
    return settings.D3_SITE_URL.rstrip("/") + reverse(name, args=args)


def take(dossier_id, *, user):
    """A gestionnaire of the centre takes a deposited dossier in charge; return it.

    ``Dossier.DoesNotExist`` unless ``user`` is a gestionnaire of the dossier's centre;
    :class:`TransitionError` if it is not ``depose`` (already taken by someone: the
    message names him/her).
    """
    return _transition(
        dossier_id, "take", actor=user, queryset=centre_dossiers(user),
        changes=lambda dossier: {"owner": user},
        data={"owner": user.pk, "owner_name": display_name(user)},
    )


def take_over(dossier_id, *, user):
    """Another gestionnaire of the centre takes over a dossier in control; return it.

    Not a transition: the state stays ``en_controle`` (``state_changed_at`` too) and the
    event is for the staff only. Refused if ``user`` has it in charge already.
    """
    with transaction.atomic():
        dossier = lock_dossier(centre_dossiers(user), dossier_id)
        if dossier.state != State.EN_CONTROLE:
            if dossier.state == State.DEPOSE:
                raise TransitionError(
                    "Ce dossier n'est encore pris en charge par personne : prenez-le en "
                    "charge."
                )
            raise TransitionError(
                f"Seul un dossier en cours de contrôle peut être repris ; celui-ci est "
                f"« {State(dossier.state).label} »."
            )
        if dossier.owner_id == user.pk:
            raise TransitionError("Vous avez déjà ce dossier en charge.")
        previous = dossier.owner
        dossier.owner = user
        dossier.save(update_fields=["owner", "updated_at"])
        centre_counts.changed(dossier.centre_id)
        Event.objects.create(
            dossier=dossier,
            actor=user,
            action=TAKE_OVER,
            visible_to_auditeur=False,
            data={
                "previous_owner": previous.pk if previous else None,
                "previous_owner_name": display_name(previous) if previous else "",
            },
        )
    return dossier


def ask_corrections(dossier_id, *, user, deadline=None):
    """The owner sends the dossier back to the auditeur for the flagged pièces; return it.

    At least one pièce must be ``erronee`` or ``manquante`` (each carries the
    gestionnaire's comment, see :func:`dossiers.review.set_piece_verdict`).
    ``deadline`` (a date after today, optional) is printed in the courriel.
    """
    flagged = []

    def precondition(dossier):
        require_owner(dossier, user)
        if deadline is not None and deadline <= timezone.localdate():
            raise TransitionError(
                "La date limite des corrections doit être postérieure à aujourd'hui."
            )
        flagged.extend(
            dossier.pieces.filter(status__in=FLAGGED_STATUSES).select_related("piece_type")
        )
        if not flagged:
            raise TransitionError(NO_FLAGGED_PIECE)

    def changes(dossier):
        return {"correction_round": dossier.correction_round + 1,
                "corrections_due": deadline}

    def after(dossier, event):
        rows = [
            {
                "label": piece.piece_type.label,
                "status": piece.status,
                "status_label": PieceStatus(piece.status).label,
                "comment": piece.comment,
            }
            for piece in flagged
        ]
        event.data = {
            "round": dossier.correction_round,
            "deadline": deadline.isoformat() if deadline else None,
            "pieces": [
                {"piece": row["label"], "status": row["status"], "comment": row["comment"]}
                for row in rows
            ],
        }
        event.save(update_fields=["data"])
        _queue_to_auditeur(dossier, "corrections_demandees", {
            "pieces": rows,
            "deadline": deadline,
            "correction_round": dossier.correction_round,
            "corrections_url": _corrections_url(dossier),
        })

    return _transition(dossier_id, "ask_corrections", actor=user,
                       queryset=centre_dossiers(user), precondition=precondition,
                       changes=changes, after=after)


def _corrections_url(dossier):
    return absolute_url("dossiers:corrections", dossier.pk)


def declare_complete(dossier_id, *, user):
    """The owner declares the dossier complete: it goes to the DNF; return it.

    Every pièce of the dossier must be ``conforme``; the refusal lists the others
    (``reasons``). The owner stays recorded as the gestionnaire who checked it.
    """

    def precondition(dossier):
        require_owner(dossier, user)
        others = [
            piece for piece in dossier.pieces.select_related("piece_type")
            if piece.status != PieceStatus.CONFORME
        ]
        if others:
            reasons = [
                f"{piece.piece_type.label} : {PieceStatus(piece.status).label.lower()}."
                for piece in others
            ]
            raise TransitionError(
                "Le dossier ne peut être déclaré complet que lorsque toutes ses pièces "
                "sont conformes. À vérifier : " + " ".join(reasons),
                reasons=reasons,
            )

    def after(dossier, event):
        _queue_to_auditeur(dossier, "dossier_transmis", {
            "transmitted_at": event.created_at,
            "dossier_url": absolute_url("dossiers:detail", dossier.pk),
        })

    return _transition(dossier_id, "declare_complete", actor=user,
                       queryset=centre_dossiers(user), precondition=precondition,
                       changes=lambda dossier: {"transmitted_at": timezone.now()},
                       after=after)


def declare_inadmissible(dossier_id, *, user, motive):
    """The owner declares the dossier not admissible, with a motive; return it.

    The motive is the event's comment (the auditeur's timeline shows it) and is in
    the courriel.
    """
    motive = (motive or "").strip()

    def precondition(dossier):
        require_owner(dossier, user)
        if not motive:
            raise TransitionError(MOTIVE_REQUIRED)
        if len(motive) > MAX_TEXT_LENGTH:
            raise TransitionError(
                f"Le motif ne peut pas dépasser {MAX_TEXT_LENGTH} caractères."
            )

    def after(dossier, event):
        _queue_to_auditeur(dossier, "dossier_irrecevable", {
            "motive": motive,
            "declared_at": event.created_at,
            "dossier_url": absolute_url("dossiers:detail", dossier.pk),
        })

    return _transition(dossier_id, "declare_inadmissible", actor=user,
                       queryset=centre_dossiers(user), comment=motive,
                       precondition=precondition, after=after)


# --- Jury (issue 5) ----------------------------------------------------------------------
#
# The jury app locks the session row first, so that closing a session and changing its
# dossiers wait for each other, checks what belongs to the session (open, who sits on
# it), then calls these functions inside its transaction. Lock order everywhere: the
# session, then its dossiers by increasing id; a courrier, then its dossier.


def dnf_dossiers(user):
    """The dossiers ``user`` may act on as an agent DNF; none for anyone else."""
    from auditeurs.models import Role

    if getattr(user, "role", None) != Role.AGENT_DNF:
        return Dossier.objects.none()
    return Dossier.objects.visible_to(user)


def add_to_session(dossier_id, *, user, session):
    """The DNF puts a transmitted dossier on ``session``; return it.

    Called by :func:`jury.sessions.add_dossiers`, which holds the session's lock and has
    checked that it is open. The dossier's diploma must be one the session examines.
    The auditeur gets a courriel with the jury date and the earliest date of the
    courrier ("au plus tôt un mois après la date du jury").
    """
    diplome_ids = set(session.diplomes.values_list("pk", flat=True))

    def precondition(dossier):
        if dossier.diplome_id not in diplome_ids:
            raise TransitionError(
                f"Le diplôme {dossier.diplome.code} n'est pas examiné par cette session."
            )

    def after(dossier, event):
        queue_session_courriel(dossier, session)

    return _transition(
        dossier_id, "add_to_session", actor=user, queryset=dnf_dossiers(user),
        precondition=precondition, changes=lambda dossier: {"jury_session": session},
        data={"session": session.pk, "jury_date": session.date.isoformat()},
        after=after,
    )


def queue_session_courriel(dossier, session, *, date_changed=False):
    """Tell the auditeur the jury date and when to expect the courrier, at the earliest.

    Also sent again when the DNF moves the session to another date (``date_changed``).
    """
    from jury.courriers import one_month_after

    return _queue_to_auditeur(dossier, "dossier_inscrit_jury", {
        "jury_date": session.date,
        "earliest_courrier_date": one_month_after(session.date),
        "dossier_url": absolute_url("dossiers:detail", dossier.pk),
        "date_changed": date_changed,
    })


def remove_from_session(dossier_id, *, user, session):
    """The DNF takes a dossier off ``session`` (open, locked by the caller); return it.

    Refused once the jury has recorded a decision on it: the decision belongs to the
    session and is never deleted (it would be a silent loss of the jury's work).
    """
    from jury.models import Decision

    def precondition(dossier):
        if dossier.jury_session_id != session.pk:
            raise TransitionError("Ce dossier n'est pas inscrit à cette session de jury.")
        if Decision.objects.filter(dossier=dossier).exists():
            raise TransitionError(_DECISION_RECORDED)

    return _transition(
        dossier_id, "remove_from_session", actor=user, queryset=dnf_dossiers(user),
        precondition=precondition, changes=lambda dossier: {"jury_session": None},
        data={"session": session.pk, "jury_date": session.date.isoformat()},
    )


def record_decision(dossier_id, *, user, queryset, precondition, changes, after):
    """A jury member records (or corrects) the decision on a dossier; return it.

    :func:`jury.decisions.record_decision` holds the session's lock and passes what
    checks the decision's version and writes it under the dossier's lock. No courriel:
    the auditeur learns the decision from the courrier. Only the first decision shows
    on the auditeur's timeline; corrections before closing are the jury's business.
    """

    def after_with_visibility(dossier, event):
        if event.from_state != State.INSCRIT_JURY:
            event.visible_to_auditeur = False
            event.save(update_fields=["visible_to_auditeur"])
        after(dossier, event)

    return _transition(dossier_id, "record_decision", actor=user, queryset=queryset,
                       precondition=precondition, changes=changes,
                       after=after_with_visibility)


def send_letter(dossier_id, *, courrier):
    """The courrier is sent: decision_rendue → courrier_envoye; return the dossier.

    Called by :func:`jury.tasks.send_courrier`, which rendered and stored the PDF
    (``courrier.storage_key``) and holds the courrier's lock. The courriel to the
    auditeur carries the PDF; nobody acts (the actor is the system).
    """

    def after(dossier, event):
        queue_letter_courriel(dossier, courrier)

    return _transition(dossier_id, "send_letter", actor=None, after=after,
                       data={"courrier": courrier.pk, "due_on": courrier.due_on.isoformat()})


def resend_letter(dossier_id, *, user, courrier):
    """The DNF sends the courriel of a sent courrier again (lost, deleted…); return it.

    Not a transition: the dossier stays ``courrier_envoye``; one event for the history.
    """
    with transaction.atomic():
        dossier = lock_dossier(dnf_dossiers(user), dossier_id)
        if dossier.state != State.COURRIER_ENVOYE:
            raise TransitionError("Ce courrier n'a pas encore été envoyé.")
        courriel = queue_letter_courriel(dossier, courrier, resent=True)
        if courriel is None:
            raise TransitionError(
                "L'auditeur n'a pas d'adresse électronique : le courrier ne peut être "
                "renvoyé que par la poste."
            )
        Event.objects.create(dossier=dossier, actor=user, action=COURRIER_RESENT,
                             data={"courrier": courrier.pk, "courriel": courriel.pk})
    return dossier


def queue_letter_courriel(dossier, courrier, *, resent=False):
    """The courriel that carries the courrier's PDF (``None`` without an address)."""
    from jury.letters import format_code

    session = courrier.session
    return _queue_to_auditeur(
        dossier, "courrier_envoye",
        {
            "jury_date": session.date,
            "letter_date": courrier.due_on,
            "verification_code": format_code(courrier.verification_code),
            "dossier_url": absolute_url("dossiers:detail", dossier.pk),
            "resent": resent,
        },
        attachments=[{
            "name": f"courrier-{dossier.reference}.pdf",
            "path": courrier.storage_key,
            "mimetype": "application/pdf",
        }],
    )
