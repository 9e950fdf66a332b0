"""Every payload of the corpus through the web app: signed, POSTed, stored or dead-lettered.

`tests/platforms/payloads/<platform>/<name>.json` is one delivery as the platform sends it, written
from the vendor's documented shapes (Meta's webhook references for Pages, Messenger and Instagram,
X's Account Activity API, Viber's callbacks; see each sidecar's `about`). Next to it,
`<name>.expected.json` says what must come of it:

- `status` (default 200) and, if given, the exact JSON `answer`;
- `mentions`: what the inbound stream holds afterwards, in order; each entry compares only the
  keys it names (`external_id`, `kind`, `change`, `conversation_id`, `parent_id`, `author`,
  `author_name`, `author_handle`, `text`, and `text_has`, a list of substrings);
- `skipped`: the dead-letter stream's items, each `{reason, detail}`, in order;
- `graph`: posts and comments the local Graph API holds (`objects`), for the worker to read;
- `cases`: after a worker ran, each `{conversation_key, authors, text_has}` of one case.

A new payload needs no code: drop the two files in.
"""

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
from chatops import keys, runtime
from chatops.config import load_config_text
from chatops.domain import Mention
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from tests.conftest import Clock
from tests.fakes import RecordingChat
from tests.fakes.graph import FakeGraph

PAYLOADS = Path(__file__).parent / "payloads"
APP_SECRET = "meta-app-secret"
PAGE, PAGE_TOKEN = "1122334455", "EAAG-page-token-se"
IG_ACCOUNT, IG_TOKEN = "17841400000000001", "IGQ-token-se"
X_ACCOUNT, X_SECRET = "2244994945", "x-consumer-secret"
VIBER_TOKEN = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"

CONFIG = f"""
timezone: Europe/Stockholm
brand: Acme
chat: {{backend: console}}
platforms:
  facebook:
    pages: [{{id: "{PAGE}", name: Acme Sverige, token_env: FB_PAGE_TOKEN_SE}}]
  instagram:
    accounts: [{{id: "{IG_ACCOUNT}", name: acme.se, token_env: IG_TOKEN_SE}}]
  x:
    accounts: [{{id: "{X_ACCOUNT}", handle: acme}}]
  viber: {{sender_name: Acme}}
departments:
  - {{id: social, name: Social team, channel: "#social", languages: [sv, en, hr, de]}}
routing: {{default: social}}
"""

MENTION_KEYS = ("external_id", "kind", "change", "conversation_id", "parent_id", "text")


def corpus() -> list[Any]:
    """(platform, body, expectation) of every payload, read when the tests are collected."""
    found = []
    for payload in sorted(PAYLOADS.glob("*/*.json")):
        if payload.name.endswith(".expected.json"):
            continue
        expected = payload.with_name(payload.name.removesuffix(".json") + ".expected.json")
        platform = payload.parent.name
        found.append(
            pytest.param(
                platform,
                payload.read_bytes(),
                json.loads(expected.read_text()),
                id=f"{platform}/{payload.stem}",
            )
        )
    return found


def signed_headers(platform: str, body: bytes) -> dict[str, str]:
    if platform == "x":
        digest = base64.b64encode(hmac_sha256(X_SECRET, body)).decode()
        return {"x-twitter-webhooks-signature": f"sha256={digest}"}
    if platform == "viber":
        return {"X-Viber-Content-Signature": hmac_sha256(VIBER_TOKEN, body).hex()}
    return {"X-Hub-Signature-256": "sha256=" + hmac_sha256(APP_SECRET, body).hex()}


@dataclass
class Product:
    rt: Runtime
    client: TestClient
    graph: FakeGraph


@pytest.fixture
async def product(store: Store, clock: Clock) -> AsyncIterator[Product]:
    graph = FakeGraph({PAGE: PAGE_TOKEN, IG_ACCOUNT: IG_TOKEN})
    settings = Settings.from_env(
        {
            "FACEBOOK_APP_SECRET": APP_SECRET,
            "FACEBOOK_VERIFY_TOKEN": "verify-me",
            "FB_PAGE_TOKEN_SE": PAGE_TOKEN,
            "IG_TOKEN_SE": IG_TOKEN,
            "GRAPH_API_URL": await graph.start(),
            "X_CONSUMER_SECRET": X_SECRET,
            "X_CONSUMER_KEY": "x-consumer-key",
            "X_ACCESS_TOKEN": "x-access-token",
            "X_ACCESS_TOKEN_SECRET": "x-access-secret",
            "X_BEARER_TOKEN": "x-bearer",
            "X_API_URL": "http://127.0.0.1:9",
            "VIBER_AUTH_TOKEN": VIBER_TOKEN,
            "VIBER_API_URL": "http://127.0.0.1:9/pa",
        }
    )
    rt = await runtime.start(
        settings, load_config_text(CONFIG), store=store, chat=RecordingChat(), clock=clock
    )
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield Product(rt, client, graph)
    finally:
        await client.close()
        await rt.close()
        await graph.stop()


def check_mention(got: Mention, want: dict[str, Any], where: str) -> None:
    for key in MENTION_KEYS:
        if key in want:
            assert str(getattr(got, key)) == str(want[key]), f"{where}.{key}"
    for key, field in (("author", "id"), ("author_name", "name"), ("author_handle", "handle")):
        if key in want:
            assert getattr(got.author, field) == want[key], f"{where}.{key}"
    for part in want.get("text_has", []):
        assert part in got.text, f"{where}.text lacks {part!r}: {got.text!r}"


async def stream(store: Store, key: str) -> list[dict[str, str]]:
    entries: Any = await store.redis.xrange(key)
    return [fields for _, fields in entries]


async def run_worker(rt: Runtime) -> None:
    assert rt.pipeline is not None
    worker = Worker(rt.store.inbound, rt.pipeline, rt.metrics, consumer="corpus", block_ms=1)
    await rt.store.inbound.ensure_group()
    while await worker.run_once():
        pass


@pytest.mark.parametrize(("platform", "body", "expected"), corpus())
async def test_payload(
    product: Product, platform: str, body: bytes, expected: dict[str, Any]
) -> None:
    product.graph.objects.update(expected.get("graph", {}).get("objects", {}))

    r = await product.client.post(
        f"/webhooks/{platform}", data=body, headers=signed_headers(platform, body)
    )

    assert r.status == expected.get("status", 200), await r.text()
    if "answer" in expected:
        assert await r.json() == expected["answer"]
    store = product.rt.store
    stored = [Mention.model_validate_json(f["m"]) for f in await stream(store, keys.INBOUND)]
    wanted = expected.get("mentions", [])
    assert len(stored) == len(wanted), [m.external_id for m in stored]
    for index, (got, want) in enumerate(zip(stored, wanted, strict=True)):
        assert got.platform == platform
        check_mention(got, want, f"mentions[{index}]")
    dead = await stream(store, keys.DEAD)
    assert [{"reason": d["reason"], "detail": d["detail"]} for d in dead] == expected.get(
        "skipped", []
    )
    for d in dead:
        assert d["platform"] == platform
        json.loads(d["item"])

    if r.status == 200:  # a platform's retry of the same delivery changes nothing
        again = await product.client.post(
            f"/webhooks/{platform}", data=body, headers=signed_headers(platform, body)
        )
        assert again.status == 200
        assert len(await stream(store, keys.INBOUND)) == len(stored)
        assert len(await stream(store, keys.DEAD)) == len(dead)

    if "cases" in expected:
        await run_worker(product.rt)
        for want in expected["cases"]:
            conversation = want["conversation_key"]
            found = await store.redis.hget(
                keys.bucket(keys.CONVERSATIONS, conversation), conversation
            )
            assert found, f"no case for {want['conversation_key']}"
            case_id = str(found)
            mentions = list((await store.cases.mentions(case_id)).values())
            assert [m.author.id for m in mentions] == want.get(
                "authors", [m.author.id for m in mentions]
            )
            text = "\n".join(m.text for m in mentions)
            for part in want.get("text_has", []):
                assert part in text, f"case {case_id} lacks {part!r}: {text!r}"
