"""Slack's side of the outbox (chatops/outbox.py): the Web API calls and how Slack's errors read.

- Slack allows ~1 message/s per channel with short bursts; `Retry-After` on a 429 is honoured.
- `invalid_auth`/`account_inactive` pause everything until `auth.test` passes again;
  `not_in_channel`/`channel_not_found` pause that channel; 5xx and network errors mean Slack is
  down: every write waits and one probes it every few seconds (chatops/outbox.py).
- A retried write first looks in the channel's history for its message metadata, so that
  nothing is posted twice after a crash.
- Blocks or text Slack refuses (`invalid_blocks`, `msg_too_long`, …) are sent again in a
  minimal form (`Rendered.fallback`: text, link, main buttons; text only for thread
  replies), counted in `chatops_slack_fallbacks_total{reason}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple, Unpack

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops import keys, outbox
from chatops.chat.scrub import REMOVED_KIND, SCRUB_KIND, batch_id, batch_span, quoted_key
from chatops.chat.storm import is_storm_id
from chatops.chat.wording import gone_line
from chatops.outbox import BATCH_KIND
from chatops.redis_text import maybe_text
from chatops.slack.blocks import SECTION_LIMIT, case_metadata, clip_mrkdwn, escape, section
from chatops.slack.ids import METADATA_EVENT, REPLY_METADATA_EVENT
from chatops.store import Store

if TYPE_CHECKING:
    from chatops.metrics import Metrics

log = logging.getLogger(__name__)

AUTH_ERRORS = frozenset(
    {"invalid_auth", "account_inactive", "token_revoked", "not_authed", "token_expired"}
)
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
SERVER_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
CONTENT_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "invalid_attachments",
        "too_many_attachments",
    }
)
"""Slack refused what a write contains: its minimal form is sent instead."""


@dataclass
class Op(outbox.Op):
    """One queued write (chatops.outbox.Op). `ts`: the old message of "moved"; the thread of
    "reply" when it is not the case's current one."""

    blocks: list[dict[str, Any]] | None = None
    ts: str = ""


@dataclass(frozen=True)
class Rendered:
    """What a case message looks like now, as the backend renders it, and its minimal form
    for when Slack refuses the full one (`blocks.fallback_blocks`)."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    fallback: list[dict[str, Any]]


class Thread(NamedTuple):
    """Where a case message is: its channel and ts (the ts of its thread)."""

    channel: str
    ts: str


BatchRenderer = Callable[[str, int], Awaitable[tuple[str, list[dict[str, Any]], int] | None]]
"""(storm id, members listed so far) -> its next batch (text, blocks, listed after it)."""

RangeRenderer = Callable[[str, int, int], Awaitable[tuple[str, list[dict[str, Any]]] | None]]
"""(storm id, start, end) -> the batch of those members as it reads now (text, blocks)."""
Renderer = Callable[[str], Awaitable[Rendered | None]]
"""Case id -> its current message (None: the case is gone)."""
MovedRenderer = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
"""(case id, new channel) -> what the old message becomes."""


class Outbox(outbox.Outbox[Op, Thread]):
    keys = keys.SLACK
    op_type = Op
    where_type = Thread

    async def thread_of(self, case_id: str) -> Thread | None:
        return await self.where(case_id)

    async def case_of_thread(self, channel: str, ts: str) -> str | None:
        return await self._case_of(f"{channel}:{ts}")

    async def record_thread(self, case_id: str, thread: Thread) -> None:
        await self.record(case_id, thread, f"{thread.channel}:{thread.ts}")


class Sender(outbox.Sender[Op, Rendered, Thread]):
    """Drains the outbox to Slack. Any number of processes may run one."""

    chat = "slack"
    tuning = outbox.Tuning(
        post_rate=0.97,  # per channel: 3 % under Slack's 1/s, so jitter never costs a 429
        post_burst=3,  # Slack allows short bursts; a 429 beyond them is honoured
        update_rate=50 / 60,  # chat.update is Tier 3: 50+ per minute
        update_burst=5,
        probe_every=30.0,  # auth.test while the token is refused
        lease_ms=15_000,
    )
    auth_hint = "check SLACK_BOT_TOKEN"
    can_check_auth = True
    can_fall_back = True

    def __init__(
        self,
        store: Store,
        client: AsyncWebClient,
        outbox: Outbox,
        render: Renderer,
        render_moved: MovedRenderer,
        metrics: Metrics | None = None,
        **tuning: Unpack[outbox.Tuning],
    ) -> None:
        super().__init__(store, outbox, render, render_moved, **tuning)
        self.client = client
        self.outbox: Outbox = outbox
        self.metrics = metrics
        self.render_batch: BatchRenderer | None = None
        """Set by the backend: how a storm's batch reads (chatops/slack/storm.py)."""
        self.render_range: RangeRenderer | None = None
        """Set by the backend: a batch already posted, its members at positions [start,
        end), as it reads now (a scrub rewrites it)."""
        self.kinds[BATCH_KIND] = self.batch
        self.kinds[SCRUB_KIND] = self.scrub
        self.kinds[REMOVED_KIND] = self.removed

    def classify(self, exc: Exception, op: Op | None) -> outbox.Failure | None:
        if isinstance(exc, NETWORK_ERRORS):
            return outbox.Transient(f"network: {type(exc).__name__}")
        if not isinstance(exc, SlackApiError):
            return None
        error = _error(exc)
        status = exc.response.status_code
        if status == 429 or error == "ratelimited":
            return outbox.RateLimited(_retry_after(exc))
        if error in AUTH_ERRORS:
            return outbox.AuthRefused(error)
        if error in CHANNEL_ERRORS and op is not None and op.channel[:1] in ("U", "W"):
            return outbox.Refused(f"{error}: no direct message to this user")  # not a channel
        if error in CHANNEL_ERRORS:
            hint = (
                "invite the bot: /invite @chatops"
                if error == "not_in_channel"
                else "check the department's channel id"
            )
            return outbox.ChannelProblem(f"{error}: {hint}")
        if status >= 500 or error in SERVER_ERRORS:
            return outbox.Transient(error)
        return outbox.Refused(error, content=error in CONTENT_ERRORS)

    async def check_auth(self) -> bool:
        """False when Slack refuses the token; Slack being down (network, 5xx) is raised, so
        that the next probe comes after the outage backoff rather than `probe_every`."""
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            if isinstance(self.classify(exc, None), outbox.Transient):
                raise
            await self._set_problem("slack", f"{_error(exc)}: {self.auth_hint}")
            return False
        return True

    # -- the Web API calls ----------------------------------------------------------------

    async def already_posted(self, op: Op, target: Any) -> bool:
        """After a crash: was the case message posted but not recorded? Look at its metadata."""
        result = await self.client.conversations_history(
            channel=op.channel,
            oldest=str(op.queued_at - 60),
            limit=200,
            include_all_metadata=True,
        )
        messages: list[dict[str, Any]] = result.get("messages") or []
        for message in messages:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT and payload.get("case_id") == op.case_id:
                log.info("slack: case %s was posted before a crash; not posting again", op.case_id)
                await self.outbox.record_thread(op.case_id, Thread(op.channel, str(message["ts"])))
                return True
        return False

    async def post(self, op: Op, rendered: Rendered, target: Any) -> None:
        await self._post_case(op, rendered.text, rendered.blocks)
        if is_storm_id(op.case_id):  # members that joined while its summary waited its turn
            await self.outbox.mark_dirty(op.case_id)

    async def _post_case(self, op: Op, text: str, blocks: list[dict[str, Any]]) -> None:
        result = await self.client.chat_postMessage(
            channel=op.channel,
            text=text,
            blocks=blocks,
            metadata=case_metadata(op.case_id),
            unfurl_links=False,
            unfurl_media=False,
        )
        await self.outbox.record_thread(op.case_id, Thread(op.channel, str(result["ts"])))

    async def reply(self, op: Op, target: Any, retried: bool) -> None:
        thread = Thread(op.channel, op.ts) if op.ts else await self.outbox.thread_of(op.case_id)
        if thread is None or thread.channel != op.channel:
            if await self.behind_post(op):
                return
            log.warning(
                "slack: case %s has no message in %s; thread reply dropped", op.case_id, op.channel
            )
            return
        if retried and await self._reply_posted(op, thread.ts):
            return
        await self.client.chat_postMessage(
            channel=op.channel,
            thread_ts=thread.ts,
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
        replies: list[dict[str, Any]] = result.get("messages") or []
        return any(
            ((m.get("metadata") or {}).get("event_payload") or {}).get("event_id") == op.event_id
            for m in replies
        )

    async def batch(self, op: Op, target: Any) -> None:
        """A storm's members since the last batch, one message in its summary's thread. What
        it lists is recorded as pending before the call and as listed after it, so a sender
        that died in between finds its message (by the op's metadata) instead of listing the
        same members twice."""
        thread = await self.outbox.thread_of(op.case_id)
        if thread is None or self.render_batch is None:
            return
        key = self.keys.case(op.case_id)
        raw_listed, raw_pending = await self.redis.hmget(key, ["listed", "pending"])
        listed = int(maybe_text(raw_listed) or 0)
        event, _, until = (maybe_text(raw_pending) or "").partition(":")
        if event and await self._reply_posted(replace(op, event_id=event), thread.ts):
            listed = int(until)
            await self.redis.hset(key, "listed", listed)
        rendered = await self.render_batch(op.case_id, listed)
        if rendered is None:
            await self.redis.hdel(key, "pending")
            return
        text, blocks, last = rendered
        event = batch_id(op.event_id, listed, last)  # names its members: a scrub finds them
        await self.redis.hset(key, "pending", f"{event}:{last}")
        await self.client.chat_postMessage(
            channel=thread.channel,
            thread_ts=thread.ts,
            text=text,
            blocks=blocks,
            metadata={
                "event_type": REPLY_METADATA_EVENT,
                "event_payload": {"case_id": op.case_id, "event_id": event},
            },
            unfurl_links=False,
            unfurl_media=False,
        )
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(key, "listed", last)
        pipe.hdel(key, "pending")
        await pipe.execute()
        if await self.render_batch(op.case_id, last) is not None:  # more than one batch holds
            await self.redis.zadd(self.keys.storm_batches, {op.case_id: 0}, nx=True)

    async def scrub(self, op: Op, target: Any) -> None:
        """The case's thread lines quoting a mention whose words are gone (removed by its
        author, erased on request: chatops/chat/scrub.py) rewritten to say so. Each line is
        found by the id it was posted with; one already rewritten is left alone (a retry)."""
        thread = await self.outbox.thread_of(op.case_id)
        if thread is None:
            return
        if is_storm_id(op.case_id):
            await self._scrub_batches(op, thread)
            return
        stored = await self.store.cases.mentions(op.case_id)
        gone = {key: line for key, m in stored.items() if (line := gone_line(m)) is not None}
        if not gone:
            return
        async for message, event_id in self._our_replies(thread):
            line = gone.get(quoted_key(event_id) or "")
            if line is not None and message.get("text") != (text := escape(line)):
                await self.client.chat_update(
                    channel=thread.channel, ts=message["ts"], text=text, blocks=[section(text)]
                )

    async def _our_replies(self, thread: Thread) -> AsyncIterator[tuple[dict[str, Any], str]]:
        """Our replies in a thread (by their metadata), each with the id it was posted with."""
        cursor = None
        while True:
            result = await self.client.conversations_replies(
                channel=thread.channel,
                ts=thread.ts,
                include_all_metadata=True,
                limit=200,
                **({"cursor": cursor} if cursor else {}),
            )
            for message in result.get("messages") or []:
                meta = message.get("metadata") or {}
                if meta.get("event_type") == REPLY_METADATA_EVENT:
                    yield message, str((meta.get("event_payload") or {}).get("event_id") or "")
            cursor = (result.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    async def removed(self, op: Op, target: Any) -> None:
        """A deleted case's message becomes its note (retention); nothing else is shown."""
        text = escape(op.text)
        await self.client.chat_update(
            channel=op.channel, ts=op.ts, text=text, blocks=[section(text)]
        )

    async def _scrub_batches(self, op: Op, thread: Thread) -> None:
        """A storm's batch messages listing a member at one of the positions `op.text` names
        (JSON) rendered again from the roster, which no longer quotes them."""
        positions = set(json.loads(op.text or "[]"))
        if not positions or self.render_range is None:
            return
        async for message, event_id in self._our_replies(thread):
            span = batch_span(event_id)
            if span is None or not positions & set(range(*span)):
                continue
            rendered = await self.render_range(op.case_id, *span)
            if rendered is not None:
                text, blocks = rendered
                await self.client.chat_update(
                    channel=thread.channel, ts=message["ts"], text=text, blocks=blocks
                )

    async def message(self, op: Op, target: Any) -> None:
        await self.client.chat_postMessage(
            channel=op.channel, text=op.text, blocks=op.blocks, unfurl_links=False
        )

    async def moved(self, op: Op, target: Any) -> None:
        blocks = await self.render_moved(op.case_id, op.text)
        await self.client.chat_update(
            channel=op.channel, ts=op.ts, text=f"moved to <#{op.text}>", blocks=blocks
        )

    async def update(self, where: Thread, rendered: Rendered) -> None:
        await self.client.chat_update(
            channel=where.channel, ts=where.ts, text=rendered.text, blocks=rendered.blocks
        )

    # -- when Slack refuses what a write contains -----------------------------------------

    async def minimal(self, op: Op, target: Any) -> None:
        """The case message in its minimal form; replies, digests and "moved" as text only."""
        text = clip_mrkdwn(op.text, SECTION_LIMIT)
        if op.kind == "post":
            rendered = await self.render(op.case_id)
            if rendered is None or rendered.channel != op.channel:
                await self.outbox.unqueue(op.case_id, op.channel)
                return
            await self._post_case(op, rendered.text, rendered.fallback)
        elif op.kind == "reply":
            await self.reply(replace(op, text=text, blocks=None), target, retried=False)
        elif op.kind == "message":
            await self.message(replace(op, text=text, blocks=None), target)
        elif op.kind == "moved":
            await self.client.chat_update(
                channel=op.channel, ts=op.ts, text=f"moved to <#{op.text}>", blocks=[]
            )

    async def minimal_update(self, where: Thread, rendered: Rendered) -> None:
        await self.client.chat_update(
            channel=where.channel, ts=where.ts, text=rendered.text, blocks=rendered.fallback
        )

    def fell_back(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.slack_fallbacks.labels(reason).inc()


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
