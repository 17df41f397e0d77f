"""The experience rules of domain.md, one table row per case, on plain data."""

from datetime import date, timedelta
from fractions import Fraction
from types import SimpleNamespace

import pytest

from dossiers.experience import (
    INTERNSHIP,
    LICENCE_L1_L3,
    LICENCE_L3,
    MET,
    NOT_MET,
    STAGE_REQUIRED,
    TITRE_RNCP,
    Period,
    Rules,
    assess,
    format_months,
    full_time_months,
    months_in,
    round_down,
    specialty_months,
    validate_period,
)
from dossiers.models import ExperienceRuleSet

TODAY = date(2025, 6, 30)

L1_L3 = Rules(kind=LICENCE_L1_L3, months_total=36, months_specialty=12,
              stage_months_min=6, stage_months_max=6)
L3 = Rules(kind=LICENCE_L3, months_specialty=12, stage_months_min=6, stage_months_max=6)
RNCP = Rules(kind=TITRE_RNCP, months_specialty=24, months_outside=36,
             stage_months_min=3, stage_months_max=6)


def add_months(day, months):
    month_index = day.month - 1 + months
    return day.replace(year=day.year + month_index // 12, month=month_index % 12 + 1)


def months_of(months, start=date(2010, 1, 1), **kwargs):
    """A period of exactly ``months`` calendar months from the first day of a month."""
    return Period(start=start, end=add_months(start, months) - timedelta(days=1), **kwargs)


def outside(months, start=date(2010, 1, 1), **kwargs):
    return months_of(months, start, in_specialty=False, at_level=False, **kwargs)


def in_specialty(months, start=date(2018, 1, 1), **kwargs):
    return months_of(months, start, in_specialty=True, at_level=True, **kwargs)


# --- The rule table -----------------------------------------------------------------

RULE_TABLE = [
    # (id, rules, periods, verdict, label, total, specialty)
    ("l1-l3 36 in all, 12 in spec", L1_L3, [outside(24), in_specialty(12)],
     MET, "Conditions remplies", 36, 12),
    ("l1-l3 36 in all, 8 in spec", L1_L3, [outside(28), in_specialty(8)],
     STAGE_REQUIRED, "Stage de 6 mois requis", 36, 8),
    ("l1-l3 36 in all, none in spec", L1_L3, [outside(36)],
     STAGE_REQUIRED, "Stage de 6 mois requis", 36, 0),
    ("l1-l3 30 in all", L1_L3, [outside(18), in_specialty(12)],
     NOT_MET, "Conditions non remplies", 30, 12),
    ("l1-l3 no periods", L1_L3, [],
     STAGE_REQUIRED, "Stage de 6 mois requis", 0, 0),
    ("l3 12 in spec", L3, [in_specialty(12)],
     MET, "Conditions remplies", 12, 12),
    ("l3 24 outside", L3, [outside(24)],
     STAGE_REQUIRED, "Stage de 6 mois requis", 24, 0),
    ("l3 6 in spec", L3, [in_specialty(6)],
     STAGE_REQUIRED, "Stage de 6 mois requis", 6, 6),
    ("l3 no periods", L3, [],
     STAGE_REQUIRED, "Stage de 6 mois requis", 0, 0),
    ("rncp 24 in domain", RNCP, [in_specialty(24)],
     MET, "Conditions remplies", 24, 24),
    ("rncp 36 outside", RNCP, [outside(36)],
     STAGE_REQUIRED, "Stage de 3 à 6 mois requis", 36, 0),
    ("rncp 20 outside", RNCP, [outside(20)],
     NOT_MET, "Conditions non remplies", 20, 0),
    ("rncp 20 in domain and 16 outside", RNCP, [outside(16), in_specialty(20)],
     STAGE_REQUIRED, "Stage de 3 à 6 mois requis", 36, 20),
    ("rncp no periods", RNCP, [],
     STAGE_REQUIRED, "Stage de 3 à 6 mois requis", 0, 0),
]


@pytest.mark.parametrize(
    "rules, periods, verdict, label, total, specialty",
    [row[1:] for row in RULE_TABLE],
    ids=[row[0] for row in RULE_TABLE],
)
def test_it_applies_the_rule_table(rules, periods, verdict, label, total, specialty):
    assessment = assess(periods, rules, TODAY)
    assert assessment.verdict == verdict
    assert assessment.label == label
    assert assessment.total_months == total
    assert assessment.specialty_months == specialty


def test_it_says_how_many_months_are_missing_in_the_specialty():
    assessment = assess([outside(28), in_specialty(8)], L1_L3, TODAY)
    assert assessment.missing_specialty_months == 4
    assert assessment.missing == ("Il vous manque 4 mois d'expérience dans la spécialité.",)
    assert (assessment.stage_months_min, assessment.stage_months_max) == (6, 6)
    assert assessment.stage_months == "6"


def test_it_says_how_many_months_are_missing_in_all():
    assessment = assess([outside(18), in_specialty(12)], L1_L3, TODAY)
    assert assessment.missing_total_months == 6
    assert assessment.missing == (
        "Il vous manque 6 mois d'expérience professionnelle au total.",
    )
    assert assessment.stage_months_min is None
    assert assessment.stage_months == ""


def test_it_lists_both_shortfalls_for_l1_l3():
    assessment = assess([outside(20), in_specialty(4)], L1_L3, TODAY)
    assert assessment.missing == (
        "Il vous manque 12 mois d'expérience professionnelle au total.",
        "Il vous manque 8 mois d'expérience dans la spécialité.",
    )


def test_it_speaks_of_the_domain_for_rncp():
    assessment = assess([outside(36)], RNCP, TODAY)
    assert assessment.missing == ("Il vous manque 24 mois d'expérience dans le domaine.",)
    assert assessment.stage_months == "3 à 6"
    assert "stage de 3 à 6 mois" in assessment.explanation


def test_it_says_what_rncp_not_met_lacks():
    assessment = assess([outside(20)], RNCP, TODAY)
    assert assessment.missing == (
        "Il vous manque 24 mois d'expérience dans le domaine.",
        "Ou bien il vous manque 16 mois d'expérience au total pour pouvoir compléter "
        "votre expérience par un stage de 3 à 6 mois.",
    )


def test_it_explains_the_stage_without_experience():
    assessment = assess([], L1_L3, TODAY)
    assert assessment.missing == ()
    assert assessment.explanation == (
        "Vous ne déclarez aucune expérience professionnelle : un stage de 6 mois dans la "
        "spécialité du diplôme est exigé."
    )


def test_it_treats_periods_covering_no_day_as_no_experience():
    future = Period(start=date(2030, 1, 1), end=None)
    assert assess([future], L1_L3, TODAY).verdict == STAGE_REQUIRED


def test_it_never_lets_display_rounding_flip_the_verdict():
    # One day short of 36 months: shown as 35,9 months, not met, 1 month missing.
    short = Period(start=date(2010, 1, 2), end=date(2012, 12, 31), in_specialty=True,
                   at_level=True)
    assessment = assess([short], L1_L3, TODAY)
    assert Fraction(35) < assessment.total_months < 36
    assert assessment.verdict == NOT_MET
    assert assessment.total_display == "35,9 mois"
    assert assessment.missing_total_months == 1

    exact = Period(start=date(2010, 1, 1), end=date(2012, 12, 31), in_specialty=True,
                   at_level=True)
    assessment = assess([exact], L1_L3, TODAY)
    assert assessment.verdict == MET
    assert assessment.total_display == "36 mois"


def test_it_counts_internships_like_other_periods():
    assert assess([in_specialty(12, kind=INTERNSHIP)], L3, TODAY).verdict == MET


# --- Duration arithmetic --------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, months",
    [
        (date(2024, 1, 1), date(2024, 1, 31), 1),
        (date(2024, 2, 1), date(2024, 2, 29), 1),
        (date(2023, 2, 1), date(2023, 2, 28), 1),
        (date(2022, 1, 1), date(2023, 12, 31), 24),
        (date(2024, 1, 15), date(2024, 1, 15), Fraction(1, 31)),
        (date(2024, 1, 15), date(2024, 2, 14), Fraction(17, 31) + Fraction(14, 29)),
        (date(2024, 3, 15), date(2025, 3, 14), 12),
        (date(2024, 1, 2), date(2024, 1, 1), 0),
    ],
)
def test_it_counts_calendar_months(start, end, months):
    assert months_in(start, end) == months


def test_it_counts_part_time_pro_rata():
    periods = [months_of(24, working_time=50)]
    assert full_time_months(periods, TODAY) == 12


def test_it_counts_overlapping_full_time_periods_once():
    periods = [months_of(24, date(2020, 1, 1)), months_of(24, date(2021, 1, 1))]
    assert full_time_months(periods, TODAY) == 36


def test_it_adds_two_overlapping_half_times_up_to_a_full_time():
    periods = [months_of(12, working_time=50), months_of(12, working_time=50)]
    assert full_time_months(periods, TODAY) == 12


def test_it_caps_overlapping_part_times_at_a_full_time():
    # 80 % + 80 % on the same 12 months: 12 months, not 19.2.
    periods = [months_of(12, working_time=80), months_of(12, working_time=80)]
    assert full_time_months(periods, TODAY) == 12


def test_it_adds_part_times_only_where_they_overlap():
    # 80 % all year, plus 80 % for the second half: 0.8 * 6 + 1 * 6.
    periods = [
        months_of(12, date(2020, 1, 1), working_time=80),
        months_of(6, date(2020, 7, 1), working_time=80),
    ]
    assert full_time_months(periods, TODAY) == Fraction(108, 10)


def test_it_counts_an_ongoing_period_up_to_today():
    ongoing = Period(start=date(2024, 7, 1), end=None)
    assert full_time_months([ongoing], TODAY) == 12
    assert full_time_months([ongoing], date(2024, 7, 31)) == 1


def test_it_does_not_count_days_after_today():
    contract = Period(start=date(2024, 7, 1), end=date(2026, 6, 30))
    assert full_time_months([contract], TODAY) == 12


def test_it_counts_in_the_specialty_only_at_the_level():
    periods = [
        months_of(12, date(2020, 1, 1), in_specialty=True, at_level=False),
        months_of(12, date(2021, 1, 1), in_specialty=False, at_level=True),
        months_of(6, date(2022, 1, 1), in_specialty=True, at_level=True),
    ]
    assert full_time_months(periods, TODAY) == 30
    assert specialty_months(periods, TODAY) == 6


def test_it_caps_the_specialty_separately():
    # A specialty half-time and an outside half-time on the same days: 1 in all, 1/2 in
    # the specialty.
    periods = [
        months_of(12, working_time=50, in_specialty=True, at_level=True),
        months_of(12, working_time=50),
    ]
    assert full_time_months(periods, TODAY) == 12
    assert specialty_months(periods, TODAY) == 6


def test_it_handles_decades_quickly():
    periods = [Period(start=date(1960 + i, 1, 1), end=None, working_time=10) for i in range(60)]
    assert full_time_months(periods, TODAY) > 0


@pytest.mark.parametrize(
    "months, text",
    [(Fraction(36), "36 mois"), (Fraction(719, 20), "35,9 mois"), (Fraction(0), "0 mois"),
     (Fraction(1, 31), "0 mois"), (Fraction(125, 10), "12,5 mois")],
)
def test_it_formats_months_rounded_down(months, text):
    assert format_months(months) == text


def test_round_down_keeps_one_decimal():
    assert str(round_down(Fraction(2, 3))) == "0.6"


# --- Rules ------------------------------------------------------------------------------


def test_it_builds_rules_from_a_rule_set():
    rule_set = ExperienceRuleSet(
        name="Titre RNCP", kind="titre_rncp", months_specialty=24, months_outside=36,
        stage_months_min=3, stage_months_max=6,
    )
    assert Rules.from_rule_set(rule_set) == RNCP


def test_it_builds_rules_from_any_object_with_the_attributes():
    rule_set = SimpleNamespace(kind=LICENCE_L3, months_total=None, months_specialty=12,
                               months_outside=None, stage_months_min=6, stage_months_max=6)
    assert Rules.from_rule_set(rule_set) == L3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "master"},
        {"kind": LICENCE_L1_L3, "months_total": None},
        {"kind": TITRE_RNCP, "months_outside": None},
    ],
)
def test_it_refuses_incomplete_rules(kwargs):
    base = {"months_specialty": 12, "stage_months_min": 6, "stage_months_max": 6}
    with pytest.raises(ValueError):
        Rules(**{**base, **kwargs})


# --- Validation -------------------------------------------------------------------------


def test_a_valid_period_has_no_errors():
    assert validate_period(Period(start=date(2020, 1, 1), end=TODAY), TODAY) == {}
    assert validate_period(Period(start=TODAY, end=TODAY), TODAY) == {}
    assert validate_period(Period(start=TODAY, end=None), TODAY) == {}


def test_it_refuses_an_end_before_the_start():
    errors = validate_period(Period(start=date(2020, 1, 2), end=date(2020, 1, 1)), TODAY)
    assert errors == {
        "end": "La date de fin doit être postérieure ou égale à la date de début."
    }


def test_it_refuses_a_start_in_the_future():
    errors = validate_period(Period(start=TODAY + timedelta(days=1), end=None), TODAY)
    assert errors == {"start": "La date de début ne peut pas être dans le futur."}


@pytest.mark.parametrize("working_time", [0, 101, -5, True])
def test_it_refuses_a_working_time_out_of_range(working_time):
    errors = validate_period(
        Period(start=date(2020, 1, 1), end=None, working_time=working_time), TODAY
    )
    assert errors == {
        "working_time": "Le temps de travail doit être compris entre 1 et 100 %."
    }


def test_it_refuses_an_unknown_kind():
    errors = validate_period(Period(start=date(2020, 1, 1), end=None, kind="benevolat"), TODAY)
    assert list(errors) == ["kind"]
