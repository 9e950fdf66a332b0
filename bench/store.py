"""Store size: Redis memory per open and per closed case, made by the real workflow; and the
time to find what is due among 1,000,000 open cases laid out as the product lays them out.

Part 1 (issue 15 item 5): `--cases` sandbox mentions (typical ones: Swedish, a name, a handle,
a follower count) become cases through `chatops run`'s own assembly in this process (signed
webhooks into the web app, a worker, the Slack backend against a local Slack, the sandbox
platform for replies); half stay open, half are claimed, drafted, published and closed. Then,
as an hour later, acknowledged stream history is trimmed and the minutes-long windows (flood
guard, storm grouping) have expired, and the growth of the keys' own MEMORY USAGE is divided
by the cases (targets ≤ 1 KiB open, ≤ 1.5 KiB closed), as are the growth of MEMORY STATS'
`dataset.bytes` and of `used_memory` (which also holds the keyspace tables Redis grew by
doubling for the run's short-lived keys and does not shrink at once: a step that varies from
run to run by a few hundred bytes a case at this size). The biggest kinds of key per case are
listed (MEMORY USAGE grouped by shape; a global hash shows what its fields add). Then, as four
days later, the day's counters (hourly tallies, the copy-paste check's digests) have expired
too, and the same figures are printed again: what a case costs for as long as it is kept.

Part 2 (`--scan N`, 0 to skip): N open cases written directly; the time to find what is due
with nothing due and with 1,000 due (targets < 5 ms and < 150 ms).

Usage: python -m bench.store [--cases 2000] [--scan 0]
(flushes CHATOPS_BENCH_REDIS_URL, default 127.0.0.1:6379/14)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from bench._common import BENCH_REDIS_URL
from chatops import keys, runtime
from chatops.config import load_config_text
from chatops.domain import AuditEntry, Author, Case, Mention, State, utcnow
from chatops.processes import web_app
from chatops.settings import Settings
from chatops.slack.backend import SlackBackend
from chatops.store import Store, case_value
from chatops.store.indexes import due_score
from chatops.worker import Worker
from chatops.workflow.commands import Command
from tests.fakes.sandbox import SandboxPlatform, signed
from tests.fakes.slack import FakeSlack

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
"""
WORDS = (
    "faktura paket leverans beställning order kundtjänst öppettider butik kassa retur pengar "
    "tillbaka kort betalning frakt adress lördag söndag jul present storlek färg jacka skor "
    "väska rabatt kod kampanj konto lösenord app hemsida mejl telefon chatt svar vecka månad "
    "oktober november igår idag imorgon snart länge aldrig alltid fortfarande redan"
).split()
NAMES = ("Anna Berg", "Olle Svensson", "Sara Lind", "Nils Ek", "Eva Holm")


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
            pipe.set(keys.case(c.id), case_value(c, [m], [a]))
            pipe.hset(keys.bucket(keys.CONVERSATIONS, m.conversation_key), m.conversation_key, c.id)
            pipe.hset(keys.bucket(keys.MENTION_CASES, m.key), m.key, c.id)
            pipe.sadd(keys.by_state(c.department, c.state), c.id)
            pipe.hsetnx(keys.DAY_FIRST, c.created_at.date().isoformat(), c.id)
            pipe.zadd(keys.due(c.id), {c.id: due_score(due)})
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


def mention_item(run: str, n: int) -> dict[str, object]:
    name = NAMES[n % len(NAMES)]
    return {
        "id": f"{run}-m{n}",
        "conversation_id": f"{run}-post-{n}",
        "kind": "comment",
        "account": "acme",
        "author": {
            "id": f"{run}-u{n}",
            "name": name,
            "handle": name.split()[0].lower() + str(n),
            "followers": 120 + n % 400,
        },
        "text": text(n),
        "created_at": utcnow().isoformat(),
        "url": f"https://sandbox.invalid/{run}-post-{n}#{run}-m{n}",
        "lang": "sv",
    }


def text(n: int) -> str:
    """A typical comment (70-90 characters), different enough from the others that the bench
    measures cases, not a storm of near-duplicates."""
    rng = random.Random(n)
    return "Hej! " + " ".join(rng.sample(WORDS, 9)).capitalize() + "?"


class Product:
    """`chatops run` assembled in this process, around a local Slack and sandbox platform."""

    def __init__(self, r: aioredis.Redis) -> None:
        self.redis = r
        self.platform = SandboxPlatform()
        self.slack = FakeSlack()

    async def __aenter__(self) -> Product:
        url = await self.platform.start()
        await self.slack.start()
        settings = Settings.from_env(
            {
                "SANDBOX_SECRET": "bench",
                "SANDBOX_API_URL": url,
                "SLACK_BOT_TOKEN": self.slack.token,
                "SLACK_SIGNING_SECRET": "bench",
                "SLACK_API_URL": self.slack.url,
            }
        )
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        config = load_config_text(CONFIG, source="bench.yaml")
        self.rt = await runtime.start(settings, config, store=Store(self.redis), http=self.http)
        chat = self.rt.chat
        assert isinstance(chat, SlackBackend)
        self.sender = chat.sender
        self.sender.post_rate, self.sender.post_burst = 1e6, 10**6
        self.sender.update_rate, self.sender.update_burst = 1e6, 10**6
        self.sender.probe_every = 0.0
        self.client = TestClient(TestServer(web_app(self.rt)))
        await self.client.start_server()
        self.worker = Worker(
            self.rt.store.inbound, self.rt.pipeline, self.rt.metrics, consumer="bench", block_ms=1
        )
        await self.rt.store.inbound.ensure_group()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        await self.rt.close()
        await self.slack.stop()
        await self.platform.stop()

    async def ingest(self, items: list[dict[str, object]]) -> None:
        for start in range(0, len(items), 100):
            raw, headers = signed(items[start : start + 100], "bench")
            answer = await self.client.post("/webhooks/sandbox", data=raw, headers=headers)
            assert answer.status == 200, await answer.text()
            while await self.worker.run_once():
                pass
        await self.flush()

    async def flush(self) -> None:
        for _ in range(10_000):
            await self.sender.tick()
            busy = await self.redis.scard(keys.SLACK_CHANNELS)
            if not busy and not await self.redis.scard(keys.SLACK_DIRTY):
                return
        raise RuntimeError("the Slack outbox did not drain")

    async def answer_and_close(self, case_ids: list[str]) -> None:
        wf = self.rt.workflow
        for case_id in case_ids:
            await wf.claim(case_id, "U0AGENT001")
            reply = f"Hej! Tack för att du skrev, vi tittar på ärende {case_id} direkt. /Acme"
            await wf.edit(case_id, "U0AGENT001", reply)
            await wf.publish(case_id, "U0AGENT001")
            await wf.command(case_id, Command.CLOSE, "chatops")
        await self.flush()

    async def settle(self, later: timedelta = timedelta(hours=1)) -> None:
        """`later` on: acknowledged stream history trimmed (the worker's housekeeping), and the
        keys that expire within `later` (an hour: the minutes-long windows of the flood guard
        and storm grouping; four days: the day's counters too) expired, as Redis expires them."""
        await self.rt.store.inbound.housekeep(utcnow())
        gone = []
        async for key in self.redis.scan_iter(count=1000):
            if 0 <= await self.redis.pttl(key) <= later.total_seconds() * 1000:
                gone.append(key)
        for start in range(0, len(gone), 1000):
            await self.redis.delete(*gone[start : start + 1000])


async def used(r: aioredis.Redis) -> tuple[int, int]:
    """`used_memory`, and MEMORY STATS' `dataset.bytes`: the same less Redis's own overhead,
    chiefly the keyspace's hash tables, which grow by doubling for the short-lived keys of the
    run (dedupe markers, day counters) and are not shrunk below a tenth full, so a few
    thousand cases see a step that a store of many more spreads thin."""
    stats = await r.memory_stats()
    return int((await r.info("memory"))["used_memory"]), int(stats["dataset.bytes"])


async def by_shape(r: aioredis.Redis) -> Counter[str]:
    """MEMORY USAGE of every key, summed per key shape (numbers and ids replaced by `#`)."""
    sizes: Counter[str] = Counter()
    async for key in r.scan_iter(count=1000):
        shape = re.sub(r"\{[^}]*\}", "{#}", key)
        shape = re.sub(r"\d+", "#", shape)
        sizes[shape] += int(await r.memory_usage(key, samples=0) or 0)
    return sizes


def top(sizes: Counter[str], cases: int, n: int = 10) -> str:
    return "\n".join(f"    {size / cases:7,.0f} B  {shape}" for shape, size in sizes.most_common(n))


LATER = timedelta(days=4)


async def memory(total: int) -> tuple[float, float]:
    r = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await r.flushdb()
    half = max(1, total // 2)
    async with Product(r) as product:
        await product.ingest([mention_item("warm", 0)])  # one case: groups, scripts, buckets
        await product.settle(LATER)
        base = await snapshot(r)
        t = time.perf_counter()
        await product.ingest([mention_item("open", n) for n in range(half)])
        open_hour, open_kept = await settled(product)
        ids = [str(1002 + half + n) for n in range(half)]
        await product.ingest([mention_item("done", n) for n in range(half)])
        await product.answer_and_close(ids)
        closed_hour, closed_kept = await settled(product)
        states = Counter([c.state for c in await product.rt.store.cases.get_many(ids)])
        print(f"  {2 * half:,} cases through the workflow in {time.perf_counter() - t:.0f}s")
    assert states == {State.CLOSED: half}, states
    for when, opened, closed in (
        ("an hour later", open_hour, closed_hour),
        ("four days later (kept)", open_kept, closed_kept),
    ):
        print(f"{when}:")
        report("open case  ", opened, base, half, 1024)
        report("closed case", closed, open_kept, half, 1536)
    per_open = (open_kept[1] - base[1]).total() / half
    per_closed = (closed_kept[1] - open_kept[1]).total() / half
    await r.flushdb(asynchronous=True)
    await r.aclose()
    return per_open, per_closed


Snapshot = tuple[tuple[int, int], Counter[str]]


async def snapshot(r: aioredis.Redis) -> Snapshot:
    return await used(r), await by_shape(r)


async def settled(product: Product) -> tuple[Snapshot, Snapshot]:
    """The store an hour later, then four days later."""
    await product.settle()
    hour = await snapshot(product.redis)
    await product.settle(LATER)
    return hour, await snapshot(product.redis)


def report(what: str, after: Snapshot, before: Snapshot, cases: int, target: int) -> None:
    keys_grew = after[1] - before[1]
    print(
        f"  Redis memory per {what}: {keys_grew.total() / cases:,.0f} bytes (MEMORY USAGE of "
        f"the keys), {(after[0][1] - before[0][1]) / cases:,.0f} (dataset.bytes), "
        f"{(after[0][0] - before[0][0]) / cases:,.0f} (used_memory)   target ≤ {target}"
    )
    print(top(keys_grew, cases))


async def scan(total: int) -> None:
    r = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await r.flushdb()
    print(f"writing {total:,} open cases …", flush=True)
    t = time.perf_counter()
    await fill(r, total, due_now=1000)
    print(f"  written in {time.perf_counter() - t:.0f}s")
    store = Store(r)
    none_med, none_max, none_found = await timed(store, NOW - timedelta(hours=1))
    due_med, due_max, due_found = await timed(store, NOW)
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


async def main(cases: int, scan_cases: int) -> None:
    if cases:
        await memory(cases)
    if scan_cases:
        await scan(scan_cases)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000, help="open plus closed, half each")
    ap.add_argument("--scan", type=int, default=0, help="open cases for the due scan (0: skip)")
    args = ap.parse_args()
    asyncio.run(main(args.cases, args.scan))
