"""Redis persistence, one small part per concern over one client.

- `InboundStream`: webhook intake (deduplicated), the workers' consumer group, dead letters
- `Cases`: numbering, compare-and-set writes, the mentions and history each case holds
- `Indexes`: open cases by department and state, deadlines, mention -> case
- `Audit`: each case's history (kept in the case's own value)
- `Kpis`: anonymous daily figures of the cases retention deleted (for `chatops stats`)
- `Retries`, `Problems`, `PublishedTexts`: publish retries, problems for /readyz, the
  copy-paste check
- `Storms`: groups of near-duplicate mentions per department, and which are storms;
  `Publishing`: their holding statements and publish-to-all jobs

Atomicity lives in small Lua scripts that each touch one hash slot: dedupe+append on the
global slot, compare-and-set on a case's slot. Index updates that span slots follow a
successful write and are idempotent, so a crash in between is repaired by the redelivery
that the stream guarantees. Every key shape comes from `chatops.keys`.

`Store` holds one of each for the process that assembles them (chatops.runtime); everything
else takes the parts it uses.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from chatops.store.audit import Audit
from chatops.store.cases import FIRST_CASE_NUMBER, Cases
from chatops.store.codec import case_value, compact
from chatops.store.connection import connect
from chatops.store.inbound import (
    Inbound,
    InboundStream,
    StreamLimits,
    StreamReport,
    StreamWatch,
)
from chatops.store.indexes import TRACKED_STATES, Indexes
from chatops.store.kpis import Kpis
from chatops.store.pace import ReplyPace
from chatops.store.problems import Problems
from chatops.store.published import PublishedTexts
from chatops.store.retries import Retries
from chatops.store.storms import Publishing, Storms

__all__ = [
    "FIRST_CASE_NUMBER",
    "TRACKED_STATES",
    "Audit",
    "Cases",
    "Inbound",
    "InboundStream",
    "Indexes",
    "Kpis",
    "Problems",
    "PublishedTexts",
    "Publishing",
    "ReplyPace",
    "Retries",
    "Store",
    "Storms",
    "StreamLimits",
    "StreamReport",
    "StreamWatch",
    "case_value",
    "compact",
    "connect",
]


class Store:
    """The parts of the store over one Redis client (one per process, one connection pool)."""

    def __init__(self, redis: aioredis.Redis, limits: StreamLimits | None = None) -> None:
        self.redis = redis
        self.inbound = InboundStream(redis, limits)
        self.cases = Cases(redis)
        self.indexes = Indexes(redis)
        self.audit = Audit(self.cases)
        self.kpis = Kpis(redis)
        self.retries = Retries(redis)
        self.problems = Problems(redis)
        self.published = PublishedTexts(redis)
        self.pace = ReplyPace(redis)
        self.storms = Storms(redis)
        self.publishing = Publishing(redis)

    async def close(self) -> None:
        await self.redis.aclose()

    async def ping(self) -> bool:
        return bool(await self.redis.ping())
