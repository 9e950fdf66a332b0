"""Cases and their mentions: numbering, reads, and compare-and-set writes on a case's slot.

A write is one Lua script over the keys of one case (the case, its audit list, its mentions),
so it is atomic in a cluster too; the cross-slot indexes follow it (indexes.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import redis.asyncio as aioredis

from chatops import keys
from chatops.domain import AuditEntry, Case, Mention
from chatops.redis_text import text_map
from chatops.store.codec import audit_row, compact, stored_mention

FIRST_CASE_NUMBER = 1001

_RESOLVE_CASE = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return {id, 0} end
local floor = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') < floor then
  redis.call('SET', KEYS[2], string.format('%d', floor))
end
id = tostring(redis.call('INCR', KEYS[2]))
redis.call('HSET', KEYS[1], ARGV[1], id)
return {id, 1}
"""

_SAVE_CASE = """
local cur = redis.call('GET', KEYS[1])
local v = '0'
if cur then v = string.format('%d', cjson.decode(cur)['version'] or 0) end
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[3], ARGV[4]) end
return 1
"""

_REPLACE_MENTION = """
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i, item in ipairs(items) do
  if cjson.decode(item)['key'] == ARGV[1] then
    redis.call('LSET', KEYS[1], i - 1, ARGV[2])
    return 1
  end
end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 0
"""

Write = tuple[Case, int, AuditEntry | None, Mention | None]
"""One compare-and-set: the case, the version expected in the store, history and a mention
to append with it."""


class Cases:
    """Cases by id, with the mentions each one holds."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._resolve = redis.register_script(_RESOLVE_CASE)
        self._save = redis.register_script(_SAVE_CASE)
        self._replace_mention = redis.register_script(_REPLACE_MENTION)
        self.highest_case = 0
        """The highest case number this process has seen: after a wipe, numbering goes on
        above it instead of restarting at FIRST_CASE_NUMBER (see resolve_id)."""

    async def resolve_id(self, conversation_key: str) -> tuple[str, bool]:
        """The case of a conversation, numbering a new one if needed: (id, newly numbered).

        Case numbers are never reused where this process can know better: it remembers the
        highest number it has seen, and the script raises the sequence to at least that before
        numbering, atomically (a no-op unless the store lost its sequence: a wipe). So after a
        wipe while processes run, numbering continues above every number they saw. The limit:
        a wipe while no process runs (or a restart onto an emptied store) starts again at
        FIRST_CASE_NUMBER, since nothing remembers; old chat messages then carry numbers that
        new cases get, which is why clicks are checked against the message they came from."""
        case_id, created = await self._resolve(
            keys=[keys.CONVERSATIONS, keys.CASE_SEQ],
            args=[conversation_key, max(FIRST_CASE_NUMBER - 1, self.highest_case)],
        )
        self.highest_case = max(self.highest_case, int(case_id))
        return str(case_id), bool(int(created))

    async def get(self, case_id: str) -> Case | None:
        raw = await self.redis.get(keys.case(case_id))
        return Case.model_validate_json(raw) if raw else None

    async def get_many(self, case_ids: Iterable[str]) -> list[Case]:
        ids = list(case_ids)
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.get(keys.case(cid))
        raws = await pipe.execute()
        return [Case.model_validate_json(r) for r in raws if r]

    async def save(
        self,
        case: Case,
        *,
        expected_version: int,
        audit: AuditEntry | None = None,
        mention: Mention | None = None,
    ) -> Case | None:
        """Compare-and-set: write `case` only if its stored version is still the expected one.

        Returns the stored case (with its new version), or None when someone else won.
        """
        [stored] = await self.save_many([(case, expected_version, audit, mention)])
        return stored

    async def save_many(self, writes: Sequence[Write]) -> list[Case | None]:
        """Many compare-and-sets in one round trip (the stale scan); each wins or loses alone."""
        pipe = self.redis.pipeline(transaction=False)
        stored = []
        for case, expected, audit, mention in writes:
            new = case.model_copy(update={"version": expected + 1})
            stored.append(new)
            await self._save(
                keys=[keys.case(case.id), keys.audit(case.id), keys.mentions(case.id)],
                args=[
                    str(expected),
                    compact(new),
                    audit_row(audit) if audit else "",
                    stored_mention(mention) if mention else "",
                ],
                client=pipe,
            )
        results = await pipe.execute()
        return [s if ok else None for s, ok in zip(stored, results, strict=True)]

    async def since(self, since: datetime) -> list[Case]:
        """Cases the customer opened at or after `since`.

        Case numbers grow with time, and the lowest number of each day is kept, so the ids
        from the first day at or after `since` onwards cover every candidate; the exact
        time is then checked on the cases themselves.
        """
        days = text_map(await self.redis.hgetall(keys.DAY_FIRST))
        firsts = [int(i) for day, i in days.items() if day >= since.date().isoformat()]
        if not firsts:
            return []
        last = int(await self.redis.get(keys.CASE_SEQ) or 0)
        found: list[Case] = []
        ids = [str(i) for i in range(min(firsts), last + 1)]
        for start in range(0, len(ids), 1000):
            chunk = await self.get_many(ids[start : start + 1000])
            found += [c for c in chunk if c.created_at >= since]
        return found

    async def mentions(self, case_id: str) -> dict[str, Mention]:
        rows = await self.redis.lrange(keys.mentions(case_id), 0, -1)
        found = (Mention.model_validate_json(r) for r in rows)
        return {m.key: m for m in found}

    async def mentions_of(self, case_ids: Sequence[str]) -> dict[str, dict[str, Mention]]:
        """The mentions of many cases in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for cid in case_ids:
            pipe.lrange(keys.mentions(cid), 0, -1)
        out: dict[str, dict[str, Mention]] = {}
        for cid, rows in zip(case_ids, await pipe.execute(), strict=True):
            found = (Mention.model_validate_json(r) for r in rows)
            out[cid] = {m.key: m for m in found}
        return out

    async def put_mention(self, case_id: str, mention: Mention) -> None:
        """Replace a stored mention (an edit or a removal on the platform)."""
        await self._replace_mention(
            keys=[keys.mentions(case_id)], args=[mention.key, stored_mention(mention)]
        )
