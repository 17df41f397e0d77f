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

pytestmark = [pytest.mark.django_db, requires_postgresql]


def plan_of(queryset):
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_searched_word_is_looked_up_in_the_trigram_indexes(db):
    plan = plan_of(queue.search(Dossier.objects.all(), "martin").values("pk"))
    for index in ("user_first_name_trgm", "user_last_name_trgm", "user_username_trgm",
                  "profile_birth_name_trgm", "profile_usage_name_trgm",
                  "profile_first_names_trgm", "profile_number_trgm"):
        assert index in plan


def test_the_centre_list_is_read_from_its_covering_index(gestionnaire):
    keys = queue.dossiers(gestionnaire, queue.Filters(state=queue.ALL_STATES)).values("pk")
    plan = plan_of(keys[:50])
    assert "Index Only Scan using dossier_centre_list" in plan


def test_the_dnf_list_is_read_in_its_order_from_its_index(agent_dnf):
    keys = selectors.transmitted_dossiers(agent_dnf, selectors.TransmittedFilters())
    plan = plan_of(keys.values("pk")[2450:2500])
    assert "dossier_dnf_list" in plan
    assert "Sort" not in plan  # the index gives the order: page 50 costs what page 1 does
