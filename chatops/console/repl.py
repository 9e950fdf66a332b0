"""Line commands for the console backend: what Slack buttons do, typed.

Reads from a TTY with a prompt or from piped stdin, and ends cleanly at end of input. A bad
line gets one line of explanation; a refused command says why; nothing raises to the user.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from rich.console import Console

from chatops.chat import Department
from chatops.chat.actions import Action
from chatops.chat.commands import case_of, run_action
from chatops.console.render import VERBS, Verb, case_panel, cases_table, history_table, safe
from chatops.domain import utcnow
from chatops.store import Audit
from chatops.workflow.service import Workflow
from chatops.workflow.transitions import Refused

HELP = """\
commands (N is a case number, with or without #):
  list                 open cases
  show N               a case with its thread history
  as USER              act as USER from now on (the demo's approver is 'comms')
  claim N / unclaim N  take a case / give it back
  take N               take over a case someone else claimed (they are told)
  draft N TEXT         replace the draft with TEXT
  publish N            publish the draft (asks for approval when the case is sensitive)
  private N            answer by private message instead of publicly
  approve N            approver: approve and publish
  reject N REASON      approver: send the draft back
  reroute N DEPT       move the case to another department
  answer N M           the draft answers comment M of the case (1 = first; default: newest)
  snooze N WHEN        no reminders for a while: 30m, 1h, 2h or tomorrow
  dismiss N REASON     close without a reply: spam, no_reply_needed or duplicate
  sent N / notsent N   after an unconfirmed publish: it is / is not on the platform
  help                 this text
  quit                 leave (end of input does the same)"""


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
    ) -> None:
        """`departments`: where a case may be moved (its card lists them)."""
        self.wf = workflow
        self.audit = audit
        self.console = console
        self.user = user
        self.clock = clock
        self.departments = tuple(departments)
        self.verbs = {verb.name: (action, verb) for action, verb in VERBS.items()}

    async def run(self, stream: TextIO = sys.stdin) -> None:
        interactive = stream.isatty()
        if interactive:
            self.console.print("type [bold]help[/bold] for commands; Ctrl-D to leave")
        while True:
            if interactive:
                self.console.print(safe(f"{self.user}> ", "dim"), end="")
            line = await asyncio.to_thread(stream.readline)
            if not line:
                break
            if not await self.execute(line):
                break

    async def execute(self, line: str) -> bool:
        """Run one line; False means the user asked to leave."""
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            self._say(f"cannot read that line: {exc}")
            return True
        if not words:
            return True
        name, rest = words[0].lower(), words[1:]
        if name in ("quit", "exit"):
            return False
        if name == "help":
            self.console.print(HELP, highlight=False, markup=False)
        elif name == "list":
            await self.list()
        elif name == "as":
            self._as(rest)
        elif name in self.verbs or name == "show":
            await self._run(name, rest)
        else:
            self._say(f"unknown command '{name}': type help for the list")
        return True

    def _as(self, rest: list[str]) -> None:
        if len(rest) != 1:
            self._say("usage: as USER")
            return
        self.user = rest[0]
        self.console.print(safe(f"you are now {self.user}"))

    async def _run(self, name: str, rest: list[str]) -> None:
        """A line command (`VERBS`, or `show`): N, then its argument (free text: the rest)."""
        action, verb = self.verbs.get(name, (None, Verb(name)))
        need = 2 if verb.arg else 1
        if len(rest) < need or (len(rest) > need and not verb.free):
            self._say(f"usage: {name} N {verb.arg}".rstrip())
            return
        case_id = rest[0].lstrip("#")
        choice = " ".join(rest[1:]) if verb.arg else None
        try:
            if action is None:
                await self.show(case_id)
            elif action is Action.REPLY_TO:
                await self.answer(case_id, choice or "")
            else:
                await run_action(self.wf, action, case_id, self.user, choice)
        except Refused as exc:
            self._say(f"{name} #{case_id}: {exc.reason}")

    async def list(self) -> None:
        cases = await self.wf.open_cases()
        if not cases:
            self.console.print("no open cases")
            return
        self.console.print(cases_table(cases, self.clock()))

    async def answer(self, case_id: str, position: str) -> None:
        """Pick which comment of the case the draft answers, by its number in `show N`."""
        case = await case_of(self.wf, case_id)
        if not position.isdigit() or not 1 <= int(position) <= len(case.mention_keys):
            raise Refused(f"pick a comment from 1 to {len(case.mention_keys)}")
        key = case.mention_keys[int(position) - 1]
        await run_action(self.wf, Action.REPLY_TO, case_id, self.user, key)

    async def show(self, case_id: str) -> None:
        case = await case_of(self.wf, case_id)
        view = await self.wf.view(case)
        self.console.print(case_panel(view, self.clock(), self.departments))
        self.console.print(history_table(await self.audit.entries(case.id)))

    def _say(self, text: str) -> None:
        self.console.print(text, style="yellow", highlight=False, markup=False)
