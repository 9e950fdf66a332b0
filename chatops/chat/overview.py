"""The morning overview of every department, for the people who answer for all of them.

Per department: cases open (waiting for an answer), unclaimed, overdue (past their
first-response time), answered yesterday, and the median first response of yesterday's first
answers. "Yesterday" is the department's own calendar day. First-response times are those of
`chatops.stats` and the weekly report (the customer's first mention to our first reply that
went out, read from the audit log), so the three never disagree.

`figures` and `overview_report` are pure; `build` reads what they need from the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatops.chat.backend import Department
from chatops.chat.digest import AnswerDue
from chatops.chat.present import Report, age
from chatops.chat.rich import Emoji, Faint, Line, Strong, Text, aware, joined
from chatops.domain import AuditEntry, Case
from chatops.stats import FIRST_RESPONSE_ACTIONS, expects_reply, first_response, median
from chatops.store import Audit, Cases, Indexes
from chatops.workflow.policy import WAITING

LOOKBACK = timedelta(days=30)
"""How far back a case may have been opened to count as answered yesterday: reading every
case ever kept each morning would cost more than the rare answer after a month is worth."""

TITLE = "Every department this morning"


@dataclass(frozen=True)
class Figures:
    """One department (or all of them) this morning."""

    name: str
    open: int  # waiting for an answer
    unclaimed: int
    overdue: int  # past the first-response time
    answered: int  # cases a reply went out to yesterday
    median: timedelta | None  # median first response of the cases first answered yesterday
    first_answers: tuple[timedelta, ...] = ()  # what `median` is taken over


def yesterday(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The calendar day before `now` in `tz`, as [start, end) in UTC (23 or 25 hours across
    DST: datetimes sharing a zone subtract and compare by their wall clocks)."""
    today = aware(now).astimezone(tz).date()
    start = datetime.combine(today - timedelta(days=1), time(), tzinfo=tz)
    end = datetime.combine(today, time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def figures(
    name: str,
    waiting: Sequence[Case],
    recent: Sequence[Case],
    history: Mapping[str, list[AuditEntry]],
    due: Mapping[str, datetime | None],
    day: tuple[datetime, datetime],
    now: datetime,
) -> Figures:
    """A department's figures (pure): `waiting` its cases waiting for an answer, `recent` its
    cases that may have been answered in `day`, `due` when each waiting case's first answer is
    due."""
    start, end = day
    answered = 0
    first: list[timedelta] = []
    for case in recent:
        entries = history.get(case.id, [])
        if any(e.action in FIRST_RESPONSE_ACTIONS and start <= e.at < end for e in entries):
            answered += 1
        took = first_response(case, entries)
        if took is not None and expects_reply(case) and start <= case.created_at + took < end:
            first.append(took)
    return Figures(
        name=name,
        open=len(waiting),
        unclaimed=sum(1 for c in waiting if not c.owner),
        overdue=sum(1 for c in waiting if _past(due.get(c.id), now)),
        answered=answered,
        median=median(first),
        first_answers=tuple(first),
    )


def total(rows: Sequence[Figures]) -> Figures:
    """All departments together; the median is taken over every first answer, not over the
    departments' medians."""
    first = tuple(t for row in rows for t in row.first_answers)
    return Figures(
        name="All departments",
        open=sum(r.open for r in rows),
        unclaimed=sum(r.unclaimed for r in rows),
        overdue=sum(r.overdue for r in rows),
        answered=sum(r.answered for r in rows),
        median=median(list(first)),
        first_answers=first,
    )


def _past(when: datetime | None, now: datetime) -> bool:
    return when is not None and aware(when) < aware(now)


# -- what it says -------------------------------------------------------------------------------


def figures_line(row: Figures) -> Line:
    """ "Billing: 4 open · 2 unclaimed · ⏰ 1 overdue · 5 answered yesterday, median first
    response 42 min"; what needs someone now is emphasised."""
    unclaimed: Line = (Strong(f"{row.unclaimed} unclaimed"),) if row.unclaimed else ()
    overdue: Line = (
        (Emoji("alarm_clock"), Text(" "), Strong(f"{row.overdue} overdue")) if row.overdue else ()
    )
    if row.answered:
        answered = f"{row.answered} answered yesterday"
        if row.median is not None:
            answered += f", median first response {age(row.median)}"
    else:
        answered = "none answered yesterday"
    counts = joined(
        [
            (Text(f"{row.open} open"),),
            unclaimed or (Text("0 unclaimed"),),
            overdue or (Text("0 overdue"),),
            (Text(answered),),
        ]
    )
    return (Strong(row.name), Text(": "), *counts)


def overview_report(rows: Sequence[Figures]) -> Report:
    """The overview as a report: all departments first, then each, then what "yesterday"
    means."""
    lines = [figures_line(total(rows)), *(figures_line(row) for row in rows)]
    lines.append(
        (
            Faint(
                "Open: waiting for an answer. Answered and median first response: yesterday, "
                "in each department's time zone."
            ),
        )
    )
    return Report(TITLE, tuple(lines))


# -- reading it -------------------------------------------------------------------------------


async def build(
    cases: Cases,
    indexes: Indexes,
    audit: Audit,
    departments: Sequence[Department],
    zone: Callable[[str], ZoneInfo],
    now: datetime,
    answer_due: AnswerDue,
) -> list[Figures]:
    """Each department's figures, in the order given; `zone` is each department's time zone.

    The audit log is read only for cases with a reply after the earliest "yesterday" starts.
    """
    days = {d.id: yesterday(now, zone(d.id)) for d in departments}
    earliest = min((start for start, _ in days.values()), default=now)
    recent = [
        c
        for c in await cases.since(earliest - LOOKBACK)
        if any(datetime.fromisoformat(p["at"]) >= earliest for p in c.published)
    ]
    history = await audit.entries_of([c.id for c in recent])
    rows = []
    for department in departments:
        waiting = await cases.get_many(await indexes.case_ids(department.id, WAITING))
        waiting = [c for c in waiting if c.state in WAITING and c.department == department.id]
        rows.append(
            figures(
                department.name,
                waiting,
                [c for c in recent if c.department == department.id],
                history,
                {c.id: answer_due(c) for c in waiting},
                days[department.id],
                now,
            )
        )
    return rows
