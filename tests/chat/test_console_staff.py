"""The console for staff (issue 12 item 4): `show N` numbers the comments as `answer N M`
takes them, `answer` re-greets the draft and its line names the commenter, `template N INTENT`
switches the draft."""

from __future__ import annotations

import io

from rich.console import Console

from chatops.chat import EventKind
from chatops.console import departments
from chatops.console.render import event_line
from chatops.console.repl import Repl
from tests.conftest import System
from tests.fakes import mention_json


def _repl(system: System, out: io.StringIO) -> Repl:
    return Repl(
        system.wf,
        system.rt.store.audit,
        Console(file=out, width=400),
        "anna",
        clock=system.clock,
        departments=departments(system.rt.config),
    )


def _last_line(system: System) -> str:
    view, event = system.chat.shown[-1]
    out = io.StringIO()
    Console(file=out, width=200).print(event_line(view, event))
    return out.getvalue()


async def test_show_numbers_the_comments_and_answer_uses_those_numbers(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await system.ingest(mention_json("m-2", "post-1", "Samma fråga!", author="u-2", name="Olle Ek"))
    out = io.StringIO()
    repl = _repl(system, out)
    assert await repl.execute("show 1001")
    shown = out.getvalue()
    assert "1. Anna Berg (@anna)" in shown and "2. • Olle Ek (@olle): Samma fråga!" in shown
    assert "answer 1001 M" in shown and "template 1001 greeting|thanks|apology" in shown
    assert "Olle" in (await system.case_of("post-1")).draft, "the newest is answered first"

    assert await repl.execute("answer 1001 1")
    case = await system.case_of("post-1")
    assert case.reply_to == "sandbox:m-1" and "Anna" in case.draft and "Olle" not in case.draft
    assert system.chat.shown[-1][1].kind is EventKind.REPLY_TARGET
    assert "anna: the draft now answers Anna Berg (@anna) (comment 1)" in _last_line(system)

    assert await repl.execute("template 1001 thanks")
    case = await system.case_of("post-1")
    assert case.intent == "thanks" and "Anna" in case.draft
    assert "Draft replaced with the template “Thanks” by anna" in _last_line(system)
    assert await repl.execute("template 1001 limerick")
    assert "template #1001: there is no template 'limerick'" in out.getvalue()
