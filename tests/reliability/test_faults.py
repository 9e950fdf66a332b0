"""Redis going away, and Redis refusing writes: a webhook is either stored and acknowledged,
or refused so that the platform retries. Never acknowledged and lost.

Each test runs a redis-server of its own (tests/fakes/redis.py): the shared one is never
killed or filled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from chatops import runtime
from chatops.chat import CaseEvent, CaseView, EventKind
from chatops.config import Config
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from tests.conftest import Clock
from tests.fakes import RecordingChat, mention_json, signed
from tests.fakes.redis import RedisServer, assemble_on

pytestmark = pytest.mark.skipif(
    __import__("shutil").which("redis-server") is None, reason="needs redis-server"
)


@pytest.fixture
async def durable(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A server that writes every command to its append-only file before answering."""
    async with RedisServer(tmp_path, "--appendonly", "yes", "--appendfsync", "always") as server:
        yield server


async def _post(client: TestClient, i: int) -> int:
    mention = mention_json(f"m-{i}", f"post-{i}", f"Fråga nummer {i}?", author=f"u-{i}")
    raw, headers = signed(mention)
    response = await client.post("/webhooks/sandbox", data=raw, headers=headers)
    return response.status


async def _drain(rt: Runtime) -> None:
    assert rt.pipeline is not None
    worker = Worker(rt.store.inbound, rt.pipeline, rt.metrics, consumer="test", block_ms=1)
    await rt.store.inbound.ensure_group()
    while await worker.run_once():
        pass


async def test_redis_killed_and_restarted_loses_nothing_acknowledged(
    durable: RedisServer, config: Config, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    rt, chat = await assemble_on(durable.url, config, clock)
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    acknowledged: set[int] = set()
    try:
        for i in range(20):
            if await _post(client, i) == 200:
                acknowledged.add(i)
        durable.kill()
        refused = [i for i in range(20, 30) if await _post(client, i) != 200]
        assert refused == list(range(20, 30)), "nothing may be acknowledged while Redis is down"
        assert {await _post(client, i) for i in range(20, 30)} == {503}
        await durable.start()
        for i in range(20, 40):  # the platform retries what was refused, then sends more
            if await _post(client, i) == 200:
                acknowledged.add(i)
        await _drain(rt)
    finally:
        await client.close()
        await rt.close()

    assert acknowledged == set(range(40))
    said = [r.getMessage() for r in caplog.records if r.name == "chatops.web"]
    assert len([m for m in said if "Redis unavailable" in m]) == 1  # 20 refusals, one line
    assert len([m for m in said if "Redis reachable again" in m]) == 1
    created = [v.case.id for v, e in chat.shown if e.kind is EventKind.CREATED]
    assert len(created) == len(set(created)) == 40, "every mention one case, shown once"
    conversations = {v.case.conversation_id for v, e in chat.shown}
    assert conversations == {f"post-{i}" for i in range(40)}


async def test_a_full_redis_refuses_the_webhook_until_memory_is_free(
    tmp_path: Path, config: Config, clock: Clock
) -> None:
    server = RedisServer(tmp_path, "--maxmemory-policy", "noeviction")
    await server.start()
    admin = aioredis.from_url(server.url)
    rt, chat = await assemble_on(server.url, config, clock)
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        assert await _post(client, 1) == 200
        await admin.config_set("maxmemory", "100kb")  # less than it holds: every write refused
        with pytest.raises(aioredis.ResponseError, match="maxmemory"):
            await admin.set("probe", "x")
        during = {i: await _post(client, i) for i in range(2, 7)}
        assert set(during.values()) == {503}  # refused: Meta/X/Viber retry later
        await admin.config_set("maxmemory", "0")  # memory is free again
        for i in during:
            assert await _post(client, i) == 200
        await _drain(rt)
    finally:
        await client.close()
        await rt.close()
        await admin.aclose()
        server.stop()
    created = {v.case.conversation_id for v, e in chat.shown if e.kind is EventKind.CREATED}
    assert created == {f"post-{i}" for i in range(1, 7)}


class ChatLosingItsStore(RecordingChat):
    """A chat backend whose Redis (its outbox) goes away for the first `fail` shows."""

    def __init__(self, fail: int) -> None:
        super().__init__()
        self.fail = fail

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        if self.fail:
            self.fail -= 1
            raise aioredis.ConnectionError("outbox unreachable")
        await super().show(view, event)


async def test_a_case_saved_but_never_queued_for_chat_is_shown_on_redelivery(
    store: Store, config: Config, clock: Clock
) -> None:
    """The crash window between saving a case and queueing its chat post: the stream entry is
    not acknowledged, and its redelivery shows the case instead of skipping a duplicate."""
    chat = ChatLosingItsStore(fail=1)
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret"})
    rt = await runtime.start(settings, config, store=store, chat=chat, clock=clock)
    assert rt.pipeline is not None
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        assert await _post(client, 1) == 200
        first = Worker(store.inbound, rt.pipeline, rt.metrics, consumer="dies", block_ms=1)
        await store.inbound.ensure_group()
        with pytest.raises(aioredis.ConnectionError):
            await first.run_once()
        assert chat.shown == []
        assert (await store.cases.get("1001")) is not None  # saved, not yet shown
        other = Worker(store.inbound, rt.pipeline, rt.metrics, consumer="next", claim_idle_ms=0)
        while await other.run_once():
            pass
    finally:
        await client.close()
        await rt.http.aclose()
    assert [(v.case.id, e.kind) for v, e in chat.shown] == [("1001", EventKind.CREATED)]
    assert await store.inbound.lag() == 0
