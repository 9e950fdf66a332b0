"""Storm detection on the worker's hot path: what `StormWatch.observe` costs per mention.

10,000 mentions over two hours into one department, 300 of them one complaint (in Swedish,
English and German, edited as people do: retweeted, shouted, misspelt, with emojis) within
45 seconds; the others are unrelated texts (words drawn from the seed documents). Prints the
cost per mention of the pure part (fingerprint: normalise, shingles, MinHash, bands) and of the
whole observe with its one Redis round trip, and what was found: storms opened, how many of the
300 joined the storm, how many unrelated mentions did.

Usage: python -m bench.storm_detect [--mentions 10000] [--storm 300]
(flushes CHATOPS_BENCH_REDIS_URL, default 127.0.0.1:6379/14)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis

from bench._common import BENCH_REDIS_URL
from chatops.config import load_config_text
from chatops.domain import Author, Mention
from chatops.store.storms import Storms
from chatops.storm import StormWatch

CONFIG = """
brand: Acme
chat: {backend: console}
departments:
  - {id: social, name: Social, channel: "#social"}
routing: {default: social}
crisis:
  threshold: {mentions: 10, within: 10m}
  quiet: 30m
  keywords: [[driftstörning, outage, Störung]]
"""

COMPLAINTS = [
    "Outage again? The Acme app has been down for an hour, I can't log in to pay my bills",
    "Driftstörning igen? Appen har legat nere i en timme, jag kan inte logga in och betala",
    "Schon wieder eine Störung, die Acme App ist seit einer Stunde down, ich kann nicht zahlen",
]
EXTRAS = ["😡", "!!!", "#fail", "fix it!", "seriously?", "again", "@acme", "now", "still"]
ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
"""The seed documents (five languages) lend the unrelated mentions their words; without them,
the README does."""
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def variant(rng: random.Random, text: str) -> str:
    """The complaint as one more person writes it."""
    words = text.split()
    for op in rng.sample(range(6), rng.randint(1, 3)):
        if op == 0:
            words = ["RT", f"@u{rng.randint(1, 999)}:", *words]
        elif op == 1:
            words.append(rng.choice(EXTRAS))
        elif op == 2 and len(words) > 8:
            del words[rng.randrange(1, len(words))]
        elif op == 3:
            i = rng.randrange(len(words))
            if len(words[i]) > 3:
                j = rng.randrange(len(words[i]) - 1)
                w = words[i]
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif op == 4:
            words = [w.lower() for w in words]
        else:
            words.insert(rng.randrange(len(words)), rng.choice(EXTRAS))
    return " ".join(words)


def vocabulary() -> list[str]:
    words: set[str] = set()
    for path in sorted(SEEDS.glob("*.txt")) or [ROOT / "README.md"]:
        words.update(re.findall(r"[^\W\d_]{3,}", path.read_text(encoding="utf-8")))
    return sorted(words)


def mentions(
    total: int, storm: int, seed: int = 7
) -> tuple[list[tuple[datetime, Mention]], set[str]]:
    """The stream, in time order, and the keys of the storm's members."""
    rng = random.Random(seed)
    vocab = vocabulary()
    items: list[tuple[datetime, Mention]] = []
    members: set[str] = set()
    for n in range(total):
        in_storm = n < storm
        if in_storm:
            text = variant(rng, COMPLAINTS[n % 3])
            at = START + timedelta(hours=1, seconds=rng.uniform(0, 45))
        else:
            text = " ".join(rng.choice(vocab) for _ in range(rng.randint(6, 24)))
            at = START + timedelta(seconds=rng.uniform(0, 7200))
        m = Mention(
            platform=rng.choice(["x", "facebook", "instagram", "sandbox"]),
            account="acme",
            external_id=f"m-{n}",
            conversation_id=f"post-{n}",
            author=Author(id=f"u-{n}", name=f"Person {n}"),
            text=text,
            created_at=at,
        )
        if in_storm:
            members.add(m.key)
        items.append((at, m))
    items.sort(key=lambda item: item[0])
    return items, members


def summary(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99)]
    return (
        f"{name:<28} mean {statistics.fmean(samples):7.1f} µs   p50 "
        f"{statistics.median(samples):7.1f} µs   p99 {p99:7.1f} µs"
    )


async def main(total: int, storm: int) -> None:
    config = load_config_text(CONFIG, source="bench")
    items, members = mentions(total, storm)
    r = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await r.flushdb()
    watch = StormWatch(Storms(r), config)
    try:
        pure = []
        for _, m in items:
            t0 = time.perf_counter()
            watch.fingerprint("social", m.text)
            pure.append((time.perf_counter() - t0) * 1e6)
        whole = []
        groups: dict[str, set[str]] = {}
        opened = 0
        for at, m in items:
            t0 = time.perf_counter()
            verdict = await watch.observe("social", m, at)
            whole.append((time.perf_counter() - t0) * 1e6)
            if verdict is not None:
                groups.setdefault(verdict.group, set()).add(m.key)
                opened += verdict.opened
        memory = int((await r.info("memory"))["used_memory"])
    finally:
        await r.flushdb(asynchronous=True)
        await r.aclose()
    biggest = max(groups.values(), key=len)
    others = [g for g in groups.values() if g is not biggest and len(g) > 1]
    print(f"{total:,} mentions, {storm} of them one complaint in sv/en/de within 45 s")
    print(summary("fingerprint (pure)", pure))
    print(summary("observe (with Redis)", whole))
    redis_part = statistics.fmean(whole) - statistics.fmean(pure)
    print(f"{'Redis round trip (mean)':<28} {redis_part:7.1f} µs")
    print(
        f"storms opened: {opened}; the storm holds {len(biggest & members)} of {storm} "
        f"(and {len(biggest - members)} unrelated); other groups of 2+: {len(others)} "
        f"({sum(len(g) for g in others)} mentions)"
    )
    print(f"Redis used_memory after: {memory / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mentions", type=int, default=10_000)
    ap.add_argument("--storm", type=int, default=300)
    args = ap.parse_args()
    asyncio.run(main(args.mentions, args.storm))
