"""The worker role over a real Redis: it survives the store being wiped, Redis going away and
coming back, and it keeps its consumer group free of dead consumers.

A worker runs as `chatops worker` runs it (`Worker.run` until a stop event); the tests wait by
polling with a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from chatops.worker import Worker
from tests.conftest import System
from tests.fakes import mention_json


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s")
        await asyncio.sleep(0.01)


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
        system.rt.store, system.rt.pipeline, system.rt.metrics, consumer="w1", block_ms=20
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
        return await system.rt.store.case_for_mention(f"sandbox:m-{n}") is not None

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
