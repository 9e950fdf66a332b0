"""Time passing for Redis: what its key TTLs would have expired by then is deleted.

Redis expires keys on its own clock; tests move an injected clock instead of sleeping, so this
deletes every key whose remaining TTL is within the span (what Redis would have done)."""

from __future__ import annotations

from datetime import timedelta

import redis.asyncio as aioredis


async def expire_as_redis_would(redis: aioredis.Redis, after: timedelta) -> list[str]:
    """Delete the keys Redis expires within `after`; returns them, sorted."""
    gone = []
    async for key in redis.scan_iter(count=1000):
        left = await redis.pttl(key)
        if 0 <= left <= after.total_seconds() * 1000:
            gone.append(key if isinstance(key, str) else key.decode())
    if gone:
        await redis.delete(*gone)
    return sorted(gone)
