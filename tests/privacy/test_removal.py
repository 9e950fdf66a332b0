"""A removal on the platform removes the text (issue 15 item 2): per platform, the vendor's own
webhook shapes, signed, through web -> inbound stream -> worker; the text leaves the store and
the case's message, the thread says "removed", the history keeps the fact and its time.

Viber's callbacks have no event for a deleted message, and Instagram documents none for a
deleted comment: those platforms never tell us, so there is nothing to receive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatops import keys
from chatops.chat import EventKind
from chatops.chat.present import case_card
from chatops.chat.rich import plain
from chatops.domain import Change
from chatops.worker import Worker
from tests.conftest import System
from tests.fakes import RecordingChat, mention_json
from tests.platforms.test_payload_corpus import (
    IG_ACCOUNT,
    PAGE,
    X_ACCOUNT,
    Product,
    product,
    signed_headers,
)
from tests.privacy.helpers import everything

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
__all__ = ["product"]  # the payload corpus's product, every platform configured, used as it is


async def deliver(product: Product, platform: str, body: dict[str, Any]) -> None:
    """Sign and post `body` as the platform does, then let a worker take everything."""
    raw = json.dumps(body).encode()
    r = await product.client.post(
        f"/webhooks/{platform}", data=raw, headers=signed_headers(platform, raw)
    )
    assert r.status == 200, await r.text()
    rt = product.rt
    worker = Worker(rt.store.inbound, rt.pipeline, rt.metrics, block_ms=1)
    await rt.store.inbound.ensure_group()
    while await worker.run_once():
        pass


def _shown(product: Product) -> RecordingChat:
    assert isinstance(product.rt.chat, RecordingChat)
    return product.rt.chat


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
        "for_user_id": X_ACCOUNT,
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
        _messaging(
            "instagram", IG_ACCOUNT, {"mid": "aWdfZAG1fmid1", "text": "Hej, var är min order?"}
        ),
        _messaging("instagram", IG_ACCOUNT, {"mid": "aWdfZAG1fmid1", "is_deleted": True}),
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
async def test_a_removal_on_the_platform_removes_the_text(product: Product, name: str) -> None:
    platform, added, removed, key, words = CASES[name]
    store, chat = product.rt.store, _shown(product)
    await deliver(product, platform, added)
    case_id = await store.indexes.case_for_mention(key)
    assert case_id is not None and words in await everything(store.redis)

    chat.shown.clear()
    await deliver(product, platform, removed)

    assert words not in await everything(store.redis), "the text is gone from the store"
    kept = (await store.cases.mentions(case_id))[key]
    assert (kept.change, kept.text) == (Change.REMOVED, "")
    assert kept.author.id and kept.created_at, "who and when stay"
    [(view, event)] = chat.shown
    assert event.kind is EventKind.MENTION_REMOVED
    card = case_card(view, now=product.rt.clock())
    assert card.first is not None
    shown = plain(card.first.head) + card.first.text
    assert words not in shown and "(removed by its author)" in shown
    history = await store.audit.entries(case_id)
    assert (history[-1].action, history[-1].detail) == ("mention_removed", key)
    assert history[-1].at == product.rt.clock()


@pytest.mark.parametrize("name", list(CASES))
async def test_a_removal_that_overtakes_its_mention_keeps_the_mention_out(
    product: Product, name: str
) -> None:
    """Meta promises no order, and a backlog can hold a mention while its removal is taken:
    the mention that comes after its removal is never recorded, and chat is never told."""
    platform, added, removed, key, words = CASES[name]
    store = product.rt.store
    await deliver(product, platform, removed)
    await deliver(product, platform, added)
    assert await store.indexes.case_for_mention(key) is None
    assert _shown(product).shown == []
    # Only the acknowledged stream entry still carries the words, until the stream's trim.
    assert words not in await everything(store.redis, skip=keys.INBOUND)


async def test_a_removal_delivered_again_changes_nothing_more(product: Product) -> None:
    platform, added, removed, key, _ = CASES["facebook comment"]
    await deliver(product, platform, added)
    await deliver(product, platform, removed)
    _shown(product).shown.clear()
    await deliver(product, platform, removed)  # Meta retries
    assert _shown(product).shown == []
    case_id = await product.rt.store.indexes.case_for_mention(key)
    assert case_id is not None
    actions = [e.action for e in await product.rt.store.audit.entries(case_id)]
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
