"""The console's Home (issue 12): `home` (or `my`) prints the person's Home as text, with the
line commands that act on each case, and follows the workflow as it changes."""

from __future__ import annotations

import io

from rich.console import Console

from chatops.console import home
from chatops.console.repl import Repl
from tests.conftest import System
from tests.fakes import mention_json


def repl(system: System, user: str, out: io.StringIO) -> Repl:
    return Repl(
        system.wf,
        system.rt.store.audit,
        Console(file=out, width=200),
        user,
        clock=system.clock,
        homes=lambda person: home.build(system.rt, person),
    )


async def test_home_lists_mine_unclaimed_and_approvals_with_their_commands(
    system: System,
) -> None:
    await system.ingest(
        mention_json("m-1", "post-1", "Var är min faktura?"),
        mention_json("m-2", "post-2", "Hej, när öppnar ni?", author="u-2", name="Bo Ek"),
        mention_json("m-3", "post-3", "I will tell a journalist", author="u-3", name="Cy Dahl"),
    )
    out = io.StringIO()
    anna = repl(system, "anna", out)
    for line in ("claim 1001", "draft 1001 Hej! Fakturan är skickad.", "claim 1003"):
        assert await anna.execute(line)
    assert await anna.execute("draft 1003 We are sorry, we call you today.")
    assert await anna.execute("publish 1003")  # sensitive: asks comms
    out.truncate(0)
    assert await anna.execute("home")
    text = out.getvalue()
    assert "Your cases (2)" in text and "approval" not in text.split("Your cases")[0]
    assert "#1001 · Billing · waiting 1 h 00 min · due" in text
    assert "Anna Berg (@anna): Var är min faktura?" in text
    assert "draft 1001 TEXT · publish 1001" in text
    assert "Unclaimed in Social team, Billing" in text and "claim 1002" in text
    assert "Today: 3 new · 0 answered · 3 open now · 0 overdue" in text

    out2 = io.StringIO()
    comms = repl(system, "comms", out2)
    assert await comms.execute("my")
    text = out2.getvalue()
    assert "Waiting for your approval (1)" in text
    assert "approve 1003 · reject 1003 REASON" in text
    assert "Your cases (0)" in text and "You own no open case." in text


async def test_home_without_a_builder_says_so(system: System) -> None:
    out = io.StringIO()
    bare = Repl(system.wf, system.rt.store.audit, Console(file=out), "anna")
    assert await bare.execute("home")
    assert "home is not available here" in out.getvalue()
