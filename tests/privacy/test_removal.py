"""A removal on the platform removes the text (issue 15 item 2): per platform, the vendor's own
webhook shapes, signed, through web -> inbound stream -> worker; the text leaves the store and
the case's message, the thread says "removed", the history keeps the fact and its time.

Viber's callbacks have no event for a deleted message, and Instagram documents none for a
deleted comment: those platforms never tell us, so there is nothing to receive."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.signing import hmac_sha256
from chatops import runtime
from chatops.chat import EventKind
from chatops.chat.present import case_card
from chatops.chat.rich import plain
from chatops.config import load_config_text
from chatops.domain import Change
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from tests.conftest import Clock, System
from tests.fakes import RecordingChat, mention_json
from tests.privacy.helpers import everything

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
APP_SECRET, X_SECRET = "meta-app-secret", "x-consumer-secret"
PAGE, IG, X_ME = "1122334455", "17841400000000001", "2244994945"

CONFIG = f"""
timezone: Europe/Stockholm
brand: Acme
chat: {{backend: console}}
platforms:
  facebook:
    pages: [{{id: "{PAGE}", name: Acme Sverige, token_env: FB_PAGE_TOKEN_SE}}]
  instagram:
    accounts: [{{id: "{IG}", name: acme.se, token_env: FB_PAGE_TOKEN_SE}}]
  x:
    accounts: [{{id: "{X_ME}", handle: acme}}]
departments:
  - {{id: social, name: Social team, channel: "#social", languages: [sv, en]}}
routing: {{default: social}}
"""


@dataclass
class Platforms:
    rt: Runtime
    chat: RecordingChat
    client: TestClient

    async def deliver(self, platform: str, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        if platform == "x":
            digest = base64.b64encode(hmac_sha256(X_SECRET, raw)).decode()
            headers = {"x-twitter-webhooks-signature": f"sha256={digest}"}
        else:
            headers = {"X-Hub-Signature-256": "sha256=" + hmac_sha256(APP_SECRET, raw).hex()}
        r = await self.client.post(f"/webhooks/{platform}", data=raw, headers=headers)
        assert r.status == 200, await r.text()
        worker = Worker(self.rt.store.inbound, self.rt.pipeline, self.rt.metrics, block_ms=1)
        await self.rt.store.inbound.ensure_group()
        while await worker.run_once():
            pass


@pytest.fixture
async def platforms(store: Store, clock: Clock) -> AsyncIterator[Platforms]:
    settings = Settings.from_env(
        {
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": "verify-me",
            "FB_PAGE_TOKEN_SE": "EAAG-page-token",
            "GRAPH_API_URL": "http://127.0.0.1:9/v25.0",  # never called: nothing to enrich
            "X_CONSUMER_SECRET": X_SECRET,
        }
    )
    chat = RecordingChat()
    rt = await runtime.start(
        settings, load_config_text(CONFIG), store=store, chat=chat, clock=clock
    )
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield Platforms(rt, chat, client)
    finally:
        await client.close()
        await rt.close()


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _messaging(obj: str, account: str, message: dict[str, Any]) -> dict[str, Any]:
    """A Messenger / Instagram messaging webhook with one message from one person."""
    event = {
        "sender": {"id": "7012345678901234"},
        "recipient": {"id": account},
        "timestamp": 1763885299456,
        "message": message,
    }
    return {"object": obj, "entry": [{"id": account, "time": 1763885300, "messaging": [event]}]}


def _x_deleted(tweet_id: str, user_id: str) -> dict[str, Any]:
    """Account Activity's `tweet_delete_events`, as X documents it."""
    status = {"id": tweet_id, "user_id": user_id}
    return {
        "for_user_id": X_ME,
        "tweet_delete_events": [{"status": status, "timestamp_ms": "1763885400000"}],
    }


CASES = {
    "facebook comment": (
        "facebook",
        _fixture("meta/feed_comment_add.json"),
        _fixture("meta/feed_comment_remove.json"),
        "facebook:778899_1001",
        "fraktavgiften",
    ),
    "messenger unsent": (
        "facebook",
        _messaging("page", PAGE, {"mid": "m_AbCdEf0123456789", "text": "Mitt kortnummer är fel"}),
        _messaging("page", PAGE, {"mid": "m_AbCdEf0123456789", "is_deleted": True}),
        "facebook:m_AbCdEf0123456789",
        "kortnummer",
    ),
    "instagram unsent": (
        "instagram",
        _messaging("instagram", IG, {"mid": "aWdfZAG1fmid1", "text": "Hej, var är min order?"}),
        _messaging("instagram", IG, {"mid": "aWdfZAG1fmid1", "is_deleted": True}),
        "instagram:aWdfZAG1fmid1",
        "min order",
    ),
    "x post deleted": (
        "x",
        _fixture("x/tweet_create_event.json"),
        _x_deleted("1992400000000000001", "998877"),
        "x:1992400000000000001",
        "återbetalning",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_a_removal_on_the_platform_removes_the_text(platforms: Platforms, name: str) -> None:
    platform, added, removed, key, words = CASES[name]
    store = platforms.rt.store
    await platforms.deliver(platform, added)
    case_id = await store.indexes.case_for_mention(key)
    assert case_id is not None and words in await everything(store.redis)

    platforms.chat.shown.clear()
    await platforms.deliver(platform, removed)

    assert words not in await everything(store.redis), "the text is gone from the store"
    kept = (await store.cases.mentions(case_id))[key]
    assert (kept.change, kept.text) == (Change.REMOVED, "")
    assert kept.author.id and kept.created_at, "who and when stay"
    [(view, event)] = platforms.chat.shown
    assert event.kind is EventKind.MENTION_REMOVED
    card = case_card(view, now=platforms.rt.clock())
    assert card.first is not None
    shown = plain(card.first.head) + card.first.text
    assert words not in shown and "(removed by its author)" in shown
    history = await store.audit.entries(case_id)
    assert (history[-1].action, history[-1].detail) == ("mention_removed", key)
    assert history[-1].at == platforms.rt.clock()


async def test_a_removal_delivered_again_changes_nothing_more(platforms: Platforms) -> None:
    platform, added, removed, key, _ = CASES["facebook comment"]
    await platforms.deliver(platform, added)
    await platforms.deliver(platform, removed)
    platforms.chat.shown.clear()
    await platforms.deliver(platform, removed)  # Meta retries
    assert platforms.chat.shown == []
    case_id = await platforms.rt.store.indexes.case_for_mention(key)
    assert case_id is not None
    actions = [e.action for e in await platforms.rt.store.audit.entries(case_id)]
    assert actions.count("mention_removed") == 1


async def test_an_answered_removal_leaves_no_words_in_the_past_answers(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hur returnerar jag skorna?"))
    case = await system.case_of("post-1")
    await system.wf.edit(case.id, "agent", "Hej! Du returnerar dem via Mina sidor.")
    await system.wf.publish(case.id, "agent")
    assert "returnerar jag skorna" in await everything(system.rt.store.redis)

    await system.ingest(mention_json("m-1", "post-1", "", change="removed"))

    held = await everything(system.rt.store.redis)
    assert "returnerar jag skorna" not in held, "not even as the question of a past answer"
    assert system.rt.answers is not None and system.rt.answers.answer_of(case.id) is None
