"""Reconciliation: list what Facebook and Instagram hold and ingest what no webhook delivered.

Webhooks get lost: a server down longer than Meta's 36 hours of retries, a subscription Meta
disabled after failures, notifications a platform simply drops. Every `reconcile_every` the
scheduler's leader asks each platform that can list its recent items (`adapters.base.Reconciles`)
for everything since a cursor kept in Redis, and feeds it through the webhook's own path:
sanitised, then deduplicated and appended by `InboundStream.append`, so what a webhook already
brought is dropped and nothing doubles. What only reconciliation found is counted
(`chatops_reconciled_total{platform}`); a platform that keeps missing things in consecutive
passes shows as a problem on `/readyz` (its webhook subscription is probably broken).

The cursor moves only after a complete pass (to the pass's start, less an overlap for items
that reach the listings late); a pass stopped by a rate limit or an error records where it
started, and the next pass reads that span again: dedupe makes the re-read free of doubles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters import Adapter
from adapters.base import Reconciles
from chatops import keys
from chatops.config import Config
from chatops.domain import utcnow
from chatops.hygiene import sanitise
from chatops.metrics import Metrics
from chatops.store import Store

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)
"""The next pass starts this long before the last one did: listings lag a little behind."""
FIRST_LOOKBACK = timedelta(hours=24)
"""How far back a platform's first pass (no cursor yet) reads."""
FEW = 3
"""More missed items than this in one pass means the pass "found things"."""
WARN_AFTER = 2
"""Consecutive passes that found things before `/readyz` warns."""
APPEND_BATCH = 500
"""Mentions per dedupe-and-append script: a big listing must not hold Redis for long."""
START_DELAY_S = 60.0
"""The scheduler's first pass after it starts (then every `reconcile_every`)."""
WARNING_REFRESH_S = 60.0
"""How often the leader re-asserts a standing warning (problems fade after ten minutes)."""


# -- decisions (pure) ------------------------------------------------------------------------


def every(config: Config, platform: str) -> timedelta | None:
    """The platform's interval (`platforms.<p>.reconcile_every`, else the top-level key);
    None when it is zero, which turns reconciliation off."""
    section = getattr(config.platforms, platform, None)
    own = getattr(section, "reconcile_every", None)
    interval = own if isinstance(own, timedelta) else config.reconcile_every
    return interval if interval > timedelta(0) else None


def since_for(cursor: str | None, now: datetime, window: timedelta | None = None) -> datetime:
    """Where a pass starts: `now - window` when asked (`chatops reconcile --since`), else the
    stored cursor, else `FIRST_LOOKBACK` ago (an unreadable cursor counts as none)."""
    if window is not None:
        return now - window
    if cursor:
        try:
            start = datetime.fromisoformat(cursor)
        except ValueError:
            start = None
        if start is not None and start.tzinfo is not None:
            return min(start, now)
    return now - FIRST_LOOKBACK


def next_cursor(started: datetime) -> datetime:
    return started - OVERLAP


def streak_after(previous: int, new: int, complete: bool) -> int:
    """Consecutive passes that found more than a few missed items. A pass that stopped early
    and found few says nothing either way, so it keeps the count."""
    if new > FEW:
        return previous + 1
    return 0 if complete else previous


def warning(platform: str, streak: int, new: int) -> str | None:
    """What `/readyz` says while passes keep finding what webhooks did not deliver."""
    if streak < WARN_AFTER:
        return None
    return (
        f"reconciliation keeps finding {platform} items no webhook delivered "
        f"({new} in the last pass, {streak} passes in a row): check the app's webhook "
        "subscription in the Meta App Dashboard"
    )


# -- the job ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassResult:
    platform: str
    since: datetime
    listed: int
    new: int
    calls: int
    stopped: str | None


class Reconciler:
    """One pass per platform; the scheduler runs it on its leader, `chatops reconcile` by hand."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.listers: dict[str, Reconciles] = {
            name: adapter for name, adapter in adapters.items() if isinstance(adapter, Reconciles)
        }
        self.metrics = metrics
        self.clock = clock

    @property
    def platforms(self) -> list[str]:
        return sorted(self.listers)

    async def run(self, platform: str, window: timedelta | None = None) -> PassResult:
        """List `platform` since its cursor (or `window` ago) and ingest what is new."""
        key = keys.reconcile(platform)
        started = self.clock()
        state = {_text(k): _text(v) for k, v in (await self.store.redis.hgetall(key)).items()}
        since = since_for(state.get("since"), started, window)
        listing = await self.listers[platform].recent(since)
        mentions = sanitise(listing.mentions, started)
        new = 0
        for start in range(0, len(mentions), APPEND_BATCH):
            new += sum(await self.store.inbound.append(mentions[start : start + APPEND_BATCH]))
        if self.metrics is not None and new:
            self.metrics.reconciled.labels(platform).inc(new)
        complete = listing.stopped is None
        streak = streak_after(int(state.get("streak") or 0), new, complete)
        await self.store.redis.hset(key, "streak", str(streak))
        cursor = next_cursor(started) if complete else since  # unfinished: start here again
        await self.store.redis.hset(key, "since", cursor.isoformat())
        await self._warn(platform, warning(platform, streak, new), started)
        result = PassResult(platform, since, len(mentions), new, listing.calls, listing.stopped)
        _log(result)
        return result

    async def run_all(self, window: timedelta | None = None) -> list[PassResult]:
        return [await self.run(platform, window) for platform in self.platforms]

    async def refresh_warnings(self) -> None:
        """Re-assert each standing warning, so it stays on `/readyz` between passes."""
        now = self.clock()
        for platform in self.platforms:
            text = await self.store.redis.hget(keys.reconcile(platform), "warning")
            if text:
                await self.store.problems.set(component(platform), _text(text), now)

    async def _warn(self, platform: str, text: str | None, now: datetime) -> None:
        key = keys.reconcile(platform)
        if text is None:
            await self.store.redis.hdel(key, "warning")
            await self.store.problems.clear(component(platform))
            return
        await self.store.redis.hset(key, "warning", text)
        await self.store.problems.set(component(platform), text, now)
        log.warning("%s", text)


def component(platform: str) -> str:
    """The name a platform's reconciliation warning has on `/readyz` and `/metrics`."""
    return f"reconcile:{platform}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _log(result: PassResult) -> None:
    log.info(
        "reconcile %s since %s: %d listed, %d new, %d API calls%s",
        result.platform,
        f"{result.since:%Y-%m-%d %H:%M}",
        result.listed,
        result.new,
        result.calls,
        f"; stopped early ({result.stopped}), the next pass resumes" if result.stopped else "",
    )
