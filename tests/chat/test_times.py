"""Times in each reader's own time zone: Slack date tokens, Teams cards' DATE/TIME, and the
department's zone wherever the reader's zone is unknown (the console, fallbacks, Teams text
messages, notification lines)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from chatops.chat import CaseEvent, CaseView, Department, EventKind, rich
from chatops.chat.present import status_line
from chatops.console.render import case_panel, event_line
from chatops.domain import NotPublished, State
from chatops.slack.blocks import SECTION_LIMIT, case_blocks, clip_mrkdwn, event_text, mrkdwn
from chatops.teams.cards import case_card, event_message, ping_card
from chatops.teams.markup import fits
from tests.builders import NOW, make_case, mention
from tests.conftest import System
from tests.fakes.block_kit import message_violations

STOCKHOLM = Department("billing", "Billing", "C0BILLING", "Europe/Stockholm")
DUE = NOW + timedelta(minutes=90)  # 10:30 UTC, 11:30 in Stockholm
SNOOZED = NOW + timedelta(hours=2)  # 11:00 UTC, 12:00 in Stockholm
DUE_STAMP, SNOOZED_STAMP = int(DUE.timestamp()), int(SNOOZED.timestamp())


def view(**kw: Any) -> CaseView:
    case = make_case(State.NEW, staff="U0ANNA0001", snoozed_until=SNOOZED, **kw)
    return CaseView(case, [mention()], STOCKHOLM, DUE)


def strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, string) for every string in a JSON document."""
    if isinstance(node, dict):
        return [hit for k, v in node.items() for hit in strings(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [hit for i, v in enumerate(node) for hit in strings(v, f"{path}[{i}]")]
    return [(path, node)] if isinstance(node, str) else []


def test_the_status_line_names_due_and_snoozed_until_as_moments_of_the_department() -> None:
    line = status_line(view(), NOW)
    assert rich.When(DUE, "Europe/Stockholm") in line
    assert rich.When(SNOOZED, "Europe/Stockholm") in line
    assert rich.plain(line).endswith(
        "first answer due 2026-11-23 11:30 CET · 💤 reminders snoozed until 2026-11-23 12:00 CET"
    )
    assert "snoozed" not in rich.plain(status_line(view(), SNOOZED)), "a snooze that ended"


def test_slack_marks_moments_up_as_date_tokens_with_the_department_zone_as_fallback() -> None:
    blocks = case_blocks(view(), now=NOW)
    assert message_violations(blocks) == []
    found = [(where, text) for where, text in strings(blocks) if "<!date^" in text]
    assert len(found) == 1 and found[0][0].endswith(".text.text")
    section = next(b for b in blocks if b.get("text", {}).get("text") == found[0][1])
    assert section["text"]["type"] == "mrkdwn", "plain_text cannot carry date tokens"
    text = found[0][1]
    assert (
        f"first answer due <!date^{DUE_STAMP}^{{date_short_pretty}} at {{time}}"
        "|2026-11-23 11:30 CET>" in text
    )
    assert (
        f"reminders snoozed until <!date^{SNOOZED_STAMP}^{{date_short_pretty}} at {{time}}"
        "|2026-11-23 12:00 CET>" in text
    )
    snoozed = CaseEvent(EventKind.SNOOZED, "U0ANNA0001", until=SNOOZED)
    assert event_text(view(), snoozed).endswith(
        f"until <!date^{SNOOZED_STAMP}^{{date_short_pretty}} at {{time}}|2026-11-23 12:00 CET>"
    )


def test_slack_never_cuts_a_date_token_in_half() -> None:
    line = (rich.Text("x" * (SECTION_LIMIT - 30)), rich.When(DUE, "Europe/Stockholm"))
    text = clip_mrkdwn(mrkdwn(line), SECTION_LIMIT)
    assert len(text) <= SECTION_LIMIT and "<!date" not in text and text.endswith("…")
    whole = clip_mrkdwn(mrkdwn(line[1:]), SECTION_LIMIT)
    assert whole.startswith("<!date^") and whole.endswith("CET>")


def test_a_rate_limited_retry_names_its_moment() -> None:
    retry = CaseEvent(
        EventKind.PUBLISH_FAILED,
        "chatops",
        not_published=NotPublished.RATE_LIMITED,
        reason="HTTP 429",
        until=DUE,
    )
    assert f"at <!date^{DUE_STAMP}^{{date_short_pretty}} at {{time}}|2026-11-23 11:30 CET>" in (
        event_text(view(), retry)
    )


def test_teams_cards_use_date_functions_in_textblocks_and_text_messages_the_zone() -> None:
    card = case_card(view(), now=NOW)
    assert fits(card)
    stamp = "2026-11-23T10:30:00Z"
    found = [(where, text) for where, text in strings(card) if "{{DATE(" in text]
    assert found and all(where.endswith(".text") for where, _ in found)
    assert all(_textblock(card, text) for _, text in found), "DATE() works in TextBlock only"
    status = found[0][1]
    assert f"first answer due {{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}" in status
    assert "snoozed until {{DATE(2026-11-23T11:00:00Z, SHORT)}} {{TIME(2026-11-23T11:00:00Z)}}" in (
        status
    )
    snoozed = CaseEvent(EventKind.SNOOZED, "29:anna", until=SNOOZED)
    text, _ = event_message(view(), snoozed)
    assert text.endswith("snoozed the reminders until 2026-11-23 12:00 CET") and "{{" not in text
    escalated = CaseEvent(EventKind.APPROVAL_WAITING, "chatops", notify=("29:comms",))
    assert ping_card(view(), escalated) is not None


def _textblock(card: dict[str, Any], text: str) -> bool:
    dumped = json.dumps({"type": "TextBlock", "text": text, "wrap": True})[:-1]
    return dumped[1:] in json.dumps(card)


def test_the_console_shows_moments_in_the_department_zone() -> None:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(case_panel(view(), NOW))
    console.print(event_line(view(), CaseEvent(EventKind.SNOOZED, "anna", until=SNOOZED)))
    shown = console.export_text()
    assert "first answer due 2026-11-23 11:30 CET" in shown
    assert "reminders snoozed until 2026-11-23 12:00 CET" in shown
    assert "anna snoozed the reminders until 2026-11-23 12:00 CET" in shown


async def test_every_department_carries_its_zone(system: System) -> None:
    from chatops.console import departments

    config = system.rt.config
    for dept in config.departments:
        zone = config.department_tz(dept.id).key
        assert system.wf.department(dept.id).zone == zone
    assert {d.id: d.zone for d in departments(config)} == {
        d.id: config.department_tz(d.id).key for d in config.departments
    }
    assert system.wf.department("social").zone == "Europe/Stockholm"


async def test_the_console_history_is_in_the_department_zone(system: System) -> None:
    from chatops.console.repl import Repl
    from tests.fakes import mention_json

    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    out = io.StringIO()
    repl = Repl(system.wf, system.rt.store.audit, Console(file=out, width=200), "anna")
    await repl.execute("show 1001")
    local = system.clock().astimezone(ZoneInfo("Europe/Stockholm"))
    assert f"{local:%m-%d %H:%M:%S} CET" in out.getvalue()
