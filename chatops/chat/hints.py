"""Tips told once: a person who writes in a case's thread without `>>` learns, only they, that
`>>` makes a reply the draft (a plain reply silently stays internal otherwise).

Once per person per case, in every process: a Redis marker set only if absent (SET NX) with
a TTL, so two messages handled at once by two workers still give one tip.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from chatops import keys


async def first_plain_reply(redis: aioredis.Redis, case_id: str, user: str) -> bool:
    """True the first time `user` writes a plain reply in the thread of `case_id`."""
    if not user or not case_id:
        return False
    return bool(await redis.set(keys.hinted(case_id, user), "1", nx=True, ex=keys.HINT_TTL_S))
