"""The DNF's transmitted list at the Cnam's scale: its counts per state kept in the cache
until a transition of the workflow (dossiers.centre_counts), selectors.COUNTS_SECONDS at
most; its rows' texts made once in Python (jury.selectors.dossier_rows)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dossiers import centre_counts
from jury import selectors
from tests.jury.factories import SessionDossierFactory, TransmittedDossierFactory

pytestmark = pytest.mark.django_db

LIST = reverse("jury:dnf_dossiers")


def tabs(response):
    return {tab["state"]: tab["count"] for tab in response.context["tabs"]}


def test_the_counts_are_fresh_after_a_transition_and_lag_other_changes_at_most_a_while(
        client, agent_dnf, centre):
    in_centre = {"auditeur__profile__centre": centre}  # a new centre would be a new key
    TransmittedDossierFactory(**in_centre)
    SessionDossierFactory(**in_centre)
    client.force_login(agent_dnf)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = tabs(client.get(LIST))
        assert first == {"transmis_dnf": 1, "inscrit_jury": 1, "decision_rendue": 0,
                         "courrier_envoye": 0, "tous": 2}
        # Written outside the workflow (as the Django admin would): the counts lag.
        created = TransmittedDossierFactory(**in_centre)
        SessionDossierFactory(**in_centre)
        assert tabs(client.get(LIST)) == first
        # Any transition of the workflow renews its centre's version: counted afresh.
        centre_counts.changed(created.centre_id)
        fresh = client.get(LIST)
        assert tabs(fresh)["transmis_dnf"] == 2 == len(fresh.context["rows"])
        assert tabs(fresh)["inscrit_jury"] == 2 and tabs(fresh)["tous"] == 4

    later = start + datetime.timedelta(seconds=selectors.COUNTS_SECONDS + 1)
    TransmittedDossierFactory(**in_centre)
    with time_machine.travel(later, tick=False):
        assert tabs(client.get(LIST))["tous"] == 5


def test_a_transition_of_the_workflow_reaches_the_dnf_s_counts(client, agent_dnf,
                                                               gestionnaire, centre):
    from dossiers import workflow
    from tests.dossiers.factories import DossierFactory
    from tests.factories import AuditeurFactory

    dossier = DossierFactory(auditeur=AuditeurFactory(profile__centre=centre),
                             en_controle=True, owner=gestionnaire)
    client.force_login(agent_dnf)
    assert tabs(client.get(LIST))["transmis_dnf"] == 0
    workflow.declare_complete(dossier.pk, user=gestionnaire)
    listed = client.get(LIST)
    assert tabs(listed)["transmis_dnf"] == 1 == len(listed.context["rows"])


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
    centres = [centre.pk for centre in selectors.centres()]
    assert selectors.recent_transmitted_counts(agent_dnf, filters, centres)["tous"] == 1
    assert selectors.recent_transmitted_counts(gestionnaire, filters, centres)["tous"] == 0


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
