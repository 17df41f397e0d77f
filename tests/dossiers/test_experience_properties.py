"""Properties of the duration arithmetic that must hold for any list of periods."""

import calendar
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers.experience import Period, full_time_months, months_in, specialty_months

TODAY = date(2025, 6, 30)

# No example database: it would write under the checkout, and the properties are cheap
# enough to explore afresh on each run.
properties = settings(database=None, deadline=None, max_examples=150)


@st.composite
def periods(draw, earliest=date(1990, 1, 1), min_days=0, max_days=3000, ongoing=True,
            working_time=None):
    start = draw(st.dates(min_value=earliest, max_value=TODAY))
    if ongoing and draw(st.booleans()):
        end = None
    else:
        end = start + timedelta(days=draw(st.integers(min_value=min_days, max_value=max_days)))
    return Period(
        start=start,
        end=end,
        working_time=working_time or draw(st.integers(min_value=1, max_value=100)),
        in_specialty=draw(st.booleans()),
        at_level=draw(st.booleans()),
    )


period_lists = st.lists(periods(), max_size=6)


def totals(items):
    return full_time_months(items, TODAY), specialty_months(items, TODAY)


@properties
@given(items=period_lists, data=st.data())
def test_the_order_of_periods_does_not_matter(items, data):
    shuffled = data.draw(st.permutations(items))
    assert totals(shuffled) == totals(items)


@properties
@given(items=period_lists, period=periods(min_days=1, ongoing=False), data=st.data())
def test_splitting_a_period_in_two_adjacent_ones_changes_nothing(items, period, data):
    offset = data.draw(st.integers(min_value=0, max_value=(period.end - period.start).days - 1))
    middle = period.start + timedelta(days=offset)
    first = Period(period.start, middle, period.working_time, period.in_specialty,
                   period.at_level)
    second = Period(middle + timedelta(days=1), period.end, period.working_time,
                    period.in_specialty, period.at_level)
    assert totals([*items, first, second]) == totals([*items, period])


@properties
@given(items=period_lists, period=periods(working_time=100))
def test_a_duplicated_full_time_period_never_counts_twice(items, period):
    assert totals([*items, period, period]) == totals([*items, period])


@properties
@given(items=period_lists)
def test_the_total_is_never_less_than_the_specialty(items):
    total, specialty = totals(items)
    assert total >= specialty >= 0


@properties
@given(items=st.lists(periods(), min_size=1, max_size=6))
def test_the_total_never_exceeds_the_span_of_the_periods(items):
    earliest = min(p.start for p in items)
    latest = max(min(p.end or TODAY, TODAY) for p in items)
    assert full_time_months(items, TODAY) <= months_in(earliest, latest)


@properties
@given(items=period_lists, extra=periods())
def test_adding_a_period_never_decreases_the_totals(items, extra):
    total, specialty = totals(items)
    new_total, new_specialty = totals([*items, extra])
    assert new_total >= total
    assert new_specialty >= specialty


def day_by_day(items, today):
    """The definition, applied naively: each day, the capped sum weighs 1/n month."""
    months = Fraction(0)
    first = min(p.start for p in items)
    day = first
    while day <= today:
        level = sum(
            p.working_time for p in items if p.start <= day <= min(p.end or today, today)
        )
        if level:
            length = calendar.monthrange(day.year, day.month)[1]
            months += Fraction(min(level, 100), 100) / length
        day += timedelta(days=1)
    return months


@properties
@given(items=st.lists(periods(earliest=date(2024, 1, 1), max_days=500), min_size=1,
                      max_size=5))
def test_the_sweep_agrees_with_counting_day_by_day(items):
    assert full_time_months(items, TODAY) == day_by_day(items, TODAY)
