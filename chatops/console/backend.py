"""Prints every change of a case as a line of its thread; new cases as a full card."""

from __future__ import annotations

from rich.console import Console

from chatops.chat import CaseEvent, CaseView, EventKind
from chatops.console.render import case_panel, event_line

FULL_CARD = frozenset({EventKind.CREATED, EventKind.REOPENED, EventKind.REROUTED})


class ConsoleBackend:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        if event.kind in FULL_CARD:
            self.console.print(case_panel(view))
        self.console.print(event_line(view, event))

    async def close(self) -> None:
        return None
