"""The approval inbox in Teams, end to end through the local Bot Connector: a sensitive case's
publish sends each approver a copy of the request in their personal chat with the bot (started
proactively); a click on one copy is answered with it settled, and every copy is updated."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.chat.actions import Action
from chatops.chat.inbox import Copy, request
from chatops.config import Config, load_config_text
from chatops.domain import State
from chatops.teams.inbox import copy_card
from chatops.teams.markup import fits
from tests.fakes.teams import Message, Person, personal_card_action
from tests.fakes.wait import eventually
from tests.teams.test_teams import (
    ANNA,
    COMMS1,
    COMMS2,
    TEAMS_CONFIG,
    TeamsSystem,
    actions_of,
    awaiting_approval,
    bare,
    notice,
    text_of,
    ts,
    verbs,
)
from tests.teams.test_teams_cards import executes, inputs

__all__ = ["bare", "ts"]

ASKED = {"case.approve", "case.edit_approve", "case.reject"}
DRAFT = "Hello! Our press office will call you today."
COMMS_CHANNEL = "19:comms0acme@thread.tacv2"


@pytest.fixture
def teams_config(request: pytest.FixtureRequest) -> Config:
    """The Teams test config; parametrized with a channel id, with `approval.channel` set."""
    channel = getattr(request, "param", None)
    text = TEAMS_CONFIG
    if channel:
        text = text.replace(
            "  departments: [legal]\n", f'  departments: [legal]\n  channel: "{channel}"\n'
        )
    return load_config_text(text, source="teams.yaml")


def copy_of(ts: TeamsSystem, person: Person) -> Message:
    [copy] = [m for m in ts.connector.personal_messages(person.aad) if m.card]
    return copy


async def click_copy(
    ts: TeamsSystem, person: Person, verb: str, copy: Message, **inputs: str
) -> dict[str, Any]:
    """Click `verb` on a copy in `person`'s personal chat, as Teams sends it: the action's own
    data and the inputs typed (the draft box, the reason)."""
    [action] = [a for a in actions_of(copy.card or {}) if a["verb"] == verb]
    activity = personal_card_action(
        ts.connector.url, person, verb, {**action["data"], **inputs}, card_id=copy.id
    )
    return await ts.invoke(activity)


async def all_settled(ts: TeamsSystem, people: tuple[Person, ...]) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        await ts.flush()
        cards = [copy_of(ts, p).card or {} for p in people]
        return cards if all(not verbs(c) for c in cards) else None

    return await eventually(check, what="every copy settled")


async def test_the_copy_is_an_adaptive_card_every_click_of_which_names_the_case() -> None:
    from tests.teams.test_teams_cards import make_case, make_view

    view = make_view(make_case(State.AWAITING_APPROVAL, draft="Hej! Vi ringer."))
    copy: Copy = request(view)
    card = copy_card(copy, {})
    assert verbs(card) == ASKED and fits(card)
    assert all(a["data"]["case_id"] == view.case.id for a in executes(card))
    assert all(a["data"]["source"] == "inbox" for a in executes(card))
    assert all(a["data"]["seen"] == copy.seen for a in executes(card))
    assert set(inputs(card)) == {"draft", "reason"} and inputs(card)["draft"]["value"] == (
        "Hej! Vi ringer."
    )
    huge = make_view(make_case(State.AWAITING_APPROVAL, draft="x" * 3000))
    assert fits(copy_card(request(huge), {}))


async def test_each_approver_gets_the_request_in_a_personal_chat_and_one_click_settles_all(
    ts: TeamsSystem,
) -> None:
    await awaiting_approval(ts, DRAFT)
    await ts.flush()
    assert ts.connector.personal_messages(ANNA.aad) == []  # who asked is asked nothing
    creates = [c.body for c in ts.connector.calls_to("create") if not c.body.get("isGroup")]
    assert sorted(c["members"][0]["id"] for c in creates) == sorted([COMMS1.aad, COMMS2.aad])
    for person in (COMMS1, COMMS2):
        card = copy_of(ts, person).card or {}
        assert verbs(card) == ASKED
        shown = text_of(card)
        assert "journalist, comment please?" in shown and DRAFT in shown
        assert "“journalist”" in shown
    answer = await click_copy(ts, COMMS2, Action.APPROVE, copy_of(ts, COMMS2))
    assert notice(answer) is None and not verbs(answer) and "Approved by" in text_of(answer)
    assert (await ts.case()).state is State.PUBLISHED
    assert [r["text"] for r in ts.platform.received] == [DRAFT]
    for card in await all_settled(ts, (COMMS1, COMMS2)):
        assert "Approved by Dan Comms at" in text_of(card)
    assert len(copy_of(ts, COMMS1).versions) == 1  # updated in place, not sent again


async def test_edit_and_approve_from_the_personal_chat(ts: TeamsSystem) -> None:
    await awaiting_approval(ts, DRAFT)
    await ts.flush()
    better = "Hello! Our press office will call you before noon."
    answer = await click_copy(ts, COMMS1, Action.EDIT_APPROVE, copy_of(ts, COMMS1), draft=better)
    assert "Edited and approved by" in text_of(answer)
    case = await ts.case()
    assert case.state is State.PUBLISHED and case.approved_by == case.draft_author == COMMS1.aad
    assert [r["text"] for r in ts.platform.received] == [better]
    for card in await all_settled(ts, (COMMS1, COMMS2)):
        assert "Edited and approved by Cia Comms" in text_of(card) and better in text_of(card)


async def test_sending_back_from_the_personal_chat(ts: TeamsSystem) -> None:
    await awaiting_approval(ts, DRAFT)
    await ts.flush()
    answer = await click_copy(ts, COMMS1, Action.REJECT, copy_of(ts, COMMS1), reason="Too casual")
    assert "Sent back by" in text_of(answer)
    assert (await ts.case()).state is State.DRAFTED
    for card in await all_settled(ts, (COMMS1, COMMS2)):
        assert "Sent back by Cia Comms" in text_of(card) and "Too casual" in text_of(card)
    assert ts.platform.received == []


async def test_four_eyes_hold_from_a_personal_chat(ts: TeamsSystem) -> None:
    """Comms1 wrote the draft and asked: only Comms2 gets a copy, and a click crafted in
    Comms1's own chat (approve, or edit and approve) is refused; Anna is no approver."""
    await awaiting_approval_by(ts, COMMS1)
    assert ts.connector.personal_messages(COMMS1.aad) == []
    copy = copy_of(ts, COMMS2)
    for person in (COMMS1, ANNA):
        for verb, extra in ((Action.APPROVE, {}), (Action.EDIT_APPROVE, {"draft": "Mine."})):
            answer = await click_copy(ts, person, verb, copy, **extra)
            assert answer.get("body") and (notice(answer) or "").startswith("🚫")
    case = await ts.case()
    assert case.state is State.AWAITING_APPROVAL and ts.platform.received == []
    await click_copy(ts, COMMS2, Action.APPROVE, copy)
    assert (await ts.case()).state is State.PUBLISHED


async def awaiting_approval_by(ts: TeamsSystem, person: Person) -> None:
    from tests.fakes import mention_json

    await ts.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ts.flush()
    await ts.click(Action.EDIT, person, draft=DRAFT)
    await ts.click(Action.PUBLISH, person)
    assert (await ts.case()).state is State.AWAITING_APPROVAL
    await ts.flush()


async def test_a_person_without_the_app_misses_the_copy_and_nothing_else(
    ts: TeamsSystem,
) -> None:
    ts.connector.not_installed.add(COMMS1.aad)
    await awaiting_approval(ts, DRAFT)
    await ts.flush()
    assert ts.connector.personal_messages(COMMS1.aad) == []
    post = await ts.post()
    assert any("approval" in r.text for r in ts.connector.replies(post))
    await click_copy(ts, COMMS2, Action.APPROVE, copy_of(ts, COMMS2))
    assert (await ts.case()).state is State.PUBLISHED
    await all_settled(ts, (COMMS2,))


# -- approval.channel --------------------------------------------------------------------------


@pytest.mark.parametrize("teams_config", [COMMS_CHANNEL], indirect=True)
async def test_approval_channel_gathers_the_requests_instead_of_personal_chats(
    bare: TeamsSystem,
) -> None:
    ts = bare
    ts.connector.channels[COMMS_CHANNEL] = "Comms approvals"
    await ts.install()
    await awaiting_approval(ts, DRAFT)
    await ts.flush()
    assert ts.connector.personal_messages(COMMS1.aad) == []
    [copy] = ts.connector.posts(COMMS_CHANNEL)
    assert verbs(copy.card or {}) == ASKED
    [action] = [a for a in actions_of(copy.card or {}) if a["verb"] == Action.APPROVE]
    from tests.fakes.teams import card_action

    activity = card_action(
        ts.connector.url,
        COMMS1,
        Action.APPROVE,
        action["data"],
        channel=COMMS_CHANNEL,
        post_id=copy.id,
    )
    answer = await ts.invoke(activity)
    assert "Approved by" in text_of(answer)
    assert (await ts.case()).state is State.PUBLISHED

    async def check() -> bool:
        await ts.flush()
        [copy] = ts.connector.posts(COMMS_CHANNEL)
        return not verbs(copy.card or {})

    await eventually(check)
