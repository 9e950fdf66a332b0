"""Response rate and first-response time per department and platform, from the audit log,
and for cases retention deleted, from the anonymous daily figures kept of them (store/kpis.py).

Dismissed spam and cases needing no reply do not count against the response rate: nobody
was waiting for an answer. First-response time runs from the customer's first mention to the first
reply that went out (published, or confirmed after an unknown outcome): what the customer
experienced, not when we happened to see the mention.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.table import Table

from chatops.domain import AuditEntry, Case, State, utcnow
from chatops.store import Store
from chatops.store.kpis import Tally

NOT_EXPECTING_REPLY = frozenset({"spam", "no_reply_needed", "duplicate"})
FIRST_RESPONSE_ACTIONS = frozenset({"publish_ok", "confirm_sent"})


@dataclass(frozen=True)
class Row:
    department: str
    platform: str
    cases: int  # cases that expected a reply
    answered: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def rate(self) -> float | None:
        return self.answered / self.cases if self.cases else None


def first_response(case: Case, entries: list[AuditEntry]) -> timedelta | None:
    """From the customer's first mention to our first reply, read from the case's history."""
    replied = next((e.at for e in entries if e.action in FIRST_RESPONSE_ACTIONS), None)
    return None if replied is None else replied - case.created_at


def expects_reply(case: Case) -> bool:
    return not (case.state is State.DISMISSED and case.dismiss_reason in NOT_EXPECTING_REPLY)


def percentile(values: list[timedelta], q: float) -> timedelta | None:
    """Nearest-rank percentile: the value a reader can find in the data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(q * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def compute(
    cases: list[Case],
    history: dict[str, list[AuditEntry]],
    kept: Mapping[tuple[str, str], Tally] | None = None,
) -> list[Row]:
    """Pure: group by (department, platform) and summarise; `kept`: the figures of deleted
    cases, counted with them."""
    groups: dict[tuple[str, str], Tally] = {
        group: Tally(t.cases, list(t.times)) for group, t in (kept or {}).items()
    }
    for c in cases:
        tally = groups.setdefault((c.department, c.platform), Tally())
        if expects_reply(c):
            tally.cases += 1
            if (t := first_response(c, history.get(c.id, []))) is not None:
                tally.times.append(t)
    return [
        Row(
            department=dept,
            platform=platform,
            cases=tally.cases,
            answered=tally.answered,
            median=median(tally.times),
            p90=percentile(tally.times, 0.9),
        )
        for (dept, platform), tally in sorted(groups.items())
    ]


def median(values: list[timedelta]) -> timedelta | None:
    """The mean of the middle two for an even count; None for no values."""
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


async def load(store: Store, since: datetime, now: datetime | None = None) -> list[Row]:
    """Cases opened since `since`, and the kept figures of deleted ones opened on its day or
    after (whole days: the figures are daily)."""
    cases = await store.cases.since(since)
    kept = await store.kpis.since(since.date(), (now or utcnow()).date())
    return compute(cases, await store.audit.entries_of([c.id for c in cases]), kept)


def fmt(d: timedelta | None) -> str:
    if d is None:
        return "-"
    minutes, seconds = divmod(int(d.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def table(rows: list[Row], since: datetime) -> Table:
    t = Table(title=f"Responses since {since:%Y-%m-%d %H:%M} UTC")
    for col in ("department", "platform", "cases", "answered", "rate", "median", "p90"):
        t.add_column(col, justify="left" if col in ("department", "platform") else "right")
    for r in rows:
        rate = "-" if r.rate is None else f"{r.rate:.0%}"
        t.add_row(
            r.department, r.platform, str(r.cases), str(r.answered), rate, fmt(r.median), fmt(r.p90)
        )
    return t
