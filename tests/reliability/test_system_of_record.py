"""Redis as the system of record, seen from outside: a wiped store is noticed and survived
without reusing case numbers, Redis refusing writes never dead-letters a mention, the
dead-letter stream can be replayed, a stop lets a publish under way finish, metrics of every
role are served, and Redis is reached through Sentinel.

Fault tests run a redis-server of their own (tests/fakes/redis.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from adapters.base import Skipped, SkipReason
from adapters.sandbox import parse_items
from chatops import keys, runtime
from chatops.chat import EventKind
from chatops.config import Config
from chatops.domain import Mention, State, utcnow
from chatops.processes import run_roles, web_app
from chatops.redis_checks import WipeWatch
from chatops.replay import replay_dead
from chatops.sentinel import SentinelTarget, parse_sentinel_url
from chatops.settings import Settings
from chatops.store import Store, connect
from chatops.worker import Worker
from escalation.scheduler import Clock as SchedulerClock
from tests.conftest import TEST_CONFIG, Clock, System
from tests.fakes import RecordingChat, SandboxPlatform, mention_json, signed
from tests.fakes.redis import RedisServer, assemble_on
from tests.fakes.server import free_port
from tests.fakes.slack import FakeSlack, interaction_body, slack_headers
from tests.fakes.wait import eventually
from tests.slack.test_slack import SECRET as SLACK_SECRET
from tests.slack.test_slack import SLACK_CONFIG

SLACK_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "slack"

needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server"
)


def _wipe_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "the Redis data was wiped" in r.getMessage()]


# -- a wiped store ---------------------------------------------------------------------------


async def test_readyz_fails_and_the_log_says_so_once_when_the_store_is_wiped(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await system.client.get("/readyz")).status == 200  # claims the epoch
    await system.rt.store.redis.flushdb()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        answer = await system.client.get("/readyz")
        assert answer.status == 503
        assert "the Redis data was wiped" in await answer.text()
    [line] = _wipe_lines(caplog)
    assert line.levelno == logging.ERROR
    assert await system.rt.store.redis.get(keys.EPOCH), "a new epoch, so the process carries on"


async def test_the_worker_loop_and_the_scheduler_notice_a_wipe(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    wipes = system.rt.wipes
    assert system.rt.pipeline is not None and wipes is not None
    await wipes.start()
    worker = Worker(
        system.rt.store.inbound,
        system.rt.pipeline,
        system.rt.metrics,
        consumer="w",
        block_ms=1,
        wipes=wipes,
        wipe_check_every=0,
    )
    await system.rt.store.inbound.ensure_group()
    await system.rt.store.redis.flushdb()
    caplog.set_level(logging.INFO)
    assert "wipe check" in await worker.periodic()
    assert len(_wipe_lines(caplog)) == 1
    assert await system.rt.store.redis.exists(keys.INBOUND), "the group is back"
    problems = await system.rt.store.problems.current(utcnow())
    assert "wiped" in problems["redis"]

    other = WipeWatch(system.rt.store)  # the scheduler of another process
    await other.start()
    scheduler = SchedulerClock(
        system.wf,
        system.chat,
        system.rt.store,
        system.rt.config,
        system.rt.adapters,
        clock=system.clock,
        wipes=other,
    )
    assert not await scheduler.check_wipe()
    await system.rt.store.redis.flushdb()
    assert await scheduler.check_wipe()
    assert len(_wipe_lines(caplog)) == 2
    assert not await scheduler.check_wipe(), "once per wipe"


async def test_case_numbers_go_on_above_the_old_ones_after_a_wipe(system: System) -> None:
    for n in range(3):
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", f"Fråga {n}?", author=f"u-{n}"))
    before = [int((await system.case_of(f"post-{n}")).id) for n in range(3)]
    assert before == [1001, 1002, 1003]
    await system.rt.store.redis.flushdb()
    await system.ingest(mention_json("m-new", "post-new", "En ny fråga?", author="u-new"))
    after = await system.case_of("post-new")
    assert int(after.id) > max(before)
    assert [v.case.id for v, _ in system.chat.shown][-1] == after.id


async def test_a_process_that_saw_higher_numbers_raises_a_reseeded_sequence(
    store: Store, redis_url: str
) -> None:
    """Two processes after a wipe: the one that knew less re-seeds first, the other still
    numbers above everything it saw."""
    other = Store(aioredis.from_url(redis_url, decode_responses=True))
    try:
        for n in range(5):
            await store.cases.resolve_id(f"c:{n}")  # 1001..1005, seen by `store` only
        await other.cases.resolve_id("c:0")  # `other` saw 1001 only
        await store.redis.flushdb()
        low, _ = await other.cases.resolve_id("c:new-1")
        high, _ = await store.cases.resolve_id("c:new-2")
        assert int(low) == 1002 and int(high) == 1006
    finally:
        await other.close()


# -- Redis refusing writes ---------------------------------------------------------------------


@needs_redis_server
async def test_a_full_redis_never_sends_an_acknowledged_mention_to_the_dead_letters(
    tmp_path: Path, config: Config, clock: Clock
) -> None:
    server = RedisServer(tmp_path, "--maxmemory-policy", "noeviction")
    await server.start()
    admin = aioredis.from_url(server.url)
    rt, chat = await assemble_on(server.url, config, clock)
    assert rt.pipeline is not None
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        for i in range(8):
            raw, headers = signed(
                mention_json(f"m-{i}", f"post-{i}", f"Fråga {i}?", author=f"u{i}")
            )
            assert (await client.post("/webhooks/sandbox", data=raw, headers=headers)).status == 200
        await rt.store.inbound.ensure_group()
        await admin.config_set("maxmemory", "100kb")  # every write refused from now on
        worker = Worker(rt.store.inbound, rt.pipeline, rt.metrics, consumer="w", block_ms=1)
        worker.claim_idle_ms = 0
        for _ in range(30):  # each round reads or reclaims the entries, and fails to write
            with pytest.raises(aioredis.ResponseError, match="maxmemory"):
                await worker.run_once()
        pending = await admin.xpending_range(keys.INBOUND, keys.INBOUND_GROUP, "-", "+", 100)
        assert len(pending) == 8
        assert min(int(p["times_delivered"]) for p in pending) > worker.max_deliveries
        await admin.config_set("maxmemory", "0")
        while await worker.run_once():
            pass
        dead = await admin.xlen(keys.DEAD)
        lag = await rt.store.inbound.lag()
    finally:
        await client.close()
        await rt.close()
        await admin.aclose()
        server.stop()
    created = {v.case.conversation_id for v, e in chat.shown if e.kind is EventKind.CREATED}
    assert created == {f"post-{i}" for i in range(8)}
    assert dead == 0 and lag == 0


class DetailsUnavailable:
    """A platform whose API for the details of a mention keeps failing (as Graph does when it
    answers 500): the pipeline's own failure, not Redis refusing a write."""

    name = "sandbox"

    async def enrich(self, mention: Mention) -> Mention:
        raise RuntimeError("the platform answered 500")


async def test_the_pipeline_failing_still_dead_letters_after_max_deliveries(
    store: Store, config: Config, clock: Clock
) -> None:
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret"})
    rt = await runtime.start(settings, config, store=store, chat=RecordingChat(), clock=clock)
    assert rt.pipeline is not None
    rt.adapters["sandbox"] = DetailsUnavailable()  # type: ignore[assignment]
    try:
        await store.inbound.append([_mention("m-1", "post-1")])
        await store.inbound.ensure_group()
        worker = Worker(
            store.inbound, rt.pipeline, rt.metrics, consumer="w", block_ms=1, claim_idle_ms=0
        )
        for _ in range(6):
            await worker.run_once()
        dead = await store.inbound.dead_letters()
        assert len(dead) == 1 and dead[0][1]["reason"] == "failed 5 times"
        assert await store.inbound.lag() == 0
        assert not await store.redis.hgetall(f"{keys.G}:inbound:failures"), "forgotten on ack"
    finally:
        await rt.http.aclose()


def _mention(mid: str, conversation: str, text: str = "Hur gör jag?") -> Mention:
    [m] = parse_items(json.dumps(mention_json(mid, conversation, text)).encode())
    return m


# -- replaying the dead-letter stream -----------------------------------------------------------


async def test_replay_dead_puts_dead_letters_back_and_keeps_what_cannot_go(system: System) -> None:
    store = system.rt.store
    await store.inbound.ensure_group()
    # A mention the web accepted (its dedupe marker says "pending"), then dead-lettered.
    await system.post(mention_json("m-lost", "post-lost", "Var är mitt paket?", author="u-9"))
    [entry] = await store.inbound.read("dies", 10, 1)
    await store.inbound.dead_letter(entry, "failed 5 times")
    marks = keys.bucket(keys.MENTION_CASES, "sandbox:m-lost")
    assert await store.redis.hget(marks, "sandbox:m-lost") == keys.PENDING
    # One already in a case, dead-lettered by a worker that failed after recording it.
    await system.ingest(mention_json("m-done", "post-done", "Tack för svaret!", author="u-8"))
    done = await system.case_of("post-done")
    await store.redis.xadd(
        keys.DEAD, {"m": json.dumps(_raw_of("m-done")), "reason": "failed 5 times", "from": "1-1"}
    )
    await store.redis.xadd(  # an entry no worker could read
        keys.DEAD, {"m": "{broken", "reason": "unreadable entry", "from": "2-1"}
    )
    await store.inbound.dead_letter_items("sandbox", [_skipped()])

    report = await replay_dead(store.inbound, system.rt.adapters)

    assert report.replayed == 1
    assert report.recorded == 1
    assert sum(report.kept.values()) == 2
    assert any("not a sandbox webhook body" in reason for reason in report.kept)
    left = [fields for _, fields in await store.inbound.dead_letters()]
    assert len(left) == 2 and {f.get("from") for f in left} == {"2-1", "webhook"}
    await system.drain()
    lost = await system.case_of("post-lost")
    assert lost.mention_keys == ["sandbox:m-lost"] and int(lost.id) > int(done.id)
    assert system.chat.kinds(lost.id)[0] is EventKind.CREATED


def _raw_of(mid: str) -> dict[str, object]:
    return json.loads(_mention(mid, "post-done").model_dump_json())


def _skipped() -> Skipped:
    return Skipped.of(SkipReason.MALFORMED, "entry[0]: no id", {"text": "x"})


async def test_a_webhook_item_goes_back_once_its_adapter_reads_it(system: System) -> None:
    # A skipped item is kept as a body of its platform's format; the sandbox adapter's `parse`
    # reads this one now (as a fixed adapter would), and still refuses the other.
    store = system.rt.store
    readable = Skipped(SkipReason.MALFORMED, "read by a newer version", json.dumps(_item("m-7")))
    unreadable = Skipped(SkipReason.MALFORMED, "still odd", json.dumps({"odd": True}))
    await store.inbound.dead_letter_items("sandbox", [readable, unreadable])

    report = await replay_dead(store.inbound, system.rt.adapters)

    assert (report.replayed, sum(report.kept.values())) == (1, 1)
    [(_, left)] = await store.inbound.dead_letters()
    assert left["detail"] == "still odd"
    await system.drain()
    assert (await system.case_of("post-7")).mention_keys == ["sandbox:m-7"]


def _item(mid: str) -> dict[str, object]:
    return mention_json(mid, "post-7", "Hej, var är kvittot?", author="u-7")


def test_replay_takes_exactly_one_of_a_file_or_dead(tmp_path: Path) -> None:
    for args in ((), ("--dead", str(tmp_path / "x.jsonl"))):
        result = _chatops("replay", *args)
        assert result.returncode == 2, result.stderr
        assert "exactly one of FILE or --dead" in result.stderr


def test_replay_dead_names_what_it_did(system: System, tmp_path: Path) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    env = {"REDIS_URL": system.redis_url, "CHATOPS_CONFIG": str(config), "SANDBOX_SECRET": "s"}
    result = _chatops("replay", "--dead", env=env)
    assert result.returncode == 0, result.stderr
    assert "dead letters: 0 replayed, 0 already in a case (removed), 0 kept" in result.stdout


def _chatops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "chatops", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


# -- start-up and check-config warnings ---------------------------------------------------------


@pytest.fixture
async def forgetful(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A Redis that keeps nothing on disk and evicts keys when full."""
    async with RedisServer(
        tmp_path, "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"
    ) as server:
        yield server


@needs_redis_server
async def test_check_config_warns_about_a_redis_that_loses_data_but_passes(
    forgetful: RedisServer, tmp_path: Path
) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    env = {"REDIS_URL": forgetful.url, "SANDBOX_SECRET": "s"}
    result = await asyncio.to_thread(_chatops, "check-config", str(config), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert "allkeys-lru" in warnings[0] and "nothing on disk" in warnings[1]


@needs_redis_server
async def test_every_role_warns_once_at_start_and_claims_the_epoch(
    forgetful: RedisServer, config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.from_env({"SANDBOX_SECRET": "s", "REDIS_URL": forgetful.url})
    rt = await runtime.start(settings, config, chat=RecordingChat())
    stop = asyncio.Event()
    caplog.set_level(logging.WARNING)
    try:
        task = asyncio.create_task(run_roles(rt, web_on=False, worker_on=True, stop=stop))
        await eventually(lambda: _true(rt.wipes is not None and rt.wipes.epoch is not None))
        stop.set()
        await asyncio.wait_for(task, 10)
        epoch = await rt.store.redis.get(keys.EPOCH)
    finally:
        await rt.close()
    assert rt.wipes is not None and epoch == rt.wipes.epoch
    found = [r for r in caplog.records if r.name == "chatops.redis_checks"]
    assert [r.levelno for r in found] == [logging.WARNING, logging.WARNING]
    assert "allkeys-lru" in found[0].getMessage() and "nothing on disk" in found[1].getMessage()


async def _true(value: bool) -> bool:
    return value


# -- stopping lets a publish finish -------------------------------------------------------------


async def test_a_stop_lets_a_publish_under_way_finish(
    store: Store, config: Config, clock: Clock
) -> None:
    platform = SandboxPlatform(mode="slow", delay=0.5)
    url = await platform.start()
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret", "SANDBOX_API_URL": url})
    chat = RecordingChat()
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
    rt = await runtime.start(settings, config, store=store, chat=chat, http=http, clock=clock)
    assert rt.pipeline is not None
    try:
        await store.inbound.append([_mention("m-1", "post-1")])
        await store.inbound.ensure_group()
        await Worker(store.inbound, rt.pipeline, rt.metrics, consumer="w", block_ms=1).run_once()
        await rt.wf.claim("1001", "anna")
        await rt.wf.edit("1001", "anna", "Hej! Du hittar det under Mina sidor.")
        stop = asyncio.Event()
        roles = asyncio.create_task(run_roles(rt, web_on=False, worker_on=False, stop=stop))
        publish = asyncio.create_task(rt.wf.publish("1001", "anna"))  # as Bolt runs a listener
        await asyncio.wait_for(platform.arrived.wait(), 5)
        stop.set()  # SIGTERM while the platform is still answering
        await asyncio.wait_for(roles, 10)
        await http.aclose()  # what `chatops run` does next: close the clients
        case = await asyncio.wait_for(publish, 5)
    finally:
        await http.aclose()
        await platform.stop()
    assert case.state is State.PUBLISHED
    assert len(platform.received) == 1


# -- metrics of every role ----------------------------------------------------------------------


async def test_the_worker_counts_reach_the_web_metrics_in_one_process(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hej?"))
    body = await (await system.client.get("/metrics")).text()
    assert 'chatops_worker_processed_total{outcome="ok"} 1.0' in body


async def test_a_worker_alone_serves_metrics_on_its_metrics_port(
    system: System,
) -> None:
    port = free_port()
    settings = Settings.from_env(
        {
            "SANDBOX_SECRET": "test-secret",
            "CHATOPS_METRICS_PORT": str(port),
            "CHATOPS_METRICS_TOKEN": "m-token",
        }
    )
    rt = await runtime.start(settings, system.rt.config, store=system.rt.store, chat=system.chat)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_roles(rt, web_on=False, worker_on=True, host="127.0.0.1", stop=stop)
    )
    try:
        await system.post(mention_json("m-1", "post-1", "Hej?"))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def processed() -> bool:
                try:
                    answer = await client.get(
                        "/metrics", headers={"Authorization": "Bearer m-token"}
                    )
                except httpx.TransportError:
                    return False
                return 'chatops_worker_processed_total{outcome="ok"} 1.0' in answer.text

            await eventually(processed)
            assert (await client.get("/metrics")).status_code == 401
            assert (await client.get("/webhooks/sandbox")).status_code == 404
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await rt.http.aclose()


# -- Sentinel -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380/mymaster",
            SentinelTarget((("10.0.0.1", 26379), ("10.0.0.2", 26380)), "mymaster"),
        ),
        (
            "redis+sentinel://:s%40cret@sentinel-a,sentinel-b:5000/cache/3",
            SentinelTarget(
                (("sentinel-a", 26379), ("sentinel-b", 5000)), "cache", 3, None, "s@cret"
            ),
        ),
        (
            "redis+sentinel://app:pw@[::1]:26379/main?sentinel_password=spw",
            SentinelTarget((("::1", 26379),), "main", 0, "app", "pw", "spw"),
        ),
    ],
)
def test_sentinel_urls_are_read(url: str, expected: SentinelTarget) -> None:
    assert parse_sentinel_url(url) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel:///mymaster", "no sentinel host"),
        ("redis+sentinel://h:1", "service name"),
        ("redis+sentinel://h:1/svc/x", "must be a number"),
        ("redis+sentinel://h:99999/svc", "port"),
        ("redis+sentinel://h:1/svc?ssl=1", "unknown option"),
        ("redis+sentinel://h:1/a/1/2", "service name"),
    ],
)
def test_bad_sentinel_urls_are_refused_without_echoing_them(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        Settings.from_env({"REDIS_URL": url})
    assert url not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "rediss://:pw@redis.example.com:6380/0?ssl_cert_reqs=required",
        "rediss://redis.example.com:6380/0?ssl_cert_reqs=none&ssl_check_hostname=false",
    ],
)
def test_tls_urls_and_their_options_reach_redis_py(url: str) -> None:
    settings = Settings.from_env({"REDIS_URL": url})
    assert settings.redis_url == url
    client = connect(settings.redis_url)
    kwargs = client.connection_pool.connection_kwargs
    assert client.connection_pool.connection_class.__name__ == "SSLConnection"
    assert kwargs["ssl_cert_reqs"] in ("required", "none")


@needs_redis_server
async def test_a_store_reached_through_sentinel(tmp_path: Path) -> None:
    master = RedisServer(tmp_path)
    await master.start()
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor chatops 127.0.0.1 {master.port} 1\n"
    )
    sentinel = subprocess.Popen(  # noqa: ASYNC220 - starts at once, stopped below
        [master.binary, str(conf), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis+sentinel://127.0.0.1:{port}/chatops/2"
    store = Store(connect(Settings.from_env({"REDIS_URL": url}).redis_url))
    direct = aioredis.from_url(f"{master.url}/2", decode_responses=True)
    try:

        async def reachable() -> bool:
            try:
                return bool(await store.ping())
            except (aioredis.RedisError, OSError):
                return False

        await eventually(reachable)
        case_id, created = await store.cases.resolve_id("sandbox:acme:post-1")
        assert (case_id, created) == ("1001", True)
        assert await direct.get(keys.CASE_SEQ) == "1001", "written on the master, database 2"
    finally:
        await store.close()
        await direct.aclose()
        sentinel.terminate()
        sentinel.wait(10)
        master.stop()


async def test_sigterm_during_a_publish_clicked_in_slack_lets_it_finish(
    redis_url: str, store: Store, tmp_path: Path
) -> None:
    """`chatops run` as a real process: Publish clicked in Slack, the platform slow to answer,
    SIGTERM meanwhile. The process waits for Bolt's listener: the case ends `published`."""
    platform = SandboxPlatform(mode="slow", delay=2.0)
    slack = FakeSlack(user_groups={"S0COMMS001": ["U0COMMS001"]})
    await slack.start()
    config = tmp_path / "chatops.yaml"
    config.write_text(SLACK_CONFIG)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "CHATOPS_CONFIG": str(config),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": slack.url,
        "SANDBOX_SECRET": "test-secret",
        "SANDBOX_API_URL": await platform.start(),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatops",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def up() -> bool:
                assert proc.returncode is None, "chatops run exited"
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, within=30)
            raw, headers = signed(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
            assert (await client.post("/webhooks/sandbox", content=raw, headers=headers)).is_success

            async def posted() -> bool:
                return bool(slack.messages("C0SOCIAL01"))

            await eventually(posted)
            metrics = (await client.get("/metrics")).text  # one registry for every role
            assert 'chatops_worker_processed_total{outcome="ok"} 1.0' in metrics
            [message] = slack.messages("C0SOCIAL01")
            [(block_id, button)] = [
                (b["block_id"], e)
                for b in message["blocks"]
                if b["type"] == "actions"
                for e in b["elements"]
                if e.get("action_id") == "case.publish"
            ]
            payload = json.loads((SLACK_FIXTURES / "block_actions_claim.json").read_text())
            payload["user"]["id"] = "U0ANNA0001"
            payload["channel"]["id"] = payload["container"]["channel_id"] = "C0SOCIAL01"
            payload["container"]["message_ts"] = payload["message"]["ts"] = message["ts"]
            payload["actions"] = [{**button, "block_id": block_id, "action_ts": "1.2"}]
            body = interaction_body(payload)
            answer = await client.post(
                "/slack/events", content=body, headers=slack_headers(body, SLACK_SECRET)
            )
            assert answer.status_code == 200
        await asyncio.wait_for(platform.arrived.wait(), 10)
        proc.terminate()  # SIGTERM while the platform is still answering
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await slack.stop()
        await platform.stop()
    case = await store.cases.get("1001")
    assert case is not None and case.state is State.PUBLISHED
    assert len(platform.received) == 1
