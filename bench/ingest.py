"""Webhook ingest: signed sandbox webhooks against `chatops web` with a real Redis.

Prints: the sustained throughput of `chatops web` and, in the same run, of a bare aiohttp
endpoint (the ceiling on this machine), and p50/p99 latency at a fixed rate of 1,000/s.
Targets (DESIGN §8): ≥ 3,000 webhooks/s, ≥ 40 % of the bare endpoint, p99 < 25 ms at 1,000/s.

Throughput uses wrk (Debian package `wrk`) when installed, else an asyncio client (which may
itself be the limit). Usage: python bench/ingest.py [--seconds 10] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import redis

from adapters.sandbox import sign
from bench._common import BENCH_REDIS_URL, child, free_port, percentile

SECRET = "bench-secret"
CONFIG = """
chat: {backend: console}
platforms: {sandbox: {}}
departments:
  - {id: social, name: Social, channel: "#social", languages: [sv, en]}
  - {id: billing, name: Billing, channel: "#billing"}
routing:
  rules: [{match: {keywords: [faktura, invoice]}, to: billing}]
  default: social
"""

WRK_SCRIPT = """
local reqs = {}
local n = 0
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
init = function(args)
  local f = io.open(args[1] .. "-" .. tid .. ".txt", "r")
  for line in f:lines() do
    local sig, body = line:match("([^\\t]+)\\t(.*)")
    reqs[#reqs + 1] = wrk.format("POST", "/webhooks/sandbox",
      {["X-Sandbox-Signature"] = sig, ["Content-Type"] = "application/json"}, body)
  end
  f:close()
end
request = function()
  n = n + 1
  return reqs[(n - 1) % #reqs + 1]
end
"""


def body(run: str, i: int) -> bytes:
    return json.dumps(
        {
            "id": f"{run}-{i}",
            "conversation_id": f"{run}-post-{i % 5000}",
            "kind": "comment",
            "account": "acme",
            "author": {"id": f"u-{i}", "name": "Anna Berg", "handle": "annab", "followers": 120},
            "text": "Var är min faktura för oktober? Jag har väntat i två veckor nu.",
            "created_at": "2026-11-23T08:00:00Z",
            "url": f"https://sandbox.invalid/{i}",
        }
    ).encode()


def write_requests(prefix: Path, threads: int, per_thread: int) -> None:
    run = uuid.uuid4().hex[:8]
    for t in range(1, threads + 1):
        with open(f"{prefix}-{t}.txt", "w") as fh:
            for i in range(per_thread):
                b = body(f"{run}{t}", i)
                fh.write(f"{sign(SECRET, b)}\t{b.decode()}\n")


def wrk(port: int, seconds: int, prefix: Path, script: Path, threads: int, conns: int) -> float:
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{conns}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(prefix),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} requests failed:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


async def closed_loop(port: int, seconds: float, conns: int) -> float:
    """Fallback when wrk is missing: as many requests as `conns` connections can push."""
    run = uuid.uuid4().hex[:8]
    done = 0
    deadline = time.monotonic() + seconds

    async def one_conn(c: int, session: aiohttp.ClientSession) -> None:
        nonlocal done
        i = 0
        while time.monotonic() < deadline:
            b = body(f"{run}{c}", i)
            i += 1
            async with session.post(
                f"http://127.0.0.1:{port}/webhooks/sandbox",
                data=b,
                headers={"X-Sandbox-Signature": sign(SECRET, b)},
            ) as r:
                await r.read()
                done += r.status == 200

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conns)) as s:
        await asyncio.gather(*(one_conn(c, s) for c in range(conns)))
    return done / seconds


async def fixed_rate(port: int, rate: int, seconds: float) -> tuple[float, float, int]:
    """Open loop at `rate`/s; latency counted from the scheduled send time."""
    run = uuid.uuid4().hex[:8]
    total = int(rate * seconds)
    bodies = [body(run, i) for i in range(total)]
    sigs = [sign(SECRET, b) for b in bodies]
    latencies: list[float] = []
    failures = 0
    url = f"http://127.0.0.1:{port}/webhooks/sandbox"

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as s:

        async def send(i: int, due: float) -> None:
            nonlocal failures
            async with s.post(url, data=bodies[i], headers={"X-Sandbox-Signature": sigs[i]}) as r:
                await r.read()
                failures += r.status != 200
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(i, due)))
        await asyncio.gather(*tasks)
    return percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000, failures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()

    r = redis.Redis.from_url(BENCH_REDIS_URL)
    r.flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="chatops-bench-"))
    (tmp / "chatops.yaml").write_text(CONFIG)
    script = tmp / "bench.lua"
    script.write_text(WRK_SCRIPT)
    have_wrk = shutil.which("wrk") is not None
    threads = 1  # two cores: one for the server under test, the other for Redis and wrk

    web_port, bare_port = free_port(), free_port()
    env = {
        "REDIS_URL": BENCH_REDIS_URL,
        "PORT": str(web_port),
        "SANDBOX_SECRET": SECRET,
        "CHATOPS_CONFIG": str(tmp / "chatops.yaml"),
    }
    print(
        f"load generator: {'wrk' if have_wrk else 'asyncio client (install wrk)'}, "
        f"{args.connections} connections, {args.seconds}s per run"
    )

    def throughput(port: int, label: str) -> float:
        if have_wrk:
            prefix = tmp / f"reqs-{label}"
            write_requests(prefix, threads, per_thread=args.seconds * 25000 // threads)
            return wrk(port, args.seconds, prefix, script, threads, args.connections)
        return asyncio.run(closed_loop(port, args.seconds, args.connections))

    with child(["bench/bare_server.py", str(bare_port)], {}, bare_port):
        bare = throughput(bare_port, "bare")
    with child(["-m", "chatops", "--log-level", "WARNING", "web"], env, web_port):
        ours = throughput(web_port, "web")
        stored = r.xlen("chatops:{g}:inbound")
        p50, p99, failed = asyncio.run(fixed_rate(web_port, args.rate, args.seconds))

    print(f"bare aiohttp endpoint : {bare:8.0f} req/s")
    print(
        f"chatops web (ingest)  : {ours:8.0f} webhooks/s  ({ours / bare:.0%} of bare)"
        f"   target ≥ 3000/s and ≥ 40 %"
    )
    print(f"  entries in the inbound stream after the run: {stored}")
    print(
        f"fixed rate {args.rate}/s for {args.seconds}s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"{failed} failed   target p99 < 25 ms"
    )
    r.flushdb()


if __name__ == "__main__":
    main()
