"""Is this Redis fit to be the system of record? And is it still the one we started on?

Cases live only in Redis, so a server that keeps nothing on disk, or that evicts keys when it
is full, loses acknowledged work without a word. Start-up and `chatops check-config` warn about
both. A marker written at the first start (the epoch) tells a running process that the data it
knew was wiped (a FLUSHALL, a restart without persistence, a failover to an empty replica).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from chatops import keys
from chatops.domain import utcnow
from chatops.store import Store

log = logging.getLogger(__name__)


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


WIPED = "redis"
"""The problem component a wiped store is reported under (/readyz, /metrics)."""


class WipeWatch:
    """One per process, shared by its roles (worker loop, scheduler, `/readyz`): notices that
    the store it started on was wiped, says so once, and carries on with a fresh epoch.

    On a wipe it logs one ERROR line, sets a problem so `/readyz` fails, and claims a new epoch
    (the first process to notice writes it, the others adopt it and log once each). The problem
    is not re-asserted: it stays for the problems' freshness window (10 minutes), long enough
    for monitoring to see it, while the processes go on serving the emptied store."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        """`clock` stamps the problem; `/readyz` judges problems by wall time, so keep it."""
        self.store = store
        self.redis = store.redis
        self.clock = clock
        self.epoch: str | None = None
        self.wipes = 0

    async def start(self) -> None:
        """Claim (or adopt) the store's epoch; a Redis away at start-up is claimed later."""
        self.epoch = await claim_epoch(self.redis)

    async def check(self) -> bool:
        """True when this call noticed a wipe (and handled it); raises RedisError as usual."""
        if self.epoch is None:
            await self.start()
            return False
        if not await wiped(self.redis, self.epoch):
            return False
        self.wipes += 1
        now = self.clock()
        log.error(
            "the Redis data was wiped: the store this process started on (epoch %s) is gone; "
            "every case, queued post and dedupe marker written before is lost. Carrying on "
            "with an empty store; find out why (FLUSHALL, a restart without persistence, a "
            "failover to an empty replica)",
            self.epoch,
        )
        self.epoch = await claim_epoch(self.redis)
        reason = f"the Redis data was wiped (noticed {now:%Y-%m-%d %H:%M:%S} UTC)"
        await self.store.problems.set(WIPED, reason, now)
        return True


async def log_durability(redis: aioredis.Redis) -> list[str]:
    """Start-up: each reason this Redis may lose data, logged once as a warning."""
    found = await durability(redis)
    for warning in found:
        log.warning("%s", warning)
    return found
