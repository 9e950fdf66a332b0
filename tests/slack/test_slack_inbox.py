"""The approval inbox in Slack, end to end through the local Slack server: a sensitive case's
publish sends each approver (the comms user group, expanded) a copy of the request in a DM;
acting from one copy settles every copy ("Approved by … at …") and the case goes on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatops.chat.actions import Action
from chatops.config import Config, load_config_text
from chatops.domain import State
from chatops.slack.ids import View
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.fakes.slack import interaction_body
from tests.fakes.wait import eventually
from tests.slack.test_slack import (
    ANNA,
    COMMS1,
    COMMS2,
    FIXTURES,
    SLACK_CONFIG,
    SlackSystem,
    _async,
    _edit,
    _owner,
    _state,
    action_ids,
    ss,
)

__all__ = ["ss"]

ASKED = ["case.approve", "case.edit_approve", "case.reject"]
DRAFT = "Hello! Our press office will call you today."
COMMS_CHANNEL = "C0COMMSAPPR"


@pytest.fixture
async def slack_config(request: pytest.FixtureRequest) -> Config:
    """The Slack test config; parametrized with a channel id, with `approval.channel` set."""
    channel = getattr(request, "param", None)
    text = SLACK_CONFIG
    if channel:
        text = text.replace(
            "  departments: [legal]\n", f"  departments: [legal]\n  channel: {channel}\n"
        )
    return load_config_text(text, source="slack.yaml")


async def ask(ss: SlackSystem, requester: str = ANNA) -> None:
    """A journalist's comment; `requester` claims it, writes the draft and publishes it."""
    await ss.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ss.flush()
    await ss.click(Action.CLAIM, "1001", requester)
    await eventually(lambda: _owner(ss, requester))
    await _edit(ss, requester, DRAFT)
    await ss.click(Action.PUBLISH, "1001", requester)
    await eventually(lambda: _state(ss, State.AWAITING_APPROVAL))
    await ss.flush()


def copy_of(ss: SlackSystem, user: str) -> dict[str, Any]:
    [copy] = ss.slack.dm_messages(user)
    return copy


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


async def click_copy(
    ss: SlackSystem, user: str, action: str, copy: dict[str, Any], channel: str
) -> Any:
    """Click a button of a copy as Slack sends it: from the DM (or channel) the copy is in."""
    payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
    payload["user"]["id"] = user
    payload["channel"] = {"id": channel, "name": "directmessage"}
    payload["container"]["channel_id"] = channel
    payload["container"]["message_ts"] = payload["message"]["ts"] = copy["ts"]
    [actions] = [b for b in copy["blocks"] if b["type"] == "actions"]
    payload["actions"] = [
        {
            "action_id": action,
            "block_id": actions["block_id"],
            "type": "button",
            "value": "1001",
            "action_ts": "1763884802.000200",
        }
    ]
    return await ss.send(interaction_body(payload))


async def opened_after(ss: SlackSystem, before: int) -> dict[str, Any]:
    """The modal a click opened, once it is open: `ask` has opened the draft modal already,
    so the click's own modal is the one past the `before` views there were."""
    await eventually(lambda: _async(len(ss.slack.views) > before))
    return list(ss.slack.views.values())[-1]


async def submit_modal(ss: SlackSystem, user: str, block: str, value: str) -> Any:
    """Submit the modal the last click opened, exactly as it was opened (its metadata)."""
    view = list(ss.slack.views.values())[-1]
    payload = json.loads((FIXTURES / "view_submission_draft.json").read_text())
    payload["user"]["id"] = user
    payload["view"].update(
        id=view["id"], callback_id=view["callback_id"], private_metadata=view["private_metadata"]
    )
    payload["view"]["state"]["values"] = {
        block: {"text": {"type": "plain_text_input", "value": value}}
    }
    return await ss.send(interaction_body(payload))


async def settled(ss: SlackSystem, channel: str) -> list[dict[str, Any]]:
    """The messages of `channel` once none of them has buttons left."""

    async def check() -> list[dict[str, Any]] | None:
        await ss.flush()
        found = ss.slack.messages(channel)
        return found if found and not any(action_ids(m) for m in found) else None

    return await eventually(check, what="every copy settled")


async def test_each_approver_gets_a_dm_and_approving_from_one_settles_every_copy(
    ss: SlackSystem,
) -> None:
    await ask(ss)
    assert ss.slack.dm_messages(ANNA) == []  # who asked is asked nothing
    for user in (COMMS1, COMMS2):  # the user group S0COMMS001, expanded
        copy = copy_of(ss, user)
        assert action_ids(copy) == ASKED
        assert message_violations(copy["blocks"], copy["text"]) == []
        shown = texts(copy)
        assert "journalist, comment please?" in shown and DRAFT in shown
        assert "“journalist”" in shown and "<#C0SOCIAL01>" in shown
    copy = copy_of(ss, COMMS2)
    await click_copy(ss, COMMS2, Action.APPROVE, copy, ss.slack.dm(COMMS2) or "")
    await eventually(lambda: _state(ss, State.PUBLISHED))
    assert [r["text"] for r in ss.platform.received] == [DRAFT]
    for user in (COMMS1, COMMS2):
        [copy] = await settled(ss, ss.slack.dm(user) or "")
        assert f"Approved by <@{COMMS2}> at <!date^" in texts(copy)
        assert message_violations(copy["blocks"], copy["text"]) == []
    assert len(ss.slack.dm_messages(COMMS1)) == 1  # updated in place, not posted again


async def test_sending_back_from_a_dm_asks_why_and_every_copy_says_it(ss: SlackSystem) -> None:
    await ask(ss)
    before = len(ss.slack.views)
    await click_copy(ss, COMMS1, Action.REJECT, copy_of(ss, COMMS1), ss.slack.dm(COMMS1) or "")
    assert (await opened_after(ss, before))["callback_id"] == View.REJECT
    await submit_modal(ss, COMMS1, "reason", "Too casual for the press")
    await eventually(lambda: _state(ss, State.DRAFTED))
    for user in (COMMS1, COMMS2):
        [copy] = await settled(ss, ss.slack.dm(user) or "")
        assert f"Sent back by <@{COMMS1}>" in texts(copy)
        assert "Too casual for the press" in texts(copy)
    assert ss.platform.received == []


async def test_edit_and_approve_from_a_dm_publishes_the_approvers_text(ss: SlackSystem) -> None:
    await ask(ss)
    before = len(ss.slack.views)
    await click_copy(
        ss, COMMS1, Action.EDIT_APPROVE, copy_of(ss, COMMS1), ss.slack.dm(COMMS1) or ""
    )
    modal = await opened_after(ss, before)
    assert modal["callback_id"] == View.DRAFT and modal["submit"]["text"] == "Approve & publish"
    assert modal["blocks"][0]["element"]["initial_value"] == DRAFT
    better = "Hello! Our press office will call you today, before noon."
    await submit_modal(ss, COMMS1, "draft", better)
    case = await eventually(lambda: _state(ss, State.PUBLISHED))
    assert (case.draft_author, case.approved_by) == (COMMS1, COMMS1)
    assert [r["text"] for r in ss.platform.received] == [better]
    for user in (COMMS1, COMMS2):
        [copy] = await settled(ss, ss.slack.dm(user) or "")
        assert f"Edited and approved by <@{COMMS1}>" in texts(copy) and better in texts(copy)
    [root] = ss.slack.messages("C0SOCIAL01")
    thread = " ".join(r["text"] for r in ss.slack.thread("C0SOCIAL01", root["ts"]))
    assert "edited the draft and approved their text" in thread


async def test_four_eyes_hold_in_a_dm_and_a_changed_draft_updates_every_copy(
    ss: SlackSystem,
) -> None:
    """Comms1 takes the case over and rewrites the draft while it waits: both copies show the
    new text (in place); Comms1, its author now, can approve it neither from their DM nor by
    Edit and approve; Comms2 can."""
    await ask(ss)
    before = copy_of(ss, COMMS1)
    await ss.click(Action.TAKE_OVER, "1001", COMMS1)
    await eventually(lambda: _owner(ss, COMMS1))
    rewritten = "Hello! Our press office will call you within the hour."
    await _edit(ss, COMMS1, rewritten)
    await ss.flush()
    for user in (COMMS1, COMMS2):
        copy = copy_of(ss, user)
        assert rewritten in texts(copy) and action_ids(copy) == ASKED
    assert copy_of(ss, COMMS1)["ts"] == before["ts"]
    dm = ss.slack.dm(COMMS1) or ""
    await click_copy(ss, COMMS1, Action.APPROVE, copy_of(ss, COMMS1), dm)
    told = await eventually(lambda: _async(ss.ephemerals_to(COMMS1)))
    assert "you wrote this draft: someone else must approve it" in told[-1]
    opened = len(ss.slack.views)
    await click_copy(ss, COMMS1, Action.EDIT_APPROVE, copy_of(ss, COMMS1), dm)
    told = await eventually(lambda: _async(ss.ephemerals_to(COMMS1)[1:]))
    assert "someone else must approve" in told[-1] and len(ss.slack.views) == opened
    assert ss.platform.received == [] and (await ss.case()).state is State.AWAITING_APPROVAL
    await click_copy(ss, COMMS2, Action.APPROVE, copy_of(ss, COMMS2), ss.slack.dm(COMMS2) or "")
    await eventually(lambda: _state(ss, State.PUBLISHED))
    assert [r["text"] for r in ss.platform.received] == [rewritten]


async def test_a_dismissed_request_is_withdrawn_in_every_copy(ss: SlackSystem) -> None:
    await ask(ss)
    await ss.select(Action.DISMISS, "1001", ANNA, "no_reply_needed")
    await eventually(lambda: _state(ss, State.DISMISSED))
    for user in (COMMS1, COMMS2):
        [copy] = await settled(ss, ss.slack.dm(user) or "")
        assert "Withdrawn: the case was dismissed" in texts(copy)


async def test_a_dm_that_fails_is_dropped_and_holds_up_nothing(ss: SlackSystem) -> None:
    ss.slack.users = {ANNA: "Anna", COMMS2: "Comms Two"}  # COMMS1 left the workspace
    await ask(ss)
    assert ss.slack.dm(COMMS1) is None and action_ids(copy_of(ss, COMMS2)) == ASKED
    [root] = ss.slack.messages("C0SOCIAL01")
    thread = " ".join(r["text"] for r in ss.slack.thread("C0SOCIAL01", root["ts"]))
    assert "asks for approval" in thread  # the case's own thread is asked as before
    await click_copy(ss, COMMS2, Action.APPROVE, copy_of(ss, COMMS2), ss.slack.dm(COMMS2) or "")
    await eventually(lambda: _state(ss, State.PUBLISHED))
    [copy] = await settled(ss, ss.slack.dm(COMMS2) or "")
    assert "Approved by" in texts(copy)


async def test_a_dm_rate_limited_waits_its_turn(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ss.flush()
    ss.slack.force_429("chat.postMessage", times=1, retry_after=1)
    await ss.click(Action.PUBLISH, "1001", ANNA)
    await eventually(lambda: _state(ss, State.AWAITING_APPROVAL))

    async def both() -> bool:
        await ss.backend.sender.tick()
        return all(len(ss.slack.dm_messages(u)) == 1 for u in (COMMS1, COMMS2))

    await eventually(both, within=5)
    assert ss.slack.rejected_429 == 1
    assert all(len(ss.slack.dm_messages(u)) == 1 for u in (COMMS1, COMMS2))  # none twice


# -- approval.channel --------------------------------------------------------------------------

IN_CHANNEL = pytest.mark.parametrize("slack_config", [COMMS_CHANNEL], indirect=True)


@IN_CHANNEL
async def test_approval_channel_gathers_the_requests_instead_of_dms(ss: SlackSystem) -> None:
    assert ss.rt.config.approval.channel == COMMS_CHANNEL
    await ask(ss, requester=COMMS1)
    assert ss.slack.dm(COMMS1) is None and ss.slack.dm(COMMS2) is None
    [copy] = ss.slack.messages(COMMS_CHANNEL)
    assert action_ids(copy) == ASKED and DRAFT in texts(copy)
    await click_copy(ss, COMMS1, Action.APPROVE, copy, COMMS_CHANNEL)  # asked for it
    told = await eventually(lambda: _async(ss.ephemerals_to(COMMS1)))
    assert "someone else must approve" in told[-1]
    await click_copy(ss, ANNA, Action.APPROVE, copy, COMMS_CHANNEL)  # no approver
    assert await eventually(lambda: _async(ss.ephemerals_to(ANNA)))
    assert (await ss.case()).state is State.AWAITING_APPROVAL
    await click_copy(ss, COMMS2, Action.APPROVE, copy, COMMS_CHANNEL)
    await eventually(lambda: _state(ss, State.PUBLISHED))
    [copy] = await settled(ss, COMMS_CHANNEL)
    assert f"Approved by <@{COMMS2}> at" in texts(copy)


@pytest.mark.parametrize("slack_config", ["19:comms0acme@thread.tacv2"], indirect=True)
async def test_an_approval_channel_in_teams_leaves_slack_sending_no_copies(
    ss: SlackSystem,
) -> None:
    """With departments in both chats, Teams' inbox posts the one copy in its channel."""
    await ask(ss)
    assert ss.slack.dm(COMMS1) is None and ss.slack.dm(COMMS2) is None
    assert ss.slack.calls_to("chat.postMessage")  # the case's own thread still is asked
