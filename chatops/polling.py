"""Platforms read by polling (X without webhooks): one poll per interval across all processes.

Every worker runs a poller; a lock in Redis that lives as long as the interval decides who
polls this time, so adding workers does not multiply calls against the platform's limits.
What a poll finds goes into the inbound stream like a webhook's mentions (sanitised, then
deduplicated).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from adapters import Adapter, PlatformError
from adapters.base import Polls
from chatops import keys
from chatops.domain import utcnow
from chatops.hygiene import sanitise
from chatops.redis_text import maybe_text
from chatops.store import Store

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE_S = 60.0


class RedisCursors:
    """`since_id`-style cursors of one platform, kept in Redis across restarts."""

    def __init__(self, store: Store, platform: str) -> None:
        self.redis = store.redis
        self.key = keys.cursors(platform)

    async def get(self, name: str) -> str | None:
        return maybe_text(await self.redis.hget(self.key, name))

    async def set(self, name: str, value: str) -> None:
        await self.redis.hset(self.key, name, value)


class Poller:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.pollers = {n: a for n, a in adapters.items() if isinstance(a, Polls)}
        self.clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        if not self.pollers:
            return
        while not stop.is_set():
            wait = min([await self.poll_once(name) for name in self.pollers] or [60.0])
            try:
                await asyncio.wait_for(stop.wait(), max(1.0, wait))
            except TimeoutError:
                pass

    async def poll_once(self, name: str) -> float:
        """Poll `name` if no other process did within its interval; seconds until the next."""
        lock = keys.poll_lock(name)
        ttl = await self.store.redis.pttl(lock)
        if ttl > 0:
            return ttl / 1000
        if not await self.store.redis.set(lock, "1", nx=True, px=60_000):
            return 1.0
        adapter = self.pollers[name]
        try:
            result = await adapter.poll(RedisCursors(self.store, name), self.clock())
        except PlatformError as exc:
            log.warning("polling %s failed: %s", name, exc.reason)
            await self.store.redis.pexpire(lock, int(RETRY_AFTER_FAILURE_S * 1000))
            return RETRY_AFTER_FAILURE_S
        mentions = sanitise(result.mentions, self.clock())
        if mentions:
            appended = await self.store.inbound.append(mentions)
            log.info("polling %s: %d new of %d", name, sum(appended), len(appended))
        wait = max(1.0, result.next_poll_in)
        await self.store.redis.pexpire(lock, int(wait * 1000))
        return wait
