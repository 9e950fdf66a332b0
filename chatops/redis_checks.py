"""Is this Redis fit to be the system of record? And is it still the one we started on?

Cases live only in Redis, so a server that keeps nothing on disk, or that evicts keys when it
is full, loses acknowledged work without a word. Start-up and `chatops check-config` warn about
both. A marker written at the first start (the epoch) tells a running process that the data it
knew was wiped (a FLUSHALL, a restart without persistence, a failover to an empty replica).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from chatops import keys


def durability_warnings(
    persistence: Mapping[str, Any], memory: Mapping[str, Any], save: str | None
) -> list[str]:
    """What makes this Redis lose data, from INFO persistence, INFO memory and CONFIG GET save
    (None when CONFIG is disabled, as on most managed services: then only AOF is judged)."""
    out = []
    policy = str(memory.get("maxmemory_policy") or "noeviction")
    if policy != "noeviction":
        out.append(
            f"Redis evicts keys when it is full (maxmemory-policy {policy}): cases and queued "
            "chat posts can vanish; set maxmemory-policy noeviction"
        )
    aof = str(persistence.get("aof_enabled", "0")) == "1"
    if not aof and save is not None and not save.strip():
        out.append(
            "Redis keeps nothing on disk (no append-only file, no RDB snapshots): a restart "
            "loses every case; set appendonly yes and appendfsync everysec"
        )
    return out


async def durability(redis: aioredis.Redis) -> list[str]:
    persistence = await redis.info("persistence")
    memory = await redis.info("memory")
    try:
        save: str | None = str((await redis.config_get("save")).get("save", ""))
    except ResponseError:
        save = None
    return durability_warnings(persistence, memory, save)


async def claim_epoch(redis: aioredis.Redis) -> str:
    """The store's epoch, written now if this is the first start."""
    await redis.set(keys.EPOCH, secrets.token_hex(8), nx=True)
    return str(await redis.get(keys.EPOCH) or "")


async def wiped(redis: aioredis.Redis, epoch: str) -> bool:
    """True when the epoch this process started with is gone or replaced."""
    return str(await redis.get(keys.EPOCH) or "") != epoch
