"""Teams for staff (issue 12 item 4): a plain reply that reaches the bot (it @mentioned it
without `>>`) is answered once per person and case with how a reply becomes the draft."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Entity

from tests.fakes import mention_json
from tests.fakes.teams import BOT_ID, BOT_NAME, Person
from tests.teams import test_teams
from tests.teams.test_teams import ANNA, BOB, SOCIAL, TeamsSystem

teams_config, bare, ts = test_teams.teams_config, test_teams.bare, test_teams.ts
"""The local Bot Connector and the product around it, as test_teams.py sets them up."""


def _adapter(ts: TeamsSystem, post_id: str, person: Person) -> TestAdapter:
    template = Activity(
        channel_id="msteams",
        service_url=ts.connector.url,
        conversation=ConversationAccount(
            id=f"{SOCIAL};messageid={post_id}", is_group=True, conversation_type="channel"
        ),
        recipient=ChannelAccount(id=BOT_ID, name=BOT_NAME),
        from_property=ChannelAccount(id=person.id, name=person.name, aad_object_id=person.aad),
    )
    return TestAdapter(ts.backend.bot.on_turn, template)


def _addressed(text: str) -> Activity:
    at = f"<at>{BOT_NAME}</at>"
    mention = Entity().deserialize(
        {"type": "mention", "text": at, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}
    )
    return Activity(type="message", text=f"{at} {text}", entities=[mention])


def _says(fragment: str) -> Callable[[Activity, str], None]:
    def check(reply: Activity, description: str) -> None:
        assert fragment in (reply.text or ""), reply.text

    return check


async def test_a_plain_reply_to_the_bot_gets_the_tip_once_per_person(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.flush()
    post = await ts.post()
    anna = _adapter(ts, post.id, ANNA)
    flow = await anna.send(_addressed("can someone check the invoice?"))
    await flow.assert_reply(_says("start it with @chatops &gt;&gt; (for example"))
    flow = await anna.send(_addressed("still checking"))
    await flow.assert_no_reply()
    bob = _adapter(ts, post.id, BOB)
    flow = await bob.send(_addressed("I'll look"))
    await flow.assert_reply(_says("stay internal"))
    await anna.send(_addressed(">> Hej! Vi kollar."))
    assert (await ts.case()).draft == "Hej! Vi kollar."
