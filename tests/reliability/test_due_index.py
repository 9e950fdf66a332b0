"""The deadline index (chatops/store/indexes.py): open cases' next deadlines spread over small
zsets by case number, found due across all of them in one script, the earliest first; the
previous layout's one zset is read until its cases move at their next write."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from redis.cluster import key_slot

from chatops import keys
from chatops.domain import State
from chatops.store import Store
from chatops.store.indexes import IndexChange, due_score
from tests.builders import make_case

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def opened(n: int, due: datetime | None) -> IndexChange:
    case = make_case(State.NEW, staff="", id=str(1001 + n), mention_keys=[])
    return None, case, due


async def test_what_is_due_comes_from_every_bucket_earliest_first_up_to_the_limit(
    store: Store,
) -> None:
    rng = random.Random(7)
    minutes = list(range(400))
    rng.shuffle(minutes)  # deadlines in no order of case number, so in every bucket
    changes = [opened(n, NOW + timedelta(minutes=m - 200)) for n, m in enumerate(minutes)]
    await store.indexes.reindex_many(changes)
    by_deadline = [c.id for _, c, when in sorted(changes, key=lambda ch: ch[2] or NOW)]

    assert await store.indexes.due(NOW - timedelta(hours=4)) == []
    assert await store.indexes.due(NOW) == by_deadline[:201], "200 past and one due now"
    assert await store.indexes.due(NOW, limit=30) == by_deadline[:30]
    assert await store.indexes.due(NOW + timedelta(days=1), limit=1000) == by_deadline
    used = [k for k in keys.due_buckets() if await store.redis.exists(k)]
    assert len(used) == keys.DUE_BUCKETS
    assert not await store.redis.exists(keys.DUE)


async def test_a_deadline_moves_leaves_when_none_and_with_its_case(store: Store) -> None:
    first, second = opened(1, NOW + timedelta(hours=1)), opened(2, NOW - timedelta(minutes=5))
    await store.indexes.reindex_many([first, second])
    assert await store.indexes.due(NOW) == [second[1].id]

    later = second[1].model_copy(update={"version": 2})
    await store.indexes.reindex_many([(second[1], later, NOW + timedelta(minutes=1))])
    assert await store.indexes.due(NOW) == []
    assert await store.indexes.due(NOW + timedelta(hours=2)) == [later.id, first[1].id]

    await store.indexes.reindex(later, later.model_copy(update={"state": State.CLOSED}), None)
    await store.indexes.forget_case(first[1].id, [])
    assert await store.indexes.due(NOW + timedelta(days=1)) == []
    assert not any([await store.redis.exists(k) for k in keys.due_buckets()])


async def test_the_buckets_stay_small_and_in_the_global_slot(store: Store) -> None:
    """4,000 open cases: every bucket is still a listpack (~20 bytes a member, not ~95)."""
    await store.indexes.reindex_many([opened(n, NOW + timedelta(seconds=n)) for n in range(4000)])
    for key in keys.due_buckets():
        assert await store.redis.object("encoding", key) == "listpack"
        assert await store.redis.zcard(key) <= 128
        assert key_slot(key.encode()) == key_slot(keys.DUE.encode())
    assert await store.redis.zscore(keys.due("1001"), "1001") == due_score(NOW)
    assert len(await store.indexes.due(NOW + timedelta(hours=2), limit=5000)) == 4000


async def test_the_one_zset_of_the_previous_layout_is_read_until_its_cases_move(
    store: Store,
) -> None:
    old_due, old_later = opened(1, None)[1], opened(2, None)[1]
    await store.redis.zadd(
        keys.DUE,  # as the previous layout wrote them: epoch seconds, floats
        {
            old_due.id: (NOW - timedelta(minutes=10, microseconds=250)).timestamp(),
            old_later.id: (NOW + timedelta(hours=1)).timestamp(),
        },
    )
    new = opened(3, NOW - timedelta(minutes=20))
    between = opened(4, NOW - timedelta(minutes=5))
    await store.indexes.reindex_many([new, between])

    assert await store.indexes.due(NOW) == [new[1].id, old_due.id, between[1].id]
    assert await store.indexes.due(NOW, limit=2) == [new[1].id, old_due.id]

    # Its next write moves a case into its bucket; a deleted case leaves both.
    await store.indexes.reindex(old_due, old_due, NOW + timedelta(minutes=30))
    assert await store.redis.zscore(keys.DUE, old_due.id) is None
    assert await store.redis.zscore(keys.due(old_due.id), old_due.id) is not None
    assert await store.indexes.due(NOW) == [new[1].id, between[1].id]
    assert await store.indexes.due(NOW + timedelta(hours=2)) == [
        new[1].id,
        between[1].id,
        old_due.id,
        old_later.id,
    ]
    await store.indexes.forget_case(old_later.id, [])
    assert not await store.redis.exists(keys.DUE), "gone with its last case"


async def test_a_case_in_both_layouts_is_found_once(store: Store) -> None:
    case = opened(1, NOW - timedelta(minutes=1))
    await store.redis.zadd(keys.DUE, {case[1].id: (NOW - timedelta(minutes=2)).timestamp()})
    await store.redis.zadd(keys.due(case[1].id), {case[1].id: due_score(case[2] or NOW)})
    assert await store.indexes.due(NOW) == [case[1].id]
