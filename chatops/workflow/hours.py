"""Business-time arithmetic: SLA clocks that only run while a department is open.

Open time is defined exactly as `Hours.is_open` sees it: an instant counts when its wall-clock
time in the department's zone falls on an open weekday between `start` and `end`. So hours
follow DST (08:00–17:00 is nine hours on both sides of a change), a day that loses or gains an
hour inside open hours is that much shorter or longer, and an opening that falls in a skipped
hour (02:30 on a spring-forward night) happens when the clock jumps past it.

The timeline is split into spans of constant UTC offset (found by bisection, a few per year);
inside a span wall time is UTC plus a fixed offset, so each day's window maps to one UTC
interval. Work is per day, never per minute. Everything takes the time as an argument and
returns aware UTC datetimes; naive datetimes are rejected, since they would silently mean
the server's local time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatops.config.models import Hours

HORIZON = timedelta(days=3660)
"""How far ahead a deadline or opening is looked for before giving up with ValueError.

Ten years of calendar time: a 365-day SLA at Mon–Fri 08:00–17:00 needs under four.
"""

_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_ZERO = timedelta(0)
_MIDNIGHT = time()

Interval = tuple[datetime, datetime]
_Window = tuple[frozenset[int], time, time]


def local_time(at: datetime, tz: ZoneInfo) -> datetime:
    """`at` as wall-clock time in `tz`, for messages like "due Monday 08:30"."""
    return _utc(at).astimezone(tz)


def next_opening(at: datetime, hours: Hours | None, tz: ZoneInfo) -> datetime:
    """`at` (in UTC) if the department is open then, else the instant it next opens."""
    start = _utc(at)
    if hours is None:
        return start
    for opening, _ in _open_intervals(hours, tz, start, start + HORIZON):
        return opening
    raise ValueError(f"no opening hours within {HORIZON.days} days of {start.isoformat()}")


def add_business_time(
    start: datetime, duration: timedelta, hours: Hours | None, tz: ZoneInfo
) -> datetime:
    """The UTC instant at which `duration` of open time has passed since `start`.

    A clock started outside hours begins at the next opening. A deadline that lands exactly on
    a closing time is that closing time (not the next morning), and a zero duration gives
    `next_opening(start)`, the limit of ever shorter durations.
    """
    if duration < _ZERO:
        raise ValueError(f"negative duration {duration}")
    begin = _utc(start)
    if hours is None:
        return begin + duration
    remaining = duration
    for opening, closing in _open_intervals(hours, tz, begin, begin + HORIZON):
        if remaining <= closing - opening:
            return opening + remaining
        remaining -= closing - opening
    raise ValueError(
        f"{duration} of business time is not reached within {HORIZON.days} days of "
        f"{begin.isoformat()}"
    )


def business_time_between(a: datetime, b: datetime, hours: Hours | None, tz: ZoneInfo) -> timedelta:
    """Open time elapsed from `a` to `b`: how long a case has waited in business time (≥ 0)."""
    begin, end = _utc(a), _utc(b)
    if end <= begin:
        return _ZERO
    if hours is None:
        return end - begin
    return sum(
        (closing - opening for opening, closing in _open_intervals(hours, tz, begin, end)),
        _ZERO,
    )


def _utc(at: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo add and subtract in wall time, which is wrong across a
    # DST change, so all arithmetic here happens in UTC.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: give a time zone")
    return at.astimezone(UTC)


def _offset(at: datetime, tz: ZoneInfo) -> timedelta:
    offset = at.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _constant_offset_spans(
    begin: datetime, end: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Split [begin, end) where the zone's UTC offset changes.

    Compares only the ends, so it assumes at most one net change per call; callers pass a
    day at a time, and no zone changes its offset twice within a day.
    """
    while begin < end:
        offset = _offset(begin, tz)
        if _offset(end - _TICK, tz) == offset:
            yield begin, end, offset
            return
        same, changed = begin, end - _TICK
        while changed - same > _TICK:
            middle = same + (changed - same) // 2
            if _offset(middle, tz) == offset:
                same = middle
            else:
                changed = middle
        yield begin, changed, offset
        begin = changed


def _span_intervals(
    window: _Window, begin: datetime, end: datetime, offset: timedelta
) -> Iterator[Interval]:
    """Open intervals of one constant-offset span: each day's window, shifted by the offset."""
    weekdays, start, stop = window
    wall_begin = (begin + offset).replace(tzinfo=None)
    wall_end = (end + offset).replace(tzinfo=None)
    day = wall_begin.date()
    while datetime.combine(day, _MIDNIGHT) < wall_end:
        if day.weekday() in weekdays:
            opens = max(datetime.combine(day, start), wall_begin)
            closes = min(datetime.combine(day, stop), wall_end)
            if opens < closes:
                yield (opens - offset).replace(tzinfo=UTC), (closes - offset).replace(tzinfo=UTC)
        day += _DAY


def _open_intervals(
    hours: Hours, tz: ZoneInfo, begin: datetime, end: datetime
) -> Iterator[Interval]:
    """Disjoint open intervals within [begin, end), in order, touching pieces merged."""
    # Read once: the model's attributes are slow to reach, and this runs per day.
    window = (hours.weekdays, hours.start, hours.end)
    if not window[0]:
        return
    pending: Interval | None = None
    cursor = begin
    while cursor < end:
        chunk_end = min(cursor + _DAY, end)
        for span in _constant_offset_spans(cursor, chunk_end, tz):
            for opening, closing in _span_intervals(window, *span):
                if pending is not None and opening <= pending[1]:
                    pending = (pending[0], max(pending[1], closing))
                    continue
                if pending is not None:
                    yield pending
                pending = (opening, closing)
        cursor = chunk_end
    if pending is not None:
        yield pending
