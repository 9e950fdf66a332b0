"""Weekly KPI report: department arithmetic, the lines, the chart, and the whole from Redis."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta

import matplotlib
import pytest

from chatops.chat.present import Report
from chatops.chat.rich import Strong, Text, plain
from chatops.domain import AuditEntry, Case, State
from chatops.stats import Row
from chatops.store import Store
from escalation.report import (
    DeptRow,
    by_department,
    date_range,
    summarise,
    weekly,
    weekly_chart,
    weekly_report,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def case(
    case_id: str,
    department: str = "social",
    platform: str = "facebook",
    *,
    state: State = State.PUBLISHED,
    dismiss_reason: str | None = None,
    created: datetime = NOW - timedelta(days=1),
) -> Case:
    return Case(
        id=case_id,
        state=state,
        dismiss_reason=dismiss_reason,
        department=department,
        platform=platform,
        conversation_id=f"post-{case_id}",
        created_at=created,
        updated_at=created,
        opened_at=created,
    )


def answered_after(c: Case, minutes: float, action: str = "publish_ok") -> list[AuditEntry]:
    return [
        AuditEntry(
            at=c.created_at + timedelta(minutes=minutes),
            actor="anna",
            action=action,
            before=State.PUBLISHING,
            after=State.PUBLISHED,
        )
    ]


def spam(case_id: str, department: str = "social", platform: str = "x") -> Case:
    return case(case_id, department, platform, state=State.DISMISSED, dismiss_reason="spam")


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def history_of(cases: list[Case], minutes: dict[str, float]) -> dict[str, list[AuditEntry]]:
    return {c.id: answered_after(c, minutes[c.id]) for c in cases if c.id in minutes}


# -- by_department -------------------------------------------------------------------------

CASES_AND_EXPECTED = [
    pytest.param(
        [case("1", "social", "facebook"), case("2", "social", "x"), case("3", "social", "x")],
        {"1": 10, "2": 30, "3": 20},
        [DeptRow("social", 3, 3, m(20), m(30))],
        id="platforms-merged-median-from-cases-not-from-medians",
    ),
    pytest.param(
        [case("1", "social", "facebook"), case("2", "social", "x"), case("3", "social", "x")],
        {"1": 10, "3": 50},
        [DeptRow("social", 3, 2, m(30), m(50))],
        id="even-count-median-is-the-mean-of-the-middle-two",
    ),
    pytest.param(
        [spam("1"), case("2", "social", "x"), case("3", "billing", "x")],
        {"2": 5},
        [DeptRow("billing", 1, 0, None, None), DeptRow("social", 1, 1, m(5), m(5))],
        id="spam-not-counted-unanswered-counted-sorted-by-department",
    ),
    pytest.param(
        [case("1", "legal", "viber", state=State.DISMISSED, dismiss_reason="no_reply_needed")],
        {},
        [DeptRow("legal", 0, 0, None, None)],
        id="nobody-waiting",
    ),
    pytest.param(
        [case(str(i), "billing", ("x", "facebook")[i % 2]) for i in range(1, 11)],
        {str(i): i * 10 for i in range(1, 11)},
        [DeptRow("billing", 10, 10, m(55), m(90))],
        id="p90-is-nearest-rank",
    ),
    pytest.param([], {}, [], id="empty"),
]


@pytest.mark.parametrize(("cases", "minutes", "expected"), CASES_AND_EXPECTED)
def test_by_department(
    cases: list[Case], minutes: dict[str, float], expected: list[DeptRow]
) -> None:
    assert by_department(cases, history_of(cases, minutes)) == expected


def test_a_confirmed_unknown_publish_counts_as_the_first_response() -> None:
    c = case("1")
    history = {"1": answered_after(c, 7, action="confirm_sent")}
    assert summarise("all", [c], history) == DeptRow("all", 1, 1, m(7), m(7))


def test_rate() -> None:
    assert DeptRow("social", 4, 3, None, None).rate == 0.75
    assert DeptRow("social", 0, 0, None, None).rate is None


# -- text ----------------------------------------------------------------------------------


def test_weekly_lists_totals_then_departments_and_platforms() -> None:
    rows = [
        Row("social", "x", 2, 1, m(90), m(90)),
        Row("billing", "facebook", 1, 1, timedelta(seconds=42 * 60 + 5), m(43)),
        Row("social", "facebook", 0, 0, None, None),
        Row("bill<ing>&co", "instagram", 4, 0, None, None),
    ]
    total = DeptRow("all", 7, 2, m(66), m(90))
    report = weekly(rows, SINCE, NOW, total=total)
    assert report.title == "Weekly response report · 16–23 Nov 2026" and report.chart is None
    assert report.lines[0] == (
        Strong("Total"),
        Text(": 7 cases, 2 answered (29%), median 1h06m, p90 1h30m"),
    )
    assert [plain(line) for line in report.lines[1:]] == [
        "• bill<ing>&co · instagram: 4 cases, 0 answered (0%), median -, p90 -",
        "• billing · facebook: 1 case, 1 answered (100%), median 42m05s, p90 43m00s",
        "• social · facebook: no reply expected",
        "• social · x: 2 cases, 1 answered (50%), median 1h30m, p90 1h30m",
    ]
    assert all(isinstance(span, Text) for line in report.lines[1:] for span in line)


def test_weekly_without_cases() -> None:
    empty = DeptRow("all", 0, 0, None, None)
    expected = Report("Weekly response report · 16–23 Nov 2026", ((Text("No cases this week."),),))
    assert weekly([], SINCE, NOW, total=empty) == expected
    spam_only = [Row("social", "x", 0, 0, None, None)]
    assert weekly(spam_only, SINCE, NOW, total=empty) == expected


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (datetime(2026, 11, 16), datetime(2026, 11, 23), "16–23 Nov 2026"),
        (datetime(2026, 10, 28), datetime(2026, 11, 4), "28 Oct–4 Nov 2026"),
        (datetime(2026, 12, 28), datetime(2027, 1, 4), "28 Dec 2026–4 Jan 2027"),
    ],
)
def test_date_range(since: datetime, until: datetime, expected: str) -> None:
    assert date_range(since, until) == expected


# -- chart ---------------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def png_text_keys(png: bytes) -> set[bytes]:
    """Keywords of the tEXt chunks: where a timestamp or version would hide."""
    found, pos = set(), 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        body = png[pos + 8 : pos + 8 + length]
        assert (
            zlib.crc32(kind + body)
            == struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])[0]
        )
        if kind == b"tEXt":
            found.add(body.split(b"\0", 1)[0])
        pos += 12 + length
    return found


SOME = [
    DeptRow("billing", 12, 9, m(42), m(95)),
    DeptRow("social", 30, 29, m(12), m(48)),
    DeptRow("support-de", 0, 0, None, None),
    DeptRow("support-hr", 4, 4, m(180), m(660)),
]


def test_chart_is_a_sane_deterministic_png() -> None:
    settings = dict(matplotlib.rcParams)
    png = weekly_chart(SOME, title="Response to customers, 16–23 Nov 2026")
    width, height = png_size(png)
    assert (width, height) == (1000, 380)
    assert len(png) < 300_000
    assert b"Software" not in png_text_keys(png)
    assert weekly_chart(SOME, title="Response to customers, 16–23 Nov 2026") == png
    assert weekly_chart(list(reversed(SOME)), title="Response to customers, 16–23 Nov 2026") == png
    assert weekly_chart(SOME, title="Another title") != png
    assert dict(matplotlib.rcParams) == settings  # a server's other users see no change


@pytest.mark.parametrize(
    "departments",
    [
        pytest.param([DeptRow("social", 5, 0, None, None)], id="nothing-answered"),
        pytest.param([DeptRow("social", 1, 1, m(0), m(0))], id="answered-instantly"),
        pytest.param([DeptRow("legal", 0, 0, None, None)], id="nobody-waiting"),
        pytest.param(
            [DeptRow(f"department-{i:02d}", 10 + i, i, m(5 * i), m(9 * i)) for i in range(30)],
            id="thirty-departments",
        ),
    ],
)
def test_chart_edge_cases(departments: list[DeptRow]) -> None:
    png = weekly_chart(departments, title="Weekly")
    width, height = png_size(png)
    assert width == 1000 and height >= 200
    assert len(png) < 300_000


# -- the whole report, from Redis ----------------------------------------------------------


async def put(store: Store, c: Case, history: list[AuditEntry]) -> None:
    """A case as the workflow leaves it: numbered, saved, indexed, with its history."""
    case_id, _ = await store.cases.resolve_id(f"{c.platform}:acme:{c.conversation_id}")
    c = c.model_copy(update={"id": case_id})
    saved = await store.cases.save(c, expected_version=0)
    assert saved is not None
    await store.indexes.reindex(None, saved, None)
    for entry in history:
        await store.audit.append(case_id, entry)


async def test_weekly_report_from_the_store(store: Store) -> None:
    week = [
        case("a", "billing", "facebook"),
        case("b", "social", "x"),
        case("c", "social", "x", created=NOW - timedelta(hours=2)),
        spam("d"),
    ]
    await put(store, case("old", created=NOW - timedelta(days=8)), [])
    await put(store, week[0], answered_after(week[0], 42))
    await put(store, week[1], answered_after(week[1], 90))
    await put(store, week[2], answered_after(week[2], 150))  # after `now`: not yet answered
    await put(store, week[3], [])
    await put(store, case("later", created=NOW + timedelta(hours=1)), [])

    report = await weekly_report(store, now=NOW)

    assert report.title == "Weekly response report · 16–23 Nov 2026"
    assert [plain(line) for line in report.lines] == [
        "Total: 3 cases, 2 answered (67%), median 1h06m, p90 1h30m",
        "• billing · facebook: 1 case, 1 answered (100%), median 42m00s, p90 42m00s",
        "• social · x: 2 cases, 1 answered (50%), median 1h30m, p90 1h30m",
    ]
    assert report.chart is not None and report.chart.startswith(PNG_MAGIC)


async def test_weekly_report_without_cases(store: Store) -> None:
    assert await weekly_report(store, now=NOW) == Report(
        "Weekly response report · 16–23 Nov 2026", ((Text("No cases this week."),),)
    )
