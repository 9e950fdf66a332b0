"""A storm escalates as one item (issue 13 item 5): one ping per tier per storm, to the people
the department's tiers name, never one per member; a second scheduler calls nobody twice; a
holding statement answers the claim tier, publish-to-all the rest. Through a worker's pipeline
and the recording chat (tests/fakes/chat.py), the chase on the test's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatops.chat.rich import plain
from chatops.chat.wording import overdue_line
from chatops.config import load_config_text
from escalation.chase import Chase
from escalation.storms import StormChase, StormState, storm_step
from tests.conftest import TEST_CONFIG, System
from tests.storm.test_publish_all import NAMES, STATEMENT, STORM, publisher, storm

OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def chase(system: System) -> StormChase:
    rt = system.rt
    return StormChase(rt.wf, rt.chat, rt.store, rt.config, clock=system.clock)


async def scan_all(system: System) -> int:
    """The whole stale scan, as the scheduler runs it: cases, then storms."""
    rt = system.rt
    cases = Chase(rt.wf, rt.chat, rt.store.cases, rt.store.indexes, clock=system.clock)
    return await cases.scan() + await chase(system).scan()


async def test_a_storm_is_one_ping_per_tier_however_many_members(system: System) -> None:
    await storm(system, NAMES * 4)  # 24 members
    system.chat.pings.clear()
    system.clock.advance(minutes=30)  # past the claim SLA: that tier calls the channel,
    assert await chase(system).scan() == 0  # which the storm's summary called already

    system.clock.advance(minutes=35)  # past first response since it opened
    assert await chase(system).scan() == 1
    assert await chase(system).scan() == 0  # taken: a second scheduler calls nobody
    [(department, items, notify)] = system.chat.pings
    assert department.id == "social" and notify == ("lead",)  # escalate_to
    [item] = items  # the storm, once: not its 24 members
    assert (item.case_id, item.number, item.owner) == ("social:1", "Storm social:1", None)
    assert "no answer within its first-response time" in plain(
        overdue_line(item.number, item.overdue)
    )
    members = await system.rt.store.cases.get_many([str(1010 + n) for n in range(24)])
    assert {c.escalation_tier for c in members} == {0}  # members are not chased one by one

    system.clock.advance(hours=4)  # the 4h tier: the approvers, once
    assert await scan_all(system) >= 1
    storm_pings = [p for p in system.chat.pings if any(":" in i.case_id for i in p[1])]
    assert [p[2] for p in storm_pings] == [("lead",), ("comms", "comms2")]
    assert await chase(system).scan() == 0


async def test_publishing_to_all_ends_the_storms_escalation(system: System) -> None:
    await storm(system, NAMES[:3])
    everyone = publisher(system)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    system.chat.pings.clear()
    system.clock.advance(hours=6)
    assert await chase(system).scan() == 0
    assert system.chat.pings == []


@pytest.mark.parametrize(
    ("after", "taken", "statement", "publishing", "expected"),
    [
        (timedelta(minutes=10), -1, False, False, None),  # nothing due; next is tier 1
        (timedelta(minutes=61), -1, False, False, 1),  # first response: escalate_to
        (timedelta(hours=5), -1, False, False, 2),  # both late: only the furthest
        (timedelta(hours=5), 1, False, False, 2),
        (timedelta(hours=5), 2, False, False, None),  # every tier taken
        (timedelta(hours=5), -1, True, False, 2),  # a statement answers only the claim tier
        (timedelta(hours=5), -1, True, True, None),  # publish-to-all answers them all
    ],
)
def test_storm_step(
    after: timedelta,
    taken: int,
    statement: bool,
    publishing: bool,
    expected: int | None,
) -> None:
    config = load_config_text(TEST_CONFIG, source="test.yaml")
    state = StormState("social", OPENED, taken, has_statement=statement, publishing=publishing)
    step = storm_step(state, config, OPENED + after)
    due = step if step is not None and step.due <= OPENED + after else None
    assert (due.index if due else None) == expected
