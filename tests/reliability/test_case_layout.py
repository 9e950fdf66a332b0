"""A case's value in Redis (chatops/store/codec.py): one lean string holding the record, the
mentions and the history; records of the previous layout still read and move on write."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from redis.cluster import key_slot

from chatops import keys
from chatops.domain import AuditEntry, Author, Case, Change, Mention, State
from chatops.knowledge.answers import Answer, AnswerLog, digest
from chatops.slack.outbox import Outbox as SlackOutbox
from chatops.slack.outbox import Thread
from chatops.store import Store
from chatops.store.codec import case_value, record
from tests.builders import make_case, mention

AT = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)


def entries() -> list[AuditEntry]:
    return [
        AuditEntry(at=AT, actor="chatops", action="created", before=None, after=State.NEW),
        AuditEntry(
            at=AT + timedelta(microseconds=7),
            actor="U0AGENT001",
            action="edit",
            before=State.CLAIMED,
            after=State.DRAFTED,
            detail='Hej "Anna"!\nVi tittar på det. /Acme',
        ),
    ]


def a_case(**kw: object) -> Case:
    fields: dict[str, object] = {
        "created_at": AT,
        "updated_at": AT + timedelta(seconds=3),
        "opened_at": AT,
        "first_response_at": AT + timedelta(minutes=12, microseconds=1),
        "published": [{"id": "r-1", "url": "", "mention": "facebook:m-1", "at": AT.isoformat()}],
    }
    fields.update(kw)
    return make_case(State.DRAFTED, staff="U0AGENT001", **fields)


async def test_a_case_its_mentions_and_history_round_trip_through_one_key(store: Store) -> None:
    case = a_case()
    first = mention("m-1")
    other = mention(
        "m-2",
        "Och min andra?",
        platform="x",
        account="99",
        conversation_id="p-9",
        lang="sv",
        author=Author(id="x-2", handle="bo"),  # no name, no follower count
    )
    saved = await store.cases.save(case, expected_version=0, audit=entries()[0], mention=first)
    assert saved is not None
    again = saved.model_copy(
        update={
            "mention_keys": [first.key, other.key],
            "answered_keys": [other.key, "facebook:not-held"],  # by place, or by key
            "reply_to": other.key,
        }
    )
    assert await store.cases.save(again, expected_version=1, audit=entries()[1], mention=other)
    await store.audit.append(case.id, entries()[0])

    assert await store.cases.get(case.id) == again.model_copy(update={"version": 2})
    assert await store.cases.mentions(case.id) == {first.key: first, other.key: other}
    assert await store.audit.entries(case.id) == [*entries(), entries()[0]]
    found = [k async for k in store.redis.scan_iter(match=f"*{{{case.id}}}*")]
    assert found == [keys.case(case.id)], "one key per case"


async def test_a_record_is_lean_and_carries_fields_it_has_no_name_for() -> None:
    case = a_case()
    line = record(case.model_copy(update={"version": 3}))
    assert line.startswith('{"v":3,'), "the script reads the version from the head"
    assert len(line) < len(case.model_dump_json(exclude_defaults=True)) * 0.7
    data = json.loads(line)
    assert data["u"] == 3_000_000, "times after created_at are offsets in µs"

    class Later(Case):
        """A field another engineer adds later, with a default."""

        channel_hint: str = ""

    later = Later.model_validate({**case.model_dump(), "channel_hint": "C1"})
    assert json.loads(record(later))["channel_hint"] == "C1"


async def test_a_store_written_by_the_previous_layout_reads_and_moves_on_write(
    store: Store,
) -> None:
    case = a_case(version=4)
    old_mention = mention("m-1")
    old_row = {
        **json.loads(old_mention.model_dump_json(exclude_defaults=True)),
        "key": "facebook:m-1",
    }
    await store.redis.set(keys.case(case.id), case.model_dump_json(exclude_defaults=True))
    await store.redis.rpush(keys.mentions(case.id), json.dumps(old_row))
    await store.redis.rpush(keys.audit(case.id), entries()[0].model_dump_json())  # as objects
    await store.redis.rpush(keys.audit(case.id), json.dumps([1, "bo", "claim", "new", "claimed"]))

    assert await store.cases.get(case.id) == case
    assert await store.cases.mentions(case.id) == {old_mention.key: old_mention}
    history = await store.audit.entries(case.id)
    assert [e.action for e in history] == ["created", "claim"]

    edited = old_mention.model_copy(update={"text": "Ändrad", "change": Change.EDITED})
    await store.cases.put_mention(case.id, edited)  # still in the old layout: in its list
    assert (await store.cases.mentions(case.id))[edited.key].text == "Ändrad"
    assert await store.cases.save(case, expected_version=3) is None, "version still compared"

    claimed = case.model_copy(update={"owner": "bo"})
    assert await store.cases.save(claimed, expected_version=4, audit=entries()[1])
    assert not await store.redis.exists(keys.mentions(case.id), keys.audit(case.id))
    raw = await store.redis.get(keys.case(case.id))
    assert raw.startswith('{"v":5,')
    assert await store.cases.get(case.id) == claimed.model_copy(update={"version": 5})
    assert await store.cases.mentions(case.id) == {edited.key: edited}
    assert [e.action for e in await store.audit.entries(case.id)] == ["created", "claim", "edit"]


async def test_replacing_a_mention_keeps_the_others_and_their_order(store: Store) -> None:
    case = a_case(mention_keys=["facebook:m-1", "x:m-1", "facebook:m-2"])
    one, two = mention("m-1"), mention("m-2", "Två")
    elsewhere = mention("m-1", "Samma id, annan plattform", platform="x")
    await store.redis.set(keys.case(case.id), case_value(case, [one, elsewhere, two], entries()))
    removed = one.model_copy(update={"text": "", "change": Change.REMOVED})
    await store.cases.put_mention(case.id, removed)
    later = mention("m-3", "Tre")
    await store.cases.put_mention(case.id, later)

    found = await store.cases.mentions(case.id)
    assert list(found.values()) == [removed, elsewhere, two, later]
    assert await store.audit.entries(case.id) == entries()
    assert "Var är min faktura" not in await store.redis.get(keys.case(case.id))


def test_a_case_value_stays_in_its_case_slot() -> None:
    cid = "1042"
    slots = {key_slot(k.encode()) for k in (keys.case(cid), keys.audit(cid), keys.mentions(cid))}
    assert len(slots) == 1


def test_a_mention_drops_only_what_its_case_says() -> None:
    case = a_case(account="")
    m = Mention.model_validate({**mention("m-1").model_dump(), "account": "1122334455"})
    value = case_value(case, [m], [])
    assert '"ac":"1122334455"' in value, "an account differing from the case's is kept"


async def test_author_indexes_of_the_one_hash_layout_read_and_move_into_buckets(
    store: Store,
) -> None:
    await store.redis.hset(keys.AUTHORS, "facebook:u-7", "1001 1002")  # the previous layout
    await store.redis.hset(keys.HANDLES, "anna", "1001")
    indexes = store.indexes
    assert await indexes.every_case_of("facebook", "u-7", "@Anna") == ["1002", "1001"]

    anna = mention("m-3").model_copy(
        update={"author": Author(id="u-7", name="Anna Berg", handle="anna")}
    )
    new = make_case(State.NEW, staff="", id="1003")
    await indexes.reindex(None, new, None, mention=anna)

    assert await indexes.every_case_of("facebook", "u-7", "anna") == ["1003", "1002", "1001"]
    assert not await store.redis.exists(keys.AUTHORS, keys.HANDLES), "moved into buckets"
    bucket = keys.bucket(keys.AUTHORS, "facebook:u-7")
    assert await store.redis.hget(bucket, "facebook:u-7") == "1001 1002 1003"
    assert await store.redis.object("encoding", bucket) == "listpack"
    assert key_slot(bucket.encode()) == key_slot(keys.AUTHORS.encode()), "one slot, atomic"

    await indexes.unindex_author("facebook", ["u-7"], {"anna": ["1001", "1002", "1003"]})
    assert await indexes.every_case_of("facebook", "u-7", "anna") == []


async def test_past_answers_are_references_and_arrays_and_objects_of_before_still_read(
    store: Store,
) -> None:
    log = AnswerLog(store.redis, store.cases.stored)
    text = "Hej Anna! Fakturan finns under Mina sidor. /Acme"
    asked = mention("m-1", "Var är min faktura?")
    published = [{"id": "r-1", "url": "", "mention": asked.key, "at": AT.isoformat()}]
    case = make_case(State.CLOSED, staff="U0AGENT001", draft=text, published=published)
    assert await store.cases.save(case, expected_version=0, mention=asked) is not None
    answer = Answer(
        case_id="1042",
        text=text,
        question="Var är min faktura?",
        language="sv",
        department="billing",
        by="U0AGENT001",
        at=AT,
        customer="Anna",
        handle="annab",
        author="facebook:u-1",
        reply=1,
    )
    when = AT.replace(microsecond=125000)
    as_before = {  # the object of named fields two versions wrote, with the department
        "c": "1040",
        "t": text,
        "q": answer.question,
        "l": "sv",
        "d": "billing",
        "b": "U0AGENT001",
        "at": when.timestamp(),
        "ab": "U0BOSS0001",
        "n": "Anna",
        "u": "facebook:u-1",
    }
    as_array = ["1041", text, answer.question, "sv", "U0AGENT001", when.timestamp(), "", "Anna"]
    for value in (as_before, as_array):
        await store.redis.xadd(keys.answers("billing"), {"a": json.dumps(value)})
    await log.add(answer, AT - timedelta(days=1))

    [(_, fields)] = (await store.redis.xrange(keys.answers("billing")))[-1:]
    assert fields == {"c": "1042", "n": "1", "b": "U0AGENT001", "h": str(digest(text))}
    read = await log.since({"billing": ""})
    plain = replace(answer, case_id="1041", at=when, handle="", author="", reply=0)
    assert [replace(a, id="") for a in read] == [
        replace(plain, case_id="1040", approved_by="U0BOSS0001", author="facebook:u-1"),
        plain,
        answer,
    ]
    assert await log.forget_cases("billing", ["1040", "1041", "1042"]) == 3


async def test_slack_threads_of_the_one_hash_layout_are_found_and_forgotten(
    store: Store,
) -> None:
    outbox = SlackOutbox(store)
    await store.redis.hset(keys.SLACK.threads, "C0SOCIAL01:1.000100", "1001")  # before
    await outbox.record_thread("1002", Thread("C0SOCIAL01", "2.000200"))

    assert await outbox.case_of_thread("C0SOCIAL01", "1.000100") == "1001"
    assert await outbox.case_of_thread("C0SOCIAL01", "2.000200") == "1002"
    bucket = keys.bucket(keys.SLACK.threads, "C0SOCIAL01:2.000200")
    assert await store.redis.hget(bucket, "C0SOCIAL01:2.000200") == "1002"
    assert await store.redis.hlen(keys.SLACK.threads) == 1, "new threads go to buckets"

    await outbox.forget("1001", "C0SOCIAL01:1.000100")
    await outbox.forget("1002", "C0SOCIAL01:2.000200")
    assert await outbox.case_of_thread("C0SOCIAL01", "1.000100") is None
    assert await outbox.case_of_thread("C0SOCIAL01", "2.000200") is None


async def test_conversations_of_the_one_hash_layout_keep_their_case_and_move(
    store: Store,
) -> None:
    await store.redis.hset(keys.CONVERSATIONS, "facebook:1122334455:post-1", "1001")  # before

    assert await store.cases.resolve_id("facebook:1122334455:post-1") == ("1001", False)
    assert not await store.redis.exists(keys.CONVERSATIONS), "moved into its bucket"
    assert await store.cases.resolve_id("facebook:1122334455:post-1") == ("1001", False)
    new, created = await store.cases.resolve_id("facebook:1122334455:post-2")
    assert created and new != "1001"
    bucket = keys.bucket(keys.CONVERSATIONS, "facebook:1122334455:post-2")
    assert await store.redis.hget(bucket, "facebook:1122334455:post-2") == new


async def test_mention_marks_of_the_one_hash_layout_still_dedupe_and_move(
    store: Store,
) -> None:
    seen, pending = mention("m-1"), mention("m-2")
    await store.redis.hset(keys.MENTION_CASES, mapping={seen.key: "1001", pending.key: "-"})

    assert await store.inbound.append([seen, pending, mention("m-3")]) == [False, False, True]
    assert await store.indexes.case_for_mention(seen.key) == "1001"
    assert await store.indexes.case_for_mention(pending.key) is None
    assert await store.indexes.mention_count() == 3

    recorded = make_case(State.NEW, staff="", id="1002", mention_keys=[pending.key])
    await store.indexes.reindex(None, recorded, None)
    assert await store.redis.hkeys(keys.MENTION_CASES) == [seen.key], "moved when recorded"
    bucket = keys.bucket(keys.MENTION_CASES, pending.key)
    assert await store.redis.hget(bucket, pending.key) == "1002"
    assert await store.indexes.case_for_mention(pending.key) == "1002"
    assert await store.indexes.mention_count() == 3
