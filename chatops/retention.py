"""Retention of closed cases (issue 15 item 1): deleted `retention.cases` after they closed.

A sweep, run by the scheduler's leader on a timer, walks case numbers from the lowest one
that may still exist up to the first case opened after the cutoff (a case closes after it
opens, so later numbers cannot be due), a bounded batch per tick; where it stops is kept in
Redis (`keys.RETENTION`) and the next tick goes on from there. Each due case, in this order:

1. its figures join the anonymous daily aggregates `chatops stats` reads (store/kpis.py),
   at most once per case;
2. its chat message is rewritten to a short note (`wording.removed_after`) where the chat
   can (Slack, the console); a message that cannot be rewritten (a deleted channel) is the
   outbox's failure to log and count, the case goes either way;
3. it leaves every index (conversation, mentions, authors, deadlines), and the answers
   published on it leave the "Similar" records;
4. last, it is deleted with its mentions and history, only if it is still the version read
   (a reopening mention meanwhile wins: the figures are taken back and its index entries
   written again).

The case key goes last so that a crash anywhere before leaves the case in place, and the
sweep retried after it finds the case still due and redoes every step (each is safe to
repeat). A second scheduler finds nothing left to do twice: the deletion compares versions,
the aggregates remember which cases they hold. The store keeps how many cases went each day
(`keys.RETENTION_REMOVED`), nothing about them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from chatops import keys
from chatops.chat import wording
from chatops.chat.capabilities import NotesRemoval
from chatops.domain import Case, State
from chatops.knowledge.answers import AnswerLog
from chatops.redis_text import maybe_text, text_map
from chatops.stats import expects_reply, first_response
from chatops.store import Store
from chatops.store.codec import Stored
from chatops.store.kpis import CaseKpi

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 3600
"""How often the leader sweeps: a case goes within an hour of its due time."""
BATCH = 500
"""Case numbers read per round trip."""
BATCHES_PER_SWEEP = 20
"""Round trips per sweep at most: a backlog (a first run over a year of cases) spreads over
several sweeps instead of holding Redis and the scheduler."""

FINISHED = frozenset({State.CLOSED, State.DISMISSED})


@dataclass(frozen=True)
class Swept:
    """What one sweep did."""

    read: int = 0
    removed: int = 0
    notes: int = 0
    lost_races: int = 0


def closed_at(stored: Stored) -> datetime | None:
    """When the case last closed (its last move into closed or dismissed); None while open."""
    if stored.case.state not in FINISHED:
        return None
    for entry in reversed(stored.audit()):
        if entry.after in FINISHED and entry.before not in FINISHED:
            return entry.at
    return stored.case.updated_at


def due(stored: Stored, cutoff: datetime) -> bool:
    """Pure: the case closed at or before `cutoff` (open cases never are)."""
    closed = closed_at(stored)
    return closed is not None and closed <= cutoff


def kpi_of(stored: Stored) -> CaseKpi:
    """The figures the case gives `chatops stats`, as `stats.compute` would count them."""
    case = stored.case
    counted = expects_reply(case)
    first = first_response(case, stored.audit()) if counted else None
    return CaseKpi(
        case_id=case.id,
        department=case.department,
        platform=case.platform,
        opened=case.created_at.date(),
        expects_reply=counted,
        first_response=first,
    )


class Retention:
    def __init__(self, store: Store, chat: object, period: timedelta) -> None:
        self.store = store
        self.chat = chat
        self.period = period
        self.answers = AnswerLog(store.redis, store.cases.stored)
        """The answers published on cases ("Similar"): those of deleted cases go with them."""

    async def sweep(self, now: datetime, batches: int = BATCHES_PER_SWEEP) -> Swept:
        """Delete the closed cases past `retention.cases` among the next `batches` batches."""
        cutoff = now - self.period
        days = text_map(await self.store.redis.hgetall(keys.DAY_FIRST))
        end = await self._end(cutoff, days)
        state = text_map(await self.store.redis.hgetall(keys.RETENTION))
        low = int(state.get("low") or min((int(i) for i in days.values()), default=0))
        start = max(low, int(state.get("next", 0)))
        if start >= end:
            start = low  # a round is done: the next one starts again from the lowest kept
        ranges = [(start, end)] + ([(low, start)] if start > low else [])
        read = removed = notes = lost = budget = 0
        new_low, n = low, start
        for first, last in ranges:
            if budget >= batches:
                break
            n, kept = first, None
            while n < last and budget < batches:
                budget += 1
                ids = [str(i) for i in range(n, min(last, n + BATCH))]
                found = await self.store.cases.stored(ids)
                read += len(found)
                doomed = [st for st in found.values() if due(st, cutoff)]
                noted = await self._prepare(doomed, now)
                for cid, stored in found.items():
                    outcome = "kept"
                    if cid in noted:
                        outcome = await self._remove(stored, now)
                    if outcome == "removed":
                        removed += 1
                        notes += noted[cid]
                    elif outcome in ("kept", "lost"):
                        lost += outcome == "lost"
                        kept = int(cid) if kept is None else kept
                n += len(ids)
            if first == low:  # everything below this is gone now
                new_low = kept if kept is not None else n
        await self.store.redis.hset(keys.RETENTION, mapping={"low": new_low, "next": n})
        if removed:
            await self.store.redis.hincrby(keys.RETENTION_REMOVED, now.date().isoformat(), removed)
            log.info("retention: %d closed case(s) removed after %s", removed, self.period)
        return Swept(read=read, removed=removed, notes=notes, lost_races=lost)

    async def _end(self, cutoff: datetime, days: dict[str, str]) -> int:
        """The first case number opened after the cutoff's day (later ones cannot be due)."""
        later = [int(i) for day, i in days.items() if day > cutoff.date().isoformat()]
        if later:
            return min(later)
        return int(maybe_text(await self.store.redis.get(keys.CASE_SEQ)) or 0) + 1

    async def _prepare(self, doomed: list[Stored], now: datetime) -> dict[str, bool]:
        """Every step before the deletion, for the batch's due cases: their figures counted,
        their messages noted, their index entries and answers dropped. Returns case id ->
        whether a note was queued."""
        noted: dict[str, bool] = {}
        answered: dict[str, list[str]] = {}
        for stored in doomed:
            case = stored.case
            await self.store.kpis.add(kpi_of(stored), now)
            noted[case.id] = await self._note(case)
            await self.store.indexes.forget_case(case.id, stored.mentions().values())
            if case.published:
                answered.setdefault(case.department, []).append(case.id)
        for department, case_ids in answered.items():
            await self.answers.forget_cases(department, case_ids)
        return noted

    async def _remove(self, stored: Stored, now: datetime) -> str:
        """The last step: "removed", "lost" (the case changed meanwhile) or "gone" (someone
        else removed it). A lost case gets its figures taken back and its index entries
        written again (its note and "Similar" answers are not restored: a reopening in the
        milliseconds between the read and the deletion of a case closed for months)."""
        case = stored.case
        if await self.store.cases.delete(case.id, case.version):
            return "removed"
        current = await self.store.cases.stored([case.id])
        if case.id not in current:
            return "gone"
        await self.store.kpis.take_back(kpi_of(stored), now)
        again = current[case.id]
        await self.store.indexes.restore_case(again.case, again.mentions().values())
        return "lost"

    async def _note(self, case: Case) -> bool:
        if not isinstance(self.chat, NotesRemoval):
            return False
        note = wording.removed_after(case.number, self.period.days)
        return await self.chat.case_removed(case.id, note)
