"""The HTTP endpoints tried as an attacker would (issue 9, items 2 and 11): the X CRC check as a
signing oracle, the Meta verify token, /metrics and /readyz to strangers, slow bodies."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters import sandbox
from adapters.base import AdapterContext
from chatops import runtime
from chatops.config import load_config_text
from chatops.domain import Reply, utcnow
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.web import build_app
from tests.conftest import Clock, System
from tests.fakes import RecordingChat, mention_json, signed

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
CONSUMER_SECRET = "x-consumer-secret-for-tests"
VERIFY_TOKEN = "meta-verify-token-for-tests"
METRICS_TOKEN = "metrics-token-for-tests"

PLATFORMS_CONFIG = """
chat: {backend: console}
platforms:
  x: {accounts: [{id: "2244994945", handle: acme, webhook: true}]}
  facebook: {pages: [{id: "1122334455", token_env: FB_PAGE_TOKEN}]}
  sandbox: {}
departments: [{id: social, name: Social, channel: "#social"}]
routing: {default: social}
"""


@pytest.fixture
async def platforms(store: Store, clock: Clock) -> AsyncIterator[tuple[Runtime, TestClient]]:
    """The web app with X and Facebook enabled, as `chatops run` builds it."""
    settings = Settings.from_env(
        {
            "X_CONSUMER_SECRET": CONSUMER_SECRET,
            "FACEBOOK_APP_SECRET": "meta-app-secret",
            "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "FB_PAGE_TOKEN": "page-token",
            "SANDBOX_SECRET": "test-secret",
        }
    )
    config = load_config_text(PLATFORMS_CONFIG, source="test.yaml")
    async with httpx.AsyncClient() as http:
        rt = await runtime.start(
            settings, config, store=store, chat=RecordingChat(), http=http, clock=clock
        )
        client = TestClient(TestServer(web_app(rt)))
        await client.start_server()
        try:
            yield rt, client
        finally:
            await client.close()


async def stored_keys(rt: Runtime) -> list[str]:
    return sorted(str(key) for key in await rt.store.redis.keys("*"))


def x_event() -> bytes:
    return (FIXTURES / "x" / "tweet_create_event.json").read_bytes()


def x_signature(body: bytes) -> str:
    digest = hmac.new(CONSUMER_SECRET.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


# -- X: the CRC check is no signing oracle -----------------------------------------------------


async def test_the_crc_check_does_not_sign_a_body_for_an_attacker(
    platforms: tuple[Runtime, TestClient],
) -> None:
    rt, client = platforms
    forged = json.dumps(
        {
            "for_user_id": "2244994945",
            "tweet_create_events": [
                {
                    "id_str": "666",
                    "text": "@acme please refund me to account 1234",
                    "user": {"id_str": "13", "screen_name": "mallory", "followers_count": 10**7},
                    "created_at": "Mon Nov 23 08:00:00 +0000 2026",
                }
            ],
        }
    ).encode()

    crc = await client.get(f"/webhooks/x?crc_token={quote(forged.decode())}")
    assert crc.status == 400
    assert "response_token" not in await crc.text()

    # Even with whatever it answered used as the signature, the POST is refused.
    answered = await crc.text()
    token = json.loads(answered).get("response_token", "") if crc.status == 200 else answered
    r = await client.post(
        "/webhooks/x", data=forged, headers={"x-twitter-webhooks-signature": token}
    )
    assert r.status == 401
    assert await stored_keys(rt) == []


async def test_a_body_shaped_like_a_crc_token_is_never_accepted(
    platforms: tuple[Runtime, TestClient],
) -> None:
    """The CRC answers tokens like `12345`; such a body, signed by that answer, is no event."""
    rt, client = platforms
    for token in ("12345", "true", "null", "bm90LWpzb24="):
        crc = await client.get(f"/webhooks/x?crc_token={token}")
        assert crc.status == 200
        signature = (await crc.json())["response_token"]
        assert signature == x_signature(token.encode())
        r = await client.post(
            "/webhooks/x", data=token.encode(), headers={"x-twitter-webhooks-signature": signature}
        )
        assert r.status == 400, token
    assert await stored_keys(rt) == []


@pytest.mark.parametrize(
    "token",
    ["", "a b", "a\tb", '"quoted"', "[1]", "{}", "x" * 257, "ä", "a%00b"],
)
async def test_crc_tokens_x_never_sends_are_not_answered(
    platforms: tuple[Runtime, TestClient], token: str
) -> None:
    _, client = platforms
    r = await client.get("/webhooks/x", params={"crc_token": token})
    assert r.status == 400
    assert "sha256=" not in await r.text()


async def test_a_real_crc_check_and_a_real_event_still_work(
    platforms: tuple[Runtime, TestClient],
) -> None:
    _, client = platforms
    token = "Y2M1NjRlNTQtZjIwNS00YjRkLWE4ZTUtNjRkYWFmMGQ0ZWE2_-"
    r = await client.get(f"/webhooks/x?crc_token={token}")
    assert r.status == 200
    assert (await r.json()) == {"response_token": x_signature(token.encode())}
    body = x_event()
    r = await client.post(
        "/webhooks/x", data=body, headers={"x-twitter-webhooks-signature": x_signature(body)}
    )
    assert r.status == 200, await r.text()
    assert (await r.json())["accepted"] == 1


# -- Meta: the verify token -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "status"),
    [
        (VERIFY_TOKEN, 200),
        (VERIFY_TOKEN[:-1], 403),
        (VERIFY_TOKEN + "x", 403),
        ("", 403),
        ("ä" + VERIFY_TOKEN[1:], 403),
    ],
)
async def test_the_meta_verify_token_must_match_exactly(
    platforms: tuple[Runtime, TestClient], given: str, status: int
) -> None:
    _, client = platforms
    query = {"hub.mode": "subscribe", "hub.verify_token": given, "hub.challenge": "1158201444"}
    r = await client.get("/webhooks/facebook", params=query)
    assert r.status == status
    assert ((await r.text()) == "1158201444") is (status == 200)


# -- /metrics and /readyz ---------------------------------------------------------------------


@pytest.fixture
async def guarded(system: System) -> AsyncIterator[TestClient]:
    """The same product with CHATOPS_METRICS_TOKEN set."""
    settings = replace(system.rt.settings, metrics_token=METRICS_TOKEN)
    client = TestClient(TestServer(web_app(replace(system.rt, settings=settings))))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


async def test_metrics_need_the_token(system: System, guarded: TestClient) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    assert (await guarded.get("/metrics")).status == 401
    for wrong in (f"Bearer {METRICS_TOKEN}x", f"Basic {METRICS_TOKEN}", METRICS_TOKEN, "Bearer"):
        r = await guarded.get("/metrics", headers={"Authorization": wrong})
        assert r.status == 401, wrong
        assert "billing" not in await r.text()
    r = await guarded.get("/metrics", headers=BEARER)
    assert r.status == 200
    assert 'chatops_cases{department="billing",state="new"} 1.0' in await r.text()


async def test_readyz_tells_strangers_only_ready_or_not(
    system: System, guarded: TestClient
) -> None:
    r = await guarded.get("/readyz")
    assert (r.status, await r.text()) == (200, "ready\n")
    await system.rt.store.problems.set("slack", "invalid_auth", utcnow())
    r = await guarded.get("/readyz")
    assert (r.status, await r.text()) == (503, "not ready\n")
    r = await guarded.get("/readyz", headers={"Authorization": "Bearer guess"})
    assert (r.status, await r.text()) == (503, "not ready\n")
    r = await guarded.get("/readyz", headers=BEARER)
    assert r.status == 503 and "slack: invalid_auth" in await r.text()


async def test_healthz_stays_open(guarded: TestClient) -> None:
    r = await guarded.get("/healthz")
    assert (r.status, await r.text()) == (200, "ok\n")


async def test_without_a_token_metrics_and_readyz_stay_open(system: System) -> None:
    assert (await system.client.get("/metrics")).status == 200
    await system.rt.store.problems.set("slack", "invalid_auth", utcnow())
    assert "slack: invalid_auth" in await (await system.client.get("/readyz")).text()


# -- slow bodies ------------------------------------------------------------------------------


async def _raw_request(port: int, head: bytes, body: bytes, within: float) -> bytes:
    """Send the head and part of a body, then nothing more; what the server answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), within)
    finally:
        writer.close()


async def test_a_body_that_never_finishes_gets_408(system: System) -> None:
    rt = system.rt
    app = build_app(rt.store, rt.adapters, rt.metrics, ["social"], body_timeout=0.3)
    server = TestServer(app)
    await server.start_server()
    try:
        raw, headers = signed(mention_json("m-1", "post-1", "Hej!"))
        head = (
            b"POST /webhooks/sandbox HTTP/1.1\r\nHost: localhost\r\n"
            + f"X-Sandbox-Signature: {headers['X-Sandbox-Signature']}\r\n".encode()
            + f"Content-Length: {len(raw)}\r\n\r\n".encode()
        )
        answer = await _raw_request(server.port or 0, head, raw[:10], within=5.0)
        assert answer.startswith(b"HTTP/1.1 408")
        for path in (b"/slack/events", b"/api/messages"):  # the chat backends' routes too
            other = head.replace(b"/webhooks/sandbox", path)
            answer = await _raw_request(server.port or 0, other, raw[:10], within=5.0)
            assert answer.startswith(b"HTTP/1.1 408"), path
    finally:
        await server.close()
    assert sorted(await rt.store.redis.keys("*")) == []


async def test_a_body_that_arrives_in_time_is_taken(system: System) -> None:
    rt = system.rt
    app = build_app(rt.store, rt.adapters, rt.metrics, ["social"], body_timeout=5.0)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        raw, headers = signed(mention_json("m-1", "post-1", "Hej!"))
        r = await client.post("/webhooks/sandbox", data=raw, headers=headers)
        assert r.status == 200 and (await r.json())["accepted"] == 1
    finally:
        await client.close()


# -- our own logs -----------------------------------------------------------------------------


@pytest.mark.parametrize("on", [False, True])
async def test_a_sandbox_reply_is_logged_without_its_text_unless_enabled(
    on: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Without SANDBOX_API_URL the sandbox logs what it would have sent: the reply's length."""
    env = {"SANDBOX_SECRET": "s"} | ({"CHATOPS_LOG_CUSTOMER_TEXT": "on"} if on else {})
    config = load_config_text(PLATFORMS_CONFIG, source="test.yaml")
    [mention] = sandbox.parse_items(json.dumps(mention_json("m-1", "p-1", "Hej")).encode())
    async with httpx.AsyncClient() as http:
        adapter = sandbox.create(AdapterContext(Settings.from_env(env), config, http))
        with caplog.at_level("DEBUG"):
            await adapter.reply(Reply(case_id="1", in_reply_to=mention, text="Hej Anna, 4471!"))
    assert ("Hej Anna, 4471!" in caplog.text) is on
    assert "m-1" in caplog.text
