"""Replies paced at a platform's documented rate, shared by every worker (issue 13 item 4).

One brand account on one platform takes `per_second` replies, `burst` at once (its
`adapters.base.ReplyRate`, given here as the two figures). A generic cell rate algorithm
keeps, per account, the time its next reply is due: a reply may go when that time is at most
`burst - 1` intervals ahead of now (and moves it one interval on), else the caller is told how
long to wait. One Lua call, so two workers publishing to one account together stay within its
rate; a platform's 429 pushes the time to when it said (`hold`), for every worker.
"""

from __future__ import annotations

from datetime import datetime

import redis.asyncio as aioredis

from chatops import keys

JITTER_SLOTS = 1
"""Of a burst, this many replies are kept in reserve: requests leave here spaced exactly one
interval apart but reach the platform a few milliseconds early or late, and an exactly
spent burst turns that jitter into 429s (each costing the job a Retry-After). The sustained
rate stays the documented one."""

_TAKE = """
local now, interval, ahead = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if due < now then due = now end
local wait = due - ahead - now
if wait > 0.001 then return tostring(wait) end
redis.call('SET', KEYS[1], string.format('%.6f', due + interval),
           'PX', math.ceil((due + interval - now) * 1000) + 1000)
return '0'
"""
"""Take a slot (ARGV: now, interval, how far ahead the due time may be): '0', or the wait
(a millisecond early counts as on time: clocks and float sums are no finer)."""

_HOLD = """
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
local hold_to = tonumber(ARGV[1])
if due < hold_to then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', math.ceil((hold_to - tonumber(ARGV[2])) * 1000) + 1000)
end
return 1
"""


class ReplyPace:
    """When each platform account may take its next reply."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._take = redis.register_script(_TAKE)
        self._hold = redis.register_script(_HOLD)

    async def take(
        self, platform: str, account: str, per_second: float, burst: int, now: datetime
    ) -> float:
        """Take the account's next reply slot now: 0.0, or the seconds until one is free
        (nothing taken then)."""
        interval = 1.0 / per_second
        ahead = interval * max(0, burst - 1 - JITTER_SLOTS)
        wait = await self._take(
            keys=[keys.reply_pace(platform, account)],
            args=[repr(now.timestamp()), repr(interval), repr(ahead)],
        )
        return float(wait.decode() if isinstance(wait, bytes) else wait)

    async def hold(
        self,
        platform: str,
        account: str,
        per_second: float,
        burst: int,
        until: datetime,
        now: datetime,
    ) -> None:
        """The platform said to wait until `until` (429, Retry-After): no slot before it."""
        ahead = max(0, burst - 1 - JITTER_SLOTS) / per_second
        due = until.timestamp() + ahead
        await self._hold(
            keys=[keys.reply_pace(platform, account)], args=[repr(due), repr(now.timestamp())]
        )
