"""The cross-slot indexes: open cases by department and state, deadlines, mention -> case,
and each customer's cases (by platform and author id, and by handle across platforms).

They follow a successful case write and are idempotent, so a crash in between is repaired by
the redelivery the inbound stream guarantees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis.asyncio as aioredis

from chatops import keys
from chatops.domain import OPEN_STATES, Case, Mention, State
from chatops.redis_text import Raw, maybe_text, text, texts

TRACKED_STATES = [s for s in State if s not in (State.CLOSED, State.DISMISSED)]
"""States with an index set; closed and dismissed grow forever and are not listed."""

TALLY_TTL_S = 3 * 24 * 3600
"""A day's tally is read while it may still be "today" somewhere, then forgotten."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

IndexChange = tuple[Case | None, Case, datetime | None]
"""A case before and after a write (None before: new), and its next deadline (None: none)."""


class Indexes:
    """What finds cases without reading them all."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._add_case = redis.register_script(_ADD_CASE)
        self._drop_cases = redis.register_script(_DROP_CASES)
        self._drop_named = redis.register_script(_DROP_NAMED)
        self._due = redis.register_script(_DUE)

    async def reindex(
        self,
        before: Case | None,
        after: Case,
        due: datetime | None,
        *,
        mention: Mention | None = None,
    ) -> None:
        """Bring the cross-slot indexes in line with `after`, and with `mention` (one that
        joined it) among its author's cases, in one round trip; safe to repeat."""
        await self.reindex_many([(before, after, due)], mention=(after, mention))

    async def reindex_many(
        self,
        changes: Sequence[IndexChange],
        *,
        mention: tuple[Case, Mention | None] | None = None,
    ) -> None:
        """One round trip for many cases; their deadlines in one ZADD and ZREM per bucket,
        and out of the previous layout's one zset (where they were until this write)."""
        pipe = self.redis.pipeline(transaction=False)
        if mention is not None:
            case, m = mention
            for index, field in _author_fields(m) if m is not None else []:
                await self._add_case(
                    keys=[keys.bucket(index, field), index], args=[field, case.id], client=pipe
                )
        due: dict[str, dict[str, int]] = defaultdict(dict)
        done: dict[str, list[str]] = defaultdict(list)
        for before, after, when in changes:
            _reindex(pipe, before, after)
            if when is None:
                done[keys.due(after.id)].append(after.id)
            else:
                due[keys.due(after.id)][after.id] = due_score(when)
        for key, scores in due.items():
            pipe.zadd(key, scores)
        for key, ids in done.items():
            pipe.zrem(key, *ids)
        if changes:
            pipe.zrem(keys.DUE, *{after.id for _, after, _ in changes})
        await pipe.execute()

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

    async def owned(self, owner: str) -> list[str]:
        """The open cases `owner` owns, by number."""
        found = cast(list[Raw], await self.redis.smembers(keys.by_owner(owner)))
        return sorted(texts(found), key=int)

    async def tallies(
        self, departments: Iterable[str], since: datetime, now: datetime
    ) -> tuple[int, int]:
        """(cases opened, cases first answered) in `departments` from the hour of `since` to
        now: the hourly tallies `reindex` keeps, so a day in any whole-hour zone is exact."""
        hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        hours = []
        while hour <= now:
            hours.append(_hour(hour))
            hour += timedelta(hours=1)
        wanted = [(h, d, w) for h in hours for d in departments for w in ("new", "answered")]
        pipe = self.redis.pipeline(transaction=False)
        for h, d, w in wanted:
            pipe.scard(keys.tally(h, d, w))
        counts = await pipe.execute()
        new = sum(n for (_, _, w), n in zip(wanted, counts, strict=True) if w == "new")
        return new, sum(counts) - new

    async def due(self, now: datetime, limit: int = 1000) -> list[str]:
        """Cases whose next deadline has passed, the earliest first, at most `limit`: cost
        grows with what is due, not with all. One script reads every bucket and the previous
        layout's zset."""
        found = await self._due(
            keys=[keys.DUE, *keys.due_buckets()],
            args=[due_score(now), repr(now.timestamp()), limit],
        )
        return texts(cast(list[Raw], found))

    async def cases_of_author(self, platform: str, author_id: str, handle: str) -> list[str]:
        """The case ids of one customer, newest first: theirs on `platform`, and those of
        anyone writing as `handle` on any platform (a handle alone may match another person
        of the same name elsewhere; the card says which cases it counts)."""
        return await self._indexed(platform, author_id, handle, keys.AUTHOR_CASES_KEPT)

    async def every_case_of(self, platform: str, author_id: str, handle: str) -> list[str]:
        """Every case id indexed for an author id on `platform` and for `handle` on any
        platform, newest first: what an erasure or an export on request starts from."""
        return await self._indexed(platform, author_id, handle, 0)

    async def _indexed(self, platform: str, author_id: str, handle: str, newest: int) -> list[str]:
        pipe = self.redis.pipeline(transaction=False)
        if author_id:
            for key in _held(keys.AUTHORS, f"{platform}:{author_id}"):
                pipe.hget(key, f"{platform}:{author_id}")
            pipe.zrange(keys.author_cases(platform, author_id), 0, -1)
        handle = handle_key(handle)
        if handle:
            for key in _held(keys.HANDLES, handle):
                pipe.hget(key, handle)
            pipe.zrange(keys.handle_cases(handle), 0, -1)
        found: set[str] = set()
        for reply in await pipe.execute():
            if isinstance(reply, list):
                found.update(texts(reply))
            elif reply:
                found.update(text(reply).split())
        ordered = sorted(found, key=int, reverse=True)
        return ordered[:newest] if newest else ordered

    async def unindex_author(
        self, platform: str, author_ids: Iterable[str], handles: Mapping[str, Iterable[str]]
    ) -> int:
        """Forget an erased person's indexes: their author ids on `platform` entirely, and
        the given cases under each handle (a handle's other cases may be someone else's on
        another platform; an emptied handle index is gone with its last case). Returns how
        many index entries held them."""
        pipe = self.redis.pipeline(transaction=False)
        for author_id in author_ids:
            for key in _held(keys.AUTHORS, f"{platform}:{author_id}"):
                pipe.hdel(key, f"{platform}:{author_id}")
            pipe.delete(keys.author_cases(platform, author_id))
        for handle, case_ids in handles.items():
            ids = list(case_ids)
            if handle_key(handle) and ids:
                for key in _held(keys.HANDLES, handle_key(handle)):
                    await self._drop_cases(keys=[key], args=[handle_key(handle), *ids], client=pipe)
                pipe.zrem(keys.handle_cases(handle_key(handle)), *ids)
        return sum(1 for n in await pipe.execute() if n)

    async def forget_case(self, case_id: str, mentions: Iterable[Mention]) -> None:
        """A deleted case leaves every index: its conversations and mentions (only where they
        still name it), its deadlines and retries, its state and owner sets, and the cases of
        the authors of `mentions`. Safe to repeat."""
        mentions = list(mentions)
        conversations = {m.conversation_key for m in mentions}
        pipe = self.redis.pipeline(transaction=False)
        await self._drop_named(
            keys=[keys.CONVERSATIONS], args=[case_id, *conversations], client=pipe
        )
        for conversation in conversations:
            await self._drop_named(
                keys=[keys.bucket(keys.CONVERSATIONS, conversation)],
                args=[case_id, conversation],
                client=pipe,
            )
        await self._drop_named(
            keys=[keys.MENTION_CASES], args=[case_id, *(m.key for m in mentions)], client=pipe
        )
        for m in mentions:
            await self._drop_named(
                keys=[keys.bucket(keys.MENTION_CASES, m.key)], args=[case_id, m.key], client=pipe
            )
        pipe.zrem(keys.due(case_id), case_id)
        pipe.zrem(keys.DUE, case_id)
        pipe.zrem(keys.RETRY, case_id)
        pipe.hdel(keys.RETRY_INFO, case_id)
        for m in mentions:
            for index, field in _author_fields(m):
                for key in _held(index, field):
                    await self._drop_cases(keys=[key], args=[field, case_id], client=pipe)
            if m.author.id:
                pipe.zrem(keys.author_cases(m.platform, m.author.id), case_id)
            if handle := handle_key(m.author.handle):
                pipe.zrem(keys.handle_cases(handle), case_id)
        await pipe.execute()

    async def restore_case(self, case: Case, mentions: Iterable[Mention]) -> None:
        """Undo `forget_case` for a case that was not deleted after all (retention lost a
        race with a reopening): its conversations where no newer case took them, its mentions
        and its authors' cases. Safe to repeat."""
        pipe = self.redis.pipeline(transaction=False)
        for m in mentions:
            pipe.hsetnx(
                keys.bucket(keys.CONVERSATIONS, m.conversation_key), m.conversation_key, case.id
            )
            for index, field in _author_fields(m):
                await self._add_case(
                    keys=[keys.bucket(index, field), index], args=[field, case.id], client=pipe
                )
        for mkey in case.mention_keys:
            pipe.hset(keys.bucket(keys.MENTION_CASES, mkey), mkey, case.id)
        await pipe.execute()

    async def mark_gone(self, mention_key: str, ttl_s: int) -> None:
        """Remember that the author removed `mention_key` (see keys.gone)."""
        await self.redis.set(keys.gone(mention_key), "1", ex=ttl_s)

    async def is_gone(self, mention_key: str) -> bool:
        return bool(await self.redis.exists(keys.gone(mention_key)))

    async def case_for_mention(self, mention_key: str) -> str | None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(keys.bucket(keys.MENTION_CASES, mention_key), mention_key)
        pipe.hget(keys.MENTION_CASES, mention_key)  # recorded before the buckets
        now, before = await pipe.execute()
        found = maybe_text(now) or maybe_text(before)
        return None if found in (None, keys.PENDING) else found

    async def mention_count(self) -> int:
        """Distinct new mentions accepted (recorded in a case, or waiting for a worker)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hlen(keys.MENTION_CASES)
        for key in keys.buckets(keys.MENTION_CASES):
            pipe.hlen(key)
        return sum(int(n) for n in await pipe.execute())


def due_score(when: datetime) -> int:
    """A deadline as its zset score: epoch milliseconds, an integer, which a listpack keeps in
    5-9 bytes where a float's digits take ~18 (a deadline read up to 1 ms early is harmless:
    the stale scan checks each case's own times)."""
    return (when - _EPOCH) // _MILLISECOND


def _reindex(pipe: Any, before: Case | None, after: Case) -> None:
    moved = before is None or (before.department, before.state) != (after.department, after.state)
    if before is not None and moved:
        pipe.srem(keys.by_state(before.department, before.state), after.id)
    if after.state in TRACKED_STATES and moved:
        pipe.sadd(keys.by_state(after.department, after.state), after.id)
    if before is None:
        pipe.hsetnx(keys.DAY_FIRST, after.created_at.date().isoformat(), after.id)
        _count(pipe, after.department, after.created_at, "new", after.id)
    if after.first_response_at is not None and (before is None or not before.first_response_at):
        _count(pipe, after.department, after.first_response_at, "answered", after.id)
    _reindex_owner(pipe, before, after)
    for mkey in after.mention_keys:
        if before is None or mkey not in before.mention_keys:
            pipe.hset(keys.bucket(keys.MENTION_CASES, mkey), mkey, after.id)
            pipe.hdel(keys.MENTION_CASES, mkey)  # its "pending" mark of the previous layout


def _reindex_owner(pipe: Any, before: Case | None, after: Case) -> None:
    """Open cases by owner: a case leaves its old owner's set when it changes hands or closes."""
    was = before.owner if before is not None and before.state in OPEN_STATES else None
    now = after.owner if after.state in OPEN_STATES else None
    if was and was != now:
        pipe.srem(keys.by_owner(was), after.id)
    if now and (before is None or was != now):
        pipe.sadd(keys.by_owner(now), after.id)


def _count(pipe: Any, department: str, at: datetime, what: str, case_id: str) -> None:
    key = keys.tally(_hour(at), department, what)
    pipe.sadd(key, case_id)
    pipe.expire(key, TALLY_TTL_S)


def _hour(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H")


def handle_key(handle: str) -> str:
    """A handle as indexed: lower-case, without `@`; "" for none."""
    return handle.strip().lstrip("@").strip().lower()


def _held(index: str, field: str) -> tuple[str, str]:
    """The hashes that may hold `field` of a bucketed index: its bucket, and the previous
    layout's one hash (until the field moves at its author's next case)."""
    return keys.bucket(index, field), index


def _author_fields(mention: Mention) -> list[tuple[str, str]]:
    """Where a mention's author is indexed: (bucketed index, field) by id and by handle."""
    author = mention.author
    found = [(keys.AUTHORS, f"{mention.platform}:{author.id}")] if author.id else []
    if handle := handle_key(author.handle):
        found.append((keys.HANDLES, handle))
    return found


_ADD_CASE = """
-- KEYS: the field's bucket, the previous layout's hash; ARGV: field, case id
local ids, seen = {}, {}
for k = 2, 1, -1 do
  local cur = redis.call('HGET', KEYS[k], ARGV[1])
  if cur then
    for id in string.gmatch(cur, '%S+') do
      if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
    end
  end
end
local moved = redis.call('HDEL', KEYS[2], ARGV[1])
if seen[ARGV[2]] and moved == 0 then return 0 end
if not seen[ARGV[2]] then ids[#ids + 1] = ARGV[2] end
redis.call('HSET', KEYS[1], ARGV[1], table.concat(ids, ' '))
return 1
"""
"""Every case of an author (an erasure or export on request must find them all) as one field
of a bucket hash, ids space-separated: ~25 bytes per author in a listpack-encoded bucket
where a zset of their own cost ~120. An entry of the previous layout's one hash moves into
the bucket here. Case numbers grow with time, so the highest are the newest."""

_DROP_CASES = """
-- KEYS: the index hash; ARGV: field, case ids to drop
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local drop = {}
for i = 2, #ARGV do drop[ARGV[i]] = true end
local ids = {}
for id in string.gmatch(cur, '%S+') do
  if not drop[id] then ids[#ids + 1] = id end
end
if #ids == 0 then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], table.concat(ids, ' ')) end
return 1
"""

_DROP_NAMED = """
-- KEYS: a hash of name -> case id; ARGV: the case id, then names to drop where they name it
local n = 0
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
    n = n + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return n
"""

_DUE = """
-- KEYS: the previous layout's one zset (epoch s), then every bucket (epoch ms)
-- ARGV: now in epoch ms, now in epoch s, the most to return
local limit = tonumber(ARGV[3])
local found, seen = {}, {}
for i = 2, #KEYS do
  local got = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit)
  for j = 1, #got, 2 do
    seen[got[j]] = true
    found[#found + 1] = {tonumber(got[j + 1]), got[j]}
  end
end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, limit)
for j = 1, #old, 2 do
  if not seen[old[j]] then found[#found + 1] = {tonumber(old[j + 1]) * 1000, old[j]} end
end
table.sort(found, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
local out = {}
if limit < 0 then limit = #found end
for i = 1, math.min(limit, #found) do out[i] = found[i][2] end
return out
"""
"""The due cases across the buckets, as one ZRANGEBYSCORE over one zset gave them: by
deadline (then by id), at most `limit` (each bucket gives at most that many, so the earliest
are among them wherever they are). A case still in the previous layout's zset counts there
until its next write moves it into its bucket (found in both, it counts once, at the
bucket's deadline when that one is due; a write cut off between its ZADD and ZREM may leave
it found early, which the stale scan checks and the case's next write repairs)."""
