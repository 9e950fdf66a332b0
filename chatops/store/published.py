"""The copy-paste check: how often a reply text went out today (by its digest, not its text)."""

from __future__ import annotations

from datetime import date

import redis.asyncio as aioredis

from chatops import keys

KEEP_S = 2 * 24 * 3600
"""A day's counts expire once they can no longer be asked for."""


class PublishedTexts:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def count(self, digest: str, day: date) -> int:
        return int(await self.redis.hget(keys.published_texts(day.isoformat()), digest) or 0)

    async def add(self, digest: str, day: date) -> None:
        key = keys.published_texts(day.isoformat())
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(key, digest, 1)
        pipe.expire(key, KEEP_S)
        await pipe.execute()
