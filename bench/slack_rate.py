"""Slack limits: `chatops run` against a local Slack that enforces chat.postMessage's limit.

Phase 1: 300 new cases across 3 channels, all at once, against a server allowing about one
chat.postMessage per second per channel with a small burst. Prints the share of the allowed
rate used (target ≥ 95 %), lost messages and duplicates (targets 0).
Phase 2: mentions arriving slower than the limit; prints the time from webhook to Slack
message, p50/p99 (target p50 < 100 ms).

Usage: python -m bench.slack_rate [--cases 300] [--rate 1.0] [--burst 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
import redis

from adapters.sandbox import sign
from bench._common import BENCH_REDIS_URL, SANDBOX_SECRET, chatops_run, config_file, percentile
from tests.fakes.slack import FakeSlack

CHANNELS = {"alpha": "C0ALPHA001", "beta": "C0BETA0001", "gamma": "C0GAMMA001"}
CONFIG = (
    """
chat: {backend: slack}
platforms: {sandbox: {}}
departments:
"""
    + "".join(
        f"  - {{id: {name}, name: {name.title()}, channel: {ch}, languages: [en]}}\n"
        for name, ch in CHANNELS.items()
    )
    + """
routing:
  rules:
    - {match: {keywords: [beta]}, to: beta}
    - {match: {keywords: [gamma]}, to: gamma}
  default: alpha
"""
)
SECRET = SANDBOX_SECRET


def mention(run: str, i: int) -> dict:
    topic = list(CHANNELS)[i % 3]
    return {
        "id": f"{run}-{i}",
        "conversation_id": f"{run}-c{i}",
        "kind": "comment",
        "account": "acme",
        "author": {"id": f"u{i}", "name": "Sam Hill"},
        "text": f"Question about {topic} number {i}?",
        "lang": "en",
    }


async def post(client: httpx.AsyncClient, items: list[dict]) -> None:
    body = json.dumps(items).encode()
    r = await client.post(
        "/webhooks/sandbox", content=body, headers={"X-Sandbox-Signature": sign(SECRET, body)}
    )
    r.raise_for_status()


def case_ids(slack: FakeSlack, channel: str) -> list[str]:
    return [
        m["metadata"]["event_payload"]["case_id"]
        for m in slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == "chatops_case"
    ]


async def phase_rate(
    slack: FakeSlack, client: httpx.AsyncClient, cases: int, rate: float, burst: int
) -> None:
    await post(client, [mention("r", i) for i in range(cases)])
    deadline = time.monotonic() + cases / (rate * 3) + 60
    while sum(len(case_ids(slack, ch)) for ch in CHANNELS.values()) < cases:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # anything late or doubled shows up now
    shares, posted, unique = [], 0, set()
    for ch in CHANNELS.values():
        ok = [
            c.at
            for c in slack.calls_to("chat.postMessage")
            if c.args.get("channel") == ch and c.status == 200 and c.error is None
        ]
        ids = case_ids(slack, ch)
        posted += len(ids)
        unique |= set(ids)
        if len(ok) > 1:
            allowed = burst + rate * (max(ok) - min(ok))
            shares.append(len(ok) / allowed)
    print(
        f"phase 1: {cases} cases over 3 channels, server limit {rate}/s per channel, burst {burst}"
    )
    print(
        f"  share of the allowed rate used : {min(shares):.1%} (worst channel), "
        f"{sum(shares) / len(shares):.1%} (mean)   target ≥ 95 %"
    )
    print(f"  lost messages                  : {cases - len(unique)}   target 0")
    print(f"  duplicate messages             : {posted - len(unique)}   target 0")
    print(f"  429 answers from the server    : {slack.rejected_429}")


async def phase_latency(slack: FakeSlack, client: httpx.AsyncClient, count: int) -> None:
    sent: dict[str, float] = {}
    for i in range(count):
        item = mention("l", i)
        sent[f"{item['id']}"] = time.monotonic()
        await post(client, [item])
        await asyncio.sleep(0.4)  # each channel gets one every 1.2 s: under the limit
    await asyncio.sleep(2)
    by_case: dict[str, float] = {}
    for call in slack.calls_to("chat.postMessage"):
        meta = call.args.get("metadata") or {}
        if call.status == 200 and meta.get("event_type") == "chatops_case":
            by_case.setdefault(meta["event_payload"]["case_id"], call.at)
    arrivals = sorted(by_case.values())[-count:]
    starts = sorted(sent.values())
    latencies = [a - s for a, s in zip(arrivals, starts, strict=False)]
    print(f"phase 2: {count} mentions, slower than the limit")
    print(
        f"  webhook → Slack message        : p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms   target p50 < 100 ms"
    )


async def main(cases: int, rate: float, burst: int) -> None:
    r = redis.Redis.from_url(BENCH_REDIS_URL)
    r.flushdb()
    slack = FakeSlack(clock=time.monotonic)
    await slack.start()
    slack.post_rate = (rate, burst)
    async with chatops_run(config_file(CONFIG), slack.url) as client:
        await phase_rate(slack, client, cases, rate, burst)
        slack.reset_calls()
        await phase_latency(slack, client, 30)
    await slack.stop()
    r.flushdb()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--burst", type=int, default=3)
    a = ap.parse_args()
    asyncio.run(main(a.cases, a.rate, a.burst))
