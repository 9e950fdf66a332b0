"""Cases and their mentions: numbering, reads, and compare-and-set writes on a case's slot.

A case, its mentions and its audit entries are one string (codec.py), written by one Lua
script: atomic in a cluster too; the cross-slot indexes follow it (indexes.py). A case still
in the previous layout (a JSON string plus two lists) reads as it is and moves into the new
layout at its next write, inside the same script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import redis.asyncio as aioredis

from chatops import keys
from chatops.domain import AuditEntry, Case, Mention
from chatops.redis_text import maybe_text, text, text_map, texts
from chatops.store.codec import (
    LEGACY_AUDIT,
    REPLACE_LINE,
    VERSION_HEAD,
    Stored,
    audit_row,
    key_head,
    mention_head,
    mention_line,
    micros,
    parse,
    read_audit,
    record,
    rewrite_audit_lines,
)

FIRST_CASE_NUMBER = 1001
_SWAP_TRIES = 20

_RESOLVE_CASE = """
-- KEYS: the conversation's bucket, the case sequence, the previous layout's one hash
local id = redis.call('HGET', KEYS[1], ARGV[1])
if id then return {id, 0} end
id = redis.call('HGET', KEYS[3], ARGV[1])
if id then
  redis.call('HSET', KEYS[1], ARGV[1], id)
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {id, 0}
end
local floor = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') < floor then
  redis.call('SET', KEYS[2], string.format('%d', floor))
end
id = tostring(redis.call('INCR', KEYS[2]))
redis.call('HSET', KEYS[1], ARGV[1], id)
return {id, 1}
"""

_LEGACY = r"""
local function legacy_lines(audit_key, mentions_key)
  local out = ''
  for _, m in ipairs(redis.call('LRANGE', mentions_key, 0, -1)) do out = out .. '\nm' .. m end
  for _, a in ipairs(redis.call('LRANGE', audit_key, 0, -1)) do out = out .. '\nA' .. a end
  return out
end
"""

_LINES_MATCH = r"""
local function lines_match(rest, first)
  -- the mention lines of `rest` begin with ARGV[first..] (codec.key_head), one each, in order
  local n = first
  for line in string.gmatch(rest, '[^\n]+') do
    if string.sub(line, 1, 1) == 'm' then
      local head = ARGV[n]
      if not head then return false end
      local after = string.sub(line, #head + 2, #head + 2)
      if string.sub(line, 2, #head + 1) ~= head or (after ~= ',' and after ~= '}') then
        return false
      end
      n = n + 1
    end
  end
  return n == #ARGV + 1
end
"""

_SAVE_CASE = (
    _LEGACY
    + _LINES_MATCH
    + r"""
-- KEYS: case, its previous layout's audit and mentions lists
-- ARGV: expected version, record line without its mention keys, audit line or '', mention
-- line or '', the record line naming them, then the heads of its mention lines in order
local cur = redis.call('GET', KEYS[1])
local v, rest, moved = '0', '', false
if cur then
  local nl = string.find(cur, '\n', 1, true)
  local head = cur
  if nl then head = string.sub(cur, 1, nl - 1); rest = string.sub(cur, nl) end
  local nv = string.match(head, '^{"v":(%d+)')
  if nv then v = nv else
    v = string.format('%d', cjson.decode(head)['version'] or 0)
    moved = true
  end
else
  moved = true
end
if v ~= ARGV[1] then return 0 end
if moved then rest = rest .. legacy_lines(KEYS[2], KEYS[3]) end
if ARGV[4] ~= '' then rest = rest .. '\nm' .. ARGV[4] end
if ARGV[3] ~= '' then rest = rest .. '\na' .. ARGV[3] end
local line = ARGV[2]
if not lines_match(rest, 6) then line = ARGV[5] end
redis.call('SET', KEYS[1], line .. rest)
if moved then redis.call('DEL', KEYS[2], KEYS[3]) end
return 1
"""
)

_DELETE_CASE = r"""
-- KEYS: case, its previous layout's audit and mentions lists; ARGV: the version read
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local v = string.match(cur, '^{"v":(%d+)')
if not v then v = string.format('%d', cjson.decode(cur)['version'] or 0) end
if v ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""

_APPEND_AUDIT = r"""
-- KEYS: case, its previous layout's audit list
-- ARGV: the entry relative to the case's creation, and since the epoch
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, 5) == '{"v":' then
  redis.call('SET', KEYS[1], cur .. '\na' .. ARGV[1])
else
  redis.call('RPUSH', KEYS[2], ARGV[2])
end
return 1
"""

_SWAP = """
-- KEYS: case; ARGV: the value read, the value to write in its place
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""

_REPLACE_MENTION = r"""
-- KEYS: case, its previous layout's mentions list
-- ARGV: mention key, its line in this layout, its JSON in the previous one, the head of its
-- line in this layout (`{"k":…`: the key as the line writes it)
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, 5) == '{"v":' then
  local out, found = {}, false
  local head = 'm' .. ARGV[4]
  for line in string.gmatch(cur, '[^\n]+') do
    if not found and string.sub(line, 1, 1) == 'm' then
      local rest = string.sub(line, #head + 1, #head + 1)
      if string.sub(line, 1, #head) == head and (rest == ',' or rest == '}') then
        found = true
      elseif string.sub(line, 1, 5) ~= 'm{"k"' then
        found = cjson.decode(string.sub(line, 2))['key'] == ARGV[1]
      end
      if found then line = 'm' .. ARGV[2] end
    end
    out[#out + 1] = line
  end
  if not found then
    local rec = out[1]
    if string.find(rec, ',"C":', 1, true) and not string.find(rec, ',"mk":', 1, true) then
      -- its mention keys are its lines' until now: the record names them before one is added
      local held = {}
      for i = 2, #out do
        if string.sub(out[i], 1, 1) == 'm' then
          held[#held + 1] = cjson.encode(cjson.decode(string.sub(out[i], 2))['k'])
        end
      end
      local _, e = string.find(rec, '^{"v":%d+')
      out[1] = string.sub(rec, 1, e) .. ',"mk":[' .. table.concat(held, ',') .. ']'
        .. string.sub(rec, e + 1)
    end
    out[#out + 1] = 'm' .. ARGV[2]
  end
  redis.call('SET', KEYS[1], table.concat(out, '\n'))
  if found then return 1 end
  return 0
end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i, item in ipairs(items) do
  if cjson.decode(item)['key'] == ARGV[1] then
    redis.call('LSET', KEYS[2], i - 1, ARGV[3])
    return 1
  end
end
redis.call('RPUSH', KEYS[2], ARGV[3])
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
        self._append_audit = redis.register_script(_APPEND_AUDIT)
        self._swap = redis.register_script(_SWAP)
        self._delete = redis.register_script(_DELETE_CASE)
        self._replace_row = redis.register_script(REPLACE_LINE)
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
            keys=[
                keys.bucket(keys.CONVERSATIONS, conversation_key),
                keys.CASE_SEQ,
                keys.CONVERSATIONS,
            ],
            args=[conversation_key, max(FIRST_CASE_NUMBER - 1, self.highest_case)],
        )
        self.highest_case = max(self.highest_case, int(case_id))
        return str(case_id), bool(int(created))

    async def get(self, case_id: str) -> Case | None:
        raw = await self.redis.get(keys.case(case_id))
        return parse(case_id, text(raw)).case if raw else None

    async def get_many(self, case_ids: Iterable[str]) -> list[Case]:
        ids = list(case_ids)
        found = await self.stored(ids)
        return [found[cid].case for cid in ids if cid in found]

    async def stored(self, case_ids: Iterable[str]) -> dict[str, Stored]:
        """Whole case values by id, in the order asked (missing ones left out), with the
        mentions and audit of any case still in the previous layout read from its lists."""
        ids = list(case_ids)
        if not ids:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.get(keys.case(cid))
        found = {
            cid: parse(cid, text(raw))
            for cid, raw in zip(ids, await pipe.execute(), strict=True)
            if raw
        }
        legacy = [cid for cid, s in found.items() if s.legacy]
        if legacy:
            pipe = self.redis.pipeline(transaction=False)
            for cid in legacy:
                pipe.lrange(keys.mentions(cid), 0, -1)
                pipe.lrange(keys.audit(cid), 0, -1)
            rows = await pipe.execute()
            for n, cid in enumerate(legacy):
                found[cid].mention_lines += texts(rows[2 * n])
                found[cid].audit_lines += [LEGACY_AUDIT + r for r in texts(rows[2 * n + 1])]
        return found

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
                    record(new, new.mention_keys),
                    audit_row(audit, micros(new.created_at)) if audit else "",
                    mention_line(mention, new) if mention else "",
                    record(new),
                    *(key_head(k, new.platform) for k in new.mention_keys),
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

    async def numbers(self) -> range:
        """Every case number given so far (some may name no case any more): what a full scan
        reads, where no index leads (an erasure on request with `--scan`)."""
        last = int(await self.redis.get(keys.CASE_SEQ) or 0)
        return range(FIRST_CASE_NUMBER, last + 1)

    async def mentions(self, case_id: str) -> dict[str, Mention]:
        return (await self.mentions_of([case_id]))[case_id]

    async def mentions_of(self, case_ids: Sequence[str]) -> dict[str, dict[str, Mention]]:
        """The mentions of many cases in one round trip."""
        found = await self.stored(case_ids)
        return {cid: found[cid].mentions() if cid in found else {} for cid in case_ids}

    async def audit_of(self, case_ids: Sequence[str]) -> dict[str, list[AuditEntry]]:
        """The histories of many cases in one round trip."""
        found = await self.stored(case_ids)
        return {cid: found[cid].audit() if cid in found else [] for cid in case_ids}

    async def append_audit(self, case_id: str, entry: AuditEntry) -> None:
        """History that changes no case (an edit or a removal on the platform)."""
        case = await self.get(case_id)
        base = micros(case.created_at) if case is not None else 0
        await self._append_audit(
            keys=[keys.case(case_id), keys.audit(case_id)],
            args=[audit_row(entry, base), audit_row(entry)],
        )

    async def delete(self, case_id: str, version: int) -> bool:
        """Delete the case with its mentions and history if it is still at `version`
        (retention; several sweepers delete it once). False when it changed or is gone."""
        return bool(
            await self._delete(
                keys=[keys.case(case_id), keys.audit(case_id), keys.mentions(case_id)],
                args=[str(version)],
            )
        )

    async def rewrite_audit(
        self, case_id: str, change: Callable[[AuditEntry], AuditEntry | None]
    ) -> int:
        """Rewrite the audit entries `change` returns a new one for; the value is swapped only
        if nothing wrote to the case meanwhile (else read again). Returns how many changed."""
        for _ in range(_SWAP_TRIES):
            raw = maybe_text(await self.redis.get(keys.case(case_id)))
            if raw is None or not raw.startswith(VERSION_HEAD):
                return await self._rewrite_legacy_audit(case_id, change)
            new, done = rewrite_audit_lines(parse(case_id, raw), raw, change)
            if not done:
                return 0
            if await self._swap(keys=[keys.case(case_id)], args=[raw, new]):
                return done
        raise RuntimeError(f"case {case_id} kept changing while its history was rewritten")

    async def _rewrite_legacy_audit(
        self, case_id: str, change: Callable[[AuditEntry], AuditEntry | None]
    ) -> int:
        rows = texts(await self.redis.lrange(keys.audit(case_id), 0, -1))
        done = 0
        for i, row in enumerate(rows):
            new = change(read_audit(row))
            if new is not None:
                done += int(
                    await self._replace_row(
                        keys=[keys.audit(case_id)], args=[i, row, audit_row(new)]
                    )
                )
        return done

    async def put_mention(self, case_id: str, mention: Mention) -> None:
        """Replace a stored mention (an edit or a removal on the platform); appended when the
        case does not hold it yet."""
        case = await self.get(case_id)
        line = mention_line(mention, case) if case is not None else ""
        head = mention_head(mention, case) if case is not None else ""
        await self._replace_mention(
            keys=[keys.case(case_id), keys.mentions(case_id)],
            args=[mention.key, line, _legacy_mention(mention), head],
        )


def _legacy_mention(mention: Mention) -> str:
    """A mention as the previous layout kept it in its list (whole, with its `key`)."""
    data = mention.model_dump(mode="json", exclude_defaults=True)
    data["key"] = mention.key
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
