"""What the privacy tests share: everything a Redis database holds, as text to search."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis


async def everything(redis: aioredis.Redis, skip: str = "") -> str:
    """Every key (but `skip`) and every value of the database, sorted, one per line: a name
    or a text that is anywhere in the store is found here, whatever the key's type."""
    out: list[str] = []
    async for key in redis.scan_iter(count=1000):
        if key == skip:
            continue
        out.append(str(key))
        kind = await redis.type(key)
        value: Any
        if kind == "string":
            value = await redis.get(key)
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        elif kind == "hash":
            value = await redis.hgetall(key)
        elif kind == "set":
            value = sorted(await redis.smembers(key))
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1)
        elif kind == "stream":
            value = await redis.xrange(key)
        else:
            value = ""
        out.append(f"{key} = {value}")
    return "\n".join(sorted(out))
