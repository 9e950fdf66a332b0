"""Store behaviour that the rest relies on: compare-and-set, numbering, group commit, slots."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from chatops import keys
from chatops.batching import AppendBatcher
from chatops.domain import Author, Case, Change, Mention, State
from chatops.store import FIRST_CASE_NUMBER, Store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def mention(n: int, conversation: str = "post-1") -> Mention:
    return Mention(
        platform="sandbox",
        account="acme",
        external_id=f"m-{n}",
        conversation_id=conversation,
        author=Author(id="u-1"),
        text="hej",
        created_at=NOW,
    )


def case(case_id: str) -> Case:
    return Case(
        id=case_id,
        department="social",
        platform="sandbox",
        conversation_id="post-1",
        created_at=NOW,
        updated_at=NOW,
        opened_at=NOW,
    )


async def test_case_numbers_start_at_1001_and_a_conversation_keeps_its_number(
    store: Store,
) -> None:
    first = await store.cases.resolve_id("sandbox:acme:post-1")
    again = await store.cases.resolve_id("sandbox:acme:post-1")
    other = await store.cases.resolve_id("sandbox:acme:post-2")
    assert first == (str(FIRST_CASE_NUMBER), True)
    assert again == (str(FIRST_CASE_NUMBER), False)
    assert other == (str(FIRST_CASE_NUMBER + 1), True)


async def test_compare_and_set_lets_exactly_one_writer_win(store: Store) -> None:
    created = await store.cases.save(case("1001"), expected_version=0)
    assert created is not None and created.version == 1
    assert await store.cases.save(case("1001"), expected_version=0) is None  # exists already
    a = created.model_copy(update={"owner": "anna", "state": State.CLAIMED})
    b = created.model_copy(update={"owner": "bob", "state": State.CLAIMED})
    results = await asyncio.gather(
        store.cases.save(a, expected_version=1), store.cases.save(b, expected_version=1)
    )
    assert sum(r is not None for r in results) == 1
    stored = await store.cases.get("1001")
    assert stored is not None and stored.version == 2 and stored.owner in ("anna", "bob")


async def test_one_case_keeps_its_keys_in_one_hash_slot() -> None:
    from redis.cluster import key_slot

    cid = "1042"
    slots = {key_slot(k.encode()) for k in (keys.case(cid), keys.audit(cid), keys.mentions(cid))}
    assert len(slots) == 1
    shared = {
        keys.INBOUND,
        keys.MENTION_CASES,
        keys.CONVERSATIONS,
        keys.CASE_SEQ,
        keys.seen("sandbox:m-1"),
        keys.DUE,
        keys.due(cid),
    }
    assert len({key_slot(k.encode()) for k in shared}) == 1


async def test_new_mentions_dedupe_for_good_edits_with_their_own_marker(store: Store) -> None:
    m = mention(1)
    assert await store.inbound.append([m, m]) == [True, False]
    edited = m.model_copy(update={"change": Change.EDITED, "text": "hej igen"})
    assert await store.inbound.append([edited, edited]) == [True, False]
    assert await store.redis.xlen(keys.INBOUND) == 2
    assert await store.indexes.case_for_mention(m.key) is None  # accepted, not yet in a case


async def test_the_inbound_stream_is_trimmed_only_behind_the_slowest_reader(store: Store) -> None:
    await store.inbound.ensure_group()
    await store.inbound.append([mention(i) for i in range(10)])
    read = await store.inbound.read("w", 4, 1)
    await store.inbound.ack([e.entry_id for e in read[:2]])
    await store.inbound.trim()
    left = await store.redis.xrange(keys.INBOUND)
    assert [e[0] for e in left][:2] == [read[2].entry_id, read[3].entry_id]
    assert len(left) == 8  # two pending + six never delivered


async def test_group_commit_batches_concurrent_requests_and_answers_each(store: Store) -> None:
    calls: list[int] = []

    async def write(ms: Sequence[Mention]) -> list[bool]:
        calls.append(len(ms))
        return await store.inbound.append(ms)

    batcher = AppendBatcher(write)
    results = await asyncio.gather(*(batcher.append([mention(i), mention(i)]) for i in range(50)))
    assert all(r == [True, False] for r in results)
    assert sum(calls) == 100 and len(calls) < 50  # fewer round trips than requests


async def test_group_commit_reports_a_failure_to_every_waiting_request() -> None:
    async def broken(ms: Sequence[Mention]) -> list[bool]:
        raise ConnectionError("redis went away")

    batcher = AppendBatcher(broken)
    results = await asyncio.gather(
        *(batcher.append([mention(i)]) for i in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)


async def test_embedded_store_warns_that_data_is_lost(caplog: pytest.LogCaptureFixture) -> None:
    from chatops.store import connect

    client = connect(None)
    assert await client.ping()
    assert "lost when it exits" in caplog.text
    await client.aclose()
