"""Storm groups in Redis: which group a mention joins, when a group becomes a storm and when
a storm goes quiet, shared by every worker.

Per department (its keys share one hash slot, `keys.StormKeys`): each key of a recent mention
(a similarity band or a tie, chatops/storm/detect.py) points to the group holding it, for
`max(within, quiet)`; a group keeps its members (mention keys) and its authors by time, and a
hash of its state. One Lua script per mention looks up the groups its keys point to, joins the
right one (or numbers a new one), re-points the keys and opens the storm when enough people
wrote within the window: one round trip, atomic, so workers observing at once agree.

Choices:
- A storm counts people, not mentions: one author repeating themselves is the flood guard's
  (chatops/flood.py), so an author counts once, however often they write.
- A mention whose keys reach several groups joins the oldest open storm, else the oldest
  forming group; the other forming groups it bridges are merged into that one (their members
  and authors move, the group records `into`). Open storms are never merged: each may have a
  thread of its own by now; the bridge only re-points its keys to the storm it joined.
- A forming group keeps only the window's members; an open storm keeps all of them (they are
  its members to answer) and its record outlives it by `KEEP` after closing.
- A storm whose newest member is `quiet` old takes no new members (a new group starts) even
  before the closing sweep (`close_quiet`) marks it closed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import redis.asyncio as aioredis

from chatops.keys import StormKeys
from chatops.redis_text import Raw, maybe_text, text_map, texts
from chatops.redis_text import text as _text
from chatops.store.codec import REPLACE_LINE

KEEP = timedelta(days=7)
"""How long a storm's record (state, members) stays after its last member."""

_ASSIGN = """
local prefix, member, author = ARGV[1], ARGV[2], ARGV[3]
local now, since = tonumber(ARGV[4]), ARGV[5]
local quiet, threshold = tonumber(ARGV[6]), tonumber(ARGV[7])
local ttl, keep = tonumber(ARGV[8]), tonumber(ARGV[9])
local function g(id) return prefix .. ':g:' .. id end

local function live(id)
  for _ = 1, 32 do
    local st = redis.call('HMGET', g(id), 'state', 'last', 'into')
    if st[1] == 'merged' then
      id = st[3]
    elseif st[1] == 'forming' then
      return id, 'forming'
    elseif st[1] == 'open' and now - tonumber(st[2]) < quiet then
      return id, 'open'
    else
      return nil, nil
    end
  end
  return nil, nil
end

local found, order = {}, {}
for i = 3, #KEYS do
  local id = redis.call('GET', KEYS[i])
  if id then
    local gid, state = live(id)
    if gid and not found[gid] then
      found[gid] = state
      order[#order + 1] = gid
    end
  end
end

local function verdict(id, new, opened, merged)
  local state = redis.call('HGET', g(id), 'state')
  local out = {id, new, opened, state == 'open' and 1 or 0,
               redis.call('ZCARD', g(id) .. ':m'), redis.call('ZCARD', g(id) .. ':a')}
  for _, m in ipairs(merged) do out[#out + 1] = m end
  return out
end

for _, gid in ipairs(order) do
  if redis.call('ZSCORE', g(gid) .. ':m', member) then return verdict(gid, 0, 0, {}) end
end

local target, tstate = nil, nil
for _, gid in ipairs(order) do
  local s = found[gid]
  if target == nil or (s == 'open' and tstate ~= 'open')
     or (s == tstate and tonumber(gid) < tonumber(target)) then
    target, tstate = gid, s
  end
end

local merged = {}
if target == nil then
  target = tostring(redis.call('INCR', KEYS[1]))
  tstate = 'forming'
  redis.call('HSET', g(target), 'state', 'forming', 'created', ARGV[4], 'last', ARGV[4])
else
  for _, gid in ipairs(order) do
    if gid ~= target and found[gid] == 'forming' then
      for _, part in ipairs({':m', ':a'}) do
        redis.call('ZUNIONSTORE', g(target) .. part, 2, g(target) .. part, g(gid) .. part,
                   'AGGREGATE', 'MAX')
        redis.call('DEL', g(gid) .. part)
      end
      redis.call('HSET', g(gid), 'state', 'merged', 'into', target)
      redis.call('EXPIRE', g(gid), ttl)
      merged[#merged + 1] = gid
    end
  end
end

local mk, ak = g(target) .. ':m', g(target) .. ':a'
redis.call('ZADD', mk, ARGV[4], member)
redis.call('ZADD', ak, ARGV[4], author)
if tonumber(redis.call('HGET', g(target), 'last')) < now then
  redis.call('HSET', g(target), 'last', ARGV[4])
end
local opened = 0
local life = keep
if tstate == 'forming' then
  redis.call('ZREMRANGEBYSCORE', mk, '-inf', '(' .. since)
  redis.call('ZREMRANGEBYSCORE', ak, '-inf', '(' .. since)
  if redis.call('ZCARD', ak) >= threshold then
    redis.call('HSET', g(target), 'state', 'open', 'opened', ARGV[4])
    opened = 1
  else
    life = ttl
  end
end
if opened == 1 or tstate == 'open' then
  redis.call('ZADD', KEYS[2], ARGV[4], target)
end
for _, key in ipairs({g(target), mk, ak}) do redis.call('EXPIRE', key, life) end
for i = 3, #KEYS do redis.call('SET', KEYS[i], target, 'EX', ttl) end
return verdict(target, 1, opened, merged)
"""

_CLOSE = """
local prefix, cutoff, quiet, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[5]))
local out = {}
for _, id in ipairs(due) do
  local key = prefix .. ':g:' .. id
  local st = redis.call('HMGET', key, 'state', 'last', 'opened')
  redis.call('ZREM', KEYS[1], id)
  if st[1] == 'open' and tonumber(st[2]) <= cutoff then
    local closed = string.format('%.6f', tonumber(st[2]) + quiet)
    redis.call('HSET', key, 'state', 'closed', 'closed', closed)
    for _, k in ipairs({key, key .. ':m', key .. ':a'}) do redis.call('EXPIRE', k, keep) end
    out[#out + 1] = {id, st[3], st[2], closed, redis.call('ZCARD', key .. ':m'),
                     redis.call('ZCARD', key .. ':a')}
  end
end
return out
"""

_ROSTER = """
local added = 0
for i = 1, #ARGV - 1, 2 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    added = added + 1
  end
end
if added > 0 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[#ARGV]))
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[#ARGV]))
end
return added
"""
"""Append the members (ARGV: key, JSON pairs, then the TTL) not listed yet, atomically."""

_ESCALATE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'tier') or '-1') >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'tier', ARGV[1])
return 1
"""
"""Advance the storm's escalation tier to ARGV[1] unless it is there already (compare-and-set)."""

CLOSE_BATCH = 100
"""Storms closed per department in one sweep call (the rest in the next)."""


@dataclass(frozen=True)
class Verdict:
    """Where a mention went: its group and what that group is now."""

    department: str
    group: str
    new: bool
    """The mention joined now (False: it was a member already, a redelivery)."""
    opened: bool
    """This mention made the group a storm: true for exactly one mention of each storm."""
    storm: bool
    """The group is an open storm."""
    members: int
    """Mentions in the group (a forming group: those within the window)."""
    people: int
    """Different authors in the group (a forming group: within the window)."""
    merged: tuple[str, ...] = ()
    """Forming groups this mention bridged, now part of `group`."""


@dataclass(frozen=True)
class Closed:
    """A storm that went quiet."""

    department: str
    group: str
    opened_at: datetime
    last_at: datetime
    closed_at: datetime
    """When it went quiet: its last member's time plus `quiet`."""
    members: int
    people: int


@dataclass(frozen=True)
class Group:
    """A group's record, as stored."""

    department: str
    group: str
    state: str  # forming, open, closed, merged
    created_at: datetime
    last_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    into: str | None
    members: int
    people: int
    tier: int = -1
    """The last escalation tier taken for the storm (-1: none; escalation/storms.py)."""


@dataclass(frozen=True)
class Member:
    """A storm member as its storm thread shows it (the summary's figures, a batch's line):
    what was known when it joined, kept with the storm so a summary never reads 300 cases."""

    key: str
    """The mention's key."""
    case_id: str
    at: float
    """When it joined (epoch seconds)."""
    platform: str
    author: str
    """The author's name or handle as shown."""
    followers: int | None
    language: str | None
    text: str
    """The start of what they wrote (`ROSTER_TEXT` characters)."""
    own: str = ""
    """Why it also has a thread of its own ("sensitive", "earlier"); empty: listed only."""
    author_id: str = ""

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> Member:
        return cls(**json.loads(raw))


ROSTER_TEXT = 300
"""Characters of a member's text kept in the roster (a summary shows less)."""


def _at(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value else None


class Storms:
    """The groups of every department, over one Redis client."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._assign = redis.register_script(_ASSIGN)
        self._close = redis.register_script(_CLOSE)
        self._roster = redis.register_script(_ROSTER)
        self._escalate = redis.register_script(_ESCALATE)
        self._replace = redis.register_script(REPLACE_LINE)

    async def assign(
        self,
        department: str,
        tokens: Sequence[str],
        *,
        member: str,
        author: str,
        now: datetime,
        within: timedelta,
        quiet: timedelta,
        threshold: int,
    ) -> Verdict:
        """Put mention `member` (by `author`) with the keys `tokens` into its group, atomically."""
        k = StormKeys(department)
        at = now.timestamp()
        ttl = max(within, quiet)
        raw = await self._assign(
            keys=[k.seq, k.open, *(k.token(token) for token in tokens)],
            args=[
                k.prefix,
                member,
                author,
                repr(at),
                repr(at - within.total_seconds()),
                quiet.total_seconds(),
                threshold,
                max(1, int(ttl.total_seconds())),
                int(KEEP.total_seconds()),
            ],
        )
        group, new, opened, storm, members, people, *merged = raw
        return Verdict(
            department=department,
            group=_text(group),
            new=bool(new),
            opened=bool(opened),
            storm=bool(storm),
            members=int(members),
            people=int(people),
            merged=tuple(_text(m) for m in merged),
        )

    async def close_quiet(self, department: str, now: datetime, quiet: timedelta) -> list[Closed]:
        """Close the department's storms whose newest member is `quiet` old; each is returned
        by exactly one caller, however many sweep at once."""
        k = StormKeys(department)
        raw = await self._close(
            keys=[k.open],
            args=[
                k.prefix,
                repr(now.timestamp() - quiet.total_seconds()),
                quiet.total_seconds(),
                int(KEEP.total_seconds()),
                CLOSE_BATCH,
            ],
        )
        closed = []
        for group, opened, last, closed_at, members, people in raw:
            closed.append(
                Closed(
                    department=department,
                    group=_text(group),
                    opened_at=_at(_text(opened)) or now,
                    last_at=_at(_text(last)) or now,
                    closed_at=_at(_text(closed_at)) or now,
                    members=int(members),
                    people=int(people),
                )
            )
        return closed

    async def group(self, department: str, group: str) -> Group | None:
        """The stored record of one group (None once it expired)."""
        k = StormKeys(department)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(k.group(group))
        pipe.zcard(k.members(group))
        pipe.zcard(k.authors(group))
        fields, members, people = await pipe.execute()
        state = text_map(fields)
        if not state:
            return None
        return Group(
            department=department,
            group=group,
            state=state["state"],
            created_at=_at(state.get("created")) or datetime.min.replace(tzinfo=UTC),
            last_at=_at(state.get("last")) or datetime.min.replace(tzinfo=UTC),
            opened_at=_at(state.get("opened")),
            closed_at=_at(state.get("closed")),
            into=state.get("into"),
            members=int(members),
            people=int(people),
            tier=int(state.get("tier") or -1),
        )

    async def escalate(self, department: str, group: str, tier: int) -> bool:
        """Record that the storm's escalation `tier` was taken: True for exactly one caller,
        however many schedulers scan at once (False also once the record expired)."""
        taken = await self._escalate(keys=[StormKeys(department).group(group)], args=[tier])
        return bool(taken)

    async def members(self, department: str, group: str) -> list[str]:
        """The group's mention keys, oldest first."""
        found = await self.redis.zrange(StormKeys(department).members(group), 0, -1)
        return texts(cast(list[Raw], found))

    async def joined(self, department: str, group: str) -> list[tuple[str, datetime]]:
        """The group's mention keys with when each joined, oldest first."""
        key = StormKeys(department).members(group)
        found = cast(list[tuple[Raw, float]], await self.redis.zrange(key, 0, -1, withscores=True))
        return [(_text(member), datetime.fromtimestamp(float(at), UTC)) for member, at in found]

    async def enlist(self, department: str, group: str, members: Sequence[Member]) -> int:
        """Add members to the storm's roster (each once, in order); returns how many were new."""
        if not members:
            return 0
        k = StormKeys(department)
        args: list[str | int] = []
        for member in members:
            args += [member.key, member.dumps()]
        args.append(int(KEEP.total_seconds()))
        added = await self._roster(keys=[k.roster(group), k.rostered(group)], args=args)
        return int(added)

    async def groups_of(self, department: str, author: str) -> list[str]:
        """The department's groups (forming, open or kept after closing) that count `author`
        (`platform:author id`): a scan of their author sets, for an erasure on request."""
        k = StormKeys(department)
        pattern = k.authors("*")
        found = []
        async for raw in self.redis.scan_iter(match=pattern, count=1000):
            key = _text(raw)
            if await self.redis.zscore(key, author) is not None:
                found.append(key.removeprefix(f"{k.prefix}:g:").removesuffix(":a"))
        return found

    async def rewrite_author(
        self,
        department: str,
        group: str,
        author: str,
        pseudonym: str,
        change: Callable[[Member], Member],
    ) -> list[int]:
        """An erasure on request: `author` (`platform:author id`) counts on as `pseudonym`
        (the storm's figures stay), and their roster lines become what `change` makes of
        them. Returns the roster positions changed."""
        k = StormKeys(department)
        at = await self.redis.zscore(k.authors(group), author)
        if at is not None:
            pipe = self.redis.pipeline(transaction=True)
            pipe.zrem(k.authors(group), author)
            pipe.zadd(k.authors(group), {pseudonym: at})
            await pipe.execute()
        return await self.rewrite_roster(department, group, lambda m: m.author_id == author, change)

    async def rewrite_roster(
        self,
        department: str,
        group: str,
        which: Callable[[Member], bool],
        change: Callable[[Member], Member],
    ) -> list[int]:
        """Replace the roster lines `which` picks by what `change` makes of them (each only
        if it is still the line that was read); returns their positions (0-based)."""
        k = StormKeys(department)
        rows = texts(await self.redis.lrange(k.roster(group), 0, -1))
        done = []
        for i, raw in enumerate(rows):
            member = Member.loads(raw)
            if not which(member):
                continue
            new = change(member).dumps()
            if await self._replace(keys=[k.roster(group)], args=[i, raw, new]):
                done.append(i)
        return done

    async def roster(self, department: str, group: str, start: int = 0) -> list[Member]:
        """The storm's members from position `start` on, in the order they joined."""
        found = await self.redis.lrange(StormKeys(department).roster(group), start, -1)
        return [Member.loads(raw) for raw in texts(found)]

    async def open_groups(self, department: str) -> list[str]:
        """The department's open storms (not yet swept closed), the one quiet longest first."""
        found = await self.redis.zrange(StormKeys(department).open, 0, -1)
        return texts(cast(list[Raw], found))


@dataclass(frozen=True)
class Statement:
    """A storm's holding statement: what comms wrote (or approved), in which language, by whom."""

    text: str
    language: str | None
    writer: str


@dataclass(frozen=True)
class PublishJob:
    """A storm's publish-to-all (issue 13 item 4): who started it, what it sends, how far."""

    by: str
    statement: Statement
    running: bool
    started_at: datetime | None
    answered: int
    """Members it answered."""
    failed: dict[str, str]
    """Case id -> why it could not answer that member (until a retry)."""


_LOCK = """
local held = tonumber(redis.call('HGET', KEYS[1], 'lock_until') or '0')
local holder = redis.call('HGET', KEYS[1], 'lock')
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if holder and holder ~= ARGV[1] and held > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'lock', ARGV[1], 'lock_until', ARGV[3])
return 1
"""
"""Take (or keep) the job for runner ARGV[1] until ARGV[3] unless another holds it beyond now."""


_START = """
if redis.call('HGET', KEYS[1], 'state') == 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'running', 'started', ARGV[2], 'by', ARGV[3],
           'text', ARGV[4], 'language', ARGV[5], 'writer', ARGV[6])
redis.call('HDEL', KEYS[1], 'lock', 'lock_until')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
"""
"""Start the job (ARGV: group, now, by, text, language, writer, TTL) unless it is running."""


class Publishing:
    """Publish-to-all jobs of storms, over the storms' keys (a job lives as long as its storm)."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._lock = redis.register_script(_LOCK)
        self._start = redis.register_script(_START)

    async def say(self, department: str, group: str, statement: Statement, now: datetime) -> None:
        """Set the storm's holding statement (a new one replaces the old; a job under way goes
        on with the one it was started with)."""
        key = StormKeys(department).statement(group)
        fields: dict[str | bytes | bytearray | memoryview | int | float, str] = {
            "text": statement.text,
            "language": statement.language or "",
            "writer": statement.writer,
            "at": repr(now.timestamp()),
        }
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping=fields)
        pipe.expire(key, int(KEEP.total_seconds()))
        await pipe.execute()

    async def statement(self, department: str, group: str) -> Statement | None:
        found = text_map(await self.redis.hgetall(StormKeys(department).statement(group)))
        if not found.get("text"):
            return None
        return Statement(found["text"], found.get("language") or None, found.get("writer", ""))

    async def start(
        self, department: str, group: str, by: str, statement: Statement, now: datetime
    ) -> bool:
        """Start (or retry) the storm's publish-to-all with `statement`: the failed members are
        tried again, the answered never. False when one is running already."""
        k = StormKeys(department)
        started = await self._start(
            keys=[k.publishing(group), k.failed(group), k.publish_due],
            args=[
                group,
                repr(now.timestamp()),
                by,
                statement.text,
                statement.language or "",
                statement.writer,
                int(KEEP.total_seconds()),
            ],
        )
        return bool(started)

    async def job(self, department: str, group: str) -> PublishJob | None:
        k = StormKeys(department)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(k.publishing(group))
        pipe.scard(k.answered(group))
        pipe.hgetall(k.failed(group))
        fields, answered, failed = await pipe.execute()
        found = text_map(fields)
        if not found:
            return None
        return PublishJob(
            by=found.get("by", ""),
            statement=Statement(
                found.get("text", ""), found.get("language") or None, found.get("writer", "")
            ),
            running=found.get("state") == "running",
            started_at=_at(found.get("started")),
            answered=int(answered),
            failed=text_map(failed),
        )

    async def due(self, department: str, now: datetime) -> list[str]:
        """The department's storms whose job a runner may go on with now."""
        found = await self.redis.zrangebyscore(
            StormKeys(department).publish_due, "-inf", repr(now.timestamp())
        )
        return texts(cast(list[Raw], found))

    async def take(
        self, department: str, group: str, runner: str, now: datetime, hold: timedelta
    ) -> bool:
        """Hold the job for `runner` until `now + hold` (renewed as it goes); False while
        another runner holds it or the job is not running."""
        k = StormKeys(department)
        until = now + hold
        taken = await self._lock(
            keys=[k.publishing(group)],
            args=[runner, repr(now.timestamp()), repr(until.timestamp())],
        )
        return bool(taken)

    async def release(self, department: str, group: str, runner: str) -> None:
        key = StormKeys(department).publishing(group)
        if maybe_text(await self.redis.hget(key, "lock")) == runner:
            await self.redis.hdel(key, "lock", "lock_until")

    async def defer(self, department: str, group: str, until: datetime) -> None:
        """The platform asked to slow down: no runner goes on with the job before `until`."""
        await self.redis.zadd(StormKeys(department).publish_due, {group: until.timestamp()})

    async def answered(self, department: str, group: str, case_id: str) -> None:
        k = StormKeys(department)
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(k.answered(group), case_id)
        pipe.hdel(k.failed(group), case_id)
        pipe.expire(k.answered(group), int(KEEP.total_seconds()))
        await pipe.execute()

    async def is_answered(self, department: str, group: str) -> set[str]:
        return set(texts(await self.redis.smembers(StormKeys(department).answered(group))))

    async def failed(self, department: str, group: str, case_id: str, reason: str) -> None:
        k = StormKeys(department)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(k.failed(group), case_id, reason)
        pipe.expire(k.failed(group), int(KEEP.total_seconds()))
        await pipe.execute()

    async def finish(self, department: str, group: str) -> None:
        """Every member was tried: the job is done (a retry starts it again)."""
        k = StormKeys(department)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(k.publishing(group), "state", "done")
        pipe.hdel(k.publishing(group), "lock", "lock_until")
        pipe.zrem(k.publish_due, group)
        await pipe.execute()
