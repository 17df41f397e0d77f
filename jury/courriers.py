"""When courriers go out, and what the DNF can do about one that did not.

A courrier is created for each dossier when its session is closed
(:func:`jury.sessions.close_session`), due on ``max(jury date + 1 month, closing
day)``: "au plus tôt un mois après la date du jury". :mod:`jury.tasks` renders and
sends it on that day. The DNF follows each courrier's state on the session's page
(programmé, envoyé, en échec) and may :func:`resend` it.
"""

import calendar
import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone

from dossiers import workflow
from dossiers.workflow import TransitionError
from jury.models import Courrier, CourrierStatus

__all__ = ["due_on", "one_month_after", "resend", "session_courriers"]


def one_month_after(day):
    """The same day of the next month, or its last day when it is shorter.

    31 January → 28 (or 29) February; 31 March → 30 April; 15 December → 15 January.
    """
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    last_day = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last_day))


def due_on(jury_date, closing_day):
    """The day a courrier goes out: a month after the jury, or the closing day if later."""
    return max(one_month_after(jury_date), closing_day)


def session_courriers(session):
    """The session's courriers with what the DNF's list shows, in dossier order."""
    return (
        Courrier.objects.filter(session=session)
        .select_related("dossier__auditeur__profile", "dossier__diplome")
        .order_by("dossier_id")
    )


def resend(courrier_id, *, user):
    """The DNF's "renvoyer" on a courrier of a closed session; return the courrier.

    - **en échec**: it is programmed again (``last_error`` kept until the next try)
      and a sending task is queued once this commits (if the broker does not take
      it, the five-minute sweep does). Its ``due_on`` has passed, so
      it goes out now; a PDF already stored is reused, never rendered a second time.
    - **envoyé**: the courriel that carries the PDF is queued again (the auditeur lost
      it, or gave a new address); the letter itself is the same stored PDF, with the
      same date and verification code. The dossier's history says so.
    - **programmé**: refused, it has not gone out yet (the message gives its date).

    ``Courrier.DoesNotExist`` unless ``user`` is an agent DNF.
    """
    from jury.tasks import send_courrier_soon

    with transaction.atomic():
        courrier = (
            _dnf_courriers(user).select_for_update(of=("self",))
            .select_related("session").get(pk=courrier_id)
        )
        if courrier.status == CourrierStatus.PROGRAMME:
            if courrier.due_on > timezone.localdate():
                raise TransitionError(
                    f"Ce courrier n'est pas encore parti : son envoi est programmé pour le "
                    f"{courrier.due_on:%d/%m/%Y}."
                )
            raise TransitionError("Ce courrier est en cours d'envoi.")
        if courrier.status == CourrierStatus.ECHEC:
            # Programmed again with the whole back-off ahead of it, due at once.
            courrier.status = CourrierStatus.PROGRAMME
            courrier.attempts = 0
            courrier.next_attempt_at = None
            courrier.save(update_fields=["status", "attempts", "next_attempt_at"])
            transaction.on_commit(partial(send_courrier_soon, courrier.pk))
            return courrier
        workflow.resend_letter(courrier.dossier_id, user=user, courrier=courrier)
    return courrier


def _dnf_courriers(user):
    from auditeurs.models import Role

    if not (user.is_authenticated and user.is_active and user.role == Role.AGENT_DNF):
        return Courrier.objects.none()
    return Courrier.objects.all()
