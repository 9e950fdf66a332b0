"""Retention of closed cases (issue 15 item 1, chatops/retention.py) on an injected clock:
closed cases go `retention.cases` after they closed, open ones never; `chatops stats` gives
the same figures before and after; the chat message becomes a note; sweeps repeat and run
side by side without doing anything twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
import redis.asyncio as aioredis

import chatops.retention as module
from chatops import keys, stats
from chatops.chat.capabilities import NotesRemoval
from chatops.retention import Retention
from chatops.workflow.commands import Command
from tests.conftest import System
from tests.fakes import mention_json
from tests.privacy.helpers import everything
from tests.slack import test_slack
from tests.slack.test_slack import SlackSystem
from tests.teams import test_teams
from tests.teams.test_teams import TeamsSystem, text_of

AGENT = "U0AGENT001"
MONTH = timedelta(days=30)


async def kept(redis: aioredis.Redis) -> str:
    """Everything the store holds but keys that expire by themselves (minutes-long windows:
    the flood guard, storm grouping), which Redis would have dropped a month later."""
    transient = [k async for k in redis.scan_iter(count=1000) if await redis.ttl(k) >= 0]
    lines = (await everything(redis)).splitlines()
    return "\n".join(line for line in lines if not any(line.startswith(k) for k in transient))


async def _case(system: System | SlackSystem, n: int, text: str, name: str) -> str:
    at = system.clock.now.isoformat().replace("+00:00", "Z")
    item = mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}", name=name, created_at=at)
    await system.ingest(item)
    case_id, _ = await system.rt.store.cases.resolve_id(f"sandbox:acme:post-{n}")
    return case_id


async def _answer_and_close(
    system: System | SlackSystem, case_id: str, minutes: int, *, close: bool = True
) -> None:
    wf = system.rt.wf
    await wf.claim(case_id, AGENT)
    await wf.edit(case_id, AGENT, f"Hej! Vi tittar på ärende {case_id}. /Acme")
    system.clock.advance(minutes=minutes)
    await wf.publish(case_id, AGENT)
    if close:
        await wf.command(case_id, Command.CLOSE, "chatops")


async def _month(system: System) -> dict[str, str]:
    """Four cases over ten days: answered and closed on day 0, answered on day 1 and closed
    on day 10, still open, dismissed as spam on day 3."""
    start = system.clock.now
    ids = {"early": await _case(system, 1, "Var är min faktura?", "Anna Berg")}
    await _answer_and_close(system, ids["early"], 17)
    system.clock.now = start + timedelta(days=1)
    ids["late"] = await _case(system, 2, "Hur lång är leveranstiden?", "Bo Ek")
    await _answer_and_close(system, ids["late"], 42, close=False)  # the follow-up closes it
    system.clock.now = start + timedelta(days=2)
    ids["open"] = await _case(system, 3, "Har ni öppet på söndag?", "Cilla Ahl")
    system.clock.now = start + timedelta(days=3)
    ids["spam"] = await _case(system, 4, "Köp billiga klockor här", "Spam Bot")
    await system.rt.wf.dismiss(ids["spam"], AGENT, "spam")
    system.clock.now = start + timedelta(days=10)
    await system.rt.wf.command(ids["late"], Command.CLOSE, "chatops")
    return ids


async def _figures(system: System, start: datetime) -> list[stats.Row]:
    """`chatops stats` over the whole test, from the day it started."""
    return await stats.load(system.rt.store, start.replace(hour=0), start + timedelta(days=60))


async def _month_and_its_figures(
    system: System,
) -> tuple[datetime, dict[str, str], list[stats.Row]]:
    start = system.clock.now
    ids = await _month(system)
    return start, ids, await _figures(system, start)


async def test_closed_cases_go_a_period_after_they_closed_and_open_ones_never(
    system: System,
) -> None:
    start, ids, before = await _month_and_its_figures(system)
    store = system.rt.store
    assert sum(r.cases for r in before) == 3, "the spam expects no reply"
    assert sum(r.answered for r in before) == 2
    retention = Retention(store, system.chat, MONTH)

    swept = await retention.sweep(start + MONTH + timedelta(days=1))
    assert swept.removed == 1
    assert await store.cases.get(ids["early"]) is None
    await store.inbound.housekeep(start + MONTH)  # the worker trims what it processed
    held = await kept(store.redis)
    for trace in ("Anna", "faktura", "u-1", "sandbox:m-1", "post-1"):
        assert trace not in held, [line for line in held.splitlines() if trace in line]
    assert {c.id for c in await store.cases.get_many(ids.values())} == {
        ids["late"],
        ids["open"],
        ids["spam"],
    }

    swept = await retention.sweep(start + MONTH + timedelta(days=10, hours=1))
    assert swept.removed == 2, "the spam (closed on day 3) and the late one (day 10)"
    assert [c.id for c in await store.cases.get_many(ids.values())] == [ids["open"]]
    assert await store.indexes.cases_of_author("sandbox", "u-3", "cilla") == [ids["open"]]

    years = await retention.sweep(start + timedelta(days=3650))
    assert years.removed == 0 and await store.cases.get(ids["open"]) is not None, "never open"
    assert await _figures(system, start) == before, "the figures of deleted cases survive"
    removed = await store.redis.hgetall(keys.RETENTION_REMOVED)
    assert sum(int(n) for n in removed.values()) == 3
    assert "Bo Ek" not in await kept(store.redis)


async def test_a_sweep_repeated_or_run_by_two_schedulers_counts_each_case_once(
    system: System,
) -> None:
    start, ids, before = await _month_and_its_figures(system)
    store = system.rt.store
    later = start + MONTH + timedelta(days=11)

    one, two = Retention(store, system.chat, MONTH), Retention(store, system.chat, MONTH)
    first, second = await asyncio.gather(one.sweep(later), two.sweep(later))
    again = await one.sweep(later)

    assert first.removed + second.removed == 3 and again.removed == 0
    assert [c.id for c in await store.cases.get_many(ids.values())] == [ids["open"]]
    assert await _figures(system, start) == before


async def test_a_case_reopened_after_it_was_read_is_kept_and_not_counted_twice(
    system: System,
) -> None:
    start = system.clock.now
    store = system.rt.store
    case_id = await _case(system, 1, "Var är min faktura?", "Anna Berg")
    await _answer_and_close(system, case_id, 5)
    since = start.replace(hour=0, minute=0)
    before = await stats.load(store, since, start)
    [stored] = (await store.cases.stored([case_id])).values()
    await system.rt.wf.command(case_id, Command.REOPEN, "chatops")  # after the sweep read it

    retention = Retention(store, system.chat, MONTH)
    await retention._prepare([stored], start + MONTH * 2)
    outcome = await retention._remove(stored, start + MONTH * 2)

    assert outcome == "lost" and await store.cases.get(case_id) is not None
    assert await stats.load(store, since, start) == before, "its figures were taken back"
    assert await store.indexes.case_for_mention("sandbox:m-1") == case_id, "indexed again"
    assert await store.indexes.cases_of_author("sandbox", "u-1", "") == [case_id]


async def test_a_sweep_is_bounded_and_goes_on_where_it_stopped(system: System) -> None:
    start = system.clock.now
    store = system.rt.store
    ids = []
    for n in range(5):
        ids.append(await _case(system, n, f"Fråga {n}", "Anna Berg"))
        await system.rt.wf.dismiss(ids[-1], AGENT, "no_reply_needed")
    retention = Retention(store, system.chat, MONTH)
    first = await retention.sweep(start + MONTH * 2, batches=0)
    assert first.removed == 0
    small = module.BATCH
    module.BATCH = 2
    try:
        steps = [(await retention.sweep(start + MONTH * 2, batches=1)).removed for _ in range(4)]
    finally:
        module.BATCH = small
    assert steps[:3] == [2, 2, 1] and steps[3] == 0
    assert await store.cases.get_many(ids) == []


# -- the chat message becomes a note -----------------------------------------------------

slack_config, ss = test_slack.slack_config, test_slack.ss
"""The local Slack and the product around it, as test_slack.py sets them up (Billing's
channel for "faktura", the Social team's for the rest; retention.cases its default)."""
BILLING, SOCIAL = "C0BILLING1", "C0SOCIAL01"


async def test_the_slack_message_of_a_deleted_case_becomes_a_short_note(
    ss: SlackSystem,
) -> None:
    start = ss.clock.now
    gone = await _case(ss, 1, "Var är min faktura?", "Anna Berg")
    await _answer_and_close(ss, gone, 3)
    kept = await _case(ss, 2, "Har ni öppet på söndag?", "Bo Ek")
    await ss.flush()
    [old] = ss.slack.messages(BILLING)
    assert "faktura" in str(old["blocks"])
    period = ss.rt.config.retention.cases

    swept = await Retention(ss.rt.store, ss.rt.chat, period).sweep(start + period * 2)
    await ss.flush()

    assert (swept.removed, swept.notes) == (1, 1)
    [note], [still] = ss.slack.messages(BILLING), ss.slack.messages(SOCIAL)
    assert note["ts"] == old["ts"]
    assert note["text"] == (
        f"🗑️ Case #{gone} was removed after 180 days (retention); nothing of it is kept."
    )
    assert "faktura" not in str(note) and "Anna" not in str(note)
    assert "söndag" in str(still["blocks"]), f"case {kept} is open: untouched"
    assert await ss.backend.outbox.thread_of(gone) is None
    assert not await ss.rt.store.redis.exists(keys.SLACK.case(gone))


async def test_a_note_that_slack_refuses_leaves_the_case_deleted(ss: SlackSystem) -> None:
    start = ss.clock.now
    gone = await _case(ss, 1, "Var är min faktura?", "Anna Berg")
    await ss.rt.wf.dismiss(gone, AGENT, "spam")
    await ss.flush()
    ss.slack.fail("chat.update", "message_not_found")  # someone deleted the message
    period = ss.rt.config.retention.cases

    swept = await Retention(ss.rt.store, ss.rt.chat, period).sweep(start + period * 2)
    await ss.flush()

    assert swept.removed == 1 and await ss.rt.store.cases.get(gone) is None
    [call] = ss.slack.calls_to("chat.update")[-1:]
    assert call.error == "message_not_found" and "Case #" in call.args["text"]
    assert not await ss.rt.store.redis.exists(keys.SLACK.case(gone)), "forgotten anyway"
    assert not await ss.rt.store.redis.hexists(keys.bucket(keys.SLACK.where, gone), gone)


class CrashingChat:
    """The product's chat, with the process crashing once around the first note it is asked
    for: before the note is queued, or right after (the chat itself is the real one)."""

    def __init__(self, chat: NotesRemoval, *, after_note: bool) -> None:
        self.chat, self.after_note, self.crashed = chat, after_note, False

    async def case_removed(self, case_id: str, note: str) -> bool:
        if self.crashed:
            return await self.chat.case_removed(case_id, note)
        self.crashed = True
        if self.after_note:
            await self.chat.case_removed(case_id, note)
        raise ConnectionError("the process died here")


@pytest.mark.parametrize("after_note", [False, True], ids=["before-note", "after-note"])
async def test_a_sweep_retried_after_a_crash_finishes_what_the_crash_left(
    ss: SlackSystem, after_note: bool
) -> None:
    start = ss.clock.now
    gone = await _case(ss, 1, "Var är min faktura?", "Anna Berg")
    await _answer_and_close(ss, gone, 3)
    await ss.flush()
    [old] = ss.slack.messages(BILLING)
    store, period = ss.rt.store, ss.rt.config.retention.cases
    since, later = start.replace(hour=0, minute=0), start + period * 2
    figures = await stats.load(store, since, start)
    crashing = CrashingChat(ss.rt.chat, after_note=after_note)

    with pytest.raises(ConnectionError):
        await Retention(store, crashing, period).sweep(later)
    assert await store.cases.get(gone) is not None, "the case key goes last"

    swept = await Retention(store, crashing, period).sweep(later)
    await ss.flush()

    assert swept.removed == 1 and await store.cases.get(gone) is None
    [note] = ss.slack.messages(BILLING)
    assert note["ts"] == old["ts"] and note["text"].startswith(f"🗑️ Case #{gone} was removed")
    assert await store.indexes.case_for_mention("sandbox:m-1") is None
    assert await store.indexes.every_case_of("sandbox", "u-1", "") == []
    assert not await store.redis.hexists(keys.CONVERSATIONS, "sandbox:acme:post-1")
    assert await stats.load(store, since, start) == figures, "counted once"


teams_config, bare, ts = test_teams.teams_config, test_teams.bare, test_teams.ts
"""The local Bot Connector and the product around it, as test_teams.py sets them up."""


async def test_the_teams_card_of_a_deleted_case_becomes_the_note(ts: TeamsSystem) -> None:
    start = ts.clock.now
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.rt.wf.dismiss("1001", "chatops", "no_reply_needed")
    await ts.flush()
    card = await ts.post()
    period = ts.rt.config.retention.cases

    swept = await Retention(ts.rt.store, ts.rt.chat, period).sweep(start + period * 2)
    await ts.flush()

    assert (swept.removed, swept.notes) == (1, 1)
    shown = text_of(card.card or {})
    assert "was removed after 180 days" in shown and "öppnar" not in shown
    assert await ts.backend.outbox.post_of("1001") is None


async def test_the_scheduler_sweeps_hourly_and_only_while_it_leads(system: System) -> None:
    start = system.clock.now
    case_id = await _case(system, 1, "Hej!", "Anna Berg")
    await system.rt.wf.dismiss(case_id, AGENT, "no_reply_needed")
    a, b = (system.scheduler() for _ in range(2))
    job = a.scheduler.get_job("retention")
    assert job.trigger.interval == timedelta(seconds=module.SWEEP_EVERY_S)
    assert a.retention.period == system.rt.config.retention.cases
    system.clock.now = start + a.retention.period + timedelta(hours=1)

    await b.leader.leads()  # b leads: a's sweep must not act
    assert await a.sweep_retention() is None
    assert await system.rt.store.cases.get(case_id) is not None
    swept = await b.sweep_retention()
    assert swept is not None and swept.removed == 1
