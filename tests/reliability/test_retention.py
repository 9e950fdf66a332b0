"""A small store (issue 15 item 5): dedupe markers live `retention.dedupe`, the inbound stream
never loses an entry no worker processed however far past its caps, the dead-letter stream is
trimmed by age and length only after it was counted and warned about.

Time moves on injected clocks; stream entry ids carry Redis's own clock, so each test starts its
clock at the wall time and moves it from there.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from adapters.base import Skipped, SkipReason, longest_retry, retry_window
from chatops import keys
from chatops.config import ConfigError, load_config_text
from chatops.domain import Change, utcnow
from chatops.metrics import Metrics
from chatops.store import Store, StreamLimits, StreamWatch
from tests.builders import mention
from tests.conftest import TEST_CONFIG, System

DAY = 24 * 3600


def gauge(metrics: Metrics, name: str, stream: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"stream": stream})


# -- the config --------------------------------------------------------------------------------


def test_retention_defaults_and_keys() -> None:
    config = load_config_text(TEST_CONFIG, source="t.yaml")
    assert config.retention.cases == timedelta(days=180)
    assert config.retention.dedupe == timedelta(days=7)
    assert longest_retry() == timedelta(hours=36) == retry_window("facebook")  # Meta's
    assert [retry_window(p) for p in ("x", "viber", "sandbox")] == [
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(0),
    ]
    mine = load_config_text(
        TEST_CONFIG + "retention: {cases: 90d, dedupe: 3d, inbound: 2d, dead: 14d}\n",
        source="t.yaml",
    )
    limits = StreamLimits.of(mine.retention)
    assert (limits.dedupe, limits.inbound_age, limits.dead_age) == (
        timedelta(days=3),
        timedelta(days=2),
        timedelta(days=14),
    )


@pytest.mark.parametrize(
    ("retention", "problem"),
    [
        ("{dedupe: 12h}", "retention.dedupe: must be at least 36h"),
        ("{dedupe: soon}", "retention.dedupe: bad duration 'soon'"),
        ("{inbound: 0s}", "retention.inbound: must be longer than 0s"),
        ("{dead_max: 10}", "retention.dead_max"),
        ("{forever: true}", "retention: unknown key 'forever'"),
    ],
)
def test_check_config_refuses_bad_retention(retention: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(TEST_CONFIG + f"retention: {retention}\n", source="t.yaml")
    assert problem in str(caught.value)


# -- dedupe markers ----------------------------------------------------------------------------


async def test_dedupe_markers_expire_after_the_configured_window(redis: aioredis.Redis) -> None:
    config = load_config_text(TEST_CONFIG + "retention: {dedupe: 3d}\n", source="t.yaml")
    store = Store(redis, StreamLimits.of(config.retention))
    edited = mention("m-1", change=Change.EDITED, text="hej igen")
    assert await store.inbound.append([edited]) == [True]
    skipped = Skipped.of(SkipReason.MALFORMED, "entry[0]: no id", {"entry": [{"x": 1}]})
    assert await store.inbound.dead_letter_items("facebook", [skipped]) == [True]

    markers = [k async for k in redis.scan_iter(match=keys.seen("*"))]
    assert len(markers) == 2
    for key in markers:
        assert 3 * DAY - 5 <= await redis.ttl(key) <= 3 * DAY
    assert await store.inbound.append([edited]) == [False]  # a retry within the window

    default = Store(redis)
    other = mention("m-2", change=Change.REMOVED)
    await default.inbound.append([other])
    assert 7 * DAY - 5 <= await redis.ttl(keys.seen(other.delivery_key)) <= 7 * DAY


async def test_runtime_takes_retention_from_the_config(system: System) -> None:
    assert system.rt.store.inbound.limits == StreamLimits.of(system.rt.config.retention)


# -- the inbound stream ------------------------------------------------------------------------


async def test_the_inbound_cap_never_trims_an_unprocessed_entry(store: Store) -> None:
    store.inbound.limits = StreamLimits(inbound_length=3)
    now = utcnow()
    await store.inbound.append([mention(f"m-{i}") for i in range(5)])  # no worker yet

    found = await store.inbound.housekeep(now)

    assert await store.redis.xlen(keys.INBOUND) == 5
    assert (found.unprocessed, found.over_cap) == (5, 2)
    assert "kept, not trimmed" in found.warnings[0]

    await store.inbound.ensure_group()
    read = await store.inbound.read("w", 3, 1)
    await store.inbound.ack([e.entry_id for e in read[:2]])
    found = await store.inbound.housekeep(now)
    assert (found.unprocessed, found.over_cap, found.warnings) == (3, 0, [])
    left = [eid for eid, _ in await store.redis.xrange(keys.INBOUND)]
    assert read[2].entry_id in left  # read, not acknowledged: still there


async def test_the_inbound_age_cap_keeps_old_unprocessed_entries(store: Store) -> None:
    store.inbound.limits = StreamLimits(inbound_age=timedelta(days=7))
    now = utcnow()
    await store.inbound.ensure_group()
    await store.inbound.append([mention(f"m-{i}") for i in range(4)])
    [pending] = await store.inbound.read("w", 1, 1)  # a worker died holding this one

    assert (await store.inbound.housekeep(now + timedelta(days=6))).over_cap == 0
    later = await store.inbound.housekeep(now + timedelta(days=8))

    assert (later.unprocessed, later.over_cap) == (4, 4)
    assert later.oldest is not None and later.oldest > timedelta(days=7, hours=23)
    assert await store.redis.xlen(keys.INBOUND) == 4
    assert (await store.redis.xrange(keys.INBOUND, count=1))[0][0] == pending.entry_id


async def test_a_stream_past_its_cap_is_a_metric_and_one_warning(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.inbound.limits = StreamLimits(inbound_length=1)
    metrics = Metrics()
    watch = StreamWatch(metrics)
    await store.inbound.append([mention("m-1"), mention("m-2")])
    caplog.set_level(logging.INFO, logger="chatops.store.inbound")

    watch.saw(await store.inbound.housekeep(utcnow()))
    watch.saw(await store.inbound.housekeep(utcnow()))

    assert gauge(metrics, "chatops_stream_over_cap", "inbound") == 1
    assert metrics.registry.get_sample_value("chatops_inbound_lag") == 2
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "2 entries wait for a worker" in warned[0].getMessage()
    assert "m-1" not in warned[0].getMessage()

    await store.inbound.ensure_group()
    read = await store.inbound.read("w", 2, 1)
    await store.inbound.ack([e.entry_id for e in read])
    watch.saw(await store.inbound.housekeep(utcnow()))
    assert gauge(metrics, "chatops_stream_over_cap", "inbound") == 0
    assert "inbound stream: back under its caps" in caplog.text


async def test_the_web_warns_while_no_worker_runs_and_still_takes_webhooks(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    system.rt.store.inbound.limits = StreamLimits(inbound_length=1)
    caplog.set_level(logging.WARNING, logger="chatops.store.inbound")
    items = [
        {
            "id": f"m-{n}",
            "conversation_id": f"post-{n}",
            "kind": "comment",
            "account": "acme",
            "author": {"id": f"u-{n}", "name": "Anna Berg"},
            "text": "Var är min faktura?",
            "created_at": system.clock.now.isoformat(),
        }
        for n in (1, 2, 3)
    ]
    answer = await system.post(items)  # the web looks at the streams after storing them
    assert answer.status == 200

    assert "entries wait for a worker" in caplog.text  # said by the web, no worker ran
    body = await (await system.client.get("/metrics")).text()
    assert 'chatops_stream_over_cap{stream="inbound"} 2.0' in body
    assert "chatops_inbound_lag 3.0" in body
    assert await system.rt.store.redis.xlen(keys.INBOUND) == 3


# -- the dead-letter stream --------------------------------------------------------------------


async def test_dead_letters_are_warned_about_a_day_before_their_age_trims_them(
    store: Store,
) -> None:
    store.inbound.limits = StreamLimits(dead_age=timedelta(days=30))
    metrics = Metrics()
    watch = StreamWatch(metrics)
    now = utcnow()
    items = [Skipped.of(SkipReason.MALFORMED, f"entry[{i}]", {"n": i}) for i in range(3)]
    await store.inbound.dead_letter_items("facebook", items)

    assert (await store.inbound.housekeep(now + timedelta(days=28))).dead_expiring == 0
    warned = await store.inbound.housekeep(now + timedelta(days=29, hours=1))
    watch.saw(warned)
    assert (warned.dead, warned.dead_expiring, warned.dead_trimmed) == (3, 3, 0)
    assert "chatops replay --dead" in warned.warnings[0]
    assert gauge(metrics, "chatops_stream_over_cap", "dead") == 3

    gone = await store.inbound.housekeep(now + timedelta(days=30, minutes=1))
    watch.saw(gone)
    assert (gone.dead, gone.dead_trimmed) == (0, 3)
    assert gauge(metrics, "chatops_stream_trimmed_total", "dead") == 3


async def test_the_dead_letter_length_cap_warns_first_then_keeps_the_newest(
    store: Store,
) -> None:
    store.inbound.limits = StreamLimits(dead_length=10)
    now = utcnow()
    items = [Skipped.of(SkipReason.MALFORMED, f"entry[{i}]", {"n": i}) for i in range(12)]
    await store.inbound.dead_letter_items("facebook", items[:9])
    assert (await store.inbound.report(now)).dead_expiring == 0
    await store.inbound.dead_letter_items("facebook", items[9:10])
    assert (await store.inbound.report(now)).dead_expiring == 1  # 90 % full: warned

    await store.inbound.dead_letter_items("facebook", items[10:])
    found = await store.inbound.housekeep(now)

    assert (found.dead, found.dead_trimmed) == (10, 2)
    kept = [fields["detail"] for _, fields in await store.redis.xrange(keys.DEAD)]
    assert kept == [f"entry[{i}]" for i in range(2, 12)]
