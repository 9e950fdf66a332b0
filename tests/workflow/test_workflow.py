"""The workflow service against a real Redis and a local sandbox platform server."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from chatops.chat import CaseEvent, EventKind
from chatops.config import load_config_text
from chatops.domain import State
from chatops.store import Store
from chatops.workflow.service import Workflow
from chatops.workflow.transitions import Refused, fingerprint
from tests.conftest import TEST_CONFIG, System
from tests.fakes import RecordingChat, mention_json, said


async def new_case(system: System, text: str = "Hur gör jag en beställning?", **kw: object) -> str:
    await system.ingest(mention_json("m-1", "post-1", text, **kw))  # type: ignore[arg-type]
    return (await system.case_of("post-1")).id


async def second_process(system: System) -> tuple[Workflow, aioredis.Redis]:
    """Another process's view of the same Redis: own connection, own workflow."""
    client = aioredis.from_url(system.redis_url, decode_responses=True)
    wf = Workflow(
        Store(client), system.rt.config, system.rt.adapters, RecordingChat(), clock=system.clock
    )
    return wf, client


async def test_publish_sends_the_draft_once_and_records_it(system: System) -> None:
    cid = await new_case(system)
    await system.wf.claim(cid, "anna")
    await system.wf.edit(cid, "anna", "Hej Anna! Du beställer under Mina sidor.")
    case = await system.wf.publish(cid, "anna")
    assert case.state is State.PUBLISHED
    assert system.platform.received == [
        {
            "in_reply_to": "m-1",
            "conversation_id": "post-1",
            "text": "Hej Anna! Du beställer under Mina sidor.",
            "private": False,
        }
    ]
    assert case.published[0]["id"] == "r-1"
    assert case.first_response_at == system.clock.now
    assert system.chat.kinds(cid)[-1] is EventKind.PUBLISHED
    audit = [e.action for e in await system.rt.store.audit.entries(cid)]
    assert audit == ["created", "claim", "edit", "publish", "publish_ok"]


async def test_two_people_claim_at_once_one_owns_it(system: System) -> None:
    cid = await new_case(system)
    other, client = await second_process(system)
    try:
        results = await asyncio.gather(
            system.wf.claim(cid, "anna"), other.claim(cid, "bob"), return_exceptions=True
        )
    finally:
        await client.aclose()
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, Refused)]
    assert len(winners) == 1 and len(losers) == 1
    owner = winners[0].owner
    assert losers[0].reason == f"already claimed by {owner}"
    assert (await system.case_of("post-1")).owner == owner


async def test_two_publish_clicks_at_once_reach_the_platform_once(system: System) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    other, client = await second_process(system)
    try:  # the owner clicks in two windows (anyone else is refused: claim means ownership)
        results = await asyncio.gather(
            system.wf.publish(cid, "anna"), other.publish(cid, "anna"), return_exceptions=True
        )
    finally:
        await client.aclose()
    assert len(system.platform.received) == 1
    assert sum(isinstance(r, Refused) for r in results) == 1
    assert (await system.case_of("post-1")).state is State.PUBLISHED


async def test_platform_down_leaves_the_case_recoverable_and_visible(system: System) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    system.platform.mode = "unavailable"
    case = await system.wf.publish(cid, "anna")
    assert case.state is State.DRAFTED  # back where it was
    view, event = system.chat.shown[-1]
    assert event.kind is EventKind.PUBLISH_FAILED
    assert "HTTP 503" in said(view, event) and "publish again" in said(view, event)
    system.platform.mode = "ok"
    assert (await system.wf.publish(cid, "anna")).state is State.PUBLISHED
    assert len(system.platform.received) == 1


async def test_a_rate_limited_reply_goes_out_by_itself_later(system: System) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    system.platform.mode = "rate_limited"  # 429, Retry-After: 30
    assert (await system.wf.publish(cid, "anna")).state is State.DRAFTED
    assert "automatically at 2026-11-23 10:00 CET" in said(*system.chat.shown[-1])
    system.platform.mode = "ok"
    assert await system.wf.retry_due() == []  # not yet
    system.clock.advance(seconds=31)
    assert await system.wf.retry_due() == [cid]
    assert await system.wf.retry_due() == []  # once
    case = await system.case_of("post-1")
    assert case.state is State.PUBLISHED and case.published[0]["id"] == "r-1"
    assert len(system.platform.received) == 1


async def test_an_automatic_retry_is_dropped_when_the_draft_changed(system: System) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    system.platform.mode = "rate_limited"
    await system.wf.publish(cid, "anna")
    await system.wf.edit(cid, "anna", "Hej Anna! Anna här, vi ringer dig.")
    system.platform.mode = "ok"
    system.clock.advance(seconds=31)
    assert await system.wf.retry_due() == []
    assert system.platform.received == []


async def test_a_timeout_after_sending_is_publish_unknown_never_a_blind_retry(
    system: System,
) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    system.platform.mode = "hang"
    case = await system.wf.publish(cid, "anna")
    assert case.state is State.PUBLISH_UNKNOWN
    assert system.chat.shown[-1][1].kind is EventKind.PUBLISH_UNKNOWN
    with pytest.raises(Refused, match="confirm first"):
        await system.wf.publish(cid, "anna")
    assert len(system.platform.received) == 1
    # a person checked the platform: it is there
    confirmed = await system.wf.confirm(cid, "anna", sent=True)
    assert confirmed.state is State.PUBLISHED and confirmed.first_response_at is not None


async def test_not_sent_confirmation_allows_a_new_publish(system: System) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    system.platform.mode = "hang"
    await system.wf.publish(cid, "anna")
    assert (await system.wf.confirm(cid, "anna", sent=False)).state is State.DRAFTED
    system.platform.mode = "ok"
    assert (await system.wf.publish(cid, "anna")).state is State.PUBLISHED


async def test_sensitive_case_needs_another_persons_approval(system: System) -> None:
    cid = await new_case(system, "I will file a lawsuit about this.")
    case = await system.wf.publish(cid, "anna")
    assert case.state is State.AWAITING_APPROVAL
    _view, event = system.chat.shown[-1]
    assert event.kind is EventKind.APPROVAL_REQUESTED and event.notify == ("comms", "comms2")
    assert system.platform.received == []
    with pytest.raises(Refused, match="only approvers"):
        await system.wf.approve(cid, "anna")
    await system.wf.reject(cid, "comms", "too casual for a legal matter")
    with pytest.raises(Refused, match="claimed by anna: take it over first"):
        await system.wf.edit(cid, "comms", "Hello Anna, our legal team will contact you today.")
    await system.wf.take_over(cid, "comms")
    await system.wf.edit(cid, "comms", "Hello Anna, our legal team will contact you today.")
    await system.wf.publish(cid, "comms")
    with pytest.raises(Refused, match="someone else must approve"):
        await system.wf.approve(cid, "comms")
    case = await system.wf.approve(cid, "comms2")
    assert case.state is State.PUBLISHED and case.approved_by == "comms2"
    assert len(system.platform.received) == 1


async def test_legal_department_always_needs_approval_even_after_reroute(system: System) -> None:
    cid = await new_case(system, "Hur gör jag en beställning?")
    await system.wf.reroute(cid, "anna", "legal")
    assert (await system.wf.publish(cid, "anna")).state is State.AWAITING_APPROVAL
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig.")
    await system.wf.reroute(cid, "anna", "social")
    assert (await system.wf.publish(cid, "anna")).state is State.PUBLISHED


async def test_personal_data_in_the_draft_offers_a_private_reply(system: System) -> None:
    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej! Ring oss på +46 70 123 45 67 så löser vi det.")
    with pytest.raises(Refused, match="reply privately") as info:
        await system.wf.publish(cid, "anna")
    assert info.value.code == "pii"
    case = await system.wf.publish(cid, "anna", private=True)
    assert case.state is State.PUBLISHED
    assert system.platform.received[0]["private"] is True


async def test_the_same_text_published_again_and_again_warns(system: System) -> None:
    text = "Tack för att du hörde av dig! Vi återkommer."
    for n in range(4):
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", "Hej?", author=f"u-{n}"))
        cid = (await system.case_of(f"post-{n}")).id
        await system.wf.edit(cid, "anna", text)
        if n < 3:
            assert (await system.wf.publish(cid, "anna")).state is State.PUBLISHED
    with pytest.raises(Refused, match="already went out 3 times today") as info:
        await system.wf.publish(cid, "anna")
    assert info.value.code == "repeat"
    assert (await system.wf.publish(cid, "anna")).state is State.PUBLISHED  # sent anyway


async def test_dismiss_never_touches_the_platform(system: System) -> None:
    cid = await new_case(system, "Earn $500 a day, bitcoin airdrop! bit.ly/abc https://x.invalid")
    case = await system.wf.dismiss(cid, "anna", "spam")
    assert case.state is State.DISMISSED and system.platform.received == []


async def test_unknown_case_is_a_clear_refusal(system: System) -> None:
    with pytest.raises(Refused, match="no case #4242"):
        await system.wf.claim("4242", "anna")


async def test_a_publish_cut_off_by_a_crash_becomes_publish_unknown(system: System) -> None:
    from chatops.workflow.commands import Command

    cid = await new_case(system)
    await system.wf.edit(cid, "anna", "Hej Anna! Vi hjälper dig gärna.")
    # The process moved the case to publishing and died before the platform answered.
    await system.wf.command(cid, Command.PUBLISH, "anna")
    assert (await system.case_of("post-1")).state is State.PUBLISHING
    from datetime import timedelta

    assert await system.wf.recover_stalled(timedelta(minutes=5)) == []  # not yet
    system.clock.advance(minutes=6)
    assert await system.wf.recover_stalled(timedelta(minutes=5)) == [cid]
    assert (await system.case_of("post-1")).state is State.PUBLISH_UNKNOWN
    assert system.platform.received == []


async def test_staff_pick_which_comment_the_reply_answers(system: System) -> None:
    await system.ingest(
        mention_json("m-1", "post-1", "Var är min faktura?"),
        mention_json("m-2", "post-1", "Samma här!", author="u-2", name="Olle Nord"),
    )
    case = await system.case_of("post-1")
    assert case.reply_to == "sandbox:m-2"  # the newest by default
    await system.wf.reply_to(case.id, "anna", "sandbox:m-1")
    with pytest.raises(Refused, match="not part of this case"):
        await system.wf.reply_to(case.id, "anna", "sandbox:m-9")
    await system.wf.edit(case.id, "anna", "Hej Anna! Fakturan kommer i dag.")
    await system.wf.publish(case.id, "anna")
    assert system.platform.received[0]["in_reply_to"] == "m-1"
    assert (await system.case_of("post-1")).answered_keys == ["sandbox:m-1"]


# -- an approval covers exactly what goes out (issue 9) ----------------------------------------

LAWSUIT = "I will file a lawsuit about this."
APPROVED_TEXT = "Hello Anna, our legal team will call you today."


async def awaiting(system: System, text: str = APPROVED_TEXT) -> str:
    """A sensitive case: anna claimed it, wrote `text` and asked comms to approve it."""
    cid = await new_case(system, LAWSUIT)
    await system.wf.claim(cid, "anna")
    await system.wf.edit(cid, "anna", text)
    assert (await system.wf.publish(cid, "anna")).state is State.AWAITING_APPROVAL
    return cid


def events(system: System, cid: str) -> list[CaseEvent]:
    return [e for v, e in system.chat.shown if v.case.id == cid]


async def test_approve_and_publish_is_one_transition_covering_the_text(system: System) -> None:
    cid = await awaiting(system)
    case = await system.wf.approve(cid, "comms")
    assert case.state is State.PUBLISHED and case.approved_by == "comms"
    assert case.approved_fingerprint == fingerprint(case)
    assert [r["text"] for r in system.platform.received] == [APPROVED_TEXT]
    audit = await system.rt.store.audit.entries(cid)
    assert [(e.action, e.before, e.after) for e in audit[-2:]] == [
        ("approve", State.AWAITING_APPROVAL, State.PUBLISHING),
        ("publish_ok", State.PUBLISHING, State.PUBLISHED),
    ]


async def test_editing_a_waiting_draft_asks_again_for_the_new_text(system: System) -> None:
    cid = await awaiting(system)
    case = await system.wf.edit(cid, "anna", "Hello Anna, legal will call you within the hour.")
    assert case.state is State.AWAITING_APPROVAL
    event = events(system, cid)[-1]
    assert event.kind is EventKind.APPROVAL_REQUESTED and event.notify == ("comms", "comms2")
    line = system.chat.said(cid)[-1]
    assert "Draft changed while waiting" in line and "Approve the new text" in line
    done = await system.wf.approve(cid, "comms")  # never "cannot approve a case that is drafted"
    assert done.state is State.PUBLISHED
    assert system.platform.received[0]["text"] == "Hello Anna, legal will call you within the hour."


async def test_approve_refuses_what_the_approver_did_not_see(system: System) -> None:
    cid = await awaiting(system)
    seen = fingerprint(await system.case_of("post-1"))
    await system.wf.edit(cid, "anna", "Something else entirely.")
    with pytest.raises(Refused, match="changed while you looked") as info:
        await system.wf.approve(cid, "comms", seen=seen)
    assert info.value.code == "changed" and system.platform.received == []
    assert (await system.case_of("post-1")).state is State.AWAITING_APPROVAL


async def test_a_failed_send_retries_only_the_approved_text(system: System) -> None:
    cid = await awaiting(system)
    system.platform.mode = "unavailable"
    case = await system.wf.approve(cid, "comms")
    assert case.state is State.APPROVED and case.approved_fingerprint == fingerprint(case)
    system.platform.mode = "ok"
    # a new commenter arrives: the approved reply keeps its text and its target
    await system.ingest(mention_json("m-2", "post-1", "Me too!", author="u-2", name="Olle Nord"))
    case = await system.case_of("post-1")
    assert (case.draft, case.reply_to, case.state) == (APPROVED_TEXT, "sandbox:m-1", State.APPROVED)
    assert events(system, cid)[-1].kind is EventKind.MENTION
    done = await system.wf.publish(cid, "anna")  # the retry sends what was approved
    assert done.state is State.PUBLISHED
    assert [(r["text"], r["in_reply_to"]) for r in system.platform.received] == [
        (APPROVED_TEXT, "m-1")
    ]


async def test_a_change_after_approval_withdraws_it_visibly(system: System) -> None:
    cid = await awaiting(system)
    system.platform.mode = "unavailable"
    await system.wf.approve(cid, "comms")
    system.platform.mode = "ok"
    case = await system.wf.edit(cid, "anna", "Hello Anna! Quick fix before it goes out.")
    assert case.state is State.DRAFTED and case.approved_fingerprint is None
    event = events(system, cid)[-1]
    assert event.kind is EventKind.APPROVAL_WITHDRAWN and event.notify == ("comms",)
    assert "Approval withdrawn: anna changed the draft (text)" in system.chat.said(cid)[-1]
    assert (await system.wf.publish(cid, "anna")).state is State.AWAITING_APPROVAL
    assert system.platform.received == []


async def test_an_approval_for_a_private_reply_does_not_send_a_public_one(
    system: System,
) -> None:
    cid = await new_case(system, LAWSUIT)
    await system.wf.edit(cid, "anna", APPROVED_TEXT)
    assert (await system.wf.publish(cid, "anna", private=True)).private
    system.platform.mode = "unavailable"
    await system.wf.approve(cid, "comms")
    system.platform.mode = "ok"
    case = await system.wf.publish(cid, "anna")  # publicly now: not what comms approved
    assert case.state is State.AWAITING_APPROVAL and not case.private
    kinds = [e.kind for e in events(system, cid)[-2:]]
    assert kinds == [EventKind.APPROVAL_WITHDRAWN, EventKind.APPROVAL_REQUESTED]
    assert system.platform.received == []


async def test_an_arrival_never_rewrites_a_waiting_template_draft(system: System) -> None:
    cid = await new_case(system, LAWSUIT)
    template = (await system.case_of("post-1")).draft
    await system.wf.publish(cid, "anna")  # the template, as drafted by chatops
    await system.ingest(mention_json("m-2", "post-1", "Samma här!", author="u-2", name="Olle"))
    case = await system.case_of("post-1")
    assert (case.draft, case.reply_to) == (template, "sandbox:m-1")
    assert case.state is State.AWAITING_APPROVAL and case.mention_keys[-1] == "sandbox:m-2"
    await system.wf.approve(cid, "comms")
    assert system.platform.received[0]["in_reply_to"] == "m-1"


async def test_an_automatic_retry_checks_the_approval(system: System) -> None:
    cid = await awaiting(system)
    system.platform.mode = "rate_limited"
    assert (await system.wf.approve(cid, "comms")).state is State.APPROVED
    system.platform.mode = "ok"
    system.clock.advance(seconds=31)
    assert await system.wf.retry_due() == [cid]  # approved text, unchanged: it goes out
    assert [r["text"] for r in system.platform.received] == [APPROVED_TEXT]


async def test_an_automatic_retry_is_dropped_when_the_approval_was_withdrawn(
    system: System,
) -> None:
    cid = await awaiting(system)
    system.platform.mode = "rate_limited"
    await system.wf.approve(cid, "comms")
    await system.wf.edit(cid, "anna", "Hello Anna! Changed after approval.")
    system.platform.mode = "ok"
    system.clock.advance(seconds=31)
    assert await system.wf.retry_due() == []
    assert system.platform.received == []
    assert "automatic retry was dropped" in system.chat.said(cid)[-1]


# -- four eyes are two people ------------------------------------------------------------------


async def test_the_requester_of_the_template_draft_cannot_approve_it(system: System) -> None:
    cid = await new_case(system, LAWSUIT)
    await system.wf.claim(cid, "comms")
    case = await system.wf.publish(cid, "comms")  # the system's template
    assert case.draft_author == "chatops" and case.approval_requested_by == "comms"
    assert events(system, cid)[-1].notify == ("comms2",)  # not the requester
    with pytest.raises(Refused, match="you asked for this approval: someone else"):
        await system.wf.approve(cid, "comms")
    assert system.platform.received == []
    assert (await system.wf.approve(cid, "comms2")).state is State.PUBLISHED


async def test_the_thread_says_when_no_other_approver_exists(system: System) -> None:
    lonely = load_config_text(
        TEST_CONFIG.replace("approvers: [comms, comms2]", "approvers: [comms]"), source="t.yaml"
    )
    chat = RecordingChat()
    wf = Workflow(system.rt.store, lonely, system.rt.adapters, chat, clock=system.clock)
    cid = await new_case(system, LAWSUIT)
    await wf.claim(cid, "comms")
    await wf.publish(cid, "comms")
    event = chat.shown[-1][1]
    assert event.kind is EventKind.APPROVAL_REQUESTED and event.notify == ()
    assert event.no_other_approver and "nobody else can approve it" in said(*chat.shown[-1])
    with pytest.raises(Refused, match="no other approver is set up"):
        await wf.approve(cid, "comms")


# -- claim means ownership ---------------------------------------------------------------------


async def test_another_person_takes_over_before_editing_or_publishing(system: System) -> None:
    cid = await new_case(system)
    await system.wf.claim(cid, "anna")
    for attempt in (
        system.wf.edit(cid, "bob", "Hej! Bob här."),
        system.wf.publish(cid, "bob"),
        system.wf.publish(cid, "bob", private=True),
        system.wf.reply_to(cid, "bob", "sandbox:m-1"),
    ):
        with pytest.raises(Refused, match="claimed by anna: take it over first"):
            await attempt
    case = await system.wf.take_over(cid, "bob")
    assert case.owner == "bob" and case.state is State.CLAIMED
    event = events(system, cid)[-1]
    assert event.kind is EventKind.TAKEN_OVER and event.notify == ("anna",)
    assert event.previous_owner == "anna"
    audit = (await system.rt.store.audit.entries(cid))[-1]
    assert (audit.actor, audit.action) == ("bob", "take_over")
    await system.wf.edit(cid, "bob", "Hej! Bob här.")
    assert (await system.wf.publish(cid, "bob")).state is State.PUBLISHED
    assert system.platform.received[0]["text"] == "Hej! Bob här."


async def test_arrivals_and_escalation_are_never_blocked_by_ownership(system: System) -> None:
    cid = await new_case(system)
    await system.wf.claim(cid, "anna")
    await system.ingest(mention_json("m-2", "post-1", "Hallå?", author="u-2", name="Olle"))
    case = await system.case_of("post-1")
    assert case.mention_keys == ["sandbox:m-1", "sandbox:m-2"] and case.owner == "anna"


# -- spam ------------------------------------------------------------------------------------


async def test_a_spam_flagged_case_asks_before_publishing(system: System) -> None:
    cid = await new_case(system, "Earn $500 a day, bitcoin airdrop! bit.ly/abc https://x.invalid")
    assert (await system.case_of("post-1")).spam_signals
    await system.wf.edit(cid, "anna", "Hej! Vi svarar inte på sådant.")
    with pytest.raises(Refused, match="looks like spam") as info:
        await system.wf.publish(cid, "anna")
    assert info.value.code == "spam_confirm" and system.platform.received == []
    assert (await system.wf.publish(cid, "anna")).state is State.PUBLISHED  # answered anyway
