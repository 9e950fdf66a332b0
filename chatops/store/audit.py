"""Each case's history: what was done, by whom, when (read by stats and the weekly report).

A change of the case itself appends its entry in the same atomic write (cases.py); this part
appends what changes no case (edits and removals on the platform) and reads the history;
an erasure on request rewrites the entries that quote the person erased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import redis.asyncio as aioredis

from chatops import keys
from chatops.domain import AuditEntry
from chatops.store.codec import REPLACE_LINE, audit_row, read_audit


class Audit:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._replace_row = redis.register_script(REPLACE_LINE)

    async def append(self, case_id: str, entry: AuditEntry) -> None:
        await self.redis.rpush(keys.audit(case_id), audit_row(entry))

    async def entries(self, case_id: str) -> list[AuditEntry]:
        rows = await self.redis.lrange(keys.audit(case_id), 0, -1)
        return [read_audit(r) for r in rows]

    async def entries_of(self, case_ids: Sequence[str]) -> dict[str, list[AuditEntry]]:
        """The histories of many cases in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for cid in case_ids:
            pipe.lrange(keys.audit(cid), 0, -1)
        rows = await pipe.execute()
        return {
            cid: [read_audit(r) for r in entries]
            for cid, entries in zip(case_ids, rows, strict=True)
        }

    async def rewrite(self, case_id: str, change: Callable[[AuditEntry], AuditEntry | None]) -> int:
        """Rewrite the entries `change` returns a new one for (None: kept as it is): the one
        exception to append-only, for an erasure on request (chatops/privacy). Each entry is
        replaced only if it is still the row that was read; returns how many were."""
        rows = await self.redis.lrange(keys.audit(case_id), 0, -1)
        done = 0
        for i, raw in enumerate(rows):
            new = change(read_audit(raw))
            if new is not None:
                done += int(
                    await self._replace_row(
                        keys=[keys.audit(case_id)], args=[i, raw, audit_row(new)]
                    )
                )
        return done
