"""Response rate and first-response time per department and platform, from the audit log.

Dismissed spam and cases needing no reply do not count against the response rate: nobody
was waiting for an answer. First-response time runs from the customer's first mention to the first
reply that went out (published, or confirmed after an unknown outcome): what the customer
experienced, not when we happened to see the mention.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.table import Table

from chatops.domain import AuditEntry, Case, State
from chatops.store import Store

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


def compute(cases: list[Case], history: dict[str, list[AuditEntry]]) -> list[Row]:
    """Pure: group by (department, platform) and summarise."""
    groups: dict[tuple[str, str], list[Case]] = {}
    for c in cases:
        groups.setdefault((c.department, c.platform), []).append(c)
    rows = []
    for (dept, platform), members in sorted(groups.items()):
        counted = [c for c in members if expects_reply(c)]
        times = [t for c in counted if (t := first_response(c, history.get(c.id, []))) is not None]
        rows.append(
            Row(
                department=dept,
                platform=platform,
                cases=len(counted),
                answered=len(times),
                median=median(times),
                p90=percentile(times, 0.9),
            )
        )
    return rows


def median(values: list[timedelta]) -> timedelta | None:
    """The mean of the middle two for an even count; None for no values."""
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


async def load(store: Store, since: datetime) -> list[Row]:
    cases = await store.cases.since(since)
    return compute(cases, await store.audit.entries_of([c.id for c in cases]))


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
