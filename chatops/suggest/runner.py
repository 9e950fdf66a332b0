"""Works off suggestion requests in the background of a worker, a few at a time.

A case is posted with its template draft at once; the pipeline only records a request
(`request`) and wakes this runner, so the mention → thread time never waits for a model. The
runner takes due requests (leased in Redis, `SuggestQueue`) up to `drafting.llm.concurrency`
at once, each in a task of its own, and removes a request when it is handled, whatever came of
it. A process that stops cancels what it holds; the leases end and a worker takes them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from chatops.domain import Case, draft_digest, utcnow
from chatops.suggest.queue import SuggestQueue, Wanted
from chatops.suggest.suggester import Outcome, Suggester, worth_asking

log = logging.getLogger(__name__)

LOOK_EVERY_S = 1.0
"""How often the queue is looked at when nothing woke the runner (requests of other workers,
leases that ended)."""
LEASE_MARGIN_S = 30.0
"""A taken request is someone else's again this long after its model call's timeout."""


class SuggestRunner:
    def __init__(
        self,
        queue: SuggestQueue,
        suggester: Suggester,
        *,
        concurrency: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.queue = queue
        self.suggester = suggester
        self.concurrency = concurrency
        self.clock = clock
        self.lease = suggester.model.llm.timeout.total_seconds() + LEASE_MARGIN_S
        self._tasks: set[asyncio.Task[Outcome | None]] = set()
        self._wake = asyncio.Event()

    async def request(self, case: Case) -> bool:
        """Ask for a suggestion replacing `case`'s template draft, if it is worth asking;
        whether it was asked. Wakes the runner of this process."""
        if not worth_asking(case):
            return False
        await self.queue.request(Wanted(case.id, draft_digest(case.draft)), self._now())
        self._wake.set()
        return True

    async def run(self, stop: asyncio.Event, every: float = LOOK_EVERY_S) -> None:
        """Take and start due requests until `stop`; then cancel those under way."""
        try:
            while not stop.is_set():
                try:
                    await self.start_due()
                except Exception as exc:  # Redis away: the next look tries again
                    log.warning("suggestions: cannot read the queue: %s", type(exc).__name__)
                self._wake.clear()
                await _first(stop, self._wake, every)
        finally:
            await self.cancel()

    async def start_due(self) -> int:
        """Start a task for each due request, as many as there is room for; how many."""
        room = self.concurrency - len(self._tasks)
        taken = await self.queue.take(self._now(), self.lease, room)
        for wanted in taken:
            task = asyncio.create_task(self._handle(wanted))
            self._tasks.add(task)
            task.add_done_callback(self._finished)
        return len(taken)

    async def drain(self) -> None:
        """Handle every due request and what they lead to, then return (tests, `demo`)."""
        while await self.start_due() or self._tasks:
            await asyncio.gather(*self._tasks)

    async def cancel(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task[Outcome | None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # room for another

    async def _handle(self, wanted: Wanted) -> Outcome | None:
        """One request, removed when handled; a bug of ours drops it too (the template draft
        stays), where a retry would only fail again."""
        outcome: Outcome | None = None
        try:
            outcome = await self.suggester.suggest(wanted)
        except Exception as exc:
            # the exception's name only: its message may quote the case
            log.error("case %s: suggestion failed: %s", wanted.case_id, type(exc).__name__)
        await self.queue.done(wanted)
        return outcome

    def _now(self) -> float:
        return self.clock().timestamp()


async def _first(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Wait until `stop` or `wake` is set, or `seconds` pass."""
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), seconds
            )
    finally:
        for w in waits:
            w.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
