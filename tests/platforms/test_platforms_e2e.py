"""Platforms end to end through the product: signed webhook in, case, publish out.

Each platform's API is a local server reached through GRAPH_API_URL / VIBER_API_URL; the
webhooks are the real-shaped payloads of ../shared/fixtures.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.signing import hmac_sha256
from chatops import runtime
from chatops.chat import EventKind
from chatops.config import load_config_text
from chatops.domain import State
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from chatops.workflow.transitions import Refused
from tests.conftest import Clock
from tests.fakes import RecordingChat
from tests.fakes.graph import FakeGraph
from tests.fakes.viber import TOKEN as VIBER_TOKEN
from tests.fakes.viber import FakeViber

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
APP_SECRET = "meta-app-secret"
PAGE, PAGE_TOKEN = "1122334455", "EAAG-page-token-se"

CONFIG = f"""
timezone: Europe/Stockholm
brand: Acme
chat: {{backend: console}}
platforms:
  facebook:
    pages: [{{id: "{PAGE}", name: Acme Sverige, token_env: FB_PAGE_TOKEN_SE}}]
  viber: {{sender_name: Acme}}
departments:
  - {{id: social, name: Social team, channel: "#social", languages: [sv, en, hr]}}
routing: {{default: social}}
"""


@dataclass
class Platforms:
    rt: Runtime
    chat: RecordingChat
    client: TestClient
    graph: FakeGraph
    viber: FakeViber
    clock: Clock

    async def deliver(self, platform: str, body: dict[str, Any]) -> Any:
        raw = json.dumps(body).encode()
        if platform == "viber":
            headers = {"X-Viber-Content-Signature": hmac_sha256(VIBER_TOKEN, raw).hex()}
        else:
            headers = {"X-Hub-Signature-256": "sha256=" + hmac_sha256(APP_SECRET, raw).hex()}
        r = await self.client.post(f"/webhooks/{platform}", data=raw, headers=headers)
        worker = Worker(self.rt.store.inbound, self.rt.pipeline, self.rt.metrics, block_ms=1)
        await self.rt.store.inbound.ensure_group()
        while await worker.run_once():
            pass
        return r


@pytest.fixture
async def platforms(store: Store, clock: Clock) -> AsyncIterator[Platforms]:
    graph = FakeGraph({PAGE: PAGE_TOKEN})
    viber = FakeViber()
    settings = Settings.from_env(
        {
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": "verify-me",
            "FB_PAGE_TOKEN_SE": PAGE_TOKEN,
            "GRAPH_API_URL": await graph.start(),
            "VIBER_AUTH_TOKEN": VIBER_TOKEN,
            "VIBER_API_URL": await viber.start(),
        }
    )
    chat = RecordingChat()
    rt = await runtime.start(
        settings, load_config_text(CONFIG), store=store, chat=chat, clock=clock
    )
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield Platforms(rt, chat, client, graph, viber, clock)
    finally:
        await client.close()
        await rt.close()
        await graph.stop()
        await viber.stop()


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


async def test_facebook_handshake(platforms: Platforms) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": "verify-me",
    }
    r = await platforms.client.get("/webhooks/facebook", params=query)
    assert r.status == 200 and await r.text() == "1158201444"
    r = await platforms.client.get("/webhooks/facebook", params={**query, "hub.verify_token": "x"})
    assert r.status == 403


async def test_facebook_comment_thread_edit_and_public_reply(platforms: Platforms) -> None:
    platforms.clock.now = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
    assert (
        await platforms.deliver("facebook", fixture("meta/feed_comment_add.json"))
    ).status == 200
    await platforms.deliver("facebook", fixture("meta/feed_comment_reply.json"))
    await platforms.deliver("facebook", fixture("meta/feed_comment_edited.json"))
    duplicate = await platforms.deliver("facebook", fixture("meta/feed_comment_add.json"))
    assert await duplicate.json() == {"accepted": 0, "duplicates": 1}
    case = await platforms.rt.store.cases.get("1001")
    assert case is not None and case.platform == "facebook" and case.account == PAGE
    assert case.mention_keys == ["facebook:778899_1001", "facebook:778899_1002"]
    assert EventKind.MENTION_EDITED in platforms.chat.kinds("1001")
    wf = platforms.rt.wf
    await wf.reply_to("1001", "anna", "facebook:778899_1001")
    await wf.edit("1001", "anna", "Hej Karin! Frakten ändrades 1 november; över 499 kr är den fri.")
    published = await wf.publish("1001", "anna")
    assert published.state is State.PUBLISHED
    [request] = [r for r in platforms.graph.received if r.path.endswith("/comments")]
    assert request.path == "778899_1001/comments"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert published.published[-1]["id"]


async def test_a_closed_messenger_window_refuses_publish_with_the_reason(
    platforms: Platforms,
) -> None:
    platforms.clock.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    await platforms.deliver("facebook", fixture("meta/messenger_message.json"))
    wf = platforms.rt.wf
    await wf.edit("1001", "anna", "Hej! Skicka gärna den nya adressen här.")
    platforms.clock.now += timedelta(hours=25)
    view = await wf.view(await wf.store.cases.get("1001"))  # type: ignore[arg-type]
    assert view.blocked is not None and "24-hour" in view.blocked
    with pytest.raises(Refused, match="24-hour"):
        await wf.publish("1001", "anna")
    assert not [r for r in platforms.graph.received if r.path.endswith("/messages")]


async def test_a_bad_meta_signature_stores_nothing(platforms: Platforms) -> None:
    raw = json.dumps(fixture("meta/feed_comment_add.json")).encode()
    r = await platforms.client.post(
        "/webhooks/facebook", data=raw, headers={"X-Hub-Signature-256": "sha256=00"}
    )
    assert r.status == 401
    assert await platforms.rt.store.redis.keys("*") == []


async def test_viber_message_becomes_a_private_case_and_the_reply_goes_out(
    platforms: Platforms,
) -> None:
    assert (await platforms.deliver("viber", fixture("viber/webhook_check.json"))).status == 200
    await platforms.deliver("viber", fixture("viber/message.json"))
    platforms.viber.user_wrote("01234567890A=")  # Viber lets a bot answer who wrote to it
    case = await platforms.rt.store.cases.get("1001")
    assert case is not None and case.platform == "viber" and case.language == "hr"
    assert case.draft.startswith(("Pozdrav", "Dobar", "Poštovan", "Hvala", "Žao"))
    wf = platforms.rt.wf
    await wf.edit("1001", "ivana", "Pozdrav Ivana! Provjeravamo vašu pošiljku i javljamo se.")
    published = await wf.publish("1001", "ivana")
    assert published.state is State.PUBLISHED
    [call] = platforms.viber.calls
    assert call.body["receiver"] == "01234567890A=" and call.body["sender"]["name"] == "Acme"
