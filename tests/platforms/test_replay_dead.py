"""A webhook item an adapter skipped is kept as the smallest body of its platform's own format
that holds it with its envelope (page, account, time, the DM's users), so `chatops replay
--dead` reads it again with the adapter's ordinary `parse`: what still cannot be read stays,
what a fixed adapter now reads becomes a case, once.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.base import Adapter, Skipped, SkipReason
from chatops import keys, runtime
from chatops.config import load_config_text
from chatops.processes import web_app
from chatops.replay import replay_dead
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from tests.conftest import TEST_CONFIG, Clock
from tests.fakes import RecordingChat
from tests.fakes.x import ME
from tests.platforms import test_adapter_facebook as fb
from tests.platforms import test_adapter_instagram as ig
from tests.platforms import test_adapter_x as x

PSID = "7012345678901234"
NOBODY = {"recipient": {"id": fb.PAGE}, "timestamp": 1763885299456, "message": {"mid": "m_x"}}
"""A Messenger event naming no sender at all: nobody we could answer (skipped, kept)."""


def _fb_delivery() -> bytes:
    good = fb.message_event({"mid": "m_ok", "text": "Hej, var är mitt paket?"}, psid=PSID)
    return fb.raw(fb.page_body(fb.messaging_entry(good, NOBODY)))


# -- the kept body, per adapter (no Redis) ------------------------------------------------------


def _fixed_fb(body: dict[str, Any]) -> None:
    body["entry"][0]["messaging"][0]["sender"] = {"id": PSID}


def _fixed_ig(body: dict[str, Any]) -> None:
    body["entry"][0]["changes"][0]["value"]["id"] = "17860000000000790"


def _fixed_x(body: dict[str, Any]) -> None:
    body["direct_message_events"][0]["created_timestamp"] = "1763884800000"


USERS = {"998877": {"id": "998877", "name": "Sam Hill", "screen_name": "samhill"}}

DELIVERIES: list[tuple[str, Callable[[], Adapter], bytes, Callable[[dict[str, Any]], None]]] = [
    ("facebook", lambda: fb.make_adapter(), _fb_delivery(), _fixed_fb),
    (
        "instagram",
        lambda: ig.make_adapter("https://graph.invalid/v25.0", httpx.AsyncClient()),
        ig.body(ig.entry(ig.comment("17860000000000791"), ig.comment(id=""))),
        _fixed_ig,
    ),
    (
        "x",
        lambda: x.build(),
        json.dumps(
            {
                "for_user_id": ME,
                "users": USERS,
                "tweet_create_events": [x.tweet("7")],
                "direct_message_events": [x.dm("1", created_timestamp="yesterday")],
            }
        ).encode(),
        _fixed_x,
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "delivery", "fix"), DELIVERIES, ids=[d[0] for d in DELIVERIES]
)
def test_a_skipped_item_is_kept_as_a_body_its_adapter_reads_again(
    name: str,
    make: Callable[[], Adapter],
    delivery: bytes,
    fix: Callable[[dict[str, Any]], None],
) -> None:
    adapter = make()
    parsed = adapter.parse(delivery, {})
    assert len(parsed.mentions) == 1
    [skipped] = parsed.skipped
    kept = json.loads(skipped.item)
    # Just the one item, in the platform's own envelope: read again, the same verdict.
    again = adapter.parse(skipped.item.encode(), {})
    assert again.mentions == []
    [same] = again.skipped
    assert same.reason is skipped.reason
    assert same.detail.split(": ", 1)[1] == skipped.detail.split(": ", 1)[1]
    assert json.loads(same.item) == kept  # kept again, it would be the same entry
    # Once the adapter can read it, the envelope says all the original delivery said.
    fixed = copy.deepcopy(kept)
    fix(fixed)
    [mention] = adapter.parse(json.dumps(fixed).encode(), {}).mentions
    assert mention.platform == name
    assert mention.account == parsed.mentions[0].account


def test_a_dm_keeps_the_senders_details_and_a_tweet_no_users() -> None:
    adapter = x.build()
    delivery = {
        "for_user_id": ME,
        "users": USERS,
        "tweet_create_events": [{**x.tweet("8"), "text": None}],
        "direct_message_events": [x.dm("2", created_timestamp="yesterday")],
    }
    tweet, message = adapter.parse(json.dumps(delivery).encode(), {}).skipped
    assert "users" not in json.loads(tweet.item)
    kept = json.loads(message.item)
    assert kept["users"] == USERS and kept["for_user_id"] == ME
    _fixed_x(kept)
    [mention] = adapter.parse(json.dumps(kept).encode(), {}).mentions
    assert (mention.author.name, mention.author.handle) == ("Sam Hill", "samhill")


# -- chatops replay --dead, through the product -------------------------------------------------

FB_ENV = {
    "SANDBOX_SECRET": "test-secret",
    "FACEBOOK_APP_SECRET": fb.APP_SECRET,
    "FACEBOOK_VERIFY_TOKEN": fb.VERIFY_TOKEN,
    "FB_PAGE_TOKEN_SE": fb.PAGE_TOKEN,
    "GRAPH_API_URL": "http://127.0.0.1:9/v25.0",
}
FB_CONFIG = TEST_CONFIG.replace(
    "  sandbox: {}\n",
    "  sandbox: {}\n"
    "  facebook:\n"
    f'    pages: [{{id: "{fb.PAGE}", name: Acme Sverige, token_env: FB_PAGE_TOKEN_SE}}]\n',
)


class FacebookSystem:
    def __init__(
        self,
        rt: runtime.Runtime,
        client: TestClient[web.Request, web.Application],
        redis_url: str,
    ) -> None:
        self.rt, self.client, self.redis_url = rt, client, redis_url

    @property
    def store(self) -> Store:
        return self.rt.store

    async def deliver(self, body: bytes) -> dict[str, int]:
        headers = {"X-Hub-Signature-256": fb.signature(body)}
        answer = await self.client.post("/webhooks/facebook", data=body, headers=headers)
        assert answer.status == 200, await answer.text()
        result: dict[str, int] = await answer.json()
        return result

    async def drain(self) -> None:
        assert self.rt.pipeline is not None
        worker = Worker(
            self.store.inbound, self.rt.pipeline, self.rt.metrics, consumer="t", block_ms=1
        )
        await self.store.inbound.ensure_group()
        while await worker.run_once():
            pass

    async def case_of(self, mid: str) -> str | None:
        """The case that recorded Messenger message `mid`, or None."""
        return await self.store.indexes.case_for_mention(f"facebook:{mid}")

    async def dead(self) -> list[dict[str, str]]:
        return [fields for _, fields in await self.store.inbound.dead_letters()]


@pytest.fixture
async def fsys(store: Store, clock: Clock, redis_url: str) -> AsyncIterator[FacebookSystem]:
    config = load_config_text(FB_CONFIG, source="test.yaml")
    http = httpx.AsyncClient(timeout=httpx.Timeout(0.5))
    rt = await runtime.start(
        Settings.from_env(FB_ENV), config, store=store, chat=RecordingChat(), http=http, clock=clock
    )
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield FacebookSystem(rt, client, redis_url)
    finally:
        await client.close()
        await http.aclose()


async def test_replay_keeps_what_is_still_unreadable_and_brings_back_what_now_reads(
    fsys: FacebookSystem, tmp_path: Path
) -> None:
    assert await fsys.deliver(_fb_delivery()) == {"accepted": 1, "duplicates": 0, "skipped": 1}
    await fsys.drain()
    assert await fsys.case_of("m_ok") is not None
    [dead] = await fsys.dead()
    assert (dead["from"], dead["platform"], dead["reason"]) == ("webhook", "facebook", "no_sender")

    report = await replay_dead(fsys.store.inbound, fsys.rt.adapters)
    assert (report.replayed, report.recorded) == (0, 0)
    assert dict(report.kept) == {"facebook items still unusable (no_sender)": 1}
    assert await fsys.dead() == [dead]

    result = await asyncio.to_thread(_chatops_replay_dead, fsys.redis_url, tmp_path)
    assert "dead letters: 0 replayed, 0 already in a case (removed), 1 kept" in result
    assert "kept 1: facebook items still unusable (no_sender)" in result
    assert await fsys.dead() == [dead]

    # "The code was fixed": a dead letter of an item this version reads (a sender after all).
    readable = json.loads(dead["item"])
    readable["entry"][0]["messaging"][0]["message"]["mid"] = "m_fixed"
    readable["entry"][0]["messaging"][0]["sender"] = {"id": "7012345678900000"}
    await fsys.store.inbound.dead_letter_items(
        "facebook",
        [Skipped.of(SkipReason.NO_SENDER, "entry[0].messaging[0].sender: missing", readable)],
    )
    assert len(await fsys.dead()) == 2

    report = await replay_dead(fsys.store.inbound, fsys.rt.adapters)
    assert (report.replayed, report.recorded, sum(report.kept.values())) == (1, 0, 1)
    assert await fsys.dead() == [dead]
    await fsys.drain()
    fixed_case = await fsys.case_of("m_fixed")
    assert fixed_case is not None
    case = await fsys.store.cases.get(fixed_case)
    assert case is not None and case.mention_keys == ["facebook:m_fixed"]

    inbound = await fsys.store.redis.xlen(keys.INBOUND)
    again = await replay_dead(fsys.store.inbound, fsys.rt.adapters)
    assert (again.replayed, again.recorded, sum(again.kept.values())) == (0, 0, 1)
    assert await fsys.store.redis.xlen(keys.INBOUND) == inbound
    assert await fsys.dead() == [dead]


async def test_an_item_already_delivered_again_is_only_removed(fsys: FacebookSystem) -> None:
    # Meta redelivered the item before the replay (or a replay stopped after its append):
    # dedupe holds, nothing doubles, and the dead letter goes.
    good = fb.page_body(fb.messaging_entry(fb.message_event({"mid": "m_twice", "text": "Hej"})))
    await fsys.deliver(fb.raw(good))
    await fsys.store.inbound.dead_letter_items(
        "facebook", [Skipped.of(SkipReason.MALFORMED, "x", good)]
    )
    inbound = await fsys.store.redis.xlen(keys.INBOUND)

    report = await replay_dead(fsys.store.inbound, fsys.rt.adapters)

    assert (report.replayed, report.recorded, sum(report.kept.values())) == (0, 1, 0)
    assert await fsys.dead() == []
    assert await fsys.store.redis.xlen(keys.INBOUND) == inbound


async def test_what_is_not_the_platforms_format_or_for_no_page_is_kept(
    fsys: FacebookSystem,
) -> None:
    # A dead letter written before items were kept as bodies (the bare item), and an item for
    # a page no longer configured: neither is dropped.
    bare = Skipped.of(SkipReason.NO_SENDER, "entry[0].messaging[1].sender: missing", NOBODY)
    other_page = fb.page_body(
        fb.messaging_entry(fb.message_event({"mid": "m_o", "text": "Hej"}), page=fb.OTHER_PAGE)
    )
    gone = Skipped.of(SkipReason.MALFORMED, "x", other_page)
    await fsys.store.inbound.dead_letter_items("facebook", [bare, gone])

    report = await replay_dead(fsys.store.inbound, fsys.rt.adapters)

    assert dict(report.kept) == {
        "facebook items: not a facebook webhook body": 1,
        "facebook items that yield no mention": 1,
    }
    assert len(await fsys.dead()) == 2


def _chatops_replay_dead(redis_url: str, tmp_path: Path) -> str:
    config = tmp_path / "chatops.yaml"
    config.write_text(FB_CONFIG)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(FB_ENV, REDIS_URL=redis_url, CHATOPS_CONFIG=str(config))
    result = subprocess.run(
        [sys.executable, "-m", "chatops", "replay", "--dead"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
