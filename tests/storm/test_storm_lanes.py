"""Nobody waits behind a storm, not even behind its first members (issue 13 items 3 and 9):
the mentions before a storm opened are ordinary cases when they arrive, but once it opens,
those whose threads still wait in the channel's queue (a burst under Slack's ~1 message a
second) go after the unrelated cases, with the storm's summary. Measured by bench/storm.py:
the first unrelated mention of a burst waited 6.7 s behind nine such threads."""

from __future__ import annotations

import json

import fakeredis

from chatops.outbox import ORDINARY, SUMMARY
from chatops.slack.outbox import Outbox as SlackOutbox
from chatops.store import Store
from tests.fakes import mention_json
from tests.storm.test_thread import Storm, st

__all__ = ["st"]  # the fixture, shared with test_thread.py


async def test_a_storms_waiting_first_members_go_after_an_unrelated_case(st: Storm) -> None:
    await st.complaint(0)
    await st.complaint(1)
    st.clock.advance(seconds=1)
    unrelated = mention_json(
        "m-u", "post-u", "Where can I change my delivery address?", author="u-x"
    )
    await st.ingest(unrelated)
    await st.complaint(2)  # the third person: the storm opens
    await st.flush()
    texts = [m["text"] for m in st.roots()]
    assert len(texts) == 4
    assert "delivery address" in json.dumps(st.roots()[0]["blocks"]), "the unrelated case first"
    assert "Storm in Social team" in texts[1]
    first = await st.rt.store.cases.get_many(["1001", "1002"])
    outbox = st.backend.outbox
    assert [await outbox.thread_of(c.id) is not None for c in first] == [True, True]
    assert [m["ts"] for m in st.roots()] == sorted(m["ts"] for m in st.roots())


async def test_defer_moves_a_cases_writes_in_their_order_and_nothing_else() -> None:
    redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    outbox = SlackOutbox(Store(redis))
    ops = [
        outbox.op_type("post", "1001", "C1"),
        outbox.op_type("post", "1002", "C1"),
        outbox.op_type("reply", "1001", "C1", text="Claimed by anna"),
        outbox.op_type("post", "1003", "C1"),
    ]
    for op in ops:
        await outbox.enqueue(op)
    await outbox.enqueue(outbox.op_type("post", "social:1", "C1", lane=SUMMARY))
    assert await outbox.defer("C1", ["1001", "1003", "1999"], SUMMARY) == 3
    lane0 = await redis.lrange(outbox.keys.queue("C1", ORDINARY), 0, -1)
    lane1 = await redis.lrange(outbox.keys.queue("C1", SUMMARY), 0, -1)
    assert [json.loads(raw)["case_id"] for raw in lane0] == ["1002"]
    assert [(json.loads(r)["case_id"], json.loads(r)["kind"]) for r in lane1] == [
        ("social:1", "post"),
        ("1001", "post"),
        ("1001", "reply"),
        ("1003", "post"),
    ]
    assert await outbox.defer("C1", [], SUMMARY) == 0
    await redis.aclose()
