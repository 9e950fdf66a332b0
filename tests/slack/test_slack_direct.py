"""Writing to a person directly in Slack (chatops.slack.direct, MessagesPeople): the bot's DM.

Through the local Slack server: a user id as the channel opens the bot's DM, whose own id (D…)
the answer names and chat.update needs; the outbox queues DMs per person, so Slack's rate limit
is honoured for them as for channels.
"""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from chatops import keys
from chatops.chat import MessagesPeople
from chatops.slack import direct
from tests.fakes.slack import FakeSlack
from tests.fakes.wait import eventually
from tests.slack.test_slack import COMMS1, COMMS2, SlackSystem, slack_config, ss

__all__ = ["slack_config", "ss"]

ANNA = "U0ANNA0001"


async def test_a_user_id_as_the_channel_opens_the_dm_which_chat_update_then_names() -> None:
    slack = FakeSlack()
    await slack.start()
    client = slack.client()
    try:
        sent = await direct.send(client, ANNA, "hello", [])
        assert sent.channel.startswith("D") and sent.channel == slack.dm(ANNA)
        again = await direct.send(client, ANNA, "again", [])
        assert again.channel == sent.channel  # one DM per person
        await direct.update(client, sent, "changed", [])
        assert [m["text"] for m in slack.dm_messages(ANNA)] == ["changed", "again"]
        with pytest.raises(SlackApiError) as refused:
            await client.chat_update(channel=ANNA, ts=sent.ts, text="x")  # needs the D… id
        assert refused.value.response["error"] == "channel_not_found"
        opened = await client.conversations_open(users=ANNA)
        assert opened["channel"]["id"] == sent.channel
        assert direct.Sent.loads(sent.dumps()) == sent
    finally:
        await client.session.close() if client.session else None
        await slack.stop()


async def test_people_expands_user_groups_and_leaves_other_ids_out(ss: SlackSystem) -> None:
    assert isinstance(ss.backend, MessagesPeople)
    found = await ss.backend.people(
        [ANNA, "S0COMMS001", COMMS1, "here", "c0c0c0c1-1111-4222-8333-444455556666"]
    )
    assert found == [ANNA, COMMS1, COMMS2]


async def test_a_queued_direct_message_waits_out_the_dm_rate_limit(ss: SlackSystem) -> None:
    ss.slack.post_rate = (1.0, 1)  # one message a second per channel, the DM included
    for n in range(2):
        await ss.backend.outbox.enqueue(direct.message(COMMS1, f"digest {n}", []))
    wait = await ss.backend.sender.tick()
    assert [m["text"] for m in ss.slack.dm_messages(COMMS1)] == ["digest 0"]
    assert ss.slack.rejected_429 == 1 and 0.5 <= wait <= 1.0  # Retry-After, for this DM only
    assert await ss.rt.store.redis.pttl(keys.slack_pause(COMMS1)) > 0

    async def both() -> bool:
        await ss.backend.sender.tick()
        return len(ss.slack.dm_messages(COMMS1)) == 2

    await eventually(both, within=5)
    assert [m["text"] for m in ss.slack.dm_messages(COMMS1)] == ["digest 0", "digest 1"]
    assert ss.slack.rejected_429 == 1  # nothing burst after the pause


async def test_a_dm_to_a_user_who_does_not_exist_is_dropped_not_retried(ss: SlackSystem) -> None:
    ss.slack.users = {COMMS1: "Cia Comms"}  # the workspace's only user
    await ss.backend.outbox.enqueue(direct.message("U0GONE0001", "digest", []))
    await ss.backend.outbox.enqueue(direct.message(COMMS1, "digest", []))
    await ss.flush()
    assert [m["text"] for m in ss.slack.dm_messages(COMMS1)] == ["digest"]
    assert ss.slack.dm("U0GONE0001") is None
