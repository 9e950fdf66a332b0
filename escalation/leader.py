"""One scheduler acts at a time: a lease in Redis, renewed while held, taken over when it lapses.

APScheduler 3 cannot share a job store between processes, so every `clock` process schedules
its own jobs and each job first asks whether this process leads. The jobs are idempotent
anyway (compare-and-set steps, a once-per-day digest marker), so a lease lost mid-job is safe.
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

from chatops import keys

LEASE_MS = 20_000

_HOLD = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class Leader:
    def __init__(self, redis: aioredis.Redis, *, lease_ms: int = LEASE_MS) -> None:
        self.id = uuid.uuid4().hex
        self.lease_ms = lease_ms
        self.redis = redis
        self._hold = redis.register_script(_HOLD)

    async def leads(self) -> bool:
        """True if this process holds (or just took) the lease; renews it."""
        return bool(await self._hold(keys=[keys.LEADER], args=[self.id, self.lease_ms]))

    async def resign(self) -> None:
        if await self.redis.get(keys.LEADER) == self.id:
            await self.redis.delete(keys.LEADER)
