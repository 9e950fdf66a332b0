"""Leads who must not miss anything (issue 12 item 3): digests marking overdue and sensitive
cases, the digest sent to each lead directly, and the morning overview of every department,
through the scheduler's jobs with an injected clock (the chat is a recording stand-in; the
Slack tests send the same through a local Slack)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatops.chat import rich
from chatops.config import Config, load_config_text
from escalation import digest
from escalation.scheduler import Clock as Scheduler
from tests.conftest import TEST_CONFIG, System
from tests.fakes import mention_json

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
SUNDAY = MONDAY - timedelta(days=1)

LEADS_CONFIG = TEST_CONFIG.replace("escalate_to: [lead]", "escalate_to: [lead, S0LEADS]") + (
    "reminders: {daily_at: '09:00', personal: true}\n"
)


@pytest.fixture
def config() -> Config:
    return load_config_text(LEADS_CONFIG, source="leads.yaml")


def schedulers(system: System) -> tuple[Scheduler, Scheduler]:
    rt = system.rt
    return (
        Scheduler(system.wf, system.chat, rt.store, rt.config, rt.adapters, clock=system.clock),
        Scheduler(system.wf, system.chat, rt.store, rt.config, rt.adapters, clock=system.clock),
    )


async def write(system: System, mid: str, text: str, at: datetime, **kw: str) -> str:
    system.clock.now = at
    await system.ingest(mention_json(mid, f"post-{mid}", text, created_at=at.isoformat(), **kw))
    return (await system.case_of(f"post-{mid}")).id


async def answer(system: System, case_id: str, at: datetime) -> None:
    system.clock.now = at
    await system.wf.edit(case_id, "anna", "Hej! Tack för att du skrev, vi har ordnat det.")
    await system.wf.publish(case_id, "anna")


async def test_the_digest_marks_overdue_and_sensitive_cases(system: System) -> None:
    late = await write(system, "m-1", "Hej, när öppnar ni?", MONDAY - timedelta(hours=2))
    touchy = await write(
        system,
        "m-2",
        "Min advokat hör av sig om detta",
        MONDAY - timedelta(minutes=20),
        author="u-2",
    )
    assert (
        await digest.send(
            system.wf, system.chat, system.rt.store, "social", MONDAY, once_per_day=False
        )
        == 2
    )
    _, items = system.chat.digests[-1]
    marks = {i.case_id: (i.overdue, i.sensitive) for i in items}
    assert marks == {late: (True, False), touchy: (False, True)}  # first answer due in 60 min
    await system.wf.claim(touchy, "anna")
    system.clock.now = MONDAY + timedelta(hours=1)  # now past its due time too
    await digest.send(
        system.wf, system.chat, system.rt.store, "social", system.clock.now, once_per_day=False
    )
    _, items = system.chat.digests[-1]
    assert {i.case_id: (i.overdue, i.sensitive) for i in items}[touchy] == (True, True)


async def test_each_lead_gets_the_digest_directly_once_a_day_however_many_schedulers(
    system: System,
) -> None:
    system.chat.groups = {"S0LEADS": ["deputy", "lead"]}  # lead is named twice: one copy
    await write(system, "m-1", "Hej, när öppnar ni?", MONDAY - timedelta(hours=2))
    await write(system, "m-2", "Var är min faktura?", MONDAY - timedelta(hours=1), author="u-2")
    a, b = schedulers(system)
    await b.leader.leads()  # b leads: a's jobs must not act
    system.clock.now = MONDAY
    assert await a.daily_digest("social") == 0
    assert await b.daily_digest("social") == 1
    assert await b.daily_digest("billing") == 1  # billing has no escalate_to: channel only
    assert await b.daily_digest("social") == 0  # the same local day
    assert [(p, d.id) for p, d, _ in system.chat.personal] == [
        ("lead", "social"),
        ("deputy", "social"),
    ]
    assert [d.id for d, _ in system.chat.digests] == ["social", "billing"]
    [(_, _, items)] = system.chat.personal[:1]
    assert [i.number for i in items] == ["#1001"] and items[0].overdue
    system.clock.now = MONDAY + timedelta(days=1)
    assert await b.daily_digest("social") == 1
    assert [p for p, _, _ in system.chat.personal] == ["lead", "deputy", "lead", "deputy"]
    assert len(system.chat.digests) == 3


async def test_a_digest_sent_on_request_leaves_the_scheduled_copies_to_go_out(
    system: System,
) -> None:
    """`chatops digest` sends the channel's and the leads' copies now and marks nothing: the
    morning's scheduled run still sends each once."""
    system.chat.groups = {"S0LEADS": []}
    await write(system, "m-1", "Hej, när öppnar ni?", MONDAY - timedelta(hours=2))
    _, b = schedulers(system)
    await b.leader.leads()
    system.clock.now = MONDAY
    await digest.send(
        system.wf,
        system.chat,
        system.rt.store,
        "social",
        MONDAY,
        once_per_day=False,
        leads=digest.leads(system.rt.config, "social"),
    )
    assert await b.daily_digest("social") == 1
    assert await b.daily_digest("social") == 0
    assert [p for p, _, _ in system.chat.personal] == ["lead", "lead"]
    assert len(system.chat.digests) == 2


def test_leads_are_the_escalate_to_people_only_when_personal_is_on(config: Config) -> None:
    assert digest.leads(config, "social") == ("lead", "S0LEADS")
    assert digest.leads(config, "billing") == ()
    off = load_config_text(TEST_CONFIG, source="test.yaml")
    assert digest.leads(off, "social") == ()


async def test_the_overview_goes_out_once_per_morning_to_the_approvers(system: System) -> None:
    quick = await write(system, "m-1", "Var är min faktura?", SUNDAY)
    await answer(system, quick, SUNDAY + timedelta(minutes=42))
    slow = await write(
        system, "m-2", "Har ni fått min faktura?", SUNDAY - timedelta(days=1), author="u-2"
    )
    await answer(system, slow, SUNDAY + timedelta(hours=3))  # 27 h after it was written
    today = await write(
        system, "m-3", "Min faktura igen?", MONDAY - timedelta(hours=3), author="u-3"
    )
    await answer(system, today, MONDAY - timedelta(hours=2))  # answered today: not counted
    await write(system, "m-4", "Hej, när öppnar ni?", MONDAY - timedelta(hours=2), author="u-4")
    claimed = await write(system, "m-5", "Hej igen!", MONDAY - timedelta(minutes=10), author="u-5")
    await system.wf.claim(claimed, "anna")
    a, b = schedulers(system)
    await b.leader.leads()
    system.clock.now = MONDAY
    assert await a.overview() is False  # not the leader
    assert await b.overview() is True
    assert await b.overview() is False  # once per morning
    [(to, report)] = system.chat.overviews
    assert to == ("comms", "comms2")  # no overview_to: the approvers
    said = {rich.plain(line).partition(":")[0]: rich.plain(line) for line in report.lines}
    assert said["Social team"] == (
        "Social team: 2 open · 1 unclaimed · ⏰ 1 overdue · none answered yesterday"
    )
    assert said["Billing"] == (
        "Billing: 0 open · 0 unclaimed · 0 overdue · "
        "2 answered yesterday, median first response 13 h 51 min"
    )
    assert said["Legal"].startswith("Legal: 0 open")
    assert said["All departments"].startswith("All departments: 2 open · 1 unclaimed")
    system.clock.now = MONDAY + timedelta(days=1)
    assert await b.overview() is True
    _, tuesday = system.chat.overviews[-1]
    billing = next(rich.plain(line) for line in tuesday.lines if rich.plain(line)[:7] == "Billing")
    assert billing.endswith("1 answered yesterday, median first response 1 h 00 min")


async def test_the_overview_goes_to_overview_to_when_it_is_set(
    system: System,
) -> None:
    config = load_config_text(
        LEADS_CONFIG.replace("personal: true", "personal: true, overview_to: [S0COMMS, C0LEADS]"),
        source="leads.yaml",
    )
    assert config.overview_to == ["S0COMMS", "C0LEADS"]
    rt = system.rt
    scheduler = Scheduler(system.wf, system.chat, rt.store, config, rt.adapters, clock=system.clock)
    await scheduler.leader.leads()
    assert await scheduler.overview() is True
    assert system.chat.overviews[0][0] == ("S0COMMS", "C0LEADS")


def test_the_overview_job_runs_at_the_digest_time_in_the_configs_zone(system: System) -> None:
    a, _ = schedulers(system)
    job = a.scheduler.get_job("overview")
    assert job is not None and job.trigger.timezone == system.rt.config.zone
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("9", "0")
