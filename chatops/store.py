"""Redis persistence: the inbound stream, cases with compare-and-set, indexes and history.

Atomicity lives in small Lua scripts that each touch one hash slot: dedupe+append on the
global slot, compare-and-set on a case's slot. Index updates that span slots follow a
successful write and are idempotent, so a crash in between is repaired by the redelivery
that the stream guarantees.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

import redis.asyncio as aioredis
from pydantic import BaseModel
from redis.exceptions import ResponseError

from chatops import keys
from chatops.domain import AuditEntry, Case, Change, Mention, State
from chatops.redis_text import Raw, maybe_text, text_map, texts
from chatops.sentinel import SCHEME as SENTINEL_SCHEME
from chatops.sentinel import SentinelTarget, parse_sentinel_url

if TYPE_CHECKING:
    from adapters.base import Skipped

log = logging.getLogger(__name__)

FIRST_CASE_NUMBER = 1001
INBOUND_FAILURES = keys.INBOUND_FAILURES
"""Hash: inbound entry id -> times the pipeline failed on it (not Redis refusing a write)."""
TRACKED_STATES = [s for s in State if s not in (State.CLOSED, State.DISMISSED)]
"""States with an index set; closed and dismissed grow forever and are not listed."""

_APPEND_INBOUND = """
local out = {}
for i = 3, #KEYS do
  local field, payload = ARGV[2 * i - 3], ARGV[2 * i - 2]
  local new
  if KEYS[i] == KEYS[2] then
    new = redis.call('HSETNX', KEYS[2], field, ARGV[2]) == 1
  else
    new = redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) ~= false
  end
  if new then redis.call('XADD', KEYS[1], '*', 'm', payload) end
  out[#out + 1] = new and 1 or 0
end
return out
"""

_RESOLVE_CASE = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return {id, 0} end
local floor = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') < floor then
  redis.call('SET', KEYS[2], string.format('%d', floor))
end
id = tostring(redis.call('INCR', KEYS[2]))
redis.call('HSET', KEYS[1], ARGV[1], id)
return {id, 1}
"""

_SAVE_CASE = """
local cur = redis.call('GET', KEYS[1])
local v = '0'
if cur then v = string.format('%d', cjson.decode(cur)['version'] or 0) end
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[4]) end
return 1
"""

_REPLACE_MENTION = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i, item in ipairs(items) do
  if cjson.decode(item)['key'] == ARGV[1] then
    redis.call('LSET', KEYS[1], i - 1, ARGV[2])
    return 1
  end
end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 0
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
local mark = false
if ARGV[3] ~= '' then mark = redis.call('HGET', KEYS[3], ARGV[3]) end
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


class Store:
    """All Redis I/O of the product. One instance per process, sharing one connection pool."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._append = redis.register_script(_APPEND_INBOUND)
        self._resolve = redis.register_script(_RESOLVE_CASE)
        self._save = redis.register_script(_SAVE_CASE)
        self._replace_mention = redis.register_script(_REPLACE_MENTION)
        self._dead_letter_items = redis.register_script(_DEAD_LETTER_ITEMS)
        self._remove_idle_consumers = redis.register_script(_REMOVE_IDLE_CONSUMERS)
        self._requeue_dead = redis.register_script(_REQUEUE_DEAD)
        self.highest_case = 0
        """The highest case number this process has seen: after a wipe, numbering goes on
        above it instead of restarting at FIRST_CASE_NUMBER (see resolve_case_id)."""

    async def close(self) -> None:
        await self.redis.aclose()

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    # -- inbound stream -------------------------------------------------------------------

    async def append_inbound(self, mentions: Sequence[Mention]) -> list[bool]:
        """Dedupe and append the new ones, atomically; True = appended.

        A new mention is marked in MENTION_CASES (kept for good: a platform retrying days
        later is still a duplicate); an edit or removal gets a marker key with a TTL.
        """
        if not mentions:
            return []
        markers = [
            keys.MENTION_CASES if m.change is Change.ADD else keys.seen(m.delivery_key)
            for m in mentions
        ]
        args: list[str | int] = [keys.SEEN_TTL_S, keys.PENDING]
        for m in mentions:
            args += [m.key, compact(m)]
        result = await self._append(keys=[keys.INBOUND, keys.MENTION_CASES, *markers], args=args)
        return [bool(x) for x in result]

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(keys.INBOUND, keys.INBOUND_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read_inbound(self, consumer: str, count: int, block_ms: int) -> list[Inbound]:
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
            pipe.hdel(INBOUND_FAILURES, *entry_ids)
            await pipe.execute()

    async def count_failure(self, entry_id: str) -> int:
        """One more failure of the pipeline on this entry; returns how many so far."""
        return int(await self.redis.hincrby(INBOUND_FAILURES, entry_id, 1))

    async def failures(self, entry_ids: Sequence[str]) -> dict[str, int]:
        """Pipeline failures per entry (0 when none): unlike XPENDING's delivery count, a
        delivery that failed only because Redis refused a write is not one of them."""
        if not entry_ids:
            return {}
        found = await self.redis.hmget(INBOUND_FAILURES, list(entry_ids))
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
        args: list[str | int] = [keys.SEEN_TTL_S]
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
            keys=[keys.INBOUND, keys.DEAD, keys.MENTION_CASES],
            args=[dead_id, raw, mention_key or "", keys.PENDING],
        )
        return str(found) or None

    async def drop_dead(self, dead_id: str) -> None:
        await self.redis.xdel(keys.DEAD, dead_id)

    async def stream_lag(self) -> int:
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

    async def trim_inbound(self) -> None:
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

    # -- cases ----------------------------------------------------------------------------

    async def resolve_case_id(self, conversation_key: str) -> tuple[str, bool]:
        """The case of a conversation, numbering a new one if needed: (id, newly numbered).

        Case numbers are never reused where this process can know better: it remembers the
        highest number it has seen, and the script raises the sequence to at least that before
        numbering, atomically (a no-op unless the store lost its sequence: a wipe). So after a
        wipe while processes run, numbering continues above every number they saw. The limit:
        a wipe while no process runs (or a restart onto an emptied store) starts again at
        FIRST_CASE_NUMBER, since nothing remembers; old chat messages then carry numbers that
        new cases get, which is why clicks are checked against the message they came from."""
        case_id, created = await self._resolve(
            keys=[keys.CONVERSATIONS, keys.CASE_SEQ],
            args=[conversation_key, max(FIRST_CASE_NUMBER - 1, self.highest_case)],
        )
        self.highest_case = max(self.highest_case, int(case_id))
        return str(case_id), bool(int(created))

    async def mention_count(self) -> int:
        """Distinct new mentions accepted (recorded in a case, or waiting for a worker)."""
        return int(await self.redis.hlen(keys.MENTION_CASES))

    async def case_for_mention(self, mention_key: str) -> str | None:
        found = maybe_text(await self.redis.hget(keys.MENTION_CASES, mention_key))
        return None if found in (None, keys.PENDING) else found

    async def get_case(self, case_id: str) -> Case | None:
        raw = await self.redis.get(keys.case(case_id))
        return Case.model_validate_json(raw) if raw else None

    async def get_cases(self, case_ids: Iterable[str]) -> list[Case]:
        ids = list(case_ids)
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.get(keys.case(cid))
        raws = await pipe.execute()
        return [Case.model_validate_json(r) for r in raws if r]

    async def save_case(
        self,
        case: Case,
        *,
        expected_version: int,
        audit: AuditEntry | None = None,
        mention: Mention | None = None,
    ) -> Case | None:
        """Compare-and-set: write `case` only if its stored version is still the expected one.

        Returns the stored case (with its new version), or None when someone else won.
        """
        [stored] = await self.save_cases([(case, expected_version, audit, mention)])
        return stored

    async def save_cases(
        self, writes: Sequence[tuple[Case, int, AuditEntry | None, Mention | None]]
    ) -> list[Case | None]:
        """Many compare-and-sets in one round trip (the stale scan); each wins or loses alone."""
        pipe = self.redis.pipeline(transaction=False)
        stored = []
        for case, expected, audit, mention in writes:
            new = case.model_copy(update={"version": expected + 1})
            stored.append(new)
            await self._save(
                keys=[keys.case(case.id), keys.audit(case.id), keys.mentions(case.id)],
                args=[
                    str(expected),
                    compact(new),
                    compact(audit) if audit else "",
                    stored_mention(mention) if mention else "",
                ],
                client=pipe,
            )
        results = await pipe.execute()
        return [s if ok else None for s, ok in zip(stored, results, strict=True)]

    async def reindex(self, before: Case | None, after: Case, due: datetime | None) -> None:
        """Bring the cross-slot indexes in line with `after`; safe to repeat."""
        await self.reindex_many([(before, after, due)])

    async def reindex_many(
        self, changes: Sequence[tuple[Case | None, Case, datetime | None]]
    ) -> None:
        """One round trip for many cases; their deadlines in a single ZADD and ZREM."""
        pipe = self.redis.pipeline(transaction=False)
        due: dict[str, float] = {}
        done: list[str] = []
        for before, after, when in changes:
            self._reindex(pipe, before, after)
            if when is None:
                done.append(after.id)
            else:
                due[after.id] = when.timestamp()
        if due:
            pipe.zadd(keys.DUE, due)
        if done:
            pipe.zrem(keys.DUE, *done)
        await pipe.execute()

    @staticmethod
    def _reindex(pipe: Any, before: Case | None, after: Case) -> None:
        moved = before is None or (before.department, before.state) != (
            after.department,
            after.state,
        )
        if before is not None and moved:
            pipe.srem(keys.by_state(before.department, before.state), after.id)
        if after.state in TRACKED_STATES and moved:
            pipe.sadd(keys.by_state(after.department, after.state), after.id)
        if before is None:
            pipe.hsetnx(keys.DAY_FIRST, after.created_at.date().isoformat(), after.id)
        for mkey in after.mention_keys:
            if before is None or mkey not in before.mention_keys:
                pipe.hset(keys.MENTION_CASES, mkey, after.id)

    async def case_ids(self, department: str, states: Iterable[State]) -> list[str]:
        pipe = self.redis.pipeline(transaction=False)
        for st in states:
            pipe.smembers(keys.by_state(department, st))
        found: set[str] = set()
        for members in await pipe.execute():
            found.update(members)
        return sorted(found, key=int)

    async def counts_by_state(self, departments: Iterable[str]) -> dict[tuple[str, str], int]:
        pairs = [(d, s.value) for d in departments for s in TRACKED_STATES]
        pipe = self.redis.pipeline(transaction=False)
        for d, s in pairs:
            pipe.scard(keys.by_state(d, s))
        return dict(zip(pairs, await pipe.execute(), strict=True))

    async def cases_since(self, since: datetime) -> list[Case]:
        """Cases the customer opened at or after `since`.

        Case numbers grow with time, and the lowest number of each day is kept, so the ids
        from the first day at or after `since` onwards cover every candidate; the exact
        time is then checked on the cases themselves.
        """
        days = text_map(await self.redis.hgetall(keys.DAY_FIRST))
        firsts = [int(i) for day, i in days.items() if day >= since.date().isoformat()]
        if not firsts:
            return []
        last = int(await self.redis.get(keys.CASE_SEQ) or 0)
        found: list[Case] = []
        ids = [str(i) for i in range(min(firsts), last + 1)]
        for start in range(0, len(ids), 1000):
            chunk = await self.get_cases(ids[start : start + 1000])
            found += [c for c in chunk if c.created_at >= since]
        return found

    async def due_case_ids(self, now: datetime, limit: int = 1000) -> list[str]:
        """Cases whose next deadline has passed: cost grows with what is due, not with all."""
        due = await self.redis.zrangebyscore(keys.DUE, "-inf", now.timestamp(), start=0, num=limit)
        return texts(cast(list[Raw], due))

    async def mentions(self, case_id: str) -> dict[str, Mention]:
        rows = await self.redis.lrange(keys.mentions(case_id), 0, -1)
        found = (Mention.model_validate_json(r) for r in rows)
        return {m.key: m for m in found}

    async def mentions_of(self, case_ids: Sequence[str]) -> dict[str, dict[str, Mention]]:
        """The mentions of many cases in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for cid in case_ids:
            pipe.lrange(keys.mentions(cid), 0, -1)
        out: dict[str, dict[str, Mention]] = {}
        for cid, rows in zip(case_ids, await pipe.execute(), strict=True):
            found = (Mention.model_validate_json(r) for r in rows)
            out[cid] = {m.key: m for m in found}
        return out

    async def put_mention(self, case_id: str, mention: Mention) -> None:
        """Replace a stored mention (an edit or a removal on the platform)."""
        await self._replace_mention(
            keys=[keys.mentions(case_id)], args=[mention.key, stored_mention(mention)]
        )

    async def append_audit(self, case_id: str, entry: AuditEntry) -> None:
        """History that does not change the case itself (edits and removals on the platform)."""
        await self.redis.rpush(keys.audit(case_id), compact(entry))

    async def audit_log(self, case_id: str) -> list[AuditEntry]:
        rows = await self.redis.lrange(keys.audit(case_id), 0, -1)
        return [AuditEntry.model_validate_json(r) for r in rows]

    async def audit_logs(self, case_ids: Sequence[str]) -> dict[str, list[AuditEntry]]:
        pipe = self.redis.pipeline(transaction=False)
        for cid in case_ids:
            pipe.lrange(keys.audit(cid), 0, -1)
        rows = await pipe.execute()
        return {
            cid: [AuditEntry.model_validate_json(r) for r in entries]
            for cid, entries in zip(case_ids, rows, strict=True)
        }

    # -- automatic retries of replies a platform asked us to send later ------------------

    async def schedule_retry(self, case_id: str, at: datetime, info: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.RETRY_INFO, case_id, json.dumps(info))
        pipe.zadd(keys.RETRY, {case_id: at.timestamp()})
        await pipe.execute()

    async def take_due_retries(self, now: datetime) -> list[tuple[str, dict[str, Any]]]:
        """Retries whose time has come; each is handed to exactly one caller (ZREM decides)."""
        out: list[tuple[str, dict[str, Any]]] = []
        due = await self.redis.zrangebyscore(keys.RETRY, "-inf", now.timestamp())
        for case_id in texts(cast(list[Raw], due)):
            if await self.redis.zrem(keys.RETRY, case_id):
                raw = await self.redis.hget(keys.RETRY_INFO, case_id)
                await self.redis.hdel(keys.RETRY_INFO, case_id)
                if raw:
                    out.append((case_id, json.loads(raw)))
        return out

    # -- problems other processes must see (/readyz, /metrics) ---------------------------

    async def set_problem(self, component: str, reason: str, now: datetime) -> None:
        value = json.dumps({"reason": reason, "at": now.timestamp()})
        await self.redis.hset(keys.PROBLEMS, component, value)

    async def clear_problem(self, component: str) -> None:
        await self.redis.hdel(keys.PROBLEMS, component)

    async def problems(self, now: datetime, fresh_for: float = 600.0) -> dict[str, str]:
        """Problems reported recently; a component that stopped reporting is not stuck red."""
        out: dict[str, str] = {}
        for component, raw in text_map(await self.redis.hgetall(keys.PROBLEMS)).items():
            entry = json.loads(raw)
            if now.timestamp() - float(entry["at"]) <= fresh_for:
                out[component] = str(entry["reason"])
        return out

    # -- the copy-paste check -------------------------------------------------------------

    async def published_count(self, digest: str, day: date) -> int:
        return int(await self.redis.hget(keys.published_texts(day.isoformat()), digest) or 0)

    async def count_published(self, digest: str, day: date) -> None:
        key = keys.published_texts(day.isoformat())
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(key, digest, 1)
        pipe.expire(key, 2 * 24 * 3600)
        await pipe.execute()


def _inbound(entry_id: Any, fields: dict[str, str]) -> Inbound:
    raw = fields.get("m", "")
    try:
        mention: Mention | None = Mention.model_validate_json(raw)
    except ValueError:
        mention = None
    return Inbound(str(entry_id), mention, raw)


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def connect(url: str | None) -> aioredis.Redis:
    """A Redis client for `url`, or an embedded in-process server when there is none."""
    if url and url.startswith(SENTINEL_SCHEME):
        return _sentinel_master(parse_sentinel_url(url))
    if url:
        return aioredis.from_url(url, decode_responses=True, health_check_interval=30)
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using an embedded in-memory store for this one process; "
        "all cases are lost when it exits"
    )
    return fakeredis.FakeAsyncRedis(decode_responses=True)


def _sentinel_master(target: SentinelTarget) -> aioredis.Redis:
    """A client of the master Sentinel names for `target.service`; after a failover it asks
    the sentinels again and reconnects to the new master."""
    from redis.asyncio.sentinel import Sentinel

    sentinel_kwargs = {"password": target.sentinel_password} if target.sentinel_password else {}
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.sentinels),
        sentinel_kwargs=sentinel_kwargs,
        username=target.username,
        password=target.password,
        db=target.db,
        decode_responses=True,
        health_check_interval=30,
    )
    master: aioredis.Redis = sentinel.master_for(target.service, decode_responses=True)
    return master


def compact(model: BaseModel) -> str:
    """JSON without the fields that hold their defaults: memory per open case is a target."""
    return model.model_dump_json(exclude_defaults=True)


def stored_mention(mention: Mention) -> str:
    """A mention as kept in its case, with its key so an edit can find it in the list."""
    data = json.loads(compact(mention))
    data["key"] = mention.key
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
