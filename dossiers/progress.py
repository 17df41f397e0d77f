"""Where a dossier stands, in the auditeur's words: a pure function of its state.

For each state: the current step, the next one (``""`` when the request is over) and
what is expected from the auditeur now. ``action_needed`` tells whether the auditeur
has something to do (a draft to finish, corrections to make), ``badge`` the colour of
the state's badge (``badge--<badge>`` in the stylesheet).

No database, no request: the Suivi de dossiers list calls it for every row. The
dossier page passes the dates it knows (the jury's, the courrier's planned sending):
the next step then says when.
"""

from dataclasses import dataclass

from django.utils.dateformat import format as format_date

from dossiers.models import State

S = State

_NOTHING = "Rien pour le moment : vous serez prévenu par courriel de la suite."


@dataclass(frozen=True)
class Progress:
    state: str
    state_label: str
    current_step: str
    next_step: str  # "" when nothing follows
    expected: str
    action_needed: bool
    badge: str


_TABLE = {
    S.BROUILLON: (
        "Demande en préparation : vous complétez votre dossier.",
        "Signature électronique et dépôt du dossier.",
        "Complétez votre dossier et déposez vos pièces, puis relisez le récapitulatif "
        "et signez-le.",
        True,
        "info",
    ),
    S.DEPOSE: (
        "Dossier signé et déposé : il attend le contrôle de votre centre d'inscription.",
        "Contrôle du dossier par votre centre d'inscription.",
        _NOTHING,
        False,
        "info",
    ),
    S.EN_CONTROLE: (
        "Votre centre d'inscription contrôle votre dossier.",
        "Transmission à la Direction nationale des formations (DNF), ou demande de "
        "corrections si une pièce est erronée ou manquante.",
        _NOTHING,
        False,
        "info",
    ),
    S.A_COMPLETER: (
        "Votre centre d'inscription vous demande de compléter votre dossier.",
        "Nouvelle signature du dossier, puis nouveau contrôle par votre centre.",
        "Remplacez les pièces signalées erronées ou manquantes, puis signez à nouveau "
        "votre dossier.",
        True,
        "warning",
    ),
    S.IRRECEVABLE: (
        "Votre dossier a été déclaré irrecevable par votre centre d'inscription.",
        "",
        "Rien : cette demande est close. Vous pouvez faire une nouvelle demande.",
        False,
        "error",
    ),
    S.TRANSMIS_DNF: (
        "Dossier complet, transmis à la Direction nationale des formations (DNF).",
        "Inscription du dossier à une session de jury.",
        _NOTHING,
        False,
        "info",
    ),
    S.INSCRIT_JURY: (
        "Votre dossier est inscrit à une session de jury.",
        "Décision du jury.",
        _NOTHING,
        False,
        "info",
    ),
    S.DECISION_RENDUE: (
        "Le jury a rendu sa décision.",
        "Envoi du courrier de décision, au plus tôt un mois après la date du jury.",
        "Rien : vous recevrez le courrier de décision, aussi disponible dans D3.",
        False,
        "info",
    ),
    S.COURRIER_ENVOYE: (
        "Le courrier de décision vous a été envoyé.",
        "",
        "Rien : cette demande est terminée.",
        False,
        "success",
    ),
    S.RETIRE: (
        "Vous avez retiré ce dossier.",
        "",
        "Rien : cette demande est close. Vous pouvez faire une nouvelle demande.",
        False,
        "",
    ),
}


def progress(state, *, jury_date=None, courrier_due_on=None):
    """The :class:`Progress` of a dossier in ``state`` (a ``State`` or its value).

    ``jury_date``: the date of the session the dossier is on; ``courrier_due_on``: the
    day its courrier is planned to go out, once the session is closed and until it is
    sent. Each makes the next step precise.
    """
    state = State(state)
    current, following, expected, action_needed, badge = _TABLE[state]
    if state == S.INSCRIT_JURY and jury_date is not None:
        following = f"Décision du jury du {_day(jury_date)}."
    elif state == S.DECISION_RENDUE and courrier_due_on is not None:
        following = f"Envoi du courrier de décision, prévu le {_day(courrier_due_on)}."
    return Progress(
        state=state.value,
        state_label=state.label,
        current_step=current,
        next_step=following,
        expected=expected,
        action_needed=action_needed,
        badge=badge,
    )


def _day(day):
    return format_date(day, "j F Y")
