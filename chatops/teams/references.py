"""Where the bot may post: a conversation reference for every Teams channel it can reach.

A bot can only post proactively into a team it was added to, and the service URL, tenant and
bot account it must post with arrive only in the activities Teams sends it (the install above
all). They are kept in Redis, keyed by channel id, so that every process can post.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from copy import copy

import redis.asyncio as aioredis
from botbuilder.schema import ConversationAccount, ConversationReference

from chatops import keys
from chatops.redis_text import text, text_map, texts

REFERENCES = keys.TEAMS_REFERENCES
NAMES = keys.TEAMS_NAMES

log = logging.getLogger(__name__)

THREAD_MARK = ";messageid="
"""A reply chain's conversation id is `<channel id>;messageid=<id of its first post>`."""


def channel_of(conversation_id: str) -> str:
    """The channel a conversation id (a channel's or a reply chain's) belongs to."""
    return conversation_id.split(THREAD_MARK, 1)[0]


def thread_id(channel: str, post_id: str) -> str:
    return f"{channel}{THREAD_MARK}{post_id}"


def readdressed(reference: ConversationReference, conversation_id: str) -> ConversationReference:
    """The same bot, tenant and service URL, speaking in another conversation of the team."""
    base = reference.conversation or ConversationAccount()
    conversation = copy(base)
    conversation.id = conversation_id
    conversation.is_group = True
    conversation.conversation_type = "channel"
    return ConversationReference(
        activity_id=None,
        user=None,
        bot=reference.bot,
        conversation=conversation,
        channel_id=reference.channel_id or "msteams",
        locale=reference.locale,
        service_url=reference.service_url,
    )


def dumps(reference: ConversationReference) -> str:
    return json.dumps(reference.serialize(), separators=(",", ":"))


def loads(raw: str) -> ConversationReference:
    return ConversationReference().deserialize(json.loads(raw))


class References:
    """`accept` says whether a service URL may be posted to: a reference to any other is
    neither stored nor used (one stored before the rule existed is ignored, with a warning)."""

    def __init__(
        self, redis: aioredis.Redis, *, accept: Callable[[str | None], bool] = lambda _: False
    ) -> None:
        self.redis = redis
        self.accept = accept

    async def save(
        self, reference: ConversationReference, channels: list[str], team: str | None
    ) -> list[str]:
        """Store `reference` readdressed to each channel; returns the channels new to us."""
        if not self.accept(reference.service_url):
            log.warning(
                "teams: not storing channel(s) %s: their serviceUrl is not a Teams Bot Connector",
                ", ".join(channels),
            )
            return []
        known = await self.redis.hmget(REFERENCES, channels) if channels else []
        pipe = self.redis.pipeline(transaction=False)
        for channel in channels:
            pipe.hset(REFERENCES, channel, dumps(readdressed(reference, channel)))
        if team and channels:
            pipe.sadd(keys.teams_team(team), *channels)
        await pipe.execute()
        return [c for c, raw in zip(channels, known, strict=True) if raw is None]

    async def learn(self, reference: ConversationReference, channel: str, team: str | None) -> bool:
        """Remember a channel seen in passing (a click, a message); True when it was unknown.

        This heals a Redis that lost the install (or holds a reference `accept` now refuses):
        any authenticated activity from a channel reopens it."""
        if await self.get(channel) is not None:
            return False
        return bool(await self.save(reference, [channel], team))

    async def get(self, channel: str) -> ConversationReference | None:
        raw = await self.redis.hget(REFERENCES, channel)
        if not raw:
            return None
        reference = loads(text(raw))
        if not self.accept(reference.service_url):
            log.warning(
                "teams: ignoring the stored reference of channel %s: bad serviceUrl", channel
            )
            return None
        return reference

    async def any(self) -> ConversationReference | None:
        """One usable channel reference: the service URL, tenant and bot account a personal
        chat is started with (chatops.teams.direct); None before the app is in any team."""
        async for _, raw in self.redis.hscan_iter(REFERENCES, count=20):
            reference = loads(text(raw))
            if self.accept(reference.service_url):
                return reference
        return None

    async def forget_channel(self, channel: str) -> None:
        await self.redis.hdel(REFERENCES, channel)

    async def forget_team(self, team: str) -> list[str]:
        """The app was removed from the team: none of its channels can be posted to now."""
        channels = sorted(texts(await self.redis.smembers(keys.teams_team(team))))
        pipe = self.redis.pipeline(transaction=False)
        if channels:
            pipe.hdel(REFERENCES, *channels)
        pipe.delete(keys.teams_team(team))
        await pipe.execute()
        return channels

    async def remember_name(self, person: str, name: str) -> None:
        if person and name and await self.redis.hget(NAMES, person) != name:
            await self.redis.hset(NAMES, person, name)

    async def names(self) -> dict[str, str]:
        return text_map(await self.redis.hgetall(NAMES))
