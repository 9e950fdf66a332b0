"""The worker role: consume the inbound stream and run each mention through the pipeline.

At-least-once: an entry is acknowledged only after its mention is recorded. Entries a dead
worker left behind are claimed after `claim_idle` (XAUTOCLAIM); an entry the pipeline keeps
failing on goes to the dead-letter stream after `max_deliveries` failures, so it is visible and
kept, not lost. Only the pipeline's own failures count (kept per entry by us, not XPENDING's
delivery count): an entry that could not be processed because Redis refused a write (gone, or
out of memory) is retried until Redis takes it, never dead-lettered for it.

Redis going away is waited out (one log line when it goes, one when it is back); a wiped store's
consumer group is created again on NOGROUP; consumers of workers that are gone are removed.
Periodic work runs on a monotonic clock, injectable for tests.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta

from redis.exceptions import RedisError, ResponseError

from chatops.metrics import Metrics
from chatops.outage import RedisOutage
from chatops.pipeline import Pipeline
from chatops.redis_checks import WipeWatch
from chatops.store import Inbound, InboundStream, StreamWatch

log = logging.getLogger(__name__)

STALLED_PUBLISH = timedelta(minutes=5)
"""A publish with no outcome for this long was cut off by a crash (HTTP timeouts are 10 s)."""
RETRY_EVERY_S = 5.0
"""How often replies a platform asked us to send later are looked at."""
HOUSEKEEPING_EVERY_S = 60.0
"""How often the streams are trimmed to their caps (and their gauges set), stalled publishes are
recovered and dead consumers are removed."""
STORM_SWEEP_EVERY_S = 15.0
"""How often storms that went quiet are closed (a storm's `quiet` is minutes)."""
PUBLISH_ALL_EVERY_S = 1.0
"""How often publish-to-all jobs that are due are gone on with (one sorted-set read per
department): a job a platform told to wait (429, Retry-After: seconds) goes on when it may, at
the platform's pace, not at the next storm sweep (measured by bench/storm.py: 300 members at
10 replies/s took minutes when looked at every 15 s)."""
WIPE_CHECK_EVERY_S = 5.0
"""How often the store's epoch is compared with the one this process started on."""
DEAD_CONSUMER = timedelta(hours=1)
"""A consumer of the group silent this long with nothing pending is a worker that is gone: a
live one reads (or blocks reading) every second. Its name would otherwise stay forever."""


class Every:
    """Due once per `seconds` of a monotonic clock, the first time at once.

    Periodic work runs on time, not on loop counters: a busy worker loops thousands of times a
    minute and an idle one once per blocking read, so `ticks % 10` meant anything."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._next: float | None = None

    def due(self, now: float) -> bool:
        if self._next is not None and now < self._next:
            return False
        self._next = now + self.seconds
        return True


def consumer_name() -> str:
    """Unique per process, stable for its life: pending entries are tracked per consumer."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    def __init__(
        self,
        inbound: InboundStream,
        pipeline: Pipeline,
        metrics: Metrics,
        *,
        consumer: str | None = None,
        batch: int = 100,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        max_deliveries: int = 5,
        retry_pause: float = 1.0,
        retry_every: float = RETRY_EVERY_S,
        housekeeping_every: float = HOUSEKEEPING_EVERY_S,
        dead_consumer: timedelta = DEAD_CONSUMER,
        monotonic: Callable[[], float] = time.monotonic,
        wipes: WipeWatch | None = None,
        wipe_check_every: float = WIPE_CHECK_EVERY_S,
        storm_sweep_every: float = STORM_SWEEP_EVERY_S,
        publish_all_every: float = PUBLISH_ALL_EVERY_S,
    ) -> None:
        self.inbound = inbound
        self.pipeline = pipeline
        self.metrics = metrics
        self.consumer = consumer or consumer_name()
        self.batch = batch
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.max_deliveries = max_deliveries
        self.retry_pause = retry_pause
        self.monotonic = monotonic
        self.outage = RedisOutage("worker", log)
        self._retries = Every(retry_every)
        self._housekeeping = Every(housekeeping_every)
        self.streams = StreamWatch(metrics)
        self.wipes = wipes
        self._wipe_checks = Every(wipe_check_every)
        self._storm_sweeps = Every(storm_sweep_every)
        self._publish_alls = Every(publish_all_every)
        self.publishing: asyncio.Task[int] | None = None
        """Publish-to-all jobs under way: beside the consuming, which never waits for them."""
        self.dead_consumer_ms = int(dead_consumer.total_seconds() * 1000)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`; a Redis outage (even at start) is waited out, not fatal."""
        log.info("worker %s consuming", self.consumer)
        grouped = False
        while not stop.is_set():
            try:
                if not grouped:
                    await self.inbound.ensure_group()
                    grouped = True
                await self.run_once()
                await self.periodic()
            except (RedisError, OSError) as exc:
                self.outage.failed(exc, self.monotonic())
                await _wait(stop, self.retry_pause)
                continue
            self.outage.ok(self.monotonic())
        if self.publishing is not None:
            self.pipeline.publish_all.stop()
            await asyncio.gather(self.publishing, return_exceptions=True)

    def _publish_all(self) -> None:
        """Go on with the publish-to-all jobs that are due, in a task of their own (hundreds of
        replies at the platforms' pace must not hold up new mentions); one at a time."""
        task = self.publishing
        if task is not None and not task.done():
            return
        if task is not None and not task.cancelled() and task.exception() is not None:
            # the exception's name only: its message may quote what a platform answered
            log.error("publish to all failed: %s", type(task.exception()).__name__)
        self.publishing = asyncio.create_task(self.pipeline.publish_all.run_due())

    async def periodic(self) -> list[str]:
        """The time-based jobs that are due, run now; returns their names."""
        now = self.monotonic()
        ran = []
        if self.wipes is not None and self._wipe_checks.due(now):
            if await self.wipes.check():
                await self.inbound.ensure_group()
            ran.append("wipe check")
        if self._retries.due(now):
            await self.pipeline.workflow.retry_due()
            ran.append("retries")
        if self._storm_sweeps.due(now):
            for closed in await self.pipeline.storms.closing(self.pipeline.clock()):
                await self.pipeline.storm_closed(closed)
            ran.append("storms")
        if self._publish_alls.due(now):
            self._publish_all()
            ran.append("publish to all")
        if self._housekeeping.due(now):
            self.streams.saw(await self.inbound.housekeep(self.pipeline.clock()))
            await self.pipeline.workflow.recover_stalled(STALLED_PUBLISH)
            gone = await self.inbound.remove_idle_consumers(self.dead_consumer_ms, self.consumer)
            if gone:
                log.info("worker: removed %d dead consumer(s): %s", len(gone), ", ".join(gone))
            ran.append("housekeeping")
        return ran

    async def run_once(self) -> int:
        """One round: take over abandoned entries, then read new ones; returns how many.

        A group that vanished (the store was wiped, or the stream deleted under a blocked
        read) is created again, so what the web appends next is consumed, not looped over."""
        try:
            return await self._round()
        except ResponseError as exc:
            if not _group_gone(exc):
                raise
        log.warning("worker: the inbound consumer group is gone (was Redis wiped?): recreating it")
        await self.inbound.ensure_group()
        return 0

    async def _round(self) -> int:
        entries = await self.inbound.claim_abandoned(self.consumer, self.claim_idle_ms, self.batch)
        if entries:
            entries = await self._drop_poison(entries)
        else:
            entries = await self.inbound.read(self.consumer, self.batch, self.block_ms)
        for entry in entries:
            await self._handle(entry)
        return len(entries)

    async def _handle(self, entry: Inbound) -> None:
        if entry.mention is None:
            await self.inbound.dead_letter(entry, "unreadable entry")
            self.metrics.processed.labels("dead_letter").inc()
            return
        try:
            await self.pipeline.handle(entry.mention)
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception("worker: %s failed; it stays pending for a retry", entry.mention.key)
            self.metrics.processed.labels("failed").inc()
            await self.inbound.count_failure(entry.entry_id)
            return
        await self.inbound.ack([entry.entry_id])
        self.metrics.processed.labels("ok").inc()

    async def _drop_poison(self, entries: list[Inbound]) -> list[Inbound]:
        counts = await self.inbound.failures([e.entry_id for e in entries])
        keep = []
        for e in entries:
            if counts.get(e.entry_id, 0) >= self.max_deliveries:
                times = counts[e.entry_id]
                log.error("worker: %s failed %d times: dead-lettered", e.entry_id, times)
                await self.inbound.dead_letter(e, f"failed {times} times")
                self.metrics.processed.labels("dead_letter").inc()
            else:
                keep.append(e)
        return keep


def _group_gone(exc: ResponseError) -> bool:
    """Redis's answers when the group or its stream no longer exists."""
    message = str(exc)
    return "NOGROUP" in message or "stream key no longer exists" in message


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
