"""The centre's queue of dossiers: what a gestionnaire may review, filtered, counted
and ordered, in a fixed number of queries whatever its size.

Everything starts from :func:`reviewable`, the one scope of the centre's pages (the
queue, the dossier page and its actions, the export): nothing here filters by centre
on its own. Pages parse their parameters into :class:`Filters` and call these
functions; the rows they show are built by :func:`rows` without touching the database.
"""

import dataclasses
import datetime
import re
from dataclasses import dataclass
from typing import NamedTuple

from django.core.cache import cache
from django.db import connections
from django.db.models import BooleanField, Case, Count, Expression, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from dossiers import centre_counts, workflow
from dossiers.models import Diplome, Dossier, Kind, State

S = State

# Dossiers shown at a time on the queue page.
PAGE_SIZE = 50

# The states a gestionnaire may filter on, in the order of the workflow.
QUEUE_STATES = (
    S.DEPOSE,
    S.EN_CONTROLE,
    S.A_COMPLETER,
    S.TRANSMIS_DNF,
    S.IRRECEVABLE,
    S.INSCRIT_JURY,
    S.DECISION_RENDUE,
    S.COURRIER_ENVOYE,
    S.RETIRE,
)
# What the centre has to act on: the queue opens on it.
DEFAULT_STATE = S.DEPOSE
ALL_STATES = "tous"

# The "in charge" filter.
MINE = "moi"
COLLEAGUES = "collegues"
NOBODY = "personne"
CHARGE_CHOICES = (
    (MINE, "Pris en charge par moi"),
    (COLLEAGUES, "Pris en charge par un collègue"),
    (NOBODY, "Pris en charge par personne"),
)

# Badge colour of each state, from the centre's point of view (``badge--<colour>``):
# a deposited dossier is new work, one waiting for the auditeur a warning…
STATE_BADGES = {
    S.DEPOSE: "new",
    S.EN_CONTROLE: "info",
    S.A_COMPLETER: "warning",
    S.IRRECEVABLE: "error",
    S.TRANSMIS_DNF: "success",
    S.INSCRIT_JURY: "success",
    S.DECISION_RENDUE: "success",
    S.COURRIER_ENVOYE: "success",
    S.RETIRE: "",
}

# "D3-2026-000123": a reference typed in the search box finds its dossier.
_REFERENCE = re.compile(r"^D3-(\d{4})-(\d+)$", re.IGNORECASE)


def reviewable(user):
    """The dossiers ``user`` reviews as a gestionnaire; none for anyone else.

    :func:`dossiers.workflow.centre_dossiers` (the scope of the review's actions)
    keeps a gestionnaire to his/her centres' signed dossiers.
    """
    return workflow.centre_dossiers(user)


@dataclass(frozen=True)
class Filters:
    """What the gestionnaire asked for; every field is optional except the state."""

    state: str = DEFAULT_STATE  # a value of QUEUE_STATES, or ALL_STATES
    diplome_id: int | None = None
    kind: str = ""
    charge: str = ""  # MINE, COLLEAGUES, NOBODY or "" (anyone)
    query: str = ""
    # The dossiers that match ``query`` (and the other filters), once
    # :func:`with_search_done` has looked for them; None before.
    matches: tuple["Match", ...] | None = None
    matches_of: int | None = None  # the user they were found for (his/her scope)


class Match(NamedTuple):
    """A dossier found by a search: its key, and what :func:`counts` counts."""

    pk: int
    state: str
    correction_round: int
    owner_id: int | None


def with_search_done(user, filters):
    """``filters`` with the search answered once, in one query, for the queries that
    follow (the counts, the page).

    The centre's matching dossiers are a few hundred at most, found in the centre's
    search index (~5 ms at the Cnam's scale, benchmarks/load.py). With their state,
    round and owner they are counted without a query (:func:`counts`) and alone say
    the page's list (:func:`_filtered`): the search and the scope's subqueries run
    once a page, not in the counts and again in the page.
    """
    if not filters.query or filters.matches is not None:
        return filters
    # Unordered. With their states, the matches are counted without another query.
    matches = _filtered(user, filters).order_by().values_list(*Match._fields)
    return dataclasses.replace(filters, matches=tuple(Match(*match) for match in matches),
                               matches_of=user.pk)


def search(queryset, query):
    """Narrow to dossiers whose auditeur matches every word of ``query``.

    A word may match a name (account or profile), the ENF identifier, the numéro
    d'auditeur, or be the dossier's reference.
    """
    for word in query.split():
        condition = _auditeur_matches(queryset.db, word)
        reference = _REFERENCE.match(word)
        if reference:
            condition |= Q(created_at__year=int(reference[1]), pk=int(reference[2]))
        queryset = queryset.filter(condition)
    return queryset


class SearchTextContains(Expression):
    """``dossier.search_text LIKE UPPER('%word%')``: the auditeur's texts copied onto
    the dossier (PostgreSQL, migration dossiers 0010; not a field of the model).

    The dossiers' table is named by the alias the query gives it, relabelled when the
    condition ends up in a subquery (the keyed paginator's, a ``pk__in``): a plain
    ``RawSQL`` naming the table would point at the outer query's row there.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, word, alias=None):
        super().__init__()
        self.word, self.alias = word, alias

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):
        pattern = f"%{connection.ops.prep_for_like_query(self.word)}%"
        table = compiler.quote_name_unless_alias(self.alias)
        return f"{table}.search_text LIKE UPPER(%s)", [pattern]


def _auditeur_matches(alias, word):
    """Dossiers whose auditeur has ``word`` in a name, identifier or number (as
    ``icontains``: case ignored, ``%`` and ``_`` taken literally)."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        # The auditeur's texts copied onto the dossier and indexed with its centre
        # (migration dossiers 0010): the centre's matches alone are read.
        return Q(SearchTextContains(word))
    from auditeurs.models import AuditeurProfile, User

    accounts = User.objects.filter(
        Q(first_name__icontains=word)
        | Q(last_name__icontains=word)
        | Q(username__icontains=word)
    ).values("pk")
    profiles = AuditeurProfile.objects.filter(
        Q(birth_name__icontains=word)
        | Q(usage_name__icontains=word)
        | Q(first_names__icontains=word)
        | Q(auditeur_number__icontains=word)
    ).values("user_id")
    return Q(auditeur__in=accounts) | Q(auditeur__in=profiles)


def _filtered(user, filters):
    """The scope with every filter but the state (the counts are per state)."""
    if filters.matches is not None and filters.matches_of == user.pk:
        # Found within this user's scope and the other filters (with_search_done):
        # the keys alone say the list, the scope's subqueries are not run again
        # (~5 ms a search page at the Cnam's scale).
        return Dossier.objects.filter(pk__in=[match.pk for match in filters.matches])
    dossiers = reviewable(user)
    if filters.diplome_id is not None:
        dossiers = dossiers.filter(diplome_id=filters.diplome_id)
    if filters.kind:
        dossiers = dossiers.filter(kind=filters.kind)
    if filters.charge == MINE:
        dossiers = dossiers.filter(owner=user)
    elif filters.charge == COLLEAGUES:
        dossiers = dossiers.filter(owner__isnull=False).exclude(owner=user)
    elif filters.charge == NOBODY:
        dossiers = dossiers.filter(owner__isnull=True)
    if filters.matches is not None:
        dossiers = dossiers.filter(pk__in=[match.pk for match in filters.matches])
    elif filters.query:
        dossiers = search(dossiers, filters.query)
    return dossiers


def _ordering(state):
    if state == S.DEPOSE:
        # Re-deposited after corrections first (the auditeur has waited twice), then
        # the oldest deposit.
        redeposited = Case(When(correction_round__gt=0, then=Value(0)), default=Value(1))
        return [redeposited.asc(), "state_changed_at", "pk"]
    if state in (S.EN_CONTROLE, S.A_COMPLETER):
        return ["state_changed_at", "pk"]
    # Dossiers the centre is done with: the latest first.
    return ["-state_changed_at", "-pk"]


def dossiers(user, filters):
    """The queue: filtered, in its order, with what each row shows joined."""
    queryset = _filtered(user, filters)
    if filters.state != ALL_STATES:
        queryset = queryset.filter(state=filters.state)
    return queryset.select_related(
        "auditeur__profile", "diplome", "owner", "centre"
    ).order_by(*_ordering(filters.state))


# What a row of the queue page shows (:func:`rows`), the rest of each model left in the
# database: 50 rows of six models' every column were a good part of the page's time.
# What :func:`auditeur_names` reads of a dossier's auditeur (with its profile joined).
AUDITEUR_NAME_FIELDS = (
    "auditeur__username", "auditeur__first_name", "auditeur__last_name",
    "auditeur__profile__user_id", "auditeur__profile__usage_name",
    "auditeur__profile__birth_name", "auditeur__profile__first_names",
    "auditeur__profile__auditeur_number",
)
ROW_FIELDS = (
    "created_at", "state", "kind", "state_changed_at", "corrections_due",
    "correction_round", "owner_id", "auditeur_id", "diplome_id",
    *AUDITEUR_NAME_FIELDS,
    "diplome__code", "diplome__title",
    "owner__username", "owner__first_name", "owner__last_name",
)


def page_dossiers(user, filters):
    """:func:`dossiers` with only what the queue page's rows show."""
    return dossiers(user, filters).select_related(None).select_related(
        "auditeur__profile", "diplome", "owner"
    ).only(*ROW_FIELDS)


def counts(user, filters):
    """Dossiers per state, with the other filters applied, in one query (none once a
    search's matches are known: they are counted here).

    Keys: each of QUEUE_STATES, ALL_STATES, and ``"redeposited"`` (deposited again
    after corrections), ``"mine"`` (en contrôle, in charge of ``user``).
    """
    if filters.matches is not None and filters.matches_of == user.pk:
        return _counted(filters.matches, user)
    aggregates = {
        state.value: Count("pk", filter=Q(state=state)) for state in QUEUE_STATES
    }
    aggregates[ALL_STATES] = Count("pk")
    aggregates["redeposited"] = Count(
        "pk", filter=Q(state=S.DEPOSE, correction_round__gt=0)
    )
    aggregates["mine"] = Count("pk", filter=Q(state=S.EN_CONTROLE, owner=user))
    return _filtered(user, filters).aggregate(**aggregates)


# Seconds the counts per state stay in the cache (:func:`recent_counts`) at most: a
# change made outside the workflow shows within this; the workflow's own at once.
COUNTS_SECONDS = 60


def recent_counts(user, filters, centre_ids):
    """:func:`counts`, kept in the cache until a dossier of ``centre_ids`` (the user's
    centres) changes state or hands (:mod:`dossiers.centre_counts`), COUNTS_SECONDS at
    most. A search's known matches are counted without a query: not kept."""
    if filters.matches is not None:
        return counts(user, filters)
    # The state shown does not change the counts: one entry for every tab.
    return centre_counts.kept(
        "centre-counts", centre_ids, (user.pk, dataclasses.replace(filters, state="")),
        lambda: counts(user, filters), COUNTS_SECONDS,
    )


def _counted(matches, user):
    """:func:`counts` of a search's matches, as the query counts them."""
    result = dict.fromkeys([state.value for state in QUEUE_STATES], 0)
    result.update({ALL_STATES: len(matches), "redeposited": 0, "mine": 0})
    for match in matches:
        result[match.state] += 1
        result["redeposited"] += match.state == S.DEPOSE and match.correction_round > 0
        result["mine"] += match.state == S.EN_CONTROLE and match.owner_id == user.pk
    return result


def diplomas_in(user):
    """The diplomas of the dossiers ``user`` reviews, for the filter (one query)."""
    return Diplome.objects.filter(pk__in=reviewable(user).values("diplome")).order_by("code")


# The filter's diplomas read every dossier of the centres (5,000 at the Cnam's scale,
# ~10 ms of PostgreSQL at each page of the queue) and change only when a dossier of a
# new diploma arrives: they are kept this many seconds in the cache. Until then such a
# diploma is missing from the filter's choices (a filter naming it reads them afresh);
# its dossiers are listed all the same.
DIPLOMAS_SECONDS = 60


def recent_diplomas_in(user, *, refresh=False):
    """:func:`diplomas_in` as a list, kept DIPLOMAS_SECONDS in the cache (read afresh
    and kept again with ``refresh``)."""
    key = f"centre-diplomas:{user.pk}"
    if refresh:
        diplomas = list(diplomas_in(user))
        cache.set(key, diplomas, DIPLOMAS_SECONDS)
        return diplomas
    return cache.get_or_set(key, lambda: list(diplomas_in(user)), DIPLOMAS_SECONDS)


@dataclass(frozen=True)
class Row:
    """One line of the queue, every text it shows already made: the page's template
    only prints them (rendering 50 rows, a ``{% url %}``, two date filters and a dozen
    lookups each, was most of the page's time at the Cnam's scale; docs/benchmarks.md).
    """

    dossier: Dossier
    url: str
    reference: str
    display_name: str
    username: str
    auditeur_number: str
    diplome_code: str
    diplome_title: str
    kind_label: str
    state_label: str
    badge: str
    owner_label: str  # "vous", the colleague's name or "—"
    owned_by_user: bool
    redeposited: bool
    redeposit_hint: str  # "après 2 demandes de corrections"
    changed_iso: str  # state_changed_at, local time, ISO 8601 (<time datetime>)
    changed_on: str  # the same day, dd/mm/yyyy
    waiting_days: int | None  # days a dossier à compléter has waited for the auditeur
    waiting_label: str  # "depuis 3 jours"
    corrections_due_on: str  # dd/mm/yyyy, or ""
    overdue: bool  # its corrections were due before today


KIND_LABELS = dict(Kind.choices)
STATE_LABELS = dict(State.choices)


def pk_url(viewname):
    """A function ``pk -> URL`` of ``viewname`` (one ``pk`` argument): ``reverse()``
    once per page rather than once per row."""
    marker = 918273645  # a number no pattern of D3 would produce by itself
    head, tail = reverse(viewname, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def day(value):
    """dd/mm/yyyy of a date, or of a datetime in the local time zone (as ``|date``)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")


def plural(count, singular, plural_form=None):
    """The word for ``count``, as the ``pluralize`` filter chooses (1: singular)."""
    return singular if count == 1 else (plural_form or singular + "s")


def owner_label(dossier, user):
    if dossier.owner_id is None:
        return "—"
    if dossier.owner_id == user.pk:
        return "vous"
    return dossier.owner.get_full_name() or dossier.owner.username


def auditeur_names(auditeur):
    """(display name, numéro d'auditeur) of an auditeur, profile or not."""
    profile = getattr(auditeur, "profile", None)
    if profile is None:
        return auditeur.get_full_name() or auditeur.username, ""
    return profile.display_name, profile.auditeur_number


def rows(dossiers, user, today):
    """Queue rows for dossiers fetched by :func:`dossiers` (no query)."""
    url = pk_url("dossiers:centre_dossier")
    result = []
    for dossier in dossiers:
        display_name, number = auditeur_names(dossier.auditeur)
        waiting, overdue = None, False
        if dossier.state == S.A_COMPLETER:
            since = timezone.localdate(dossier.state_changed_at)
            waiting = max((today - since).days, 0)
            overdue = dossier.corrections_due is not None and dossier.corrections_due < today
        rounds = dossier.correction_round
        changed = timezone.localtime(dossier.state_changed_at)
        result.append(
            Row(
                dossier=dossier,
                url=url(dossier.pk),
                reference=dossier.reference,
                display_name=display_name,
                username=dossier.auditeur.username,
                auditeur_number=number,
                diplome_code=dossier.diplome.code,
                diplome_title=dossier.diplome.title,
                kind_label=KIND_LABELS.get(dossier.kind, dossier.kind),
                state_label=STATE_LABELS.get(dossier.state, dossier.state),
                badge=STATE_BADGES.get(dossier.state, ""),
                owner_label=owner_label(dossier, user),
                owned_by_user=dossier.owner_id == user.pk,
                redeposited=dossier.state == S.DEPOSE and rounds > 0,
                redeposit_hint=f"après {rounds} {plural(rounds, 'demande')} de corrections",
                changed_iso=changed.isoformat(),
                changed_on=day(changed),
                waiting_days=waiting,
                waiting_label=(
                    "" if waiting is None else f"depuis {waiting} {plural(waiting, 'jour')}"
                ),
                corrections_due_on=(
                    day(dossier.corrections_due) if dossier.corrections_due else ""
                ),
                overdue=overdue,
            )
        )
    return result
