"""Past answers ("Similar: #1042"): published replies recorded in Redis, found for new cases
like them, and reused with "Use this answer", through the real workflow and pipeline."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest
import redis.asyncio as aioredis

from chatops import keys
from chatops.config.models import DEFAULT_PII_PATTERNS
from chatops.domain import Author, Case, Change, Mention, State
from chatops.knowledge.answers import (
    Answer,
    AnswerLog,
    Masking,
    PastAnswers,
    Reference,
    adapt,
    answer_of,
    digest,
    offered,
    resolved,
)
from chatops.privacy import Forgetter, Subject
from chatops.privacy.erase import ERASED_TEXT
from chatops.runtime import past_answers
from chatops.store import Store
from chatops.workflow.service import Workflow
from chatops.workflow.transitions import Refused
from tests.builders import NOW, make_case, mention, published_case
from tests.conftest import System
from tests.fakes import RecordingChat, mention_json

INVOICE = "Var hittar jag min faktura för november?"
INVOICE_AGAIN = "Hej, var hittar jag fakturan för november?"
ANSWER = "Hej Anna! Fakturan för november hittar du under Mina sidor › Fakturor."


async def answered(
    system: System,
    conversation: str,
    text: str = INVOICE,
    reply: str = ANSWER,
    *,
    name: str = "Anna Berg",
    author: str = "u-1",
    private: bool = False,
    lang: str | None = None,
) -> str:
    """A case whose reply someone published; its id."""
    extra = {"lang": lang} if lang else {}
    await system.ingest(
        mention_json(f"m-{conversation}", conversation, text, name=name, author=author, **extra)
    )
    case = await system.case_of(conversation)
    await system.wf.claim(case.id, "anna")
    await system.wf.edit(case.id, "anna", reply)
    published = await system.wf.publish(case.id, "anna", private=private)
    assert published.state is State.PUBLISHED
    return case.id


async def arrived(system: System, conversation: str, text: str = INVOICE_AGAIN, **kw: str) -> str:
    await system.ingest(mention_json(f"m-{conversation}", conversation, text, **kw))  # type: ignore[arg-type]
    return (await system.case_of(conversation)).id


async def test_a_published_reply_is_recorded_and_found(system: System) -> None:
    source = await answered(system, "post-1")
    rows = await system.rt.store.redis.xrange(keys.answers("billing"))
    assert len(rows) == 1
    assert system.rt.answers is not None
    found = system.rt.answers.similar(INVOICE_AGAIN, "billing", "sv")
    assert [m.answer.case_id for m in found] == [source]
    answer = found[0].answer
    assert (answer.text, answer.by, answer.customer, answer.at) == (
        ANSWER,
        "anna",
        "Anna",
        system.clock.now,
    )
    assert system.rt.answers.similar("Appen kraschar när jag loggar in", "social", "sv") == []


async def test_a_new_similar_case_lists_the_answered_one(system: System) -> None:
    source = await answered(system, "post-1")
    system.clock.advance(days=3)
    new = await arrived(system, "post-2", name="Björn Ek", author="u-2")
    case = await system.wf.case(new)
    assert case.similar == (source,)
    view = await system.wf.view(case)
    assert [(s.case_id, s.by, s.text) for s in view.similar] == [(source, "anna", ANSWER)]
    unrelated = await arrived(system, "post-3", "Appen kraschar när jag loggar in", author="u-3")
    assert (await system.wf.case(unrelated)).similar == ()


async def test_use_this_answer_greets_the_new_customer_and_publishes_only_on_a_click(
    system: System,
) -> None:
    source = await answered(system, "post-1")
    new = await arrived(system, "post-2", name="Björn Ek", author="u-2")
    case = await system.wf.use_answer(new, "bo", source)
    assert case.draft == "Hej Björn! Fakturan för november hittar du under Mina sidor › Fakturor."
    assert (case.draft_author, case.owner, case.state) == ("bo", "bo", State.DRAFTED)
    assert len(system.platform.received) == 1  # only the first case's reply went out
    published = await system.wf.publish(new, "bo")
    assert published.state is State.PUBLISHED
    assert system.platform.received[-1]["text"] == case.draft


async def test_a_used_answer_on_a_sensitive_case_still_needs_an_approver_who_did_not_use_it(
    system: System,
) -> None:
    source = await answered(system, "post-1")
    new = await arrived(system, "post-2", INVOICE_AGAIN + " Annars går jag till advokat.")
    await system.wf.use_answer(new, "comms", source)
    asked = await system.wf.publish(new, "comms")
    assert asked.state is State.AWAITING_APPROVAL
    with pytest.raises(Refused):
        await system.wf.approve(new, "comms")  # four eyes: comms wrote this draft
    approved = await system.wf.approve(new, "comms2")
    assert approved.state is State.PUBLISHED


async def test_a_customer_with_no_usable_name_is_greeted_without_one(system: System) -> None:
    source = await answered(system, "post-1")
    new = await arrived(system, "post-2", name="Idiots", author="u-2")
    case = await system.wf.use_answer(new, "bo", source)
    assert case.draft == "Hej! Fakturan för november hittar du under Mina sidor › Fakturor."


async def test_an_answer_in_another_language_is_refused_and_the_draft_kept(
    system: System,
) -> None:
    source = await answered(system, "post-1")
    new = await arrived(system, "post-2", "Where can I find my invoice for November?", lang="en")
    before = await system.wf.case(new)
    with pytest.raises(Refused, match=r"is in sv .* no similar answer in en"):
        await system.wf.use_answer(new, "bo", source)
    after = await system.wf.case(new)
    assert (after.draft, after.version) == (before.draft, before.version)


async def test_an_answer_in_another_language_gives_way_to_one_in_the_customers(
    system: System,
) -> None:
    swedish = await answered(system, "post-1")
    english = await answered(
        system,
        "post-2",
        "Where can I find my invoice for November?",
        "Hi Tom! Your November invoice is under My pages › Invoices.",
        name="Tom Hill",
        author="u-2",
        lang="en",
    )
    new = await arrived(
        system, "post-3", "Where is my invoice for November?", name="Mary Lee", lang="en"
    )
    case = await system.wf.use_answer(new, "bo", swedish)
    assert case.draft == "Hi Mary! Your November invoice is under My pages › Invoices."
    assert english in (await system.wf.case(new)).similar


async def test_a_private_reply_is_not_offered(system: System) -> None:
    reply = "Hej Anna! Fakturan för order 123456 skickas till anna.berg@example.com."
    await answered(system, "post-1", reply=reply, private=True)
    assert await system.rt.store.redis.xlen(keys.answers("billing")) == 0
    new = await arrived(system, "post-2", author="u-2")
    assert (await system.wf.case(new)).similar == ()


@pytest.mark.parametrize(
    ("text", "private", "allow", "expected"),
    [
        (ANSWER, False, (), True),
        (ANSWER, True, (), False),
        ("Hej Anna! Order 123456 är skickad.", False, (), False),
        ("Hej Anna! Skriv till anna.berg@example.com.", False, (), False),
        ("Hej Anna! Skriv till support@acme.se.", False, ("support@acme.se",), True),
        ("  ", False, (), False),
    ],
)
def test_only_public_replies_without_personal_data_are_offered(
    text: str, private: bool, allow: tuple[str, ...], expected: bool
) -> None:
    assert offered(text, private, DEFAULT_PII_PATTERNS, allow) is expected


async def test_the_record_is_a_reference_and_the_customers_data_is_masked_when_read(
    system: System,
) -> None:
    source = await answered(system, "post-1", INVOICE + " Min mejl är anna.berg@example.com")
    [(_, fields)] = await system.rt.store.redis.xrange(keys.answers("billing"))
    assert (fields["c"], fields["n"], fields["b"]) == (source, "1", "anna")
    assert set(fields) == {"c", "n", "b", "h"}, "no text, no customer: those are the case's"
    restarted = past_answers(system.rt.store, system.rt.config, system.clock)
    await restarted.refresh()
    [found] = restarted.index.answers
    assert "anna.berg@example.com" not in found.question and "[email]" in found.question
    assert (found.text, found.customer, found.author) == (ANSWER, "Anna", "sandbox:u-1")


async def test_a_restarted_process_rebuilds_the_index_from_redis(system: System) -> None:
    source = await answered(system, "post-1")
    restarted = past_answers(system.rt.store, system.rt.config, system.clock)
    assert restarted.similar(INVOICE_AGAIN, "billing", "sv") == []
    assert await restarted.refresh() == 1
    found = restarted.similar(INVOICE_AGAIN, "billing", "sv")
    assert [m.answer.case_id for m in found] == [source]
    assert await restarted.refresh() == 0  # nothing new: nothing read twice


async def test_two_processes_see_each_others_answers(system: System) -> None:
    client = aioredis.from_url(system.redis_url, decode_responses=True)
    try:
        store = Store(client)
        theirs = past_answers(store, system.rt.config, system.clock)
        other = Workflow(
            store,
            system.rt.config,
            system.rt.adapters,
            RecordingChat(),
            clock=system.clock,
            answers=theirs,
        )
        await system.ingest(mention_json("m-1", "post-1", INVOICE))
        case = await system.case_of("post-1")
        await other.edit(case.id, "bo", ANSWER)
        assert (await other.publish(case.id, "bo")).state is State.PUBLISHED
        new = await arrived(system, "post-2", name="Björn Ek", author="u-2")  # this process
        assert (await system.wf.case(new)).similar == (case.id,)
        mine = await answered(system, "post-3", name="Cecilia Ny", author="u-3")
        await theirs.refresh()
        found = theirs.similar(INVOICE_AGAIN, "billing", "sv", k=3)
        assert {m.answer.case_id for m in found} == {case.id, mine}
    finally:
        await client.aclose()


async def test_a_confirmed_publish_is_recorded_too(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", INVOICE))
    case = await system.case_of("post-1")
    await system.wf.edit(case.id, "anna", ANSWER)
    system.platform.mode = "hang"  # sent, but no answer: nobody knows whether it went out
    assert (await system.wf.publish(case.id, "anna")).state is State.PUBLISH_UNKNOWN
    assert await system.rt.store.redis.xlen(keys.answers("billing")) == 0
    await system.wf.confirm(case.id, "anna", sent=True)
    assert await system.rt.store.redis.xlen(keys.answers("billing")) == 1


async def test_the_record_is_capped_by_count_and_by_age(store: Store, clock: object) -> None:
    from tests.conftest import Clock

    assert isinstance(clock, Clock)
    log = AnswerLog(store.redis, store.cases.stored, kept=3)
    answers = PastAnswers(log, ["billing"], keep=timedelta(days=30), clock=clock)
    for n in range(150):
        answer = await _published(store, str(n), clock.now)
        await log.add(answer, clock.now - timedelta(days=30))
    assert await store.redis.xlen(keys.answers("billing")) < 150  # trimmed near 3 (approximate)
    await answers.refresh()
    held = [a.case_id for a in answers.index.answers]
    assert held == ["147", "148", "149"]  # the newest, as many as kept
    assert len(held) <= await store.redis.xlen(keys.answers("billing"))
    clock.advance(days=31)
    assert answers.similar(INVOICE, "billing", "sv") == []  # too old to offer


async def test_forgetting_a_customer_removes_their_answers(system: System) -> None:
    await answered(system, "post-1")
    other = await answered(system, "post-2", name="Björn Ek", author="u-2")
    assert system.rt.answers is not None
    assert await system.rt.answers.forget("sandbox:u-1") == 1
    found = system.rt.answers.similar(INVOICE_AGAIN, "billing", "sv")
    assert [m.answer.case_id for m in found] == [other]


@pytest.mark.parametrize(
    ("text", "name", "handle", "expected"),
    [
        ("Hej Anna! Vi kollar.", "Björn", "", "Hej Björn! Vi kollar."),
        ("Hej Anna! Vi kollar.", "", "", "Hej! Vi kollar."),
        ("Anna, vi kollar. Tack Anna!", "", "", "vi kollar. Tack!"),
        (
            "Hi @annab, see the FAQ. Annalena knows.",
            "Tom",
            "tomh",
            "Hi @tomh, see the FAQ. Annalena knows.",
        ),
        ("Hi @annab, see the FAQ.", "Tom", "", "Hi, see the FAQ."),
    ],
)
def test_adapt(text: str, name: str, handle: str, expected: str) -> None:
    answer = _answer("1", text=text)
    assert adapt(answer, name, handle) == expected


async def _published(store: Store, case_id: str, at: datetime, text: str = ANSWER) -> Answer:
    """Case `case_id` as the workflow leaves it once `text` went out at `at`, saved; the
    answer it records."""
    case, asked = published_case(case_id, text, INVOICE, at=at)
    assert await store.cases.save(case, expected_version=0, mention=asked) is not None
    return answer_of(case, asked, "anna", 1)


def _answer(case_id: str, at: object = None, *, text: str = ANSWER) -> Answer:
    from datetime import UTC, datetime

    when = at if isinstance(at, datetime) else datetime(2026, 11, 23, tzinfo=UTC)
    return Answer(
        case_id=case_id,
        text=text,
        question=INVOICE,
        language="sv",
        department="billing",
        by="anna",
        at=when,
        customer="Anna",
        handle="annab",
        author=Author(id="u-1").id,
    )


async def test_another_process_drops_a_forgotten_answer_and_keeps_later_ones(
    system: System,
) -> None:
    await answered(system, "post-1")
    other = past_answers(system.rt.store, system.rt.config, system.clock)
    await other.refresh()
    assert len(other.similar(INVOICE_AGAIN, "billing", "sv")) == 1
    assert system.rt.answers is not None
    await system.rt.answers.forget("sandbox:u-1")
    await other.refresh()
    assert other.similar(INVOICE_AGAIN, "billing", "sv") == []
    later = await answered(system, "post-2")  # the same customer, answered after the erasure
    restarted = past_answers(system.rt.store, system.rt.config, system.clock)
    await restarted.refresh()  # reads every erasure: it names only the erased entries
    assert [m.answer.case_id for m in restarted.similar(INVOICE_AGAIN, "billing", "sv")] == [later]


def test_a_case_answered_twice_is_offered_once_with_its_latest_answer() -> None:
    from chatops.knowledge.answers import AnswerIndex

    first = _answer("1042", text="Hej Anna! Fakturan ligger under Mina sidor.")
    later = _answer("1042", text=ANSWER)
    index = AnswerIndex.fit([first, later])
    assert index.latest("1042") == later and index.latest("1") is None
    found = index.search(INVOICE_AGAIN, "billing", "sv", 3)
    assert [m.answer for m in found] == [later]
    assert [m.answer for m in AnswerIndex.fit([later, first]).search(INVOICE, None, None, 3)] == [
        first
    ]


LATER = "Hej Anna! Logga in på Mina sidor och välj Fakturor, där ligger november."


async def test_a_case_reopened_and_published_again_offers_its_latest_reply(
    system: System,
) -> None:
    source = await answered(system, "post-1")
    other = past_answers(system.rt.store, system.rt.config, system.clock)
    await other.refresh()  # read the first reply
    system.clock.advance(hours=1)
    again = "Jag hittar den inte, var exakt?"
    await system.ingest(mention_json("m-post-1-b", "post-1", again, name="Anna Berg", author="u-1"))
    assert (await system.wf.case(source)).state is State.CLAIMED  # reopened, draft unchanged
    reopened = past_answers(system.rt.store, system.rt.config, system.clock)
    await reopened.refresh()
    assert reopened.answer_of(source).text == ANSWER  # type: ignore[union-attr]

    await system.wf.edit(source, "anna", LATER)
    edited = past_answers(system.rt.store, system.rt.config, system.clock)
    await edited.refresh()
    assert edited.answer_of(source) is None, "the first reply's text is no longer held"

    await system.wf.publish(source, "anna")
    for process in (system.rt.answers, other, edited):
        assert process is not None
        await process.refresh()
        [match] = process.similar(INVOICE_AGAIN, "billing", "sv")
        assert (match.answer.text, match.answer.question) == (LATER, again)
        assert match.answer.at == system.clock.now and match.answer.reply == 2
        assert process.answer_of(source) == match.answer
    restarted = past_answers(system.rt.store, system.rt.config, system.clock)
    await restarted.refresh()
    assert [(a.case_id, a.text) for a in restarted.index.answers] == [(source, LATER)]


async def test_a_case_gone_or_erased_yields_no_answer_though_its_entry_stays(
    system: System,
) -> None:
    gone = await answered(system, "post-1")
    await answered(system, "post-2", name="Björn Ek", author="u-2")
    kept = await answered(system, "post-3", name="Cecilia Ny", author="u-3")
    rt = system.rt
    assert await rt.store.cases.delete(gone, (await system.wf.case(gone)).version)
    forgetter = Forgetter(rt.wf, rt.store, rt.config, rt.chat, answers=None, clock=system.clock)
    await forgetter.forget(Subject.parse("sandbox:u-2", []), by="dpo", reason="")
    assert await rt.store.redis.xlen(keys.answers("billing")) == 3
    restarted = past_answers(rt.store, rt.config, system.clock)
    await restarted.refresh()
    assert [a.case_id for a in restarted.index.answers] == [kept]
    assert "Björn" not in repr(restarted.index.answers)


@dataclass
class Held:
    case: Case
    held: dict[str, Mention]

    def mentions(self) -> dict[str, Mention]:
        return self.held


@pytest.mark.parametrize(
    ("change", "derived"),
    [
        ({}, True),
        ({"draft": LATER}, False),  # edited since: not the reply any more
        ({"draft": ERASED_TEXT}, False),  # erased on request
        ({"private": "1"}, False),
        ({"reply": 2}, False),  # no such reply
        ({"removed": True}, False),  # the message answered was removed on the platform
        ({"author": "erased-1f3a9c0b2d"}, False),  # its author erased
        ({"gone": True}, False),  # retention deleted the case
    ],
)
def test_an_answer_is_derived_only_while_its_case_holds_the_reply(
    change: dict[str, object], derived: bool
) -> None:
    asked = mention("m-1", INVOICE + " Ring 070-1234567")
    if change.get("removed"):
        asked = asked.model_copy(update={"change": Change.REMOVED, "text": ""})
    if "author" in change:
        asked = asked.model_copy(update={"author": Author(id=str(change["author"]))})
    sent = {"id": "r-1", "url": "", "mention": asked.key, "at": NOW.isoformat()}
    sent["private"] = str(change.get("private", ""))
    case = make_case(State.CLOSED, staff="bo", draft=change.get("draft", ANSWER), published=[sent])
    ref = Reference("1042", int(str(change.get("reply", 1))), "bo", digest(ANSWER))
    held = None if change.get("gone") else Held(case, {asked.key: asked})
    answer = resolved(ref, held, "billing", Masking("Acme", DEFAULT_PII_PATTERNS))
    if not derived:
        assert answer is None
        return
    expected = _answer("1042", NOW)
    assert answer == replace(
        expected, question=INVOICE + " Ring [phone]", by="bo", author="facebook:u-1", reply=1
    )


async def test_a_long_running_process_holds_no_more_than_redis_keeps(
    store: Store, clock: object
) -> None:
    from tests.conftest import Clock

    assert isinstance(clock, Clock)
    log = AnswerLog(store.redis, store.cases.stored, kept=4)
    answers = PastAnswers(log, ["billing"], clock=clock)
    for n in range(6):
        await answers.record(await _published(store, str(n), clock.now))
    assert len(answers.index.answers) == 4
    assert [a.case_id for a in answers.index.answers] == ["2", "3", "4", "5"]


async def test_two_departments_entries_of_the_same_id_are_both_read(store: Store) -> None:
    """Entry ids are per stream: two departments publishing in the same millisecond."""
    log = AnswerLog(store.redis, store.cases.stored)
    for n, department in enumerate(("billing", "social")):
        answer = await _published(store, str(1042 + n), NOW)
        await store.redis.xadd(keys.answers(department), Reference.of(answer).fields(), id="1-1")
    read = await log.since({"billing": "", "social": ""})
    assert [(a.case_id, a.department, a.id) for a in read] == [
        ("1042", "billing", "1-1"),
        ("1043", "social", "1-1"),
    ]


async def test_an_erasure_drops_the_entry_of_its_own_department_only(system: System) -> None:
    """Two departments' streams may hold the same entry id: an erasure names its department,
    and an earlier version's erasure (no department) still drops the id everywhere."""
    from chatops.knowledge.answers import Erased, _erased

    log = past_answers(system.rt.store, system.rt.config, system.clock).log
    await log.redis.xadd(keys.answers("billing"), {"c": "1001"}, id="1700000000000-0")
    assert await log._drop("billing", ["1700000000000-0"]) == 1
    [erasure] = await log.forgotten("")
    assert erasure.department == "billing" and erasure.entries == {"1700000000000-0"}
    billing = replace(_answer("1001"), id="1700000000000-0")
    social = replace(billing, case_id="1002", department="social")
    gone = _erased([erasure])
    assert gone(billing) and not gone(social)
    earlier = _erased([Erased("1-0", frozenset({"1700000000000-0"}))])
    assert earlier(billing) and earlier(social)
