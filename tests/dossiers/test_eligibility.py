"""The UE group rule, on plain data: no database."""

from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers.eligibility import (
    COUNT,
    ECTS,
    GroupRule,
    count_validated_in,
    evaluate_cursus,
    evaluate_group,
)

MANDATORY = GroupRule(
    label="UE obligatoires", kind=COUNT, required=3,
    ues={"UTC501": 6, "UTC502": 6, "UTC503": 6},
)
CHOICE = GroupRule(
    label="2 UE au choix parmi 5", kind=COUNT, required=2,
    ues={"NFA032": 6, "NFA008": 6, "NFP121": 6, "NSY103": 6, "RSX101": 6},
)
OPTIONS_ECTS = GroupRule(
    label="Options : 12 crédits ECTS", kind=ECTS, required=12,
    ues={"NFA004": 4, "NFE205": 3, "NFE114": 6, "RSX112": 6},
)
LICENCE = [MANDATORY, CHOICE, OPTIONS_ECTS]


def test_it_counts_the_validated_ues_of_a_group():
    result = evaluate_group({"UTC501", "UTC503"}, MANDATORY)

    assert result.validated == ("UTC501", "UTC503")
    assert result.remaining == ("UTC502",)
    assert result.obtained == 2
    assert result.missing == 1
    assert not result.satisfied
    assert result.summary == "UE obligatoires : il manque 1 UE (2 sur 3 exigés)."


def test_a_choice_group_is_satisfied_by_any_ues_of_the_choice():
    assert evaluate_group({"NFA008", "RSX101"}, CHOICE).satisfied
    assert not evaluate_group({"NFA008"}, CHOICE).satisfied


def test_more_ues_than_required_never_make_a_negative_missing():
    result = evaluate_group(set(CHOICE.ues), CHOICE)

    assert result.obtained == 5
    assert result.missing == 0
    assert result.summary == (
        "2 UE au choix parmi 5 : condition remplie (5 UE sur 2 exigés)."
    )


def test_an_ects_group_counts_credits_not_ues():
    # Two UEs, but 4 + 3 = 7 credits out of 12.
    short = evaluate_group({"NFA004", "NFE205"}, OPTIONS_ECTS)
    assert short.obtained == 7
    assert short.missing == 5
    assert short.summary == (
        "Options : 12 crédits ECTS : il manque 5 crédits ECTS (7 sur 12 exigés)."
    )

    enough = evaluate_group({"NFE114", "RSX112"}, OPTIONS_ECTS)
    assert enough.obtained == 12
    assert enough.satisfied


def test_nothing_validated_satisfies_no_group():
    result = evaluate_cursus(set(), LICENCE)

    assert not result.satisfied
    assert result.unsatisfied == result.groups
    assert [group.missing for group in result.groups] == [3, 2, 12]


def test_everything_validated_satisfies_the_cursus():
    every_ue = {code for rule in LICENCE for code in rule.ues}

    result = evaluate_cursus(every_ue, LICENCE)

    assert result.satisfied
    assert result.unsatisfied == ()


def test_one_unsatisfied_group_is_enough_to_refuse_the_cursus():
    validated = set(MANDATORY.ues) | set(CHOICE.ues)

    result = evaluate_cursus(validated, LICENCE)

    assert not result.satisfied
    assert [group.rule for group in result.unsatisfied] == [OPTIONS_ECTS]


def test_ues_outside_the_diploma_are_ignored():
    outside = {"ANG320", "MSE147", "CFA109", "DRS101"}

    result = evaluate_cursus(outside | {"UTC501"}, LICENCE)

    assert [group.obtained for group in result.groups] == [1, 0, 0]
    assert all(code not in group.validated for group in result.groups for code in outside)
    assert count_validated_in(outside, LICENCE) == 0


def test_a_diploma_without_groups_is_never_satisfied():
    result = evaluate_cursus({"UTC501", "UTC502"}, [])

    assert result.groups == ()
    assert not result.satisfied


def test_count_validated_in_counts_each_ue_of_the_diploma_once():
    # NFA008 belongs to two groups of this diploma: it counts once.
    shared = GroupRule(label="Bases de données", kind=COUNT, required=1,
                       ues={"NFA008": 6, "NFP107": 6})

    assert count_validated_in({"UTC501", "NFA008", "ANG320"}, [MANDATORY, CHOICE, shared]) == 2
    assert count_validated_in(set(), LICENCE) == 0
    assert count_validated_in({"UTC501"}, []) == 0


def test_validated_codes_may_be_any_iterable():
    assert evaluate_cursus(["UTC501", "UTC502", "UTC503"], [MANDATORY]).satisfied
    assert count_validated_in(iter(["UTC501", "UTC501"]), [MANDATORY]) == 1


# --- Properties -------------------------------------------------------------------

CODES = [f"UE{n:03d}" for n in range(12)]


@st.composite
def group_rules(draw):
    ues = draw(
        st.dictionaries(st.sampled_from(CODES), st.integers(min_value=1, max_value=10),
                        min_size=1, max_size=6)
    )
    kind = draw(st.sampled_from([COUNT, ECTS]))
    ceiling = len(ues) if kind == COUNT else sum(ues.values())
    required = draw(st.integers(min_value=1, max_value=ceiling))
    return GroupRule(label="groupe", kind=kind, required=required, ues=ues)


validated_sets = st.frozensets(st.sampled_from(CODES + ["HORS01", "HORS02"]))


@settings(database=None, max_examples=200)
@given(rules=st.lists(group_rules(), max_size=4), before=validated_sets, added=validated_sets)
def test_validating_more_ues_never_undoes_a_satisfied_group(rules, before, added):
    first = evaluate_cursus(before, rules)
    later = evaluate_cursus(before | added, rules)

    for old, new in zip(first.groups, later.groups, strict=True):
        assert new.obtained >= old.obtained
        assert new.missing <= old.missing
        if old.satisfied:
            assert new.satisfied
    if first.satisfied:
        assert later.satisfied
    assert count_validated_in(before | added, rules) >= count_validated_in(before, rules)


@settings(database=None, max_examples=200)
@given(rule=group_rules(), validated=validated_sets)
def test_a_group_result_adds_up(rule, validated):
    result = evaluate_group(validated, rule)

    assert set(result.validated) | set(result.remaining) == set(rule.ues)
    assert not set(result.validated) & set(result.remaining)
    assert result.missing == max(rule.required - result.obtained, 0)
    assert result.satisfied == (result.obtained >= rule.required)


@settings(database=None, max_examples=100)
@given(rules=st.lists(group_rules(), min_size=1, max_size=4))
def test_validating_every_ue_of_the_diploma_satisfies_it(rules):
    every_ue = {code for rule in rules for code in rule.ues}

    assert evaluate_cursus(every_ue, rules).satisfied
    assert count_validated_in(every_ue, rules) == len(every_ue)
