"""Prints every change of a case as a line of its thread; new cases as a full card."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.present import Report
from chatops.console.render import case_panel, digest_table, event_line, rich_line, safe

FULL_CARD = frozenset({EventKind.CREATED, EventKind.REOPENED, EventKind.REROUTED})


class ConsoleBackend:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        if event.kind in FULL_CARD:
            self.console.print(case_panel(view))
        self.console.print(event_line(view, event))

    async def refresh(self, view: CaseView) -> None:
        """A flood's further mentions print nothing: the terminal has no message to update."""

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        self.console.print(digest_table(department, items))

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        """One block per scan and department: who is called, then a line per case."""
        people = ", ".join("@here" if n in ("here", "channel") else n for n in notify)
        plural = "s" if len(items) != 1 else ""
        head = f"[{department.id}] {people + ': ' if people else ''}{len(items)} case{plural} "
        self.console.print(Text(head + "need someone now", style="bold red"))
        for item in items:
            self.console.print(Text(f"  • {item.text} · {item.owner or 'unclaimed'}"))

    async def post_report(self, department: Department, report: Report) -> None:
        self.console.print(safe(f"[{department.id}] ", "dim") + safe(report.title, "bold"))
        for line in report.lines:
            self.console.print(rich_line(line))
        if report.chart is not None:
            path = Path(tempfile.gettempdir()) / f"chatops-report-{department.id}.png"
            path.write_bytes(report.chart)
            self.console.print(safe(f"chart: {path}"))

    async def close(self) -> None:
        return None
