"""KeyedPaginator gives the pages Paginator gives, in as many queries."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from d3.pagination import KeyedPaginator
from dossiers.models import Dossier
from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossiers(auditeur):
    return [DossierFactory(auditeur=auditeur) for _ in range(7)]


def listed():
    return Dossier.objects.select_related("auditeur__profile", "diplome").order_by("-pk")


@pytest.mark.parametrize("number", [1, 2, 3, "4", "x"])
def test_same_pages_as_paginator(dossiers, number):
    expected = Paginator(listed(), 3).get_page(number)
    page = KeyedPaginator(listed(), 3).get_page(number)
    assert page.number == expected.number
    assert list(page.object_list) == list(expected.object_list)
    assert page.paginator.num_pages == expected.paginator.num_pages == 3


def test_rows_come_with_their_relations_in_as_many_queries(dossiers):
    with CaptureQueriesContext(connection) as plain:
        [d.auditeur.profile.auditeur_number for d in Paginator(listed(), 3).get_page(2)]
    with CaptureQueriesContext(connection) as keyed:
        rows = [d.auditeur.profile.auditeur_number for d in
                KeyedPaginator(listed(), 3).get_page(2)]
    assert len(rows) == 3
    assert len(keyed) == len(plain) == 2  # the count, then the page


def test_the_page_query_joins_the_page_only(dossiers):
    # The list's filter is applied to the keys, not again to the joined rows.
    filtered = listed().filter(kind=dossiers[0].kind)
    with CaptureQueriesContext(connection) as queries:
        list(KeyedPaginator(filtered, 3).get_page(1))
    page_sql = queries[-1]["sql"]
    assert page_sql.count(f"'{dossiers[0].kind}'") == 1
    assert "LIMIT 3" in page_sql


def test_an_empty_list_costs_only_its_count(db):
    with CaptureQueriesContext(connection) as queries:
        page = KeyedPaginator(listed(), 3).get_page(1)
        assert list(page) == []
    assert len(queries) == 1


def test_annotated_lists_are_refused(dossiers):
    with pytest.raises(ValueError, match="annotations"):
        KeyedPaginator(listed().annotate(n=Count("events")), 3)


def test_a_count_already_made_spares_the_paginator_s(dossiers):
    with CaptureQueriesContext(connection) as queries:
        page = KeyedPaginator(listed(), 3, count=7).get_page(3)
        assert [d.pk for d in page] == [d.pk for d in dossiers[:1]]
    assert len(queries) == 1  # the page's rows only
    assert page.paginator.num_pages == 3 and "COUNT(" not in queries[0]["sql"].upper()


def test_the_rows_keep_only_the_fields_asked_for(dossiers):
    narrow = listed().only("created_at", "auditeur__username",
                           "auditeur__profile__auditeur_number", "diplome__code")
    row = KeyedPaginator(narrow, 3).get_page(1)[0]
    assert row.get_deferred_fields() >= {"kind", "state"}
    assert "username" not in row.auditeur.get_deferred_fields()
    assert row.auditeur.get_deferred_fields() >= {"email", "password"}
