"""Faults: signed webhooks at a steady rate while Redis and workers are killed (SIGKILL).

`chatops web` and `chatops worker` processes run against a redis-server of the bench's own
(append-only file, `appendfsync always`, so a SIGKILL loses nothing Redis acknowledged) and a
local Slack (tests/fakes/slack.py) with no rate limit of its own; the departments' channels are
many (250 by default), so our outbox's limit of about one post per channel and second, Slack's
own, is not the bottleneck at 200 webhooks/s.
While the webhooks go out, Redis is killed and restarted twice and workers are killed mid-batch
and restarted. A refused webhook (503) is sent again with a small backoff until it is accepted,
as a platform does; the schedule of first attempts never waits for retries.

Prints: acknowledged (200) vs stored (a case in Redis holding the mention) vs shown (a Slack
message carrying the case's `chatops_case` metadata): acknowledged and lost, never shown, shown
twice (targets 0); the refusals and retries; how long after each Redis restart the web answered
200 again and the first case was posted.

Usage: python -m bench.faults [--webhooks 5000] [--rate 200] [--workers 2] [--channels 250]
                             [--fsync always|everysec] [--redis-down 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from adapters.sandbox import sign
from bench._common import free_port, percentile, spawn, stop
from chatops import keys
from chatops.domain import Mention
from chatops.store.codec import parse
from tests.fakes.redis import RedisServer
from tests.fakes.slack import FakeSlack

SECRET = "bench-faults"
CLAIM_IDLE_S = 30.0
"""The worker takes over a dead worker's entries after they sat this long (chatops/worker.py)."""


class TimedSlack(FakeSlack):
    """The local Slack, with message ts that follow the wall clock as Slack's do.

    FakeSlack's ts advance 100 µs per message from its start, so a minute into a run every
    message looks older than the window the outbox searches when it retries a post after a crash
    (`already_posted`: the last 60 s), and the fake itself would cause a second post."""

    _last_us = 0

    def _next_ts(self) -> str:
        now = max(int(time.time() * 1_000_000), self._last_us + 1)
        self._last_us = now
        return f"{now // 1_000_000}.{now % 1_000_000:06d}"


def config(channels: list[str]) -> str:
    departments = "".join(
        f"  - {{id: d{k:03d}, name: Desk {k}, channel: {ch}, languages: [en]}}\n"
        for k, ch in enumerate(channels)
    )
    rules = "".join(
        f"    - {{match: {{account: a{k:03d}}}, to: d{k:03d}}}\n" for k in range(1, len(channels))
    )
    return (
        "chat: {backend: slack}\nplatforms: {sandbox: {}}\ndepartments:\n"
        + departments
        + "routing:\n  rules:\n"
        + rules
        + "  default: d000\n"
    )


def mention(run: str, i: int, channels: int) -> dict:
    """One new comment in a conversation of its own, by an author of its own: one case each."""
    return {
        "id": f"{run}-{i}",
        "conversation_id": f"{run}-c{i}",
        "kind": "comment",
        "account": f"a{i % channels:03d}",
        "author": {"id": f"{run}-u{i}", "name": "Sam Hill"},
        "text": f"Where is my order number {i}? It has not arrived yet.",
        "lang": "en",
    }


@dataclass
class RedisRestart:
    killed: float
    started: float = 0.0
    ready: float = 0.0
    backlog: int | None = None  # stream entries not yet made cases when it answered again
    leases: list[int] = field(default_factory=list)  # ms left on outbox leases it came back with


@dataclass
class WorkerKill:
    at: float
    index: int
    pending: int | None
    consuming_after: float | None = None


@dataclass
class Load:
    """The platform side: first attempts on a fixed schedule, refused ones retried."""

    url: str
    bodies: list[bytes]
    rate: float
    give_up_at: float = float("inf")
    due: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    latest: tuple[float, float] = (0.0, 0.0)  # (how late, when due) of the latest first attempt
    acked_at: dict[int, float] = field(default_factory=dict)
    ok_times: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    refused: set[int] = field(default_factory=set)
    attempts: Counter[int] = field(default_factory=Counter)
    acked_as_duplicate: int = 0
    gave_up: set[int] = field(default_factory=set)

    async def run(self, start: float) -> None:
        connector = aiohttp.TCPConnector(limit=500)
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            tasks = []
            for i in range(len(self.bodies)):
                due = start + i / self.rate
                self.due.append(due)
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.deliver(session, i, due)))
            await asyncio.gather(*tasks)

    async def deliver(self, session: aiohttp.ClientSession, i: int, due: float) -> None:
        late = time.monotonic() - due
        self.late.append(late)
        if late > self.latest[0]:
            self.latest = (late, due)
        backoff = 0.2
        while True:
            self.attempts[i] += 1
            answer = await self.attempt(session, i)
            if answer == "200":
                return
            if answer == "503":
                self.refused.add(i)
            if time.monotonic() > self.give_up_at:
                self.gave_up.add(i)
                return
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(2.0, backoff * 2)

    async def attempt(self, session: aiohttp.ClientSession, i: int) -> str:
        body = self.bodies[i]
        try:
            async with session.post(
                self.url, data=body, headers={"X-Sandbox-Signature": sign(SECRET, body)}
            ) as r:
                text = await r.text()
                answer = str(r.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            answer = f"no answer ({type(exc).__name__})"
        self.answers[answer] += 1
        if answer == "200":
            now = time.monotonic()
            self.acked_at[i] = now
            self.ok_times.append(now)
            self.acked_as_duplicate += json.loads(text).get("duplicates", 0) > 0
        return answer


class Workers:
    """`chatops worker` processes, each killable and restartable; logs kept per process."""

    def __init__(self, env: dict[str, str], folder: Path, count: int) -> None:
        self.env = env
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self.started = 0

    def start(self, k: int) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.folder / f"worker{k}-{self.started}.log"
        proc = spawn(["-m", "chatops", "--log-level", "WARNING", "worker"], self.env, log)
        self.procs[k] = proc
        return proc

    def kill(self, k: int) -> None:
        proc = self.procs[k]
        if proc is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc is not None:
                stop(proc)


def consumer(proc: subprocess.Popen[bytes]) -> str:
    """The worker's consumer name in the inbound group (chatops.worker.consumer_name)."""
    return f"{socket.gethostname()}-{proc.pid}"


async def pending_of(r: aioredis.Redis, name: str) -> int | None:
    """Entries delivered to the consumer `name` and not acknowledged; None: not a consumer."""
    try:
        rows = await r.xinfo_consumers(keys.INBOUND, keys.INBOUND_GROUP)
    except RedisError:
        return None
    return next((int(c["pending"]) for c in rows if c["name"] == name), None)


async def consuming_within(
    r: aioredis.Redis, name: str, since: float, within: float
) -> float | None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await pending_of(r, name) is not None:
            return time.monotonic() - since
        await asyncio.sleep(0.1)
    return None


async def backlog(r: aioredis.Redis) -> int | None:
    """Inbound entries not yet handed to a worker plus those handed out and not acknowledged.
    Tried twice: the first command after a restart may meet a connection of the old server."""
    for _ in range(2):
        try:
            for g in await r.xinfo_groups(keys.INBOUND):
                if g["name"] != keys.INBOUND_GROUP:
                    continue
                lag = g.get("lag")
                if lag is None:  # Redis cannot tell after a trim: count what is left
                    left = await r.xrange(keys.INBOUND, f"({g['last-delivered-id']}", "+")
                    lag = len(left or [])
                return int(lag) + int(g.get("pending") or 0)
        except RedisError:
            continue
    return None


async def leases(r: aioredis.Redis) -> list[int]:
    """Milliseconds left on each Slack outbox channel lease. A sender that lost Redis while
    draining a channel could not release its lease; the channel waits for it to expire."""
    found = []
    try:
        async for key in r.scan_iter(match=keys.SLACK.lease("*"), count=1000):
            found.append(max(0, int(await r.pttl(key))))
    except RedisError:
        pass
    return found


async def port_open(port: int, within: float) -> None:
    """Like bench._common.wait_port, without blocking the loop (the local Slack runs in it)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise TimeoutError(f"nothing listens on {port}")


async def readers_within(r: aioredis.Redis, count: int, within: float, folder: Path) -> None:
    """Wait until `count` clients read the inbound stream. (A consumer shows in XINFO CONSUMERS
    only once it was handed an entry, so before any traffic its connection is what tells.)"""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        clients = await r.client_list()
        if sum(c.get("cmd") in ("xreadgroup", "xautoclaim") for c in clients) >= count:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the workers did not start: see the logs in {folder}")


class Faults:
    """The injected faults, at fixed shares of the sending time."""

    def __init__(
        self, server: RedisServer, r: aioredis.Redis, workers: Workers, down: float
    ) -> None:
        self.server = server
        self.r = r
        self.workers = workers
        self.down = down
        self.restarts: list[RedisRestart] = []
        self.kills: list[WorkerKill] = []
        self.last = 0.0
        self._watchers: list[asyncio.Task[None]] = []

    async def run(self, start: float, duration: float) -> None:
        n = len(self.workers.procs)
        plan: list[tuple[float, str, int]] = [
            (0.16, "worker", 0),
            (0.28, "redis", 0),
            (0.52, "worker", 1 % n),
            (0.64, "redis", 0),
            (0.84, "worker", 0),
        ]
        for share, what, k in plan:
            await asyncio.sleep(max(0.0, start + share * duration - time.monotonic()))
            if what == "redis":
                await self.restart_redis(start)
            else:
                await self.kill_worker(k, start)
            self.last = time.monotonic()

    async def watched(self) -> None:
        """Wait for the watchers of restarted workers (each gives up after a minute)."""
        await asyncio.gather(*self._watchers)

    async def restart_redis(self, start: float) -> None:
        rr = RedisRestart(killed=time.monotonic())
        self.server.kill()
        print(
            f"  t={rr.killed - start:5.1f}s  Redis SIGKILL; down for {self.down:.1f} s", flush=True
        )
        await asyncio.sleep(self.down)
        rr.started = time.monotonic()
        await self.server.start(within=60)
        rr.ready = time.monotonic()
        rr.backlog = await backlog(self.r)
        rr.leases = await leases(self.r)
        self.restarts.append(rr)
        print(
            f"  t={rr.ready - start:5.1f}s  Redis answering again "
            f"(append-only file loaded in {rr.ready - rr.started:.2f} s; "
            f"{rr.backlog} entries waiting for a worker, {len(rr.leases)} outbox leases held"
            f"{f', up to {max(rr.leases) / 1000:.1f} s left' if rr.leases else ''})",
            flush=True,
        )

    async def kill_worker(self, k: int, start: float) -> None:
        proc = self.workers.procs[k]
        assert proc is not None
        name = consumer(proc)
        pending = await pending_of(self.r, name)
        deadline = time.monotonic() + 5.0
        while not pending and time.monotonic() < deadline:  # mid-batch: entries in its hands
            await asyncio.sleep(0.02)
            pending = await pending_of(self.r, name)
        kill = WorkerKill(time.monotonic(), k, pending)
        self.workers.kill(k)
        self.kills.append(kill)
        print(
            f"  t={kill.at - start:5.1f}s  worker {k} SIGKILL with {pending} entries pending on it;"
            " restarted",
            flush=True,
        )
        fresh = self.workers.start(k)

        async def watch() -> None:
            kill.consuming_after = await consuming_within(self.r, consumer(fresh), kill.at, 60)

        self._watchers.append(asyncio.create_task(watch()))


@dataclass
class Outcome:
    case_of: dict[int, str]  # acknowledged mention index -> its case id (stored ones only)
    posts: dict[str, list[float]]  # case id -> times of the chat.postMessage that showed it


def shown(slack: FakeSlack, channels: list[str]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for ch in channels:
        for m in slack.messages(ch):
            meta = m.get("metadata") or {}
            if meta.get("event_type") == "chatops_case":
                counts[meta["event_payload"]["case_id"]] += 1
    return dict(counts)


async def cases_of(r: aioredis.Redis, mention_keys: list[str]) -> list[str | None]:
    out: list[str | None] = []
    for lo in range(0, len(mention_keys), 1000):
        pipe = r.pipeline(transaction=False)
        for key in mention_keys[lo : lo + 1000]:
            pipe.hget(keys.bucket(keys.MENTION_CASES, key), key)
        out += [None if v is None else str(v) for v in await pipe.execute()]
    return out


async def drain(
    r: aioredis.Redis,
    slack: FakeSlack,
    channels: list[str],
    load: Load,
    mention_keys: list[str],
    faults: Faults,
    settle: float,
    limit: float,
) -> tuple[float, float | None]:
    """Wait until every acknowledged mention is a case shown in Slack, or until nothing moves
    for `settle` seconds (longer than a dead worker's entries wait to be taken over). Returns
    how long it waited and when every acknowledged mention was first seen stored."""
    began = time.monotonic()
    all_stored: float | None = None
    last_change, before = began, (-1, -1)
    while time.monotonic() - began < limit:
        acked = sorted(load.acked_at)
        try:
            found = await cases_of(r, [mention_keys[i] for i in acked])
        except RedisError:
            await asyncio.sleep(1)
            continue
        stored = {c for c in found if c not in (None, keys.PENDING)}
        on_slack = shown(slack, channels)
        now = (len(stored), len(on_slack))
        if now != before:
            before, last_change = now, time.monotonic()
        if len(stored) == len(acked) and all_stored is None:
            all_stored = time.monotonic()
        if len(stored) == len(acked) and stored <= set(on_slack):
            await asyncio.sleep(3)  # anything doubled late shows up now
            break
        quiet = time.monotonic() - max(last_change, faults.last)
        if quiet > settle:
            break
        await asyncio.sleep(2)
    return time.monotonic() - began, all_stored


async def keys_in(r: aioredis.Redis, stream: str) -> set[str]:
    """The mention keys of the entries of `stream`."""
    found = set()
    for _, fields in await r.xrange(stream) or []:
        try:
            found.add(Mention.model_validate_json((fields or {}).get("m", "")).key)
        except ValueError:
            pass
    return found


async def report(
    r: aioredis.Redis,
    slack: FakeSlack,
    channels: list[str],
    load: Load,
    faults: Faults,
    mention_keys: list[str],
    start: float,
    drained: float,
    all_stored: float | None,
) -> None:
    acked = sorted(load.acked_at)
    found = dict(zip(acked, await cases_of(r, [mention_keys[i] for i in acked]), strict=True))
    dead_keys = await keys_in(r, keys.DEAD)
    in_stream = await keys_in(r, keys.INBOUND)
    lost: Counter[str] = Counter()
    case_of: dict[int, str] = {}
    for i, case_id in found.items():
        key = mention_keys[i]
        if case_id is None:
            lost["no trace in Redis"] += 1
        elif case_id == keys.PENDING:
            where = (
                "dead-lettered"
                if key in dead_keys
                else "still in the stream"
                if key in in_stream
                else "marked accepted, gone from the stream"
            )
            lost[where] += 1
        else:
            raw = await r.get(keys.case(case_id))
            if raw is None or key not in parse(case_id, raw).case.mention_keys:
                lost["case missing"] += 1
            else:
                case_of[i] = case_id
    on_slack = shown(slack, channels)
    cases = set(case_of.values())
    never = sorted(cases - set(on_slack), key=int)
    twice = {c: n for c, n in on_slack.items() if n > 1}
    posts: dict[str, list[float]] = {}
    post_calls = slack.calls_to("chat.postMessage")
    for call in post_calls:
        meta = call.args.get("metadata") or {}
        if isinstance(meta, str):
            meta = json.loads(meta)
        if call.ok and meta.get("event_type") == "chatops_case":
            posts.setdefault(meta["event_payload"]["case_id"], []).append(call.at)

    n = len(load.bodies)
    print(f"\nsending: {n} webhooks in {load.due[-1] - load.due[0]:.1f} s on a fixed schedule")
    print(
        f"  first attempts late by p50 {percentile(load.late, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(load.late, 0.99) * 1000:.0f} ms, max {max(load.late) * 1000:.0f} ms"
        f" (due at t={load.latest[1] - start:.1f}s)"
    )
    print("webhooks")
    print(f"  acknowledged (200)              : {len(acked)} of {n}")
    print(
        f"    of which answered duplicate   : {load.acked_as_duplicate} "
        "(stored by an attempt whose answer was lost or refused)"
    )
    retried = len(load.refused)
    most = max((load.attempts[i] for i in load.refused), default=0)
    print(
        f"  refused (503) and retried       : {load.answers['503']} answers to {retried} webhooks,"
        f" all retried until accepted (at most {most} attempts)"
    )
    others = {a: c for a, c in load.answers.items() if a not in ("200", "503")}
    print(f"  other answers                   : {others or 'none'}")
    print(f"  never acknowledged (gave up)    : {len(load.gave_up)}")
    print(f"outcome, {drained:.0f} s after the last webhook was acknowledged")
    print(f"  stored (a case holds it)        : {len(case_of)} of {len(acked)} acknowledged")
    detail = ", ".join(f"{k} {v}" for k, v in sorted(lost.items())) or "none"
    print(f"  acknowledged and lost           : {sum(lost.values())}   target 0   ({detail})")
    print(f"  cases                           : {len(cases)}")
    print(f"  never shown in chat             : {len(never)}   target 0")
    print(
        f"  shown twice                     : {sum(n - 1 for n in twice.values())} extra messages"
        f" for {len(twice)} cases   target 0"
    )
    failed = [c for c in post_calls if not c.ok]
    print(f"  Slack chat.postMessage calls    : {len(post_calls)} ({len(failed)} refused)")
    last_post = max((min(ts) for ts in posts.values()), default=None)
    print(
        f"  every acknowledged mention stored by t={_s(all_stored, start)}, "
        f"last case posted at t={_s(last_post, start)} (worker and outbox throughput, "
        "not only recovery)"
    )
    for case_id in never[:5]:
        marks = await r.hgetall(keys.SLACK.case(case_id))
        where = await r.hget(keys.bucket(keys.SLACK.where, case_id), case_id)
        print(
            f"    never shown: case #{case_id}, its Slack marks: {marks or 'none'}, "
            f"its message: {where or 'none'}"
        )
    for case_id, count in list(twice.items())[:5]:
        print(f"    shown {count} times: case #{case_id}")

    print("recovery after each Redis restart (from the moment it answered again)")
    for k, rr in enumerate(faults.restarts, 1):
        ok = min((t for t in load.ok_times if t >= rr.ready), default=None)
        first_post = min((t for ts in posts.values() for t in ts if t >= rr.ready), default=None)
        fresh = [
            min(posts[c])
            for i, c in case_of.items()
            if load.due[i] >= rr.ready and c in posts and min(posts[c]) >= rr.ready
        ]
        sent_after = any(due >= rr.ready for due in load.due)
        new_post = _s(min(fresh, default=None), rr.ready) if sent_after else "(none sent after)"
        print(
            f"  restart {k} (t={rr.killed - start:.1f}s, down {rr.ready - rr.killed:.1f} s, "
            f"{rr.backlog} entries waiting): "
            f"first 200 after {_s(ok, rr.ready)}, "
            f"first case posted after {_s(first_post, rr.ready)}, "
            f"first case of a mention sent after the restart posted after {new_post}"
        )
    print("workers killed mid-batch")
    for kill in faults.kills:
        after = f"{kill.consuming_after:.1f} s" if kill.consuming_after is not None else "never"
        print(
            f"  t={kill.at - start:5.1f}s worker {kill.index}: {kill.pending} entries pending"
            f" on it; its successor consuming after {after} (a dead worker's entries are"
            f" taken over after {CLAIM_IDLE_S:.0f} s idle)"
        )


def _s(t: float | None, since: float) -> str:
    return "never" if t is None else f"{t - since:.2f} s"


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="chatops-faults-"))
    server = RedisServer(folder, "--appendonly", "yes", "--appendfsync", args.fsync)
    await server.start()
    r = aioredis.from_url(server.url, decode_responses=True)
    policy = (await r.config_get("appendfsync"))["appendfsync"]
    slack = TimedSlack(clock=time.monotonic)
    await slack.start()
    channels = [f"C0FLT{k:04d}" for k in range(args.channels)]
    (folder / "chatops.yaml").write_text(config(channels))
    port = free_port()
    env = {
        "REDIS_URL": server.url,
        "PORT": str(port),
        "CHATOPS_CONFIG": str(folder / "chatops.yaml"),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack.url,
        "SANDBOX_SECRET": SECRET,
    }
    run = uuid.uuid4().hex[:8]
    bodies = [json.dumps(mention(run, i, args.channels)).encode() for i in range(args.webhooks)]
    mention_keys = [f"sandbox:{run}-{i}" for i in range(args.webhooks)]
    duration = args.webhooks / args.rate
    print(
        f"faults: {args.webhooks} signed sandbox webhooks at {args.rate:.0f}/s "
        f"({duration:.0f} s), 1 web + {args.workers} worker processes, "
        f"{args.channels} Slack channels"
    )
    print(
        f"  Redis: its own redis-server, appendonly yes, appendfsync {policy} "
        + (
            "(every acknowledged write is on disk before Redis answers)"
            if policy == "always"
            else "(a killed redis-server keeps what reached the kernel; a machine crash may not)"
        )
    )
    print(f"  logs of the processes: {folder}")
    web = spawn(["-m", "chatops", "--log-level", "WARNING", "web"], env, folder / "web.log")
    workers = Workers(env, folder, args.workers)
    try:
        await port_open(port, 60)
        for k in range(args.workers):
            workers.start(k)
        await readers_within(r, args.workers, 60, folder)
        load = Load(f"http://127.0.0.1:{port}/webhooks/sandbox", bodies, args.rate)
        faults = Faults(server, r, workers, args.redis_down)
        start = time.monotonic() + 0.2
        load.give_up_at = start + duration + args.drain_max
        print("faults injected:")
        await asyncio.gather(load.run(start), faults.run(start, duration))
        drained, all_stored = await drain(
            r, slack, channels, load, mention_keys, faults, args.settle, args.drain_max
        )
        await faults.watched()
        await report(r, slack, channels, load, faults, mention_keys, start, drained, all_stored)
        if web.poll() is not None:
            print(f"  the web process exited ({web.returncode}): see {folder / 'web.log'}")
    finally:
        workers.stop_all()
        stop(web)
        await r.aclose()
        await slack.stop()
        server.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--webhooks", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--channels", type=int, default=250)
    ap.add_argument(
        "--fsync",
        choices=["always", "everysec"],
        default="always",
        help="the append-only file's fsync policy",
    )
    ap.add_argument("--redis-down", type=float, default=3.0, help="seconds Redis stays down")
    ap.add_argument(
        "--settle",
        type=float,
        default=CLAIM_IDLE_S + 15,
        help="stop waiting when nothing moved for this long after the last fault",
    )
    ap.add_argument("--drain-max", type=float, default=600.0)
    asyncio.run(main(ap.parse_args()))
