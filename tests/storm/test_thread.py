"""One storm thread in Slack, end to end (issue 13 items 2, 3 and 5): signed webhooks through
the web app and the pipeline, the outbox drained to the local Slack (tests/fakes/slack.py),
which refuses what Slack refuses. Time is injected: the app's clock (SLAs, the storm window),
the outbox's wall clock (summary and batch throttles) and the local Slack's rate-limit clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from chatops import keys
from chatops.chat import storm
from chatops.config import load_config_text
from chatops.domain import State
from chatops.store import Store
from chatops.worker import Worker
from escalation import digest
from escalation.chase import Chase
from tests.conftest import Clock
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.fakes.slack import FakeSlack, ManualClock, slack_headers, slash_body
from tests.slack.test_slack import SlackSystem, slack_system

CHANNEL = "C0SOCIAL01"
OTHER = "C0BILLING1"

CONFIG = """
timezone: Europe/Stockholm
brand: Acme
chat: {backend: slack}
platforms: {sandbox: {}}
departments:
  - {id: social, name: Social team, channel: C0SOCIAL01, languages: [sv, en]}
  - {id: billing, name: Billing, channel: C0BILLING1, languages: [sv, en]}
routing:
  rules: [{match: {keywords: [faktura, invoice]}, to: billing}]
  default: social
approval:
  approvers: [U0COMMS001]
  sensitive_keywords: [lawsuit, journalist]
  min_followers: 10000
crisis:
  threshold: {mentions: 3, within: 10m}
  quiet: 30m
"""

COMPLAINT = "The Acme app has been down for an hour, I can't log in to pay my bills"
VARIANTS = [COMPLAINT, COMPLAINT + "!!", "Seriously? " + COMPLAINT, COMPLAINT.upper()]


@dataclass
class Storm(SlackSystem):
    """A Slack system whose outbox runs on `wall`, a clock the test moves."""

    wall: ManualClock

    async def complaint(self, n: int, **kw: Any) -> None:
        self.clock.advance(seconds=5)
        text = kw.pop("text", VARIANTS[n % len(VARIANTS)])
        await self.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}", **kw))

    async def flush(self, *, seconds: float = 0.0) -> None:
        """Send what is due now, then let `seconds` of wall time pass, a second at a time,
        sending what falls due (nothing sleeps: the outbox's clock is moved)."""
        redis = self.rt.store.redis
        sender = self.backend.sender
        for step in range(int(seconds) + 1):
            if step:
                self.wall.advance(1.0)
            for _ in range(100):
                await sender.tick()
                busy = await redis.scard(keys.SLACK_CHANNELS) or await redis.scard(keys.SLACK_DIRTY)
                if not busy:
                    break

    def roots(self, channel: str = CHANNEL) -> list[dict[str, Any]]:
        return self.slack.messages(channel)

    def summary(self) -> dict[str, Any]:
        [found] = [m for m in self.roots() if "Storm in" in m["text"]]
        return found

    def batches(self) -> list[dict[str, Any]]:
        summary = self.summary()
        return self.slack.thread(CHANNEL, summary["ts"])


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


@pytest.fixture
async def st(store: Store, clock: Clock) -> AsyncIterator[Storm]:
    config = load_config_text(CONFIG, source="storm.yaml")
    async with slack_system(
        store, config, clock, FakeSlack(), signing_secret="secret", probe_every=None
    ) as system:
        wall = ManualClock(1_000_000.0)
        system.backend.sender.clock = system.backend.outbox.clock = wall
        fields = (system.rt, system.slack, system.client, system.platform, system.clock)
        yield Storm(*fields, wall)


async def test_members_post_no_root_and_are_listed_in_one_batch(st: Storm) -> None:
    for n in range(10):
        await st.complaint(n)
    await st.flush()
    # the summary, then the two cases from before the storm opened (their threads still
    # waited when it opened: they go after unrelated cases, with it): no message per member
    roots = st.roots()
    assert len(roots) == 3
    assert "Storm in Social team" in roots[0]["text"]
    assert "<!here>" in roots[0]["text"]  # the channel is called once, by the summary
    for m in roots:
        assert message_violations(m["blocks"], m["text"]) == []
    members = await st.rt.store.cases.get_many([str(1001 + n) for n in range(10)])
    assert [c.state for c in members] == [State.NEW] * 2 + [State.STORM] * 8
    assert [c.storm for c in members] == [None] * 2 + ["social:1"] * 8
    outbox = st.backend.outbox
    assert [await outbox.thread_of(c.id) is not None for c in members] == [True] * 2 + [False] * 8

    await st.flush(seconds=storm.BATCH_EVERY)
    [batch] = st.batches()  # one message for all ten, not one per mention
    assert message_violations(batch["blocks"], batch["text"]) == []
    listed = _text(batch)
    assert all(f"#{1001 + n}" in listed for n in range(10))
    assert "own thread (before the storm)" in listed  # the first two have threads of their own

    for n in range(10, 15):
        await st.complaint(n)
    await st.flush(seconds=storm.BATCH_EVERY)
    batches = st.batches()
    assert len(batches) == 2
    assert all(f"#{1001 + n}" in _text(batches[1]) for n in range(10, 15))
    assert "#1010" not in _text(batches[1])  # each member listed once


async def test_the_summary_is_updated_in_place_coalesced(st: Storm) -> None:
    for n in range(4):
        await st.complaint(n)
    await st.flush()
    updates = len(st.slack.calls_to("chat.update"))
    assert "4 mentions from 4 people" in _text(st.summary())

    for n in range(4, 12):  # eight members within the same second
        await st.complaint(n)
    await st.flush()
    assert len(st.slack.calls_to("chat.update")) == updates  # not yet: at most every 3 s
    await st.flush(seconds=storm.SUMMARY_EVERY)
    assert len(st.slack.calls_to("chat.update")) == updates + 1  # eight members, one update
    summary = st.summary()
    assert len(st.roots()) == 3  # still the same message, rewritten in place
    text = _text(summary)
    assert "12 mentions from 12 people" in text
    assert "Sandbox 12" in text and "Languages:" in text and "Most written:" in text
    assert "Reach:" in text and "1,440 followers" in text  # twelve authors of 120 each
    assert message_violations(summary["blocks"], summary["text"]) == []


async def test_a_sensitive_member_gets_its_own_thread_at_once(st: Storm) -> None:
    for n in range(5):
        await st.complaint(n)
    await st.flush(seconds=storm.SUMMARY_EVERY)
    before = len(st.roots())
    await st.complaint(5, name="Jo Reporter", followers=48_000)
    await st.flush()  # no wall time passes: posted at once, not with the next batch
    roots = st.roots()
    assert len(roots) == before + 1
    assert roots[-1]["metadata"]["event_payload"]["case_id"] == "1006"
    case = await st.rt.store.cases.get("1006")
    assert case is not None and case.state is State.NEW and case.storm == "social:1"

    await st.flush(seconds=storm.BATCH_EVERY)
    summary = _text(st.summary())
    assert "In their own threads" in summary and "#1006" in summary and "needs care" in summary
    assert "most followed: Jo Reporter (@jo) (48,000)" in summary
    assert "6.0 a minute" in summary  # six members within its first minute
    assert any("own thread (needs care)" in _text(b) for b in st.batches())


async def test_a_member_who_writes_what_needs_care_is_split_out(st: Storm) -> None:
    for n in range(5):
        await st.complaint(n)
    await st.flush()
    assert (await st.rt.store.cases.get("1005")) is not None
    await st.ingest(
        mention_json("m-4b", "post-4", "I will file a lawsuit", author="u-4", kind="reply")
    )
    await st.flush()
    case = await st.rt.store.cases.get("1005")
    assert (
        case is not None and case.state is State.NEW and "keyword:lawsuit" in case.sensitive_reasons
    )
    assert await st.backend.outbox.thread_of("1005") is not None


async def test_ordinary_cases_go_before_storm_writes_under_the_rate_limit(st: Storm) -> None:
    """Slack at 1 message/s per channel (its clock injected, one token a step): an unrelated
    mention that arrives after a storm's members waits for no batch, and nothing is refused."""
    for n in range(3):
        await st.complaint(n)
    await st.flush()  # the two cases before the storm, then the summary
    rate = ManualClock()
    st.slack.clock = rate
    st.slack.post_rate = (1.0, 1)
    sender = st.backend.sender
    sender.post_rate, sender.post_burst = 1e-6, 1  # one post per step: a step is a second

    async def second() -> None:
        rate.advance(1.0)
        await st.rt.store.redis.delete(keys.SLACK.bucket(CHANNEL))
        await sender.tick()

    for n in range(3, 8):
        await st.complaint(n)  # members: a batch falls due
    await st.ingest(mention_json("x-1", "post-x", "Where is my parcel? It never came", author="x"))
    st.wall.advance(storm.BATCH_EVERY)
    posted = len(st.slack.calls_to("chat.postMessage"))
    await second()
    first = st.slack.calls_to("chat.postMessage")[posted]
    assert "thread_ts" not in first.args and "parcel" in json.dumps(first.args)
    await second()
    then = st.slack.calls_to("chat.postMessage")[posted + 1]
    assert then.args["thread_ts"] == st.summary()["ts"]  # the batch, after the unrelated case
    assert st.slack.rejected_429 == 0


async def test_the_digest_lists_a_storm_as_one_line_with_its_count(st: Storm) -> None:
    for n in range(12):
        await st.complaint(n)
    await st.ingest(mention_json("x-1", "post-x", "Var är min faktura?", author="u-x"))
    await st.flush(seconds=storm.BATCH_EVERY)
    rt = st.rt
    listed = await digest.send(rt.wf, rt.chat, rt.store, "social", st.clock(), once_per_day=False)
    assert listed == 3  # the two cases before the storm, and the storm
    await st.flush()
    [message] = [m for m in st.roots() if "unanswered" in m["text"]]
    text = _text(message)
    assert "10 members waiting" in text and text.count("Storm") == 1
    assert "#1003" not in text  # no line per member
    assert message_violations(message["blocks"], message["text"]) == []


async def test_a_batch_cut_off_by_a_crash_is_not_listed_twice(st: Storm) -> None:
    """The state a sender that died between posting a batch and recording it leaves behind:
    the message is in the thread, the roster's place still the old one, the op inflight."""
    for n in range(5):
        await st.complaint(n)
    await st.flush(seconds=storm.BATCH_EVERY)
    redis, key = st.rt.store.redis, keys.SLACK.case("social:1")
    [posted] = st.batches()
    event = posted["metadata"]["event_payload"]["event_id"]
    await redis.hset(key, mapping={"listed": 0, "pending": f"{event}:5"})
    op = st.backend.outbox.op_type("batch", "social:1", CHANNEL, lane=2, event_id=event)
    await redis.rpush(keys.SLACK.inflight(CHANNEL), op.dumps())
    await redis.sadd(keys.SLACK_CHANNELS, CHANNEL)
    await st.flush()
    assert len(st.batches()) == 1  # found by its metadata, not posted again
    assert await redis.hget(key, "listed") == "5"
    await st.complaint(5)
    await st.flush(seconds=storm.BATCH_EVERY)
    batches = st.batches()
    assert len(batches) == 2 and "#1001" not in _text(batches[1]) and "#1006" in _text(batches[1])


async def test_the_summary_says_when_the_storm_is_over(st: Storm) -> None:
    for n in range(4):
        await st.complaint(n)
    await st.flush(seconds=storm.SUMMARY_EVERY)
    assert st.rt.pipeline is not None
    worker = Worker(st.rt.store.inbound, st.rt.pipeline, st.rt.metrics)
    st.clock.advance(minutes=31)
    assert "storms" in await worker.periodic()
    await st.flush(seconds=storm.SUMMARY_EVERY)
    summary = st.summary()
    assert "is over" in summary["text"] and "<!here>" not in summary["text"]
    assert "4 mentions from 4 people" in summary["text"]


async def test_batches_fit_slack_whatever_the_names_and_list_everyone_once(st: Storm) -> None:
    long_name = "Anna " + "Berg-Lindqvist " * 12
    for n in range(45):
        await st.complaint(n, name=long_name)
    await st.flush(seconds=3 * storm.BATCH_EVERY)
    batches = st.batches()
    assert len(batches) >= 2  # 45 long lines are more than one Slack message holds
    for b in batches:
        assert message_violations(b["blocks"], b["text"]) == []
    listed = re.findall(r"#(\d{4})\b", " ".join(_text(b) for b in batches))
    assert listed == [str(1001 + n) for n in range(45)]  # in order, each once


async def test_the_chase_pings_no_storm_member_one_by_one(st: Storm) -> None:
    """Past every SLA, the escalation scan calls people about the two cases from before the
    storm; its members are the storm's one item (its summary called the channel once)."""
    for n in range(12):
        await st.complaint(n)
    await st.flush(seconds=storm.SUMMARY_EVERY)
    rt = st.rt
    st.clock.advance(hours=6)
    chase = Chase(rt.wf, rt.chat, rt.store.cases, rt.store.indexes, clock=st.clock)
    while await chase.scan():
        st.clock.advance(minutes=1)
    await st.flush()
    threads = {st.roots()[i]["ts"]: case for i, case in ((1, "1001"), (2, "1002"))}
    posts = [c.args for c in st.slack.calls_to("chat.postMessage")]
    pings = [threads.get(a.get("thread_ts", "")) for a in posts if "rotating_light" in a["text"]]
    assert sorted(pings) == ["1001", "1002"]  # one each, in their own threads
    here = [a["text"] for a in posts if "<!here>" in a["text"]]
    assert len(here) == 1 and "Storm in Social team" in here[0]  # the storm's one call
    members = await rt.store.cases.get_many([str(1003 + n) for n in range(10)])
    assert all(c.state is State.STORM and c.escalation_tier == 0 for c in members)


async def test_the_slash_command_names_a_storm_once(st: Storm) -> None:
    for n in range(12):
        await st.complaint(n)
    body = slash_body("/chatops", "", "U0ANNA0001", CHANNEL)
    r = await st.client.post("/slack/events", data=body, headers=slack_headers(body, "secret"))
    text = (await r.json())["text"]
    assert "*Storm social:1* · 10 members wait in its thread" in text
    assert "*#1001*" in text and "*#1002*" in text and "#1003" not in text


async def test_a_refused_summary_is_posted_again_by_the_next_member(st: Storm) -> None:
    for n in range(2):
        await st.complaint(n)
    await st.flush()
    st.slack.fail("chat.postMessage", "restricted_action")
    await st.complaint(2)  # opens the storm; its summary is refused
    await st.flush(seconds=3)
    assert [m for m in st.roots() if "Storm in" in m["text"]] == []
    redis = st.rt.store.redis
    assert await redis.zcard(keys.SLACK.storm_batches) == 0  # no batch waits for it forever
    await st.complaint(3)
    await st.flush(seconds=storm.BATCH_EVERY)
    assert "4 mentions from 4 people" in _text(st.summary())
    [batch] = st.batches()
    assert all(f"#{1001 + n}" in _text(batch) for n in range(4))


async def test_a_reply_queued_for_an_early_member_behind_a_storm_lands_in_its_thread(
    st: Storm, caplog: pytest.LogCaptureFixture
) -> None:
    """The storm opens while its first members' posts still wait: those move behind its
    summary, and someone else writing in one of their conversations just then queues a
    thread reply for a case with no message yet. It goes behind that message, not away."""
    for n in range(3):  # the third opens the storm; nothing was sent yet
        await st.complaint(n)
    st.clock.advance(seconds=5)
    await st.ingest(mention_json("m-x", "post-0", "Same here, still down!", author="u-x"))
    await st.flush(seconds=3)
    assert not [r for r in caplog.records if "dropped" in r.getMessage()]
    first = next(m for m in st.roots() if "Case #1001" in m["text"])
    posts = [c.args for c in st.slack.calls_to("chat.postMessage")]
    in_thread = [a for a in posts if a.get("thread_ts") == first["ts"]]
    assert len(in_thread) == 1 and "still down" in json.dumps(in_thread[0], ensure_ascii=False)
    roots = [a.get("text", "") for a in posts if not a.get("thread_ts")]
    assert "Storm in" in roots[0]  # the summary first, then the early members' threads
