"""Storm detection in the worker: signed webhooks through the web app and a worker, as
`chatops run` handles them. Every mention is recorded as a case; those before the storm opened
are shown as before, the storm's own members are created in the `storm` state and shown by the
storm's thread instead (tests/storm/test_thread.py); the storm is recorded, its opening and
closing logged once, without a word of what customers wrote.
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import fakeredis
import pytest
from rich.console import Console

from chatops.chat import EventKind
from chatops.config import Config
from chatops.console.repl import Repl
from chatops.domain import Author, Mention, State
from chatops.store.storms import Storms
from chatops.storm import StormWatch
from chatops.worker import Worker
from tests.builders import NOW
from tests.conftest import Clock, System
from tests.fakes import mention_json

COMPLAINT = "Appen har legat nere i en timme, jag kan inte logga in och betala mina räkningar"
SPAM = "FREE bitcoin airdrop!!! bit.ly/x{n} https://y.invalid/{n} claim now"


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def storm_lines(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "chatops.storm.watch" and word in r.getMessage()
    ]


async def test_a_storm_through_the_worker_is_recorded_logged_once_and_closed(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for n in range(12):
        system.clock.advance(seconds=15)
        text = COMPLAINT + ("!" * (n % 3))
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}"))
    storms = Storms(system.rt.store.redis)
    group = await storms.group("social", "1")
    assert group is not None and group.state == "open" and group.members == 12
    assert group.opened_at == NOW + timedelta(seconds=150)  # the tenth person
    # nine cases shown as they arrived; from the tenth (it opened the storm) on, members
    created = [v.case.id for v, e in system.chat.shown if e.kind is EventKind.CREATED]
    assert created == [str(1001 + n) for n in range(9)]
    members = await system.rt.store.cases.get_many(["1010", "1011", "1012"])
    assert [(c.state, c.storm) for c in members] == [(State.STORM, "social:1")] * 3
    roster = await storms.roster("social", "1")
    assert [(m.case_id, m.own) for m in roster] == [
        *((str(1001 + n), "earlier") for n in range(9)),
        ("1010", ""),
        ("1011", ""),
        ("1012", ""),
    ]
    opened = storm_lines(caplog, "opened")
    assert opened == ["storm social:1 opened: 10 people wrote alike within 10m (10 mentions)"]
    assert not any("Appen" in r.getMessage() for r in caplog.records)

    assert system.rt.pipeline is not None
    clock = Monotonic()
    worker = Worker(system.rt.store.inbound, system.rt.pipeline, system.rt.metrics, monotonic=clock)
    assert "storms" in await worker.periodic()
    assert storm_lines(caplog, "closed") == []
    system.clock.advance(minutes=30)
    clock.now += 15
    assert "storms" in await worker.periodic()
    assert storm_lines(caplog, "closed") == [
        "storm social:1 closed: quiet for 30m (12 mentions from 12 people)"
    ]
    closed = await storms.group("social", "1")
    assert closed is not None and closed.state == "closed"


def sandbox(n: int, text: str) -> Mention:
    return Mention(
        platform="sandbox",
        account="acme",
        external_id=f"m-{n}",
        conversation_id=f"post-{n}",
        author=Author(id=f"u-{n}", name=f"Person {n}"),
        text=text,
        created_at=NOW,
    )


async def test_the_verdict_is_on_the_processing_result(system: System) -> None:
    pipeline = system.rt.pipeline
    assert pipeline is not None
    first = await pipeline.process(sandbox(1, COMPLAINT))
    assert first.case is not None and first.storm is not None
    assert (first.storm.department, first.storm.group, first.storm.new) == ("social", "1", True)
    again = await pipeline.process(sandbox(1, COMPLAINT))  # the stream delivered it twice
    assert again.storm is not None and not again.storm.new and again.storm.members == 1
    assert (await pipeline.process(sandbox(2, "ok"))).storm is None
    assert await pipeline.handle(sandbox(3, COMPLAINT)) is not None


async def test_spam_is_no_storm(system: System) -> None:
    pipeline = system.rt.pipeline
    assert pipeline is not None
    for n in range(12):
        system.clock.advance(seconds=5)
        handled = await pipeline.process(sandbox(n, SPAM.format(n="")))
        assert handled.case is not None and "possible_spam" in handled.case.flags
        assert handled.storm is None
    assert await Storms(system.rt.store.redis).group("social", "1") is None


async def test_the_embedded_store_detects_storms_too(config: Config, clock: Clock) -> None:
    """`chatops demo` and a REDIS_URL-less run use fakeredis: the scripts run there as well."""
    redis = fakeredis.FakeAsyncRedis(decode_responses=True)
    watch = StormWatch(Storms(redis), config)
    verdicts = []
    for n in range(10):
        clock.advance(seconds=10)
        verdict = await watch.observe("social", sandbox(n, COMPLAINT), clock())
        assert verdict is not None
        verdicts.append(verdict)
    assert {v.group for v in verdicts} == {"1"} and verdicts[-1].opened
    clock.advance(minutes=30)
    assert [c.group for c in await watch.closing(clock())] == ["1"]
    await redis.aclose()


async def test_the_console_list_names_a_storm_once(system: System) -> None:
    for n in range(12):
        system.clock.advance(seconds=15)
        text = COMPLAINT + ("!" * (n % 3))
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}"))
    out = io.StringIO()
    repl = Repl(system.wf, system.rt.store.audit, Console(file=out, width=200), "anna")
    assert await repl.execute("list")
    text = out.getvalue()
    assert "🌀 Storm social:1 · 3 members wait in its thread" in text
    assert "1009" in text and "1010" not in text
