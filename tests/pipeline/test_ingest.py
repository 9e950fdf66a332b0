"""Webhook → stream → worker → case: the inbound path end to end, on a real Redis."""

from __future__ import annotations

import asyncio
import json

from chatops import keys
from chatops.chat import EventKind
from chatops.console import ConsoleBackend
from chatops.domain import State, utcnow
from chatops.worker import Worker
from tests.conftest import System
from tests.fakes import mention_json, signed


async def stored_keys(system: System) -> list[str]:
    return sorted(await system.rt.store.redis.keys("*"))


async def test_a_signed_mention_becomes_a_routed_drafted_case(system: System) -> None:
    r = await system.post(
        mention_json("m-1", "post-1", "Var är min faktura? Jag väntar fortfarande.")
    )
    assert r.status == 200
    assert await r.json() == {"accepted": 1, "duplicates": 0}
    assert await system.drain() == 1
    case = await system.case_of("post-1")
    assert case.department == "billing"  # keyword faktura
    assert case.language == "sv"
    assert case.state is State.NEW
    assert case.draft.startswith("Hej Anna") or "Anna" in case.draft
    assert case.id == "1001"
    assert system.chat.kinds("1001") == [EventKind.CREATED]


async def test_each_language_reaches_its_department(system: System) -> None:
    await system.ingest(
        mention_json("m-1", "p-de", "Meine Bestellung ist seit zwei Wochen nicht angekommen."),
        mention_json(
            "m-2",
            "p-hr",
            "Pozdrav, gdje je moja pošiljka? Naručila sam prije deset dana.",
            author="u-2",
        ),
        mention_json(
            "m-3", "p-ru", "Здравствуйте, приложение не работает второй день.", author="u-3"
        ),
        mention_json("m-4", "p-en", "Hello, when does your new store open?", author="u-4"),
    )
    got = {c: (await system.case_of(c)).department for c in ("p-de", "p-hr", "p-ru", "p-en")}
    assert got == {
        "p-de": "support-de",
        "p-hr": "support-hr",
        "p-ru": "support-ru",
        "p-en": "social",
    }
    assert (await system.case_of("p-de")).draft.startswith("Hallo")


async def test_other_commenters_join_the_case_and_a_closed_case_reopens(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-9", "Hur öppnar jag appen?"))
    case = await system.case_of("post-9")
    await system.wf.edit(case.id, "anna", "Hej Anna! Tryck på ikonen.")
    await system.wf.publish(case.id, "anna")
    assert (await system.case_of("post-9")).state is State.PUBLISHED
    await system.ingest(
        mention_json("m-2", "post-9", "Funkar inte för mig heller!", author="u-2", name="Olle Nord")
    )
    after = await system.case_of("post-9")
    assert after.id == case.id
    assert after.mention_keys == ["sandbox:m-1", "sandbox:m-2"]
    assert after.state is State.CLAIMED and after.owner == "anna"  # reopened, same owner
    assert after.reply_to == "sandbox:m-2"
    assert after.answered_keys == ["sandbox:m-1"]
    assert EventKind.REOPENED in system.chat.kinds(case.id)


async def test_duplicate_deliveries_make_one_case(system: System) -> None:
    body = mention_json("m-1", "post-1", "Hej!")
    assert (await (await system.post(body)).json())["accepted"] == 1
    assert await (await system.post(body)).json() == {"accepted": 0, "duplicates": 1}
    assert await (await system.post([body, body])).json() == {"accepted": 0, "duplicates": 2}
    assert await system.drain() == 1
    assert await system.rt.store.indexes.mention_count() == 1


async def test_a_batch_in_one_webhook_is_split_into_mentions(system: System) -> None:
    items = [mention_json(f"m-{i}", f"post-{i % 3}", f"fråga {i}?") for i in range(9)]
    assert (await (await system.post(items)).json())["accepted"] == 9
    await system.drain()
    assert len((await system.case_of("post-0")).mention_keys) == 3
    assert await system.rt.store.redis.get(keys.CASE_SEQ) == "1003"


async def test_an_edit_updates_the_mention_and_a_removal_is_shown_without_its_text(
    system: System,
) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Vad kostar frakten?"))
    await system.ingest(
        mention_json("m-1", "post-1", "Vad kostar frakten?? Svara!", change="edited")
    )
    await system.ingest(mention_json("m-1", "post-1", "", change="removed"))
    case = await system.case_of("post-1")
    stored = (await system.rt.store.cases.mentions(case.id))["sandbox:m-1"]
    assert stored.text == "", "its author removed it: the text goes (tests/privacy)"
    assert stored.change.value == "removed"
    assert case.state is State.NEW and case.mention_keys == ["sandbox:m-1"]
    assert system.chat.kinds(case.id) == [
        EventKind.CREATED,
        EventKind.MENTION_EDITED,
        EventKind.MENTION_REMOVED,
    ]


async def test_into_the_console_backend(system: System) -> None:
    """The console backend prints the thread: web → stream → worker → console."""
    from rich.console import Console

    console = Console(record=True, width=100)
    system.rt.wf.chat = ConsoleBackend(console)
    await system.ingest(mention_json("m-1", "post-1", "Where is my invoice for October?"))
    text = console.export_text()
    assert "Case #1001 · Billing" in text
    assert "Where is my invoice for October?" in text
    assert "#1001 [billing] 📥 New comment from Anna Berg (@anna)" in text


# -- refusals: nothing stored ---------------------------------------------------------------


async def test_bad_signature_is_refused_and_nothing_stored(system: System) -> None:
    raw, headers = signed(mention_json("m-1", "p", "hi"), secret="wrong")
    r = await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
    assert r.status == 401
    assert "signature" in (await r.json())["error"]
    r = await system.client.post("/webhooks/sandbox", data=raw)
    assert r.status == 401
    r = await system.client.post(
        "/webhooks/sandbox", data=raw, headers={"X-Sandbox-Signature": "sha256=\u00e9"}
    )
    assert r.status == 401  # not a 500 on a non-ASCII header
    assert await stored_keys(system) == []


async def test_oversized_body_is_refused(system: System) -> None:
    big = mention_json("m-1", "p", "x" * (1024 * 1024))
    raw, headers = signed(big)
    r = await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
    assert r.status == 413
    assert await stored_keys(system) == []


async def test_malformed_and_incomplete_bodies_are_refused_with_a_reason(system: System) -> None:
    cases = {
        b"{not json": "not JSON",
        b"[]": "empty list",
        b"[1]": "item 0: expected a JSON object",
        json.dumps({"id": "m-1", "conversation_id": "p", "text": "x"}).encode(): "author",
        json.dumps({"conversation_id": "p", "author": {"id": "u"}, "text": "x"}).encode(): "id",
        json.dumps(mention_json("m-1", "p", "x", kind="tweet")).encode(): "kind",
    }
    for body, reason in cases.items():
        raw, headers = signed(body)
        r = await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
        assert r.status == 400, body
        assert reason in (await r.json())["error"], body
    assert await stored_keys(system) == []


async def test_unknown_platform_is_404(system: System) -> None:
    r = await system.client.post("/webhooks/myspace", data=b"{}")
    assert r.status == 404


# -- workers ---------------------------------------------------------------------------------


async def test_a_worker_killed_mid_batch_leaves_work_another_finishes(system: System) -> None:
    items = [
        mention_json(f"m-{i}", f"post-{i % 4}", f"fråga nummer {i}?", author=f"u-{i % 4}")
        for i in range(10)
    ]  # four people: one person's burst would be one case (the flood guard)
    await system.post(items)
    store = system.rt.store
    await store.inbound.ensure_group()
    # Worker A reads the batch, records three mentions and dies before acknowledging any.
    batch = await store.inbound.read("worker-a", 100, 1)
    assert len(batch) == 10
    for entry in batch[:3]:
        assert entry.mention is not None
        await system.rt.pipeline.handle(entry.mention)
    # Worker B takes over what A left pending.
    b = Worker(
        store.inbound,
        system.rt.pipeline,
        system.rt.metrics,
        consumer="worker-b",
        claim_idle_ms=0,
        block_ms=1,
    )
    assert await b.run_once() == 10
    assert await b.run_once() == 0
    assert await store.indexes.mention_count() == 10
    assert await store.redis.get(keys.CASE_SEQ) == "1004"  # four conversations, four cases
    all_keys = []
    for c in range(4):
        all_keys += (await system.case_of(f"post-{c}")).mention_keys
    assert sorted(all_keys) == sorted(f"sandbox:m-{i}" for i in range(10))
    assert await store.inbound.lag() == 0


async def test_an_entry_that_keeps_failing_goes_to_dead_letters(system: System) -> None:
    store = system.rt.store
    await store.inbound.ensure_group()
    await store.redis.xadd(keys.INBOUND, {"m": "{broken"})
    w = Worker(store.inbound, system.rt.pipeline, system.rt.metrics, consumer="w", block_ms=1)
    assert await w.run_once() == 1
    dead = await store.redis.xrange(keys.DEAD)
    assert len(dead) == 1 and dead[0][1]["m"] == "{broken"
    assert await store.inbound.lag() == 0


async def test_concurrent_workers_never_split_a_conversation(system: System) -> None:
    items = [
        mention_json(f"m-{i}", "post-hot", f"samma fråga {i}?", author=f"u-{i}") for i in range(30)
    ]
    await system.post(items)
    store = system.rt.store
    await store.inbound.ensure_group()
    workers = [
        Worker(
            store.inbound,
            system.rt.pipeline,
            system.rt.metrics,
            consumer=f"w{i}",
            batch=3,
            block_ms=1,
        )
        for i in range(4)
    ]

    async def drain(w: Worker) -> None:
        while await w.run_once():
            pass

    await asyncio.gather(*(drain(w) for w in workers))
    case = await system.case_of("post-hot")
    assert sorted(case.mention_keys) == sorted(f"sandbox:m-{i}" for i in range(30))
    assert await store.redis.get(keys.CASE_SEQ) == "1001"


# -- health and metrics ----------------------------------------------------------------------


async def test_health_ready_and_metrics(system: System) -> None:
    assert (await system.client.get("/healthz")).status == 200
    assert (await system.client.get("/readyz")).status == 200
    await system.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    raw, headers = signed(mention_json("m-2", "p", "x"), secret="wrong")
    await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
    body = await (await system.client.get("/metrics")).text()
    assert 'chatops_webhooks_total{outcome="accepted",platform="sandbox"} 1.0' in body
    assert 'chatops_webhooks_total{outcome="bad_signature",platform="sandbox"} 1.0' in body
    assert 'chatops_cases{department="billing",state="new"} 1.0' in body
    assert "chatops_inbound_lag 0.0" in body
    assert "chatops_ingest_seconds_bucket" in body


async def test_readyz_names_a_component_problem(system: System) -> None:
    await system.rt.store.problems.set("slack", "invalid_auth", utcnow())
    r = await system.client.get("/readyz")
    assert r.status == 503 and "slack: invalid_auth" in await r.text()


async def test_our_own_published_reply_coming_back_is_not_a_new_mention(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hur öppnar jag appen?"))
    case = await system.case_of("post-1")
    await system.wf.edit(case.id, "anna", "Hej Anna! Tryck på ikonen.")
    await system.wf.publish(case.id, "anna")  # the sandbox answers with id r-1
    await system.ingest(mention_json("r-1", "post-1", "Hej Anna! Tryck på ikonen.", author="acme"))
    after = await system.case_of("post-1")
    assert after.state is State.PUBLISHED and after.mention_keys == ["sandbox:m-1"]


async def test_drafts_fit_the_situation(system: System) -> None:
    await system.ingest(
        mention_json("m-1", "post-1", "Jag halkade i butiken och min advokat hör av sig."),
        mention_json("m-2", "post-2", "Varför är min leverans sen igen?", author="u-2"),
    )
    assert (await system.case_of("post-1")).intent == "apology"  # sensitive: no cheerful hello
    await system.ingest(mention_json("m-3", "post-2", "Samma här.", author="u-3", name="Olle Nord"))
    joined = await system.case_of("post-2")
    first_intent = joined.intent
    assert first_intent in ("apology", "looking_into_it")
    assert joined.draft.startswith("Hej Olle") or "Olle" in joined.draft
    from chatops.drafting import Drafter, Intent

    greeting = Drafter().draft(
        language="sv",
        intent=Intent.GREETING,
        author_name="Olle Nord",
        brand="Acme",
        variant=int(joined.id),
    )
    assert joined.draft != greeting  # "me too" follows the thread, not a blank hello
