"""Business-time arithmetic (chatops.workflow.hours): SLA clocks that pause outside opening hours.

Fixed cases pin the behaviour people see (Friday afternoon → Monday morning, DST nights);
a minute-by-minute oracle built on `Hours.is_open` checks DST days in every zone we care
about; hypothesis checks that adding and measuring business time are inverses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatops.config import Hours
from chatops.workflow.hours import (
    HORIZON,
    add_business_time,
    business_time_between,
    local_time,
    next_opening,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
ZONES = (STOCKHOLM, BERLIN, NEW_YORK, KOLKATA)

OFFICE = Hours(days="mon-fri", start=time(8, 0), end=time(17, 0))
ALL_DAY = Hours(days="mon-sun", start=time(0, 0), end=time(23, 59))
EVERY_DAY = Hours(days="mon-sun", start=time(8, 0), end=time(17, 0))
FRI_MON = Hours(days="fri-mon", start=time(9, 0), end=time(18, 0))
WEEKEND = Hours(days="sat,sun", start=time(10, 0), end=time(14, 0))
NIGHT_SUNDAY = Hours(days="sun", start=time(2, 30), end=time(10, 0))
"""Opens inside the hour skipped on spring-forward Sundays and repeated on fall-back ones."""
CONFIGS = (None, OFFICE, ALL_DAY, EVERY_DAY, FRI_MON, WEEKEND, NIGHT_SUNDAY)

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def at(tz: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return at(UTC, year, month, day, hour, minute)


# 2026-03-27 is a Friday; DST starts 03-29 and ends 10-25 in Europe (both Sundays).
ADD_CASES = [
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 20, 16, 30),
        HOUR,
        at(STOCKHOLM, 2026, 3, 23, 8, 30),
        id="friday-afternoon-to-monday",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 21, 11, 0),
        HOUR,
        at(STOCKHOLM, 2026, 3, 23, 9, 0),
        id="saturday-starts-monday",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 23, 8, 0),
        HOUR,
        at(STOCKHOLM, 2026, 3, 23, 9, 0),
        id="start-at-opening",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 23, 17, 0),
        HOUR,
        at(STOCKHOLM, 2026, 3, 24, 9, 0),
        id="start-at-closing",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 23, 7, 59),
        HOUR,
        at(STOCKHOLM, 2026, 3, 23, 9, 0),
        id="start-before-opening",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 23, 16, 0),
        HOUR,
        at(STOCKHOLM, 2026, 3, 23, 17, 0),
        id="deadline-at-closing-not-next-morning",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 23, 16, 0),
        HOUR + MIN,
        at(STOCKHOLM, 2026, 3, 24, 8, 1),
        id="one-minute-past-closing",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 23, 12, 0),
        timedelta(0),
        at(STOCKHOLM, 2026, 3, 23, 12),
        id="zero-while-open",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 21, 12, 0),
        timedelta(0),
        at(STOCKHOLM, 2026, 3, 23, 8),
        id="zero-while-closed-is-next-opening",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 27, 16, 30),
        HOUR,
        at(STOCKHOLM, 2026, 3, 30, 8, 30),
        id="friday-to-monday-across-spring-forward",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 10, 23, 16, 30),
        HOUR,
        at(STOCKHOLM, 2026, 10, 26, 8, 30),
        id="friday-to-monday-across-fall-back",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 26, 10, 0),
        2 * DAY,
        at(STOCKHOLM, 2026, 4, 2, 13, 0),
        id="two-day-sla-spans-weekend-and-dst",
    ),
    pytest.param(
        OFFICE,
        at(STOCKHOLM, 2026, 3, 20, 10, 0),
        2 * DAY,
        at(STOCKHOLM, 2026, 3, 27, 13, 0),
        id="two-day-sla-spans-weekend",
    ),
    pytest.param(
        EVERY_DAY,
        at(STOCKHOLM, 2026, 3, 28, 16, 30),
        HOUR,
        at(STOCKHOLM, 2026, 3, 29, 8, 30),
        id="open-sunday-after-spring-forward",
    ),
    pytest.param(
        ALL_DAY,
        at(STOCKHOLM, 2026, 3, 29, 1, 30),
        HOUR,
        utc(2026, 3, 29, 1, 30),
        id="all-day-across-spring-forward",
    ),
    pytest.param(
        ALL_DAY,
        at(STOCKHOLM, 2026, 10, 25, 2, 30),
        HOUR,
        utc(2026, 10, 25, 1, 30),
        id="all-day-across-fall-back",
    ),
    pytest.param(
        ALL_DAY,
        at(STOCKHOLM, 2026, 3, 28, 23, 30),
        HOUR,
        at(STOCKHOLM, 2026, 3, 29, 0, 31),
        id="all-day-closed-a-minute-at-midnight",
    ),
    pytest.param(
        NIGHT_SUNDAY,
        at(STOCKHOLM, 2026, 3, 29, 0, 0),
        HOUR,
        utc(2026, 3, 29, 2, 0),
        id="opening-in-skipped-hour-opens-at-the-jump",
    ),
    pytest.param(
        FRI_MON,
        at(STOCKHOLM, 2026, 3, 23, 17, 30),
        HOUR,
        at(STOCKHOLM, 2026, 3, 27, 9, 30),
        id="fri-mon-monday-evening-to-friday",
    ),
    pytest.param(
        FRI_MON,
        at(STOCKHOLM, 2026, 3, 20, 17, 30),
        2 * HOUR,
        at(STOCKHOLM, 2026, 3, 21, 10, 30),
        id="fri-mon-open-on-saturday",
    ),
    pytest.param(
        OFFICE,
        utc(2026, 3, 20, 15, 30),
        HOUR,
        utc(2026, 3, 23, 7, 30),
        id="start-given-in-utc",
    ),
    pytest.param(
        OFFICE,
        at(NEW_YORK, 2026, 3, 20, 11, 30),
        HOUR,
        at(STOCKHOLM, 2026, 3, 23, 8, 30),
        id="start-given-in-new-york",
    ),
    pytest.param(
        None,
        at(STOCKHOLM, 2026, 3, 29, 1, 30),
        HOUR,
        utc(2026, 3, 29, 1, 30),
        id="24-7-real-hour-across-spring-forward",
    ),
    pytest.param(
        None,
        at(STOCKHOLM, 2026, 3, 21, 12, 0),
        2 * DAY,
        at(STOCKHOLM, 2026, 3, 23, 12, 0),
        id="24-7-ignores-weekends",
    ),
]


@pytest.mark.parametrize(("hours", "start", "duration", "expected"), ADD_CASES)
def test_add_business_time(
    hours: Hours | None, start: datetime, duration: timedelta, expected: datetime
) -> None:
    due = add_business_time(start, duration, hours, STOCKHOLM)
    assert due == expected
    assert due.tzinfo is UTC
    assert business_time_between(start, due, hours, STOCKHOLM) == duration


def test_local_time_shows_the_wall_clock_after_fall_back() -> None:
    due = add_business_time(at(STOCKHOLM, 2026, 10, 25, 2, 30), HOUR, ALL_DAY, STOCKHOLM)
    local = local_time(due, STOCKHOLM)
    assert (local.hour, local.minute, local.fold) == (2, 30, 1)
    assert local.utcoffset() == HOUR


@pytest.mark.parametrize(
    ("hours", "day", "expected"),
    [
        pytest.param(ALL_DAY, date(2026, 3, 29), 23 * HOUR - MIN, id="all-day-spring-forward"),
        pytest.param(ALL_DAY, date(2026, 10, 25), 25 * HOUR - MIN, id="all-day-fall-back"),
        pytest.param(ALL_DAY, date(2026, 3, 28), 24 * HOUR - MIN, id="all-day-ordinary"),
        pytest.param(EVERY_DAY, date(2026, 3, 29), 9 * HOUR, id="office-spring-forward"),
        pytest.param(EVERY_DAY, date(2026, 10, 25), 9 * HOUR, id="office-fall-back"),
        pytest.param(OFFICE, date(2026, 3, 29), timedelta(0), id="office-closed-sunday"),
        # 03:00–10:00 CEST after the jump: 02:00–03:00 never shows on the clock.
        pytest.param(NIGHT_SUNDAY, date(2026, 3, 29), 7 * HOUR, id="night-spring-forward"),
        # 02:30–03:00 CEST, then the repeated 02:00–02:30 is before opening, then 02:30–10:00.
        pytest.param(NIGHT_SUNDAY, date(2026, 10, 25), 8 * HOUR, id="night-fall-back"),
    ],
)
def test_business_time_of_a_whole_local_day(hours: Hours, day: date, expected: timedelta) -> None:
    midnight = datetime.combine(day, time(), tzinfo=STOCKHOLM)
    next_midnight = datetime.combine(day + DAY, time(), tzinfo=STOCKHOLM)
    assert business_time_between(midnight, next_midnight, hours, STOCKHOLM) == expected


def test_business_time_between_is_zero_backwards_and_real_time_for_24_7() -> None:
    a, b = at(STOCKHOLM, 2026, 3, 23, 9), at(STOCKHOLM, 2026, 3, 23, 10)
    assert business_time_between(b, a, OFFICE, STOCKHOLM) == timedelta(0)
    assert business_time_between(a, a, OFFICE, STOCKHOLM) == timedelta(0)
    spring = at(STOCKHOLM, 2026, 3, 29, 0), at(STOCKHOLM, 2026, 3, 30, 0)
    assert business_time_between(*spring, None, STOCKHOLM) == 23 * HOUR


def test_a_week_of_office_hours_in_each_zone() -> None:
    for tz in ZONES:
        monday = at(tz, 2026, 3, 23, 0)
        assert business_time_between(monday, monday + 7 * DAY, OFFICE, tz) == 45 * HOUR


@pytest.mark.parametrize(
    ("hours", "moment", "expected"),
    [
        pytest.param(
            OFFICE, at(STOCKHOLM, 2026, 3, 23, 9), at(STOCKHOLM, 2026, 3, 23, 9), id="open"
        ),
        pytest.param(
            OFFICE, at(STOCKHOLM, 2026, 3, 23, 8), at(STOCKHOLM, 2026, 3, 23, 8), id="at-opening"
        ),
        pytest.param(
            OFFICE, at(STOCKHOLM, 2026, 3, 23, 17), at(STOCKHOLM, 2026, 3, 24, 8), id="at-closing"
        ),
        pytest.param(
            OFFICE, at(STOCKHOLM, 2026, 3, 27, 18), at(STOCKHOLM, 2026, 3, 30, 8), id="weekend-dst"
        ),
        pytest.param(
            FRI_MON, at(STOCKHOLM, 2026, 3, 24, 9), at(STOCKHOLM, 2026, 3, 27, 9), id="fri-mon"
        ),
        pytest.param(
            WEEKEND, at(STOCKHOLM, 2026, 3, 23, 9), at(STOCKHOLM, 2026, 3, 28, 10), id="weekend"
        ),
        pytest.param(
            NIGHT_SUNDAY, at(STOCKHOLM, 2026, 3, 29, 0), utc(2026, 3, 29, 1), id="skipped-hour"
        ),
        pytest.param(None, at(STOCKHOLM, 2026, 3, 28, 3), at(STOCKHOLM, 2026, 3, 28, 3), id="24-7"),
    ],
)
def test_next_opening(hours: Hours | None, moment: datetime, expected: datetime) -> None:
    opening = next_opening(moment, hours, STOCKHOLM)
    assert opening == expected
    assert opening.tzinfo is UTC


def test_naive_datetimes_and_bad_arguments_are_rejected() -> None:
    naive = datetime(2026, 3, 23, 9)
    aware = at(STOCKHOLM, 2026, 3, 23, 9)
    with pytest.raises(ValueError, match="naive"):
        add_business_time(naive, HOUR, OFFICE, STOCKHOLM)
    with pytest.raises(ValueError, match="naive"):
        business_time_between(aware, naive, OFFICE, STOCKHOLM)
    with pytest.raises(ValueError, match="naive"):
        next_opening(naive, None, STOCKHOLM)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(aware, -MIN, OFFICE, STOCKHOLM)


def test_long_durations_are_fast_and_unreachable_ones_fail() -> None:
    start = at(STOCKHOLM, 2026, 1, 1, 0)
    due = add_business_time(start, 365 * DAY, OFFICE, STOCKHOLM)
    assert business_time_between(start, due, OFFICE, STOCKHOLM) == 365 * DAY
    # Mon–Fri 45 h a week: 365 days of business time take 194.7 weeks, about 1363 days.
    assert timedelta(days=1360) < due - start < timedelta(days=1366)
    tiny = Hours(days="wed", start=time(12, 0), end=time(12, 1))
    with pytest.raises(ValueError, match="not reached"):
        add_business_time(start, 365 * DAY, tiny, STOCKHOLM)
    assert add_business_time(start, HORIZON * 2, None, STOCKHOLM) == start + HORIZON * 2


def _open_minutes(hours: Hours, tz: ZoneInfo, begin: datetime, end: datetime) -> timedelta:
    """The oracle: step minute by minute and ask `Hours.is_open` (all edges are whole minutes)."""
    moment, total = begin, timedelta(0)
    while moment < end:
        if hours.is_open(moment.astimezone(tz)):
            total += MIN
        moment += MIN
    return total


DST_DAYS = {
    STOCKHOLM: (date(2026, 3, 29), date(2026, 10, 25)),
    BERLIN: (date(2026, 3, 29), date(2026, 10, 25)),
    NEW_YORK: (date(2026, 3, 8), date(2026, 11, 1)),
    KOLKATA: (date(2026, 3, 29),),
}


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_matches_is_open_minute_by_minute_around_dst(tz: ZoneInfo) -> None:
    for day in DST_DAYS[tz]:
        begin = datetime.combine(day - DAY, time(), tzinfo=tz).astimezone(UTC)
        end = begin + 3 * DAY
        for hours in (ALL_DAY, EVERY_DAY, FRI_MON, NIGHT_SUNDAY):
            assert business_time_between(begin, end, hours, tz) == _open_minutes(
                hours, tz, begin, end
            ), (tz, day, hours)


FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None)

starts = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59),
    timezones=st.sampled_from((UTC, *ZONES)),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))
configs = st.sampled_from(CONFIGS)
zones = st.sampled_from(ZONES)


@FUZZ
@given(start=starts, duration=durations, hours=configs, tz=zones)
def test_adding_then_measuring_gives_the_duration_back(
    start: datetime, duration: timedelta, hours: Hours | None, tz: ZoneInfo
) -> None:
    due = add_business_time(start, duration, hours, tz)
    assert due >= start
    assert business_time_between(start, due, hours, tz) == duration
    if hours is not None and duration:
        # A deadline falls inside open hours (or exactly at a closing).
        assert hours.is_open((due - timedelta(microseconds=1)).astimezone(tz))


@FUZZ
@given(start=starts, first=durations, second=durations.filter(bool), hours=configs, tz=zones)
def test_business_time_adds_up(
    start: datetime, first: timedelta, second: timedelta, hours: Hours | None, tz: ZoneInfo
) -> None:
    # (A zero `second` is left out: from a deadline at closing time it means the next opening.)
    middle = add_business_time(start, first, hours, tz)
    later = add_business_time(middle, second, hours, tz)
    assert later == add_business_time(start, first + second, hours, tz)


@FUZZ
@given(moment=starts, hours=configs, tz=zones)
def test_next_opening_is_open_and_nothing_opens_before_it(
    moment: datetime, hours: Hours | None, tz: ZoneInfo
) -> None:
    opening = next_opening(moment, hours, tz)
    assert opening >= moment
    assert business_time_between(moment, opening, hours, tz) == timedelta(0)
    if hours is not None:
        assert hours.is_open(opening.astimezone(tz))
