"""Replies a platform asked us to send later (rate limited): when, and with what."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

import redis.asyncio as aioredis

from chatops import keys
from chatops.redis_text import Raw, texts


class Retries:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def schedule(self, case_id: str, at: datetime, info: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.RETRY_INFO, case_id, json.dumps(info))
        pipe.zadd(keys.RETRY, {case_id: at.timestamp()})
        await pipe.execute()

    async def take_due(self, now: datetime) -> list[tuple[str, dict[str, Any]]]:
        """Retries whose time has come; each is handed to exactly one caller (ZREM decides)."""
        out: list[tuple[str, dict[str, Any]]] = []
        due = await self.redis.zrangebyscore(keys.RETRY, "-inf", now.timestamp())
        for case_id in texts(cast(list[Raw], due)):
            if await self.redis.zrem(keys.RETRY, case_id):
                raw = await self.redis.hget(keys.RETRY_INFO, case_id)
                await self.redis.hdel(keys.RETRY_INFO, case_id)
                if raw:
                    out.append((case_id, json.loads(raw)))
        return out
