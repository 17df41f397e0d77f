"""The public simulator: anyone checks the experience rules before logging in."""

import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from dossiers.models import RuleKind
from tests.factories import RuleSetFactory

pytestmark = [
    # WhiteNoise warns that STATIC_ROOT is absent (collectstatic never runs in tests).
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

URL = "/simulateur/"


@pytest.fixture(autouse=True)
def _frozen_today():
    # Ongoing periods and "no future start" depend on the day of the simulation.
    with time_machine.travel(date(2025, 6, 30), tick=False):
        yield


@pytest.fixture
def licence(db):
    return RuleSetFactory()  # L1-L2-L3: 36 months, 12 in the specialty, 6-month stage


@pytest.fixture
def rncp(db):
    return RuleSetFactory(
        name="Titre RNCP", kind=RuleKind.TITRE_RNCP, months_total=None, months_specialty=24,
        months_outside=36, stage_months_min=3, stage_months_max=6,
    )


def post_data(rule_set, *periods, total_forms=3, **extra):
    data = {
        "rule_set": rule_set,
        "periode-TOTAL_FORMS": str(total_forms),
        "periode-INITIAL_FORMS": "0",
        "periode-MIN_NUM_FORMS": "0",
        "periode-MAX_NUM_FORMS": "20",
    }
    for index in range(total_forms):
        period = {"working_time": "100", "kind": "employment"}
        if index < len(periods):
            period.update(periods[index])
        for name, value in period.items():
            if value is not None:
                data[f"periode-{index}-{name}"] = value
    data.update(extra)
    return data


def test_it_is_routed():
    assert reverse("dossiers:simulateur") == URL


def test_it_shows_the_form_to_anonymous(client, licence):
    response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<legend>Période 1</legend>" in content
    assert "<legend>Période 3</legend>" in content
    assert "Période 4" not in content
    assert licence.name in content
    assert "Ajouter une période" in content
    assert "Résultat de la pré-évaluation" not in content


def test_it_says_when_no_rule_set_is_published(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'class="empty-state"' in response.content.decode()


def test_it_assesses_the_periods(client, licence):
    response = client.post(URL, post_data(
        licence.pk,
        {"start": "2015-01-01", "end": "2017-04-30"},  # 28 months outside the specialty
        {"start": "2020-01-01", "end": "2020-08-31", "in_specialty": "on", "at_level": "on"},
    ))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Résultat de la pré-évaluation" in content
    assert "Stage de 6 mois requis" in content
    assert "<dd>36 mois</dd>" in content
    assert "<dd>8 mois</dd>" in content
    assert "Il vous manque 4 mois d&#x27;expérience dans la spécialité." in content
    assert response.context["assessment"].verdict == "stage_required"


def test_it_counts_an_ongoing_part_time_period(client, licence):
    response = client.post(URL, post_data(
        licence.pk,
        {"start": "2019-07-01", "working_time": "50", "in_specialty": "on", "at_level": "on"},
        {"start": "2010-01-01", "end": "2013-12-31"},
    ))
    assessment = response.context["assessment"]
    assert assessment.specialty_months == 36  # 72 months at 50 %
    assert "Conditions remplies" in response.content.decode()


def test_it_reports_conditions_not_met(client, licence):
    response = client.post(URL, post_data(licence.pk, {"start": "2020-01-01", "end": "2021-12-31"}))
    content = response.content.decode()
    assert "Conditions non remplies" in content
    assert "Il vous manque 12 mois d&#x27;expérience professionnelle au total." in content


def test_it_shows_a_stage_range_for_rncp(client, rncp):
    response = client.post(URL, post_data(rncp.pk, {"start": "2010-01-01", "end": "2012-12-31"}))
    content = response.content.decode()
    assert "Stage de 3 à 6 mois requis" in content
    assert "dans le domaine" in content


def test_it_requires_a_stage_without_any_experience(client, licence):
    response = client.post(URL, post_data(licence.pk))
    content = response.content.decode()
    assert "Stage de 6 mois requis" in content
    assert "Vous ne déclarez aucune expérience professionnelle" in content


def test_it_shows_french_errors_next_to_bad_dates(client, licence):
    response = client.post(URL, post_data(
        licence.pk,
        {"start": "2020-06-01", "end": "2020-01-01"},
        {"start": "2026-01-01"},
    ))
    assert response.status_code == 200
    assert response.context["assessment"] is None
    content = response.content.decode()
    assert "Le formulaire contient des erreurs" in content
    assert "Résultat de la pré-évaluation" not in content

    error = re.search(r'<div class="form-field__error" id="id_periode-0-end_error">(.*?)</div>',
                      content, re.S)
    assert "La date de fin doit être postérieure ou égale à la date de début." in error.group(1)
    end_input = re.search(r'<input[^>]*name="periode-0-end"[^>]*>', content).group(0)
    assert 'aria-invalid="true"' in end_input
    assert "id_periode-0-end_error" in end_input

    start_error = re.search(
        r'<div class="form-field__error" id="id_periode-1-start_error">(.*?)</div>', content, re.S
    )
    assert "La date de début ne peut pas être dans le futur." in start_error.group(1)
    # The values typed are kept for correction.
    assert 'value="2020-06-01"' in content


def test_it_refuses_a_malformed_date_in_french(client, licence):
    response = client.post(URL, post_data(licence.pk, {"start": "32/13/2020"}))
    assert "Saisissez une date valide." in response.content.decode()


def test_it_refuses_a_working_time_out_of_range(client, licence):
    response = client.post(URL, post_data(licence.pk, {"start": "2020-01-01", "working_time": "120"}))
    assert "Le temps de travail doit être compris entre 1 et 100 %." in response.content.decode()


def test_it_refuses_an_unknown_rule_set(client, licence):
    response = client.post(URL, post_data("999999", {"start": "2020-01-01"}))
    assert response.status_code == 200
    assert response.context["assessment"] is None
    content = response.content.decode()
    assert "Choisissez des règles d&#x27;expérience dans la liste." in content
    assert 'id="id_rule_set_error"' in content


def test_it_reports_incomplete_rules_instead_of_failing(client, db):
    # Saved without the admin's checks: an L1-L3 rule set without its total.
    broken = RuleSetFactory(name="Incomplètes", months_total=None)
    response = client.post(URL, post_data(broken.pk, {"start": "2020-01-01"}))
    assert response.status_code == 200
    assert response.context["assessment"] is None
    assert "Ces règles d&#x27;expérience sont incomplètes" in response.content.decode()


def test_it_asks_for_a_rule_set(client, licence):
    response = client.post(URL, post_data(""))
    assert "Choisissez les règles d&#x27;expérience de votre diplôme." in response.content.decode()


def test_it_adds_a_period_without_javascript(client, licence):
    response = client.post(URL, post_data(
        licence.pk, {"start": "2015-01-01", "end": "2017-12-31"}, ajouter_periode="1",
    ))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<legend>Période 4</legend>" in content
    assert 'value="2015-01-01"' in content  # what was typed is kept
    assert f'<option value="{licence.pk}" selected>' in content
    assert response.context["assessment"] is None
    assert "Le formulaire contient des erreurs" not in content
    assert "form-field__error" not in content
    # The new period is pre-filled like the others.
    assert re.search(r'<input[^>]*name="periode-3-working_time"[^>]*value="100"', content) or \
        re.search(r'<input[^>]*value="100"[^>]*name="periode-3-working_time"', content)


def test_it_stops_adding_periods_at_the_maximum(client, licence):
    response = client.post(URL, post_data(licence.pk, total_forms=20, ajouter_periode="1"))
    content = response.content.decode()
    assert "<legend>Période 20</legend>" in content
    assert "Période 21" not in content
    assert "Ajouter une période" not in content


def test_it_is_open_to_signed_in_staff(client, gestionnaire, licence):
    client.force_login(gestionnaire)
    assert client.get(URL).status_code == 200


def test_it_refuses_a_working_time_below_one(client, licence):
    response = client.post(URL, post_data(licence.pk, {"start": "2020-01-01", "working_time": "0"}))
    assert "Le temps de travail doit être compris entre 1 et 100 %." in response.content.decode()
