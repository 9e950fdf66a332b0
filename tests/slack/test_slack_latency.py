"""Nothing avoidable between a mention and its Slack thread (DESIGN §8, bench/latency.py).

A case queued while the sender is busy goes out as soon as it is done, not a tick later: the
sender sleeps up to 5 s between ticks unless this process queues something, and a case queued
while a tick was under way (its channel not looked at by that tick) must cut the next sleep
short. It used to be lost: the wake-up was cleared when the sleep began, so the case waited
for the sleep to run out (the 5 s tail of mention → thread latency). And the Web API calls
keep one connection instead of opening one per call."""

from __future__ import annotations

import asyncio
import time

from tests.fakes import mention_json
from tests.fakes.wait import until
from tests.slack import test_slack
from tests.slack.test_slack import SlackSystem

slack_config = test_slack.slack_config  # the fixtures of tests/slack/test_slack.py
ss = test_slack.ss

BILLING = "C0BILLING1"
SLOW = 0.3
"""How long the local Slack takes over each chat.postMessage: the tick is under way that long."""


async def test_a_case_queued_during_a_tick_is_sent_without_waiting_for_the_next(
    ss: SlackSystem,
) -> None:
    ss.slack.delays["chat.postMessage"] = SLOW
    stop = asyncio.Event()
    loop = asyncio.create_task(ss.backend.sender.run(stop))
    try:
        await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
        await until(lambda: ss.slack.calls_to("chat.postMessage"))
        queued = time.monotonic()  # the social case's post is in flight: the tick is busy
        await ss.ingest(mention_json("m-2", "post-2", "Var är min faktura?", author="u-2"))
        [call] = await until(
            lambda: [
                c for c in ss.slack.calls_to("chat.postMessage") if c.args["channel"] == BILLING
            ]
        )
        assert call.at - queued < 3 * SLOW + 1.0, "the billing case waited for the next tick"
        await until(lambda: ss.slack.messages(BILLING))
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)


async def test_the_web_api_calls_share_one_connection(ss: SlackSystem) -> None:
    """slack_sdk opens a new session, and a new connection, for every call unless given one:
    milliseconds on the way of every case to its thread. The backend keeps one pool."""
    for n in range(3):
        await ss.ingest(mention_json(f"m-{n}", f"post-{n}", "Hej, när öppnar ni?", author=f"u{n}"))
    await ss.flush()
    posts = ss.slack.calls_to("chat.postMessage")
    assert len(posts) >= 3
    assert len({c.peer for c in posts}) == 1
