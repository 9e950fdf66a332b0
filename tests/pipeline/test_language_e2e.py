"""Language from what was written, end to end: a signed webhook in, the case, its route, its draft.

Viber sends the phone's UI language as `sender.language` and the sandbox may send `lang`; both
are only hints. The texts decide: a German message from an English phone goes to the German
department with a German draft; a Chinese message is `unknown` (no language rule routes it, the
draft is in the fallback language, the case carries the `unknown_language` flag); a one-word
"Hej" is a tie the hint breaks.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rich.console import Console

from chatops import runtime
from chatops.chat.wording import shown_flags
from chatops.config import load_config_text
from chatops.console.render import case_panel
from chatops.domain import Case
from chatops.drafting import Intent
from chatops.pipeline import DRAFT_LANGUAGE_FALLBACK
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.worker import Worker
from tests.conftest import TEST_CONFIG, Clock
from tests.fakes import RecordingChat, signed
from tests.fakes.viber import TOKEN as VIBER_TOKEN
from tests.fakes.viber import FakeViber, text_event, user
from tests.fakes.viber import signed as viber_signed

CONFIG = TEST_CONFIG.replace("  sandbox: {}\n", "  sandbox: {}\n  viber: {}\n", 1)
CUSTOMER = "01234567890A="


@dataclass
class Product:
    rt: Runtime
    client: TestClient

    async def drain(self) -> None:
        assert self.rt.pipeline is not None
        worker = Worker(self.rt.store.inbound, self.rt.pipeline, self.rt.metrics, block_ms=1)
        await self.rt.store.inbound.ensure_group()
        while await worker.run_once():
            pass

    async def viber(self, text: str, *, phone: str, sender: str = CUSTOMER, n: int = 1) -> Case:
        """A signed Viber callback from a customer whose phone speaks `phone`; their case."""
        event = text_event(
            text, token=5_740_912_374_123_400_000 + n, sender=user(sender, "Ivana", phone)
        )
        raw, headers = viber_signed(event, VIBER_TOKEN)
        r = await self.client.post("/webhooks/viber", data=raw, headers=headers)
        assert r.status == 200, await r.text()
        await self.drain()
        return await self.case_of(f"viber:{event['message_token']}")

    async def sandbox(self, text: str, lang: str | None) -> Case:
        item: dict[str, Any] = {
            "id": "m-1",
            "conversation_id": "post-1",
            "kind": "comment",
            "account": "acme",
            "author": {"id": "u-1", "name": "Anna Berg", "handle": "annab"},
            "text": text,
            "created_at": "2026-11-23T08:00:00Z",
        }
        if lang is not None:
            item["lang"] = lang
        raw, headers = signed([item], "test-secret")
        r = await self.client.post("/webhooks/sandbox", data=raw, headers=headers)
        assert r.status == 200, await r.text()
        await self.drain()
        return await self.case_of("sandbox:m-1")

    async def case_of(self, mention_key: str) -> Case:
        case_id = await self.rt.store.indexes.case_for_mention(mention_key)
        assert case_id is not None, f"{mention_key} made no case"
        case = await self.rt.store.cases.get(case_id)
        assert case is not None
        return case

    def draft_in(self, case: Case, language: str, author: str) -> str:
        """The system draft of `case` had it been written in `language`."""
        assert self.rt.pipeline is not None and case.intent is not None
        return self.rt.pipeline.drafter.draft(
            language=language,
            intent=Intent(case.intent),
            author_name=author,
            brand=self.rt.config.brand,
            variant=int(case.id),
        )

    async def shown(self, case: Case) -> str:
        """The case as the console backend shows it to staff."""
        out = io.StringIO()
        Console(file=out, width=200, color_system=None).print(
            case_panel(await self.rt.wf.view(case), self.rt.clock())
        )
        return out.getvalue()


@pytest.fixture
async def product(store: Store, clock: Clock) -> AsyncIterator[Product]:
    viber = FakeViber()
    settings = Settings.from_env(
        {
            "SANDBOX_SECRET": "test-secret",
            "VIBER_AUTH_TOKEN": VIBER_TOKEN,
            "VIBER_API_URL": await viber.start(),
        }
    )
    rt = await runtime.start(
        settings, load_config_text(CONFIG), store=store, chat=RecordingChat(), clock=clock
    )
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield Product(rt, client)
    finally:
        await client.close()
        await rt.close()
        await viber.stop()


async def test_german_from_an_english_phone_goes_to_the_german_department(
    product: Product,
) -> None:
    case = await product.viber(
        "Hallo! Ich habe meine Bestellung immer noch nicht bekommen. Was ist da los?", phone="en"
    )
    assert case.language == "de"
    assert case.department == "support-de"
    assert case.draft == product.draft_in(case, "de", "Ivana")
    assert case.draft != product.draft_in(case, "en", "Ivana")
    assert "unknown_language" not in case.flags


@pytest.mark.parametrize("phone", ["de", "ru", "sv", "zh"])
async def test_chinese_is_unknown_whatever_the_phone(product: Product, phone: str) -> None:
    case = await product.viber("你好，我的订单在哪里？我已经等了两个星期了。", phone=phone)
    assert case.language is None
    assert case.department == "social"  # the default: no language rule matches unknown
    assert case.draft == product.draft_in(case, DRAFT_LANGUAGE_FALLBACK, "Ivana")
    assert "unknown_language" in shown_flags(case)
    assert "🚩 unknown language" in await product.shown(case)


async def test_french_from_a_german_phone_is_unknown_not_german(product: Product) -> None:
    case = await product.viber(
        "Bonjour, où est ma commande ? J'attends depuis deux semaines.", phone="de"
    )
    assert case.language is None and case.department == "social"
    assert case.flags == ["unknown_language"]


@pytest.mark.parametrize(("phone", "expected"), [("sv", "sv"), ("da", "da")])
async def test_one_word_hej_is_a_tie_the_phone_breaks(
    product: Product, phone: str, expected: str
) -> None:
    case = await product.viber("Hej", phone=phone)
    assert case.language == expected
    assert case.draft == product.draft_in(case, expected, "Ivana")
    assert "unknown_language" not in case.flags


async def test_sandbox_lang_is_a_hint_too(product: Product) -> None:
    case = await product.sandbox(
        "Hallo! Wo bleibt meine Bestellung? Ich warte schon seit zwei Wochen.", lang="en"
    )
    assert case.language == "de" and case.department == "support-de"


async def test_a_thumbs_up_is_not_flagged(product: Product) -> None:
    case = await product.sandbox("👍👍👍", lang=None)
    assert case.language is None and case.department == "social"
    assert "unknown_language" not in case.flags
    assert json.dumps(case.flags) == "[]"
