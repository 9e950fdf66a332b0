"""The console's line commands against the real workflow: what Slack buttons do, typed."""

from __future__ import annotations

import io

from rich.console import Console

from chatops.chat import EventKind
from chatops.console import departments
from chatops.console.repl import Repl
from tests.conftest import System
from tests.fakes import mention_json


async def test_take_over_a_case_someone_else_claimed(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    out = io.StringIO()
    repl = Repl(
        system.wf, system.rt.store.audit, Console(file=out, width=200), "anna", clock=system.clock
    )
    for line in ("claim 1001", "as bob", "draft 1001 Hej! Bob här.", "take 1001", "take"):
        assert await repl.execute(line)
    text = out.getvalue()
    assert "draft #1001: claimed by anna: take it over first" in text
    assert "usage: take N" in text
    case = await system.case_of("post-1")
    assert case.owner == "bob" and case.draft != "Hej! Bob här."
    assert system.chat.kinds("1001")[-1] is EventKind.TAKEN_OVER
    assert await repl.execute("draft 1001 Hej! Bob här.")
    assert (await system.case_of("post-1")).draft == "Hej! Bob här."


async def test_the_weekly_report_prints_its_lines_as_written() -> None:
    from chatops.chat import Department
    from chatops.chat.present import Report
    from chatops.chat.rich import Strong, Text
    from chatops.console.backend import ConsoleBackend

    out = io.StringIO()
    backend = ConsoleBackend(Console(file=out, width=200))
    lines = ((Strong("Total"), Text(": 3 cases")), (Text("• [bold]R&D\x1b[2J · x: 1 case"),))
    await backend.post_report(Department("social", "Social", "#social"), Report("Weekly", lines))
    assert out.getvalue().splitlines() == [
        "[social] Weekly",
        "Total: 3 cases",
        "• [bold]R&D · x: 1 case",
    ]


async def test_the_card_lists_what_can_be_typed_and_commands_check_their_arguments(
    system: System,
) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    out = io.StringIO()
    repl = Repl(
        system.wf,
        system.rt.store.audit,
        Console(file=out, width=300),
        "anna",
        clock=system.clock,
        departments=departments(system.rt.config),
    )
    for line in ("show 1001", "snooze 1001", "reroute 1001 social extra", "answer 1001 9"):
        assert await repl.execute(line)
    text = out.getvalue()
    assert "claim 1001 · draft 1001 TEXT · publish 1001" in text
    assert "reroute 1001 billing|support-de" in text and "snooze 1001 30m|1h|2h|tomorrow" in text
    assert "usage: snooze N WHEN" in text and "usage: reroute N DEPT" in text
    assert "answer #1001: pick a comment from 1 to 1" in text
    assert await repl.execute("dismiss 1001 no_reply_needed")
    assert (await system.case_of("post-1")).dismiss_reason == "no_reply_needed"
