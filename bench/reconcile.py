"""Reconciliation over a busy page: one pass over a post with 10,000 comments.

A local Graph API (tests/fakes/graph_listing.py, Meta's wire format, run in this process) holds one
Facebook page with one post carrying 10,000 comments from the last 12 hours, plus Messenger
conversations; a share of the comments (`--ingested`) already came by webhook (parsed from
webhook bodies by the Facebook adapter and appended as the web appends them). One pass of
`chatops.reconcile` lists everything since 24 hours ago and appends what is new; a second pass
from the stored cursor shows what a quiet pass costs.

Prints wall time, Graph API calls, items listed and new, for both passes.

Usage: python -m bench.reconcile [--comments 10000] [--ingested 2000] [--conversations 50]
(flushes CHATOPS_BENCH_REDIS_URL, default 127.0.0.1:6379/14)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import timedelta

import httpx
import redis.asyncio as aioredis

from adapters import AdapterContext
from adapters import facebook as fb
from bench._common import BENCH_REDIS_URL
from chatops.config import load_config_text
from chatops.domain import utcnow
from chatops.metrics import Metrics
from chatops.reconcile import Reconciler
from chatops.settings import Settings
from chatops.store import Store
from tests.fakes.graph_listing import FakeListing

PAGE = "1122334455"
POST = f"{PAGE}_424242"
CONFIG = f"""
platforms:
  facebook:
    pages: [{{id: "{PAGE}", name: Acme, token_env: FB_TOKEN}}]
departments: [{{id: social, channel: "#social"}}]
"""


def webhook_body(comment_ids: list[int], graph: FakeListing) -> bytes:
    """The `feed` webhook deliveries for these comments, as Meta batches them."""
    post = graph.nodes[POST]
    changes = []
    for i in comment_ids:
        comment = post.comments[i]
        changes.append(
            {
                "field": "feed",
                "value": {
                    "item": "comment",
                    "verb": "add",
                    "comment_id": comment.id,
                    "post_id": POST,
                    "parent_id": POST,
                    "from": {"id": comment.author[0], "name": comment.author[1]},
                    "message": comment.text,
                    "created_time": int(comment.created.timestamp()),
                },
            }
        )
    entry = {"id": PAGE, "time": int(time.time()), "changes": changes}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


async def main(comments: int, ingested: int, conversations: int) -> None:
    now = utcnow()
    graph = FakeListing({PAGE: "page-token"})
    await graph.start()
    graph.post(PAGE, POST, now - timedelta(days=2), (PAGE, "Acme"))
    for i in range(comments):
        when = now - timedelta(hours=12) + timedelta(seconds=i * 4)
        graph.comment(POST, f"424242_{i}", when, (f"6{i:07d}", "Kund"), f"Fråga nummer {i}?")
    for i in range(conversations):
        when = now - timedelta(hours=6, minutes=i)
        graph.message(PAGE, "messenger", (f"7{i:07d}", "Kund"), f"m_{i}", when, "Hallå?")

    redis = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await redis.flushdb()
    store = Store(redis)
    settings = Settings.from_env({"GRAPH_API_URL": graph.url, "FB_TOKEN": "page-token"})
    config = load_config_text(CONFIG, source="bench.yaml")
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0)) as http:
        adapter = fb.create(AdapterContext(settings=settings, config=config, http=http))
        step = max(1, comments // max(1, ingested)) if ingested else 0
        delivered = list(range(0, comments, step))[:ingested] if ingested else []
        for start in range(0, len(delivered), 1000):  # Meta batches up to 1,000 per POST
            parsed = fb.parse_body(
                webhook_body(delivered[start : start + 1000], graph), frozenset({PAGE})
            )
            await store.inbound.append(parsed.mentions)
        reconciler = Reconciler(store, {"facebook": adapter}, metrics=Metrics())

        began = time.perf_counter()
        first = await reconciler.run("facebook", timedelta(hours=24))
        first_s = time.perf_counter() - began
        calls_first, server_first = graph.calls, graph.busy_s
        began = time.perf_counter()
        second = await reconciler.run("facebook")
        second_s = time.perf_counter() - began

    inbound = await redis.xlen("chatops:{g}:inbound")
    await redis.flushdb()
    await redis.aclose()
    await graph.stop()

    print(f"page: 1 post with {comments:,} comments, {conversations} Messenger conversations")
    print(f"already ingested by webhook: {len(delivered):,}")
    print(
        f"pass 1 (--since 24h): {first_s:.2f} s wall, {first.calls} Graph calls "
        f"(server counted {calls_first}), {first.listed:,} listed, {first.new:,} new, "
        f"stopped: {first.stopped or 'no'}"
    )
    print(
        f"  of which the local Graph API answering: {server_first:.2f} s; "
        f"{first.listed / first_s:,.0f} items listed/s"
    )
    print(
        f"pass 2 (from the cursor): {second_s * 1000:.1f} ms wall, {second.calls} Graph calls, "
        f"{second.listed} listed, {second.new} new"
    )
    expected = comments + conversations - len(delivered)
    verdict = "ok" if first.new == expected and inbound == comments + conversations else "WRONG"
    print(f"inbound stream: {inbound:,} entries (webhook + reconciliation): {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--ingested", type=int, default=2_000)
    parser.add_argument("--conversations", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.comments, args.ingested, args.conversations))
