"""Line commands for the console backend: what Slack buttons do, typed.

At a terminal the line is read by prompt_toolkit: editing, history (this session's, in memory:
typed drafts may hold a customer's details and are not written to disk), completion of command
names, and what the backend prints appears above the prompt without breaking the line being
typed; Ctrl-C and Ctrl-D leave. Piped input is read a line at a time and ends at its end. The
text of `draft`, `reject` and `dismiss` is taken as typed: no shell-word splitting, so
apostrophes, quotes and `#` stay. A bad line gets one line of explanation; a refused command
says why; nothing raises to the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout
from rich.console import Console

from chatops.chat import Department
from chatops.chat.actions import Action
from chatops.chat.commands import case_of, run_action
from chatops.chat.home import HomeView
from chatops.chat.present import case_card
from chatops.chat.storm import STATEMENT_SET, StormRef, apart, listing_line
from chatops.console.render import (
    ROOM,
    VERBS,
    Verb,
    case_panel,
    cases_table,
    history_table,
    rich_line,
    safe,
    similar_lines,
)
from chatops.console.storm import StormPrinter
from chatops.domain import utcnow
from chatops.store import Audit
from chatops.workflow.service import Workflow

if TYPE_CHECKING:
    from chatops.publishall import PublishAll
from chatops.workflow.transitions import Refused

HELP = """\
commands (N is a case number, with or without #):
  list                 open cases
  storm                open storms (many people writing the same thing)
  storm ID             a storm's summary as it is now (ID as storm lists it: social:3)
  storm ID >> TEXT     the storm's holding statement
  storm ID publish     approver: send it, personalised, to every member still unanswered
  home (or my)         your cases, approvals, unclaimed cases and today's figures
  show N               a case, its comments numbered, with its thread history
  as USER              act as USER from now on (the demo's approver is 'comms')
  claim N / unclaim N  take a case / give it back
  take N               take over a case someone else claimed (they are told)
  draft N TEXT         replace the draft with TEXT, exactly as typed
  publish N            publish the draft (asks for approval when the case is sensitive)
  private N            answer by private message instead of publicly
  approve N            approver: approve and publish
  amend N TEXT         approver: make TEXT the draft, approve and publish it
  reject N REASON      approver: send the draft back
  reroute N DEPT       move the case to another department
  answer N M           the draft answers comment M of the case (1 = first; default: newest)
  template N INTENT    the draft becomes that reply template (the card lists them)
  similar N            answered cases like this one, numbered, with their answers
  use N K              the draft becomes answer K of 'similar N', greeting this customer
  snooze N WHEN        no reminders for a while: 30m, 1h, 2h or tomorrow
  dismiss N REASON     close without a reply: spam, no_reply_needed or duplicate
  sent N / notsent N   after an unconfirmed publish: it is / is not on the platform
  help                 this text
  quit                 leave (Ctrl-D, Ctrl-C or the end of piped input do the same)"""

QUIT = frozenset({"quit", "exit"})

Command = Callable[[str], Awaitable[None]]
"""A line command, given the rest of its line as typed (outer whitespace removed)."""


class FirstWord(Completer):
    """Completes the command name only: draft text is the user's own."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self.names = names

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        typed = document.text_before_cursor
        if typed != typed.lstrip() or " " in typed:
            return
        for name in sorted(self.names()):
            if name.startswith(typed.lower()):
                yield Completion(name, start_position=-len(typed))


class Repl:
    def __init__(
        self,
        workflow: Workflow,
        audit: Audit,
        console: Console,
        user: str = "agent",
        *,
        clock: Callable[[], datetime] = utcnow,
        departments: Sequence[Department] = (),
        homes: Callable[[str], Awaitable[HomeView]] | None = None,
        storms: StormPrinter | None = None,
        publish_all: PublishAll | None = None,
    ) -> None:
        """`departments`: where a case may be moved (its card lists them); `homes` builds a
        person's Home (console/home.py); `storms` prints storms (the backend's printer);
        `publish_all` takes storms' holding statements and publishes them."""
        self.wf = workflow
        self.audit = audit
        self.console = console
        self.user = user
        self.clock = clock
        self.departments = tuple(departments)
        self.homes = homes
        self.storms = storms
        self.publish_all = publish_all
        self.verbs = {verb.name: (action, verb) for action, verb in VERBS.items()}
        self.session: PromptSession[str] | None = None
        """The line editor while `run_prompt` reads."""
        self.commands: dict[str, Command] = {
            "help": self._help,
            "list": lambda _rest: self.list(),
            "home": lambda _rest: self.home(),
            "my": lambda _rest: self.home(),
            "as": self._as,
            "storm": self._storm,
            "show": partial(self._case_command, "show"),
            "similar": self._similar,
            **{name: partial(self._case_command, name) for name in self.verbs},
        }

    async def run(self, stream: TextIO = sys.stdin) -> None:
        """Read commands until the user leaves: edited at a terminal, else line by line."""
        if stream is sys.stdin and stream.isatty() and sys.stdout.isatty():
            await self.run_prompt()
        else:
            await self.run_lines(stream)

    async def run_prompt(self) -> None:
        """prompt_toolkit's line editor, in the current app session (the terminal, or a test's
        pipe); output printed meanwhile goes above the prompt."""
        session: PromptSession[str] = PromptSession(
            history=InMemoryHistory(), completer=FirstWord(lambda: [*self.commands, *QUIT])
        )
        self.session = session
        self.console.print("type [bold]help[/bold] for commands; Ctrl-D or Ctrl-C to leave")
        with patch_stdout(raw=True):
            while True:
                try:
                    line = await session.prompt_async(lambda: f"{self.user}> ")
                except (EOFError, KeyboardInterrupt):
                    return
                if not await self.execute(line):
                    return

    async def run_lines(self, stream: TextIO) -> None:
        """Piped (or plain) input: a line at a time until its end."""
        prompt = stream.isatty()
        if prompt:
            self.console.print("type [bold]help[/bold] for commands; Ctrl-D to leave")
            self.console.print(safe(f"{self.user}> ", "dim"), end="")
        async for line in _lines(stream):
            if not await self.execute(line):
                return
            if prompt:
                self.console.print(safe(f"{self.user}> ", "dim"), end="")

    async def execute(self, line: str) -> bool:
        """Run one line; False means the user asked to leave."""
        words = line.strip().split(maxsplit=1)
        if not words or words[0].startswith("#"):
            return True
        name, rest = words[0].lower(), words[1] if len(words) > 1 else ""
        if name in QUIT:
            return False
        command = self.commands.get(name)
        if command is None:
            self._say(f"unknown command '{name}': type help for the list")
        else:
            await command(rest)
        return True

    async def _help(self, _rest: str) -> None:
        self.console.print(HELP, highlight=False, markup=False)

    async def _as(self, rest: str) -> None:
        words = rest.split()
        if len(words) != 1:
            self._say("usage: as USER")
            return
        self.user = words[0]
        self.console.print(safe(f"you are now {self.user}"))

    async def _storm(self, rest: str) -> None:
        words = rest.split()
        head = rest.split(maxsplit=1)
        if self.storms is None:
            self._say("storms are not shown here: use list")
        elif len(head) > 1 and (head[1].startswith(">>") or head[1] == "publish"):
            await self._answer_storm(head[0], head[1])
        elif len(words) > 1:
            self._say("usage: storm [ID]  ·  storm ID >> TEXT  ·  storm ID publish")
        elif words:
            await self.storms.show(words[0])
        else:
            await self.storms.list_open()

    async def _answer_storm(self, storm_id: str, what: str) -> None:
        """`storm ID >> TEXT` sets the storm's holding statement; `storm ID publish` (an
        approver who did not write it) publishes it to every member still unanswered."""
        ref = StormRef.parse(storm_id)
        if self.publish_all is None or ref is None:
            self._say(f"storm {storm_id}: no storm to answer here")
            return
        try:
            if what == "publish":
                await self.publish_all.start(ref, self.user)
                self.console.print(safe(f"storm {storm_id}: publishing to all"))
            else:
                await self.publish_all.say(ref, self.user, what.removeprefix(">>"))
                self.console.print(safe(STATEMENT_SET))
        except Refused as exc:
            self._say(f"storm {storm_id}: {exc.reason}")

    async def _case_command(self, name: str, rest: str) -> None:
        """A line command (`VERBS`, or `show`): N, then its argument; free text is the rest
        of the line exactly as typed."""
        action, verb = self.verbs.get(name, (None, Verb(name)))
        head = rest.split(maxsplit=1)
        arg = head[1] if len(head) > 1 else ""
        words = len(arg.split())
        if not head or bool(arg) != bool(verb.arg) or (words > 1 and not verb.free):
            self._say(f"usage: {name} N {verb.arg}".rstrip())
            return
        case_id = head[0].lstrip("#")
        try:
            if action is None:
                await self.show(case_id)
            elif action is Action.REPLY_TO:
                await self.answer(case_id, arg)
            elif action is Action.USE_ANSWER:
                await self.use(case_id, arg)
            else:
                await run_action(self.wf, action, case_id, self.user, arg or None)
        except Refused as exc:
            self._say(f"{name} #{case_id}: {exc.reason}")

    async def list(self) -> None:
        cases, storms = apart(await self.wf.open_cases())
        if not cases and not storms:
            self.console.print("no open cases")
            return
        if cases:
            self.console.print(cases_table(cases, self.clock()))
        for storm_id, waiting in storms.items():
            self.console.print(rich_line(listing_line(storm_id, waiting)))

    async def home(self) -> None:
        from chatops.console.home import home_text

        if self.homes is None:
            self._say("home is not available here: use list")
            return
        self.console.print(home_text(await self.homes(self.user)))

    async def answer(self, case_id: str, position: str) -> None:
        """Pick which comment of the case the draft answers, by its number in `show N`."""
        case = await case_of(self.wf, case_id)
        if not position.isdigit() or not 1 <= int(position) <= len(case.mention_keys):
            raise Refused(f"pick a comment from 1 to {len(case.mention_keys)}")
        key = case.mention_keys[int(position) - 1]
        await run_action(self.wf, Action.REPLY_TO, case_id, self.user, key)

    async def use(self, case_id: str, position: str) -> None:
        """Make answer K of the case's similar answered cases its draft (`similar N`)."""
        case = await case_of(self.wf, case_id)
        if not case.similar:
            raise Refused("no similar answered case is known")
        if not position.isdigit() or not 1 <= int(position) <= len(case.similar):
            raise Refused(f"pick an answer from 1 to {len(case.similar)} (see: similar {case.id})")
        source = case.similar[int(position) - 1]
        await run_action(self.wf, Action.USE_ANSWER, case.id, self.user, source)

    async def _similar(self, rest: str) -> None:
        words = rest.split()
        if len(words) != 1:
            self._say("usage: similar N")
            return
        try:
            case = await case_of(self.wf, words[0].lstrip("#"))
        except Refused as exc:
            self._say(f"similar {words[0]}: {exc.reason}")
            return
        card = case_card(await self.wf.view(case), now=self.clock(), room=ROOM)
        lines = similar_lines(card)
        if not lines:
            self._say(f"{case.number}: no similar answered case to start from")
        for line in lines:
            self.console.print(line)

    async def show(self, case_id: str) -> None:
        case = await case_of(self.wf, case_id)
        view = await self.wf.view(case)
        self.console.print(case_panel(view, self.clock(), self.departments))
        self.console.print(history_table(await self.audit.entries(case.id), view.department.zone))

    def _say(self, text: str) -> None:
        self.console.print(text, style="yellow", highlight=False, markup=False)


async def _lines(stream: TextIO) -> AsyncIterator[str]:
    """The lines of `stream`, read by a daemon thread: Ctrl-C never waits for a line to end,
    and a file works as well as a pipe."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed while a line was awaited
            for line in iter(stream.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=read, name="repl-input", daemon=True).start()
    while line := await queue.get():
        yield line
