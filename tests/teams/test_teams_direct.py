"""Writing to a person directly in Teams (chatops.teams.direct, MessagesPeople): their
personal chat with the bot, started through the local Bot Connector as Teams starts it."""

from __future__ import annotations

from chatops.chat import MessagesPeople
from chatops.teams import direct
from tests.fakes.teams import TENANT
from tests.fakes.wait import eventually
from tests.teams.test_teams import (
    ANNA,
    COMMS1,
    COMMS2,
    SOCIAL,
    TeamsSystem,
    bare,
    personal_message,
    teams_config,
    ts,
)

__all__ = ["bare", "teams_config", "ts"]

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "hi"}]}


async def test_people_are_the_teams_users_among_the_targets(ts: TeamsSystem) -> None:
    assert isinstance(ts.backend, MessagesPeople)
    found = await ts.backend.people([COMMS1.aad, "U0ANNA0001", "here", COMMS1.aad, COMMS2.aad])
    assert found == [COMMS1.aad, COMMS2.aad]


async def test_the_first_message_starts_the_personal_chat_the_next_reuse_it(
    ts: TeamsSystem,
) -> None:
    for n in range(2):
        await ts.backend.outbox.enqueue(direct.message(COMMS1.aad, CARD, f"digest {n}"))
    await ts.flush()
    [create] = [c for c in ts.connector.calls_to("create") if not c.body.get("isGroup")]
    assert create.body["members"] == [{"id": COMMS1.aad}]
    assert create.body["tenantID"] == TENANT and create.body["bot"]["id"]
    sent = ts.connector.personal_messages(COMMS1.aad)
    assert [m.activity.get("summary") for m in sent] == ["digest 0", "digest 1"]
    assert sent[0].card == CARD
    assert ts.connector.posts(SOCIAL) == []  # nothing went to a channel


async def test_a_chat_the_person_opened_is_written_into(ts: TeamsSystem) -> None:
    r = await ts.send(personal_message(ts.connector.url, COMMS2, "help"))
    assert r.status in (200, 201)
    await ts.backend.outbox.enqueue(direct.message(COMMS2.aad, CARD, "digest"))
    await ts.flush()
    assert [c for c in ts.connector.calls_to("create") if not c.body.get("isGroup")] == []
    sent = ts.connector.personal_messages(COMMS2.aad)  # the answer to "help", then the card
    assert [m.card for m in sent] == [None, CARD]


async def test_a_person_without_the_app_is_dropped_and_the_others_still_get_theirs(
    ts: TeamsSystem,
) -> None:
    ts.connector.not_installed.add(ANNA.aad)
    await ts.backend.outbox.enqueue(direct.message(ANNA.aad, CARD, "digest"))
    await ts.backend.outbox.enqueue(direct.message(COMMS1.aad, CARD, "digest"))
    await ts.flush()
    assert ts.connector.personal_messages(ANNA.aad) == []
    assert len(ts.connector.personal_messages(COMMS1.aad)) == 1


async def test_before_any_install_direct_messages_wait(bare: TeamsSystem) -> None:
    await bare.backend.outbox.enqueue(direct.message(COMMS1.aad, CARD, "digest"))
    await bare.backend.sender.tick()
    assert bare.connector.calls == []
    await bare.install()

    async def sent() -> bool:  # the person's queue is tried again after `probe_every`
        await bare.backend.sender.tick()
        return len(bare.connector.personal_messages(COMMS1.aad)) == 1

    await eventually(sent, within=5)
