"""Suivi de dossiers: for now, what D3 is for, the steps, and the validated UEs."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UEFactory, ValidatedUEFactory

SUIVI_URL = reverse("auditeurs:suivi")


def test_the_empty_state_explains_d3_and_its_steps(client, auditeur):
    client.force_login(auditeur)
    response = client.get(SUIVI_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Suivi de dossiers</h1>" in html
    for words in [
        "demande de délivrance de diplôme",
        "demande d'analyse de l'expérience professionnelle",
        "de manière anticipée",
        "en même temps que la demande de diplôme",
        "Signature électronique",
        "Contrôle par votre centre",
        "Direction nationale des formations (DNF)",
        "Jury",
        "au plus tôt un mois après la date du jury",
        "formation continue (stages en journée)",
    ]:
        assert words in html, words
    assert "Aucune UE validée n'est encore enregistrée à votre nom." in html


def test_it_lists_only_the_auditeurs_own_validated_ues(client, auditeur, other_auditeur, centre):
    ValidatedUEFactory(
        auditeur=auditeur,
        ue=UEFactory(code="NFA031", title="Programmation avec Java : notions de base"),
        validated_on=datetime.date(2024, 2, 3),
        centre=centre,
        grade="13.5",
    )
    ValidatedUEFactory(
        auditeur=auditeur, ue=UEFactory(code="NFP121"), centre=None, grade=None
    )
    ValidatedUEFactory(auditeur=other_auditeur, ue=UEFactory(code="GLG101"))
    client.force_login(auditeur)

    html = client.get(SUIVI_URL).content.decode()

    assert "NFA031" in html
    assert "Programmation avec Java : notions de base" in html
    assert "03/02/2024" in html
    assert "Cnam Paris" in html
    assert "13,50/20" in html
    assert "NFP121" in html
    assert "GLG101" not in html
    assert "Aucune UE validée" not in html
    # Read-only: nothing to submit about UEs.
    assert "<form" not in html.split("titre-ue")[1]


def test_the_query_count_does_not_grow_with_the_number_of_ues(client, auditeur, centre):
    client.force_login(auditeur)
    ValidatedUEFactory(auditeur=auditeur, centre=centre)
    client.get(SUIVI_URL)  # warm-up: session, content types…
    with CaptureQueriesContext(connection) as one:
        client.get(SUIVI_URL)
    for _ in range(6):
        ValidatedUEFactory(auditeur=auditeur, centre=centre)
    with CaptureQueriesContext(connection) as seven:
        response = client.get(SUIVI_URL)
    assert len(response.context["validated_ues"]) == 7
    assert len(seven) == len(one)
