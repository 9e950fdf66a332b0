"""What `chatops stats` needs of cases that retention deleted: anonymous daily aggregates.

Per day a case was opened (UTC) one hash; per department and platform one field holding
`<cases expecting a reply> <answered> <first-response µs>…` (every time, not a histogram, so
the median and p90 over any span of days are exactly those the cases gave). No ids, names or
texts. Written by the retention sweep just before a case is deleted; a case is added at most
once (a set of the case ids added in the last week guards against a retried sweep), and
taken back out if its deletion then lost a race (the case changed meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import redis.asyncio as aioredis

from chatops import keys
from chatops.redis_text import text_map

DONE_KEPT_S = 7 * 24 * 3600
"""How long a case id stays in the set of those added (longer than any retried sweep)."""

_ADD = """
-- KEYS: the day's hash, the set of case ids added; ARGV: case id, now (epoch s), field,
-- expects a reply (0/1), first response in µs or '', +1 to add or -1 to take back
local sign = tonumber(ARGV[6])
local known = redis.call('ZSCORE', KEYS[2], ARGV[1])
if (sign > 0 and known) or (sign < 0 and not known) then return 0 end
if sign > 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[7]))
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
local cur = redis.call('HGET', KEYS[1], ARGV[3]) or '0 0'
local parts = {}
for p in string.gmatch(cur, '%S+') do parts[#parts + 1] = p end
local cases, answered = tonumber(parts[1]), tonumber(parts[2])
local times = {}
for i = 3, #parts do times[#times + 1] = parts[i] end
cases = cases + sign * tonumber(ARGV[4])
if ARGV[5] ~= '' then
  answered = answered + sign
  if sign > 0 then times[#times + 1] = ARGV[5] else
    for i, t in ipairs(times) do
      if t == ARGV[5] then table.remove(times, i) break end
    end
  end
end
local value = string.format('%d %d', cases, answered)
if #times > 0 then value = value .. ' ' .. table.concat(times, ' ') end
redis.call('HSET', KEYS[1], ARGV[3], value)
return 1
"""


@dataclass(frozen=True)
class CaseKpi:
    """What one case adds to its day: no one's data, only the figures."""

    case_id: str
    department: str
    platform: str
    opened: date
    expects_reply: bool
    first_response: timedelta | None


@dataclass
class Tally:
    """A department's figures on one platform: cases expecting a reply, and first responses."""

    cases: int = 0
    times: list[timedelta] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.times)


class Kpis:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._add = redis.register_script(_ADD)

    async def add(self, kpi: CaseKpi, now: datetime) -> bool:
        """Add a case's figures to its day; False when they were added already."""
        return await self._change(kpi, now, +1)

    async def take_back(self, kpi: CaseKpi, now: datetime) -> bool:
        """Undo `add` (the case was not deleted after all)."""
        return await self._change(kpi, now, -1)

    async def _change(self, kpi: CaseKpi, now: datetime, sign: int) -> bool:
        first = kpi.first_response
        micros = "" if first is None else str(first // timedelta(microseconds=1))
        return bool(
            await self._add(
                keys=[keys.kpi_day(kpi.opened.isoformat()), keys.KPI_DONE],
                args=[
                    kpi.case_id,
                    int(now.timestamp()),
                    f"{kpi.department}\t{kpi.platform}",
                    int(kpi.expects_reply),
                    micros,
                    sign,
                    DONE_KEPT_S,
                ],
            )
        )

    async def since(self, first: date, last: date) -> dict[tuple[str, str], Tally]:
        """The figures of the days from `first` to `last`, by (department, platform)."""
        days = []
        day = first
        while day <= last:
            days.append(day)
            day += timedelta(days=1)
        pipe = self.redis.pipeline(transaction=False)
        for d in days:
            pipe.hgetall(keys.kpi_day(d.isoformat()))
        return _sum(text_map(raw) for raw in await pipe.execute())


def _sum(days: Iterable[dict[str, str]]) -> dict[tuple[str, str], Tally]:
    out: dict[tuple[str, str], Tally] = {}
    for fields in days:
        for name, value in fields.items():
            department, _, platform = name.partition("\t")
            cases, _answered, *times = value.split()
            tally = out.setdefault((department, platform), Tally())
            tally.cases += int(cases)
            tally.times += [timedelta(microseconds=int(t)) for t in times]
    return out
