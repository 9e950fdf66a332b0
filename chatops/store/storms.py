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
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import redis.asyncio as aioredis

from chatops.keys import StormKeys
from chatops.redis_text import Raw, text_map, texts
from chatops.redis_text import text as _text

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
        )

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

    async def roster(self, department: str, group: str, start: int = 0) -> list[Member]:
        """The storm's members from position `start` on, in the order they joined."""
        found = await self.redis.lrange(StormKeys(department).roster(group), start, -1)
        return [Member.loads(raw) for raw in texts(found)]

    async def open_groups(self, department: str) -> list[str]:
        """The department's open storms (not yet swept closed), the one quiet longest first."""
        found = await self.redis.zrange(StormKeys(department).open, 0, -1)
        return texts(cast(list[Raw], found))
