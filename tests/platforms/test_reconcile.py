"""Reconciliation: what no webhook delivered is listed through the Graph API and ingested once.

The product runs as `chatops run` assembles it (signed webhooks through the web app, a worker
draining the stream) against a local Graph API serving Meta's listings
(tests/fakes/graph_listing.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatops import keys, runtime
from chatops.config import Config, load_config_text
from chatops.domain import utcnow
from chatops.processes import web_app
from chatops.reconcile import (
    FIRST_LOOKBACK,
    OVERLAP,
    Reconciler,
    every,
    since_for,
    streak_after,
    warning,
)
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from escalation.scheduler import Clock as SchedulerClock
from tests.conftest import TEST_CONFIG, Clock
from tests.expiry import expire_as_redis_would
from tests.fakes import RecordingChat
from tests.fakes.graph_listing import FakeListing

PAGE = "1122334455"
IG = "17841400000000000"
APP_SECRET = "app-secret"
PLATFORMS = f"""  sandbox: {{}}
  facebook:
    pages: [{{id: "{PAGE}", name: Acme, token_env: FB_TOKEN}}]
    reconcile_every: 5m
  instagram:
    accounts: [{{id: "{IG}", name: acme, token_env: IG_TOKEN}}]
"""
CONFIG = TEST_CONFIG.replace("  sandbox: {}\n", PLATFORMS)
ENV = {
    "SANDBOX_SECRET": "test-secret",
    "FACEBOOK_APP_SECRET": APP_SECRET,
    "FACEBOOK_VERIFY_TOKEN": "verify-me",
    "FB_TOKEN": "fb-page-token",
    "IG_TOKEN": "ig-token",
}
ANNA = ("6011", "Anna Berg")


# -- decisions ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cursor", "window", "expected"),
    [
        (None, None, NOW - FIRST_LOOKBACK),
        ("2026-11-23T08:40:00+00:00", None, datetime(2026, 11, 23, 8, 40, tzinfo=UTC)),
        ("2026-11-23T08:40:00+00:00", timedelta(hours=24), NOW - timedelta(hours=24)),
        ("2027-01-01T00:00:00+00:00", None, NOW),  # a cursor in the future: never skip ahead
        ("not a time", None, NOW - FIRST_LOOKBACK),
        ("2026-11-23T08:40:00", None, NOW - FIRST_LOOKBACK),  # no zone: not ours
    ],
)
def test_where_a_pass_starts(
    cursor: str | None, window: timedelta | None, expected: datetime
) -> None:
    assert since_for(cursor, NOW, window) == expected


@pytest.mark.parametrize(
    ("previous", "new", "complete", "expected"),
    [
        (0, 0, True, 0),
        (0, 3, True, 0),  # a few: normal (a webhook in flight while we listed)
        (0, 4, True, 1),
        (1, 4, True, 2),
        (2, 0, True, 0),  # a quiet complete pass ends the streak
        (1, 0, False, 1),  # a throttled pass that found little says nothing
        (1, 9, False, 2),
    ],
)
def test_streak_of_passes_that_find_things(
    previous: int, new: int, complete: bool, expected: int
) -> None:
    assert streak_after(previous, new, complete) == expected


def test_warning_after_two_passes_in_a_row() -> None:
    assert warning("facebook", 1, 9) is None
    text = warning("facebook", 2, 9)
    assert text is not None and "facebook" in text and "subscription" in text


def test_interval_per_platform_with_the_top_level_default() -> None:
    config = load_config_text(CONFIG, source="t.yaml")
    assert every(config, "facebook") == timedelta(minutes=5)
    assert every(config, "instagram") == timedelta(minutes=15)
    off = load_config_text(CONFIG + "reconcile_every: 0s\n", source="t.yaml")
    assert every(off, "instagram") is None


# -- the product around a local Graph API -------------------------------------------------------


@dataclass
class Meta:
    rt: Runtime
    graph: FakeListing
    client: TestClient
    clock: Clock
    chat: RecordingChat
    redis_url: str

    def reconciler(self) -> Reconciler:
        return Reconciler(
            self.rt.store, self.rt.adapters, metrics=self.rt.metrics, clock=self.clock
        )

    async def drain(self) -> int:
        assert self.rt.pipeline is not None
        worker = Worker(
            self.rt.store.inbound, self.rt.pipeline, self.rt.metrics, consumer="t", block_ms=1
        )
        await self.rt.store.inbound.ensure_group()
        total = 0
        while n := await worker.run_once():
            total += n
        return total

    async def webhook(self, body: dict[str, Any], platform: str = "facebook") -> None:
        raw = json.dumps(body).encode()
        digest = hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        answer = await self.client.post(
            f"/webhooks/{platform}",
            data=raw,
            headers={"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"},
        )
        assert answer.status == 200, await answer.text()

    def reconciled(self, platform: str) -> float:
        value = self.rt.metrics.registry.get_sample_value(
            "chatops_reconciled_total", {"platform": platform}
        )
        return value or 0.0


@pytest.fixture
def config() -> Config:
    return load_config_text(CONFIG, source="test.yaml")


@pytest.fixture
async def meta(store: Store, config: Config, redis_url: str) -> AsyncIterator[Meta]:
    # /readyz judges problems by the wall clock: this test's clock starts at it.
    clock = Clock(utcnow().replace(microsecond=0))
    graph = FakeListing({PAGE: ENV["FB_TOKEN"], IG: ENV["IG_TOKEN"]})
    await graph.start()
    settings = Settings.from_env({**ENV, "GRAPH_API_URL": graph.url})
    chat = RecordingChat()
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
    rt = await runtime.start(settings, config, store=store, chat=chat, http=http, clock=clock)
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield Meta(rt, graph, client, clock, chat, redis_url)
    finally:
        await client.close()
        await graph.stop()
        await http.aclose()


def feed_comment(comment_id: str, post_id: str, when: datetime, text: str) -> dict[str, Any]:
    """The `feed` webhook Meta sends for a new comment (documented shape)."""
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": int(when.timestamp()),
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": comment_id,
                            "post_id": post_id,
                            "parent_id": post_id,
                            "from": {"id": ANNA[0], "name": ANNA[1]},
                            "message": text,
                            "created_time": int(when.timestamp()),
                        },
                    }
                ],
            }
        ],
    }


async def test_a_comment_a_webhook_delivered_is_not_doubled(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=2)
    post = f"{PAGE}_9001"
    meta.graph.post(PAGE, post, t - timedelta(days=3), (PAGE, "Acme"))
    meta.graph.comment(post, "9001_1", t, ANNA, "Var är min faktura?")
    meta.graph.comment(post, "9001_2", t + timedelta(minutes=5), ("6022", "Olle"), "Jag med!")
    await meta.webhook(feed_comment("9001_1", post, t, "Var är min faktura?"))
    assert await meta.drain() == 1

    result = await meta.reconciler().run("facebook")

    assert (result.listed, result.new, result.stopped) == (2, 1, None)
    assert meta.reconciled("facebook") == 1  # only what no webhook delivered
    assert await meta.drain() == 1
    case_id = await meta.rt.store.indexes.case_for_mention("facebook:9001_1")
    assert case_id is not None
    assert await meta.rt.store.indexes.case_for_mention("facebook:9001_2") == case_id  # same post
    assert set(await meta.rt.store.cases.mentions(case_id)) == {
        "facebook:9001_1",
        "facebook:9001_2",
    }
    assert await meta.rt.store.indexes.mention_count() == 2


async def test_instagram_items_a_webhook_delivered_are_not_doubled(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=1)
    meta.graph.media(IG, "1790000000002", t - timedelta(days=1))
    meta.graph.comment("1790000000002", "1790000000201", t, ("555", "kund"), "Refund?")
    meta.graph.message(IG, "instagram", ("777", "kund3"), "aWdfZAG2", t, "Hello?")
    stamp = int(t.timestamp())
    comment = {
        "field": "comments",
        "value": {
            "id": "1790000000201",
            "text": "Refund?",
            "from": {"id": "555", "username": "kund"},
            "media": {"id": "1790000000002", "media_product_type": "FEED"},
        },
    }
    message = {
        "sender": {"id": "777"},
        "recipient": {"id": IG},
        "timestamp": stamp * 1000,
        "message": {"mid": "aWdfZAG2", "text": "Hello?"},
    }
    entry = {"id": IG, "time": stamp, "changes": [comment], "messaging": [message]}
    await meta.webhook({"object": "instagram", "entry": [entry]}, "instagram")
    assert await meta.drain() == 2

    result = await meta.reconciler().run("instagram")

    assert (result.listed, result.new) == (2, 0)
    assert meta.reconciled("instagram") == 0
    assert await meta.rt.store.indexes.mention_count() == 2


async def test_what_no_webhook_delivered_becomes_cases_on_every_listing(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=1)
    post = f"{PAGE}_7001"
    meta.graph.post(PAGE, post, t - timedelta(days=30), (PAGE, "Acme"))  # an old post, new comment
    meta.graph.comment(post, "7001_1", t, ANNA, "Hej! Fakturan stämmer inte.")
    meta.graph.comment(post, "7001_2", t, (PAGE, "Acme"), "Vi tittar på det!")  # our own answer
    meta.graph.post(PAGE, f"{PAGE}_7002", t, ("6033", "Eva"))  # a visitor's post
    meta.graph.message(PAGE, "messenger", ("6044", "Nils"), "m_abc", t, "Hallå, min order?")
    meta.graph.message(PAGE, "messenger", ("6044", "Nils"), "m_abd", t, "Svar", from_owner=True)
    media = meta.graph.media(IG, "1790000000001", t - timedelta(days=2))
    assert media.instagram
    meta.graph.comment("1790000000001", "1790000000101", t, ("555", "kund"), "Where is my refund?")
    meta.graph.comment(
        "1790000000001", "1790000000102", t, ("556", "k2"), "Same here", parent="1790000000101"
    )
    meta.graph.message(IG, "instagram", ("777", "kund3"), "aWdfZAG1", t, "Hello, order 123?")

    results = {r.platform: r for r in await meta.reconciler().run_all()}

    assert (results["facebook"].listed, results["facebook"].new) == (3, 3)
    assert (results["instagram"].listed, results["instagram"].new) == (3, 3)
    assert meta.reconciled("facebook") == 3 and meta.reconciled("instagram") == 3
    assert await meta.drain() == 6
    store = meta.rt.store
    for key in ("facebook:7001_1", f"facebook:{PAGE}_7002", "facebook:m_abc"):
        assert await store.indexes.case_for_mention(key) not in (None, keys.PENDING), key
    assert await store.indexes.case_for_mention("facebook:7001_2") is None  # the page's own comment
    assert await store.indexes.case_for_mention("facebook:m_abd") is None  # the page's own message
    comment_case = await store.indexes.case_for_mention("instagram:1790000000101")
    assert (
        comment_case
        and await store.indexes.case_for_mention("instagram:1790000000102") == comment_case
    )
    case = await store.cases.get(comment_case)
    assert case is not None and case.conversation_id == "1790000000001"
    dm_case = await store.cases.get(
        await store.indexes.case_for_mention("instagram:aWdfZAG1") or ""
    )
    assert dm_case is not None and dm_case.conversation_id == "igdm:777"
    shown = {view.case.id for view, _ in meta.chat.shown}
    assert comment_case in shown and dm_case.id in shown


async def test_paging_through_a_busy_post(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=3)
    post = f"{PAGE}_5001"
    meta.graph.post(PAGE, post, t - timedelta(days=1), (PAGE, "Acme"))
    for i in range(250):
        meta.graph.comment(post, f"5001_{i}", t + timedelta(seconds=i), (f"7{i}", "P"), f"q {i}")

    result = await meta.reconciler().run("facebook")

    assert (result.listed, result.new) == (250, 250)
    # the feed (its newest 25 comments), three more pages of comments, the conversations
    assert result.calls == 5 == meta.graph.calls
    assert meta.graph.paths.count(f"{post}/comments") == 3


async def test_the_cursor_means_a_second_pass_lists_nothing_new(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=2)
    post = f"{PAGE}_4001"
    meta.graph.post(PAGE, post, t, (PAGE, "Acme"))
    meta.graph.comment(post, "4001_1", t, ANNA, "Fråga")
    first = await meta.reconciler().run("facebook")
    assert (first.listed, first.new) == (1, 1)
    stored = await meta.rt.store.redis.hget(f"{keys.RECONCILE}:facebook", "since")
    assert stored == (meta.clock.now - OVERLAP).isoformat()

    meta.clock.advance(minutes=5)
    second = await meta.reconciler().run("facebook")

    assert (second.listed, second.new) == (0, 0)
    assert second.since == meta.clock.now - timedelta(minutes=5) - OVERLAP
    meta.graph.comment(post, "4001_2", meta.clock.now - timedelta(minutes=1), ANNA, "Hallå?")
    meta.clock.advance(minutes=5)
    third = await meta.reconciler().run("facebook")
    assert (third.listed, third.new) == (1, 1)


async def test_a_throttle_stops_the_pass_and_the_next_resumes(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=2)
    post = f"{PAGE}_3001"
    meta.graph.post(PAGE, post, t, (PAGE, "Acme"))
    for i in range(130):
        meta.graph.comment(post, f"3001_{i}", t + timedelta(seconds=i), (f"8{i}", "P"), f"q {i}")
    meta.graph.throttle_after(2)  # the feed and one page of comments, then "(#32) limit reached"

    first = await meta.reconciler().run("facebook")

    assert first.stopped is not None and "rate limit" in first.stopped
    assert (first.listed, first.new) == (125, 125)  # what was read before the limit is kept
    cursor = await meta.rt.store.redis.hget(f"{keys.RECONCILE}:facebook", "since")
    assert cursor == first.since.isoformat()  # where the unfinished pass started
    meta.graph.throttle_after(None)
    meta.clock.advance(minutes=5)
    second = await meta.reconciler().run("facebook")
    assert second.stopped is None
    assert second.since == first.since  # the cursor did not move past what was not read
    assert (second.listed, second.new) == (130, 5)
    assert await meta.drain() == 130
    assert await meta.rt.store.indexes.mention_count() == 130


async def test_passes_that_keep_finding_things_make_readyz_warn(meta: Meta) -> None:
    post = f"{PAGE}_2001"
    meta.graph.post(PAGE, post, meta.clock.now - timedelta(days=1), (PAGE, "Acme"))

    async def missed(batch: int) -> None:
        for i in range(5):
            when = meta.clock.now - timedelta(minutes=1, seconds=i)
            meta.graph.comment(post, f"2001_{batch}_{i}", when, (f"9{i}", "P"), "Hallå?")

    reconciler = meta.reconciler()
    await missed(1)
    assert (await reconciler.run("facebook")).new == 5
    assert (await meta.client.get("/readyz")).status == 200  # once can be bad luck
    meta.clock.advance(minutes=5)
    await missed(2)
    assert (await reconciler.run("facebook")).new == 5

    answer = await meta.client.get("/readyz")
    text = await answer.text()
    assert answer.status == 503
    assert "reconcile:facebook" in text and "subscription" in text
    meta.clock.advance(minutes=11)  # problems fade after ten minutes unless re-asserted
    await reconciler.refresh_warnings()
    problems = await meta.rt.store.problems.current(meta.clock.now)
    assert "reconcile:facebook" in problems

    meta.clock.advance(minutes=5)
    assert (await reconciler.run("facebook")).new == 0
    assert (await meta.client.get("/readyz")).status == 200


async def test_the_scheduler_runs_it_on_its_leader_only(meta: Meta) -> None:
    t = meta.clock.now - timedelta(hours=1)
    meta.graph.post(PAGE, f"{PAGE}_1001", t, ("6033", "Eva"))
    clock = SchedulerClock(
        meta.rt.wf,
        meta.rt.chat,
        meta.rt.store,
        meta.rt.config,
        meta.rt.adapters,
        clock=meta.clock,
        metrics=meta.rt.metrics,
    )
    job = clock.scheduler.get_job("reconcile:facebook")
    assert job is not None and job.trigger.interval == timedelta(minutes=5)
    assert job.next_run_time == meta.clock.now + timedelta(minutes=1)  # soon after a start
    ig_job = clock.scheduler.get_job("reconcile:instagram")
    assert ig_job is not None and ig_job.trigger.interval == timedelta(minutes=15)
    other = SchedulerClock(
        meta.rt.wf, meta.rt.chat, meta.rt.store, meta.rt.config, meta.rt.adapters, clock=meta.clock
    )
    assert await other.leader.leads()

    assert await clock.reconcile("facebook") is None  # another clock leads
    await other.leader.resign()
    result = await clock.reconcile("facebook")
    assert result is not None and result.new == 1
    assert meta.reconciled("facebook") == 1


def chatops(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | env
    return subprocess.run(
        [sys.executable, "-m", "chatops", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
    )


async def test_reconcile_by_hand_from_the_command_line(meta: Meta, tmp_path: Path) -> None:
    t = meta.clock.now - timedelta(hours=20)
    post = f"{PAGE}_6001"
    meta.graph.post(PAGE, post, t - timedelta(days=2), (PAGE, "Acme"))
    meta.graph.comment(post, "6001_1", t, ANNA, "Fråga ett")
    meta.graph.comment(post, "6001_2", meta.clock.now - timedelta(hours=30), ANNA, "För gammal")
    meta.graph.message(IG, "instagram", ("777", "kund3"), "aWdfZAG9", t, "Hello?")
    await meta.webhook(feed_comment("6001_1", post, t, "Fråga ett"))
    config = tmp_path / "chatops.yaml"
    config.write_text(CONFIG)
    env = {
        **ENV,
        "GRAPH_API_URL": meta.graph.url,
        "REDIS_URL": meta.redis_url,
        "CHATOPS_CONFIG": str(config),
    }

    result = await asyncio.to_thread(chatops, "reconcile", "--since", "24h", env=env)

    assert result.returncode == 0, result.stderr
    assert "facebook: 1 listed, 0 new" in result.stdout
    assert "instagram: 1 listed, 1 new" in result.stdout
    assert await meta.drain() == 2  # the webhook's comment and the listed message
    assert await meta.rt.store.indexes.case_for_mention("instagram:aWdfZAG9") is not None

    meta.graph.throttle_after(meta.graph.calls)
    throttled = await asyncio.to_thread(chatops, "reconcile", env=env)
    assert throttled.returncode == 1
    assert "stopped early" in throttled.stderr and "rate limit" in throttled.stderr
    assert "Traceback" not in throttled.stderr
    bad = await asyncio.to_thread(chatops, "reconcile", "--since", "soon", env=env)
    assert bad.returncode == 1 and "--since" in bad.stderr
    help_text = await asyncio.to_thread(chatops, "reconcile", "--help", env=env)
    assert help_text.returncode == 0 and "--since" in help_text.stdout


async def test_an_item_listed_again_after_the_dedupe_markers_expired_is_not_doubled(
    meta: Meta,
) -> None:
    """A new mention is a duplicate by its case's index entry, not by a marker that expires:
    `chatops reconcile --since 30d` after `retention.dedupe` has passed opens no second case."""
    t = meta.clock.now - timedelta(hours=2)
    post = f"{PAGE}_9101"
    meta.graph.post(PAGE, post, t - timedelta(days=3), (PAGE, "Acme"))
    meta.graph.comment(post, "9101_1", t, ANNA, "Var är min faktura?")
    await meta.webhook(feed_comment("9101_1", post, t, "Var är min faktura?"))
    assert await meta.drain() == 1
    ttl = meta.rt.store.inbound.limits.dedupe

    meta.clock.advance(seconds=ttl.total_seconds() + 3600)
    expired = await expire_as_redis_would(meta.rt.store.redis, ttl + timedelta(hours=1))
    result = await meta.reconciler().run("facebook", window=timedelta(days=30))

    assert expired  # time did pass for Redis too (the flood guard, the leader lock …)
    assert (result.listed, result.new) == (1, 0)
    assert await meta.drain() == 0
    assert await meta.rt.store.indexes.mention_count() == 1
    assert await meta.rt.store.redis.get(keys.CASE_SEQ) == "1001"
