"""The centre's review of a dossier, apart from its transitions: a verdict on each
pièce, internal notes, and what a gestionnaire may do now (for the pages).

The transitions of the review (take, take over, ask for corrections, declare complete
or not admissible) are in :mod:`dossiers.workflow`. What is here changes no state, but
goes by the same rules: the dossier must be one of the gestionnaire's centres (else
``DoesNotExist``, a 404), a refusal raises :class:`~dossiers.workflow.TransitionError`
and changes nothing, a verdict is given under the dossier's lock so that it cannot
cross a transition (corrections asked on a pièce just declared conforme…).
"""

from django.db import transaction

from dossiers import workflow
from dossiers.models import Event, Piece, PieceFile, PieceStatus, State
from dossiers.workflow import MAX_TEXT_LENGTH, TransitionError

__all__ = [
    "ACTIONS",
    "TransitionError",
    "VERDICTS",
    "add_note",
    "available_actions",
    "can_act",
    "set_piece_verdict",
]

VERDICTS = (PieceStatus.CONFORME, PieceStatus.ERRONEE, PieceStatus.MANQUANTE)
COMMENT_REQUIRED = "Précisez ce qui ne va pas : l'auditeur lira ce commentaire."
ACTIONS = frozenset({
    "take", "take_over", "set_verdict", "ask_corrections", "declare_complete",
    "declare_inadmissible", "add_note",
})


# --- Verdicts ------------------------------------------------------------------------


def set_piece_verdict(piece_id, *, user, status, comment=""):
    """The owner of a dossier in control says whether a pièce is right; return the pièce.

    ``status`` is ``conforme``, ``erronee`` or ``manquante``. ``erronee`` and
    ``manquante`` need a comment, which the auditeur reads (in the courriel of
    :func:`~dossiers.workflow.ask_corrections` and on the dossier page); ``conforme``
    clears it. ``conforme`` and ``erronee`` need a current file; ``manquante`` is the
    verdict for a pièce never uploaded.

    Raises ``Piece.DoesNotExist`` unless the pièce belongs to a dossier of one of
    ``user``'s centres (signed), :class:`TransitionError` otherwise refused.
    Writes an event visible to the auditeur; no courriel (the corrections send one).
    """
    scope = workflow.centre_dossiers(user)
    piece = Piece.objects.select_related("piece_type").get(pk=piece_id, dossier__in=scope)
    comment = (comment or "").strip()
    with transaction.atomic():
        dossier = workflow.lock_dossier(scope, piece.dossier_id)
        # Read again under the lock: the auditeur may have uploaded meanwhile.
        piece.refresh_from_db(fields=["status", "comment"])
        _check_reviewing(dossier, user)
        if status not in VERDICTS:
            raise TransitionError("Choisissez un verdict : conforme, erronée ou manquante.")
        status = PieceStatus(status)
        if status != PieceStatus.CONFORME:
            if not comment:
                raise TransitionError(COMMENT_REQUIRED)
            if len(comment) > MAX_TEXT_LENGTH:
                raise TransitionError(
                    f"Le commentaire ne peut pas dépasser {MAX_TEXT_LENGTH} caractères."
                )
        if status != PieceStatus.MANQUANTE and not PieceFile.objects.usable().filter(
            piece=piece, replaced_at__isnull=True
        ).exists():
            raise TransitionError(
                "Aucun fichier n'est déposé pour cette pièce : signalez-la manquante."
            )
        piece.status = status
        piece.comment = "" if status == PieceStatus.CONFORME else comment
        piece.save(update_fields=["status", "comment"])
        dossier.save(update_fields=["updated_at"])
        Event.objects.create(
            dossier=dossier,
            actor=user,
            action=workflow.PIECE_VERDICT,
            comment=piece.comment,
            visible_to_auditeur=True,
            data={
                "piece": piece.piece_type.label,
                "status": status.value,
                "comment": piece.comment,
            },
        )
    piece.dossier = dossier
    return piece


def _check_reviewing(dossier, user):
    if dossier.state == State.DEPOSE:
        raise TransitionError(workflow.TAKE_FIRST)
    if dossier.state != State.EN_CONTROLE:
        raise TransitionError(
            "Les pièces ne se vérifient que pendant le contrôle du dossier ; celui-ci est "
            f"« {State(dossier.state).label} »."
        )
    workflow.require_owner(dossier, user)


# --- Internal notes -----------------------------------------------------------------


def add_note(dossier_id, *, user, text):
    """An internal note of a gestionnaire of the centre on the dossier; return the event.

    Any state once signed; never shown to the auditeur. Raises ``Dossier.DoesNotExist``
    unless the dossier is one of ``user``'s centres (and not a draft).
    """
    dossier = workflow.centre_dossiers(user).get(pk=dossier_id)
    text = (text or "").strip()
    if not text:
        raise TransitionError("Écrivez le texte de la note.")
    if len(text) > MAX_TEXT_LENGTH:
        raise TransitionError(
            f"La note ne peut pas dépasser {MAX_TEXT_LENGTH} caractères "
            f"(elle en compte {len(text)})."
        )
    # No lock: a note changes nothing that a transition reads.
    return Event.objects.create(
        dossier=dossier,
        actor=user,
        action=workflow.NOTE,
        comment=text,
        visible_to_auditeur=False,
    )


# --- What the page offers ---------------------------------------------------------------


def available_actions(dossier, user, *, pieces=None):
    """The review actions ``user`` may take on ``dossier`` now, among :data:`ACTIONS`.

    For templates: ``{% if "take" in actions %}``. No query of its own: it reads the
    dossier's ``state`` and ``owner_id`` and the pièces' statuses, from ``pieces`` or
    else from ``dossier.pieces.all()`` — prefetch them (``prefetch_related("pieces")``)
    or pass the list the page already has. It assumes the dossier was looked up in
    :func:`dossiers.workflow.centre_dossiers` (the user's centres); the functions check
    everything again under the lock, so a stale page only gets a refusal message.
    """
    from auditeurs.models import Role

    if getattr(user, "role", None) != Role.GESTIONNAIRE or dossier.state == State.BROUILLON:
        return set()
    actions = {"add_note"}
    if dossier.state == State.DEPOSE:
        actions.add("take")
    if dossier.state != State.EN_CONTROLE:
        return actions
    if dossier.owner_id != user.pk:
        actions.add("take_over")
        return actions
    actions |= {"set_verdict", "declare_inadmissible"}
    statuses = [piece.status for piece in (dossier.pieces.all() if pieces is None else pieces)]
    if any(status in workflow.FLAGGED_STATUSES for status in statuses):
        actions.add("ask_corrections")
    if all(status == PieceStatus.CONFORME for status in statuses):
        actions.add("declare_complete")
    return actions


def can_act(action, dossier, user, *, pieces=None):
    """Whether ``action`` is in :func:`available_actions` (same rules, same prefetch)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown review action {action!r}")
    return action in available_actions(dossier, user, pieces=pieces)
