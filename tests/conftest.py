"""Shared fixtures: a real Redis (a database of its own per test), a test config, a clock,
fake platforms.

Redis: CHATOPS_TEST_REDIS_URL, default the local server. Never REDIS_URL: that holds a user's
data. Each test leases one of the server's numbered databases (1-15) with a key in the URL's own
database, so two test runs on one Redis never flush each other's data.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from chatops import runtime
from chatops.config import Config, load_config_text
from chatops.domain import Case
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from chatops.workflow.service import Workflow
from escalation.scheduler import Clock as Scheduler
from tests.fakes import RecordingChat, SandboxPlatform, signed

TEST_REDIS_URL = os.environ.get("CHATOPS_TEST_REDIS_URL") or "redis://127.0.0.1:6379"
LEASED_DATABASES = range(1, 16)
LEASE_S = 900  # longer than any one test; a crashed run's leases expire by themselves

TEST_CONFIG = """
timezone: Europe/Stockholm
brand: Acme
chat: {backend: console}
platforms:
  sandbox: {}
departments:
  - id: social
    name: Social team
    channel: "#social"
    languages: [sv, en, "no", da]
    escalate_to: [lead]
    sla: {claim: 15m, first_response: 60m, approval: 30m}
  - {id: billing, name: Billing, channel: "#billing", languages: [sv, en]}
  - {id: support-de, name: Kundendienst, channel: "#support-de", languages: [de]}
  - {id: support-hr, name: Podrška, channel: "#support-hr", languages: [hr]}
  - {id: support-ru, name: Поддержка, channel: "#support-ru", languages: [ru]}
  - {id: legal, name: Legal, channel: "#legal"}
routing:
  rules:
    - {match: {keywords: [faktura, invoice, refund, Rechnung, račun, счёт]}, to: billing}
    - {match: {language: de}, to: support-de}
    - {match: {language: hr}, to: support-hr}
    - {match: {language: ru}, to: support-ru}
  default: social
approval:
  approvers: [comms, comms2]
  sensitive_keywords: [lawsuit, GDPR, journalist, police, injury, advokat]
  min_followers: 10000
  departments: [legal]
escalation:
  - {after: claim, notify: channel}
  - {after: first_response, notify: escalate_to}
  - {after: 4h, notify: approvers}
"""


class Clock:
    """A settable clock: tests move time, nothing sleeps."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config() -> Config:
    return load_config_text(TEST_CONFIG, source="test.yaml")


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env({"SANDBOX_SECRET": "test-secret"})


def _with_db(url: str, db: int) -> str:
    parsed = urlsplit(url)
    return urlunsplit(parsed._replace(path=f"/{db}"))


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The URL of a database leased to this test alone, empty at start and flushed after."""
    base = aioredis.from_url(TEST_REDIS_URL, decode_responses=True)
    token = secrets.token_hex(8)
    try:
        for db in LEASED_DATABASES:
            lease = f"chatops-test:lease:{db}"
            if await base.set(lease, token, nx=True, ex=LEASE_S):
                break
        else:
            pytest.fail(f"all test databases of {TEST_REDIS_URL} are leased by other runs")
        url = _with_db(TEST_REDIS_URL, db)
        client = aioredis.from_url(url)
        await client.flushdb()
        try:
            yield url
        finally:
            await client.flushdb()
            await client.aclose()
            if await base.get(lease) == token:
                await base.delete(lease)
    finally:
        await base.aclose()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def store(redis: aioredis.Redis) -> Store:
    return Store(redis)


@dataclass
class System:
    """The product assembled as `chatops run` assembles it, around fakes at its edges."""

    rt: Runtime
    chat: RecordingChat
    platform: SandboxPlatform
    client: TestClient
    clock: Clock
    redis_url: str  # the test's own database, for a second process or a subprocess

    @property
    def wf(self) -> Workflow:
        return self.rt.wf

    def scheduler(self, **kw: Any) -> Scheduler:
        """A scheduler process's escalation scheduler on this system, on the test's clock
        (not started: tests run its jobs themselves)."""
        rt = self.rt
        return Scheduler(rt.wf, self.chat, rt.store, rt.config, rt.adapters, clock=self.clock, **kw)

    async def post(self, body: Any, secret: str = "test-secret") -> Any:
        raw, headers = signed(body, secret)
        return await self.client.post("/webhooks/sandbox", data=raw, headers=headers)

    async def drain(self) -> int:
        """Let a worker process everything in the stream (no waiting on time)."""
        worker = Worker(
            self.rt.store.inbound, self.rt.pipeline, self.rt.metrics, consumer="test", block_ms=1
        )
        await self.rt.store.inbound.ensure_group()
        total = 0
        while n := await worker.run_once():
            total += n
        return total

    async def ingest(self, *items: dict[str, Any]) -> None:
        r = await self.post(list(items))
        assert r.status == 200, await r.text()
        await self.drain()

    async def case_of(self, conversation: str) -> Case:
        case_id, _ = await self.rt.store.cases.resolve_id(f"sandbox:acme:{conversation}")
        case = await self.rt.store.cases.get(case_id)
        assert case is not None
        return case


@pytest.fixture
async def system(
    store: Store, config: Config, clock: Clock, redis_url: str
) -> AsyncIterator[System]:
    platform = SandboxPlatform()
    url = await platform.start()
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret", "SANDBOX_API_URL": url})
    chat = RecordingChat()
    # Short reads make a slow platform fail fast; a connect to the local server is given
    # time, so a busy test machine is not taken for an unreachable platform.
    http = httpx.AsyncClient(timeout=httpx.Timeout(0.5, connect=5.0))
    rt = await runtime.start(settings, config, store=store, chat=chat, http=http, clock=clock)
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield System(rt, chat, platform, client, clock, redis_url)
    finally:
        await client.close()
        await platform.stop()
        await http.aclose()
