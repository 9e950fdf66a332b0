"""The copy-paste check: how often a reply text went out today on each platform (by the
text's digest, never the text).

Counted per platform (issue 13 item 4: "at most N identical texts per day per platform"): a
platform's own spam filters, and the people reading one brand account there, see only that
platform's replies. A day's hash holds `<platform>:<digest>` -> times sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import redis.asyncio as aioredis

from chatops import keys

KEEP_S = 2 * 24 * 3600
"""A day's counts expire once they can no longer be asked for."""

_RESERVE = """
local limit = tonumber(ARGV[1])
for i = 3, #ARGV do
  if tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') < limit then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
    redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
    return i - 3
  end
end
return -1
"""
"""Count the first field (ARGV[3..]) still under the limit (ARGV[1]) once more; its index,
or -1 when every one reached it. Atomic: two runners never both take the last one."""


def _field(platform: str, digest: str) -> str:
    return f"{platform}:{digest}"


class PublishedTexts:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._reserve = redis.register_script(_RESERVE)

    async def count(self, platform: str, digest: str, day: date) -> int:
        """Times the text went out on `platform` on `day`."""
        key = keys.published_texts(day.isoformat())
        return int(await self.redis.hget(key, _field(platform, digest)) or 0)

    async def add(self, platform: str, digest: str, day: date) -> None:
        key = keys.published_texts(day.isoformat())
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(key, _field(platform, digest), 1)
        pipe.expire(key, KEEP_S)
        await pipe.execute()

    async def reserve(
        self, platform: str, digests: Sequence[str], limit: int, day: date
    ) -> int | None:
        """Count the first of `digests` that went out fewer than `limit` times on `platform`
        today as sent once more, before it is sent: its index, None when all reached it.

        Counting before sending is what keeps the limit under concurrent senders (a count
        read, then added after the send, lets two senders both take the last one);
        `release` gives it back when the text was certainly not sent."""
        if not digests:
            return None
        key = keys.published_texts(day.isoformat())
        fields = [_field(platform, d) for d in digests]
        found = int(await self._reserve(keys=[key], args=[limit, KEEP_S, *fields]))
        return None if found < 0 else found

    async def release(self, platform: str, digest: str, day: date) -> None:
        """A reserved text was not sent after all."""
        key = keys.published_texts(day.isoformat())
        await self.redis.hincrby(key, _field(platform, digest), -1)
