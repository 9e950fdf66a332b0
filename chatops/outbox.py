"""The outbox both chat backends write through: queued in Redis, rate-limited, retried.

What is the same for Slack and Teams lives here; each backend's outbox (chatops/slack/outbox.py,
chatops/teams/outbox.py) adds only its wire calls and how its errors read.

- One FIFO per channel keeps a case's message before its thread replies. The write being sent
  sits in an "inflight" slot; a sender that crashes leaves it there and the next one retries it
  (after asking the backend whether the case message was posted after all).
- A lease per channel lets one sender at a time drain it; any number of processes run one.
- A token bucket per channel (posts) and one for updates, shared by every process through Redis,
  spends the chat's own limit; a rate limit answer pauses the channel for exactly `Retry-After`
  and empties our bucket, so that no burst follows the pause.
- Network errors and 5xx mean the chat is down, not one channel: every write waits, and one
  write at a time probes it with a short exponential backoff (capped at `MAX_BACKOFF_S`, with
  jitter, shared by every process through Redis), so that writing resumes within a few seconds
  of the chat answering again without hammering it while it is down. An outage logs one line
  when it starts and one when it ends.
- Refused credentials pause every write, a channel the bot cannot post to pauses that channel:
  the writes stay queued, the problem shows in /readyz and /metrics (`<chat>` or
  `<chat>:<channel>`), and sending resumes by itself once it is fixed.
- Updates of case messages are coalesced: a set of dirty case ids, ten clicks are one update.
- Lanes (issue 13): a channel sends its ordinary writes (cases and their threads) first, then
  storm summaries, then storm batches, so that nobody else's case waits behind a storm. A
  storm's summary is a message like a case's (its id `<department>:<group>`), updated at most
  every few seconds (`storm_updates`); its members are listed in batches, at most one every
  few seconds (`storm_batches`), each rendered when it is sent so it names everyone so far.
- A write the chat refuses for what it contains (too long, a field over a limit:
  `Refused(content=True)`) goes out in its minimal form instead (text, a link, the main
  buttons), counted and logged with the case; the next change tries the full form again, so a
  case message never freezes in an old state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Generic, Protocol, Self, TypedDict, TypeVar, Unpack, cast

from redis.asyncio.client import Pipeline, Redis
from redis.exceptions import RedisError

from chatops import keys
from chatops.domain import utcnow
from chatops.outage import RedisOutage
from chatops.redis_text import Raw, maybe_text, text, texts
from chatops.store import Store

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.25
MAX_BACKOFF_S = 3.0
"""The longest wait between two probes of a chat that is down: how late writing may resume
once it answers again. One call every few seconds costs the chat nothing."""
OUTAGE_MEMORY_S = 120.0
"""How long the outage state outlives its last failed probe in Redis (a sender that died
mid-outage must not leave the next one waiting, nor restart the backoff from the bottom)."""


def outage_backoff(failures: int, draw: float) -> float:
    """Seconds before the next probe after `failures` failed calls in a row: doubling from
    FIRST_BACKOFF_S up to MAX_BACKOFF_S, spread over the upper half of that by `draw` (0..1)
    so that the senders of several processes do not probe in step."""
    ceiling = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2.0 ** min(max(failures - 1, 0), 16))
    return ceiling * (0.5 + 0.5 * min(max(draw, 0.0), 1.0))


@dataclass(frozen=True)
class Outage:
    """The chat is down (network errors, 5xx) since `since`; the next probe is at `until`
    (`Sender.clock` seconds), after `failures` failed calls in a row."""

    since: float
    until: float
    failures: int

    def dumps(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> Outage | None:
        try:
            got = json.loads(raw)
            return cls(float(got["since"]), float(got["until"]), int(got["failures"]))
        except (ValueError, TypeError, KeyError):
            return None

    def after_failure(self, now: float, draw: float) -> Outage:
        failures = self.failures + 1
        return Outage(self.since, now + outage_backoff(failures, draw), failures)


TAKE_TOKEN = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now_ms
tokens = math.min(burst, tokens + (now_ms - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', now_ms)
redis.call('PEXPIRE', KEYS[1], 600000)
return wait
"""
"""Take a token from the bucket KEYS[1] (ARGV: rate per ms, burst): 0, or ms to wait."""

SLOW_DOWN = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('HSET', KEYS[1], 't', '1', 'ts', now_ms + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], 600000)
return 1
"""
"""The chat said "too many": the bucket KEYS[1] refills from one token after ARGV[1] ms."""

RELEASE_IF_EMPTY = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 3, #KEYS do
  if redis.call('LLEN', KEYS[i]) > 0 then return 0 end
end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""
"""Forget the channel ARGV[1] in the set KEYS[2] when its inflight slot (KEYS[1]) and its
queues (KEYS[3:], one a lane) are empty."""

RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""Release the lease KEYS[1] if it is still ours (ARGV[1])."""

TAKE_LEASE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
"""Take the lease KEYS[1] for ARGV[1], or extend it if it is already ours: a lease this sender
could not release (Redis went away mid-drain and came back from its append-only file) must not
keep its own channel waiting."""

RENEW_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
"""Extend the lease KEYS[1] by ARGV[2] ms if it is still ours (ARGV[1])."""


DEFER = """
local wanted = {}
for i = 1, #ARGV do wanted[ARGV[i]] = true end
local kept, moved = {}, {}
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, op = pcall(cjson.decode, raw)
  if ok and type(op) == 'table' and wanted[op['case_id']] then
    table.insert(moved, raw)
  else
    table.insert(kept, raw)
  end
end
if #moved == 0 then return 0 end
redis.call('DEL', KEYS[1])
for i = 1, #kept, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(kept, i, math.min(i + 999, #kept)))
end
for i = 1, #moved, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(moved, i, math.min(i + 999, #moved)))
end
return #moved
"""
"""Move the ops of the cases ARGV from the queue KEYS[1] to the end of KEYS[2], each queue in
its order (a case's thread replies stay behind its message)."""

RECORD_WHERE = """
if ARGV[4] == '1' and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local code = redis.call('HGET', KEYS[1], ARGV[2])
if not code then
  code = tostring(redis.call('HINCRBY', KEYS[1], '#', 1))
  redis.call('HSET', KEYS[1], '#' .. code, ARGV[2], ARGV[2], code)
end
redis.call('HSET', KEYS[2], ARGV[1], code .. ARGV[5] .. ARGV[3])
return 1
"""
"""Record where the message of case ARGV[1] is in its bucket KEYS[2] of `keys.where`: its
channel ARGV[2] by its code in KEYS[1] (`keys.where_channels`, given the next number the first
time), then ARGV[5] (the separator) and the other fields ARGV[3]; with ARGV[4] '1' only if
the case has none yet. 1 when it was recorded."""

READ_WHERE = """
local joined = redis.call('HGET', KEYS[1], ARGV[1])
if not joined then return false end
local tab = string.find(joined, ARGV[2], 1, true)
if not tab then return false end
local channel = redis.call('HGET', KEYS[2], '#' .. string.sub(joined, 1, tab - 1))
if not channel then return false end
return channel .. string.sub(joined, tab)
"""
"""Where the message of case ARGV[1] is, from its bucket KEYS[1] of `keys.where`, its channel's
code read in KEYS[2] (`keys.where_channels`): the fields joined by ARGV[2], or nil."""

BATCH_KIND = "batch"
"""The op kind of a storm's batch (its backend's sender registers how to send it)."""
ORDINARY, SUMMARY, BATCH = 0, 1, 2
LANES = (ORDINARY, SUMMARY, BATCH)
"""A channel's queues, sent in this order: cases and their threads, storm summaries, storm
batches (DESIGN §8: unrelated mentions never wait behind a storm)."""


@dataclass
class Op:
    """One queued write. A case post renders the case when it is sent, so it is never stale.

    `kind`: "post" (the case message, or a storm's summary), "reply" (in its thread), "moved"
    (the old message after a reroute, `text` = the new channel), "message" (a channel message
    of its own: digest), or a kind of `Sender.kinds` (a storm's "batch": its next members, in
    its thread). `lane`: `LANES`."""

    kind: str
    case_id: str
    channel: str
    text: str = ""
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex, kw_only=True)
    queued_at: float = field(default_factory=time.time, kw_only=True)
    lane: int = field(default=ORDINARY, kw_only=True)

    def dumps(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> Self:
        return cls(**json.loads(raw))


class Placed(Protocol):
    """Anything that names the channel it is in: a rendered case message, a posted one."""

    @property
    def channel(self) -> str: ...


OpT = TypeVar("OpT", bound=Op)
RenderedT = TypeVar("RenderedT", bound=Placed)
WhereT = TypeVar("WhereT", bound=Placed)


# -- how a failed call reads, as the backend classifies it ----------------------------------


@dataclass(frozen=True)
class RateLimited:
    """Too many writes: wait exactly `retry_after`, the op stays inflight."""

    retry_after: float


@dataclass(frozen=True)
class AuthRefused:
    """The credentials are refused: every write waits until they work again."""

    reason: str


@dataclass(frozen=True)
class ChannelProblem:
    """This channel cannot be written to (bot not in it, no such channel): it waits."""

    reason: str  # shown in /readyz, with what to do about it


@dataclass(frozen=True)
class Transient:
    """Network, 5xx: back off and retry."""

    reason: str


@dataclass(frozen=True)
class Refused:
    """This one write is refused for good: dropped, and reported unless `quiet`. `content`:
    refused for what it contains, so its minimal form (`Sender.minimal`) may still pass."""

    reason: str
    quiet: bool = False
    content: bool = False


Failure = RateLimited | AuthRefused | ChannelProblem | Transient | Refused


class ChannelUnavailable(Exception):
    """Raised by `Sender.open_channel`: the channel cannot be posted to now (and why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Outbox(Generic[OpT, WhereT]):
    """Enqueue side, used wherever cases change (web for clicks, worker for arrivals)."""

    keys: ClassVar[keys.ChatKeys]
    op_type: type[OpT]
    where_type: type[WhereT]
    """A NamedTuple: `channel`, then the chat's ids of the case message, as `keys.where` holds
    them (joined) and the case hash (`keys.case`) of the previous layout held them (a field
    each)."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.local_wake = asyncio.Event()
        self.clock: Callable[[], float] = time.time
        """Wall-clock seconds of the storm throttles (tests set a clock of their own)."""
        self._defer = self.redis.register_script(DEFER)
        self._record_where = self.redis.register_script(RECORD_WHERE)
        self._read_where = self.redis.register_script(READ_WHERE)

    async def enqueue(self, op: OpT) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(self.keys.queue(op.channel, op.lane), op.dumps())
        pipe.sadd(self.keys.channels, op.channel)
        await pipe.execute()
        self.local_wake.set()

    async def post_once(self, case_id: str, channel: str, lane: int = ORDINARY) -> bool:
        """Queue the case message for `channel` unless it is there or already queued.

        The post is queued before it is marked as queued: a crash in between leaves a second
        post op at worst, which the sender skips (the message exists by then), never a mark
        with nothing behind it, which would keep the case out of chat for good."""
        where, (queued,) = await self._located(case_id, f"queued:{channel}")
        if (where is not None and where.channel == channel) or queued is not None:
            return False
        await self.enqueue(self.op_type("post", case_id, channel, lane=lane))
        await self.redis.hset(self.keys.case(case_id), f"queued:{channel}", "1")
        return True

    async def defer(self, channel: str, case_ids: Sequence[str], lane: int) -> int:
        """The writes of `case_ids` still waiting in `channel`'s ordinary lane go to the end of
        `lane` instead (a storm's members from before it opened: they are the storm's now, and
        unrelated cases go first). Returns how many ops moved."""
        if not case_ids:
            return 0
        queues = [self.keys.queue(channel, ORDINARY), self.keys.queue(channel, lane)]
        return int(await self._defer(keys=queues, args=list(case_ids)))

    async def unqueue(self, case_id: str, channel: str) -> None:
        """The post queued for `channel` is done with (sent, superseded or dropped)."""
        await self.redis.hdel(self.keys.case(case_id), f"queued:{channel}")

    async def mark_dirty(self, case_id: str) -> None:
        await self.redis.sadd(self.keys.dirty, case_id)
        self.local_wake.set()

    async def mark_storm(self, storm_id: str, update_every: float, batch_every: float) -> None:
        """A storm's roster changed: its summary is updated and its new members listed, each
        at most once per `update_every` / `batch_every` seconds however many join (the
        sender's `_promote_storms` moves them on when due)."""
        now = self.clock()
        updated, batched = await self.redis.hmget(
            self.keys.case(storm_id), ["updated_at", "batched_at"]
        )
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(
            self.keys.storm_updates, {storm_id: max(now, _since(updated) + update_every)}, nx=True
        )
        pipe.zadd(
            self.keys.storm_batches, {storm_id: max(now, _since(batched) + batch_every)}, nx=True
        )
        await pipe.execute()
        self.local_wake.set()

    async def resume(self, channel: str) -> None:
        """What kept `channel` from being written to is fixed: try its queued writes now."""
        await self.redis.delete(self.keys.pause(channel))
        self.local_wake.set()

    async def where(self, case_id: str) -> WhereT | None:
        """Where the case message is, once posted."""
        return (await self._located(case_id))[0]

    async def _located(self, case_id: str, *marks: str) -> tuple[WhereT | None, list[str | None]]:
        """Where the case message is (in its bucket of `keys.where`, else in the case hash of
        the previous layout), and the case hash's `marks`, in one round trip."""
        fields = self._fields()
        pipe = self.redis.pipeline(transaction=False)
        where_keys = [keys.bucket(self.keys.where, case_id), self.keys.where_channels]
        await self._read_where(keys=where_keys, args=[case_id, keys.WHERE_SEPARATOR], client=pipe)
        pipe.hmget(self.keys.case(case_id), [*fields, *marks])
        joined, got = await pipe.execute()
        values = [maybe_text(v) for v in got]
        before = values[: len(fields)]
        where = self._parsed(maybe_text(joined))
        if where is None and all(before):
            where = self.where_type(*before)
        return where, values[len(fields) :]

    def _fields(self) -> list[str]:
        return list(self.where_type._fields)  # type: ignore[attr-defined]

    def _parsed(self, joined: str | None) -> WhereT | None:
        parts = unpacked(joined) if joined else []
        if len(parts) != len(self._fields()) or not all(parts):
            return None
        return self.where_type(*parts)

    async def record(self, case_id: str, where: WhereT, thread: str) -> None:
        """The case message is posted (`where`); `thread` names its thread for case_of_thread.
        A location of the previous layout in the case hash goes (the bucket has it now), and
        with it, once its post is no longer queued, the hash itself."""
        pipe = self.redis.pipeline(transaction=False)
        await self._write_where(pipe, case_id, where, only_first=False)
        self._recorded(pipe, case_id, where, thread)
        await pipe.execute()

    async def record_first(self, case_id: str, where: WhereT, thread: str) -> bool:
        """Record `where` unless the case message is recorded already (set-if-absent: of two
        callers at once, one wins); False when it was."""
        before = await self.redis.hmget(self.keys.case(case_id), self._fields())
        if all(before):
            return False  # recorded by the previous layout (which is never written any more)
        if not await self._write_where(self.redis, case_id, where, only_first=True):
            return False
        pipe = self.redis.pipeline(transaction=False)
        self._recorded(pipe, case_id, where, thread)
        await pipe.execute()
        return True

    async def _write_where(
        self, client: Redis | Pipeline, case_id: str, where: WhereT, only_first: bool
    ) -> Any:
        """RECORD_WHERE through `client`: 1 when recorded (a pipeline queues it)."""
        channel, *rest = where._asdict().values()  # type: ignore[attr-defined]
        return await self._record_where(
            keys=[self.keys.where_channels, keys.bucket(self.keys.where, case_id)],
            args=[
                case_id,
                channel,
                packed(channel, rest),
                "1" if only_first else "0",
                keys.WHERE_SEPARATOR,
            ],
            client=client,
        )

    def _recorded(self, pipe: Pipeline, case_id: str, where: WhereT, thread: str) -> None:
        """What follows a recorded location: the post no longer queued, the previous layout's
        fields gone, the thread indexed."""
        pipe.hdel(self.keys.case(case_id), f"queued:{where.channel}", *self._fields())
        pipe.hset(keys.bucket(self.keys.threads, thread), thread, case_id)

    async def forget(self, case_id: str, thread: str) -> None:
        """The case is deleted (retention): where its message was, and its thread, go too."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(self.keys.case(case_id), self.keys.inbox(case_id))
        pipe.hdel(keys.bucket(self.keys.where, case_id), case_id)
        pipe.hdel(keys.bucket(self.keys.threads, thread), thread)
        pipe.hdel(self.keys.threads, thread)
        await pipe.execute()

    async def _case_of(self, thread: str) -> str | None:
        """The case of a message's thread: in its bucket, or in the previous layout's one
        hash (threads recorded before the buckets; never moved, only read and forgotten)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(keys.bucket(self.keys.threads, thread), thread)
        pipe.hget(self.keys.threads, thread)
        found, before = await pipe.execute()
        return maybe_text(found) or maybe_text(before)


def packed(channel: str, ids: Sequence[str]) -> str:
    """The chat's ids of a message in `channel` as `keys.where` holds them after the channel's
    code: joined, the channel id an id starts with (a Teams reply chain) cut to a mark, so that
    a location stays under Redis's `hash-max-listpack-value` (64 bytes) in every chat."""
    mark = keys.WHERE_SAME_CHANNEL
    return keys.WHERE_SEPARATOR.join(
        mark + i.removeprefix(channel) if i.startswith(channel) else i for i in ids
    )


def unpacked(joined: str) -> list[str]:
    """`<channel>`, then `packed` ids (as READ_WHERE gives them back): each field in full."""
    channel, *ids = joined.split(keys.WHERE_SEPARATOR)
    mark = keys.WHERE_SAME_CHANNEL
    return [channel, *(channel + i.removeprefix(mark) if i.startswith(mark) else i for i in ids)]


def _since(raw: Any) -> float:
    """An epoch-seconds field of a storm's hash; 0 when it was never set."""
    value = maybe_text(raw)
    return float(value) if value else 0.0


class Tuning(TypedDict, total=False):
    """A Sender's knobs (tests and the benchmarks set them; the defaults are the chat's)."""

    post_rate: float  # per channel and second
    post_burst: int
    update_rate: float  # updates per second, all channels together
    update_burst: int
    probe_every: float  # seconds between retries of a channel or credentials that failed
    lease_ms: int
    name: str | None


class Sender(Generic[OpT, RenderedT, WhereT]):
    """Drains an outbox to the chat. Any number of processes may run one.

    A backend's Sender says what it is (`chat`, `tuning`, `auth_hint`) and implements the
    hooks: the wire call of each op kind, `classify` of what they raise, and the optional
    `open_channel`, `already_posted` and `check_auth`."""

    chat: ClassVar[str]  # "slack", "teams": names the logs and the problems
    tuning: ClassVar[Tuning]  # the defaults
    auth_hint: ClassVar[str]  # what to check when the credentials are refused
    can_check_auth: ClassVar[bool] = False
    """True: refused credentials pause every write until `check_auth` (tried every
    `probe_every`) passes. False: they pause for `probe_every`, and the next write is the test."""
    can_fall_back: ClassVar[bool] = False
    """True: a write refused for its content (`Refused.content`) goes out as `minimal` /
    `minimal_update` instead of being dropped."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox[OpT, WhereT],
        render: Callable[[str], Awaitable[RenderedT | None]],
        render_moved: Callable[[str, str], Awaitable[Any]],
        **tuning: Unpack[Tuning],
    ) -> None:
        options: Tuning = {**self.tuning, **tuning}
        self.store = store
        self.redis = store.redis
        self.outbox = outbox
        self.keys = outbox.keys
        self.render = render
        """Case id -> its current message (None: the case is gone)."""
        self.render_moved = render_moved
        """(case id, new channel) -> what its old message becomes."""
        self.post_rate = options["post_rate"]
        self.post_burst = options["post_burst"]
        self.update_rate = options["update_rate"]
        self.update_burst = options["update_burst"]
        self.probe_every = options["probe_every"]
        self.lease_ms = options["lease_ms"]
        self.name = options.get("name") or uuid.uuid4().hex
        self._take = self.redis.register_script(TAKE_TOKEN)
        self._slow_down = self.redis.register_script(SLOW_DOWN)
        self._release_if_empty = self.redis.register_script(RELEASE_IF_EMPTY)
        self._release_lease = self.redis.register_script(RELEASE_LEASE)
        self._renew_lease = self.redis.register_script(RENEW_LEASE)
        self._take_lease = self.redis.register_script(TAKE_LEASE)
        self._next_probe = 0.0
        self._auth_probe_failures = 1
        self.clock: Callable[[], float] = time.time
        """Wall-clock seconds for the outage backoff, which every process reads from Redis
        (tests set a clock of their own and move it)."""
        self.random: Callable[[], float] = random.random
        """The backoff's jitter (0..1)."""
        self.kinds: dict[str, Callable[[OpT, Any], Awaitable[None]]] = {}
        """Op kinds a feature of the backend sends itself (the approval inbox's copies), by
        kind: queued, rate-limited, retried and classified like the rest."""
        self._outage_key = f"{self.keys.paused}:outage"
        self._probing = False  # this tick's first write tests whether the chat answers again
        self._down: float | None = None  # set when a write of this tick found the chat down
        self.sent = 0

    # -- the hooks of a backend -----------------------------------------------------------

    def classify(self, exc: Exception, op: OpT | None) -> Failure | None:
        """What a failed call means (`op` None: an update); None: not the chat's, raised."""
        raise NotImplementedError

    async def open_channel(self, channel: str) -> Any:
        """What writing to `channel` needs, passed to the op hooks as `target`; raises
        ChannelUnavailable when it cannot be written to now."""
        return None

    async def already_posted(self, op: OpT, target: Any) -> bool:
        """A post is retried after a crash: was it posted (and is it recorded now)?"""
        return False

    async def post(self, op: OpT, rendered: RenderedT, target: Any) -> None:
        """Post the case message and `outbox.record` where it is."""
        raise NotImplementedError

    async def reply(self, op: OpT, target: Any, retried: bool) -> None:
        raise NotImplementedError

    async def behind_post(self, op: OpT) -> bool:
        """A reply whose case message is not posted yet but still queued goes behind it
        instead of being dropped; True when it was queued again.

        That happens when a storm opens: the posts of its members from before it move behind
        its summary (`Outbox.defer`), and a reply queued for one of them after that is drawn
        from the ordinary lane first. It goes to the end of the summaries' lane, after the
        post it waits for (once: a reply already there whose post never comes is dropped)."""
        if op.lane != ORDINARY:
            return False
        queued = await self.redis.hget(self.outbox.keys.case(op.case_id), f"queued:{op.channel}")
        if queued is None:
            return False
        op.lane = SUMMARY
        await self.outbox.enqueue(op)
        log.info(
            "%s: a reply of case %s waits for its message behind a storm", self.chat, op.case_id
        )
        return True

    async def message(self, op: OpT, target: Any) -> None:
        raise NotImplementedError

    async def moved(self, op: OpT, target: Any) -> None:
        raise NotImplementedError

    async def update(self, where: WhereT, rendered: RenderedT) -> None:
        """Rewrite the case message in place."""
        raise NotImplementedError

    async def check_auth(self) -> bool:
        """Do the credentials work again? (Only with `can_check_auth`.)"""
        raise NotImplementedError

    async def minimal(self, op: OpT, target: Any) -> None:
        """Send the minimal form of `op`, whose full form was refused (`can_fall_back`)."""
        raise NotImplementedError

    async def minimal_update(self, where: WhereT, rendered: RenderedT) -> None:
        """Rewrite the case message in its minimal form (`can_fall_back`)."""
        raise NotImplementedError

    def fell_back(self, reason: str) -> None:
        """A minimal form went out instead of a refused one (metrics)."""

    # -- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        outage = RedisOutage(f"{self.chat} sender", log)
        while not stop.is_set():
            # Cleared before the tick, not before the sleep: work queued while a tick is under
            # way (after its channel was looked at) must cut the next sleep short, not be
            # found only when the sleep runs out.
            self.outbox.local_wake.clear()
            try:
                wait = await self.tick()
            except (RedisError, OSError) as exc:
                outage.failed(exc, time.monotonic())
                wait = 1.0
            except Exception:
                log.exception("%s sender: tick failed; retrying", self.chat)
                wait = 1.0
            else:
                outage.ok(time.monotonic())
            if wait > 0:
                await self._sleep(stop, wait)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait for work queued by this process, or `seconds` (work queued by others is
        found on the next tick; every role that changes cases runs a sender of its own)."""
        waiters = [
            asyncio.create_task(stop.wait()),
            asyncio.create_task(self.outbox.local_wake.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    async def tick(self) -> float:
        """Send what may be sent now; returns how long to wait before the next tick."""
        paused = await self._globally_paused()
        if paused is not None:
            return paused
        outage = await self._outage()
        if outage is not None and outage.until > self.clock():
            return outage.until - self.clock()
        self._probing, self._down = outage is not None, None
        waits = [5.0, await self._promote_storms()]
        for channel in texts(await self.redis.smembers(self.keys.channels)):
            waits.append(await self._drain_channel(channel))
            if self._down is not None:
                return self._down  # the chat is down: the other channels need not try it
        waits.append(await self._flush_updates())
        if self._down is not None:
            return self._down
        return max(0.0, min(waits))

    async def pending(self) -> bool:
        """Anything left to send (for one-shot commands and tests)."""
        return bool(
            await self.redis.scard(self.keys.channels) or await self.redis.scard(self.keys.dirty)
        )

    async def _globally_paused(self) -> float | None:
        """Seconds to wait while every write is paused, None when writing may go on."""
        paused_ms = await self.redis.pttl(self.keys.paused)
        if paused_ms > 0:
            return paused_ms / 1000
        if paused_ms != -1 or not self.can_check_auth:
            return None  # no pause (a pause without a TTL waits for check_auth)
        if time.monotonic() < self._next_probe:
            return 1.0
        self._next_probe = time.monotonic() + self.probe_every
        try:
            works = await self.check_auth()
        except Exception as exc:
            if not isinstance(self.classify(exc, None), Transient):
                raise
            # The chat is down, which says nothing about the credentials: ask again soon
            # rather than after `probe_every`, so that writing resumes when it answers.
            wait = outage_backoff(self._auth_probe_failures, self.random())
            self._auth_probe_failures += 1
            self._next_probe = time.monotonic() + wait
            return wait
        self._auth_probe_failures = 1
        if not works:
            return 1.0
        log.info("%s: the credentials work again, resuming", self.chat)
        await self.redis.delete(self.keys.paused)
        await self.store.problems.clear(self.chat)
        return None

    # -- channel queues -------------------------------------------------------------------

    async def _drain_channel(self, channel: str) -> float:
        pause_ms = await self.redis.pttl(self.keys.pause(channel))
        if pause_ms > 0:
            return pause_ms / 1000
        lease = self.keys.lease(channel)
        if not await self._take_lease(keys=[lease], args=[self.name, self.lease_ms]):
            return 0.5
        queues = [self.keys.queue(channel, lane) for lane in LANES]
        inflight = self.keys.inflight(channel)
        try:
            while True:
                raw = await self.redis.lindex(inflight, 0)
                retried = raw is not None
                for queue in queues if raw is None else ():
                    raw = await self.redis.lmove(queue, inflight, "LEFT", "RIGHT")
                    if raw is not None:
                        break
                if raw is None:
                    await self._release_if_empty(
                        keys=[inflight, self.keys.channels, *queues], args=[channel]
                    )
                    return 5.0
                try:
                    target = await self.open_channel(channel)
                except ChannelUnavailable as exc:
                    return await self._channel_problem(channel, exc.reason)
                wait_ms = await self._take(
                    keys=[self.keys.bucket(channel)], args=[self.post_rate / 1000, self.post_burst]
                )
                if wait_ms:
                    return int(wait_ms) / 1000
                async with self._holding(lease):
                    op = self.outbox.op_type.loads(text(raw))
                    outcome = await self._send(op, target, retried)
                if outcome is not None:
                    return outcome
                await self.redis.delete(inflight)
        finally:
            await self._release_lease(keys=[lease], args=[self.name])

    @contextlib.asynccontextmanager
    async def _holding(self, lease: str) -> AsyncIterator[None]:
        """Keep the channel's lease while a call is under way, however slow the chat answers:
        a lease that ran out mid-call would let another sender post the same write again."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_ms / 3000)
                if not await self._renew_lease(keys=[lease], args=[self.name, self.lease_ms]):
                    log.warning("%s: lost the lease of %s during a call", self.chat, lease)
                    return

        keeper = asyncio.create_task(renew())
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await keeper

    async def _send(self, op: OpT, target: Any, retried: bool) -> float | None:
        """Send one op; None when done (sent, skipped or dropped), else seconds to wait."""
        try:
            if op.kind == "post":
                await self._post(op, target, retried)
            elif op.kind == "reply":
                await self.reply(op, target, retried)
            elif op.kind == "message":
                await self.message(op, target)
            elif op.kind == "moved":
                await self.moved(op, target)
            elif op.kind in self.kinds:
                await self.kinds[op.kind](op, target)
            else:
                log.error("%s outbox: unknown op %s dropped", self.chat, op.kind)
        except Exception as exc:
            failure = self.classify(exc, op)
            if failure is None:
                raise
            failure = await self._fall_back(
                op.case_id, op.kind, failure, lambda: self.minimal(op, target), op
            )
            if failure is not None:
                return await self._failed(op, failure)
        self.sent += 1
        await self._answered()
        await self.store.problems.clear(f"{self.chat}:{op.channel}")
        await self.store.problems.clear(self.chat)
        return None

    async def _post(self, op: OpT, target: Any, retried: bool) -> None:
        rendered = await self.render(op.case_id)
        if rendered is None or rendered.channel != op.channel:
            await self.outbox.unqueue(op.case_id, op.channel)
            return  # rerouted meanwhile: the post queued for the new channel takes over
        where = await self.outbox.where(op.case_id)
        if where is not None and where.channel == op.channel:
            await self.outbox.unqueue(op.case_id, op.channel)
            return  # a second post op for the same message (queued again after a crash)
        if retried and await self.already_posted(op, target):
            return
        await self.post(op, rendered, target)

    # -- storms ----------------------------------------------------------------------------

    async def _promote_storms(self) -> float:
        """Storms whose time has come: a summary update joins the dirty set (sent with the
        case updates), a batch joins its channel's batch lane; returns seconds until the next
        one is due. A batch waits for its summary to be posted: it is a reply in its thread."""
        now = self.clock()
        for storm_id in await self._due(self.keys.storm_updates, now):
            await self.redis.hset(self.keys.case(storm_id), "updated_at", repr(now))
            await self.redis.sadd(self.keys.dirty, storm_id)
        for storm_id in await self._due(self.keys.storm_batches, now):
            where = await self.outbox.where(storm_id)
            if where is None:
                fields = texts(await self.redis.hkeys(self.keys.case(storm_id)))
                if any(f.startswith("queued:") for f in fields):  # its summary is on its way
                    await self.redis.zadd(self.keys.storm_batches, {storm_id: now + 1.0}, nx=True)
                continue  # else it was refused: the storm's next change posts it again
            await self.redis.hset(self.keys.case(storm_id), "batched_at", repr(now))
            await self.outbox.enqueue(
                self.outbox.op_type(BATCH_KIND, storm_id, where.channel, lane=BATCH)
            )
        waits = [5.0]
        for zset in (self.keys.storm_updates, self.keys.storm_batches):
            first = await self.redis.zrange(zset, 0, 0, withscores=True)
            if first:
                waits.append(max(0.0, float(first[0][1]) - now))
        return min(waits)

    async def _due(self, zset: str, now: float) -> list[str]:
        """Take what is due from `zset`: each member by exactly one sender (ZREM says who)."""
        taken = []
        due = cast(list[Raw], await self.redis.zrangebyscore(zset, "-inf", now))
        for member in texts(due):
            if await self.redis.zrem(zset, member):
                taken.append(member)
        return taken

    # -- updates of case messages ---------------------------------------------------------

    async def _flush_updates(self) -> float:
        """Update every case message that changed: coalesced, so ten clicks are one update."""
        dirty = self.keys.dirty
        while True:
            popped = await self.redis.spop(dirty)
            if popped is None:
                return 5.0
            case_id = text(popped)  # type: ignore[arg-type]  # SPOP without a count: one member
            where = await self.outbox.where(case_id)
            if where is None:
                continue  # not posted yet: the post renders the latest state
            wait_ms = await self._take(
                keys=[self.keys.bucket("update")], args=[self.update_rate / 1000, self.update_burst]
            )
            if wait_ms:
                await self.redis.sadd(dirty, case_id)
                return int(wait_ms) / 1000
            rendered = await self.render(case_id)
            if rendered is None or rendered.channel != where.channel:
                continue  # rerouted: the old message was rewritten by its "moved" op
            try:
                await self.update(where, rendered)
                await self._answered()
            except Exception as exc:
                failure = self.classify(exc, None)
                if failure is None:
                    raise
                first = failure
                failure = await self._fall_back(
                    str(case_id), "update", failure, partial(self.minimal_update, where, rendered)
                )
                if failure is None:
                    continue
                if isinstance(failure, Refused):
                    log.warning("%s: case %s not updated: %s", self.chat, case_id, failure.reason)
                    if isinstance(first, Refused) and first.content:  # even the minimal form
                        component = f"{self.chat}:{where.channel}:update"
                        await self._set_problem(component, f"case message refused: {first.reason}")
                    continue
                await self.redis.sadd(dirty, case_id)
                if isinstance(failure, RateLimited):
                    return await self._slowed_down("update", failure.retry_after)
                if isinstance(failure, AuthRefused):
                    return await self._pause_all(failure.reason)
                return await self._went_down(failure.reason)

    # -- failures -------------------------------------------------------------------------

    async def _fall_back(
        self,
        case_id: str,
        kind: str,
        failure: Failure,
        minimal: Callable[[], Awaitable[None]],
        op: OpT | None = None,
    ) -> Failure | None:
        """A write refused for its content goes out in its minimal form: None when it did,
        else how the minimal form failed. Any other failure is returned as it came."""
        if not (isinstance(failure, Refused) and failure.content and self.can_fall_back):
            return failure
        log.error(
            "%s: %s of case %s refused (%s); sending its minimal form instead",
            self.chat,
            kind,
            case_id,
            failure.reason,
        )
        try:
            await minimal()
        except Exception as exc:
            again = self.classify(exc, op)
            if again is None:
                raise
            return again
        self.fell_back(failure.reason)
        return None

    async def _failed(self, op: OpT, failure: Failure) -> float | None:
        channel = op.channel
        if isinstance(failure, RateLimited):
            wait = failure.retry_after
            log.info("%s: %s rate limited, retrying in %.1fs", self.chat, channel, wait)
            return await self._pause(channel, await self._slowed_down(channel, wait), None)
        if isinstance(failure, AuthRefused):
            return await self._pause_all(failure.reason)
        if isinstance(failure, ChannelProblem):
            return await self._channel_problem(channel, failure.reason)
        if isinstance(failure, Transient):
            return await self._went_down(failure.reason)
        if failure.quiet:
            log.warning(
                "%s: %s of case %s dropped: %s", self.chat, op.kind, op.case_id, failure.reason
            )
            return None
        log.error(
            "%s: %s for case %s refused (%s); dropped",
            self.chat,
            op.kind,
            op.case_id,
            failure.reason,
        )
        component = f"{self.chat}:{channel}:{op.kind}"
        await self._set_problem(component, f"last write refused: {failure.reason}")
        if op.kind == "post":
            await self.outbox.unqueue(op.case_id, channel)
        return None

    async def _slowed_down(self, bucket: str, seconds: float) -> float:
        """The chat's own bucket is empty: ours must not burst after the pause either, or
        every burst would cost another rate limit answer and another pause."""
        await self._slow_down(keys=[self.keys.bucket(bucket)], args=[int(seconds * 1000)])
        return seconds

    async def _channel_problem(self, channel: str, reason: str) -> float:
        log.error("%s: cannot post to %s: %s. Cases stay queued.", self.chat, channel, reason)
        await self._set_problem(f"{self.chat}:{channel}", reason)
        return await self._pause(channel, self.probe_every, None)

    async def _pause(self, channel: str, seconds: float, reason: str | None) -> float:
        """Leave the op inflight and the channel untouched for `seconds`."""
        if reason:
            log.warning(
                "%s: %s failed (%s); retrying in %.1fs", self.chat, channel, reason, seconds
            )
        await self.redis.set(self.keys.pause(channel), "1", px=max(1, int(seconds * 1000)))
        return seconds

    async def _pause_all(self, reason: str) -> float:
        log.error(
            "%s: %s: every write stays queued until the credentials work again", self.chat, reason
        )
        if self.can_check_auth:
            await self.redis.set(self.keys.paused, reason)
            self._next_probe = time.monotonic() + self.probe_every
            wait = 1.0
        else:
            await self.redis.set(self.keys.paused, reason, px=max(1, int(self.probe_every * 1000)))
            wait = self.probe_every
        await self._set_problem(self.chat, f"{reason}: {self.auth_hint}")
        return wait

    # -- the chat being down -------------------------------------------------------------

    async def _outage(self) -> Outage | None:
        raw = await self.redis.get(self._outage_key)
        return Outage.loads(raw) if raw is not None else None

    async def _went_down(self, reason: str) -> float:
        """A write found the chat down: every write waits for the next probe (the op stays
        inflight, its channel untouched). One line when the outage starts, not one a probe."""
        now = self.clock()
        outage = (await self._outage() or Outage(now, now, 0)).after_failure(now, self.random())
        wait = max(0.0, outage.until - now)
        await self.redis.set(
            self._outage_key, outage.dumps(), px=int((wait + OUTAGE_MEMORY_S) * 1000)
        )
        if outage.failures == 1:
            log.warning(
                "%s is not answering (%s); writes stay queued, probing every %.0f s at most",
                self.chat,
                reason,
                MAX_BACKOFF_S,
            )
        self._down = wait
        return wait

    async def _answered(self) -> None:
        """A write went through: if it was the probe of an outage, the outage is over."""
        if not self._probing:
            return
        self._probing = False
        outage = await self._outage()
        if outage is None:
            return
        await self.redis.delete(self._outage_key)
        log.warning(
            "%s answers again after %.0f s; sending what was queued",
            self.chat,
            max(0.0, self.clock() - outage.since),
        )

    async def _set_problem(self, component: str, reason: str) -> None:
        await self.store.problems.set(component, reason, utcnow())
