"""The centre queue's rows, made in Python once (dossiers.queue.rows): the texts the
template prints are those the template used to make itself, date filters and
``{% url %}`` included."""

import datetime

import pytest
import time_machine
from django.template.defaultfilters import date as date_filter
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dossiers import centre_counts, queue
from dossiers.models import State
from tests.dossiers.factories import DossierFactory
from tests.factories import AuditeurFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pk", [1, 42, 918273645, 1234567890])
def test_a_url_made_from_its_prefix_is_reverse_s(pk):
    assert queue.pk_url("dossiers:centre_dossier")(pk) == reverse(
        "dossiers:centre_dossier", args=[pk])
    assert queue.pk_url("jury:dnf_session")(pk) == reverse("jury:dnf_session", args=[pk])


def _row(centre, gestionnaire, **kwargs):
    dossier = DossierFactory(auditeur=AuditeurFactory(profile__centre=centre), **kwargs)
    fetched = queue.dossiers(gestionnaire, queue.Filters(state=queue.ALL_STATES)).get(
        pk=dossier.pk)
    return queue.rows([fetched], gestionnaire, timezone.localdate())[0]


def test_a_row_says_what_the_template_said(centre, gestionnaire):
    due = timezone.localdate() - datetime.timedelta(days=1)
    row = _row(centre, gestionnaire, state=State.A_COMPLETER, corrections_due=due)
    dossier = row.dossier

    assert row.url == reverse("dossiers:centre_dossier", args=[dossier.pk])
    assert row.reference == dossier.reference
    assert row.kind_label == dossier.get_kind_display()
    assert row.state_label == dossier.get_state_display() == "À compléter"
    # The <time> element as the date filter wrote it (local time, ISO 8601).
    assert row.changed_iso == date_filter(timezone.localtime(dossier.state_changed_at), "c")
    assert row.changed_on == date_filter(timezone.localtime(dossier.state_changed_at),
                                         "d/m/Y")
    assert row.waiting_label == "depuis 0 jours"  # as |pluralize: 0 takes the plural
    assert row.corrections_due_on == f"{due:%d/%m/%Y}" and row.overdue


@pytest.mark.parametrize("rounds, hint", [(1, "après 1 demande de corrections"),
                                          (2, "après 2 demandes de corrections")])
def test_a_redeposited_row_counts_its_requests(centre, gestionnaire, rounds, hint):
    row = _row(centre, gestionnaire, state=State.DEPOSE, correction_round=rounds)
    assert row.redeposited and row.redeposit_hint == hint
    assert row.waiting_label == "" and row.corrections_due_on == ""


def test_a_dossier_changed_late_in_the_evening_shows_its_local_day(centre, gestionnaire):
    dossier = DossierFactory(auditeur=AuditeurFactory(profile__centre=centre),
                             state=State.EN_CONTROLE)
    late = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)  # 2 March in Paris
    type(dossier).objects.filter(pk=dossier.pk).update(state_changed_at=late)
    fetched = queue.dossiers(gestionnaire, queue.Filters(state=queue.ALL_STATES)).get(
        pk=dossier.pk)

    row = queue.rows([fetched], gestionnaire, timezone.localdate())[0]

    assert row.changed_on == "02/03/2026"
    assert row.changed_iso == "2026-03-02T00:30:00+01:00"


def test_the_filter_s_diplomas_are_kept_a_minute(client, centre, gestionnaire,
                                                 django_assert_num_queries):
    first = DossierFactory(auditeur=AuditeurFactory(profile__centre=centre),
                           state=State.DEPOSE)
    client.force_login(gestionnaire)
    start = timezone.now()
    queue_url = reverse("dossiers:centre_queue")

    def choices():
        return dict(client.get(queue_url).context["form"].fields["diplome"].choices)

    with time_machine.travel(start, tick=False):
        assert str(first.diplome_id) in choices()
        new = DossierFactory(auditeur=AuditeurFactory(profile__centre=centre),
                             state=State.DEPOSE)
        centre_counts.changed(centre.pk)  # as its signature did (workflow.sign)
        # From the cache: one query less, the new diploma not yet a choice…
        with django_assert_num_queries(5):
            assert str(new.diplome_id) not in choices()
        # …but its dossier listed.
        listed = client.get(queue_url).context["rows"]
        assert new.pk in [row.dossier.pk for row in listed]
        # A filter naming it is applied, not dropped: the choices are read afresh.
        filtered = client.get(queue_url, {"diplome": new.diplome_id})
        assert filtered.context["form"].is_valid()
        assert [row.dossier.pk for row in filtered.context["rows"]] == [new.pk]
        assert str(new.diplome_id) in choices()
    with time_machine.travel(start + datetime.timedelta(seconds=queue.DIPLOMAS_SECONDS + 1),
                             tick=False):
        assert str(new.diplome_id) in choices()


def test_a_search_is_answered_once_per_page(client, centre, gestionnaire, auditeur):
    found = DossierFactory(auditeur=auditeur, state=State.DEPOSE)  # Jeanne Martin
    DossierFactory(auditeur=AuditeurFactory(profile__centre=centre), state=State.DEPOSE)
    client.force_login(gestionnaire)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dossiers:centre_queue"), {"q": "martin"})

    assert [row.dossier.pk for row in response.context["rows"]] == [found.pk]
    tabs = {tab["state"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs[State.DEPOSE] == 1 and tabs[queue.ALL_STATES] == 1
    searching = [q["sql"] for q in queries if "%martin%" in q["sql"].lower()]
    assert len(searching) == 1
    # The matches are counted from the search's answer: no aggregate query.
    assert not [q["sql"] for q in queries if "FILTER (WHERE" in q["sql"]]


def test_a_search_s_matches_stay_within_the_other_filters(centre, gestionnaire, auditeur):
    dd = DossierFactory(auditeur=auditeur, state=State.DEPOSE, kind="dd")
    DossierFactory(auditeur=auditeur, state=State.DEPOSE, kind="aep_anticipee")
    filters = queue.with_search_done(gestionnaire, queue.Filters(query="martin", kind="dd"))
    assert [match.pk for match in filters.matches] == [dd.pk]
    assert [d.pk for d in queue.dossiers(gestionnaire, filters)] == [dd.pk]
    assert queue.with_search_done(gestionnaire, queue.Filters()).matches is None


def test_a_search_s_matches_serve_only_the_user_they_were_found_for(
        centre, other_centre, gestionnaire, auditeur):
    """Another user given them (a mistake of the code) still gets his/her own scope."""
    found = DossierFactory(auditeur=auditeur, state=State.DEPOSE)
    elsewhere = StaffFactory(role="gestionnaire", centres=[other_centre])
    filters = queue.with_search_done(gestionnaire, queue.Filters(query="martin"))
    assert [d.pk for d in queue.dossiers(gestionnaire, filters)] == [found.pk]
    assert list(queue.dossiers(elsewhere, filters)) == []
    assert queue.counts(elsewhere, filters)[queue.ALL_STATES] == 0
