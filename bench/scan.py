"""The stale scan at scale: 1,000,000 open cases in Redis, a scan tick of the real `Chase`.

Prints the tick's time with nothing due (target < 5 ms) and with 1,000 due (target < 150 ms;
each due case gets its escalation step: a compare-and-set, an audit entry, a chat event), and
Redis memory per open case (target ≤ 2 KiB).

Usage: python -m bench.scan [--cases 1000000]
(flushes CHATOPS_BENCH_REDIS_URL, default 127.0.0.1:6379/14)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime, timedelta

import redis.asyncio as aioredis

from bench._common import BENCH_REDIS_URL
from bench.store import NOW, fill
from chatops.chat import CaseEvent, CaseView, Department, DigestItem, PingItem
from chatops.chat.present import Report
from chatops.config import load_config_text
from chatops.store import Store
from chatops.workflow.service import Workflow
from escalation.chase import Chase

CONFIG = """
chat: {backend: console}
departments:
  - {id: billing, name: Billing, channel: "#billing", languages: [sv]}
routing: {default: billing}
"""


class CountingChat:
    """Counts what the chase hands to chat (a real backend would queue it in Redis)."""

    def __init__(self) -> None:
        self.events = 0
        self.pings = 0

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        self.events += 1

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        return None

    async def post_report(self, department: Department, report: Report) -> None:
        return None

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        self.pings += len(items)

    async def close(self) -> None:
        return None


async def tick(chase: Chase, clock: list[datetime], when: datetime) -> tuple[float, int]:
    clock[0] = when
    t = time.perf_counter()
    taken = await chase.scan()
    return (time.perf_counter() - t) * 1000, taken


async def main(total: int) -> None:
    r = aioredis.from_url(BENCH_REDIS_URL, decode_responses=True)
    await r.flushdb()
    base = (await r.info("memory"))["used_memory"]
    print(f"writing {total:,} open cases …", flush=True)
    await fill(r, total, due_now=1000)
    per_case = ((await r.info("memory"))["used_memory"] - base) / total
    clock = [NOW]
    chat = CountingChat()
    store = Store(r)
    wf = Workflow(store, load_config_text(CONFIG), {}, chat, clock=lambda: clock[0])
    chase = Chase(wf, chat, store.cases, store.indexes, clock=lambda: clock[0])
    idle = [await tick(chase, clock, NOW - timedelta(minutes=5)) for _ in range(50)]
    busy_ms, taken = await tick(chase, clock, NOW + timedelta(minutes=16))
    again_ms, again = await tick(chase, clock, NOW + timedelta(minutes=16))
    print(f"Redis memory per open case : {per_case:,.0f} bytes   target ≤ 2048")
    print(
        f"scan tick, nothing due     : median {statistics.median(m for m, _ in idle):.2f} ms,"
        f" max {max(m for m, _ in idle):.2f} ms   target < 5 ms"
    )
    print(
        f"scan tick, 1,000 due       : {busy_ms:.0f} ms, {taken} escalation steps, "
        f"{chat.events} chat events, {chat.pings} cases pinged   target < 150 ms"
    )
    print(f"the same tick again        : {again_ms:.1f} ms, {again} steps (each fires once)")
    await r.flushdb(asynchronous=True)
    await r.aclose()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    asyncio.run(main(ap.parse_args().cases))
