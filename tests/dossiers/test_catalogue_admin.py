"""The catalogue in the admin: pages render, and what an administrateur types is checked."""

import pytest
from django.urls import reverse

from dossiers.models import Diplome, ExperienceRuleSet, GroupKind, PieceType, UEGroup
from tests.factories import (
    DiplomeFactory,
    PieceTypeFactory,
    RuleSetFactory,
    UEFactory,
    UEGroupFactory,
)


@pytest.fixture
def admin_client(client, administrateur):
    client.force_login(administrateur)
    return client


@pytest.fixture
def licence(db):
    diplome = DiplomeFactory(code="LG02501A", title="Licence informatique")
    group = UEGroupFactory(diplome=diplome, label="UE obligatoires", required=2,
                           ues=[UEFactory(code="UTC501"), UEFactory(code="UTC502")])
    return diplome, group


@pytest.mark.parametrize("model", ["diplome", "ue", "uegroup", "piecetype", "experienceruleset"])
def test_the_catalogue_lists_and_add_pages_render(admin_client, licence, model):
    PieceTypeFactory()

    for url in (reverse(f"admin:dossiers_{model}_changelist"),
                reverse(f"admin:dossiers_{model}_add")):
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_the_change_pages_render(admin_client, licence):
    diplome, group = licence
    for url in (
        reverse("admin:dossiers_diplome_change", args=[diplome.pk]),
        reverse("admin:dossiers_uegroup_change", args=[group.pk]),
        reverse("admin:dossiers_piecetype_change", args=[PieceTypeFactory().pk]),
        reverse("admin:dossiers_experienceruleset_change", args=[diplome.rule_set.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_diplomas_are_filtered_by_family_and_searched_by_code(admin_client, licence):
    DiplomeFactory(code="MR11501A", title="Master informatique", family="master")
    changelist = reverse("admin:dossiers_diplome_changelist")

    by_family = admin_client.get(changelist, {"family__exact": "master"})
    by_code = admin_client.get(changelist, {"q": "lg025"})
    inactive = admin_client.get(changelist, {"active__exact": "0"})

    assert [d.code for d in by_family.context["cl"].result_list] == ["MR11501A"]
    assert [d.code for d in by_code.context["cl"].result_list] == ["LG02501A"]
    assert list(inactive.context["cl"].result_list) == []


def test_the_rule_set_form_runs_the_model_checks(admin_client):
    response = admin_client.post(
        reverse("admin:dossiers_experienceruleset_add"),
        {"name": "Titre RNCP", "kind": "titre_rncp", "months_specialty": "24",
         "stage_months_min": "6", "stage_months_max": "3"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["months_outside"] == ["Obligatoire pour un titre RNCP."]
    assert errors["stage_months_max"] == ["La durée maximale est inférieure à la durée minimale."]
    assert not ExperienceRuleSet.objects.exists()


def group_data(diplome, ues, **values):
    return {"diplome": diplome.pk, "label": "Options", "kind": GroupKind.COUNT,
            "required": "2", "ues": [ue.pk for ue in ues], "position": "1", **values}


def test_a_group_cannot_ask_for_more_ues_than_it_has(admin_client, licence):
    diplome, _ = licence
    ues = [UEFactory(code="NFA032"), UEFactory(code="NFA008")]

    response = admin_client.post(reverse("admin:dossiers_uegroup_add"),
                                 group_data(diplome, ues, required="3"))

    assert response.context["adminform"].form.errors["required"] == [
        "Le groupe exige 3 UE mais ses UE n'en apportent que 2."
    ]
    assert UEGroup.objects.count() == 1


def test_an_ects_group_cannot_ask_for_more_credits_than_its_ues_bring(admin_client, licence):
    diplome, _ = licence
    ues = [UEFactory(code="NFA004", ects=4), UEFactory(code="NFE205", ects=3)]

    refused = admin_client.post(reverse("admin:dossiers_uegroup_add"),
                                group_data(diplome, ues, kind=GroupKind.ECTS, required="8"))
    accepted = admin_client.post(reverse("admin:dossiers_uegroup_add"),
                                 group_data(diplome, ues, kind=GroupKind.ECTS, required="7"))

    assert refused.context["adminform"].form.errors["required"] == [
        "Le groupe exige 8 crédits ECTS mais ses UE n'en apportent que 7."
    ]
    assert accepted.status_code == 302
    group = UEGroup.objects.get(kind=GroupKind.ECTS)
    assert group.as_rule().ues == {"NFA004": 4, "NFE205": 3}


def test_groups_are_edited_inside_their_diploma(admin_client, licence):
    diplome, group = licence
    extra = UEFactory(code="UTC503")
    data = {
        "code": diplome.code, "title": "Licence informatique (nouvelle maquette)",
        "family": diplome.family, "specialty": "", "active": "on", "prerequisite": "",
        "rule_set": diplome.rule_set.pk, "min_ues_for_early_aep": "3",
        "groups-TOTAL_FORMS": "1", "groups-INITIAL_FORMS": "1",
        "groups-MIN_NUM_FORMS": "0", "groups-MAX_NUM_FORMS": "1000",
        "groups-0-id": group.pk, "groups-0-diplome": diplome.pk,
        "groups-0-label": "UE obligatoires", "groups-0-position": "1",
        "groups-0-kind": GroupKind.COUNT, "groups-0-required": "3",
        "groups-0-ues": [ue.pk for ue in group.ues.all()] + [extra.pk],
    }

    response = admin_client.post(reverse("admin:dossiers_diplome_change", args=[diplome.pk]), data)

    assert response.status_code == 302, response.context["errors"]
    diplome = Diplome.objects.get(pk=diplome.pk)
    assert diplome.title == "Licence informatique (nouvelle maquette)"
    assert diplome.group_rules()[0].required == 3
    assert set(diplome.group_rules()[0].ues) == {"UTC501", "UTC502", "UTC503"}


def test_piece_formats_are_ticked_not_typed(admin_client):
    response = admin_client.post(
        reverse("admin:dossiers_piecetype_add"),
        {"code": "rapport-experience", "label": "Rapport d'expérience", "help_text": "",
         "required_for_aep": "on", "accepted_formats": ["pdf"], "position": "40"},
    )

    assert response.status_code == 302
    piece = PieceType.objects.get(code="rapport-experience")
    assert piece.accepted_formats == ["pdf"]
    assert piece.required_for_aep and not piece.required_for_dd
    page = admin_client.get(reverse("admin:dossiers_piecetype_change", args=[piece.pk]))
    assert 'type="checkbox" name="accepted_formats" value="pdf"' in page.content.decode()


def test_a_piece_type_needs_at_least_one_format(admin_client):
    response = admin_client.post(
        reverse("admin:dossiers_piecetype_add"),
        {"code": "cv", "label": "CV", "help_text": "", "position": "50"},
    )

    assert "accepted_formats" in response.context["adminform"].form.errors
    assert not PieceType.objects.exists()


def test_the_diploma_list_has_a_fixed_number_of_queries(admin_client, licence,
                                                        django_assert_max_num_queries):
    for n in range(10):
        DiplomeFactory(rule_set=RuleSetFactory(name=f"Règles {n}"))

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:dossiers_diplome_changelist"))

    assert response.status_code == 200
