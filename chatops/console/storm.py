"""A storm in the terminal (chatops/chat/storm.py): the summary when it opens and when it is
over, its members in batches in between (at most one batch per `storm.BATCH_EVERY` seconds,
and whatever is left when it closes). The terminal cannot update a line in place, so the
summary is printed again rather than edited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console

from chatops.chat import storm
from chatops.chat.backend import Department
from chatops.console.render import joined, rich_line, safe
from chatops.store import Storms


@dataclass
class _Shown:
    listed: int = 0
    batched_at: datetime | None = None
    closed: bool = False


class StormPrinter:
    """What this terminal has shown of each storm (it is the only reader, so memory will do)."""

    def __init__(
        self,
        console: Console,
        storms: Storms,
        departments: Sequence[Department],
        clock: Callable[[], datetime],
    ) -> None:
        self.console = console
        self.storms = storms
        self.departments = {d.id: d for d in departments}
        self.clock = clock
        self._shown: dict[str, _Shown] = {}

    async def changed(self, ref: storm.StormRef) -> None:
        group = await self.storms.group(ref.department, ref.group)
        if group is None:
            return
        now = self.clock()
        department = self.departments.get(ref.department)
        name, zone = (department.name, department.zone) if department else (ref.department, "")
        members = await self.storms.roster(ref.department, ref.group)
        closed = group.state == "closed"
        shown = self._shown.get(ref.id)
        summary = storm.summarise(ref, name, members, now, zone=zone, closed=closed)
        if shown is None:
            shown = self._shown[ref.id] = _Shown()
            self._summary(ref, summary)
        due = shown.batched_at is None or (now - shown.batched_at).total_seconds() >= (
            storm.BATCH_EVERY
        )
        while (due or closed) and (batch := storm.batch(ref, members, shown.listed, {})):
            self._batch(ref, batch)
            shown.listed, shown.batched_at = batch.last, now
        if closed and not shown.closed:
            shown.closed = True
            self._summary(ref, summary)

    def _where(self, ref: storm.StormRef) -> str:
        return f"[{ref.department} storm {ref.group}] "

    def _summary(self, ref: storm.StormRef, summary: storm.Summary) -> None:
        self.console.print(
            joined(safe(self._where(ref), "dim"), rich_line(storm.summary_head(summary), "bold"))
        )
        for line in storm.summary_lines(summary, {}):
            self.console.print(joined(safe("  "), rich_line(line)))

    def _batch(self, ref: storm.StormRef, batch: storm.Batch) -> None:
        self.console.print(joined(safe(self._where(ref), "dim"), rich_line(batch.head)))
        for line in batch.lines:
            self.console.print(joined(safe("  "), rich_line(line)))
