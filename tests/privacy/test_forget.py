"""Erasure on request (issue 15 item 3): by author id and by handle, every trace of the person
gone from the store, their threads told, the erasure itself recorded, idempotent, and an open
case still answerable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatops import keys
from chatops.chat import EventKind
from chatops.domain import AuditEntry, State
from chatops.privacy import Forgetter, Subject
from chatops.privacy.erase import ERASED_TEXT, erased_entry, identifiers, names
from chatops.privacy.subject import PSEUDONYM_PREFIX
from chatops.workflow.commands import SYSTEM
from tests.builders import NOW, mention
from tests.conftest import System
from tests.fakes import mention_json
from tests.privacy.helpers import everything


def _anna(mid: str, conversation: str, text: str, **kw: Any) -> dict[str, Any]:
    return mention_json(mid, conversation, text, author="u-1", name="Anna Berg", **kw)


def _bo(mid: str, conversation: str, text: str) -> dict[str, Any]:
    return mention_json(mid, conversation, text, author="u-2", name="Bo Ek")


async def _two_cases(system: System) -> tuple[str, str]:
    """Anna alone in one case (answered by staff, naming her), and with Bo in another (Bo
    wrote last, so its draft answers him)."""
    await system.ingest(_anna("m-1", "post-1", "Var är min faktura? Ring mig på 070-1234567"))
    await system.ingest(_anna("m-2", "post-2", "Hej, när öppnar ni i Lund?"))
    await system.ingest(_bo("m-3", "post-2", "Samma fråga här"))
    alone, shared = (await system.case_of("post-1")).id, (await system.case_of("post-2")).id
    await system.wf.edit(alone, "agent", "Hej Anna Berg! Fakturan finns under Mina sidor.")
    await system.wf.publish(alone, "agent")  # also kept as a past answer ("Similar")
    return alone, shared


def _forgetter(system: System) -> Forgetter:
    rt = system.rt
    return Forgetter(rt.wf, rt.store, rt.config, rt.chat, answers=rt.answers, clock=system.clock)


async def test_forget_by_id_leaves_nothing_of_the_person_and_keeps_the_others(
    system: System,
) -> None:
    alone, shared = await _two_cases(system)
    before = (await system.rt.store.cases.get(shared)).draft  # type: ignore[union-attr]
    assert "Anna" in await everything(system.rt.store.redis)

    subject = Subject.parse("sandbox:u-1", ["sandbox"])
    done = await _forgetter(system).forget(subject, by="dpo", reason="request 2026-17")

    assert (done.cases, done.mentions) == (2, 2)
    assert done.drafts == 1 and done.history >= 1, "her draft and its history line"
    assert done.answers == 1, "the answer published to her, kept for 'Similar'"
    held = await everything(system.rt.store.redis)
    for trace in ("Anna", "anna", "faktura", "070-1234567", "Lund", '"u-1"', "sandbox:u-1"):
        assert trace not in held, f"{trace!r} is still in the store"
    store = system.rt.store
    erased = (await store.cases.mentions(alone))["sandbox:m-1"]
    again = (await store.cases.mentions(shared))["sandbox:m-2"]
    assert erased.text == ERASED_TEXT and erased.url is None and not erased.author.name
    assert erased.author.id.startswith(PSEUDONYM_PREFIX)
    assert again.author.id == erased.author.id, "one stable pseudonym across her cases"
    assert erased.created_at and erased.key == "sandbox:m-1", "dates and places stay"
    bo = (await store.cases.mentions(shared))["sandbox:m-3"]
    assert (bo.author.name, bo.text) == ("Bo Ek", "Samma fråga här"), "others keep theirs"
    assert (await store.cases.get(shared)).draft == before, "Bo's draft does not name her"  # type: ignore[union-attr]
    assert await store.indexes.every_case_of("", "", "bo"), "Bo's index stays"


async def test_each_case_and_the_store_record_the_erasure_without_personal_data(
    system: System,
) -> None:
    alone, shared = await _two_cases(system)
    reason = "GDPR-17: Anna Berg (u-1) asked by mail"
    await _forgetter(system).forget(Subject.parse("sandbox:u-1", []), by="dpo", reason=reason)

    for case_id in (alone, shared):
        history = await system.rt.store.audit.entries(case_id)
        last = history[-1]
        assert (last.action, last.actor, last.at) == ("erased", "dpo", system.clock.now)
        assert "Anna" not in last.detail and "u-1" not in last.detail
    edits = [e for e in await system.rt.store.audit.entries(alone) if e.action == "edit"]
    assert [e.detail for e in edits] == [ERASED_TEXT], "the staff draft that named her"
    [raw] = await system.rt.store.redis.lrange(keys.ERASURES, 0, -1)
    record = json.loads(raw)
    assert record["by"] == "dpo" and record["reason"] == "GDPR-17: […] ([…]) asked by mail"
    assert record["at"] == system.clock.now.isoformat() and record["mentions"] == 2
    assert "u-1" not in raw and "Anna" not in raw
    assert all(s.startswith(PSEUDONYM_PREFIX) for s in record["subjects"])


async def test_the_threads_are_told_through_the_case_update_path(system: System) -> None:
    alone, shared = await _two_cases(system)
    system.chat.shown.clear()
    await _forgetter(system).forget(Subject.parse("sandbox:u-1", []), by="dpo", reason="")
    for case_id in (alone, shared):
        assert system.chat.kinds(case_id) == [EventKind.ERASED]
        [(view, _)] = [(v, e) for v, e in system.chat.shown if v.case.id == case_id]
        shown = " ".join(m.text + m.author.display for m in view.mentions) + view.case.draft
        assert "Anna" not in shown and "faktura" not in shown
        [line] = system.chat.said(case_id)
        assert "erased on their request" in line and "Anna" not in line


async def test_forget_is_idempotent_and_says_when_it_was_done(system: System) -> None:
    await _two_cases(system)
    forgetter = _forgetter(system)
    subject = Subject.parse("sandbox:u-1", [])
    first = await forgetter.forget(subject, by="dpo", reason="")
    held = await everything(system.rt.store.redis, skip=keys.ERASURES)
    system.clock.advance(days=1)
    system.chat.shown.clear()

    second = await forgetter.forget(subject, by="dpo", reason="")

    assert first.items > 0 and (second.items, second.cases) == (0, 0)
    assert system.chat.shown == [], "nothing to show again"
    assert await everything(system.rt.store.redis, skip=keys.ERASURES) == held
    assert await system.rt.store.redis.llen(keys.ERASURES) == 2, "every request is recorded"
    assert [e.at for e in await forgetter.earlier(subject)] == [first.at]


async def test_forget_by_handle_finds_every_author_id_writing_as_it(system: System) -> None:
    await system.ingest(_anna("m-1", "post-1", "Var är min faktura?"))
    renamed = mention_json("m-5", "post-5", "Hej igen", author="u-7", name="Anna Lind")
    await system.ingest(renamed)  # another id, the same handle "anna"
    await system.ingest(_bo("m-3", "post-3", "Hallå"))

    done = await _forgetter(system).forget(Subject.parse("sandbox:@Anna", []), by="d", reason="")

    assert (done.cases, done.mentions) == (2, 2)
    held = await everything(system.rt.store.redis)
    assert "Anna" not in held and "u-7" not in held and "Bo Ek" in held
    indexes = system.rt.store.indexes
    assert await indexes.every_case_of("sandbox", "u-7", "anna") == []
    assert not await system.rt.store.redis.hexists(keys.bucket(keys.HANDLES, "anna"), "anna")


async def test_an_open_case_stays_answerable_with_a_neutral_greeting(system: System) -> None:
    await system.ingest(_anna("m-1", "post-1", "Hej! Har ni öppet på söndag?"))
    case = await system.case_of("post-1")
    assert "Anna" in case.draft

    await _forgetter(system).forget(Subject.parse("sandbox:u-1", []), by="dpo", reason="")

    after = await system.rt.store.cases.get(case.id)
    assert after is not None and after.is_open and after.draft_author == SYSTEM
    assert after.draft and "Anna" not in after.draft and ERASED_TEXT not in after.draft
    published = await system.wf.publish(case.id, "agent")
    assert published.state is State.PUBLISHED
    [sent] = system.platform.received
    assert sent["text"] == after.draft and sent["in_reply_to"] == "m-1"


async def test_what_waits_for_a_worker_is_kept_and_counted(system: System) -> None:
    await system.ingest(_anna("m-1", "post-1", "Var är min faktura?"))
    r = await system.post([_anna("m-2", "post-1", "Hallå? Svara!")])  # no worker ran yet
    assert r.status == 200

    done = await _forgetter(system).forget(Subject.parse("sandbox:u-1", []), by="d", reason="")

    assert done.waiting == 1 and done.stream_entries == 1, "the processed entry went"
    assert await system.drain() == 1, "what she wrote last is not lost unseen"
    again = await _forgetter(system).forget(Subject.parse("sandbox:u-1", []), by="d", reason="")
    assert again.mentions == 1 and again.waiting == 0
    assert "Anna" not in await everything(system.rt.store.redis)


def test_subjects_are_parsed_or_refused_with_a_reason() -> None:
    assert Subject.parse("facebook:123", ["facebook"]).ids == frozenset({"123"})
    assert Subject.parse(" x:@Anna ", ["x"]).handle == "anna"
    for bad, reason in [
        ("facebook", "PLATFORM:AUTHOR_ID"),
        ("facebook:", "PLATFORM:AUTHOR_ID"),
        ("x:@", "handle"),
        ("myspace:1", "unknown platform"),
        ("x:erased-0123456789", "already erased"),
    ]:
        with pytest.raises(ValueError, match=reason):
            Subject.parse(bad, ["facebook", "x"])


def test_history_lines_lose_free_text_and_anything_naming_the_person() -> None:
    words = identifiers([mention(text="x")])
    assert {"Anna Berg", "Anna", "Berg", "annab", "u-1"} <= words
    assert names("Hej @annab, tack!", words) and names("hej ANNA", words)
    assert not names("Hannah Annabelle", words), "whole words only"
    edit = AuditEntry(at=NOW, actor="a", action="edit", before=None, after=State.NEW, detail="x")
    moved = edit.model_copy(update={"action": "reroute", "detail": "billing"})
    noted = moved.model_copy(update={"detail": "asked Anna to call"})
    assert erased_entry(edit, words) is not None and erased_entry(moved, words) is None
    assert erased_entry(noted, words).detail == ERASED_TEXT  # type: ignore[union-attr]


async def test_every_case_of_a_frequent_writer_is_found_not_only_the_newest(
    system: System,
) -> None:
    """The card counts an author's newest cases; an erasure needs all of them."""
    many = keys.AUTHOR_CASES_KEPT + 3
    for i in range(many):  # an hour apart: no flood gathers them into one case
        await system.ingest(_anna(f"m-{i}", f"post-{i}", f"Fråga nummer {i}"))
        system.clock.advance(hours=1)

    done = await _forgetter(system).forget(Subject.parse("sandbox:u-1", []), by="d", reason="")

    assert (done.cases, done.mentions) == (many, many)
    assert "Anna" not in await everything(system.rt.store.redis)


async def test_scan_finds_what_no_index_leads_to(system: System) -> None:
    """A store written before the author indexes existed (here: the index dropped through the
    Store API) is searched case by case with `scan`; without it nothing is found."""
    await system.ingest(_anna("m-1", "post-1", "Var är min faktura?"))
    case = await system.case_of("post-1")
    await system.rt.store.indexes.unindex_author("sandbox", ["u-1"], {"anna": [case.id]})
    forgetter = _forgetter(system)
    subject = Subject.parse("sandbox:u-1", [])

    assert (await forgetter.forget(subject, by="d", reason="")).mentions == 0
    done = await forgetter.forget(subject, by="d", reason="", scan=True)

    assert (done.cases, done.mentions) == (1, 1)
    assert "Anna" not in await everything(system.rt.store.redis)
