"""Teams' side of the outbox (chatops/outbox.py): the Bot Connector calls and how they fail.

- A case is a new post in its department's channel (Bot Connector `createConversation` with the
  channel in `channelData`); its events are replies in the post's reply chain, the conversation
  `<channel>;messageid=<post id>`; its card is refreshed in place with `updateActivity`.
- Teams throttles a bot per conversation (about 7 messages a second, 60 in 30 s, 1800 an hour)
  and answers 429 with `Retry-After` beyond that: the channel pauses exactly that long and the
  write stays inflight, so nothing is lost and order is kept.
- A channel without a conversation reference (the app was never added to its team) cannot be
  posted to: its writes stay queued, `teams:<channel>` shows in /readyz and /metrics, and the
  install (bot.py) resumes the channel. Refused credentials (401) pause every write for
  `probe_every`; the next write then tells whether they work again.
- A crash mid-call leaves the write inflight and the next sender retries it. Teams offers no
  way to list a channel's posts through the Connector (GetConversations answers 405 there), so
  a retried case post is looked for in our own records only: a post recorded before the crash,
  or adopted since from a click on it (bot.py), is not posted again. If the process died after
  Teams accepted the post but before its id was stored, the case is posted again: a second card
  is possible in that one window, a lost case is not. Replies are at-least-once the same way.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Self, TypeVar, Unpack

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

from chatops import keys, outbox
from chatops.chat.scrub import SCRUB_KIND, quoted_key
from chatops.chat.storm import is_storm_id
from chatops.chat.wording import gone_line
from chatops.redis_text import text_map
from chatops.store import Store
from chatops.teams.markup import CARD_TYPE, escape, is_person
from chatops.teams.references import References, readdressed, thread_id

if TYPE_CHECKING:
    from chatops.teams.direct import Personal

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 15.0

pause_key = keys.TEAMS.pause  # tests pause and inspect channels with it


QUOTE = "quote:"
"""Field prefix, in a case's Teams hash, of a reply that quotes a mention: `quote:<activity>`
-> the mention's key."""


@dataclass
class Op(outbox.Op):
    """One queued write (chatops.outbox.Op): "reply" is text with `mentions`, or a card (pings);
    `conversation` names the reply chain of "reply"/"moved" when not the case's current one,
    `activity` the post "moved" rewrites."""

    mentions: list[tuple[str, str]] = field(default_factory=list)  # (id, display name)
    card: dict[str, Any] | None = None
    conversation: str = ""
    activity: str = ""

    @classmethod
    def loads(cls, raw: str) -> Self:
        data = json.loads(raw)
        data["mentions"] = [tuple(m) for m in data.get("mentions", [])]
        return cls(**data)


class Post(NamedTuple):
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


class Outbox(outbox.Outbox[Op, Post]):
    keys = keys.TEAMS
    op_type = Op
    where_type = Post

    async def post_of(self, case_id: str) -> Post | None:
        return await self.where(case_id)

    async def case_of_thread(self, conversation: str) -> str | None:
        return await self._case_of(conversation)

    async def record_post(self, case_id: str, post: Post) -> None:
        await self.record(case_id, post, post.conversation)

    async def adopt(self, case_id: str, post: Post) -> bool:
        """A click came from a case card we hold no record of: the post whose answer a crash
        lost. Record it, so that the retried post is not sent a second time."""
        if not await self.record_first(case_id, post, post.conversation):
            return False
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

        return await self.turn(readdressed(reference, channel), create)

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

        return await self.turn(readdressed(reference, conversation), send)

    async def update(
        self, reference: ConversationReference, post: Post, activity: Activity
    ) -> None:
        activity.id = post.activity

        async def update(context: TurnContext, _: ConnectorClient) -> None:
            await context.update_activity(activity)

        await self.turn(readdressed(reference, post.conversation), update)

    async def members(
        self, reference: ConversationReference, channel: str, page_size: int = 500
    ) -> list[str]:
        """The AAD object ids of everyone in `channel`'s team (its roster, every page)."""

        async def roster(_: TurnContext, client: ConnectorClient) -> list[str]:
            found: list[str] = []
            token: str | None = None
            while True:
                page = await client.conversations.get_conversation_paged_members(
                    channel, page_size=page_size, continuation_token=token
                )
                found += [m.aad_object_id or m.id for m in page.members or [] if m]
                token = page.continuation_token
                if not token:
                    return found

        return await self.turn(readdressed(reference, channel), roster)

    async def turn(
        self,
        reference: ConversationReference,
        logic: Callable[[TurnContext, ConnectorClient], Awaitable[T]],
    ) -> T:
        """Run `logic` in a proactive turn in `reference`'s conversation, the Connector's
        failures raised as ConnectorError (chatops.teams.direct writes to people through it)."""
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


class Sender(outbox.Sender[Op, Rendered, Post]):
    """Drains the outbox to Teams. Any number of processes may run one."""

    chat = "teams"
    tuning = outbox.Tuning(
        post_rate=1.0,  # per channel and second: under Teams' 60 per 30 s
        post_burst=7,  # Teams allows bursts of 7 a second
        update_rate=4.0,  # card refreshes, all conversations together
        update_burst=10,
        probe_every=30.0,  # refused credentials pause every write this long
        lease_ms=30_000,  # longer than a Connector call may take (CALL_TIMEOUT_S)
    )
    auth_hint = "check MicrosoftAppId / MicrosoftAppPassword"

    def __init__(
        self,
        store: Store,
        connector: Connector,
        outbox: Outbox,
        references: References,
        render: Renderer,
        render_moved: MovedRenderer,
        personal: Personal | None = None,
        **tuning: Unpack[outbox.Tuning],
    ) -> None:
        super().__init__(store, outbox, render, render_moved, **tuning)
        self.connector = connector
        self.outbox: Outbox = outbox
        self.references = references
        self.personal = personal
        """A person's queue (an AAD object id for a channel) writes into their personal chat."""
        self.kinds[SCRUB_KIND] = self.scrub

    def classify(self, exc: Exception, op: Op | None) -> outbox.Failure | None:
        """`op` None: a card refresh, which only 429, 401, 5xx and the network keep."""
        if not isinstance(exc, ConnectorError):
            return None
        status = exc.status
        if status == 429:
            return outbox.RateLimited(exc.retry_after if exc.retry_after is not None else 1.0)
        if status == 401:
            return outbox.AuthRefused(exc.code)
        if status == 0 or status >= 500:
            return outbox.Transient(str(exc))
        if op is None:
            return outbox.Refused(str(exc))
        if status in (400, 403, 404) and is_person(op.channel):
            why = f"cannot write to this person: is the app installed for them? ({exc})"
            return outbox.Refused(why)
        if status == 404 and op.kind in ("reply", "moved"):
            return outbox.Refused(f"the post of the case is gone ({exc})", quiet=True)
        if status in (403, 404):
            hint = (
                "the bot is not a member of this channel's team: add the chatops app to it"
                if status == 403
                else "the channel does not exist: check the department's channel id"
            )
            return outbox.ChannelProblem(f"{exc.code}: {hint}")
        if status == 412:
            return outbox.Transient(str(exc))
        return outbox.Refused(str(exc))

    async def open_channel(self, channel: str) -> ConversationReference:
        if is_person(channel) and self.personal is not None:
            found = await self.personal.where(channel)
            if found is None:
                raise outbox.ChannelUnavailable(
                    "no Teams team has the chatops app yet: direct messages wait for it"
                )
            return found
        reference = await self.references.get(channel)
        if reference is None:
            raise outbox.ChannelUnavailable(
                "no conversation reference for this channel: add the chatops app to its team "
                "(or @mention chatops there once). Cases stay queued"
            )
        return reference

    # -- the Connector calls --------------------------------------------------------------

    async def already_posted(self, op: Op, target: ConversationReference) -> bool:
        known = await self.outbox.post_of(op.case_id)
        if known is not None and known.channel == op.channel:
            await self.outbox.unqueue(op.case_id, op.channel)
            log.info("teams: case %s was posted before a crash; not posting again", op.case_id)
            return True
        log.info(
            "teams: case %s: an earlier attempt to post did not finish; posting again "
            "(Teams cannot be searched for a post whose answer was lost)",
            op.case_id,
        )
        return False

    async def post(self, op: Op, rendered: Rendered, target: ConversationReference) -> None:
        activity = card_activity(rendered.card, rendered.summary)
        post = await self.connector.post(target, op.channel, activity)
        await self.outbox.record_post(op.case_id, post)
        log.info("teams: case %s posted in %s as %s", op.case_id, op.channel, post.activity)
        if is_storm_id(op.case_id):  # members that joined while its summary waited its turn
            await self.outbox.mark_dirty(op.case_id)

    async def reply(self, op: Op, target: ConversationReference, retried: bool) -> None:
        conversation = op.conversation
        if not conversation:
            post = await self.outbox.post_of(op.case_id)
            if post is None or post.channel != op.channel:
                if await self.behind_post(op):
                    return
                log.warning(
                    "teams: case %s has no post in %s; reply dropped", op.case_id, op.channel
                )
                return
            conversation = post.conversation
        activity = card_activity(op.card, op.text) if op.card else _text_activity(op)
        sent = await self.connector.reply(target, conversation, activity)
        if sent and (key := quoted_key(op.event_id)):
            # Teams cannot list a reply chain with our ids: which reply quotes which mention
            # is kept, for when its words are gone (`scrub`).
            await self.redis.hset(self.keys.case(op.case_id), f"{QUOTE}{sent}", key)

    async def scrub(self, op: Op, target: ConversationReference) -> None:
        """The case's replies quoting a mention whose words are gone (removed by its author,
        erased on request: chatops/chat/scrub.py) rewritten to say so, then forgotten."""
        post = await self.outbox.post_of(op.case_id)
        key = self.keys.case(op.case_id)
        quotes = {
            field.removeprefix(QUOTE): mention
            for field, mention in text_map(await self.redis.hgetall(key)).items()
            if field.startswith(QUOTE)
        }
        if post is None or not quotes:
            return
        stored = await self.store.cases.mentions(op.case_id)
        for activity_id, mention_key in quotes.items():
            found = stored.get(mention_key)
            line = gone_line(found) if found is not None else None
            if line is None:
                continue
            reply = Post(post.channel, post.conversation, activity_id)
            text = Activity(type=ActivityTypes.message, text=escape(line))
            await self.connector.update(target, reply, text)
            await self.redis.hdel(key, f"{QUOTE}{activity_id}")

    async def message(self, op: Op, target: ConversationReference) -> None:
        activity = card_activity(op.card, op.text)
        if is_person(op.channel) and self.personal is not None:
            await self.personal.send(op.channel, target, activity)
            return
        await self.connector.post(target, op.channel, activity)

    async def moved(self, op: Op, target: ConversationReference) -> None:
        card = await self.render_moved(op.case_id, op.text)
        post = Post(op.channel, op.conversation, op.activity)
        await self.connector.update(target, post, card_activity(card, ""))

    async def update(self, where: Post, rendered: Rendered) -> None:
        reference = await self.references.get(where.channel)
        if reference is None:
            log.warning(
                "teams: no reference for %s; card of the case in %s stale",
                where.channel,
                where.conversation,
            )
            return
        await self.connector.update(
            reference, where, card_activity(rendered.card, rendered.summary)
        )


def card_activity(card: dict[str, Any] | None, summary: str) -> Activity:
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
