"""The cross-slot indexes: open cases by department and state, deadlines, mention -> case.

They follow a successful case write and are idempotent, so a crash in between is repaired by
the redelivery the inbound stream guarantees.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import redis.asyncio as aioredis

from chatops import keys
from chatops.domain import Case, State
from chatops.redis_text import Raw, maybe_text, texts

TRACKED_STATES = [s for s in State if s not in (State.CLOSED, State.DISMISSED)]
"""States with an index set; closed and dismissed grow forever and are not listed."""

IndexChange = tuple[Case | None, Case, datetime | None]
"""A case before and after a write (None before: new), and its next deadline (None: none)."""


class Indexes:
    """What finds cases without reading them all."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    async def reindex(self, before: Case | None, after: Case, due: datetime | None) -> None:
        """Bring the cross-slot indexes in line with `after`; safe to repeat."""
        await self.reindex_many([(before, after, due)])

    async def reindex_many(self, changes: Sequence[IndexChange]) -> None:
        """One round trip for many cases; their deadlines in a single ZADD and ZREM."""
        pipe = self.redis.pipeline(transaction=False)
        due: dict[str, float] = {}
        done: list[str] = []
        for before, after, when in changes:
            _reindex(pipe, before, after)
            if when is None:
                done.append(after.id)
            else:
                due[after.id] = when.timestamp()
        if due:
            pipe.zadd(keys.DUE, due)
        if done:
            pipe.zrem(keys.DUE, *done)
        await pipe.execute()

    async def case_ids(self, department: str, states: Iterable[State]) -> list[str]:
        pipe = self.redis.pipeline(transaction=False)
        for st in states:
            pipe.smembers(keys.by_state(department, st))
        found: set[str] = set()
        for members in await pipe.execute():
            found.update(members)
        return sorted(found, key=int)

    async def counts_by_state(self, departments: Iterable[str]) -> dict[tuple[str, str], int]:
        pairs = [(d, s.value) for d in departments for s in TRACKED_STATES]
        pipe = self.redis.pipeline(transaction=False)
        for d, s in pairs:
            pipe.scard(keys.by_state(d, s))
        return dict(zip(pairs, await pipe.execute(), strict=True))

    async def due(self, now: datetime, limit: int = 1000) -> list[str]:
        """Cases whose next deadline has passed: cost grows with what is due, not with all."""
        due = await self.redis.zrangebyscore(keys.DUE, "-inf", now.timestamp(), start=0, num=limit)
        return texts(cast(list[Raw], due))

    async def case_for_mention(self, mention_key: str) -> str | None:
        found = maybe_text(await self.redis.hget(keys.MENTION_CASES, mention_key))
        return None if found in (None, keys.PENDING) else found

    async def mention_count(self) -> int:
        """Distinct new mentions accepted (recorded in a case, or waiting for a worker)."""
        return int(await self.redis.hlen(keys.MENTION_CASES))


def _reindex(pipe: Any, before: Case | None, after: Case) -> None:
    moved = before is None or (before.department, before.state) != (after.department, after.state)
    if before is not None and moved:
        pipe.srem(keys.by_state(before.department, before.state), after.id)
    if after.state in TRACKED_STATES and moved:
        pipe.sadd(keys.by_state(after.department, after.state), after.id)
    if before is None:
        pipe.hsetnx(keys.DAY_FIRST, after.created_at.date().isoformat(), after.id)
    for mkey in after.mention_keys:
        if before is None or mkey not in before.mention_keys:
            pipe.hset(keys.MENTION_CASES, mkey, after.id)
