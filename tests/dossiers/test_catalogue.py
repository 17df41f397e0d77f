"""The catalogue models: rule set validation, and diplomas' UE groups as plain rules."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from dossiers.eligibility import COUNT, ECTS, GroupRule, evaluate_cursus
from dossiers.models import Diplome, ExperienceRuleSet, GroupKind, RuleKind, UEGroup
from tests.factories import DiplomeFactory, RuleSetFactory, UEFactory, UEGroupFactory


def rule_set(**values):
    defaults = {
        "name": "Règles",
        "kind": RuleKind.LICENCE_L1_L3,
        "months_total": 36,
        "months_specialty": 12,
        "stage_months_min": 6,
        "stage_months_max": 6,
    }
    return ExperienceRuleSet(**{**defaults, **values})


class TestExperienceRuleSetClean:
    def test_a_complete_l1_l3_rule_set_is_valid(self, db):
        rule_set().full_clean()

    def test_l1_l3_needs_a_total_number_of_months(self, db):
        with pytest.raises(ValidationError) as error:
            rule_set(months_total=None).full_clean()

        assert error.value.message_dict == {
            "months_total": ["Obligatoire pour le parcours L1-L2-L3."]
        }

    def test_l3_needs_no_total(self, db):
        rule_set(kind=RuleKind.LICENCE_L3, months_total=None).full_clean()

    def test_rncp_needs_the_months_outside_the_domain(self, db):
        rncp = rule_set(kind=RuleKind.TITRE_RNCP, months_total=None, months_specialty=24,
                        stage_months_min=3, stage_months_max=6)
        with pytest.raises(ValidationError) as error:
            rncp.full_clean()
        assert error.value.message_dict == {"months_outside": ["Obligatoire pour un titre RNCP."]}

        rncp.months_outside = 36
        rncp.full_clean()

    def test_the_longest_stage_cannot_be_shorter_than_the_shortest(self, db):
        with pytest.raises(ValidationError) as error:
            rule_set(stage_months_min=6, stage_months_max=3).full_clean()

        assert error.value.message_dict == {
            "stage_months_max": ["La durée maximale est inférieure à la durée minimale."]
        }

    def test_all_errors_are_reported_at_once(self, db):
        with pytest.raises(ValidationError) as error:
            rule_set(kind=RuleKind.TITRE_RNCP, stage_months_min=6, stage_months_max=3).full_clean()

        assert set(error.value.message_dict) == {"months_outside", "stage_months_max"}

    def test_a_stage_of_zero_month_is_refused(self, db):
        with pytest.raises(ValidationError) as error:
            rule_set(stage_months_min=0).full_clean()

        assert "stage_months_min" in error.value.message_dict


@pytest.fixture
def licence(db):
    diplome = DiplomeFactory(code="LG02501A", rule_set=RuleSetFactory())
    mandatory = UEGroupFactory(
        diplome=diplome, label="UE obligatoires", required=2, position=1,
        ues=[UEFactory(code="UTC501"), UEFactory(code="UTC502")],
    )
    options = UEGroupFactory(
        diplome=diplome, label="Options : 9 crédits ECTS", kind=GroupKind.ECTS, required=9,
        position=2, ues=[UEFactory(code="NFA004", ects=4), UEFactory(code="NFE205", ects=3),
                         UEFactory(code="NFE114", ects=6)],
    )
    return diplome, mandatory, options


def test_group_rules_turn_groups_into_plain_rules_in_order(licence):
    diplome, _, _ = licence

    assert diplome.group_rules() == [
        GroupRule(label="UE obligatoires", kind=COUNT, required=2,
                  ues={"UTC501": 6, "UTC502": 6}),
        GroupRule(label="Options : 9 crédits ECTS", kind=ECTS, required=9,
                  ues={"NFA004": 4, "NFE205": 3, "NFE114": 6}),
    ]


def test_groups_are_ordered_by_position(licence):
    diplome, mandatory, options = licence
    mandatory.position = 5
    mandatory.save()

    assert [rule.label for rule in diplome.group_rules()] == [options.label, mandatory.label]


def test_group_rules_use_prefetched_groups_without_queries(licence, django_assert_num_queries):
    DiplomeFactory(code="CC13600A")  # a diploma without groups
    with django_assert_num_queries(3):
        diplomes = list(
            Diplome.objects.order_by("code").prefetch_related(
                Prefetch("groups", queryset=UEGroup.objects.prefetch_related("ues"))
            )
        )

    with django_assert_num_queries(0):
        rules = {diplome.code: diplome.group_rules() for diplome in diplomes}

    assert [rule.label for rule in rules["LG02501A"]] == [
        "UE obligatoires", "Options : 9 crédits ECTS"
    ]
    assert rules["CC13600A"] == []


def test_group_rules_feed_the_eligibility_rule(licence):
    diplome, _, _ = licence
    rules = diplome.group_rules()

    assert evaluate_cursus({"UTC501", "UTC502", "NFE114", "NFE205"}, rules).satisfied
    assert not evaluate_cursus({"UTC501", "UTC502", "NFE114"}, rules).satisfied


def test_active_diplomas(db):
    open_one = DiplomeFactory(active=True)
    DiplomeFactory(active=False)

    assert list(Diplome.objects.active()) == [open_one]


def test_string_forms(licence):
    diplome, mandatory, _ = licence
    diplome.title = "Licence informatique"

    assert str(diplome) == "LG02501A — Licence informatique"
    assert str(mandatory) == "LG02501A — UE obligatoires"
    assert str(UEFactory(code="GLG101", title="Test et validation du logiciel")) == (
        "GLG101 — Test et validation du logiciel"
    )
