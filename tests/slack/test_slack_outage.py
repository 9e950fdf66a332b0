"""Slack's API down for a while (issue 10, faults): writes wait and resume within a few seconds
of Slack answering again, one probe at a time; a click that arrives meanwhile still counts.

The local Slack answers every method with a 503 page (or drops the connection) while it is
down. The sender is driven by `tick()` on a clock the test moves; nothing sleeps for time.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from chatops.outbox import FIRST_BACKOFF_S, MAX_BACKOFF_S, outage_backoff
from chatops.slack.backend import SlackBackend
from chatops.slack.identity import IDENTITY, RETRY_MAX_S, retry_wait
from chatops.slack.ids import Action
from tests.fakes import mention_json
from tests.fakes.slack import TEAM_ID, ManualClock, interaction_body, slack_headers
from tests.fakes.wait import eventually
from tests.slack import test_slack
from tests.slack.test_slack import ANNA, SECRET, SlackSystem, _owner
from tests.slack.test_slack_scope import click_payload, posted

ss = test_slack.ss  # the fixtures: Slack end to end as `chatops run` assembles it
slack_config = test_slack.slack_config

SOCIAL, BILLING = "C0SOCIAL01", "C0BILLING1"


# -- the backoff, as a table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [
        (1, FIRST_BACKOFF_S / 2, FIRST_BACKOFF_S),
        (2, FIRST_BACKOFF_S, FIRST_BACKOFF_S * 2),
        (3, FIRST_BACKOFF_S * 2, FIRST_BACKOFF_S * 4),
        (6, MAX_BACKOFF_S / 2, MAX_BACKOFF_S),
        (40, MAX_BACKOFF_S / 2, MAX_BACKOFF_S),
        (10_000, MAX_BACKOFF_S / 2, MAX_BACKOFF_S),
    ],
)
def test_the_outage_backoff_doubles_up_to_a_cap_of_a_few_seconds(
    failures: int, low: float, high: float
) -> None:
    assert outage_backoff(failures, 0.0) == pytest.approx(low)
    assert outage_backoff(failures, 1.0) == pytest.approx(high)
    assert low <= outage_backoff(failures, random.random()) <= high
    assert MAX_BACKOFF_S <= 5.0  # how late writing may resume once Slack answers


def test_the_auth_test_retry_is_bounded() -> None:
    assert [retry_wait(n, 1.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert retry_wait(100, 1.0) == RETRY_MAX_S and retry_wait(100, 0.0) == RETRY_MAX_S / 2


# -- the outbox during an outage --------------------------------------------------------------


@pytest.mark.parametrize("status", [503, 0], ids=["503", "connection-dropped"])
async def test_posts_wait_out_an_outage_and_go_out_on_the_first_probe_after_it(
    ss: SlackSystem, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chatops")
    sender = ss.backend.sender
    sender.clock = clock = ManualClock()
    ss.slack.go_down(status)
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.ingest(mention_json("m-2", "post-2", "Where is my invoice?", author="u-2"))
    assert (await ss.case("1002")).department == "billing"

    outage_s = 30.0 if status else 8.0  # slack_sdk waits ~1 s before its own retry
    waits: list[float] = []
    while sum(waits) < outage_s:
        before = len(ss.slack.calls)
        wait = await sender.tick()
        probe = ss.slack.calls[before:]
        # One probe: one write of one channel (a dropped connection is retried by slack_sdk
        # and aiohttp themselves, so it may be a few requests), never one per channel.
        assert probe and len({c.args.get("channel") for c in probe}) == 1 and len(probe) <= 4
        assert 0 < wait <= MAX_BACKOFF_S
        assert await sender.tick() == pytest.approx(wait, abs=0.01)  # waiting: no call at all
        assert len(ss.slack.calls) == before + len(probe)
        waits.append(wait)
        clock.advance(wait)
    assert ss.slack.messages(SOCIAL) == [] and ss.slack.messages(BILLING) == []
    assert len(waits) <= outage_s / (MAX_BACKOFF_S / 2) + 8

    ss.slack.come_back()
    wait = await sender.tick()  # the probe due now (at most MAX_BACKOFF_S after Slack is back)
    assert wait <= 5.0
    assert len(ss.slack.messages(SOCIAL)) == 1 and len(ss.slack.messages(BILLING)) == 1
    await ss.flush()
    assert len(ss.slack.messages(SOCIAL)) == 1 and len(ss.slack.messages(BILLING)) == 1

    said = [r.getMessage() for r in caplog.records if r.name == "chatops.outbox"]
    assert sum("not answering" in m for m in said) == 1  # one line when it starts
    assert sum("answers again" in m for m in said) == 1  # one when it ends
    assert not [r for r in caplog.records if r.exc_info]  # no tracebacks


async def test_an_update_during_an_outage_waits_and_is_not_lost(ss: SlackSystem) -> None:
    sender = ss.backend.sender
    sender.clock = clock = ManualClock()
    root = await posted(ss)
    ss.slack.go_down()
    await ss.rt.wf.claim("1001", ANNA)
    for _ in range(5):
        clock.advance(await sender.tick())
    ss.slack.come_back()
    clock.advance(MAX_BACKOFF_S)
    await ss.flush()
    [message] = ss.slack.messages(SOCIAL)
    assert message["ts"] == root
    assert ss.slack.calls_to("chat.update")[-1].ok
    assert any("claim" in r["text"].lower() for r in ss.slack.thread(SOCIAL, root))


async def test_slack_down_while_the_token_was_refused_probes_again_within_seconds(
    ss: SlackSystem,
) -> None:
    """auth.test failing because Slack is down says nothing about the token: the next check
    comes after the outage backoff, not after `probe_every` (30 s)."""
    sender = ss.backend.sender
    ss.slack.revoke_token()
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await sender.tick()  # refused: every write paused until auth.test passes
    sender.probe_every = 30.0
    ss.slack.restore_token()
    ss.slack.go_down()
    assert await sender.tick() <= MAX_BACKOFF_S  # the check failed: Slack is down
    ss.slack.come_back()
    await eventually(lambda: test_slack._tick_until_posted(ss, SOCIAL), within=MAX_BACKOFF_S + 1.0)


# -- clicks while auth.test does not answer ---------------------------------------------------


async def _second_process(
    ss: SlackSystem,
) -> tuple[SlackBackend, TestClient[web.Request, web.Application]]:
    """Another web process starting on the same Redis (Slack's state as it is now)."""
    backend = SlackBackend(ss.rt)
    app = web.Application()
    backend.attach(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    return backend, client


async def _claim(client: TestClient[web.Request, web.Application]) -> Any:
    body = interaction_body(click_payload(Action.CLAIM, "1001", ANNA, SOCIAL))
    return await client.post("/slack/events", data=body, headers=slack_headers(body, SECRET))


async def test_a_click_while_slack_is_down_still_changes_the_case(ss: SlackSystem) -> None:
    """Slack does not retry an interactivity payload: a process that starts while auth.test
    fails acts on the click as the workspace an earlier answer named (cached in Redis), and
    its thread line waits in the outbox until Slack answers."""
    root = await posted(ss)
    assert await ss.rt.store.redis.hget(IDENTITY, "team_id") == TEAM_ID  # learnt at start
    ss.slack.go_down()
    backend, client = await _second_process(ss)
    try:
        r = await _claim(client)
        assert r.status == 200
        await eventually(lambda: _owner(ss, ANNA))
        assert await backend.team_id() == TEAM_ID
        assert not backend.identity.confirmed  # auth.test has not answered this process
        ss.slack.come_back()
        await eventually(lambda: _learnt(backend))
        await ss.flush()
        assert any("claim" in m["text"].lower() for m in ss.slack.thread(SOCIAL, root))
    finally:
        await client.close()
        await backend.close()


async def test_without_a_cached_answer_a_click_while_slack_is_down_is_refused(
    ss: SlackSystem,
) -> None:
    """Fail closed: nobody ever told us our workspace, so nothing is let in."""
    await posted(ss)
    await ss.rt.store.redis.delete(IDENTITY)
    ss.slack.go_down()
    backend, client = await _second_process(ss)
    try:
        r = await _claim(client)
        assert r.status == 503
        assert (await ss.case()).owner is None
        ss.slack.come_back()
        await eventually(lambda: _learnt(backend))
        assert (await _claim(client)).status == 200
        await eventually(lambda: _owner(ss, ANNA))
    finally:
        await client.close()
        await backend.close()


async def test_a_cached_answer_never_stands_in_for_another_token(ss: SlackSystem) -> None:
    await posted(ss)
    await ss.rt.store.redis.hset(IDENTITY, "token", "digest-of-another-token")
    ss.slack.go_down()
    backend, client = await _second_process(ss)
    try:
        assert (await _claim(client)).status == 503
        assert (await ss.case()).owner is None
    finally:
        await client.close()
        await backend.close()


async def _learnt(backend: SlackBackend) -> bool:
    return backend.identity.confirmed
