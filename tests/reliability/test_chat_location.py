"""Where a case's chat message is (chatops/outbox.py, `keys.ChatKeys.where`): one field of a
bucketed hash per case, so that a posted case keeps no chat key of its own (issue 15 item 5);
the previous layout's hash per case is still read, moves when the case is posted again, and
goes with the case."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from chatops import keys
from chatops.outbox import packed, unpacked
from chatops.slack.outbox import Outbox as SlackOutbox
from chatops.slack.outbox import Thread
from chatops.store import Store
from chatops.teams.outbox import Outbox as TeamsOutbox
from chatops.teams.outbox import Post
from tests.fakes import mention_json
from tests.slack import test_slack
from tests.slack.test_slack import SlackSystem
from tests.teams import test_teams
from tests.teams.test_teams import TeamsSystem

slack_config, ss = test_slack.slack_config, test_slack.ss
teams_config, bare, ts = test_teams.teams_config, test_teams.bare, test_teams.ts
"""The products around the local Slack and Bot Connector, as their own tests set them up."""


async def stored(redis: aioredis.Redis, chat: keys.ChatKeys, case_id: str) -> list[str]:
    """A case's location as its bucket holds it: its channel's code read back in
    `where_channels`, then the chat's ids of its message."""
    raw = await redis.hget(keys.bucket(chat.where, case_id), case_id)
    assert raw is not None, f"case {case_id} has no location in its bucket"
    code, *ids = raw.split("\t")
    channel = await redis.hget(chat.where_channels, f"#{code}")
    assert channel is not None, f"no channel has the code {code}"
    return [channel, *ids]


SOCIAL, BILLING = "C0SOCIAL01", "C0BILLING1"
AGENT = "U0AGENT001"
TEAMS_SOCIAL = "19:c2b9c2ab4e2c4f0a9e8d0d1a2b3c4d5e@thread.tacv2"


@pytest.mark.parametrize(
    "fields",
    [
        [SOCIAL, "1764492000.000100"],
        [TEAMS_SOCIAL, f"{TEAMS_SOCIAL};messageid=1764492000000", "1764492000000"],
        [TEAMS_SOCIAL, "19:other@thread.tacv2;messageid=1", "1"],
        ["19:a@thread.tacv2", "19:a@thread.tacv2", "19:a@thread.tacv2x"],
    ],
)
def test_a_location_packs_and_unpacks_to_what_it_was(fields: list[str]) -> None:
    channel, *ids = fields
    joined = packed(channel, ids)
    assert channel not in joined or not any(i.startswith(channel) for i in ids)
    assert unpacked(f"{channel}\t{joined}") == fields


async def test_a_posted_slack_case_is_found_in_its_bucket_and_keeps_no_key_of_its_own(
    ss: SlackSystem,
) -> None:
    redis = ss.rt.store.redis
    await ss.ingest(mention_json("m-1", "post-1", "Har ni öppet på söndag?"))
    assert await redis.hexists(keys.SLACK.case("1001"), f"queued:{SOCIAL}"), "while it waits"

    await ss.flush()

    [message] = ss.slack.messages(SOCIAL)
    assert await ss.backend.outbox.thread_of("1001") == Thread(SOCIAL, message["ts"])
    assert await stored(redis, keys.SLACK, "1001") == [SOCIAL, message["ts"]]
    code = await redis.hget(keys.SLACK.where_channels, SOCIAL)
    assert code and len(code) < len(SOCIAL), "a channel is named by its short code"
    assert not await redis.exists(keys.SLACK.case("1001")), "no per-case key once posted"
    assert await ss.backend.outbox.case_of_thread(SOCIAL, message["ts"]) == "1001"

    await ss.rt.wf.claim("1001", AGENT)
    await ss.flush()
    assert len(ss.slack.messages(SOCIAL)) == 1, "not posted again"
    [update] = ss.slack.calls_to("chat.update")[-1:]
    assert update.args["ts"] == message["ts"], "updated in place where the bucket says"
    assert not await redis.exists(keys.SLACK.case("1001"))


async def test_a_posted_teams_case_is_found_in_its_bucket_and_keeps_no_key_of_its_own(
    ts: TeamsSystem,
) -> None:
    redis = ts.rt.store.redis
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()

    card = await ts.post()
    post = await ts.backend.outbox.post_of("1001")
    assert post is not None and post.activity == card.id
    raw = await redis.hget(keys.bucket(keys.TEAMS.where, "1001"), "1001")
    assert post.channel not in raw and len(raw.encode()) < 64, "compact in Redis's listpack"
    chain = post.conversation.removeprefix(post.channel)
    assert await stored(redis, keys.TEAMS, "1001") == [post.channel, f"\x1e{chain}", post.activity]
    assert not await redis.exists(keys.TEAMS.case("1001")), "no per-case key once posted"
    assert await ts.backend.outbox.case_of_thread(post.conversation) == "1001"


async def test_a_location_of_the_previous_layout_is_found_and_moves_at_the_next_post(
    store: Store,
) -> None:
    outbox = SlackOutbox(store)
    before = keys.SLACK.case("1001")
    await store.redis.hset(before, mapping={"channel": SOCIAL, "ts": "1.000100"})

    assert await outbox.thread_of("1001") == Thread(SOCIAL, "1.000100")
    assert not await outbox.post_once("1001", SOCIAL), "posted there: not posted again"
    assert await outbox.post_once("1001", BILLING), "rerouted: posted in the new channel"
    await outbox.record_thread("1001", Thread(BILLING, "2.000200"))

    assert await outbox.thread_of("1001") == Thread(BILLING, "2.000200")
    assert await stored(store.redis, keys.SLACK, "1001") == [BILLING, "2.000200"]
    assert not await store.redis.exists(before), "moved into the bucket, its mark gone too"
    assert await outbox.case_of_thread(SOCIAL, "1.000100") is None
    assert await outbox.case_of_thread(BILLING, "2.000200") == "1001"


async def test_a_storm_keeps_its_marks_while_its_summary_moves_into_the_bucket(
    store: Store,
) -> None:
    outbox = SlackOutbox(store)
    storm = "social:3"
    await store.redis.hset(
        keys.SLACK.case(storm), mapping={"channel": SOCIAL, "ts": "1.000100", "listed": "20"}
    )
    await outbox.record_thread(storm, Thread(SOCIAL, "3.000300"))

    assert await outbox.thread_of(storm) == Thread(SOCIAL, "3.000300")
    assert await store.redis.hgetall(keys.SLACK.case(storm)) == {"listed": "20"}


async def test_forgetting_a_case_leaves_nothing_of_its_location_in_either_layout(
    store: Store,
) -> None:
    outbox = SlackOutbox(store)
    await store.redis.hset(keys.SLACK.case("1001"), mapping={"channel": SOCIAL, "ts": "1.0001"})
    await outbox.post_once("1002", SOCIAL)
    await outbox.record_thread("1002", Thread(SOCIAL, "2.0002"))
    await outbox.record_thread("1003", Thread(BILLING, "3.0003"))
    social, billing = await store.redis.hmget(keys.SLACK.where_channels, [SOCIAL, BILLING])
    assert social and billing and social != billing

    await outbox.forget("1001", f"{SOCIAL}:1.0001")
    await outbox.forget("1002", f"{SOCIAL}:2.0002")
    await outbox.forget("1003", f"{BILLING}:3.0003")

    for case_id in ("1001", "1002", "1003"):
        assert await outbox.thread_of(case_id) is None
    left = [k async for k in store.redis.scan_iter(count=1000)]
    assert [k for k in left if ":case:" in k or ":where" in k or ":threads" in k] == [
        keys.SLACK.where_channels
    ], "only the channels' codes, which name no case and are given once"
    await outbox.record_thread("1004", Thread(SOCIAL, "4.0004"))
    assert await store.redis.hget(keys.SLACK.where_channels, SOCIAL) == social, "kept"


async def test_adopting_a_teams_post_is_set_if_absent(store: Store) -> None:
    """Two clicks on two cards of one case at once (a post whose answer a crash lost, and
    its second copy): exactly one is adopted, and a recorded post is never replaced."""
    outbox = TeamsOutbox(store)
    first = Post(TEAMS_SOCIAL, f"{TEAMS_SOCIAL};messageid=1", "1")
    second = Post(TEAMS_SOCIAL, f"{TEAMS_SOCIAL};messageid=2", "2")

    won = await asyncio.gather(outbox.adopt("1001", first), outbox.adopt("1001", second))

    assert sorted(won) == [False, True]
    kept, other = (first, second) if won[0] else (second, first)
    assert await outbox.post_of("1001") == kept
    assert await outbox.case_of_thread(kept.conversation) == "1001"
    assert await outbox.case_of_thread(other.conversation) is None
    assert not await outbox.adopt("1001", other)
    assert await outbox.post_of("1001") == kept

    await store.redis.hset(keys.TEAMS.case("1002"), mapping=first._asdict())  # before
    assert not await outbox.adopt("1002", second), "recorded by the previous layout"
    assert await outbox.post_of("1002") == first
    assert not await store.redis.hexists(keys.bucket(keys.TEAMS.where, "1002"), "1002")
