"""The worker role over a real Redis: it survives the store being wiped, Redis going away and
coming back, and it keeps its consumer group free of dead consumers.

A worker runs as `chatops worker` runs it (`Worker.run` until a stop event); the tests wait by
polling with a deadline.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from chatops import keys, runtime
from chatops.config import Config
from chatops.processes import web_app
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Every, Worker
from tests.conftest import Clock, System
from tests.fakes import RecordingChat, mention_json, signed
from tests.fakes.redis import RedisServer
from tests.fakes.wait import eventually

needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server"
)


class Running:
    """A worker task, stopped and awaited at the end (no task outlives its test)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(worker.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def running(system: System) -> AsyncIterator[Running]:
    assert system.rt.pipeline is not None
    worker = Worker(
        system.rt.store.inbound, system.rt.pipeline, system.rt.metrics, consumer="w1", block_ms=20
    )
    r = Running(worker)
    try:
        yield r
    finally:
        await r.close()


async def _post(system: System, n: int) -> None:
    r = await system.post(mention_json(f"m-{n}", f"post-{n}", f"Var är min beställning {n}?"))
    assert r.status == 200, await r.text()


def _has_case(system: System, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await system.rt.store.indexes.case_for_mention(f"sandbox:m-{n}") is not None

    return check


async def test_a_wiped_store_gets_its_group_back_and_the_next_mention_a_case(
    system: System, running: Running
) -> None:
    await _post(system, 1)
    await eventually(_has_case(system, 1))
    await system.rt.store.redis.flushdb()
    await _post(system, 2)
    await eventually(_has_case(system, 2))
    assert not running.task.done()


async def test_every_wipe_is_survived(system: System, running: Running) -> None:
    await _post(system, 1)
    await eventually(_has_case(system, 1))
    for n in range(2, 5):
        await system.rt.store.redis.flushdb()
        await _post(system, n)
        await eventually(_has_case(system, n))


def _worker_lines(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "chatops.worker" and words in r.getMessage()]


@needs_redis_server
async def test_an_outage_logs_one_line_going_down_and_one_coming_back(
    tmp_path: Path, config: Config, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chatops.worker")
    server = RedisServer(tmp_path)
    await server.start()
    store = Store(aioredis.from_url(server.url, decode_responses=True))
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret"})
    rt = await runtime.start(settings, config, store=store, chat=RecordingChat(), clock=clock)
    assert rt.pipeline is not None
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    worker = Worker(
        rt.store.inbound, rt.pipeline, rt.metrics, consumer="w1", block_ms=20, retry_pause=0.01
    )
    running = Running(worker)

    async def deliver(n: int) -> None:
        """Like a platform: retried until the webhook is answered 200 (503 while Redis is away)."""
        raw, headers = signed(mention_json(f"m-{n}", f"post-{n}", f"Var är paketet {n}?"))

        async def accepted() -> bool:
            r = await client.post("/webhooks/sandbox", data=raw, headers=headers)
            return r.status == 200

        await eventually(accepted)

    async def recorded(n: int) -> bool:
        return await rt.store.indexes.case_for_mention(f"sandbox:m-{n}") is not None

    try:
        await deliver(1)
        await eventually(lambda: recorded(1))
        server.kill()

        async def retried_a_while() -> bool:
            return worker.outage.failures >= 20

        await eventually(retried_a_while)
        await server.start()
        await deliver(2)  # the restarted server kept nothing: a new stream, no group yet
        await eventually(lambda: recorded(2))
    finally:
        await running.close()
        await client.close()
        await rt.close()
        server.stop()
    down = _worker_lines(caplog, "Redis unavailable")
    back = _worker_lines(caplog, "Redis reachable again")
    assert len(down) == 1 and len(back) == 1
    assert down[0].levelno == logging.ERROR and back[0].levelno == logging.WARNING
    assert "retries" in back[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    ("seconds", "times", "due"),
    [
        (5.0, [0.0, 4.9, 5.0, 9.9, 10.0], [True, False, True, False, True]),
        (5.0, [100.0, 100.0, 104.0, 106.0, 110.0, 111.0], [True, False, False, True, False, True]),
        (60.0, [0.0, 30.0, 59.999, 60.0, 500.0, 501.0], [True, False, False, True, True, False]),
    ],
)
def test_every(seconds: float, times: list[float], due: list[bool]) -> None:
    every = Every(seconds)
    assert [every.due(t) for t in times] == due


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_periodic_work_runs_on_time_not_on_loop_counts(system: System) -> None:
    assert system.rt.pipeline is not None
    clock = Monotonic()
    worker = Worker(
        system.rt.store.inbound, system.rt.pipeline, system.rt.metrics, block_ms=1, monotonic=clock
    )
    await system.rt.store.inbound.ensure_group()
    redis = system.rt.store.redis
    ran: dict[float, list[str]] = {}
    for n, at in enumerate([0.0, 1.0, 4.9, 5.0, 30.0, 59.9, 60.0, 61.0]):
        await _post(system, n)
        while await worker.run_once():
            pass
        clock.now = 1000.0 + at
        ran[at] = await worker.periodic()
        if at == 59.9:
            assert await redis.xlen(keys.INBOUND) > 2, "trimmed before its time"
    assert ran == {
        0.0: ["retries", "storms", "publish to all", "housekeeping"],
        1.0: ["publish to all"],  # a job a platform told to wait a second goes on then
        4.9: ["publish to all"],
        5.0: ["retries"],
        30.0: ["retries", "storms", "publish to all"],
        59.9: ["retries", "storms", "publish to all"],
        60.0: ["housekeeping"],
        61.0: ["publish to all"],
    }
    assert await redis.xlen(keys.INBOUND) <= 2


async def test_dead_consumers_leave_the_group_once_nothing_is_pending(system: System) -> None:
    assert system.rt.pipeline is not None
    redis = system.rt.store.redis
    await system.rt.store.inbound.ensure_group()
    await _post(system, 1)
    await redis.xreadgroup(keys.INBOUND_GROUP, "gone-busy", {keys.INBOUND: ">"}, count=1)
    for name in ("gone-idle", "w1"):
        await redis.xgroup_createconsumer(keys.INBOUND, keys.INBOUND_GROUP, name)

    async def consumers() -> set[str]:
        return {c["name"] for c in await redis.xinfo_consumers(keys.INBOUND, keys.INBOUND_GROUP)}

    clock = Monotonic()
    patient = Worker(system.rt.store.inbound, system.rt.pipeline, system.rt.metrics, consumer="w1")
    assert await patient.periodic() == ["retries", "storms", "publish to all", "housekeeping"]
    assert await consumers() == {"gone-busy", "gone-idle", "w1"}, "an hour has not passed"

    worker = Worker(
        system.rt.store.inbound,
        system.rt.pipeline,
        system.rt.metrics,
        consumer="w1",
        block_ms=1,
        claim_idle_ms=3_600_000,
        dead_consumer=timedelta(milliseconds=2),
        monotonic=clock,
    )

    def left(expected: set[str]) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            clock.now += 60
            await worker.periodic()
            return await consumers() == expected

        return check

    await eventually(left({"gone-busy", "w1"}))  # its entry is still pending: it stays
    worker.claim_idle_ms = 0  # the entry is taken over, as from any dead worker
    assert await worker.run_once() == 1
    assert await system.rt.store.indexes.case_for_mention("sandbox:m-1") is not None
    await eventually(left({"w1"}))
