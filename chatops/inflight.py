"""Work that must not be cut off by a shutdown: counted while it runs, awaited on stop.

A publish is the case in point: the platform may post the reply while we are stopped before we
record it, and the case is left `publish_unknown` for a person to resolve. On SIGTERM the
process waits (bounded) for what is in flight before it closes its clients.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class InFlight:
    """`async with in_flight:` around work a stopping process should let finish."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __aenter__(self) -> InFlight:
        self.count += 1
        self._idle.clear()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def settle(self, within: float) -> bool:
        """Wait until nothing is in flight, at most `within` seconds; True when idle."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True
