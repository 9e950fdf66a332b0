"""Prints every change of a case as a line of its thread; new cases as a full card."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.inbox import request
from chatops.chat.present import Report, digest, pings
from chatops.chat.rich import EVERYONE
from chatops.chat.storm import StormRef
from chatops.console.render import (
    case_panel,
    event_line,
    inbox_panel,
    joined,
    listing,
    rich_line,
    safe,
)
from chatops.console.storm import StormPrinter
from chatops.domain import utcnow

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.runtime import Runtime
    from chatops.store import Publishing, Storms

FULL_CARD = frozenset({EventKind.CREATED, EventKind.REOPENED, EventKind.REROUTED})


class ConsoleBackend:
    """`departments`: where a case may be moved (the card lists them); `clock`: what "overdue"
    is measured against."""

    def __init__(
        self,
        console: Console | None = None,
        departments: Sequence[Department] = (),
        clock: Callable[[], datetime] = utcnow,
        storms: Storms | None = None,
        publishing: Publishing | None = None,
    ) -> None:
        self.console = console or Console(highlight=False)
        self.departments = tuple(departments)
        self.clock = clock
        self._storms = (
            StormPrinter(self.console, storms, self.departments, clock, publishing)
            if storms
            else None
        )

    @property
    def storms(self) -> StormPrinter | None:
        """What prints storms (the `storm` command asks it too); None without a store."""
        return self._storms

    async def storm_changed(self, storm: StormRef) -> None:
        """ShowsStorms: the summary when it opens and closes, its members in batches."""
        if self._storms is not None:
            await self._storms.changed(storm)

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        if event.kind in FULL_CARD:
            self.console.print(case_panel(view, self.clock(), self.departments))
        self.console.print(event_line(view, event))
        if event.kind is EventKind.APPROVAL_REQUESTED and event.changed is None:
            self.console.print(inbox_panel(request(view)))

    async def case_removed(self, case_id: str, note: str) -> bool:
        """NotesRemoval: the terminal prints the note (it has no message to rewrite)."""
        self.console.print(safe(note))
        return True

    async def refresh(self, view: CaseView) -> None:
        """A flood's further mentions print nothing: the terminal has no message to update."""

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        self.console.print(listing(department, digest(department, items, {})))

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        """One block per scan and department: who is called, then a line per case."""
        self.console.print(listing(department, pings(department, items, {}, notify), "bold red"))

    async def people(self, targets: Iterable[str]) -> list[str]:
        """The terminal shows everything to its one reader: every person named, each once."""
        return list(dict.fromkeys(t for t in targets if t not in EVERYONE))

    async def post_personal_digest(
        self, person: str, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """The copy a lead gets directly, printed under their name."""
        found = digest(department, items, {}, personal=True)
        self.console.print(listing(department, found, to=person))

    async def post_overview(self, to: Sequence[str], report: Report) -> None:
        """The overview once, naming who it is for."""
        head = joined(safe(f"[→ {', '.join(to)}] ", "dim"), safe(report.title, "bold"))
        self.console.print(head)
        for line in report.lines:
            self.console.print(rich_line(line))

    async def post_report(self, department: Department, report: Report) -> None:
        self.console.print(joined(safe(f"[{department.id}] ", "dim"), safe(report.title, "bold")))
        for line in report.lines:
            self.console.print(rich_line(line))
        if report.chart is not None:
            path = Path(tempfile.gettempdir()) / f"chatops-report-{department.id}.png"
            path.write_bytes(report.chart)
            self.console.print(safe(f"chart: {path}"))

    async def close(self) -> None:
        return None


def departments(config: Config) -> tuple[Department, ...]:
    """The configured departments as a chat addresses them."""
    return tuple(
        Department(d.id, d.name, d.channel, config.department_tz(d.id).key)
        for d in config.departments
    )


def create(rt: Runtime) -> ConsoleBackend:
    return ConsoleBackend(
        departments=departments(rt.config),
        clock=rt.clock,
        storms=rt.store.storms,
        publishing=rt.store.publishing,
    )
