"""Store at scale: 1,000,000 open cases in Redis, laid out exactly as the product lays them out.

Prints Redis memory per open case (target ≤ 2 KiB: the case, its first mention, its first
audit entry and every index entry) and the time to find what is due with nothing due and
with 1,000 due (targets < 5 ms and < 150 ms).

Usage: python bench/store.py [--cases 1000000]
(flushes CHATOPS_BENCH_REDIS_URL, default 127.0.0.1:6379/14)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from bench._common import BENCH_REDIS_URL
from chatops import keys
from chatops.domain import AuditEntry, Author, Case, Mention, State
from chatops.store import Store, compact, stored_mention

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEXT = "Hej! Jag har fortfarande inte fått min faktura för oktober, var hittar jag den?"
DRAFT = (
    "Hej Anna! Tack för att du hör av dig. Vi tittar på det direkt och återkommer till "
    "dig så snart vi kan. /Acme"
)


def records(n: int) -> tuple[Mention, Case, AuditEntry]:
    m = Mention(
        platform="facebook",
        account="1122334455",
        external_id=f"778899_{n}",
        conversation_id=f"1122334455_{n}",
        parent_id=f"1122334455_{n}",
        author=Author(id=f"65432{n}", name="Anna Berg", handle="annab", followers=120),
        text=TEXT,
        lang="sv",
        url=f"https://www.facebook.com/1122334455_{n}",
        created_at=NOW,
    )
    c = Case(
        id=str(1001 + n),
        state=State.NEW,
        department="billing",
        platform="facebook",
        account="1122334455",
        conversation_id=m.conversation_id,
        created_at=NOW,
        updated_at=NOW,
        opened_at=NOW,
        language="sv",
        mention_keys=[m.key],
        reply_to=m.key,
        draft=DRAFT,
        draft_author="chatops",
        version=1,
    )
    a = AuditEntry(at=NOW, actor="chatops", action="created", before=None, after=State.NEW)
    return m, c, a


async def fill(r: aioredis.Redis, total: int, due_now: int) -> None:
    """Write `total` cases; the first `due_now` are past due, the rest due in the future."""
    batch = 2000
    for start in range(0, total, batch):
        pipe = r.pipeline(transaction=False)
        for n in range(start, min(total, start + batch)):
            m, c, a = records(n)
            due = NOW - timedelta(minutes=1) if n < due_now else NOW + timedelta(hours=1, seconds=n)
            pipe.set(keys.case(c.id), compact(c))
            pipe.rpush(keys.audit(c.id), compact(a))
            pipe.rpush(keys.mentions(c.id), stored_mention(m))
            pipe.hset(keys.CONVERSATIONS, m.conversation_key, c.id)
            pipe.hset(keys.MENTION_CASES, m.key, c.id)
            pipe.sadd(keys.by_state(c.department, c.state), c.id)
            pipe.hsetnx(keys.DAY_FIRST, c.created_at.date().isoformat(), c.id)
            pipe.zadd(keys.DUE, {c.id: due.timestamp()})
        await pipe.execute()
        if start % 100_000 == 0:
            print(f"  … {start:,} cases written", flush=True)


async def timed(store: Store, now: datetime, runs: int = 50) -> tuple[float, float, int]:
    samples = []
    found = 0
    for _ in range(runs):
        t = time.perf_counter()
        ids = await store.indexes.due(now, limit=1000)
        cases = await store.cases.get_many(ids)
        samples.append((time.perf_counter() - t) * 1000)
        found = len(cases)
    return statistics.median(samples), max(samples), found


async def main(total: int) -> None:
    r = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await r.flushdb()
    base = (await r.info("memory"))["used_memory"]
    print(f"writing {total:,} open cases …", flush=True)
    t = time.perf_counter()
    await fill(r, total, due_now=1000)
    print(f"  written in {time.perf_counter() - t:.0f}s")
    used = (await r.info("memory"))["used_memory"] - base
    store = Store(r)
    none_med, none_max, none_found = await timed(store, NOW - timedelta(hours=1))
    due_med, due_max, due_found = await timed(store, NOW)
    print(f"Redis memory per open case : {used / total:,.0f} bytes   target ≤ 2048")
    print(
        f"due scan, nothing due      : median {none_med:.2f} ms, max {none_max:.2f} ms "
        f"({none_found} found)   target < 5 ms"
    )
    print(
        f"due scan + load, 1,000 due : median {due_med:.1f} ms, max {due_max:.1f} ms "
        f"({due_found} found)   target < 150 ms"
    )
    await r.flushdb(asynchronous=True)
    await r.aclose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    asyncio.run(main(ap.parse_args().cases))
