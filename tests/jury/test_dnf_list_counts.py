"""The DNF's transmitted list at the Cnam's scale: its counts per state kept
selectors.COUNTS_SECONDS in the cache, the list's own tab always fresh; its rows' texts
made once in Python (jury.selectors.dossier_rows)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from jury import selectors
from tests.jury.factories import SessionDossierFactory, TransmittedDossierFactory

pytestmark = pytest.mark.django_db

LIST = reverse("jury:dnf_dossiers")


def tabs(response):
    return {tab["state"]: tab["count"] for tab in response.context["tabs"]}


def test_other_tabs_may_lag_the_cache_s_seconds_the_list_s_own_tab_never(client, agent_dnf):
    TransmittedDossierFactory()
    SessionDossierFactory()
    client.force_login(agent_dnf)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = tabs(client.get(LIST))
        assert first == {"transmis_dnf": 1, "inscrit_jury": 1, "decision_rendue": 0,
                         "courrier_envoye": 0, "tous": 2}
        TransmittedDossierFactory()
        SessionDossierFactory()

        waiting = client.get(LIST)  # the tab shown: counted afresh, as its list
        assert tabs(waiting)["transmis_dnf"] == 2 == len(waiting.context["rows"])
        assert tabs(waiting)["inscrit_jury"] == 1 and tabs(waiting)["tous"] == 2  # cached
        on_session = client.get(LIST, {"etat": "inscrit_jury"})
        assert tabs(on_session)["inscrit_jury"] == 2 and tabs(on_session)["transmis_dnf"] == 1

    later = start + datetime.timedelta(seconds=selectors.COUNTS_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert tabs(client.get(LIST))["tous"] == 4


def test_the_counts_are_kept_per_filter(client, agent_dnf, centre, other_centre):
    TransmittedDossierFactory(auditeur__profile__centre=centre)
    TransmittedDossierFactory(auditeur__profile__centre=other_centre)
    client.force_login(agent_dnf)

    assert tabs(client.get(LIST, {"etat": "tous"}))["tous"] == 2
    narrowed = client.get(LIST, {"etat": "inscrit_jury", "centre": centre.pk})
    assert tabs(narrowed)["tous"] == 1 and tabs(narrowed)["transmis_dnf"] == 1


def test_only_agents_dnf_share_the_cached_counts(gestionnaire, agent_dnf):
    TransmittedDossierFactory()
    filters = selectors.TransmittedFilters()
    assert selectors.recent_transmitted_counts(agent_dnf, filters)["tous"] == 1
    assert selectors.recent_transmitted_counts(gestionnaire, filters)["tous"] == 0


def test_a_row_on_a_session_links_to_it_with_its_date(client, agent_dnf):
    # 23:30 UTC on 1 March is 2 March in Paris: the list shows the local day.
    transmitted = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    dossier = SessionDossierFactory(transmitted_at=transmitted)
    session = dossier.jury_session
    client.force_login(agent_dnf)

    html = client.get(LIST, {"etat": "inscrit_jury"}).content.decode()

    link = reverse("jury:dnf_session", args=[session.pk])
    assert f'<a href="{link}">Jury du {session.date:%d/%m/%Y}</a>' in html
    assert '<time datetime="2026-03-02T00:30:00+01:00">02/03/2026</time>' in html
    assert dossier.reference in html and dossier.diplome.code in html
