"""Storms in `/metrics` and in the KPIs (issue 13 item 7): the open storms, their members and
how many of them were answered; `chatops stats` and the weekly report count a storm's members
in the response rate and first-response time like any case."""

from __future__ import annotations

import re
from datetime import timedelta

from chatops import stats
from chatops.domain import State
from chatops.storm import StormWatch
from escalation.report import weekly_report
from tests.builders import NOW
from tests.conftest import System
from tests.fakes import mention_json

COMPLAINT = "Appen har legat nere i en timme, jag kan inte logga in och betala mina räkningar"


async def storm_of_thirteen(system: System) -> None:
    """Thirteen people alike, 15 s apart: #1001–#1009 before the storm, #1010–#1013 in it,
    #1013 with 50,000 followers (a member with a thread of its own, to be answered by people)."""
    for n in range(13):
        system.clock.advance(seconds=15)
        text = COMPLAINT + ("!" * (n % 3))
        followers = 50_000 if n == 12 else 120
        item = mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}", followers=followers)
        await system.ingest(item)
    member = await system.wf.case("1013")
    assert member.storm == "social:1" and member.state is State.NEW


async def answer(system: System, case_id: str) -> None:
    """A person answers the case (with comms' approval where it needs one)."""
    wf = system.wf
    await wf.claim(case_id, "anna")
    if (await wf.publish(case_id, "anna")).state is State.AWAITING_APPROVAL:
        await wf.approve(case_id, "comms")
    assert (await wf.case(case_id)).state is State.PUBLISHED


async def metrics(system: System) -> str:
    return await (await system.client.get("/metrics")).text()


def value(body: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    found = re.search(rf"^{name}\{{{re.escape(want)}\}} (\S+)$", body, re.MULTILINE)
    return float(found.group(1)) if found else None


async def test_metrics_show_open_storms_their_members_and_how_many_were_answered(
    system: System,
) -> None:
    body = await metrics(system)
    assert value(body, "chatops_storms_open", department="social") == 0.0
    assert "chatops_storm_members{" not in body

    await storm_of_thirteen(system)
    body = await metrics(system)
    assert value(body, "chatops_storms_open", department="social") == 1.0
    assert value(body, "chatops_storms_open", department="billing") == 0.0
    storm = {"department": "social", "storm": "social:1"}
    assert value(body, "chatops_storm_members", **storm) == 13.0
    assert value(body, "chatops_storm_members_answered", **storm) == 0.0

    system.clock.advance(minutes=5)
    await answer(system, "1001")  # before the storm: its own thread
    await answer(system, "1013")  # a member
    body = await metrics(system)
    assert value(body, "chatops_storm_members_answered", **storm) == 2.0
    assert value(body, "chatops_storm_members", **storm) == 13.0

    system.clock.advance(minutes=31)  # quiet: the sweep closes it, and it leaves /metrics
    watch = StormWatch(system.rt.store.storms, system.rt.config)
    assert [c.group for c in await watch.closing(system.clock())] == ["1"]
    body = await metrics(system)
    assert value(body, "chatops_storms_open", department="social") == 0.0
    assert value(body, "chatops_storm_members", **storm) is None


async def test_stats_and_the_weekly_report_count_storm_members_like_any_case(
    system: System,
) -> None:
    await storm_of_thirteen(system)
    system.clock.advance(minutes=10)
    await answer(system, "1013")
    member = await system.wf.case("1013")

    rows = await stats.load(system.rt.store, NOW - timedelta(days=1))
    (row,) = [r for r in rows if r.department == "social"]
    assert (row.cases, row.answered) == (13, 1), "every member expected a reply"
    assert row.median == member.first_response_at - member.created_at  # type: ignore[operator]
    assert row.median is not None and row.median > timedelta(minutes=10)

    report = await weekly_report(system.rt.store, now=system.clock() + timedelta(minutes=1))
    total = " ".join(str(span) for span in report.lines[0])
    assert "13 cases, 1 answered (8%)" in total
