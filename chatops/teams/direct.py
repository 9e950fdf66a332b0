"""Writing to one person directly in Teams (chatops.chat.MessagesPeople): their personal chat
with the bot.

A bot starts a 1:1 chat proactively with the Bot Connector's `POST /v3/conversations`
(botbuilder's `ConversationParameters`: `is_group` false, `members` the one user, the tenant
and the bot account), which Teams allows once the app is installed for that user (by them, or
for everyone by an admin); the user may be named by their AAD object id, as approvers are
configured. The service URL, tenant and bot account come from any channel the app is in
(references.py). The chat's reference is kept per person in Redis, so that every process
writes into the same chat, and a message the person sends the bot refreshes it (`learn`).

Direct writes go through the Teams outbox, queued per person (outbox.Sender routes a person's
queue here), so the Connector's per-conversation limits, `Retry-After` and outages hold for
them too: `message` queues a one-off (a digest), `Personal.send`/`update` are the calls an
outbox op makes when it must remember where its message went (the approval inbox).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.aio import ConnectorClient

from chatops import keys
from chatops.redis_text import text
from chatops.teams.markup import is_person
from chatops.teams.outbox import Connector, Op
from chatops.teams.references import References, dumps, loads

log = logging.getLogger(__name__)

PERSONAL = keys.TEAMS_PERSONAL
PERSONAL_TYPE = "personal"

__all__ = ["Personal", "is_person", "message", "people"]


def people(targets: Iterable[str]) -> list[str]:
    """The Teams users `targets` name (AAD object ids, Teams user ids), each once, in order."""
    return list(dict.fromkeys(t for t in targets if is_person(t)))


def message(person: str, card: dict[str, Any], summary: str, case_id: str = "") -> Op:
    """A one-off card in a person's chat with the bot, for `Outbox.enqueue`."""
    return Op("message", case_id, person, text=summary, card=card)


def is_personal(reference: ConversationReference) -> bool:
    conversation = reference.conversation
    return conversation is not None and conversation.conversation_type == PERSONAL_TYPE


class Personal:
    """The bot's personal chats, one per person: found, started, written to."""

    def __init__(self, redis: aioredis.Redis, references: References, connector: Connector):
        self.redis = redis
        self.references = references
        self.connector = connector

    async def where(self, person: str) -> ConversationReference | None:
        """What writing to `person` starts from: their chat with the bot if we know it, else
        any channel's reference (`open` then starts the chat); None before any install."""
        raw = await self.redis.hget(PERSONAL, person)
        if raw:
            reference = loads(text(raw))
            if self.references.accept(reference.service_url):
                return reference
        return await self.references.any()

    async def learn(self, reference: ConversationReference, person: str) -> None:
        """The person wrote to the bot in their personal chat: keep where that chat is."""
        if is_person(person) and is_personal(reference):
            if self.references.accept(reference.service_url):
                await self.redis.hset(PERSONAL, person, dumps(reference))

    async def open(self, person: str, base: ConversationReference) -> ConversationReference:
        """The person's chat with the bot: `base` if it is that chat, else started now."""
        if is_personal(base):
            return base
        conversation = base.conversation or ConversationAccount()
        tenant = conversation.tenant_id
        params = ConversationParameters(
            is_group=False,
            bot=base.bot,
            members=[ChannelAccount(id=person)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )

        async def create(_: TurnContext, client: ConnectorClient) -> str:
            result = await client.conversations.create_conversation(params)
            return str(result.id or "")

        chat_id = await self.connector.turn(base, create)
        reference = ConversationReference(
            bot=base.bot,
            user=ChannelAccount(id=person),
            conversation=ConversationAccount(
                id=chat_id,
                conversation_type=PERSONAL_TYPE,
                is_group=False,
                tenant_id=tenant,
            ),
            channel_id=base.channel_id or "msteams",
            service_url=base.service_url,
        )
        await self.redis.hset(PERSONAL, person, dumps(reference))
        log.info("teams: started a personal chat with a user")
        return reference

    async def send(self, person: str, base: ConversationReference, activity: Activity) -> str:
        """Send `activity` into the person's chat with the bot; the id of the message sent."""
        reference = await self.open(person, base)

        async def send(context: TurnContext, _: ConnectorClient) -> str:
            context.activity.id = None  # a made-up continuation id would become a replyToId
            response = await context.send_activity(activity)
            return str(response.id) if response and response.id else ""

        return await self.connector.turn(reference, send)

    async def update(
        self, person: str, base: ConversationReference, activity_id: str, activity: Activity
    ) -> None:
        """Rewrite a message `send` sent to the person (the Connector's updateActivity)."""
        reference = await self.open(person, base)
        activity.id = activity_id

        async def update(context: TurnContext, _: ConnectorClient) -> None:
            await context.update_activity(activity)

        await self.connector.turn(reference, update)
