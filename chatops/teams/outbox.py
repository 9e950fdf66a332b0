"""Every Teams write goes through here: queued in Redis per channel, rate-limited, retried.

The shape is the Slack outbox's (chatops/slack/outbox.py), and so are its Redis scripts for the
shared token bucket and the per-channel lease. What is Teams' own:

- A case is a new post in its department's channel (Bot Connector `createConversation` with the
  channel in `channelData`); its events are replies in the post's reply chain, the conversation
  `<channel>;messageid=<post id>`; its card is refreshed in place with `updateActivity`.
- Teams throttles a bot per conversation (about 7 messages a second, 60 in 30 s, 1800 an hour)
  and answers 429 with `Retry-After` beyond that: the channel pauses exactly that long and the
  write stays inflight, so nothing is lost and order is kept.
- A channel without a conversation reference (the app was never added to its team) cannot be
  posted to: its writes stay queued, `teams:<channel>` shows in /readyz and /metrics, and the
  install (bot.py) resumes the channel.
- A crash mid-call leaves the write inflight and the next sender retries it. Teams offers no
  way to list a channel's posts through the Connector (GetConversations answers 405 there), so
  a retried case post is looked for in our own records only: a post recorded before the crash,
  or adopted since from a click on it (bot.py), is not posted again. If the process died after
  Teams accepted the post but before its id was stored, the case is posted again: a second card
  is possible in that one window, a lost case is not. Replies are at-least-once the same way.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
    Mention,
)
from botframework.connector.aio import ConnectorClient
from msrest.exceptions import ClientRequestError

from chatops import keys
from chatops.domain import utcnow
from chatops.slack.outbox import _RELEASE_IF_EMPTY, _RELEASE_LEASE, _SLOW_DOWN, _TAKE_TOKEN
from chatops.store import Store
from chatops.teams.references import References, readdressed, thread_id

log = logging.getLogger(__name__)

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
POST_RATE = 1.0  # per channel and second: under Teams' 60 per 30 s, and bursts of 7 are allowed
POST_BURST = 7
UPDATE_RATE = 4.0  # card refreshes, all conversations together
UPDATE_BURST = 10
LEASE_MS = 30_000  # longer than a Connector call may take (CALL_TIMEOUT_S)
CALL_TIMEOUT_S = 15.0
PROBE_EVERY_S = 30.0
MAX_BACKOFF_S = 60.0

# -- Redis keys of the Teams outbox (the shapes of chatops/keys.py's Slack outbox) ------------
CHANNELS = f"{keys.G}:teams:channels"  # set of channels with queued writes
DIRTY = f"{keys.G}:teams:dirty"  # set of case ids whose card needs updateActivity
THREADS = f"{keys.G}:teams:threads"  # hash: reply chain conversation id -> case id
PAUSED = f"{keys.G}:teams:paused"  # every write waits (credentials refused), with a TTL


def queue_key(channel: str) -> str:
    return f"{keys.G}:teams:q:{channel}"


def inflight_key(channel: str) -> str:
    return f"{keys.G}:teams:inflight:{channel}"


def lease_key(channel: str) -> str:
    return f"{keys.G}:teams:lease:{channel}"


def bucket_key(name: str) -> str:
    return f"{keys.G}:teams:bucket:{name}"


def pause_key(channel: str) -> str:
    return f"{keys.G}:teams:pause:{channel}"


def post_key(case_id: str) -> str:
    """Hash: `channel`, `conversation`, `activity` of the case's post; `queued:<channel>`."""
    return f"{keys.PREFIX}:case:{{{case_id}}}:teams"


@dataclass
class Op:
    """One queued write. A case post renders the case when it is sent, so it is never stale."""

    kind: str  # "post" (case card), "reply" (in its reply chain: text, or a card for pings),
    # "moved" (old card after a reroute), "message" (a post of its own: digest, report)
    case_id: str
    channel: str
    text: str = ""
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (id, display name)
    card: dict[str, Any] | None = None
    conversation: str = ""  # "reply"/"moved": the reply chain, when not the case's current one
    activity: str = ""  # "moved": the post to rewrite
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    queued_at: float = field(default_factory=time.time)

    def dumps(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> Op:
        data = json.loads(raw)
        data["mentions"] = [tuple(m) for m in data.get("mentions", [])]
        return cls(**data)


@dataclass(frozen=True)
class Post:
    """Where a case's card is: its channel, reply chain and activity id."""

    channel: str
    conversation: str
    activity: str


@dataclass(frozen=True)
class Rendered:
    """A case card as the backend renders it now."""

    channel: str
    card: dict[str, Any]
    summary: str  # what notifications and the activity feed show


Renderer = Callable[[str], Awaitable[Rendered | None]]
MovedRenderer = Callable[[str, str], Awaitable[dict[str, Any]]]
"""(case id, new channel) -> what its old card becomes."""

T = TypeVar("T")


class Outbox:
    """Enqueue side, used wherever cases change (web for clicks, worker for arrivals)."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.local_wake = asyncio.Event()

    async def enqueue(self, op: Op) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(queue_key(op.channel), op.dumps())
        pipe.sadd(CHANNELS, op.channel)
        await pipe.execute()
        self.local_wake.set()

    async def post_once(self, case_id: str, channel: str) -> bool:
        """Queue the case's post in `channel` unless it is there or already queued."""
        key = post_key(case_id)
        if await self.redis.hget(key, "channel") == channel:
            return False
        if not await self.redis.hsetnx(key, f"queued:{channel}", "1"):
            return False
        await self.enqueue(Op("post", case_id, channel))
        return True

    async def mark_dirty(self, case_id: str) -> None:
        await self.redis.sadd(DIRTY, case_id)
        self.local_wake.set()

    async def resume(self, channel: str) -> None:
        """A reference for `channel` arrived: try its queued writes now."""
        await self.redis.delete(pause_key(channel))
        self.local_wake.set()

    async def post_of(self, case_id: str) -> Post | None:
        got = await self.redis.hmget(post_key(case_id), ["channel", "conversation", "activity"])
        return Post(got[0], got[1], got[2]) if all(got) else None

    async def case_of_thread(self, conversation: str) -> str | None:
        return await self.redis.hget(THREADS, conversation)

    async def record_post(self, case_id: str, post: Post) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            post_key(case_id),
            mapping={
                "channel": post.channel,
                "conversation": post.conversation,
                "activity": post.activity,
            },
        )
        pipe.hdel(post_key(case_id), f"queued:{post.channel}")
        pipe.hset(THREADS, post.conversation, case_id)
        await pipe.execute()

    async def adopt(self, case_id: str, post: Post) -> bool:
        """A click came from a case card we hold no record of: the post whose answer a crash
        lost. Record it, so that the retried post is not sent a second time."""
        if not await self.redis.hsetnx(post_key(case_id), "activity", post.activity):
            return False
        await self.record_post(case_id, post)
        log.info("teams: case %s: adopted post %s after a lost answer", case_id, post.activity)
        return True


class ConnectorError(Exception):
    """A Connector call failed; `status` 0 when no HTTP answer came."""

    def __init__(self, status: int, code: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.retry_after = retry_after


class Connector:
    """The Bot Connector calls of the outbox, each a proactive turn of botbuilder's adapter.

    The adapter builds the authenticated ConnectorClient for the reference's service URL; its
    own retries are switched off so that every retry is the outbox's decision (a POST retried
    after a lost answer is a double post) and each call is bounded by a timeout.
    """

    def __init__(self, adapter: CloudAdapter, app_id: str, timeout: float = CALL_TIMEOUT_S):
        self.adapter = adapter
        self.app_id = app_id
        self.timeout = timeout

    async def post(
        self, reference: ConversationReference, channel: str, activity: Activity
    ) -> Post:
        """A new post in `channel`: createConversation, as Teams wants it for channel posts."""
        conversation = reference.conversation
        tenant = conversation.tenant_id if conversation else None
        params = ConversationParameters(
            is_group=True,
            bot=reference.bot,
            tenant_id=tenant,
            channel_data={
                "channel": {"id": channel},
                **({"tenant": {"id": tenant}} if tenant else {}),
            },
            activity=activity,
        )

        async def create(_: TurnContext, client: ConnectorClient) -> Post:
            result = await client.conversations.create_conversation(params)
            conversation_id = str(result.id or "")
            activity_id = str(result.activity_id or conversation_id.rpartition("=")[2])
            if ";messageid=" not in conversation_id:
                conversation_id = thread_id(channel, activity_id)
            return Post(channel, conversation_id, activity_id)

        return await self._turn(readdressed(reference, channel), create)

    async def reply(
        self, reference: ConversationReference, conversation: str, activity: Activity
    ) -> str:
        """A reply in the chain `conversation` (`<channel>;messageid=<post id>`)."""

        async def send(context: TurnContext, _: ConnectorClient) -> str:
            # A continuation activity has a made-up id that would become the replyToId; the
            # reply chain is named by the conversation id alone.
            context.activity.id = None
            response = await context.send_activity(activity)
            return str(response.id) if response and response.id else ""

        return await self._turn(readdressed(reference, conversation), send)

    async def update(
        self, reference: ConversationReference, post: Post, activity: Activity
    ) -> None:
        activity.id = post.activity

        async def update(context: TurnContext, _: ConnectorClient) -> None:
            await context.update_activity(activity)

        await self._turn(readdressed(reference, post.conversation), update)

    async def _turn(
        self,
        reference: ConversationReference,
        logic: Callable[[TurnContext, ConnectorClient], Awaitable[T]],
    ) -> T:
        results: list[T] = []

        async def callback(context: TurnContext) -> None:
            client: ConnectorClient = context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
            client.config.connection.timeout = self.timeout
            client.config.retry_policy.retries = 0
            results.append(await logic(context, client))

        try:
            await self.adapter.continue_conversation(reference, callback, self.app_id)
        except ErrorResponseException as exc:
            raise _connector_error(exc) from exc
        except ClientRequestError as exc:
            raise ConnectorError(0, f"network: {type(exc.inner_exception).__name__}") from exc
        except PermissionError as exc:  # no token: Microsoft Entra refused the app's credentials
            raise ConnectorError(401, "token_refused") from exc
        except requests.RequestException as exc:  # the token endpoint could not be reached
            raise ConnectorError(0, f"network: {type(exc).__name__}") from exc
        return results[0]


class Sender:
    """Drains the outbox to Teams. Any number of processes may run one."""

    def __init__(
        self,
        store: Store,
        connector: Connector,
        outbox: Outbox,
        references: References,
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
        self.connector = connector
        self.outbox = outbox
        self.references = references
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
        self.sent = 0

    # -- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                wait = await self.tick()
            except Exception:
                log.exception("teams sender: tick failed; retrying")
                wait = 1.0
            if wait > 0:
                await self._sleep(stop, wait)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait for work queued by this process, or `seconds` (others' work is found on the
        next tick: every role that changes cases runs a sender of its own)."""
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
        paused_ms = await self.redis.pttl(PAUSED)
        if paused_ms > 0:
            return paused_ms / 1000
        waits = [5.0]
        for channel in await self.redis.smembers(CHANNELS):
            waits.append(await self._drain_channel(channel))
        waits.append(await self._flush_updates())
        return max(0.0, min(waits))

    async def pending(self) -> bool:
        """Anything left to send (for one-shot commands and tests)."""
        return bool(await self.redis.scard(CHANNELS) or await self.redis.scard(DIRTY))

    # -- channel queues -------------------------------------------------------------------

    async def _drain_channel(self, channel: str) -> float:
        pause_ms = await self.redis.pttl(pause_key(channel))
        if pause_ms > 0:
            return pause_ms / 1000
        lease = lease_key(channel)
        if not await self.redis.set(lease, self.name, nx=True, px=self.lease_ms):
            return 0.5
        try:
            while True:
                raw = await self.redis.lindex(inflight_key(channel), 0)
                retried = raw is not None
                if raw is None:
                    raw = await self.redis.lmove(
                        queue_key(channel), inflight_key(channel), "LEFT", "RIGHT"
                    )
                if raw is None:
                    await self._release_if_empty(
                        keys=[queue_key(channel), inflight_key(channel), CHANNELS],
                        args=[channel],
                    )
                    return 5.0
                reference = await self.references.get(channel)
                if reference is None:
                    return await self._no_reference(channel)
                wait_ms = await self._take(
                    keys=[bucket_key(channel)], args=[self.post_rate / 1000, self.post_burst]
                )
                if wait_ms:
                    return int(wait_ms) / 1000
                outcome = await self._send(Op.loads(raw), reference, retried)
                if outcome is not None:
                    return outcome
                await self.redis.delete(inflight_key(channel))
                self._backoff.pop(channel, None)
        finally:
            await self._release_lease(keys=[lease], args=[self.name])

    async def _send(self, op: Op, reference: ConversationReference, retried: bool) -> float | None:
        """Send one op; None when done (sent, skipped or dropped), else seconds to wait."""
        try:
            if op.kind == "post":
                await self._post(op, reference, retried)
            elif op.kind == "reply":
                await self._reply(op, reference)
            elif op.kind == "message":
                await self.connector.post(reference, op.channel, _card_activity(op.card, op.text))
            elif op.kind == "moved":
                card = await self.render_moved(op.case_id, op.text)
                post = Post(op.channel, op.conversation, op.activity)
                await self.connector.update(reference, post, _card_activity(card, ""))
            else:
                log.error("teams outbox: unknown op %s dropped", op.kind)
        except ConnectorError as exc:
            return await self._failed(op, exc)
        self.sent += 1
        await self.store.clear_problem(f"teams:{op.channel}")
        await self.store.clear_problem("teams")
        return None

    async def _post(self, op: Op, reference: ConversationReference, retried: bool) -> None:
        rendered = await self.render(op.case_id)
        if rendered is None or rendered.channel != op.channel:
            await self.redis.hdel(post_key(op.case_id), f"queued:{op.channel}")
            return  # rerouted meanwhile: the post queued for the new channel takes over
        if retried:
            known = await self.outbox.post_of(op.case_id)
            if known is not None and known.channel == op.channel:
                await self.redis.hdel(post_key(op.case_id), f"queued:{op.channel}")
                log.info("teams: case %s was posted before a crash; not posting again", op.case_id)
                return
            log.info(
                "teams: case %s: an earlier attempt to post did not finish; posting again "
                "(Teams cannot be searched for a post whose answer was lost)",
                op.case_id,
            )
        activity = _card_activity(rendered.card, rendered.summary)
        post = await self.connector.post(reference, op.channel, activity)
        await self.outbox.record_post(op.case_id, post)
        log.info("teams: case %s posted in %s as %s", op.case_id, op.channel, post.activity)

    async def _reply(self, op: Op, reference: ConversationReference) -> None:
        conversation = op.conversation
        if not conversation:
            post = await self.outbox.post_of(op.case_id)
            if post is None or post.channel != op.channel:
                log.warning(
                    "teams: case %s has no post in %s; reply dropped", op.case_id, op.channel
                )
                return
            conversation = post.conversation
        activity = _card_activity(op.card, op.text) if op.card else _text_activity(op)
        await self.connector.reply(reference, conversation, activity)

    # -- card refreshes -------------------------------------------------------------------

    async def _flush_updates(self) -> float:
        """updateActivity for every case that changed: coalesced, ten clicks are one update."""
        while True:
            case_id = await self.redis.spop(DIRTY)
            if case_id is None:
                return 5.0
            post = await self.outbox.post_of(case_id)
            if post is None:
                continue  # not posted yet: the post renders the latest state
            wait_ms = await self._take(
                keys=[bucket_key("update")], args=[self.update_rate / 1000, self.update_burst]
            )
            if wait_ms:
                await self.redis.sadd(DIRTY, case_id)
                return int(wait_ms) / 1000
            rendered = await self.render(case_id)
            if rendered is None or rendered.channel != post.channel:
                continue  # rerouted: the old card was rewritten by its "moved" op
            reference = await self.references.get(post.channel)
            if reference is None:
                log.warning(
                    "teams: no reference for %s; card of case %s stale", post.channel, case_id
                )
                continue
            activity = _card_activity(rendered.card, rendered.summary)
            try:
                await self.connector.update(reference, post, activity)
            except ConnectorError as exc:
                if exc.status == 429 or exc.status == 0 or exc.status >= 500:
                    await self.redis.sadd(DIRTY, case_id)
                    if exc.status == 429:
                        wait = exc.retry_after or 1.0
                        await self._slow_down(keys=[bucket_key("update")], args=[int(wait * 1000)])
                        return wait
                    return 2.0
                if exc.status == 401:
                    await self.redis.sadd(DIRTY, case_id)
                    await self._pause_all(exc)
                    return self.probe_every
                log.warning("teams: card of case %s not updated: %s", case_id, exc)

    # -- failures -------------------------------------------------------------------------

    async def _no_reference(self, channel: str) -> float:
        hint = (
            "no conversation reference for this channel: add the chatops app to its team "
            "(or @mention chatops there once). Cases stay queued"
        )
        log.error("teams: cannot post to %s: %s", channel, hint)
        await self._set_problem(f"teams:{channel}", hint)
        return await self._pause(channel, self.probe_every, None)

    async def _failed(self, op: Op, exc: ConnectorError) -> float | None:
        if exc.status == 429:
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            log.info("teams: %s throttled, retrying in %.1fs", op.channel, wait)
            # Teams' window is full: ours must not burst after the pause either, or each
            # burst would cost another 429.
            await self._slow_down(keys=[bucket_key(op.channel)], args=[int(wait * 1000)])
            return await self._pause(op.channel, wait, None)
        if exc.status == 401:
            await self._pause_all(exc)
            return self.probe_every
        if exc.status == 404 and op.kind in ("reply", "moved"):
            log.warning(
                "teams: the post of case %s is gone (%s); its %s dropped", op.case_id, exc, op.kind
            )
            return None
        if exc.status in (403, 404):
            hint = (
                "the bot is not a member of this channel's team: add the chatops app to it"
                if exc.status == 403
                else "the channel does not exist: check the department's channel id"
            )
            log.error(
                "teams: cannot post to %s (%s); %s. Cases stay queued.", op.channel, exc, hint
            )
            await self._set_problem(f"teams:{op.channel}", f"{exc.code}: {hint}")
            return await self._pause(op.channel, self.probe_every, None)
        if exc.status == 0 or exc.status >= 500 or exc.status == 412:
            return await self._pause(op.channel, self._next_backoff(op.channel), str(exc))
        log.error("teams: %s for case %s refused (%s); dropped", op.kind, op.case_id, exc)
        await self._set_problem(f"teams:{op.channel}:{op.kind}", f"last write refused: {exc}")
        if op.kind == "post":
            await self.redis.hdel(post_key(op.case_id), f"queued:{op.channel}")
        return None

    async def _pause(self, channel: str, seconds: float, reason: str | None) -> float:
        """Leave the op inflight and the channel untouched for `seconds`."""
        if reason:
            log.warning("teams: %s failed (%s); retrying in %.1fs", channel, reason, seconds)
        await self.redis.set(pause_key(channel), "1", px=max(1, int(seconds * 1000)))
        return seconds

    async def _pause_all(self, exc: ConnectorError) -> None:
        log.error("teams: %s: every write stays queued until the credentials work", exc)
        await self.redis.set(PAUSED, exc.code, px=max(1, int(self.probe_every * 1000)))
        await self._set_problem("teams", f"{exc.code}: check MicrosoftAppId / MicrosoftAppPassword")

    def _next_backoff(self, channel: str) -> float:
        current = self._backoff.get(channel, 0.5)
        self._backoff[channel] = min(MAX_BACKOFF_S, current * 2)
        return current * (0.8 + 0.4 * random.random())

    async def _set_problem(self, component: str, reason: str) -> None:
        await self.store.set_problem(component, reason, utcnow())


def _card_activity(card: dict[str, Any] | None, summary: str) -> Activity:
    """A message that is one Adaptive Card; `summary` is what notifications show of it."""
    return Activity(
        type=ActivityTypes.message,
        summary=summary or None,
        attachments=[Attachment(content_type=CARD_TYPE, content=card or {})],
    )


def _text_activity(op: Op) -> Activity:
    """A reply whose `<at>…</at>` parts notify the people in `op.mentions`: each entity's
    `text` must be the `<at>` part exactly as it stands in the message."""
    entities: list[Any] = [
        Mention(
            mentioned=ChannelAccount(id=person, name=html.unescape(display)),
            text=f"<at>{display}</at>",
            type="mention",
        )
        for person, display in op.mentions
    ]
    return Activity(type=ActivityTypes.message, text=op.text, entities=entities or None)


def _connector_error(exc: ErrorResponseException) -> ConnectorError:
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    code = ""
    error = getattr(exc.error, "error", None)
    if error is not None:
        code = str(getattr(error, "code", "") or "")
    retry_after = None
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    if value is not None:
        try:
            retry_after = max(0.0, float(value))
        except ValueError:
            retry_after = 1.0
    return ConnectorError(status, code or f"http_{status}", retry_after)
