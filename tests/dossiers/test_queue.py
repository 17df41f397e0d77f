"""The centre's queue (dossiers/queue.py): its scope, order, counts, filters and search."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from auditeurs.models import AuditeurProfile
from dossiers import queue
from dossiers.models import Dossier, Kind, State
from tests.dossiers.factories import DossierFactory
from tests.factories import AuditeurFactory, DiplomeFactory, StaffFactory

pytestmark = pytest.mark.django_db


def make(centre, *, days=0, **kwargs):
    """A dossier of a fresh auditeur of ``centre``, in its state for ``days`` days."""
    kwargs.setdefault("state", State.DEPOSE)
    auditeur = kwargs.pop("auditeur", None) or AuditeurFactory(profile__centre=centre)
    dossier = DossierFactory(auditeur=auditeur, **kwargs)
    age(dossier, days)
    return dossier


def age(dossier, days):
    moment = timezone.now() - datetime.timedelta(days=days)
    Dossier.objects.filter(pk=dossier.pk).update(state_changed_at=moment)
    dossier.state_changed_at = moment


def pks(queryset):
    return [dossier.pk for dossier in queryset]


def listed(user, **filters):
    return pks(queue.dossiers(user, queue.Filters(**filters)))


# --- Scope --------------------------------------------------------------------------------


def test_a_gestionnaire_reviews_his_centres_dossiers_from_the_deposit_on(
    gestionnaire, centre, other_centre
):
    # A dossier withdrawn after its signature stays, for the history.
    mine = {state: make(centre, state=state, signature=True) for state in queue.QUEUE_STATES}
    make(centre, state=State.BROUILLON)
    make(other_centre)
    # Withdrawn before it was ever signed: it never reached the centre.
    make(centre, state=State.RETIRE, signature=False)

    assert set(pks(queue.reviewable(gestionnaire))) == {d.pk for d in mine.values()}


def test_a_gestionnaire_of_several_centres_reviews_all_of_them(centre, other_centre):
    both = StaffFactory(role="gestionnaire", centres=[centre, other_centre])
    here, there = make(centre), make(other_centre)

    assert set(listed(both)) == {here.pk, there.pk}


@pytest.mark.parametrize("role", ["auditeur", "agent_dnf", "membre_jury", "administrateur"])
def test_nobody_else_reviews_anything(every_role, centre, role):
    make(centre)
    assert not queue.reviewable(every_role[role]).exists()


# --- Order ------------------------------------------------------------------------------------


def test_the_default_view_is_the_deposited_redeposits_first_then_oldest(gestionnaire, centre):
    recent = make(centre, days=1)
    oldest = make(centre, days=20)
    redeposited_recent = make(centre, days=0, correction_round=1)
    redeposited_older = make(centre, days=3, correction_round=2)
    make(centre, state=State.EN_CONTROLE, days=30)

    assert listed(gestionnaire) == [
        redeposited_older.pk, redeposited_recent.pk, oldest.pk, recent.pk,
    ]


@pytest.mark.parametrize("state", [State.EN_CONTROLE, State.A_COMPLETER])
def test_work_in_progress_oldest_first(gestionnaire, centre, state):
    newer = make(centre, state=state, days=2)
    older = make(centre, state=state, days=9)

    assert listed(gestionnaire, state=state) == [older.pk, newer.pk]


def test_finished_dossiers_and_all_states_latest_first(gestionnaire, centre):
    older = make(centre, state=State.TRANSMIS_DNF, days=9)
    newer = make(centre, state=State.TRANSMIS_DNF, days=2)
    deposited = make(centre, days=5)

    assert listed(gestionnaire, state=State.TRANSMIS_DNF) == [newer.pk, older.pk]
    assert listed(gestionnaire, state=queue.ALL_STATES) == [newer.pk, deposited.pk, older.pk]


# --- Counts ---------------------------------------------------------------------------------


def test_counts_per_state_in_one_query(gestionnaire, centre, other_centre,
                                       django_assert_num_queries):
    colleague = StaffFactory(role="gestionnaire", centres=[centre])
    make(centre)
    make(centre, correction_round=1)
    make(centre, state=State.EN_CONTROLE, owner=gestionnaire)
    make(centre, state=State.EN_CONTROLE, owner=colleague)
    make(centre, state=State.A_COMPLETER)
    make(centre, state=State.BROUILLON)
    make(other_centre)

    with django_assert_num_queries(1):
        counts = queue.counts(gestionnaire, queue.Filters())

    assert counts[State.DEPOSE] == 2
    assert counts["redeposited"] == 1
    assert counts[State.EN_CONTROLE] == 2
    assert counts["mine"] == 1
    assert counts[State.A_COMPLETER] == 1
    assert counts[State.TRANSMIS_DNF] == 0
    assert counts[queue.ALL_STATES] == 5


def test_a_search_s_matches_are_counted_as_the_query_counts(gestionnaire, centre,
                                                            django_assert_num_queries):
    """Once a search's matches are known, the counts come from them (no query) and
    equal the aggregate query's, state by state."""
    colleague = StaffFactory(role="gestionnaire", centres=[centre])
    for state, extra in [(State.DEPOSE, {}), (State.DEPOSE, {"correction_round": 2}),
                         (State.EN_CONTROLE, {"owner": gestionnaire}),
                         (State.EN_CONTROLE, {"owner": colleague}),
                         (State.A_COMPLETER, {}), (State.TRANSMIS_DNF, {}),
                         (State.RETIRE, {}), (State.BROUILLON, {})]:
        make(centre, state=state, **extra)
    make(centre, state=State.DEPOSE, auditeur=AuditeurFactory(
        first_name="Paul", last_name="Durand", profile__centre=centre))

    for query in ["nom", "durand", "introuvable"]:
        filters = queue.Filters(state=queue.ALL_STATES, query=query)
        searched = queue.with_search_done(gestionnaire, filters)
        with django_assert_num_queries(0):
            counted = queue.counts(gestionnaire, searched)
        assert counted == queue.counts(gestionnaire, filters), query
    assert counted[queue.ALL_STATES] == 0
    assert queue.counts(gestionnaire, queue.with_search_done(
        gestionnaire, queue.Filters(query="nom")))["mine"] == 1


def test_counts_follow_the_other_filters(gestionnaire, centre):
    diplome = DiplomeFactory()
    make(centre, diplome=diplome)
    make(centre, diplome=diplome, state=State.A_COMPLETER)
    make(centre)

    counts = queue.counts(gestionnaire, queue.Filters(diplome_id=diplome.pk))

    assert counts[State.DEPOSE] == 1
    assert counts[State.A_COMPLETER] == 1
    assert counts[queue.ALL_STATES] == 2


# --- Filters and search -----------------------------------------------------------------------


def test_filters_by_diploma_and_kind(gestionnaire, centre):
    licence, master = DiplomeFactory(), DiplomeFactory()
    dd = make(centre, diplome=licence, kind=Kind.DD)
    aep = make(centre, diplome=licence, kind=Kind.AEP_ANTICIPEE)
    other = make(centre, diplome=master, kind=Kind.DD)

    assert set(listed(gestionnaire, diplome_id=licence.pk)) == {dd.pk, aep.pk}
    assert listed(gestionnaire, kind=Kind.DD, diplome_id=licence.pk) == [dd.pk]
    assert set(listed(gestionnaire, kind=Kind.DD)) == {dd.pk, other.pk}


def test_filters_by_who_has_it_in_charge(gestionnaire, centre):
    colleague = StaffFactory(role="gestionnaire", centres=[centre])
    mine = make(centre, state=State.EN_CONTROLE, owner=gestionnaire)
    theirs = make(centre, state=State.EN_CONTROLE, owner=colleague)
    nobody = make(centre)
    everything = {"state": queue.ALL_STATES}

    assert listed(gestionnaire, charge=queue.MINE, **everything) == [mine.pk]
    assert listed(gestionnaire, charge=queue.COLLEAGUES, **everything) == [theirs.pk]
    assert listed(gestionnaire, charge=queue.NOBODY, **everything) == [nobody.pk]


def test_the_diplomas_offered_are_those_of_the_centres_dossiers(gestionnaire, centre,
                                                                 other_centre):
    here = make(centre).diplome
    draft_only = make(centre, state=State.BROUILLON).diplome
    elsewhere = make(other_centre).diplome
    DiplomeFactory()

    diplomas = list(queue.diplomas_in(gestionnaire))

    assert diplomas == [here]
    assert draft_only not in diplomas and elsewhere not in diplomas


@pytest.mark.parametrize(
    "query",
    ["martin", "JEANNE", "jeanne.martin", "PAR100001", "r100001", "Jeanne PAR100001",
     "Durand-Martin"],
)
def test_search_by_name_identifier_or_number(gestionnaire, centre, auditeur, query):
    auditeur.profile.usage_name = "Durand-Martin"
    auditeur.profile.save()
    found = make(centre, auditeur=auditeur)
    make(centre)

    assert listed(gestionnaire, query=query) == [found.pk]


def test_search_by_reference(gestionnaire, centre):
    found = make(centre)
    make(centre)

    assert listed(gestionnaire, query=found.reference.lower()) == [found.pk]


def test_search_never_reaches_beyond_the_scope(gestionnaire, other_centre, other_auditeur):
    make(other_centre, auditeur=other_auditeur)

    assert listed(gestionnaire, query="bernard", state=queue.ALL_STATES) == []


def test_search_follows_the_auditeurs_renames(gestionnaire, centre, auditeur):
    """The auditeur's texts are copied onto each dossier for the index (PostgreSQL,
    migration dossiers 0010): every change of an account or a profile reaches them."""
    found = make(centre, auditeur=auditeur)
    make(centre, auditeur=AuditeurFactory(profile__centre=centre,
                                          profile__auditeur_number="PAR900001"))

    auditeur.profile.usage_name = "Lovelace"
    auditeur.profile.save()
    assert listed(gestionnaire, query="lovelace") == [found.pk]

    auditeur.last_name = "Hopper"
    auditeur.save(update_fields=["last_name"])
    assert listed(gestionnaire, query="hopper") == [found.pk]

    auditeur.profile.usage_name = "Hamilton"
    auditeur.profile.save()
    assert listed(gestionnaire, query="hamilton") == [found.pk]
    assert listed(gestionnaire, query="lovelace") == []  # the former name is gone

    # A queryset update (imports, the retention job) writes no model instance.
    type(auditeur.profile).objects.filter(pk=auditeur.profile.pk).update(
        auditeur_number="NUM777")
    assert listed(gestionnaire, query="num777") == [found.pk]
    assert listed(gestionnaire, query="PAR100001") == []


def test_search_finds_a_profile_made_after_the_dossier(gestionnaire, centre):
    auditeur = AuditeurFactory(profile=None, first_name="Ada", last_name="Byron")
    found = DossierFactory(auditeur=auditeur, centre=centre, state=State.DEPOSE)
    assert listed(gestionnaire, query="byron") == [found.pk]
    assert listed(gestionnaire, query="king") == []

    AuditeurProfile.objects.create(user=auditeur, centre=centre, birth_name="King",
                                   first_names="Augusta Ada", auditeur_number="PAR424242")
    assert listed(gestionnaire, query="king") == [found.pk]
    AuditeurProfile.objects.filter(user=auditeur).delete()
    assert listed(gestionnaire, query="king") == []
    assert listed(gestionnaire, query="byron") == [found.pk]


def test_a_search_keeps_its_words_inside_the_keyed_paginators_subquery(centre, auditeur):
    """The page's keys are chosen in a subquery of the same table (KeyedPaginator): the
    search must test the subquery's dossiers, not the outer query's."""
    from d3.pagination import KeyedPaginator

    auditeur.profile.usage_name = "Lovelace"
    auditeur.profile.save()
    found = make(centre, auditeur=auditeur)
    make(centre)  # newer: the first key of the list were the search ignored

    searched = queue.search(Dossier.objects.order_by("-pk"), "lovelace")
    assert pks(KeyedPaginator(searched, 1).page(1).object_list) == [found.pk]


def test_search_takes_wildcards_literally(gestionnaire, centre, auditeur):
    make(centre, auditeur=auditeur)
    assert listed(gestionnaire, query="%") == []
    assert listed(gestionnaire, query="m_rtin") == []


# --- Rows ---------------------------------------------------------------------------------


def test_rows_say_who_has_it_and_how_long_the_auditeur_has_been_waiting(
    gestionnaire, centre, django_assert_num_queries
):
    colleague = StaffFactory(role="gestionnaire", centres=[centre], first_name="Paul",
                             last_name="Lemaire")
    mine = make(centre, state=State.EN_CONTROLE, owner=gestionnaire)
    theirs = make(centre, state=State.EN_CONTROLE, owner=colleague)
    waiting = make(centre, state=State.A_COMPLETER, days=12,
                   corrections_due=timezone.localdate() - datetime.timedelta(days=1))
    redeposited = make(centre, correction_round=1)
    dossiers = list(queue.dossiers(gestionnaire, queue.Filters(state=queue.ALL_STATES)))

    with django_assert_num_queries(0):
        rows = {row.dossier.pk: row for row in queue.rows(dossiers, gestionnaire,
                                                            timezone.localdate())}

    assert rows[mine.pk].owner_label == "vous" and rows[mine.pk].owned_by_user
    assert rows[theirs.pk].owner_label == "Paul Lemaire"
    assert rows[waiting.pk].owner_label == "—"
    assert rows[waiting.pk].waiting_days == 12 and rows[waiting.pk].overdue
    assert rows[waiting.pk].badge == "warning"
    assert rows[redeposited.pk].redeposited and rows[redeposited.pk].waiting_days is None
    assert rows[mine.pk].display_name.endswith(mine.auditeur.last_name)


# --- Counts kept in the cache (dossiers.centre_counts) ------------------------------------


def recent(user, **filters):
    return queue.recent_counts(user, queue.Filters(**filters),
                               [centre.pk for centre in user.centres.all()])


def test_the_counts_are_kept_until_a_dossier_of_the_centre_changes(
        gestionnaire, centre, django_assert_num_queries):
    from dossiers import workflow

    colleague = StaffFactory(role="gestionnaire", centres=[centre])
    deposited = make(centre)
    make(centre)
    assert recent(gestionnaire)[State.DEPOSE] == 2
    with django_assert_num_queries(0):
        assert queue.recent_counts(gestionnaire, queue.Filters(), [centre.pk])[
            State.DEPOSE] == 2

    # Any gestionnaire's action renews the centre's version: every one counts afresh.
    workflow.take(deposited.pk, user=colleague)
    counted = recent(gestionnaire)
    assert (counted[State.DEPOSE], counted[State.EN_CONTROLE], counted["mine"]) == (1, 1, 0)
    workflow.take_over(deposited.pk, user=gestionnaire)
    assert recent(gestionnaire)["mine"] == 1
    assert recent(colleague)["mine"] == 0


def test_a_change_outside_the_workflow_shows_within_counts_seconds(gestionnaire, centre):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        dossier = make(centre)
        assert recent(gestionnaire)[State.DEPOSE] == 1
        Dossier.objects.filter(pk=dossier.pk).update(state=State.EN_CONTROLE)  # the admin
        assert recent(gestionnaire)[State.DEPOSE] == 1
        clock.move_to(start + datetime.timedelta(seconds=queue.COUNTS_SECONDS + 1))
        assert recent(gestionnaire)[State.DEPOSE] == 0


def test_the_counts_kept_are_each_gestionnaires_and_each_filters(gestionnaire, centre,
                                                                 other_centre):
    elsewhere = StaffFactory(role="gestionnaire", centres=[other_centre])
    diplome = DiplomeFactory()
    make(centre, diplome=diplome)
    make(centre)
    make(other_centre)
    assert recent(gestionnaire)[queue.ALL_STATES] == 3 - 1
    assert recent(elsewhere)[queue.ALL_STATES] == 1
    assert recent(gestionnaire, diplome_id=diplome.pk)[queue.ALL_STATES] == 1
    # The state shown does not change the counts: one entry for every tab.
    assert recent(gestionnaire, state=queue.ALL_STATES)[queue.ALL_STATES] == 2


def test_the_counts_do_without_the_cache(gestionnaire, centre, settings, caplog):
    # A closed port: every cache call fails at once; the page still counts.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    from dossiers import workflow

    dossier = make(centre)
    assert recent(gestionnaire)[State.DEPOSE] == 1
    workflow.take(dossier.pk, user=gestionnaire)  # the transition goes on
    assert recent(gestionnaire)[State.EN_CONTROLE] == 1
    assert "cache injoignable" in caplog.text
