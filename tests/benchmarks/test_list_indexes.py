"""The indexes the lists rely on at the Cnam's scale are the ones their queries can use.

An index on an expression serves a query only if the query writes the same
expression: these tests ask PostgreSQL's planner (sequential scans discouraged, as
they would be on 150,000 dossiers) which index it takes for the real queries.
"""

import pytest
from django.db import connection, transaction

from dossiers import queue
from dossiers.models import Dossier
from jury import selectors
from tests.concurrency import requires_postgresql
from tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, requires_postgresql]


def plan_of(queryset, *, only_index=None, bitmap_only=False):
    """The plan of ``queryset``; with ``only_index``, the other indexes of the dossiers'
    table are dropped first (rolled back after): the test's few rows give the planner no
    reason to prefer one index to another, the question is whether the query can use it."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL enable_seqscan = off")
                if bitmap_only:  # no full scan of a primary key either: a condition
                    cursor.execute("SET LOCAL enable_indexscan = off")  # must be indexed
                if only_index:
                    cursor.execute(
                        "SELECT indexname FROM pg_indexes WHERE tablename = "
                        "'dossiers_dossier' AND indexname NOT LIKE '%%pkey' "
                        "AND indexname <> %s", [only_index])
                    for (name,) in cursor.fetchall():
                        cursor.execute(f'DROP INDEX "{name}"')
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                raise _RollBack
        except _RollBack:
            return plan


class _RollBack(Exception):
    pass


def test_a_searched_word_is_looked_up_in_the_centres_search_index(gestionnaire):
    """The word is looked up in the centre's search index (migration dossiers 0010),
    the centre and the word in one GIN index: only the centre's matching dossiers are
    read, not every auditeur of that name."""
    filters = queue.Filters(state=queue.ALL_STATES, query="martin")
    plan = plan_of(queue.dossiers(gestionnaire, filters).values("pk"),
                   only_index="dossier_centre_search", bitmap_only=True)
    assert "Bitmap Index Scan on dossier_centre_search" in plan
    # With the test's few rows the planner may leave the centre to a filter; on the
    # bench's 150,000 dossiers both go to the index (docs/benchmarks.md, EXPLAIN).
    assert any("Index Cond:" in line and "search_text ~~ '%MARTIN%'" in line
               for line in plan.splitlines())


def test_the_dnf_search_reads_the_transmitted_dossiers_search_index(db):
    """The DNF's search of every centre reads the partial index of the transmitted
    dossiers (the state list of its scope implies the index's)."""
    dnf = StaffFactory(role="agent_dnf")
    filters = selectors.TransmittedFilters(state=selectors.ALL_STATES, query="martin")
    plan = plan_of(selectors.transmitted_dossiers(dnf, filters).values("pk"),
                   only_index="dossier_dnf_search", bitmap_only=True)
    assert "Bitmap Index Scan on dossier_dnf_search" in plan


def test_the_centre_list_is_read_from_its_covering_index(gestionnaire):
    keys = queue.dossiers(gestionnaire, queue.Filters(state=queue.ALL_STATES)).values("pk")
    plan = plan_of(keys[:50], only_index="dossier_centre_list")
    # Index-only once autovacuum has marked the pages visible (production, the bench);
    # rows written by the test itself are not, so only the index is asserted here.
    assert "using dossier_centre_list" in plan, plan


def test_the_dnf_list_is_read_in_its_order_from_its_index(agent_dnf):
    keys = selectors.transmitted_dossiers(agent_dnf, selectors.TransmittedFilters())
    plan = plan_of(keys.values("pk")[2450:2500], only_index="dossier_dnf_list")
    assert "dossier_dnf_list" in plan
    assert "Sort" not in plan  # the index gives the order: page 50 costs what page 1 does
