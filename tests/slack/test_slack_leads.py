"""Leads through the local Slack (issue 12 items 3 and 8): the scheduled morning digest in the
channel and in each lead's DM, the overview of every department, and batched escalation pings.

The product is assembled as `chatops run` assembles it (tests/slack/test_slack.py's `ss`); the
scheduler's jobs run with the test's clock and are called as APScheduler would call them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatops.config import Config, load_config_text
from escalation.chase import Chase
from escalation.scheduler import Clock as Scheduler
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.slack.test_slack import COMMS1, COMMS2, SLACK_CONFIG, SlackSystem, ss

__all__ = ["ss"]

LEAD1, LEAD2 = "U0LEAD0001", "U0LEAD0002"
LEADS_CHANNEL = "C0LEADS001"

LEADS_CONFIG = SLACK_CONFIG.replace(
    "escalate_to: [S0SOCLEAD1]", f"escalate_to: [S0SOCLEAD1, {LEAD1}]"
) + (
    "reminders: {daily_at: '09:00', personal: true, "
    f"overview_to: [{LEADS_CHANNEL}, S0COMMS001, {COMMS1}]}}\n"
)


@pytest.fixture
async def slack_config() -> Config:
    return load_config_text(LEADS_CONFIG, source="slack.yaml")


def schedulers(ss: SlackSystem) -> tuple[Scheduler, Scheduler]:
    rt = ss.rt
    return (
        Scheduler(rt.wf, rt.chat, rt.store, rt.config, rt.adapters, clock=ss.clock),
        Scheduler(rt.wf, rt.chat, rt.store, rt.config, rt.adapters, clock=ss.clock),
    )


def listings(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages that are no case message (digests, pings, the overview)."""
    return [m for m in messages if not m.get("metadata")]


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def test_the_scheduled_digest_goes_to_the_channel_and_each_lead_once_a_day(
    ss: SlackSystem,
) -> None:
    ss.slack.user_groups["S0SOCLEAD1"] = [LEAD1, LEAD2]  # LEAD1 also named alone: one DM
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.ingest(
        mention_json(
            "m-2",
            "post-2",
            "Jag är journalist, har ni kommentarer?",
            author="u-2",
            name="Olle Nord",
        )
    )
    await ss.flush()
    roots = ss.slack.messages("C0SOCIAL01")
    permalink = f"p{roots[0]['ts'].replace('.', '')}"
    ss.clock.advance(hours=2)  # both cases (written at 08:00) are past their first-response time
    a, b = schedulers(ss)
    await b.leader.leads()  # b leads: a's jobs must not act
    assert await a.daily_digest("social") == 0
    assert await b.daily_digest("social") == 2
    assert await b.daily_digest("social") == 0  # the same local day
    await ss.flush()
    [digest] = listings(ss.slack.messages("C0SOCIAL01"))
    assert message_violations(digest["blocks"], digest["text"]) == []
    assert "case.claim" in blocks_text(digest)
    for lead in (LEAD1, LEAD2):
        [dm] = ss.slack.dm_messages(lead)
        assert message_violations(dm["blocks"], dm["text"]) == []
        text = blocks_text(dm)
        assert dm["text"] == (
            "2 unanswered cases in Social team · oldest waiting 3 h 00 min · "
            ":alarm_clock: 2 overdue · :warning: 1 sensitive"
        )
        assert "*#1001* · :alarm_clock: *overdue* · waiting 3 h 00 min" in text
        assert "*#1002* · :alarm_clock: *overdue* · :warning: *sensitive*" in text
        assert permalink in text and "open thread" in text
        assert not [b for b in dm["blocks"] if b["type"] == "actions"]  # acted on in the channel
    assert ss.slack.dm(COMMS1) is None  # only the department's escalate_to
    ss.clock.advance(days=1)
    assert await b.daily_digest("social") == 2
    await ss.flush()
    assert len(listings(ss.slack.messages("C0SOCIAL01"))) == 2
    assert [len(ss.slack.dm_messages(lead)) for lead in (LEAD1, LEAD2)] == [2, 2]


async def test_no_lead_gets_a_dm_where_nothing_is_open(ss: SlackSystem) -> None:
    ss.slack.user_groups["S0SOCLEAD1"] = [LEAD2]
    _, b = schedulers(ss)
    await b.leader.leads()
    assert await b.daily_digest("social") == 0
    await ss.flush()
    assert ss.slack.dm(LEAD1) is None and ss.slack.dm(LEAD2) is None
    assert listings(ss.slack.messages("C0SOCIAL01")) == []


async def test_the_overview_goes_out_once_a_morning_to_its_channel_and_people(
    ss: SlackSystem,
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.ingest(mention_json("m-2", "post-2", "Var är min faktura?", author="u-2"))
    await ss.flush()
    ss.clock.advance(hours=2)
    a, b = schedulers(ss)
    await b.leader.leads()
    assert await a.overview() is False
    assert await b.overview() is True
    assert await b.overview() is False  # once per morning, however many schedulers
    await ss.flush()
    [posted] = ss.slack.messages(LEADS_CHANNEL)
    # the group's members and a member also named alone: one DM each
    dms = [ss.slack.dm_messages(person) for person in (COMMS1, COMMS2)]
    assert [len(d) for d in dms] == [1, 1]
    for message in (posted, dms[0][0], dms[1][0]):
        assert message_violations(message["blocks"], message["text"]) == []
        text = blocks_text(message)
        assert "*Every department this morning*" in text
        assert "*Social team*: 1 open · *1 unclaimed* · :alarm_clock: *1 overdue*" in text
        assert "*Billing*: 1 open · *1 unclaimed* · :alarm_clock: *1 overdue*" in text
        assert "*Legal*: 0 open · 0 unclaimed · 0 overdue · none answered yesterday" in text
    ss.clock.advance(days=1)
    assert await b.overview() is True
    await ss.flush()
    assert len(ss.slack.messages(LEADS_CHANNEL)) == 2


async def test_escalations_of_one_scan_are_one_ping_per_department_naming_the_leads(
    ss: SlackSystem,
) -> None:
    """escalation/chase.py batches the first-response tier too: one message per department
    and scan, the escalate_to group called once, every case listed."""
    now = ss.clock.now.isoformat()
    await ss.ingest(
        *[
            mention_json(f"m-{n}", f"post-{n}", f"Hej, fråga {n}?", author=f"u-{n}", created_at=now)
            for n in range(3)
        ],
        mention_json("m-b", "post-b", "Var är min faktura?", author="u-b", created_at=now),
    )
    await ss.flush()
    for n in range(3):
        await ss.rt.wf.claim(str(1001 + n), LEAD2)  # claimed: the claim tier has nothing to do
    await ss.rt.wf.claim("1004", LEAD2)
    chase = Chase(ss.rt.wf, ss.rt.chat, ss.rt.store.cases, ss.rt.store.indexes, clock=ss.clock)
    ss.clock.advance(minutes=61)
    assert await chase.scan() == 4
    assert await chase.scan() == 0  # taken once
    await ss.flush()
    [social] = listings(ss.slack.messages("C0SOCIAL01"))
    assert message_violations(social["blocks"], social["text"]) == []
    text = blocks_text(social)
    assert text.count("<!subteam^S0SOCLEAD1>") == 1 and text.count(f"<@{LEAD1}>") == 1
    assert all(f"#{1001 + n}" in text for n in range(3)) and "#1004" not in text
    assert "3 cases in *Social team* need someone now" in text
    # billing has no escalate_to: its case's thread says so, nobody is called
    [billing] = ss.slack.messages("C0BILLING1")
    assert listings(ss.slack.messages("C0BILLING1")) == []
    line = ss.slack.thread("C0BILLING1", billing["ts"])[-1]["text"]
    assert "#1004 has had no answer within its first-response time" in line
    assert "<!subteam^" not in line and "<!here>" not in line
