"""Mention → chat thread latency through `chatops run`, measured from outside.

Starts `chatops run` as a child process on a flushed Redis database, talking to a local Slack
with no rate limit, and sends signed sandbox webhooks, each a new conversation, at a steady
rate over 40 channels (so Slack's one message per second per channel, which chatops keeps to,
is not in the way either). For each one it records the time from sending the webhook to the
local Slack receiving the chat.postMessage of its case message. Prints p50/p90/p99/max, how
many arrived, and the machine's load (other work on a small machine shows in the tail).
Target (DESIGN §8): p50 ≤ 25 ms, p99 ≤ 200 ms.

Usage: python -m bench.latency [--mentions 300] [--rate 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

import httpx
import redis

from adapters.sandbox import sign
from bench._common import BENCH_REDIS_URL, SANDBOX_SECRET, chatops_run, config_file, percentile
from tests.fakes.slack import FakeSlack

SECRET = SANDBOX_SECRET
CHANNELS = {f"team{n:02d}": f"C0TEAM{n:04d}" for n in range(40)}
"""Enough channels that each gets a mention every two seconds at 20/s: Slack's limit of about
one message per second per channel (which chatops keeps to) is not in the way."""
CONFIG = (
    "chat: {backend: slack}\nplatforms: {sandbox: {}}\ndepartments:\n"
    + "".join(
        f"  - {{id: {name}, name: {name.title()}, channel: {ch}, languages: [en]}}\n"
        for name, ch in CHANNELS.items()
    )
    + "routing:\n  rules:\n"
    + "".join(f"    - {{match: {{keywords: [{name}]}}, to: {name}}}\n" for name in CHANNELS)
    + "  default: team00\n"
)


WORDS = (
    "invoice delivery parcel refund password login screen battery charger order shop "
    "weekend opening hours coupon voucher warranty receipt account subscription app update "
    "crash payment card bank transfer address courier tracking size colour return exchange "
    "discount newsletter email phone support ticket store branch manager price offer"
).split()


def words(seed: int) -> str:
    """A different handful of words per mention: near-duplicates would open a storm."""
    rng = random.Random(seed)
    return " ".join(rng.sample(WORDS, 7))


def mention(run: int, i: int) -> dict[str, object]:
    topic = list(CHANNELS)[i % len(CHANNELS)]
    return {
        "id": f"lat-{run}-{i}",
        "conversation_id": f"lat-{run}-c{i}",
        "kind": "comment",
        "account": "acme",
        "author": {"id": f"u{run}-{i}", "name": "Sam Hill"},
        "text": f"About {topic}: {words(run * 100_000 + i)}? order Q{run}x{i}Z",
        "lang": "en",
    }


def arrivals(slack: FakeSlack) -> dict[str, float]:
    """Marker → when the first case message carrying it reached Slack."""
    found: dict[str, float] = {}
    for call in slack.calls_to("chat.postMessage"):
        meta = call.args.get("metadata") or {}
        if isinstance(meta, str):
            meta = json.loads(meta)
        if not call.ok or meta.get("event_type") != "chatops_case":
            continue
        text = json.dumps(call.args)
        start = text.find("order Q")
        if start >= 0:
            marker = text[start + 6 : text.find("Z", start)]
            found.setdefault(marker, call.at)
    return found


async def one_run(
    slack: FakeSlack, client: httpx.AsyncClient, run: int, count: int, rate: float
) -> list[float]:
    slack.reset_calls()
    sent: dict[str, float] = {}
    start = time.monotonic()
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        body = json.dumps([mention(run, i)]).encode()
        headers = {"X-Sandbox-Signature": sign(SECRET, body), "Content-Type": "application/json"}
        sent[f"Q{run}x{i}"] = time.monotonic()
        (await client.post("/webhooks/sandbox", content=body, headers=headers)).raise_for_status()
    for _ in range(300):  # at most 30 s for the last ones: what is later counts as lost
        if len(arrivals(slack)) >= count:
            break
        await asyncio.sleep(0.1)
    got = arrivals(slack)
    return [got[m] - t for m, t in sent.items() if m in got]


def report(name: str, latencies: list[float], count: int) -> None:
    ms = [x * 1000 for x in latencies]
    load = os.getloadavg()
    if not ms:
        print(f"{name}: none of {count} arrived")
        return
    print(
        f"{name}: {len(ms)}/{count} arrived  p50 {percentile(ms, 0.5):.0f} ms  "
        f"p90 {percentile(ms, 0.9):.0f} ms  p99 {percentile(ms, 0.99):.0f} ms  "
        f"max {max(ms):.0f} ms   (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )


async def main(count: int, rate: float, repeat: int) -> None:
    r = redis.Redis.from_url(BENCH_REDIS_URL)
    r.flushdb()
    slack = FakeSlack(clock=time.monotonic)
    await slack.start()
    print(f"{count} new conversations at {rate:g}/s over {len(CHANNELS)} channels, no rate limit")
    print("target (DESIGN §8): p50 ≤ 25 ms, p99 ≤ 200 ms")
    async with chatops_run(config_file(CONFIG), slack.url) as client:
        await one_run(slack, client, 0, len(CHANNELS), rate)  # warm-up: imports, channels
        everything: list[float] = []
        for run in range(1, repeat + 1):
            latencies = await one_run(slack, client, run, count, rate)
            report(f"run {run}", latencies, count)
            everything += latencies
        report("all runs", everything, count * repeat)
    await slack.stop()
    r.flushdb()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--mentions", type=int, default=300)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    asyncio.run(main(a.mentions, a.rate, a.repeat))
