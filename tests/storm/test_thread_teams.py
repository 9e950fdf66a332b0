"""One storm thread in Teams, end to end through the local Bot Connector (tests/fakes/teams.py):
the summary card posted once and refreshed in place, members listed in batches in its reply
chain, a sensitive member posted as its own card at once. The outbox's wall clock is injected.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chatops.chat import storm
from chatops.chat.actions import StormAction
from chatops.chat.storm import PUBLISH_QUEUED, STATEMENT_SET
from chatops.config import load_config_text
from chatops.domain import State
from chatops.store import Store
from tests.conftest import Clock
from tests.fakes import mention_json
from tests.fakes.slack import ManualClock
from tests.fakes.teams import Message, Person, card_action, channel_message
from tests.fakes.wait import eventually
from tests.teams.test_teams import (
    ANNA,
    BOB,
    COMMS1,
    SOCIAL,
    TEAMS_CONFIG,
    TeamsSystem,
    actions_of,
    start_system,
    stop_system,
)

CONFIG = TEAMS_CONFIG + "crisis: {threshold: {mentions: 3, within: 10m}, quiet: 30m}\n"
COMPLAINT = "The Acme app has been down for an hour, I can't log in to pay my bills"


@pytest.fixture
async def ts(store: Store, clock: Clock) -> AsyncIterator[tuple[TeamsSystem, ManualClock]]:
    system = await start_system(store, load_config_text(CONFIG, source="teams.yaml"), clock)
    wall = ManualClock(1_000_000.0)
    system.backend.sender.clock = system.backend.outbox.clock = wall
    try:
        await system.install()
        yield system, wall
    finally:
        await stop_system(system)


async def complaint(system: TeamsSystem, n: int, **kw: Any) -> None:
    system.clock.advance(seconds=5)
    text = COMPLAINT + "!" * (n % 3)
    await system.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}", **kw))


async def flush(system: TeamsSystem, wall: ManualClock, seconds: float = 0.0) -> None:
    for step in range(int(seconds) + 1):
        if step:
            wall.advance(1.0)
        for _ in range(50):
            await system.backend.sender.tick()
            if not await system.backend.sender.pending():
                break


async def six_in_a_storm(system: TeamsSystem, wall: ManualClock) -> Message:
    """Six people write the same complaint (a storm from the third on); its summary post."""
    for n in range(6):
        await complaint(system, n)
    await flush(system, wall)
    return system.connector.posts(SOCIAL)[0]


def card_text(message: Message) -> str:
    return json.dumps(message.card, ensure_ascii=False)


async def test_a_storm_is_one_card_refreshed_in_place_with_batches_in_its_chain(
    ts: tuple[TeamsSystem, ManualClock],
) -> None:
    system, wall = ts
    for n in range(8):
        await complaint(system, n)
    await flush(system, wall)
    posts = system.connector.posts(SOCIAL)
    assert len(posts) == 3  # its summary, then the two cases before the storm (they waited)
    summary = posts[0]
    assert "Storm in Social team" in card_text(summary) and "@channel" in card_text(summary)
    members = await system.rt.store.cases.get_many([str(1001 + n) for n in range(8)])
    assert [c.state for c in members] == [State.NEW] * 2 + [State.STORM] * 6

    await flush(system, wall, storm.BATCH_EVERY)
    [batch] = system.connector.replies(summary)
    assert all(f"#{1001 + n}" in card_text(batch) for n in range(8))

    for n in range(8, 12):
        await complaint(system, n)
    await complaint(system, 12, name="Jo Reporter", followers=48_000)
    await flush(system, wall)
    assert len(system.connector.posts(SOCIAL)) == 4  # the sensitive one, at once
    await flush(system, wall, storm.BATCH_EVERY)
    summary = system.connector.posts(SOCIAL)[0]
    assert summary.versions  # updated in place
    assert "13 mentions from 13 people" in card_text(summary)
    assert "#1013" in card_text(summary) and "needs care" in card_text(summary)
    replies = system.connector.replies(summary)
    assert len(replies) == 2 and "#1013" in card_text(replies[1])


async def test_cases_names_a_storm_once(ts: tuple[TeamsSystem, ManualClock]) -> None:
    system, wall = ts
    for n in range(6):
        await complaint(system, n)
    await flush(system, wall)
    here = system.connector.user_post(SOCIAL)
    before = len(system.connector.calls)
    activity = channel_message(system.connector.url, BOB, "cases", channel=SOCIAL, post_id=here)
    r = await system.send(activity)
    assert r.status in (200, 201), await r.text()
    [answer] = [c for c in system.connector.calls[before:] if c.route in ("send", "reply")]
    text = str(answer.body["text"])
    assert "**Storm social:1** · 4 members wait in its thread" in text
    assert "#1001" in text and "#1003" not in text


async def test_chevrons_in_a_storms_chain_set_its_holding_statement(
    ts: tuple[TeamsSystem, ManualClock],
) -> None:
    system, wall = ts
    summary = await six_in_a_storm(system, wall)
    said = "The app is down since 9:00 and we are working hard to bring it back."
    activity = channel_message(
        system.connector.url, BOB, ">> " + said, channel=SOCIAL, post_id=summary.id
    )
    r = await system.send(activity)
    assert r.status in (200, 201), await r.text()
    statement = await system.rt.store.publishing.statement("social", "1")
    assert statement is not None
    assert (statement.text, statement.language, statement.writer) == (said, "en", BOB.aad)
    await flush(system, wall, storm.SUMMARY_EVERY)
    summary = system.connector.posts(SOCIAL)[0]
    assert "Holding statement" in card_text(summary) and said in card_text(summary)


def storm_action(card: dict[str, Any], verb: str) -> dict[str, Any] | None:
    found = [a for a in actions_of(card) if a["verb"] == verb]
    return found[0] if found else None


async def storm_click(
    system: TeamsSystem,
    summary: Message,
    person: Person,
    verb: str,
    data: dict[str, Any],
    channel: str = SOCIAL,
) -> str:
    """Click `verb` on the storm's summary card as Teams sends it; the notice on top of the
    card the invoke answers with (what happened, for the clicking user alone)."""
    activity = card_action(
        system.connector.url, person, verb, data, channel=channel, post_id=summary.id
    )
    card = await system.invoke(activity, settle=False)
    return str(card["body"][0]["text"])


async def test_the_storm_card_edits_the_statement_and_an_approver_publishes_it_to_all(
    ts: tuple[TeamsSystem, ManualClock],
) -> None:
    system, wall = ts
    summary = await six_in_a_storm(system, wall)
    assert storm_action(summary.card or {}, StormAction.PUBLISH_ALL) is None  # no statement
    save = storm_action(summary.card or {}, StormAction.STATEMENT)
    assert save is not None and "Write statement…" in card_text(summary)
    said = "The app is down since 9:00 and we are working hard to bring it back."

    told = await storm_click(
        system, summary, BOB, StormAction.STATEMENT, {**save["data"], "statement": said}
    )
    assert STATEMENT_SET in told
    statement = await system.rt.store.publishing.statement("social", "1")
    assert statement is not None and (statement.text, statement.writer) == (said, BOB.aad)
    elsewhere = await storm_click(
        system,
        summary,
        ANNA,
        StormAction.STATEMENT,
        {**save["data"], "statement": "Refunds for all!"},
        channel="19:elsewhere@thread.tacv2",
    )
    assert "is handled in" in elsewhere  # not from the storm's channel, and no approver
    statement = await system.rt.store.publishing.statement("social", "1")
    assert statement is not None and statement.text == said

    await flush(system, wall, storm.SUMMARY_EVERY)
    summary = system.connector.posts(SOCIAL)[0]
    publish = storm_action(summary.card or {}, StormAction.PUBLISH_ALL)
    assert publish is not None and publish["data"]["case_id"] == "social:1"
    # the confirmation says what goes out: the statement, and the templates for other languages
    text = card_text(summary)
    assert "Publish to all…" in text and "holding template" in text and said in text
    assert "Edit statement…" in text and f'"value": "{said}"' in text  # the box, prefilled

    refused = await storm_click(system, summary, BOB, StormAction.PUBLISH_ALL, publish["data"])
    assert "only approvers" in refused  # BOB wrote it, and is no approver
    stale = {**publish["data"], "seen": "0" * 16}  # a card that showed another statement
    refused = await storm_click(system, summary, COMMS1, StormAction.PUBLISH_ALL, stale)
    assert "changed since this message showed it" in refused
    assert await system.rt.store.publishing.job("social", "1") is None

    started = await storm_click(system, summary, COMMS1, StormAction.PUBLISH_ALL, publish["data"])
    assert PUBLISH_QUEUED in started
    job = await system.rt.store.publishing.job("social", "1")
    assert job is not None and job.by == COMMS1.aad and job.running
    assert system.rt.pipeline is not None
    assert await system.rt.pipeline.publish_all.run_due() == 4
    members = await system.rt.store.cases.get_many([str(1001 + n) for n in range(6)])
    assert [c.state for c in members] == [State.NEW] * 2 + [State.PUBLISHED] * 4


async def test_a_crash_while_a_batch_is_posted_neither_posts_it_twice_nor_loses_its_members(
    ts: tuple[TeamsSystem, ManualClock],
) -> None:
    system, wall = ts
    for n in range(8):
        await complaint(system, n)
    await flush(system, wall)
    summary = system.connector.posts(SOCIAL)[0]
    assert system.connector.replies(summary) == []

    # Teams takes the batch's card, and the process dies before its answer comes back
    system.connector.delay_answer, system.connector.delay_routes = 3.0, frozenset({"send"})
    wall.advance(storm.BATCH_EVERY)  # the first batch is due
    sending = asyncio.create_task(flush(system, wall))

    async def replied() -> bool:
        return bool(system.connector.calls_to("send"))

    await eventually(replied, what="the batch's call")
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    system.connector.delay_answer = 0.0
    [batch] = system.connector.replies(summary)  # Teams has it; we never learnt so
    cut = [f"#{1001 + n}" for n in range(8) if f"#{1001 + n}" in card_text(batch)]
    assert len(cut) == 8  # every member so far (the first two also in threads of their own)

    await flush(system, wall, storm.SUMMARY_EVERY)  # the retry, and the summary refreshed
    assert len(system.connector.replies(summary)) == 1, "the batch was not posted twice"
    summary = system.connector.posts(SOCIAL)[0]
    assert "Also members" in card_text(summary)
    assert all(number in card_text(summary) for number in cut), "nobody lost"

    for n in range(8, 10):  # later members go on in batches, after those
        await complaint(system, n)
    await flush(system, wall, storm.BATCH_EVERY)
    replies = system.connector.replies(summary)
    assert len(replies) == 2
    assert "#1009" in card_text(replies[1]) and "#1010" in card_text(replies[1])
    assert not any(number in card_text(replies[1]) for number in cut)


async def test_a_reply_queued_for_an_early_member_behind_a_storm_lands_in_its_chain(
    ts: tuple[TeamsSystem, ManualClock], caplog: pytest.LogCaptureFixture
) -> None:
    system, wall = ts
    for n in range(3):  # the third opens the storm; nothing was sent yet
        await complaint(system, n)
    system.clock.advance(seconds=5)
    await system.ingest(mention_json("m-x", "post-0", "Same here, still down!", author="u-x"))
    await flush(system, wall, storm.SUMMARY_EVERY)
    assert not [r for r in caplog.records if "dropped" in r.getMessage()]
    posts = system.connector.posts(SOCIAL)
    assert "Storm in" in card_text(posts[0])  # the summary first, then the early members
    where = await system.backend.outbox.post_of("1001")
    assert where is not None
    [first] = [p for p in posts if p.id == where.activity]
    replies = system.connector.replies(first)
    assert any("still down" in json.dumps(r.activity, ensure_ascii=False) for r in replies)
