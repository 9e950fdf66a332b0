"""The console's command line as a person types it: prompt_toolkit reading a (test) terminal.

The terminal is prompt_toolkit's pipe input and a VT100 output written to a string, so what a
person would see is the byte stream a terminal would get.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output
from rich.console import Console

from chatops.console.repl import Repl
from tests.conftest import System
from tests.fakes import mention_json
from tests.fakes.wait import until

DRAFT = 'Hej Anna! We\'re on it: see #faq, "Mina sidor"  (two spaces) & <b>no markup</b>'


class Terminal:
    """A terminal for one prompt_toolkit session: keys in, screen bytes out."""

    def __init__(self, keys: PipeInput) -> None:
        self.keys = keys
        self.screen = io.StringIO()
        self.output = Vt100_Output(self.screen, lambda: Size(rows=40, columns=200), term="xterm")

    def seen(self) -> str:
        return self.screen.getvalue()


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    with create_pipe_input() as keys:
        term = Terminal(keys)
        with create_app_session(input=keys, output=term.output):
            yield term


@pytest.fixture
async def case(system: System) -> AsyncIterator[None]:
    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    yield


def repl_for(system: System) -> Repl:
    """A Repl whose console prints to sys.stdout, as the demo's does: inside the prompt that
    is prompt_toolkit's proxy, which prints above the prompt."""
    return Repl(system.wf, system.rt.store.audit, Console(width=200), "agent", clock=system.clock)


def typed(repl: Repl) -> str | None:
    """The line being typed at the prompt."""
    return repl.session.default_buffer.text if repl.session is not None else None


def completions(repl: Repl) -> list[str] | None:
    """What the prompt offers to complete the line with."""
    state = repl.session.default_buffer.complete_state if repl.session is not None else None
    return [c.text for c in state.completions] if state is not None else None


def last_event(system: System) -> str | None:
    kinds = system.chat.kinds("1001")
    return str(kinds[-1]) if kinds else None


async def test_draft_text_is_taken_verbatim(system: System, case: None) -> None:
    out = io.StringIO()
    repl = Repl(system.wf, system.rt.store.audit, Console(file=out, width=200), "agent")
    for line in ("claim #1001", f"draft 1001   {DRAFT}  \n"):
        assert await repl.execute(line)
    assert (await system.case_of("post-1")).draft == DRAFT
    for line in ("draft 1001", "draft", "claim 1001 now", "as", "# a comment", "   "):
        assert await repl.execute(line)
    said = out.getvalue()
    assert said.count("usage: draft N TEXT") == 2 and "usage: claim N" in said
    assert "usage: as USER" in said and "unknown command" not in said
    assert (await system.case_of("post-1")).draft == DRAFT


async def test_piped_lines_run_to_the_end_of_input(system: System, case: None) -> None:
    out = io.StringIO()
    repl = Repl(system.wf, system.rt.store.audit, Console(file=out, width=200), "agent")
    await repl.run(io.StringIO(f"claim 1001\ndraft 1001 {DRAFT}\nquit\nunclaim 1001\n"))
    case = await system.case_of("post-1")
    assert case.owner == "agent" and case.draft == DRAFT


async def test_typed_at_the_prompt_with_output_above_it(
    system: System, case: None, terminal: Terminal
) -> None:
    """A line half typed when the backend prints stays whole: the print goes above the
    prompt, the prompt comes back with the half line, and the line runs as typed."""
    repl = repl_for(system)
    running = asyncio.create_task(repl.run_prompt())
    terminal.keys.send_text("claim 1001\r")
    await until(lambda: last_event(system) == "claimed", within=10)
    terminal.keys.send_text("draft 1001 We're #1")
    await until(lambda: "draft 1001 We're #1" in terminal.seen() or None, within=10)
    repl.console.print("#1002 [billing] New comment from Olle", markup=False)
    await until(lambda: "New comment from Olle" in terminal.seen() or None, within=10)
    terminal.keys.send_text(" for you\r")
    await until(lambda: last_event(system) == "drafted", within=10)
    terminal.keys.send_text("\x04")
    await asyncio.wait_for(running, 10)

    assert (await system.case_of("post-1")).draft == "We're #1 for you"
    seen = terminal.seen()
    printed = seen.index("#1002 [billing] New comment from Olle")
    assert "agent> draft 1001 We're #1" in seen[printed:], "the half line is drawn again"
    assert "We're #1#1002" not in seen and "#1#1002" not in seen.replace(" ", "")


@pytest.mark.parametrize(("key", "name"), [("\x03", "Ctrl-C"), ("\x04", "Ctrl-D")])
async def test_ctrl_c_and_ctrl_d_leave(
    system: System, terminal: Terminal, key: str, name: str
) -> None:
    repl = repl_for(system)
    running = asyncio.create_task(repl.run_prompt())
    terminal.keys.send_text("hel")
    await until(lambda: "hel" in terminal.seen() or None, within=10)
    if name == "Ctrl-D":
        terminal.keys.send_text("\x7f\x7f\x7f")  # Ctrl-D leaves from an empty line
    terminal.keys.send_text(key)
    await asyncio.wait_for(running, 10)


async def test_history_and_completion_at_the_prompt(
    system: System, case: None, terminal: Terminal
) -> None:
    repl = repl_for(system)
    running = asyncio.create_task(repl.run_prompt())
    terminal.keys.send_text("cla")
    await until(lambda: completions(repl) == ["claim"], within=10)
    terminal.keys.send_text("\t")
    await until(lambda: typed(repl) == "claim", within=10)
    terminal.keys.send_text(" 1001\r")
    await until(lambda: last_event(system) == "claimed", within=10)
    terminal.keys.send_text("unclaim 1001\r")
    await until(lambda: last_event(system) == "unclaimed", within=10)
    terminal.keys.send_text("\x1b[A")
    await until(lambda: typed(repl) == "unclaim 1001", within=10)
    terminal.keys.send_text("\x1b[A")
    await until(lambda: typed(repl) == "claim 1001", within=10)
    terminal.keys.send_text("\r")
    await until(lambda: last_event(system) == "claimed", within=10)
    terminal.keys.send_text("\x03")
    await asyncio.wait_for(running, 10)
    assert (await system.case_of("post-1")).owner == "agent"
