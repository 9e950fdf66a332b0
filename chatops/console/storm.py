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
from chatops.chat.storm_desk import NONE_OPEN, open_line, unknown
from chatops.chat.stormread import summary_now
from chatops.console.render import joined, rich_line, safe
from chatops.store import Publishing, Storms
from chatops.store.storms import Member


@dataclass
class _Shown:
    listed: int = 0
    batched_at: datetime | None = None
    closed: bool = False
    answering: storm.Answering | None = None


class StormPrinter:
    """What this terminal has shown of each storm (it is the only reader, so memory will do)."""

    def __init__(
        self,
        console: Console,
        storms: Storms,
        departments: Sequence[Department],
        clock: Callable[[], datetime],
        publishing: Publishing | None = None,
    ) -> None:
        self.console = console
        self.storms = storms
        self.publishing = publishing
        self.departments = {d.id: d for d in departments}
        self.clock = clock
        self._shown: dict[str, _Shown] = {}

    async def _summary_of(self, ref: storm.StormRef) -> tuple[storm.Summary, list[Member]] | None:
        """The storm's summary as it is now and its members; None once its record expired."""
        department = self.departments.get(ref.department)
        name, zone = (department.name, department.zone) if department else (ref.department, "")
        return await summary_now(self.storms, self.publishing, ref, name, zone, self.clock())

    async def changed(self, ref: storm.StormRef) -> None:
        found = await self._summary_of(ref)
        if found is None:
            return
        summary, members = found
        now, closed = self.clock(), summary.closed
        shown = self._shown.get(ref.id)
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
        said = summary.answering
        if said is not None and said != shown.answering:
            shown.answering = said  # the statement or its progress changed: say so
            for line in storm.answering_lines(said):
                self.console.print(joined(safe(self._where(ref), "dim"), rich_line(line)))

    async def list_open(self) -> None:
        """The `storm` command: a line per open storm of every department."""
        lines = []
        for department in self.departments:
            for group in await self.storms.open_groups(department):
                found = await self._summary_of(storm.StormRef(department, group))
                if found is not None:
                    lines.append(rich_line(open_line(found[0])))
        if not lines:
            self.console.print(safe(NONE_OPEN))
        for line in lines:
            self.console.print(line)

    async def show(self, storm_id: str) -> None:
        """The `storm ID` command: the storm's summary as it is now (open or over), then the
        members this terminal has not listed yet."""
        ref = storm.StormRef.parse(storm_id)
        found = await self._summary_of(ref) if ref is not None else None
        if ref is None or found is None or not found[0].count:
            self.console.print(safe(unknown(storm_id), "yellow"))
            return
        summary, members = found
        self._summary(ref, summary)
        shown = self._shown.get(ref.id)
        if shown is None:  # never shown here: the summary names how many, `list` the waiting
            return
        while batch := storm.batch(ref, members, shown.listed, {}):
            self._batch(ref, batch)  # those not listed yet: the batch was not due
            shown.listed, shown.batched_at = batch.last, self.clock()

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
