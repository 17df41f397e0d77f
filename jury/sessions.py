"""Jury sessions, for the DNF: create and edit them, put transmitted dossiers on them,
take one off, close them.

Every function takes the acting ``user``; only an agent DNF may act. A session looked
up by id for anyone else raises ``JurySession.DoesNotExist`` (a 404 for the pages);
:func:`create_session` raises ``PermissionDenied`` (a 403). Refusals raise
:class:`~dossiers.workflow.TransitionError`, whose French ``message`` is shown as is
(``reasons`` lists each refused dossier, ``errors`` each wrong field).

Locking. Each function locks the session row first (``SELECT … FOR UPDATE``), then the
dossiers by increasing id. Closing a session therefore waits for a dossier being put
on it, taken off it or decided on, and those wait for the closing and then see that the
session is closed: no dossier is ever added to, or decided on, a closed session.
"""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from auditeurs.models import Role, User
from dossiers import workflow
from dossiers.models import Diplome, Dossier, Event, State
from dossiers.workflow import TransitionError
from jury.courriers import due_on
from jury.models import Courrier, Decision, JurySession

__all__ = [
    "CLOSED",
    "add_dossiers",
    "close_session",
    "create_session",
    "dnf_sessions",
    "remove_dossier",
    "update_session",
]

CLOSED = "Cette session de jury est close : elle ne peut plus être modifiée."
MAX_PLACE_LENGTH = 200
# A session is planned at most this many years ahead: a date typed wrong (9999…) would
# otherwise be saved, and its courriers' date (a month later) could not be computed.
MAX_YEARS_AHEAD = 5
_EDITABLE = frozenset({"date", "place", "diplomes", "president", "members"})


def is_dnf(user):
    return bool(user.is_authenticated and user.is_active and user.role == Role.AGENT_DNF)


def dnf_sessions(user):
    """Every session for an agent DNF; none for anyone else."""
    return JurySession.objects.all() if is_dnf(user) else JurySession.objects.none()


def _lock_session(user, session_id, *, open_only=True):
    session = dnf_sessions(user).select_for_update(of=("self",)).get(pk=session_id)
    if open_only and session.is_closed:
        raise TransitionError(CLOSED)
    return session


# --- Create and edit ------------------------------------------------------------------


def create_session(*, user, date, place, diplomes, president, members=()):
    """Create a jury session; return it.

    ``diplomes``: the diplomas it examines (at least one); ``president`` and
    ``members``: accounts with the role "membre de jury" (the president is not
    repeated among the members).
    """
    if not is_dnf(user):
        raise PermissionDenied("Seule la DNF crée les sessions de jury.")
    fields = _clean_fields({"date": date, "place": place, "diplomes": diplomes,
                            "president": president, "members": members})
    with transaction.atomic():
        session = JurySession.objects.create(
            date=fields["date"], place=fields["place"], president=fields["president"],
            created_by=user,
        )
        session.diplomes.set(fields["diplomes"])
        session.members.set(fields["members"])
    return session


def update_session(session_id, *, user, **fields):
    """Change some of a session's ``date``, ``place``, ``diplomes``, ``president``,
    ``members``; return the session. Refused once the session is closed.

    A diploma with dossiers on the session cannot be taken off it. When the date
    changes, the auditeurs of the dossiers already on the session are told the new
    date (and the new earliest date of their courrier).
    """
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise TypeError(f"update_session() got unexpected fields {sorted(unknown)}")
    with transaction.atomic():
        session = _lock_session(user, session_id)
        current = {
            "date": session.date,
            "place": session.place,
            "diplomes": list(session.diplomes.all()),
            "president": session.president,
            "members": list(session.members.all()),
        }
        cleaned = _clean_fields(current | fields)
        kept = {diplome.pk for diplome in cleaned["diplomes"]}
        stranded = sorted({
            code for code in session.dossiers.exclude(diplome__in=kept)
            .values_list("diplome__code", flat=True)
        })
        if stranded:
            message = (
                "Des dossiers inscrits à cette session relèvent de diplômes que vous "
                "retirez (" + ", ".join(stranded) + ") : retirez d'abord ces dossiers de "
                "la session."
            )
            raise TransitionError(message, errors={"diplomes": message})
        date_changed = cleaned["date"] != session.date
        session.date = cleaned["date"]
        session.place = cleaned["place"]
        session.president = cleaned["president"]
        session.save(update_fields=["date", "place", "president"])
        session.diplomes.set(cleaned["diplomes"])
        session.members.set(cleaned["members"])
        if date_changed:
            _tell_new_date(session)
    return session


def _clean_fields(fields):
    """The fields of a session, checked; raise TransitionError with each field's error."""
    errors = {}
    date = fields.get("date")
    if date is None:
        errors["date"] = "Indiquez la date du jury."
    elif date.year > timezone.localdate().year + MAX_YEARS_AHEAD:
        errors["date"] = (f"La date du jury ne peut pas être plus de {MAX_YEARS_AHEAD} ans "
                          "après aujourd'hui : vérifiez l'année.")
    place = (fields.get("place") or "").strip()
    if not place:
        errors["place"] = "Indiquez le lieu du jury."
    elif len(place) > MAX_PLACE_LENGTH:
        errors["place"] = f"Le lieu ne peut pas dépasser {MAX_PLACE_LENGTH} caractères."
    diplomes = list(fields.get("diplomes") or [])
    if not diplomes:
        errors["diplomes"] = "Choisissez au moins un diplôme examiné par cette session."
    elif not all(isinstance(diplome, Diplome) for diplome in diplomes):
        diplomes = list(Diplome.objects.filter(pk__in=diplomes))
    president = fields.get("president")
    if president is None:
        errors["president"] = "Choisissez le président du jury."
    elif not _is_jury_member(president):
        errors["president"] = "Le président doit avoir un compte de membre de jury actif."
    members = [member for member in (fields.get("members") or []) if member != president]
    others = [member for member in members if not _is_jury_member(member)]
    if others:
        names = ", ".join(workflow.display_name(member) for member in others)
        errors["members"] = f"Ces comptes ne sont pas des membres de jury actifs : {names}."
    if errors:
        raise TransitionError(
            "La session n'est pas enregistrée : " + " ".join(errors.values()),
            reasons=list(errors.values()), errors=errors,
        )
    return {"date": date, "place": place, "diplomes": diplomes, "president": president,
            "members": members}


def _is_jury_member(user):
    return isinstance(user, User) and user.is_active and user.role == Role.MEMBRE_JURY


def _tell_new_date(session):
    for dossier in session.dossiers.select_related("auditeur__profile", "diplome", "centre"):
        workflow.queue_session_courriel(dossier, session, date_changed=True)


# --- Dossiers on a session ------------------------------------------------------------


def add_dossiers(session_id, dossier_ids, *, user):
    """Put transmitted dossiers on an open session, all or none; return them.

    Each must be ``transmis_dnf`` and of one of the session's diplomas; if any is not,
    none is added and the message lists each refused dossier with its reason
    (``reasons``). Each added dossier goes through the ``add_to_session`` transition
    (event, courriel to its auditeur with the jury date).
    """
    dossier_ids = sorted({int(pk) for pk in dossier_ids})
    with transaction.atomic():
        session = _lock_session(user, session_id)
        if not dossier_ids:
            raise TransitionError("Choisissez au moins un dossier à inscrire.")
        # Locked in id order, as every other function that locks several dossiers.
        dossiers = {
            dossier.pk: dossier
            for dossier in workflow.dnf_dossiers(user)
            .select_for_update(of=("self",))
            .select_related("diplome", "jury_session")
            .filter(pk__in=dossier_ids).order_by("pk")
        }
        diplome_ids = set(session.diplomes.values_list("pk", flat=True))
        reasons = []
        for dossier_id in dossier_ids:
            dossier = dossiers.get(dossier_id)
            reason = _why_not_added(dossier, session, diplome_ids)
            if reason:
                name = dossier.reference if dossier else f"Dossier n° {dossier_id}"
                reasons.append(f"{name} : {reason}")
        if reasons:
            count = len(reasons)
            raise TransitionError(
                "Aucun dossier n'a été inscrit : "
                + ("ce dossier ne peut pas l'être. " if count == 1
                   else f"{count} dossiers ne peuvent pas l'être. ")
                + " ".join(reasons),
                reasons=reasons,
            )
        return [
            workflow.add_to_session(dossier_id, user=user, session=session)
            for dossier_id in dossier_ids
        ]


def _why_not_added(dossier, session, diplome_ids):
    if dossier is None:
        # Withdrawn meanwhile, or never transmitted: the DNF cannot see it.
        return "dossier introuvable ou retiré par l'auditeur."
    if dossier.state == State.TRANSMIS_DNF:
        if dossier.diplome_id not in diplome_ids:
            return (f"le diplôme {dossier.diplome.code} n'est pas examiné par cette "
                    f"session.")
        return ""
    if dossier.jury_session_id == session.pk:
        return "déjà inscrit à cette session."
    if dossier.jury_session_id:
        return f"déjà inscrit à la session du {dossier.jury_session.date:%d/%m/%Y}."
    return f"il est « {State(dossier.state).label} »."


def remove_dossier(session_id, dossier_id, *, user):
    """Take a dossier off an open session, back to ``transmis_dnf``; return the dossier.

    Refused once the jury has recorded a decision on it: a decision is the jury's work
    and is never deleted; the jury may still correct it until the session is closed.
    """
    with transaction.atomic():
        session = _lock_session(user, session_id)
        return workflow.remove_from_session(dossier_id, user=user, session=session)


# --- Closing --------------------------------------------------------------------------


def close_session(session_id, *, user):
    """Close a session whose every dossier has a decision; return the session.

    Locks the decisions (they cannot be changed any more) and programs one courrier per
    dossier, due on ``max(jury date + 1 month, today)``; each dossier's history says
    when. Refused, with the list of dossiers still without a decision, otherwise. All
    in one transaction.
    """
    with transaction.atomic():
        session = _lock_session(user, session_id, open_only=False)
        if session.is_closed:
            closed_on = timezone.localtime(session.closed_at)
            raise TransitionError(
                f"Cette session de jury est déjà close (le {closed_on:%d/%m/%Y})."
            )
        dossiers = list(
            Dossier.objects.filter(jury_session=session)
            .select_for_update(of=("self",)).order_by("pk")
        )
        if not dossiers:
            raise TransitionError("Aucun dossier n'est inscrit à cette session : il n'y a "
                                  "rien à clore.")
        decided = set(
            Decision.objects.filter(session=session).values_list("dossier_id", flat=True)
        )
        missing = [dossier for dossier in dossiers if dossier.pk not in decided]
        if missing:
            reasons = [f"{dossier.reference} : pas encore de décision." for dossier in missing]
            count = len(missing)
            raise TransitionError(
                "La session ne peut pas être close : "
                + ("1 dossier n'a" if count == 1 else f"{count} dossiers n'ont")
                + " pas encore de décision du jury. " + " ".join(reasons),
                reasons=reasons,
            )
        now = timezone.now()
        session.closed_at = now
        session.closed_by = user
        session.save(update_fields=["closed_at", "closed_by"])
        today = timezone.localdate(now)
        day = due_on(session.date, today)
        courriers = Courrier.objects.bulk_create(
            Courrier(dossier=dossier, session=session, due_on=day) for dossier in dossiers
        )
        if day <= today:
            # Closed a month or more after the jury: the courriers go out now, not at
            # the next sweep.
            transaction.on_commit(partial(_send_now, [courrier.pk for courrier in courriers]))
        Event.objects.bulk_create(
            Event(dossier=dossier, actor=user, action=workflow.COURRIER_SCHEDULED,
                  data={"session": session.pk, "due_on": day.isoformat()})
            for dossier in dossiers
        )
    return session


def _send_now(courrier_ids):
    from jury.tasks import send_courrier_soon

    # With the broker down, the first publish fails within CELERY_BROKER_TIMEOUT and
    # the others are not even tried (d3.celery.publish): the DNF's page answers at once
    # and the five-minute sweep sends the courriers, still programmed, once it is back.
    for courrier_id in courrier_ids:
        send_courrier_soon(courrier_id)
