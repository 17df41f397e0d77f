"""d3.dates writes dates as Django's date filter does (compared across summer time)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from d3.dates import moment

FILTERS = Template(
    """{{ value|date:"c" }}|{{ value|date:"j F Y à H:i" }}|{{ value|date:"d/m/Y" }}"""
)

UTC = datetime.UTC


@pytest.mark.parametrize("value", [
    datetime.datetime(2026, 1, 3, 8, 5, tzinfo=UTC),  # winter: UTC+1, one-digit day
    datetime.datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # just before summer time
    datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # just after: UTC+2
    datetime.datetime(2026, 8, 15, 22, 30, 0, 123456, tzinfo=UTC),  # août, next day in Paris
    datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # the hour lived twice
    datetime.datetime(2026, 12, 31, 23, 0, tzinfo=UTC),  # 1 janvier 2027 in Paris
    datetime.datetime(2026, 2, 10, 12, 0, tzinfo=ZoneInfo("America/Cayenne")),
])
def test_a_moment_is_what_the_date_filter_writes(value):
    assert "|".join(moment(value)) == FILTERS.render(Context({"value": value}))


def test_a_moment_follows_the_current_time_zone():
    value = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with timezone.override(ZoneInfo("Pacific/Noumea")):
        assert moment(value).text == "1 juin 2026 à 23:00"
        assert "|".join(moment(value)) == FILTERS.render(Context({"value": value}))
