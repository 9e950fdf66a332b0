"""Every Slack write goes through here: queued in Redis, rate-limited per channel, retried.

- One FIFO per channel keeps a case's message before its thread replies.
- A token bucket per channel, shared by every process through Redis, spends Slack's
  ~1 message/s per channel; `Retry-After` on a 429 pauses the channel for exactly that long.
- 5xx and network errors back off and retry; a Slack outage only delays.
- `invalid_auth`/`account_inactive` pause everything, `not_in_channel`/`channel_not_found`
  pause that channel: the writes stay queued, the problem is visible in /readyz and /metrics,
  and a probe resumes sending by itself once it is fixed.
- The write being sent sits in an "inflight" slot; a sender that crashes leaves it there and
  the next one retries it, first looking in the channel's history for the message metadata
  so that nothing is posted twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops import keys
from chatops.domain import utcnow
from chatops.slack.ids import METADATA_EVENT, REPLY_METADATA_EVENT
from chatops.store import Store

log = logging.getLogger(__name__)

POST_RATE = 0.97  # per channel: 3 % under Slack's 1/s, so jitter never costs a 429 (≥ 1 s)
POST_BURST = 3  # Slack allows short bursts; a 429 beyond them is honoured
UPDATE_RATE = 50 / 60  # chat.update is Tier 3: 50+ per minute
UPDATE_BURST = 5
LEASE_MS = 15_000
PROBE_EVERY_S = 30.0
MAX_BACKOFF_S = 60.0

AUTH_ERRORS = frozenset(
    {"invalid_auth", "account_inactive", "token_revoked", "not_authed", "token_expired"}
)
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})

_TAKE_TOKEN = """
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

_SLOW_DOWN = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('HSET', KEYS[1], 't', '1', 'ts', now_ms + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], 600000)
return 1
"""

_RELEASE_IF_EMPTY = """
if redis.call('LLEN', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[3], ARGV[1])
  return 1
end
return 0
"""

_RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class Op:
    """One queued write. `post` renders the case at send time, so it is never stale."""

    kind: str  # "post" (case message), "reply" (thread reply), "moved" (old message),
    # "message" (a channel message of its own: the digest)
    case_id: str
    channel: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    ts: str = ""  # "moved": the old message to rewrite; "reply": the thread, when not current
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    queued_at: float = field(default_factory=time.time)

    def dumps(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> Op:
        return cls(**json.loads(raw))


@dataclass(frozen=True)
class Rendered:
    """What a case message looks like now, as the backend renders it."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]


Renderer = Callable[[str], Awaitable[Rendered | None]]
"""Case id -> its current message (None: the case is gone)."""
MovedRenderer = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
"""(case id, new channel) -> what the old message becomes."""


class Outbox:
    """Enqueue side, used wherever cases change (web for clicks, worker for arrivals)."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.local_wake = asyncio.Event()

    async def enqueue(self, op: Op) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(keys.slack_queue(op.channel), op.dumps())
        pipe.sadd(keys.SLACK_CHANNELS, op.channel)
        await pipe.execute()
        self.local_wake.set()

    async def post_once(self, case_id: str, channel: str) -> bool:
        """Queue the case message for `channel` unless it is there or already queued."""
        thread = keys.slack_thread(case_id)
        current = await self.redis.hget(thread, "channel")
        if current == channel:
            return False
        if not await self.redis.hsetnx(thread, f"queued:{channel}", "1"):
            return False
        await self.enqueue(Op("post", case_id, channel))
        return True

    async def mark_dirty(self, case_id: str) -> None:
        await self.redis.sadd(keys.SLACK_DIRTY, case_id)
        self.local_wake.set()

    async def thread_of(self, case_id: str) -> tuple[str, str] | None:
        got = await self.redis.hmget(keys.slack_thread(case_id), ["channel", "ts"])
        return (got[0], got[1]) if got[0] and got[1] else None

    async def case_of_thread(self, channel: str, ts: str) -> str | None:
        return await self.redis.hget(keys.SLACK_THREADS, f"{channel}:{ts}")


class Sender:
    """Drains the outbox to Slack. Any number of processes may run one."""

    def __init__(
        self,
        store: Store,
        client: AsyncWebClient,
        outbox: Outbox,
        render: Renderer,
        render_moved: MovedRenderer,
        *,
        post_rate: float = POST_RATE,
        post_burst: int = POST_BURST,
        update_rate: float = UPDATE_RATE,
        update_burst: int = UPDATE_BURST,
        probe_every: float = PROBE_EVERY_S,
        lease_ms: int = LEASE_MS,
        name: str | None = None,
    ) -> None:
        self.store = store
        self.redis = store.redis
        self.client = client
        self.outbox = outbox
        self.render = render
        self.render_moved = render_moved
        self.post_rate = post_rate
        self.post_burst = post_burst
        self.update_rate = update_rate
        self.update_burst = update_burst
        self.probe_every = probe_every
        self.lease_ms = lease_ms
        self.name = name or uuid.uuid4().hex
        self._take = self.redis.register_script(_TAKE_TOKEN)
        self._slow_down = self.redis.register_script(_SLOW_DOWN)
        self._release_if_empty = self.redis.register_script(_RELEASE_IF_EMPTY)
        self._release_lease = self.redis.register_script(_RELEASE_LEASE)
        self._backoff: dict[str, float] = {}
        self._next_probe = 0.0
        self.sent = 0

    # -- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                wait = await self.tick()
            except Exception:
                log.exception("slack sender: tick failed; retrying")
                wait = 1.0
            if wait > 0:
                await self._sleep(stop, wait)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait for work queued by this process, or `seconds` (work queued by others is
        found on the next tick; every role that changes cases runs a sender of its own)."""
        self.outbox.local_wake.clear()
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
        if await self._globally_paused():
            return 1.0
        waits = [5.0]
        for channel in await self.redis.smembers(keys.SLACK_CHANNELS):
            waits.append(await self._drain_channel(channel))
        waits.append(await self._flush_updates())
        return max(0.0, min(waits))

    async def _globally_paused(self) -> bool:
        reason = await self.redis.get(keys.SLACK_PAUSED)
        if reason is None:
            return False
        if time.monotonic() < self._next_probe:
            return True
        self._next_probe = time.monotonic() + self.probe_every
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            await self._set_problem("slack", f"{_error(exc)}: check SLACK_BOT_TOKEN")
            return True
        except (aiohttp.ClientError, TimeoutError):
            return True
        log.info("slack: token works again, resuming")
        await self.redis.delete(keys.SLACK_PAUSED)
        await self.store.clear_problem("slack")
        return False

    # -- channel queues -------------------------------------------------------------------

    async def _drain_channel(self, channel: str) -> float:
        pause_ms = await self.redis.pttl(keys.slack_pause(channel))
        if pause_ms > 0:
            return pause_ms / 1000
        lease = keys.slack_lease(channel)
        if not await self.redis.set(lease, self.name, nx=True, px=self.lease_ms):
            return 0.5
        try:
            while True:
                raw = await self.redis.lindex(keys.slack_inflight(channel), 0)
                retried = raw is not None
                if raw is None:
                    raw = await self.redis.lmove(
                        keys.slack_queue(channel), keys.slack_inflight(channel), "LEFT", "RIGHT"
                    )
                if raw is None:
                    await self._release_if_empty(
                        keys=[
                            keys.slack_queue(channel),
                            keys.slack_inflight(channel),
                            keys.SLACK_CHANNELS,
                        ],
                        args=[channel],
                    )
                    return 5.0
                wait_ms = await self._take(
                    keys=[keys.slack_bucket(channel)],
                    args=[self.post_rate / 1000, self.post_burst],
                )
                if wait_ms:
                    return int(wait_ms) / 1000
                op = Op.loads(raw)
                outcome = await self._send(op, retried)
                if outcome is not None:
                    return outcome
                await self.redis.delete(keys.slack_inflight(channel))
                self._backoff.pop(channel, None)
        finally:
            await self._release_lease(keys=[lease], args=[self.name])

    async def _send(self, op: Op, retried: bool) -> float | None:
        """Send one op; None when done (sent, skipped or dropped), else seconds to wait."""
        try:
            if op.kind == "post":
                await self._post(op, retried)
            elif op.kind == "reply":
                await self._reply(op, retried)
            elif op.kind == "message":
                await self.client.chat_postMessage(
                    channel=op.channel, text=op.text, blocks=op.blocks, unfurl_links=False
                )
            elif op.kind == "moved":
                blocks = await self.render_moved(op.case_id, op.text)
                await self.client.chat_update(
                    channel=op.channel, ts=op.ts, text=f"moved to <#{op.text}>", blocks=blocks
                )
            else:
                log.error("slack outbox: unknown op %s dropped", op.kind)
        except SlackApiError as exc:
            return await self._failed(op, exc)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return await self._pause(
                op.channel, self._next_backoff(op.channel), f"network: {type(exc).__name__}"
            )
        self.sent += 1
        if op.kind == "post":
            await self.store.clear_problem(f"slack:{op.channel}")
        return None

    async def _post(self, op: Op, retried: bool) -> None:
        rendered = await self.render(op.case_id)
        if rendered is None or rendered.channel != op.channel:
            await self.redis.hdel(keys.slack_thread(op.case_id), f"queued:{op.channel}")
            return  # rerouted meanwhile: the post queued for the new channel takes over
        if retried:
            ts = await self._find_posted(op)
            if ts:
                await self._record_thread(op, ts)
                return
        result = await self.client.chat_postMessage(
            channel=op.channel,
            text=rendered.text,
            blocks=rendered.blocks,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"case_id": op.case_id}},
            unfurl_links=False,
            unfurl_media=False,
        )
        await self._record_thread(op, str(result["ts"]))

    async def _record_thread(self, op: Op, ts: str) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.slack_thread(op.case_id), mapping={"channel": op.channel, "ts": ts})
        pipe.hdel(keys.slack_thread(op.case_id), f"queued:{op.channel}")
        pipe.hset(keys.SLACK_THREADS, f"{op.channel}:{ts}", op.case_id)
        await pipe.execute()

    async def _find_posted(self, op: Op) -> str | None:
        """After a crash: was the case message posted but not recorded? Look at its metadata."""
        result = await self.client.conversations_history(
            channel=op.channel,
            oldest=str(op.queued_at - 60),
            limit=200,
            include_all_metadata=True,
        )
        for message in result.get("messages", []):
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT and payload.get("case_id") == op.case_id:
                log.info("slack: case %s was posted before a crash; not posting again", op.case_id)
                return str(message["ts"])
        return None

    async def _reply(self, op: Op, retried: bool) -> None:
        thread = (op.channel, op.ts) if op.ts else await self.outbox.thread_of(op.case_id)
        if thread is None or thread[0] != op.channel:
            log.warning(
                "slack: case %s has no message in %s; thread reply dropped", op.case_id, op.channel
            )
            return
        if retried and await self._reply_posted(op, thread[1]):
            return
        await self.client.chat_postMessage(
            channel=op.channel,
            thread_ts=thread[1],
            text=op.text,
            blocks=op.blocks,
            metadata={
                "event_type": REPLY_METADATA_EVENT,
                "event_payload": {"case_id": op.case_id, "event_id": op.event_id},
            },
            unfurl_links=False,
            unfurl_media=False,
        )

    async def _reply_posted(self, op: Op, thread_ts: str) -> bool:
        result = await self.client.conversations_replies(
            channel=op.channel, ts=thread_ts, include_all_metadata=True, limit=200
        )
        return any(
            ((m.get("metadata") or {}).get("event_payload") or {}).get("event_id") == op.event_id
            for m in result.get("messages", [])
        )

    # -- updates of case messages ---------------------------------------------------------

    async def _flush_updates(self) -> float:
        """chat.update for every case that changed: coalesced, so ten clicks are one update."""
        while True:
            case_id = await self.redis.spop(keys.SLACK_DIRTY)
            if case_id is None:
                return 5.0
            thread = await self.outbox.thread_of(case_id)
            if thread is None:
                continue  # not posted yet: the post renders the latest state
            wait_ms = await self._take(
                keys=[keys.slack_bucket("update")],
                args=[self.update_rate / 1000, self.update_burst],
            )
            if wait_ms:
                await self.redis.sadd(keys.SLACK_DIRTY, case_id)
                return int(wait_ms) / 1000
            rendered = await self.render(case_id)
            if rendered is None or rendered.channel != thread[0]:
                continue
            try:
                await self.client.chat_update(
                    channel=thread[0], ts=thread[1], text=rendered.text, blocks=rendered.blocks
                )
            except SlackApiError as exc:
                await self.redis.sadd(keys.SLACK_DIRTY, case_id)
                error = _error(exc)
                if exc.response.status_code == 429:
                    return _retry_after(exc)
                if error in AUTH_ERRORS:
                    await self._pause_all(error)
                    return 1.0
                log.warning("slack: chat.update of case %s failed: %s", case_id, error)
                if error not in CHANNEL_ERRORS and exc.response.status_code < 500:
                    await self.redis.srem(keys.SLACK_DIRTY, case_id)
                return 2.0
            except (aiohttp.ClientError, TimeoutError, OSError):
                await self.redis.sadd(keys.SLACK_DIRTY, case_id)
                return 2.0

    # -- failures -------------------------------------------------------------------------

    async def _failed(self, op: Op, exc: SlackApiError) -> float | None:
        error = _error(exc)
        status = exc.response.status_code
        if status == 429 or error == "ratelimited":
            wait = _retry_after(exc)
            log.info("slack: %s rate limited, retrying in %.0fs", op.channel, wait)
            # Slack's bucket is empty: ours must not burst after the pause either, or every
            # burst would cost another 429 and another pause.
            await self._slow_down(keys=[keys.slack_bucket(op.channel)], args=[int(wait * 1000)])
            return await self._pause(op.channel, wait, None)
        if error in AUTH_ERRORS:
            await self._pause_all(error)
            return 1.0
        if error in CHANNEL_ERRORS:
            hint = (
                "invite the bot: /invite @chatops"
                if error == "not_in_channel"
                else "check the department's channel id"
            )
            log.error(
                "slack: cannot post to %s (%s); %s. Cases stay queued.", op.channel, error, hint
            )
            await self._set_problem(f"slack:{op.channel}", f"{error}: {hint}")
            return await self._pause(op.channel, self.probe_every, None)
        if status >= 500 or error in (
            "internal_error",
            "fatal_error",
            "service_unavailable",
            "request_timeout",
        ):
            return await self._pause(op.channel, self._next_backoff(op.channel), error)
        log.error("slack: %s for case %s refused (%s); dropped", op.kind, op.case_id, error)
        await self._set_problem(f"slack:{op.channel}:{op.kind}", f"last write refused: {error}")
        if op.kind == "post":
            await self.redis.hdel(keys.slack_thread(op.case_id), f"queued:{op.channel}")
        return None

    async def _pause(self, channel: str, seconds: float, reason: str | None) -> float:
        """Leave the op inflight and the channel untouched for `seconds`."""
        if reason:
            log.warning("slack: %s failed (%s); retrying in %.1fs", channel, reason, seconds)
        await self.redis.set(keys.slack_pause(channel), "1", px=max(1, int(seconds * 1000)))
        return seconds

    async def _pause_all(self, error: str) -> None:
        log.error("slack: %s: every write stays queued until the token works again", error)
        await self.redis.set(keys.SLACK_PAUSED, error)
        self._next_probe = time.monotonic() + self.probe_every
        await self._set_problem("slack", f"{error}: check SLACK_BOT_TOKEN")

    def _next_backoff(self, channel: str) -> float:
        current = self._backoff.get(channel, 0.5)
        self._backoff[channel] = min(MAX_BACKOFF_S, current * 2)
        return current * (0.8 + 0.4 * random.random())

    async def _set_problem(self, component: str, reason: str) -> None:
        await self.store.set_problem(component, reason, utcnow())


def _error(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or f"http_{exc.response.status_code}")
    except (AttributeError, TypeError):
        return "unknown_error"


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    if isinstance(value, list):
        value = value[0]
    try:
        return max(0.0, float(value))
    except ValueError:
        return 1.0
