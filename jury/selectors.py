"""What the DNF's pages show: the transmitted dossiers of every centre, the jury
sessions with their counts, a session's dossiers and the dossiers it may take.

Everything starts from the DNF's scopes — :func:`dossiers.workflow.dnf_dossiers` for
dossiers, :func:`jury.sessions.dnf_sessions` for sessions — which are empty for any
other role: nothing here checks a role on its own. Each list is one query for its rows
(what a row shows is joined or annotated) plus one for its counts, whatever its size.
"""

import dataclasses
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from auditeurs.models import Centre
from dossiers import centre_counts, queue, workflow
from dossiers.models import Diplome, Dossier, State
from jury.models import Courrier, CourrierStatus, Decision
from jury.sessions import dnf_sessions

S = State

# Rows shown at a time on the DNF's lists.
PAGE_SIZE = 50

# The states of the transmitted list, in the order of the workflow.
TRANSMITTED_STATES = (S.TRANSMIS_DNF, S.INSCRIT_JURY, S.DECISION_RENDUE, S.COURRIER_ENVOYE)
TRANSMITTED_LABELS = {
    S.TRANSMIS_DNF: "En attente d'une session",
    S.INSCRIT_JURY: "Inscrits à une session",
    S.DECISION_RENDUE: "Décision rendue",
    S.COURRIER_ENVOYE: "Courrier envoyé",
}
# What the DNF has to act on: the list opens on it.
DEFAULT_STATE = S.TRANSMIS_DNF
ALL_STATES = "tous"

# The sessions' list: upcoming (today included) or past.
UPCOMING, PAST = "a_venir", "passees"
PERIODS = ((UPCOMING, "Sessions à venir"), (PAST, "Sessions passées"))


def transmitted_scope(user):
    """The dossiers ``user`` sees as an agent DNF (transmitted and after); none else."""
    return workflow.dnf_dossiers(user)


@dataclass(frozen=True)
class TransmittedFilters:
    """What the agent DNF asked for; every field is optional except the state."""

    state: str = DEFAULT_STATE  # a value of TRANSMITTED_STATES, or ALL_STATES
    diplome_id: int | None = None
    kind: str = ""
    centre_id: int | None = None
    since: date | None = None  # transmitted on or after this day
    until: date | None = None  # transmitted on or before this day
    query: str = ""

    @property
    def narrowed(self):
        """Whether a filter other than the state is set."""
        return bool(self.diplome_id or self.kind or self.centre_id or self.since
                    or self.until or self.query)


def _filtered(user, filters):
    """The scope with every filter but the state (the counts are per state)."""
    dossiers = transmitted_scope(user)
    if filters.diplome_id is not None:
        dossiers = dossiers.filter(diplome_id=filters.diplome_id)
    if filters.kind:
        dossiers = dossiers.filter(kind=filters.kind)
    if filters.centre_id is not None:
        dossiers = dossiers.filter(centre_id=filters.centre_id)
    if filters.since is not None:
        dossiers = dossiers.filter(transmitted_at__date__gte=filters.since)
    if filters.until is not None:
        dossiers = dossiers.filter(transmitted_at__date__lte=filters.until)
    if filters.query:
        dossiers = queue.search(dossiers, filters.query)
    return dossiers


def transmitted_dossiers(user, filters):
    """The transmitted list: filtered, with what each row shows joined.

    Dossiers waiting for a session the oldest transmission first (they have waited
    longest); the others the latest first.
    """
    dossiers = _filtered(user, filters)
    if filters.state != ALL_STATES:
        dossiers = dossiers.filter(state=filters.state)
    ordering = (
        ["transmitted_at", "pk"] if filters.state == S.TRANSMIS_DNF
        else ["-transmitted_at", "-pk"]
    )
    return dossiers.select_related(
        "auditeur__profile", "diplome", "centre", "jury_session"
    ).order_by(*ordering)


# The DNF's counts per state read every transmitted dossier's index entry (90,000 at the
# Cnam's scale: 25 to 40 ms of PostgreSQL at each page, the page's costliest query);
# they are the same for every agent DNF. They are kept in the cache under the versions
# of every centre (dossiers.centre_counts), which every transition of the workflow
# renews: counted afresh after any change of state, and this many seconds at most
# after a change made outside the workflow (the Django admin).
COUNTS_SECONDS = 30


# What a row of the transmitted list shows (:func:`dossier_rows`), the rest left in the
# database.
TRANSMITTED_ROW_FIELDS = (
    "created_at", "state", "kind", "transmitted_at", "jury_session_id", "auditeur_id",
    "diplome_id", "centre_id", *queue.AUDITEUR_NAME_FIELDS,
    "diplome__code", "diplome__title", "centre__name", "jury_session__date",
)


def transmitted_page_dossiers(user, filters):
    """:func:`transmitted_dossiers` with only what the list's rows show."""
    return transmitted_dossiers(user, filters).only(*TRANSMITTED_ROW_FIELDS)


def transmitted_counts(user, filters):
    """Dossiers per state, with the other filters applied, in one query.

    Keys: each of TRANSMITTED_STATES and ALL_STATES.
    """
    aggregates = {
        state.value: Count("pk", filter=Q(state=state)) for state in TRANSMITTED_STATES
    }
    aggregates[ALL_STATES] = Count("pk")
    return _filtered(user, filters).aggregate(**aggregates)


def recent_transmitted_counts(user, filters, centre_ids):
    """:func:`transmitted_counts`, kept in the cache for agents DNF until a dossier of
    ``centre_ids`` (every centre) changes state, COUNTS_SECONDS at most."""
    from auditeurs.models import Role

    if getattr(user, "role", None) != Role.AGENT_DNF or not user.is_active:
        return transmitted_counts(user, filters)
    # Every agent DNF has the same scope: the filters alone make the key (the state
    # does not change the counts).
    return centre_counts.kept(
        "dnf-counts", centre_ids, dataclasses.replace(filters, state=""),
        lambda: transmitted_counts(user, filters), COUNTS_SECONDS,
    )


def diplomas_transmitted(user):
    """The diplomas of the dossiers the DNF sees, for the filter (one query)."""
    return Diplome.objects.filter(
        pk__in=transmitted_scope(user).values("diplome")
    ).order_by("code")


def centres():
    return Centre.objects.order_by("name")


# --- Sessions ---------------------------------------------------------------------------


def _count_of(rows, field="session"):
    """A subquery counting the ``rows`` (a queryset) of the outer session, 0 if none.

    Subqueries rather than ``Count`` over joins: two counts over two joins would
    multiply each other's rows.
    """
    counted = (
        rows.filter(**{field: OuterRef("pk")})
        .order_by().values(field).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(sessions):
    """Sessions annotated with ``dossier_count`` and ``decision_count``."""
    return sessions.annotate(
        dossier_count=_count_of(Dossier.objects.all(), "jury_session"),
        decision_count=_count_of(Decision.objects.all()),
    )


def sessions(user, period, today=None):
    """The sessions of ``period`` (UPCOMING: the nearest first; PAST: the latest first),
    with their counts, president and diplomas."""
    today = today or timezone.localdate()
    scope = dnf_sessions(user)
    if period == PAST:
        scope = scope.past(today).order_by("-date", "-pk")
    else:
        scope = scope.upcoming(today).order_by("date", "pk")
    return with_counts(scope).select_related("president").prefetch_related("diplomes")


def session_counts(user, today=None):
    """How many sessions are upcoming, past, and past but still open (one query)."""
    today = today or timezone.localdate()
    return dnf_sessions(user).aggregate(
        **{
            UPCOMING: Count("pk", filter=Q(date__gte=today)),
            PAST: Count("pk", filter=Q(date__lt=today)),
            "past_open": Count("pk", filter=Q(date__lt=today, closed_at__isnull=True)),
        }
    )


def sessions_to_follow(user, today=None):
    """Sessions that need the DNF: held but not closed yet, or with courriers in échec;
    the oldest first, with ``failed_count`` (courriers en échec)."""
    today = today or timezone.localdate()
    failed = Courrier.objects.filter(status=CourrierStatus.ECHEC)
    return (
        with_counts(dnf_sessions(user))
        .annotate(failed_count=_count_of(failed))
        .filter(Q(date__lt=today, closed_at__isnull=True) | Q(failed_count__gt=0))
        .order_by("date", "pk")
    )


def session(user, pk):
    """One session for its page; ``JurySession.DoesNotExist`` unless the DNF's."""
    return with_counts(dnf_sessions(user)).select_related(
        "president", "created_by", "closed_by"
    ).get(pk=pk)


def session_dossiers(session):
    """The dossiers on ``session``, with their decision and courrier joined (one query)."""
    return session.dossiers.select_related(
        "auditeur__profile", "diplome", "centre", "decision", "courrier"
    ).order_by("diplome__code", "auditeur__last_name", "auditeur__first_name", "pk")


def session_courrier(user, pk):
    """A courrier of a session the DNF sees; ``Courrier.DoesNotExist`` otherwise."""
    return (
        Courrier.objects.filter(session__in=dnf_sessions(user))
        .select_related("dossier").get(pk=pk)
    )


@dataclass(frozen=True)
class EligibleFilters:
    diplome_id: int | None = None
    centre_id: int | None = None
    query: str = ""

    @property
    def narrowed(self):
        return bool(self.diplome_id or self.centre_id or self.query)


def eligible_dossiers(user, session, filters=EligibleFilters()):
    """The dossiers ``session`` may take: transmitted, waiting, of its diplomas; the
    oldest transmission first."""
    dossiers = transmitted_scope(user).filter(
        state=S.TRANSMIS_DNF,
        diplome__in=session.diplomes.values("pk"),
    )
    if filters.diplome_id is not None:
        dossiers = dossiers.filter(diplome_id=filters.diplome_id)
    if filters.centre_id is not None:
        dossiers = dossiers.filter(centre_id=filters.centre_id)
    if filters.query:
        dossiers = queue.search(dossiers, filters.query)
    return dossiers.select_related("auditeur__profile", "diplome", "centre").order_by(
        "transmitted_at", "pk"
    )


@dataclass(frozen=True)
class DossierRow:
    """One line of a DNF list; the texts the transmitted list shows are made here, once
    (see :class:`dossiers.queue.Row`)."""

    dossier: Dossier
    display_name: str
    auditeur_number: str
    badge: str
    reference: str = ""
    diplome_code: str = ""
    diplome_title: str = ""
    kind_label: str = ""
    centre_name: str = ""
    state_label: str = ""
    transmitted_iso: str = ""  # local time, ISO 8601; "" if never transmitted
    transmitted_on: str = ""  # dd/mm/yyyy
    session_url: str = ""  # the DNF's page of its jury session, if any
    session_on: str = ""  # dd/mm/yyyy of that session


def dossier_rows(dossiers):
    """Rows of dossiers fetched with their auditeur's profile, diploma, centre and jury
    session (no query)."""
    session_url = queue.pk_url("jury:dnf_session")
    result = []
    for dossier in dossiers:
        name, number = queue.auditeur_names(dossier.auditeur)
        transmitted = dossier.transmitted_at and timezone.localtime(dossier.transmitted_at)
        session = dossier.jury_session if dossier.jury_session_id else None
        result.append(DossierRow(
            dossier=dossier,
            display_name=name,
            auditeur_number=number,
            badge=queue.STATE_BADGES.get(dossier.state, ""),
            reference=dossier.reference,
            diplome_code=dossier.diplome.code,
            diplome_title=dossier.diplome.title,
            kind_label=queue.KIND_LABELS.get(dossier.kind, dossier.kind),
            centre_name=dossier.centre.name,
            state_label=queue.STATE_LABELS.get(dossier.state, dossier.state),
            transmitted_iso=transmitted.isoformat() if transmitted else "",
            transmitted_on=queue.day(transmitted) if transmitted else "",
            session_url=session_url(session.pk) if session else "",
            session_on=queue.day(session.date) if session else "",
        ))
    return result


@dataclass(frozen=True)
class SessionRow:
    dossier: Dossier
    display_name: str
    auditeur_number: str
    decision: Decision | None
    decision_lines: list  # (part, outcome) pairs, see jury.decisions.decision_summary
    courrier: Courrier | None


def session_rows(dossiers):
    """Rows of :func:`session_dossiers` (no query)."""
    from jury.decisions import decision_summary

    result = []
    for dossier in dossiers:
        name, number = queue.auditeur_names(dossier.auditeur)
        decision = getattr(dossier, "decision", None)
        result.append(SessionRow(
            dossier=dossier,
            display_name=name,
            auditeur_number=number,
            decision=decision,
            decision_lines=decision_summary(decision, dossier) if decision else [],
            courrier=getattr(dossier, "courrier", None),
        ))
    return result
