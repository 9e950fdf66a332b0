"""Suggestion requests kept in Redis until a worker has handled them, so a restart loses none.

One sorted set (`keys.SUGGEST`): a member is `<case id>:<draft digest>`, the draft a
suggestion may replace, scored by when a worker may take it. Taking one moves its score a lease
ahead in the same script, so two workers never take it at once, and one that dies holding it
leaves it to be taken again when the lease ends. A request for a draft that has changed since
is simply found stale when handled (`Suggester`): nothing needs to cancel it.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from chatops import keys
from chatops.redis_text import texts

_TAKE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member)
end
return due
"""


@dataclass(frozen=True)
class Wanted:
    """A suggestion wanted for case `case_id` while its draft is the one `digest` names."""

    case_id: str
    digest: str

    @property
    def member(self) -> str:
        return f"{self.case_id}:{self.digest}"

    @classmethod
    def parse(cls, member: str) -> Wanted:
        case_id, _, digest = member.partition(":")
        return cls(case_id, digest)


class SuggestQueue:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._take = redis.register_script(_TAKE)

    async def request(self, wanted: Wanted, now: float) -> None:
        """Ask for a suggestion (once per draft: asking again changes nothing)."""
        await self.redis.zadd(keys.SUGGEST, {wanted.member: now}, nx=True)

    async def take(self, now: float, lease: float, limit: int) -> list[Wanted]:
        """Up to `limit` requests due at `now`, each leased until `now + lease`."""
        if limit <= 0:
            return []
        found = await self._take(keys=[keys.SUGGEST], args=[now, now + lease, limit])
        return [Wanted.parse(member) for member in texts(found)]

    async def done(self, wanted: Wanted) -> None:
        await self.redis.zrem(keys.SUGGEST, wanted.member)

    async def waiting(self) -> int:
        return int(await self.redis.zcard(keys.SUGGEST))
