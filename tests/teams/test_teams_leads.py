"""Leads through the local Bot Connector (issue 12 items 3 and 8): the scheduled digest in the
department's channel and in its lead's personal chat with the bot, and the overview of every
department in a channel and in a person's chat, each once however many schedulers run."""

from __future__ import annotations

import json

import pytest

from chatops.config import Config, load_config_text
from escalation.scheduler import Clock as Scheduler
from tests.fakes import mention_json
from tests.teams.test_teams import (
    BILLING,
    COMMS1,
    COMMS2,
    LEAD,
    SOCIAL,
    TEAMS_CONFIG,
    TeamsSystem,
    bare,
    ts,
)

__all__ = ["bare", "ts"]

LEADS_CONFIG = TEAMS_CONFIG + (
    "reminders: {daily_at: '09:00', personal: true, "
    f"overview_to: ['{COMMS1.aad}', '{BILLING}']}}\n"
)


@pytest.fixture
def teams_config() -> Config:
    return load_config_text(LEADS_CONFIG, source="teams.yaml")


def schedulers(ts: TeamsSystem) -> tuple[Scheduler, Scheduler]:
    rt = ts.rt
    return (
        Scheduler(rt.wf, rt.chat, rt.store, rt.config, rt.adapters, clock=ts.clock),
        Scheduler(rt.wf, rt.chat, rt.store, rt.config, rt.adapters, clock=ts.clock),
    )


async def test_the_digest_goes_to_the_channel_and_the_leads_personal_chat_once_a_day(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    ts.clock.advance(hours=2)
    a, b = schedulers(ts)
    await b.leader.leads()
    assert await a.daily_digest("social") == 0
    assert await b.daily_digest("social") == 1
    assert await b.daily_digest("social") == 0
    await ts.flush()
    posts = ts.connector.posts(SOCIAL)
    assert len(posts) == 2  # the case and the digest
    [personal] = ts.connector.personal_messages(LEAD.aad)
    assert personal.card is not None
    text = json.dumps(personal.card, ensure_ascii=False)
    assert "1 unanswered case in Social team · oldest waiting 3 h 00 min · ⏰ 1 overdue" in text
    assert "**#1001** · ⏰ **overdue** · waiting 3 h 00 min · _unclaimed_ · new" in text
    assert "Action.Execute" not in text  # acted on in the channel, where the buttons are
    assert "Action.Execute" in json.dumps(posts[1].card)
    assert ts.connector.personal_messages(COMMS1.aad) == []


async def test_the_overview_goes_once_to_its_channel_and_its_person(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    a, b = schedulers(ts)
    await b.leader.leads()
    assert await a.overview() is False
    assert await b.overview() is True
    assert await b.overview() is False
    await ts.flush()
    [posted] = ts.connector.posts(BILLING)
    [personal] = ts.connector.personal_messages(COMMS1.aad)
    for message in (posted, personal):
        text = json.dumps(message.card, ensure_ascii=False)
        assert "Every department this morning" in text
        assert "**Social team**: 1 open · **1 unclaimed** · 0 overdue" in text
    assert ts.connector.personal_messages(COMMS2.aad) == []  # overview_to replaces approvers
