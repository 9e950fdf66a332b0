"""Group commit for the webhook path: concurrent requests share one Redis round trip.

The first request to arrive writes at once; requests that arrive while a write is in flight
wait for it and then go out together in the next one. No timers: at low load every request
is written alone, at high load the batches grow by themselves, and each request still gets
its own answer (accepted or duplicate) only after its mentions are safely in Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from chatops.domain import Mention

Writer = Callable[[Sequence[Mention]], Awaitable[list[bool]]]

MAX_BATCH = 1000


class AppendBatcher:
    def __init__(self, write: Writer, max_batch: int = MAX_BATCH) -> None:
        self._write = write
        self._max = max_batch
        self._queue: list[tuple[Sequence[Mention], asyncio.Future[list[bool]]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def append(self, mentions: Sequence[Mention]) -> list[bool]:
        future: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._queue.append((mentions, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch = self._take()
            flat = [m for mentions, _ in batch for m in mentions]
            try:
                results = await self._write(flat)
            except Exception as exc:  # each waiting request reports the failure itself
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            offset = 0
            for mentions, future in batch:
                if not future.done():
                    future.set_result(results[offset : offset + len(mentions)])
                offset += len(mentions)

    def _take(self) -> list[tuple[Sequence[Mention], asyncio.Future[list[bool]]]]:
        taken: list[tuple[Sequence[Mention], asyncio.Future[list[bool]]]] = []
        count = 0
        while self._queue and (not taken or count + len(self._queue[0][0]) <= self._max):
            item = self._queue.pop(0)
            taken.append(item)
            count += len(item[0])
        return taken
