"""The inbound stream: webhook intake (deduplicated), the workers' consumer group, dead letters.

Dedupe and append are one Lua script on the global slot, so a platform's retry of a delivery
the web already took is dropped atomically; what no worker could process is kept, visible, in
the dead-letter stream until `chatops replay --dead` puts it back.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from chatops import keys
from chatops.domain import Change, Mention
from chatops.metrics import Metrics
from chatops.store.codec import compact

if TYPE_CHECKING:
    from adapters.base import Skipped
    from chatops.config.models import Retention

log = logging.getLogger(__name__)

DEAD_NOTICE = timedelta(days=1)
"""Dead letters are counted and warned about this long before their age trims them."""
DEAD_NOTICE_SHARE = 0.9
"""… and once the dead-letter stream is this full, before its length cap trims the oldest."""
COUNT_UP_TO = 10_000
"""Entries past a cap are counted one by one up to this many (a gauge, not an inventory)."""


@dataclass(frozen=True)
class StreamLimits:
    """`retention:` of the config as the streams use it (defaults: the config's)."""

    dedupe: timedelta = timedelta(seconds=keys.SEEN_TTL_S)
    inbound_age: timedelta = timedelta(days=7)
    inbound_length: int = 1_000_000
    dead_age: timedelta = timedelta(days=30)
    dead_length: int = 100_000

    @classmethod
    def of(cls, retention: Retention) -> StreamLimits:
        return cls(
            retention.dedupe,
            retention.inbound,
            retention.inbound_max,
            retention.dead,
            retention.dead_max,
        )


@dataclass(frozen=True)
class StreamReport:
    """What one look at the two streams found (`InboundStream.housekeep`, `.report`)."""

    unprocessed: int
    """Inbound entries no worker has acknowledged: never trimmed."""
    oldest: timedelta | None
    """Age of the oldest of them (None: none)."""
    over_cap: int
    """Of them, how many the inbound caps (age, length) would trim: kept, and warned about."""
    dead: int
    """Dead letters kept."""
    dead_expiring: int
    """Dead letters the caps trim within `DEAD_NOTICE` (or at once, once the stream is full)."""
    dead_trimmed: int = 0
    """Dead letters this pass trimmed (they were warned about first)."""
    warnings: list[str] = field(default_factory=list)


_APPEND_INBOUND = """
-- KEYS: the stream, the previous layout's one mention hash, then per mention its marker: a
-- bucket of that hash (a new mention) or its own key with a TTL (an edit or removal)
local out = {}
local bucket = KEYS[2] .. ':'
for i = 3, #KEYS do
  local field, payload = ARGV[2 * i - 3], ARGV[2 * i - 2]
  local new
  if string.sub(KEYS[i], 1, #bucket) == bucket then
    new = redis.call('HEXISTS', KEYS[2], field) == 0
      and redis.call('HSETNX', KEYS[i], field, ARGV[2]) == 1
  else
    new = redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) ~= false
  end
  if new then redis.call('XADD', KEYS[1], '*', 'm', payload) end
  out[#out + 1] = new and 1 or 0
end
return out
"""

_DEAD_LETTER_ITEMS = """
local out = {}
for i = 2, #KEYS do
  local new = redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) ~= false
  if new then
    local a = 4 * (i - 2) + 2
    redis.call('XADD', KEYS[1], '*', 'from', 'webhook', 'platform', ARGV[a],
      'reason', ARGV[a + 1], 'detail', ARGV[a + 2], 'item', ARGV[a + 3])
  end
  out[#out + 1] = new and 1 or 0
end
return out
"""

_REQUEUE_DEAD = """
-- KEYS: the stream, the dead letters, the mention's bucket, the previous layout's one hash
local mark = false
if ARGV[3] ~= '' then
  mark = redis.call('HGET', KEYS[3], ARGV[3]) or redis.call('HGET', KEYS[4], ARGV[3])
end
if mark and mark ~= ARGV[4] then
  redis.call('XDEL', KEYS[2], ARGV[1])
  return mark
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], ARGV[4]) end
redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[1])
return ''
"""

_REMOVE_IDLE_CONSUMERS = """
local gone = {}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] ~= ARGV[3] and f['pending'] == 0 and f['idle'] >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    gone[#gone + 1] = f['name']
  end
end
return gone
"""


@dataclass(frozen=True)
class Inbound:
    """One stream entry handed to a worker."""

    entry_id: str
    mention: Mention | None  # None: the entry could not be read back (kept in dead letters)
    raw: str


class InboundStream:
    """The web (and polling, reconcile, replay) append here; workers read, ack, dead-letter."""

    def __init__(self, redis: aioredis.Redis, limits: StreamLimits | None = None) -> None:
        self.redis = redis
        self.limits = limits or StreamLimits()
        self._append = redis.register_script(_APPEND_INBOUND)
        self._dead_letter_items = redis.register_script(_DEAD_LETTER_ITEMS)
        self._remove_idle_consumers = redis.register_script(_REMOVE_IDLE_CONSUMERS)
        self._requeue_dead = redis.register_script(_REQUEUE_DEAD)

    async def append(self, mentions: Sequence[Mention]) -> list[bool]:
        """Dedupe and append the new ones, atomically; True = appended.

        A new mention is marked in MENTION_CASES (kept while its case is: a platform retrying,
        or reconciliation listing it again, days later is still a duplicate); an edit or
        removal gets a marker key that lives `limits.dedupe`, past every platform's retries.
        """
        if not mentions:
            return []
        markers = [
            keys.bucket(keys.MENTION_CASES, m.key)
            if m.change is Change.ADD
            else keys.seen(m.delivery_key)
            for m in mentions
        ]
        args: list[str | int] = [self._dedupe_s, keys.PENDING]
        for m in mentions:
            args += [m.key, compact(m)]
        result = await self._append(keys=[keys.INBOUND, keys.MENTION_CASES, *markers], args=args)
        return [bool(x) for x in result]

    @property
    def _dedupe_s(self) -> int:
        return max(1, int(self.limits.dedupe.total_seconds()))

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(keys.INBOUND, keys.INBOUND_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Inbound]:
        reply = await self.redis.xreadgroup(
            keys.INBOUND_GROUP, consumer, {keys.INBOUND: ">"}, count=count, block=block_ms
        )
        if not reply:
            return []
        [(_stream, entries)] = cast(list[tuple[str, list[tuple[str, dict[str, str]]]]], reply)
        return [_inbound(eid, fields) for eid, fields in entries]

    async def claim_abandoned(self, consumer: str, min_idle_ms: int, count: int) -> list[Inbound]:
        """Take over entries another worker read but never acknowledged (it died)."""
        out: list[Inbound] = []
        start = "0-0"
        while len(out) < count:
            nxt, entries, *_ = await self.redis.xautoclaim(
                keys.INBOUND, keys.INBOUND_GROUP, consumer, min_idle_ms, start, count=count
            )
            out.extend(_inbound(eid, fields) for eid, fields in entries if fields)
            if nxt in ("0-0", b"0-0") or not entries:
                break
            start = nxt
        return out

    async def ack(self, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            pipe = self.redis.pipeline(transaction=False)
            pipe.xack(keys.INBOUND, keys.INBOUND_GROUP, *entry_ids)
            pipe.hdel(keys.INBOUND_FAILURES, *entry_ids)
            await pipe.execute()

    async def count_failure(self, entry_id: str) -> int:
        """One more failure of the pipeline on this entry; returns how many so far."""
        return int(await self.redis.hincrby(keys.INBOUND_FAILURES, entry_id, 1))

    async def failures(self, entry_ids: Sequence[str]) -> dict[str, int]:
        """Pipeline failures per entry (0 when none): unlike XPENDING's delivery count, a
        delivery that failed only because Redis refused a write is not one of them."""
        if not entry_ids:
            return {}
        found = await self.redis.hmget(keys.INBOUND_FAILURES, list(entry_ids))
        return {eid: int(n or 0) for eid, n in zip(entry_ids, found, strict=True)}

    async def dead_letter(self, entry: Inbound, reason: str) -> None:
        """Keep an entry no worker could process, then acknowledge it: visible, not lost."""
        await self.redis.xadd(keys.DEAD, {"m": entry.raw, "reason": reason, "from": entry.entry_id})
        await self.ack([entry.entry_id])

    async def dead_letter_items(self, platform: str, items: Sequence[Skipped]) -> list[bool]:
        """Keep webhook items that could not become mentions, with their reason; True = kept now.

        A platform retrying the same delivery keeps an item once: a marker per item (with the
        TTL of the inbound dedupe markers) makes the write idempotent, in one atomic step."""
        if not items:
            return []
        markers = [
            keys.seen(f"skip:{platform}:{hashlib.sha256(i.item.encode()).hexdigest()[:32]}")
            for i in items
        ]
        args: list[str | int] = [self._dedupe_s]
        for item in items:
            args += [platform, item.reason, item.detail, item.item]
        result = await self._dead_letter_items(keys=[keys.DEAD, *markers], args=args)
        return [bool(x) for x in result]

    async def dead_letters(
        self, after: str | None = None, count: int = 500
    ) -> list[tuple[str, dict[str, str]]]:
        """Entries of the dead-letter stream, oldest first, after entry id `after`."""
        rows: Any = await self.redis.xrange(
            keys.DEAD, min=f"({after}" if after else "-", count=count
        )
        return [(str(eid), dict(fields)) for eid, fields in rows]

    async def requeue_dead(self, dead_id: str, raw: str, mention_key: str | None) -> str | None:
        """Put a worker's dead letter back on the inbound stream and remove it from the
        dead-letter stream, in one atomic step; returns None when re-queued, or the case the
        mention is already recorded in (then the dead letter is only removed).

        A new mention's dedupe marker was written when the web accepted it and still says
        "pending" (no case recorded it), so the ordinary dedupe-and-append would drop the
        replay as a duplicate: the marker is checked here instead, and only a marker naming a
        case makes it one."""
        found = await self._requeue_dead(
            keys=[
                keys.INBOUND,
                keys.DEAD,
                keys.bucket(keys.MENTION_CASES, mention_key or ""),
                keys.MENTION_CASES,
            ],
            args=[dead_id, raw, mention_key or "", keys.PENDING],
        )
        return str(found) or None

    async def drop_dead(self, dead_id: str) -> None:
        await self.redis.xdel(keys.DEAD, dead_id)

    async def lag(self) -> int:
        """Entries not yet delivered to any worker plus those delivered but not acknowledged."""
        try:
            groups = await self.redis.xinfo_groups(keys.INBOUND)
        except ResponseError:
            return 0
        for g in groups:
            if g["name"] == keys.INBOUND_GROUP:
                lag = g.get("lag")
                if lag is None:  # Redis cannot tell after trimming: count what is left
                    left = await self.redis.xrange(
                        keys.INBOUND, f"({g['last-delivered-id']}", "+", count=100_000
                    )
                    lag = len(left or [])
                return int(lag) + int(g.get("pending") or 0)
        return int(await self.redis.xlen(keys.INBOUND))

    async def trim(self) -> None:
        """Drop acknowledged history: everything older than the oldest entry still needed."""
        try:
            groups = await self.redis.xinfo_groups(keys.INBOUND)
        except ResponseError:
            return
        group = next((g for g in groups if g["name"] == keys.INBOUND_GROUP), None)
        if group is None:
            return
        floor = group["last-delivered-id"]
        summary = await self.redis.xpending(keys.INBOUND, keys.INBOUND_GROUP)
        if summary and summary.get("pending"):
            floor = min(floor, summary["min"], key=_id_key)
        await self.redis.xtrim(keys.INBOUND, minid=floor, approximate=False)

    async def housekeep(self, now: datetime) -> StreamReport:
        """Trim both streams to their caps, then report: the inbound stream loses only what
        workers acknowledged (`trim`), the dead-letter stream what is older than `dead_age` or
        beyond `dead_length` (counted in `dead_expiring`, and warned about, first)."""
        await self.trim()
        cut = _ms(now - self.limits.dead_age)
        dropped = int(await self.redis.xtrim(keys.DEAD, minid=f"{cut}-0", approximate=False))
        dropped += int(
            await self.redis.xtrim(keys.DEAD, maxlen=self.limits.dead_length, approximate=False)
        )
        found = await self.report(now)
        return StreamReport(
            found.unprocessed,
            found.oldest,
            found.over_cap,
            found.dead,
            found.dead_expiring,
            dropped,
            found.warnings,
        )

    async def report(self, now: datetime) -> StreamReport:
        """How far both streams are from their caps, without changing either (the web asks
        this while no worker runs)."""
        limits = self.limits
        unprocessed = await self.lag()
        oldest_id = await self._oldest_unprocessed() if unprocessed else None
        oldest = now - _at(oldest_id) if oldest_id else None
        over_age = 0
        if oldest_id and oldest is not None and oldest > limits.inbound_age:
            cut = _ms(now - limits.inbound_age)
            rows = await self.redis.xrange(keys.INBOUND, oldest_id, str(cut - 1), count=COUNT_UP_TO)
            over_age = len(rows or [])
        over_cap = max(over_age, unprocessed - limits.inbound_length, 0)
        dead = int(await self.redis.xlen(keys.DEAD))
        soon = _ms(now - limits.dead_age + DEAD_NOTICE)
        aging = await self.redis.xrange(keys.DEAD, "-", str(soon - 1), count=COUNT_UP_TO)
        crowded = dead - int(limits.dead_length * DEAD_NOTICE_SHARE)
        expiring = max(len(aging or []), crowded, 0)
        found = StreamReport(unprocessed, oldest, over_cap, dead, expiring)
        found.warnings.extend(stream_warnings(found, limits))
        return found

    async def _oldest_unprocessed(self) -> str | None:
        """The id of the oldest entry no worker has acknowledged: the group's oldest pending
        entry, else the first one after what it delivered (every entry while no group)."""
        after = "-"
        try:
            groups = await self.redis.xinfo_groups(keys.INBOUND)
        except ResponseError:
            return None
        group = next((g for g in groups if g["name"] == keys.INBOUND_GROUP), None)
        if group is not None:
            summary = await self.redis.xpending(keys.INBOUND, keys.INBOUND_GROUP)
            if summary and summary.get("pending"):
                return str(summary["min"])
            after = f"({group['last-delivered-id']}"
        rows = await self.redis.xrange(keys.INBOUND, after, "+", count=1)
        return str(rows[0][0]) if rows else None

    async def erase(
        self, names: Callable[[Mention | None, dict[str, str]], bool], batch: int = 1000
    ) -> tuple[int, int]:
        """An erasure on request: delete the entries of both streams that `names` (a mention
        as read back, and the entry's fields) says hold the person. Inbound entries no worker
        has acknowledged yet are kept and only counted: they are still to become cases, and
        deleting them unseen would lose what the customer wrote last. Returns (deleted, kept)."""
        delivered = await self._last_delivered()
        deleted = kept = 0
        for stream in (keys.INBOUND, keys.DEAD):
            after = "-"
            while True:
                rows: Any = await self.redis.xrange(stream, min=after, count=batch)
                if not rows:
                    break
                after = f"({rows[-1][0]}"
                doomed = []
                for entry_id, fields in rows:
                    found = dict(fields)
                    if not names(_inbound(entry_id, found).mention, found):
                        continue
                    if stream == keys.INBOUND and not await self._acknowledged(
                        str(entry_id), delivered
                    ):
                        kept += 1
                    else:
                        doomed.append(str(entry_id))
                if doomed:
                    deleted += int(await self.redis.xdel(stream, *doomed))
        return deleted, kept

    async def purge_processed(self, names: Callable[[Mention], bool], batch: int = 1000) -> int:
        """Delete the acknowledged inbound entries whose mention `names` picks (what its
        author has since removed on the platform). Acknowledged history is trimmed first, so
        only entries between the oldest still pending and the last delivered are read."""
        await self.trim()
        delivered = await self._last_delivered()
        if delivered is None:
            return 0
        deleted, after = 0, "-"
        while True:
            rows: Any = await self.redis.xrange(keys.INBOUND, min=after, max=delivered, count=batch)
            if not rows:
                return deleted
            after = f"({rows[-1][0]}"
            doomed = []
            for entry_id, fields in rows:
                found = _inbound(entry_id, dict(fields)).mention
                if found is not None and names(found):
                    if await self._acknowledged(str(entry_id), delivered):
                        doomed.append(str(entry_id))
            if doomed:
                deleted += int(await self.redis.xdel(keys.INBOUND, *doomed))

    async def _last_delivered(self) -> str | None:
        try:
            groups = await self.redis.xinfo_groups(keys.INBOUND)
        except ResponseError:
            return None
        group = next((g for g in groups if g["name"] == keys.INBOUND_GROUP), None)
        return str(group["last-delivered-id"]) if group is not None else None

    async def _acknowledged(self, entry_id: str, delivered: str | None) -> bool:
        if delivered is None or _id_key(entry_id) > _id_key(delivered):
            return False
        pending = await self.redis.xpending_range(
            keys.INBOUND, keys.INBOUND_GROUP, min=entry_id, max=entry_id, count=1
        )
        return not pending

    async def remove_idle_consumers(self, idle_ms: int, keep: str) -> list[str]:
        """Forget the inbound group's consumers idle for `idle_ms` with nothing pending (workers
        that died or were scaled away); never `keep`. Checked and removed in one atomic step, so
        a consumer that reads meanwhile never loses entries with its name."""
        try:
            gone = await self._remove_idle_consumers(
                keys=[keys.INBOUND], args=[keys.INBOUND_GROUP, idle_ms, keep]
            )
        except ResponseError as exc:
            if "NOGROUP" in str(exc) or "no such key" in str(exc).lower():
                return []
            raise
        return [str(name) for name in gone]


def _inbound(entry_id: Any, fields: dict[str, str]) -> Inbound:
    raw = fields.get("m", "")
    try:
        mention: Mention | None = Mention.model_validate_json(raw)
    except ValueError:
        mention = None
    return Inbound(str(entry_id), mention, raw)


def stream_warnings(found: StreamReport, limits: StreamLimits) -> list[str]:
    """What the log says about streams near or past their caps (no customer text)."""
    out = []
    if found.over_cap:
        age = f"{found.oldest.total_seconds() / 3600:.0f} h" if found.oldest else "?"
        out.append(
            f"inbound stream: {found.unprocessed} entries wait for a worker (the oldest {age} "
            f"old), {found.over_cap} of them past retention.inbound "
            f"({_days(limits.inbound_age)}) or inbound_max ({limits.inbound_length}): kept, not "
            "trimmed; start a worker (chatops worker) or add workers"
        )
    if found.dead_expiring:
        out.append(
            f"dead-letter stream: {found.dead_expiring} of {found.dead} dead letters will be "
            f"trimmed within {_days(DEAD_NOTICE)} (retention.dead {_days(limits.dead_age)}, "
            f"dead_max {limits.dead_length}): chatops replay --dead puts them back"
        )
    return out


class StreamWatch:
    """Sets the stream gauges and logs a warning when a stream crosses a cap (and a line when
    it is back under): once per change in each process, not at every look."""

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics
        self._said: set[str] = set()
        self._next = 0.0

    def due(self, monotonic: float, every: float) -> bool:
        """True at most once per `every` seconds of a monotonic clock (the first time at once)."""
        if monotonic < self._next:
            return False
        self._next = monotonic + every
        return True

    def saw(self, found: StreamReport) -> None:
        if self.metrics is not None:
            self.metrics.stream_lag.set(found.unprocessed)
            self.metrics.stream_over_cap.labels("inbound").set(found.over_cap)
            self.metrics.stream_over_cap.labels("dead").set(found.dead_expiring)
            self.metrics.inbound_oldest.set(found.oldest.total_seconds() if found.oldest else 0)
            if found.dead_trimmed:
                self.metrics.stream_trimmed.labels("dead").inc(found.dead_trimmed)
        now = {"inbound" if w.startswith("inbound") else "dead": w for w in found.warnings}
        for stream, text in now.items():
            if stream not in self._said:
                log.warning("%s", text)
        for stream in self._said - set(now):
            log.info("%s stream: back under its caps", stream)
        self._said = set(now)


def _days(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g}d" if hours >= 24 else f"{hours:g}h"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _at(entry_id: str) -> datetime:
    return datetime.fromtimestamp(_id_key(entry_id)[0] / 1000, tz=UTC)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
