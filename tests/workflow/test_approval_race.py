"""The approve/edit race with two clients: two workflows, each with its own Redis connection,
act on the same case at the same moment, round after round.

Whatever order Redis sees the writes in, only approved text reaches the platform, at most once
per case, and a case whose reply went out is never left waiting for approval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from chatops.domain import Author, Mention, State
from chatops.workflow.transitions import Refused, fingerprint
from tests.conftest import System
from tests.fakes import mention_json
from tests.workflow.test_workflow import second_process

T = TypeVar("T")

ROUNDS = 50
ORIGINAL = "Hello {n}, our legal team will call you today."
EDITED = "Hello {n}, our lawyers will write to you instead."


async def after_ticks(ticks: int, work: Awaitable[T]) -> T:
    """`work`, started after the event loop ran others `ticks` times: varies who writes first
    without waiting on time."""
    for _ in range(ticks):
        await asyncio.sleep(0)
    return await work


async def waiting_case(system: System, n: int) -> str:
    """A sensitive case owned by anna, her draft awaiting approval."""
    await system.ingest(
        mention_json(f"m-{n}", f"post-{n}", "I will file a lawsuit.", author=f"u{n}")
    )
    cid = (await system.case_of(f"post-{n}")).id
    await system.wf.claim(cid, "anna")
    await system.wf.edit(cid, "anna", ORIGINAL.format(n=n))
    assert (await system.wf.publish(cid, "anna")).state is State.AWAITING_APPROVAL
    return cid


def newcomer(n: int, now: object) -> Mention:
    return Mention(
        platform="sandbox",
        account="acme",
        external_id=f"late-{n}",
        conversation_id=f"post-{n}",
        author=Author(id=f"late-{n}", name="Olle Nord"),
        text="Samma här!",
        created_at=now,  # type: ignore[arg-type]
    )


async def test_an_edit_racing_approve_and_publish_never_sends_unapproved_text(
    system: System,
) -> None:
    other, client = await second_process(system)
    pipeline = system.rt.pipeline
    assert pipeline is not None
    outcomes: dict[str, int] = {"sent": 0, "refused_approve": 0}
    try:
        for n in range(ROUNDS):
            cid = await waiting_case(system, n)
            seen = fingerprint(await system.case_of(f"post-{n}"))
            before = len(system.platform.received)
            results = await asyncio.gather(
                system.wf.approve(cid, "comms", seen=seen),  # client 1: the approver
                # client 2: the owner edits at about the same moment, a second approver clicks
                after_ticks(n % 12, other.edit(cid, "anna", EDITED.format(n=n))),
                after_ticks(n % 5, other.approve(cid, "comms2", seen=seen)),
                after_ticks(n % 7, pipeline.handle(newcomer(n, system.clock.now))),
                return_exceptions=True,
            )
            unexpected = [r for r in results if isinstance(r, BaseException)]
            assert all(isinstance(r, Refused) for r in unexpected), unexpected
            sent = system.platform.received[before:]
            case = await system.case_of(f"post-{n}")
            assert len(sent) <= 1, "a reply went out twice"
            if sent:
                outcomes["sent"] += 1
                assert sent[0]["text"] == ORIGINAL.format(n=n), "unapproved text was published"
                assert sent[0]["in_reply_to"] == f"m-{n}", "the reply target moved"
                assert [p["mention"] for p in case.published] == [f"sandbox:m-{n}"]
                # published, or open again because the new comment came after the reply
                assert case.state in (State.PUBLISHED, State.CLAIMED), case.state
                if case.state is State.CLAIMED:
                    assert case.reply_to == f"sandbox:late-{n}"
            else:
                outcomes["refused_approve"] += 1
                assert case.state is State.AWAITING_APPROVAL and not case.published
                assert (case.draft, case.approved_fingerprint) == (EDITED.format(n=n), None)
                assert case.reply_to == f"sandbox:m-{n}"
            system.clock.advance(seconds=1)
    finally:
        await client.aclose()
    assert sum(outcomes.values()) == ROUNDS
    assert min(outcomes.values()) > 0, f"the race never went both ways: {outcomes}"


async def test_a_case_left_waiting_can_still_be_approved_for_its_new_text(
    system: System,
) -> None:
    """After an edit won the race, the approver approves the text that is there now."""
    other, client = await second_process(system)
    try:
        for n in range(10):
            cid = await waiting_case(system, n)
            seen = fingerprint(await system.case_of(f"post-{n}"))
            await asyncio.gather(
                system.wf.approve(cid, "comms", seen=seen),
                after_ticks(n, other.edit(cid, "anna", EDITED.format(n=n))),
                return_exceptions=True,
            )
            case = await system.case_of(f"post-{n}")
            if case.state is State.AWAITING_APPROVAL:
                done = await other.approve(cid, "comms2")
                assert done.state is State.PUBLISHED
                assert system.platform.received[-1]["text"] == EDITED.format(n=n)
            assert (await system.case_of(f"post-{n}")).state is State.PUBLISHED
    finally:
        await client.aclose()
    texts = [r["text"] for r in system.platform.received]
    assert len(texts) == 10
    assert all(t in (ORIGINAL.format(n=n), EDITED.format(n=n)) for n, t in enumerate(texts))


async def test_a_crash_between_approve_and_send_is_never_a_blind_resend(system: System) -> None:
    """Approve moved the case into publishing and the process died: a person checks."""
    from chatops.workflow.commands import Command
    from chatops.workflow.transitions import Args

    cid = await waiting_case(system, 1)
    seen = fingerprint(await system.case_of("post-1"))
    await system.wf.command(cid, Command.APPROVE, "comms", Args(fingerprint=seen))
    system.clock.advance(minutes=6)
    assert await system.wf.recover_stalled(timedelta(minutes=5)) == [cid]
    case = await system.case_of("post-1")
    assert case.state is State.PUBLISH_UNKNOWN and system.platform.received == []
