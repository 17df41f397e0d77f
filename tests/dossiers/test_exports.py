"""CSV export of the centre's queue: what a French spreadsheet opens correctly."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from dossiers import exports
from dossiers.models import Dossier, Kind, State
from tests.dossiers.factories import DossierFactory
from tests.factories import AuditeurFactory, DiplomeFactory, StaffFactory

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("dossiers:centre_export")


def make(centre, **kwargs):
    kwargs.setdefault("state", State.DEPOSE)
    auditeur = kwargs.pop("auditeur", None) or AuditeurFactory(profile__centre=centre)
    return DossierFactory(auditeur=auditeur, **kwargs)


def export(client, **params):
    response = client.get(EXPORT_URL, params)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


def table(body):
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_export_is_a_streamed_csv_for_a_french_spreadsheet(client, gestionnaire, centre,
                                                               auditeur):
    diplome = DiplomeFactory(code="LG02501A", title="Licence informatique")
    dossier = make(centre, auditeur=auditeur, diplome=diplome, kind=Kind.DD,
                   state=State.A_COMPLETER, owner=gestionnaire, correction_round=1,
                   corrections_due=datetime.date(2026, 9, 15))
    Dossier.objects.filter(pk=dossier.pk).update(
        state_changed_at=datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)
    )
    client.force_login(gestionnaire)

    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)):
        response, body = export(client, etat="a_completer")

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="dossiers-par-2026-03-10.csv"'
    )
    assert body.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in body
    rows = table(body)
    assert rows[0] == list(exports.HEADER)
    assert rows[0][:4] == ["Référence", "Auditeur", "Identifiant ENF", "Numéro d'auditeur"]
    assert rows[1] == [
        dossier.reference, "Jeanne Martin", "jeanne.martin.auditeur", "PAR100001",
        "Cnam Paris", "LG02501A", "Licence informatique",
        "Demande de délivrance de diplôme", "À compléter",
        "03/03/2026",  # 23:30 UTC is already the 3rd in Paris
        "Claire Petit", "1", "15/09/2026", timezone.localtime(dossier.created_at).strftime(
            "%d/%m/%Y"),
    ]


def test_the_export_follows_the_queues_filters(client, gestionnaire, centre, auditeur):
    licence = DiplomeFactory()
    found = make(centre, auditeur=auditeur, diplome=licence)
    make(centre, diplome=licence, state=State.EN_CONTROLE)
    make(centre)
    client.force_login(gestionnaire)

    _, body = export(client, diplome=licence.pk, q="martin", page="2")

    assert [row[0] for row in table(body)[1:]] == [found.reference]


def test_the_default_export_is_the_default_queue_and_all_states_on_request(
    client, gestionnaire, centre
):
    deposited = make(centre)
    transmitted = make(centre, state=State.TRANSMIS_DNF)
    client.force_login(gestionnaire)

    assert [row[0] for row in table(export(client)[1])[1:]] == [deposited.reference]
    everything = {row[0] for row in table(export(client, etat="tous")[1])[1:]}
    assert everything == {deposited.reference, transmitted.reference}


def test_an_empty_export_still_has_its_header(client, gestionnaire):
    client.force_login(gestionnaire)
    assert table(export(client)[1]) == [list(exports.HEADER)]


def test_a_formula_typed_as_a_name_stays_text(client, gestionnaire, centre):
    auditeur = AuditeurFactory(first_name="=HYPERLINK(\"x\")", profile__centre=centre,
                               profile__first_names="=HYPERLINK(\"x\")")
    make(centre, auditeur=auditeur)
    client.force_login(gestionnaire)

    row = table(export(client)[1])[1]

    assert row[1].startswith("'=HYPERLINK")


def test_a_gestionnaire_of_several_centres_gets_one_file(client, centre, other_centre):
    both = StaffFactory(role="gestionnaire", centres=[centre, other_centre])
    make(centre)
    make(other_centre)
    client.force_login(both)

    response, body = export(client)

    assert 'filename="dossiers-centres-' in response["Content-Disposition"]
    assert len(table(body)) == 3


def test_the_export_runs_a_fixed_number_of_queries(client, gestionnaire, centre,
                                                   django_assert_num_queries):
    client.force_login(gestionnaire)
    make(centre)
    # Session, user, diplomas of the filter, the user's centres (file name), the rows.
    with django_assert_num_queries(5):
        _, body = export(client)
    assert len(table(body)) == 2
    for _ in range(20):
        make(centre, owner=gestionnaire)
    cache.clear()  # the filter's diplomas too (queue.DIPLOMAS_SECONDS in the cache)
    with django_assert_num_queries(5):
        _, body = export(client)
    assert len(table(body)) == 22
