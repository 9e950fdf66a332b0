"""Problems one process reports for every process to show (/readyz, /metrics)."""

from __future__ import annotations

import json
from datetime import datetime

import redis.asyncio as aioredis

from chatops import keys
from chatops.redis_text import text_map


class Problems:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def set(self, component: str, reason: str, now: datetime) -> None:
        value = json.dumps({"reason": reason, "at": now.timestamp()})
        await self.redis.hset(keys.PROBLEMS, component, value)

    async def clear(self, component: str) -> None:
        await self.redis.hdel(keys.PROBLEMS, component)

    async def current(self, now: datetime, fresh_for: float = 600.0) -> dict[str, str]:
        """Problems reported recently; a component that stopped reporting is not stuck red."""
        out: dict[str, str] = {}
        for component, raw in text_map(await self.redis.hgetall(keys.PROBLEMS)).items():
            entry = json.loads(raw)
            if now.timestamp() - float(entry["at"]) <= fresh_for:
                out[component] = str(entry["reason"])
        return out
