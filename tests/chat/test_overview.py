"""The morning overview of every department, as data: the figures and what they say."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chatops.chat import overview, rich
from chatops.domain import AuditEntry, Case, State
from tests import builders

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm


def case(case_id: str, state: State = State.NEW, **kw: Any) -> Case:
    return builders.make_case(state, staff="anna", id=case_id, **kw)


def replied(at: datetime, action: str = "publish_ok") -> AuditEntry:
    return AuditEntry(
        at=at, actor="anna", action=action, before=State.PUBLISHING, after=State.PUBLISHED
    )


def test_yesterday_is_the_departments_calendar_day_across_dst() -> None:
    start, end = overview.yesterday(NOW, STOCKHOLM)
    assert (start, end) == (
        datetime(2026, 11, 22, tzinfo=STOCKHOLM),
        datetime(2026, 11, 23, tzinfo=STOCKHOLM),
    )
    start, end = overview.yesterday(datetime(2026, 3, 30, 7, 0, tzinfo=UTC), STOCKHOLM)
    assert end - start == timedelta(hours=23)  # clocks went forward on Sunday 29 March
    tokyo = overview.yesterday(datetime(2026, 11, 22, 20, 0, tzinfo=UTC), ZoneInfo("Asia/Tokyo"))
    assert tokyo[0] == datetime(2026, 11, 22, tzinfo=ZoneInfo("Asia/Tokyo"))  # Monday there


def test_figures_count_what_waits_and_what_was_answered_yesterday() -> None:
    day = overview.yesterday(NOW, STOCKHOLM)
    sunday = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    waiting = [
        case("1", State.NEW, owner=None),  # overdue
        case("2", State.CLAIMED),  # due later
        case("3", State.NEW, owner=None),  # no due time known
    ]
    due = {"1": NOW - timedelta(minutes=1), "2": NOW + timedelta(minutes=30), "3": None}
    recent = [
        case("10", State.PUBLISHED, created_at=sunday),  # first answer after 42 min
        case("11", State.CLOSED, created_at=sunday - timedelta(days=1)),  # first after 24 h
        case("12", State.PUBLISHED, created_at=sunday - timedelta(days=3)),  # answered again
        case("13", State.PUBLISHED, created_at=NOW - timedelta(hours=2)),  # answered today
        case(  # spam needs no reply: its reply counts as sent, not in the response time
            "14", State.DISMISSED, created_at=sunday, dismiss_reason="spam"
        ),
    ]
    history = {
        "10": [replied(sunday + timedelta(minutes=42))],
        "11": [replied(sunday, "confirm_sent")],
        "12": [replied(sunday - timedelta(days=3)), replied(sunday + timedelta(hours=2))],
        "13": [replied(NOW - timedelta(hours=1))],
        "14": [replied(sunday + timedelta(minutes=5))],
    }
    row = overview.figures("Billing", waiting, recent, history, due, day, NOW)
    assert (row.open, row.unclaimed, row.overdue, row.answered) == (3, 2, 1, 4)
    assert sorted(row.first_answers) == [timedelta(minutes=42), timedelta(hours=24)]
    assert row.median == timedelta(hours=12, minutes=21)


def test_the_total_median_is_taken_over_every_answer_not_over_medians() -> None:
    one = overview.Figures("A", 1, 1, 0, 1, timedelta(hours=1), (timedelta(hours=1),))
    hours = (timedelta(hours=2), timedelta(hours=3), timedelta(hours=10))
    three = overview.Figures("B", 2, 0, 2, 3, timedelta(hours=3), hours)
    total = overview.total([one, three])
    assert (total.open, total.unclaimed, total.overdue, total.answered) == (3, 1, 2, 4)
    assert total.median == timedelta(hours=2, minutes=30)  # the medians' median: 2 h


def test_the_overview_says_each_department_and_stresses_what_needs_someone() -> None:
    rows = [
        overview.Figures("Social team", 4, 2, 1, 5, timedelta(minutes=42), ()),
        overview.Figures("Billing", 0, 0, 0, 0, None, ()),
    ]
    report = overview.overview_report(rows)
    assert report.title == "Every department this morning" and report.chart is None
    said = [rich.plain(line) for line in report.lines]
    assert said[1] == (
        "Social team: 4 open · 2 unclaimed · ⏰ 1 overdue · "
        "5 answered yesterday, median first response 42 min"
    )
    assert said[2] == "Billing: 0 open · 0 unclaimed · 0 overdue · none answered yesterday"
    assert said[0].startswith("All departments: 4 open · 2 unclaimed · ⏰ 1 overdue")
    assert "yesterday, in each department's time zone" in said[-1]
    social = report.lines[1]
    assert rich.Strong("1 overdue") in social and rich.Strong("2 unclaimed") in social
    assert rich.Strong("0 overdue") not in report.lines[2]


# -- as each chat shows it ----------------------------------------------------------------------

ROWS = [
    overview.Figures("Social team", 4, 2, 1, 5, timedelta(minutes=42), ()),
    overview.Figures("R&D <!here> *x*", 1, 0, 0, 0, None, ()),
]


def test_the_overview_as_block_kit() -> None:
    from chatops.slack.blocks import report_blocks, report_text
    from tests.fakes.block_kit import message_violations

    report = overview.overview_report(ROWS)
    blocks = report_blocks(report)
    assert message_violations(blocks, report_text(report)) == []
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*Every department this morning*" in text
    assert "*Social team*: 4 open · *2 unclaimed* · :alarm_clock: *1 overdue* · " in text
    assert "R&amp;D &lt;!here&gt; *x*" in text and "<!here>" not in text


def test_the_overview_as_an_adaptive_card() -> None:
    from chatops.teams.cards import report_card
    from chatops.teams.markup import CARD_LIMIT, card_size

    card = report_card(overview.overview_report(ROWS), None)
    assert card_size(card) <= CARD_LIMIT and card["type"] == "AdaptiveCard"
    said = [block["text"] for block in card["body"]]
    assert said[0] == "Every department this morning"
    assert any(
        s.startswith("**Social team**: 4 open · **2 unclaimed** · ⏰ **1 overdue**") for s in said
    )
    assert not any(b.get("type") == "Image" for b in card["body"])


def test_the_overview_and_a_leads_digest_as_console_text() -> None:
    from rich.console import Console

    from chatops.chat import Department, DigestItem
    from chatops.console.backend import ConsoleBackend

    console = Console(record=True, width=160)
    backend = ConsoleBackend(console)
    asyncio.run(backend.post_overview(["comms", "C0LEADS"], overview.overview_report(ROWS)))
    item = DigestItem("1", "#1001", timedelta(hours=2), None, "new", "Anna: hej", overdue=True)
    department = Department("social", "Social team", "#social")
    asyncio.run(backend.post_personal_digest("lead", department, [item], NOW))
    printed = console.export_text()
    assert "[→ comms, C0LEADS] Every department this morning" in printed
    assert "Social team: 4 open · 2 unclaimed · ⏰ 1 overdue · 5 answered yesterday" in printed
    assert "[social → lead] 1 unanswered case in Social team · oldest waiting 2 h 00 min" in printed
    assert "#1001 · ⏰ overdue · waiting 2 h 00 min · unclaimed · new" in printed
    assert "claim 1001" not in printed  # a lead's copy lists, the channel's offers the commands
    assert asyncio.run(backend.people(["lead", "here", "lead", "deputy"])) == ["lead", "deputy"]
