"""Weekly KPI report (DESIGN §6): response rate and first-response time, as lines and a chart.

The numbers are those of `chatops.stats`: the same cases count, the same first-response times.
Per-department and overall medians are recomputed from each case's first-response time, because
a median of per-platform medians is not the median of the department.

The chart is drawn on a bare `Figure` with the Agg canvas, never through pyplot: the scheduler
lives in a long-running server, where pyplot's global figures would leak and its GUI backends
have no business.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chatops.chat.present import Report
from chatops.chat.rich import Line, Strong, Text
from chatops.domain import AuditEntry, Case
from chatops.stats import Row, compute, expects_reply, first_response, fmt, median, percentile
from chatops.store import Store

TARGET = timedelta(hours=1)
"""Customers expect an answer within about one hour on social media (DESIGN §1)."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Fixed English abbreviations: `%b` would follow the server's locale."""

RATE_COLOR = "#4c72b0"
MEDIAN_COLOR = "#55a868"
P90_COLOR = "#dd8452"
TARGET_COLOR = "#c44e52"

_render_lock = threading.Lock()
"""Matplotlib is not thread-safe (shared rcParams and font caches): one chart at a time."""


@dataclass(frozen=True)
class DeptRow:
    """One department over all its platforms."""

    department: str
    cases: int  # cases that expected a reply
    answered: int
    median: timedelta | None
    p90: timedelta | None

    @property
    def rate(self) -> float | None:
        return self.answered / self.cases if self.cases else None


def summarise(label: str, cases: Iterable[Case], history: dict[str, list[AuditEntry]]) -> DeptRow:
    """Counts and first-response times of `cases`, with the rules of `chatops.stats`."""
    counted = [c for c in cases if expects_reply(c)]
    times = [t for c in counted if (t := first_response(c, history.get(c.id, []))) is not None]
    return DeptRow(
        department=label,
        cases=len(counted),
        answered=len(times),
        median=median(times),
        p90=percentile(times, 0.9),
    )


def by_department(cases: Sequence[Case], history: dict[str, list[AuditEntry]]) -> list[DeptRow]:
    """Pure: platforms combined per department, sorted by department."""
    groups: dict[str, list[Case]] = {}
    for c in cases:
        groups.setdefault(c.department, []).append(c)
    return [summarise(dept, members, history) for dept, members in sorted(groups.items())]


# -- chart ---------------------------------------------------------------------------------


def weekly_chart(departments: Sequence[DeptRow], *, title: str) -> bytes:
    """PNG: response rate (left) and median/p90 first response against the 1 h target (right).

    Departments run down a shared vertical axis, so long names stay readable and many of them
    only make the image taller. Same input, same bytes: no timestamp or version in the file.
    """
    with _render_lock, matplotlib.style.context("default"):
        return _render(sorted(departments, key=lambda d: d.department), title)


def _render(depts: list[DeptRow], title: str) -> bytes:
    n = len(depts)
    fig = Figure(figsize=(10, 1.6 + 0.55 * max(n, 1)), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=13, fontweight="bold")
    rate_ax, time_ax = fig.subplots(1, 2, sharey=True, width_ratios=(2, 3))
    ys = list(range(n))
    names = [d.department for d in depts]

    rates = [100 * d.rate if d.rate is not None else 0.0 for d in depts]
    bars = rate_ax.barh(ys, rates, height=0.6, color=RATE_COLOR)
    rate_ax.bar_label(bars, labels=[_rate_label(d) for d in depts], padding=3, fontsize=9)
    rate_ax.set_xlim(0, 130)  # room for the labels right of a full bar
    rate_ax.set_xticks([0, 25, 50, 75, 100])
    rate_ax.set_xlabel("Response rate (%)")
    rate_ax.set_yticks(ys, labels=names, fontsize=10)
    rate_ax.set_ylim(max(n, 1) - 0.5, -0.5)  # first department on top
    rate_ax.grid(axis="x", alpha=0.3)

    height = 0.38
    for offset, times, color, name in (
        (-height / 2, [d.median for d in depts], MEDIAN_COLOR, "median"),
        (height / 2, [d.p90 for d in depts], P90_COLOR, "p90"),
    ):
        bars = time_ax.barh(
            [y + offset for y in ys],
            [_minutes(t) for t in times],
            height=height,
            color=color,
            label=name,
        )
        time_ax.bar_label(
            bars, labels=["" if t is None else fmt(t) for t in times], padding=3, fontsize=8
        )
    for y, d in zip(ys, depts, strict=True):
        if d.cases and not d.answered:
            time_ax.annotate(
                "no replies",
                (0, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="0.4",
            )
    target = TARGET.total_seconds() / 60
    time_ax.axvline(target, color=TARGET_COLOR, linestyle="--", linewidth=1.2, label="1 h target")
    longest = max((_minutes(t) for d in depts for t in (d.median, d.p90)), default=0.0)
    time_ax.set_xlim(0, 1.25 * max(target, longest))
    time_ax.set_xlabel("First response (minutes)")
    time_ax.grid(axis="x", alpha=0.3)
    time_ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=3, fontsize=8, frameon=False)

    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100, metadata={"Software": None})
    return out.getvalue()


def _rate_label(d: DeptRow) -> str:
    if d.rate is None:
        return "no reply expected"
    return f"{d.rate:.0%} ({d.answered}/{d.cases})"


def _minutes(d: timedelta | None) -> float:
    return 0.0 if d is None else d.total_seconds() / 60


# -- text ----------------------------------------------------------------------------------


def weekly(rows: Sequence[Row], since: datetime, until: datetime, *, total: DeptRow) -> Report:
    """The week's totals, then each department and platform, as chat-neutral lines (no chart).

    `total` comes from `summarise` over the raw cases: the overall median and p90 cannot be
    derived from the rows. Names are literal `Text`: each chat escapes them its own way.
    """
    title = f"Weekly response report · {date_range(since, until)}"
    if not total.cases:
        return Report(title, ((Text("No cases this week."),),))
    figures = _figures(total.cases, total.answered, total.median, total.p90)
    lines: list[Line] = [(Strong("Total"), Text(f": {figures}"))]
    for r in sorted(rows, key=lambda r: (r.department, r.platform)):
        figures = _figures(r.cases, r.answered, r.median, r.p90) if r.cases else "no reply expected"
        lines.append((Text(f"• {r.department} · {r.platform}: {figures}"),))
    return Report(title, tuple(lines))


def _figures(cases: int, answered: int, median: timedelta | None, p90: timedelta | None) -> str:
    rate = f"{answered / cases:.0%}" if cases else "-"
    noun = "case" if cases == 1 else "cases"
    return f"{cases} {noun}, {answered} answered ({rate}), median {fmt(median)}, p90 {fmt(p90)}"


def date_range(since: datetime, until: datetime) -> str:
    """Short and unambiguous: 16–23 Nov 2026, 28 Oct–4 Nov 2026, 28 Dec 2026–4 Jan 2027.

    Dates are read in the datetimes' own time zone (UTC from `weekly_report`).
    """
    end = f"{until.day} {MONTHS[until.month - 1]} {until.year}"
    if (since.year, since.month) == (until.year, until.month):
        return f"{since.day}–{end}"
    if since.year == until.year:
        return f"{since.day} {MONTHS[since.month - 1]}–{end}"
    return f"{since.day} {MONTHS[since.month - 1]} {since.year}–{end}"


# -- the report ----------------------------------------------------------------------------


async def weekly_report(store: Store, *, now: datetime, days: int = 7) -> Report:
    """The report and its chart for the `days` before `now`; no chart when nobody was waiting.

    Only history up to `now` counts, so a report run late still shows what was true then. The
    chart renders in a thread: drawing takes a noticeable fraction of a second, and the event
    loop meanwhile serves webhooks.
    """
    since = now - timedelta(days=days)
    cases = [c for c in await store.cases.since(since) if c.created_at < now]
    logs = await store.audit.entries_of([c.id for c in cases])
    history = {cid: [e for e in entries if e.at <= now] for cid, entries in logs.items()}
    total = summarise("all", cases, history)
    report = weekly(compute(cases, history), since, now, total=total)
    if not total.cases:
        return report
    title = f"Response to customers, {date_range(since, now)}"
    png = await asyncio.to_thread(weekly_chart, by_department(cases, history), title=title)
    return replace(report, chart=png)
