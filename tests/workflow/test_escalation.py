"""The chase with an injected clock: tiers, reminders, follow-ups, snooze, digests, leaders."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from chatops import runtime
from chatops.chat import EventKind
from chatops.config import Config, load_config_text
from chatops.domain import State
from chatops.settings import Settings
from chatops.store import Store
from chatops.workflow.policy import recipients
from escalation import digest
from escalation.chase import Chase
from escalation.leader import Leader
from tests.conftest import TEST_CONFIG, Clock, System
from tests.fakes import RecordingChat, mention_json, ping_text, said

# Monday 23 Nov 2026, 09:00 UTC (10:00 in Stockholm)
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def pings(chat: RecordingChat, case_id: str = "1001") -> list[tuple[str, tuple[str, ...]]]:
    """Who was called about a case: tiers through the batched pings, then approval reminders."""
    tiers = [
        (ping_text(i), notify)
        for _, items, notify in chat.pings
        for i in items
        if i.case_id == case_id
    ]
    return tiers + [
        (said(v, e).removeprefix("⏳ "), e.notify)
        for v, e in chat.shown
        if v.case.id == case_id and e.kind is EventKind.APPROVAL_WAITING
    ]


def thread_lines(chat: RecordingChat, case_id: str = "1001") -> list[tuple[str, tuple[str, ...]]]:
    return [
        (said(v, e).removeprefix("🚨 "), e.notify)
        for v, e in chat.shown
        if v.case.id == case_id and e.kind is EventKind.ESCALATED
    ]


async def at(system: System, chase: Chase, when: datetime) -> int:
    system.clock.now = when
    return await chase.scan()


@pytest.fixture
def chase(system: System) -> Chase:
    return Chase(
        system.wf, system.chat, system.rt.store.cases, system.rt.store.indexes, clock=system.clock
    )


async def new_case(system: System, text: str = "Hej, när öppnar ni?") -> str:
    await system.ingest(
        mention_json("m-1", "post-1", text, created_at=system.clock.now.isoformat())
    )
    return (await system.case_of("post-1")).id


async def test_each_tier_fires_once_in_order(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    assert await at(system, chase, MONDAY + timedelta(minutes=14)) == 0
    assert await at(system, chase, MONDAY + timedelta(minutes=15)) == 1
    assert pings(system.chat) == [("#1001 is still unclaimed: who takes it?", ("here",))]
    # the thread keeps its own line, calling nobody: the batch did
    assert thread_lines(system.chat) == [("#1001 is still unclaimed: who takes it?", ())]
    assert await at(system, chase, MONDAY + timedelta(minutes=20)) == 0  # once
    assert await at(system, chase, MONDAY + timedelta(minutes=60)) == 1
    assert pings(system.chat)[-1][1] == ("lead",)  # the department's escalate_to
    assert await at(system, chase, MONDAY + timedelta(hours=4)) == 1
    assert pings(system.chat)[-1][1] == ("comms", "comms2")  # approvers
    assert await at(system, chase, MONDAY + timedelta(days=3)) == 0  # nothing left
    assert (await system.case_of("post-1")).escalation_tier == 3
    assert cid == "1001"


async def test_claiming_in_time_skips_the_claim_tier(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    await system.wf.claim(cid, "anna")
    assert await at(system, chase, MONDAY + timedelta(minutes=30)) == 0
    assert await at(system, chase, MONDAY + timedelta(minutes=61)) == 1
    assert [p[1] for p in pings(system.chat)] == [("lead",)]


async def test_answering_stops_the_chase_and_reopening_restarts_it(
    system: System, chase: Chase
) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    await at(system, chase, MONDAY + timedelta(minutes=16))
    await system.wf.edit(cid, "anna", "Hej Anna! Vi öppnar klockan 10.")
    await system.wf.publish(cid, "anna")
    assert await at(system, chase, MONDAY + timedelta(hours=5)) == 0
    assert len(pings(system.chat)) == 1
    later = MONDAY + timedelta(hours=6)
    system.clock.now = later
    await system.ingest(
        mention_json(
            "m-2", "post-1", "Det stämmer inte!", author="u-2", created_at=later.isoformat()
        )
    )
    case = await system.case_of("post-1")
    assert case.state is State.CLAIMED and case.escalation_tier == 0
    assert await at(system, chase, later + timedelta(minutes=61)) == 1  # first_response again
    assert pings(system.chat)[-1][1] == ("lead",)


async def test_two_schedulers_never_notify_twice(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    await new_case(system)
    other = Chase(
        system.wf, system.chat, system.rt.store.cases, system.rt.store.indexes, clock=system.clock
    )
    system.clock.now = MONDAY + timedelta(minutes=16)
    results = await asyncio.gather(chase.scan(), other.scan(), chase.scan())
    assert sum(results) == 1
    assert len(pings(system.chat)) == 1


async def test_only_one_leader_at_a_time(store: Store) -> None:
    a, b = Leader(store.redis, lease_ms=5000), Leader(store.redis, lease_ms=5000)
    assert await a.leads() and not await b.leads()
    assert await a.leads()  # renews
    await a.resign()
    assert await b.leads() and not await a.leads()


async def test_snooze_quiets_pings_until_it_ends(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    await system.wf.snooze(cid, "anna", MONDAY + timedelta(hours=2))
    assert await at(system, chase, MONDAY + timedelta(minutes=90)) == 0
    assert await at(system, chase, MONDAY + timedelta(hours=2)) == 1
    assert await at(system, chase, MONDAY + timedelta(hours=2, minutes=1)) == 0
    assert pings(system.chat) == [  # one ping, at the level reached: not a burst of all tiers
        ("#1001 has had no answer within its first-response time", ("lead",))
    ]


async def test_approval_waits_remind_the_approvers_once_per_period(
    system: System, chase: Chase
) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system, "I will sue you, my lawsuit is ready.")
    await system.wf.claim(cid, "anna")
    await system.wf.publish(cid, "anna")
    assert (await system.case_of("post-1")).state is State.AWAITING_APPROVAL
    assert await at(system, chase, MONDAY + timedelta(minutes=29)) == 0
    assert await at(system, chase, MONDAY + timedelta(minutes=30)) == 1
    assert pings(system.chat)[-1] == (
        "#1001 is waiting for approval → comms comms2",
        ("comms", "comms2"),
    )
    assert await at(system, chase, MONDAY + timedelta(minutes=45)) == 0
    # the first-response tier and the second reminder fall due together: one per tick
    assert await at(system, chase, MONDAY + timedelta(minutes=60)) == 1
    assert await at(system, chase, MONDAY + timedelta(minutes=60)) == 1
    assert await at(system, chase, MONDAY + timedelta(minutes=60)) == 0
    assert sum(1 for p in pings(system.chat) if "approval" in p[0]) == 2


async def test_follow_up_closes_a_quiet_case(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi öppnar klockan 10.")
    await system.wf.publish(cid, "anna")
    assert await at(system, chase, MONDAY + timedelta(hours=23)) == 0
    assert await at(system, chase, MONDAY + timedelta(hours=24)) == 1
    case = await system.case_of("post-1")
    assert case.state is State.CLOSED
    assert system.chat.kinds(cid)[-1] is EventKind.CLOSED
    assert "has not written again" in said(*system.chat.shown[-1])


async def test_a_customer_writing_again_reopens_instead_of_closing(
    system: System, chase: Chase
) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi öppnar klockan 10.")
    await system.wf.publish(cid, "anna")
    system.clock.now = MONDAY + timedelta(hours=3)
    await system.ingest(
        mention_json(
            "m-2", "post-1", "Tack, men en sak till?", created_at=system.clock.now.isoformat()
        )
    )
    await at(system, chase, MONDAY + timedelta(hours=25))
    assert (await system.case_of("post-1")).state is State.CLAIMED
    assert EventKind.CLOSED not in system.chat.kinds(cid)


# -- business hours ---------------------------------------------------------------------------

HOURS_CONFIG = TEST_CONFIG.replace(
    "    escalate_to: [lead]\n",
    '    escalate_to: [lead]\n    hours: {days: mon-fri, start: "08:00", end: "17:00"}\n',
)


@pytest.fixture
async def office(store: Store, clock: Clock, redis_url: str) -> AsyncIterator[System]:
    """A system whose social department works Mon–Fri 08–17 Stockholm time."""
    from aiohttp.test_utils import TestClient, TestServer

    from chatops.processes import web_app
    from tests.fakes import SandboxPlatform

    config = load_config_text(HOURS_CONFIG)
    platform = SandboxPlatform()
    url = await platform.start()
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret", "SANDBOX_API_URL": url})
    chat = RecordingChat()
    rt = await runtime.start(settings, config, store=store, chat=chat, clock=clock)
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield System(rt, chat, platform, client, clock, redis_url)
    finally:
        await client.close()
        await platform.stop()
        await rt.http.aclose()


async def test_sla_clocks_pause_over_the_weekend(office: System) -> None:
    friday = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 16:30 in Stockholm
    office.clock.now = friday
    await new_case(office)
    chase = Chase(
        office.wf, office.chat, office.rt.store.cases, office.rt.store.indexes, clock=office.clock
    )
    assert await at(office, chase, friday + timedelta(minutes=30)) == 1  # 15 min of open time
    monday_0829 = datetime(2026, 11, 30, 7, 29, tzinfo=UTC)
    assert await at(office, chase, monday_0829) == 0  # 60 min not reached: weekend paused
    assert await at(office, chase, monday_0829 + timedelta(minutes=1)) == 1
    view = await office.wf.view(await office.case_of("post-1"))
    assert view.due_at is not None and view.due_at.tzname() == "CET"
    assert (view.due_at.hour, view.due_at.minute) == (8, 30)


async def test_sla_across_the_dst_change(office: System) -> None:
    # Friday 23 Oct 2026 16:50 CEST; the clocks go back on Sunday 25 Oct.
    friday = datetime(2026, 10, 23, 14, 50, tzinfo=UTC)
    office.clock.now = friday
    await new_case(office)
    chase = Chase(
        office.wf, office.chat, office.rt.store.cases, office.rt.store.indexes, clock=office.clock
    )
    monday_0850_cet = datetime(2026, 10, 26, 7, 50, tzinfo=UTC)  # 10 + 50 min of open time
    assert await at(office, chase, monday_0850_cet - timedelta(minutes=45)) == 1  # claim tier
    assert await at(office, chase, monday_0850_cet - timedelta(minutes=1)) == 0
    assert await at(office, chase, monday_0850_cet) == 1


# -- digests ------------------------------------------------------------------------------------


async def test_digest_lists_unanswered_cases_oldest_first(system: System) -> None:
    system.clock.now = MONDAY
    await system.ingest(
        mention_json(
            "m-1",
            "post-1",
            "Hej, när öppnar ni?",
            created_at=(MONDAY - timedelta(hours=3)).isoformat(),
        )
    )
    await system.ingest(
        mention_json(
            "m-2",
            "post-2",
            "Var är butiken?",
            author="u-2",
            created_at=(MONDAY - timedelta(hours=5)).isoformat(),
        )
    )
    await system.ingest(mention_json("m-3", "post-3", "Vad kostar frakten?", author="u-3"))
    c3 = (await system.case_of("post-3")).id
    await system.wf.claim((await system.case_of("post-1")).id, "anna")
    await system.wf.edit(c3, "anna", "Hej! Frakten är gratis över 499 kr.")
    await system.wf.publish(c3, "anna")
    assert (
        await digest.send(
            system.wf, system.chat, system.rt.store, "social", MONDAY, once_per_day=False
        )
        == 2
    )
    department, items = system.chat.digests[-1]
    assert department.id == "social"
    assert [(i.number, i.owner) for i in items] == [("#1002", None), ("#1001", "anna")]
    assert items[0].age == timedelta(hours=5)
    assert "Var är butiken?" in items[0].summary


async def test_no_digest_where_nothing_is_open(system: System) -> None:
    assert (
        await digest.send(
            system.wf, system.chat, system.rt.store, "billing", MONDAY, once_per_day=False
        )
        == 0
    )
    assert system.chat.digests == []


async def test_the_scheduled_digest_goes_out_once_a_day(system: System) -> None:
    system.clock.now = MONDAY
    await new_case(system)
    a, b = (
        system.scheduler(),
        system.scheduler(),
    )
    await b.leader.leads()  # b leads: a's job must not act
    assert await a.daily_digest("social") == 0
    assert await b.daily_digest("social") == 1
    assert await b.daily_digest("social") == 0  # the same local day
    system.clock.now = MONDAY + timedelta(days=1)
    assert await b.daily_digest("social") == 1
    assert len(system.chat.digests) == 2


async def test_weekly_report_posts_text_and_chart_once(system: System) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi öppnar klockan 10.")
    await system.wf.publish(cid, "anna")
    system.clock.advance(hours=1)
    scheduler = system.scheduler()
    assert await scheduler.weekly_report() is True
    assert await scheduler.weekly_report() is False
    department, report = system.chat.reports[0]
    assert department.id == "social" and "Weekly response report" in report.title
    assert report.chart is not None and report.chart.startswith(b"\x89PNG")


def test_the_scheduler_has_the_jobs_of_the_config(system: System) -> None:
    scheduler = system.scheduler()
    ids = {job.id for job in scheduler.scheduler.get_jobs()}
    assert {"scan", "leader", "weekly-report"} <= ids
    assert {f"digest:{d.id}" for d in system.wf.config.departments} <= ids
    job = scheduler.scheduler.get_job("digest:support-de")
    assert job.trigger.timezone == system.wf.config.department_tz("support-de")
    assert not any(i.startswith("digest-soon:") for i in ids), "only the demo brings it forward"


def test_the_demo_brings_every_digest_forward_and_keeps_the_morning_one(system: System) -> None:
    scheduler = system.scheduler(digest_soon=timedelta(seconds=40))
    ids = {job.id for job in scheduler.scheduler.get_jobs()}
    for dept in system.wf.config.departments:
        assert {f"digest:{dept.id}", f"digest-soon:{dept.id}"} <= ids
        soon = scheduler.scheduler.get_job(f"digest-soon:{dept.id}")
        assert soon.trigger.run_date == system.clock() + timedelta(seconds=40)
        assert soon.args == (dept.id,)


# -- batched pings, spam ----------------------------------------------------------------------


async def test_twelve_cases_due_in_one_scan_are_one_ping(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    at_ = MONDAY.isoformat()
    await system.ingest(
        *[
            mention_json(
                f"m-{n}", f"post-{n}", f"Fråga nummer {n}?", author=f"u-{n}", created_at=at_
            )
            for n in range(12)
        ],
        mention_json("m-b", "post-b", "Var är min faktura?", author="u-b", created_at=at_),
    )
    assert await at(system, chase, MONDAY + timedelta(minutes=15)) == 13
    by_dept = {(d.id, notify): items for d, items, notify in system.chat.pings}
    assert set(by_dept) == {("social", ("here",)), ("billing", ("here",))}
    social = by_dept["social", ("here",)]
    assert [i.number for i in social] == sorted(i.number for i in social)
    assert len(social) == 12 and len(system.chat.pings) == 2
    assert all(e.notify == () for _, e in system.chat.shown if e.kind is EventKind.ESCALATED)
    assert len([e for _, e in system.chat.shown if e.kind is EventKind.ESCALATED]) == 13


async def test_a_spam_case_never_calls_the_channel(system: System, chase: Chase) -> None:
    system.clock.now = MONDAY
    cid = await new_case(system, "FREE bitcoin airdrop!!! bit.ly/x https://y.invalid claim now")
    assert (await system.case_of("post-1")).spam_signals
    assert await at(system, chase, MONDAY + timedelta(minutes=15)) == 1  # the tier is taken
    assert pings(system.chat, cid) == [] and system.chat.pings == []
    assert thread_lines(system.chat, cid) == [("#1001 is still unclaimed: who takes it?", ())]
    assert await at(system, chase, MONDAY + timedelta(minutes=60)) == 1
    assert pings(system.chat, cid) == [
        ("#1001 has had no answer within its first-response time", ("lead",))
    ]


def test_recipients_leave_the_channel_out_for_spam(config: Config) -> None:
    dept = config.department("social")
    assert recipients(["channel", "escalate_to"], dept, config) == ("here", "lead")
    assert recipients(["channel", "escalate_to"], dept, config, spam=True) == ("lead",)
    assert recipients(["channel"], dept, config, spam=True) == ()


def test_a_batched_ping_as_a_teams_card_and_console_text() -> None:
    from rich.console import Console

    from chatops.chat import Department, PingItem, present
    from chatops.console.backend import ConsoleBackend
    from chatops.domain import Overdue
    from chatops.teams.cards import listing_card
    from chatops.teams.markup import CARD_LIMIT, card_size

    dept = Department("social", "Social team", "19:social@thread.tacv2")
    items = [PingItem(str(1001 + n), f"#{1001 + n}", Overdue("claim")) for n in range(12)] + [
        PingItem("1013", "#1013", Overdue(None, timedelta(hours=4)), owner="aad-anna")
    ]
    listing = present.pings(dept, items, {}, ("here",))
    card = listing_card(listing, "ping", names={"aad-anna": "Anna"})
    text = json.dumps(card)
    assert card_size(card) <= CARD_LIMIT and text.count("@channel") == 1
    assert (
        all(f"#{1001 + n}" in text for n in range(13)) and text.count('"verb": "case.claim"') == 12
    )
    console = Console(record=True, width=120)
    asyncio.run(ConsoleBackend(console).post_pings(dept, items, ("here",)))
    printed = console.export_text()
    assert printed.count("@here") == 1 and "13 cases in Social team need someone now" in printed
    assert "#1013 has waited 4h without an answer · aad-anna" in printed


async def test_the_weekly_report_dates_its_week_in_the_config_zone(system: System) -> None:
    """Monday 00:30 in Stockholm is still Sunday in UTC: the week named is the local one."""
    system.clock.now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    scheduler = system.scheduler()
    assert await scheduler.weekly_report() is True
    _, report = system.chat.reports[0]
    assert report.title.endswith("16–23 Nov 2026"), report.title
