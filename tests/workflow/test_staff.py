"""Staff answering in their channel (issue 12 item 4): the customer's earlier cases, switching
the draft to another template, and choosing the comment the draft answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chatops import keys
from chatops.chat import EventKind
from chatops.chat.present import case_card
from chatops.chat.rich import Link, plain
from chatops.domain import Author, Case, Mention, State
from chatops.drafting import NO_DRAFT, Intent
from chatops.workflow.commands import SYSTEM
from chatops.workflow.transitions import Refused
from tests.conftest import System
from tests.fakes import mention_json

pytestmark = pytest.mark.asyncio


def _at(day: int) -> str:
    return datetime(2026, 11, day, 8, 0, tzinfo=UTC).isoformat().replace("+00:00", "Z")


async def _case(system: System, mid: str, conversation: str, text: str, **kw: object) -> Case:
    await system.ingest(mention_json(mid, conversation, text, **kw))  # type: ignore[arg-type]
    return await system.case_of(conversation)


def _x_mention(mid: str, handle: str, written: datetime) -> Mention:
    """The same person on another platform: another author id, the same handle."""
    return Mention(
        platform="x",
        account="acme",
        external_id=mid,
        conversation_id=f"t-{mid}",
        author=Author(id="x-9001", name="Anna Berg", handle=handle),
        text="Hello, any news on my refund?",
        created_at=written,
    )


# -- earlier cases ----------------------------------------------------------------------------


async def test_earlier_cases_by_author_id_and_by_handle_across_platforms(system: System) -> None:
    system.clock.now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    first = await _case(system, "m-1", "post-1", "Hej, när öppnar ni?", created_at=_at(1))
    await system.wf.edit(first.id, "anna", "Hej Anna! Vi öppnar klockan nio.")
    await system.wf.publish(first.id, "anna")
    assert (await system.wf.view(first)).earlier is None, "a first case has no history"

    system.clock.advance(days=12)
    on_x = await system.rt.pipeline.handle(_x_mention("x-1", "@Anna", system.clock.now))
    assert on_x is not None and on_x.platform == "x"
    earlier = (await system.wf.view(on_x)).earlier
    assert earlier is not None, "the same handle on another platform is the same customer"
    assert (earlier.count, earlier.case_id, earlier.state) == (1, first.id, State.PUBLISHED)

    card = case_card(await system.wf.view(on_x), now=system.clock.now)
    assert card.earlier is not None
    assert plain(card.earlier) == f"🗂️ 1 earlier case, 12 days ago: #{first.id} answered"

    system.clock.advance(days=3)
    third = await _case(system, "m-3", "post-3", "Hej igen!", created_at=_at(16))
    view = await system.wf.view(third)
    assert view.earlier is not None
    assert (view.earlier.count, view.earlier.case_id) == (2, on_x.id), "newest named"
    card = case_card(view, now=system.clock.now, links={on_x.id: "https://chat.invalid/t"})
    assert card.earlier is not None
    assert plain(card.earlier) == f"🗂️ 2 earlier cases, last 3 days ago: #{on_x.id} still open"
    assert Link("https://chat.invalid/t", f"#{on_x.id}") in card.earlier, "linked to its thread"

    other = await _case(
        system, "m-4", "post-4", "Hej!", author="u-2", name="Bo Ek", created_at=_at(16)
    )
    assert (await system.wf.view(other)).earlier is None, "another person has none"


async def test_the_index_of_one_author_keeps_every_case_and_counts_the_newest(
    system: System,
) -> None:
    indexes = system.rt.store.indexes
    mention = _x_mention("x-1", "Anna", datetime(2026, 11, 1, tzinfo=UTC))
    template = await _case(system, "m-1", "post-1", "Hej!")
    for n in range(1001, 1001 + keys.AUTHOR_CASES_KEPT + 5):
        at = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n - 1000)
        case = template.model_copy(update={"id": str(n), "created_at": at})
        await indexes.reindex(None, case, None, mention=mention)
        await indexes.reindex(None, case, None, mention=mention)  # a redelivery: once
    redis = system.rt.store.redis
    every = keys.AUTHOR_CASES_KEPT + 5
    for key, field in ((keys.AUTHORS, "x:x-9001"), (keys.HANDLES, "anna")):
        held = (await redis.hget(keys.bucket(key, field), field)).split()
        assert len(held) == every, "an erasure on request must find them all"
    found = await indexes.cases_of_author("x", "x-9001", "@ANNA")
    assert found[0] == str(1000 + every), "newest first"
    assert len(found) == keys.AUTHOR_CASES_KEPT, "a card counts the newest"
    assert len(await indexes.every_case_of("x", "x-9001", "anna")) == every

    await redis.zadd(keys.author_cases("x", "x-9001"), {"999": 1.0})  # the previous layout
    assert (await indexes.every_case_of("x", "x-9001", ""))[-1] == "999"
    await indexes.forget_case(found[0], [mention])
    assert found[0] not in await indexes.every_case_of("x", "x-9001", "anna")


# -- use template -----------------------------------------------------------------------------


async def test_use_template_renders_it_for_the_customer_and_keeps_a_persons_draft(
    system: System,
) -> None:
    case = await _case(system, "m-1", "post-1", "Hej, när öppnar ni?")
    view = await system.wf.view(case)
    assert set(view.templates) == {i.value for i in Intent if i not in NO_DRAFT}
    expected = system.wf.drafter.for_case(
        case_id=case.id,
        language=case.language,
        intent=Intent.APOLOGY,
        author=Author(id="u-1", name="Anna Berg"),
        brand="Acme",
    )

    after = await system.wf.use_template(case.id, "anna", "apology")
    assert (after.draft, after.intent, after.draft_author) == (expected, "apology", SYSTEM)
    assert "Anna" in after.draft and after.state is State.NEW
    template = [e for v, e in system.chat.shown if e.kind is EventKind.TEMPLATE]
    assert template[-1].replaced == ""
    assert system.chat.said(case.id)[-1] == (
        "📄 Draft replaced with the template “Apology” by anna"
    )
    audit = (await system.rt.store.audit.entries(case.id))[-1]
    assert (audit.action, audit.detail, audit.actor) == ("template", "apology", "anna")

    await system.wf.edit(case.id, "anna", "Hej Anna, vi öppnar nio. /Kim")
    await system.wf.use_template(case.id, "anna", "thanks")
    event = system.chat.shown[-1][1]
    assert event.kind is EventKind.TEMPLATE and event.replaced_author == "anna"
    assert system.chat.said(case.id)[-1] == (
        "📄 Draft replaced with the template “Thanks” by anna. It was anna’s text:\n"
        "Hej Anna, vi öppnar nio. /Kim"
    )

    with pytest.raises(Refused, match="no template 'poem'"):
        await system.wf.use_template(case.id, "anna", "poem")
    with pytest.raises(Refused, match="take it over"):
        await system.wf.use_template(case.id, "bob", "apology")


async def test_use_template_follows_the_state_table_and_four_eyes(system: System) -> None:
    case = await _case(system, "m-1", "post-1", "Jag stämmer er, lawsuit!")
    await system.wf.claim(case.id, "comms")
    waiting = await system.wf.publish(case.id, "comms")
    assert waiting.state is State.AWAITING_APPROVAL
    after = await system.wf.use_template(case.id, "comms", "looking_into_it")
    assert after.state is State.AWAITING_APPROVAL and after.approval_requested_by == "comms"
    assert EventKind.APPROVAL_REQUESTED in system.chat.kinds(case.id)[-2:]
    with pytest.raises(Refused, match="you asked for this approval"):
        await system.wf.approve(case.id, "comms")
    published = await system.wf.approve(case.id, "comms2")
    assert published.state is State.PUBLISHED
    with pytest.raises(Refused, match="cannot template a case that is published"):
        await system.wf.use_template(case.id, "comms", "thanks")


async def test_a_language_without_templates_offers_englishs(system: System) -> None:
    drafter = system.wf.drafter
    templated = tuple(i for i in Intent if i not in NO_DRAFT)
    assert drafter.intents("fi") == drafter.intents("en") == templated


# -- which comment the draft answers ----------------------------------------------------------


async def test_answering_another_comment_greets_its_author_unless_a_person_wrote_it(
    system: System,
) -> None:
    await _case(system, "m-1", "post-1", "Hej, när öppnar ni?")
    case = await _case(system, "m-2", "post-1", "Samma fråga här!", author="u-2", name="Olle Ek")
    assert case.reply_to == "sandbox:m-2" and "Olle" in case.draft

    after = await system.wf.reply_to(case.id, "anna", "sandbox:m-1")
    assert "Anna" in after.draft and "Olle" not in after.draft
    assert after.draft_author == SYSTEM
    event = system.chat.shown[-1][1]
    assert (event.kind, event.comment, event.kept_draft) == (EventKind.REPLY_TARGET, 1, False)
    assert system.chat.said(case.id)[-1] == (
        "🎯 anna: the draft now answers Anna Berg (@anna) (comment 1)"
    )

    await system.wf.edit(case.id, "anna", "Hej! Vi öppnar nio.")
    kept = await system.wf.reply_to(case.id, "anna", "sandbox:m-2")
    assert kept.draft == "Hej! Vi öppnar nio." and kept.reply_to == "sandbox:m-2"
    assert system.chat.said(case.id)[-1] == (
        "🎯 anna: the draft now answers Olle Ek (@olle) (comment 2). A person wrote the "
        "draft, so its greeting is unchanged: check that it fits"
    )
