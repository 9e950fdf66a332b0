"""Slack scope (issue 9): our workspace only; case actions from the case's channel or thread,
or by an approver; `/chatops` shows this channel's department, in a DM only your own cases.

Attacks come as Slack would deliver them: correctly signed requests to /slack/events.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chatops.domain import State
from chatops.slack.ids import Action, View
from chatops.slack.scope import action_origin, case_of_action, claimed_teams, team_allowed
from tests.fakes import mention_json
from tests.fakes.slack import TEAM_ID, event_body, interaction_body, slash_body
from tests.slack import test_slack
from tests.slack.test_slack import (
    ANNA,
    BOB,
    COMMS1,
    FIXTURES,
    SlackSystem,
    _async,
    _drafted,
    _owner,
    eventually,
)

ss = test_slack.ss  # the fixtures: Slack end to end as `chatops run` assembles it
slack_config = test_slack.slack_config

EVIL = "T0EVIL0001"
ELSEWHERE = "C0RANDOM01"  # a channel of no department


def click_payload(action: str, value: str, user: str, channel: str, **extra: Any) -> dict:
    payload: dict[str, Any] = json.loads((FIXTURES / "block_actions_claim.json").read_text())
    payload["user"]["id"] = user
    payload["channel"]["id"] = payload["container"]["channel_id"] = channel
    payload["container"].update(extra.pop("container", {}))
    payload["actions"] = [
        {"action_id": action, "block_id": "b", "type": "button", "value": value, **extra}
    ]
    return payload


async def posted(ss: SlackSystem) -> str:
    """Ingest one mention, post it; returns the ts of case #1001's message in #social."""
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    return str(root["ts"])


# -- the decisions, as tables -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "teams"),
    [
        ({"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T1"}}, {"T1"}),
        ({"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T2"}}, {"T1", "T2"}),
        ({"team_id": "T1", "event": {"type": "message", "team": "T3"}}, {"T1", "T3"}),
        ({"team_id": "T1", "command": "/chatops"}, {"T1"}),
        ({"team": None, "user": {"id": "U1"}}, set()),
    ],
)
def test_every_team_a_payload_names_is_seen(body: dict, teams: set[str]) -> None:
    assert claimed_teams(body) == teams


@pytest.mark.parametrize(
    ("body", "allowed"),
    [
        ({"team_id": "T1"}, True),
        ({"team_id": "T2"}, False),
        ({"team": {"id": "T1"}, "user": {"team_id": "T2"}}, False),
        ({"user": {"id": "U1"}}, False),
    ],
)
def test_only_our_workspace_and_nothing_else(body: dict, allowed: bool) -> None:
    assert team_allowed(body, "T1") is allowed


@pytest.mark.parametrize(
    ("action", "case_id"),
    [
        ({"action_id": "case.claim", "value": "1001"}, "1001"),
        ({"action_id": "case.reroute", "selected_option": {"value": "1002:billing"}}, "1002"),
        ({"action_id": "case.snooze", "selected_option": {"value": "1003:1h"}}, "1003"),
        ({"action_id": "home.refresh", "value": "x"}, None),
        ({"action_id": "case.claim", "value": ""}, None),
    ],
)
def test_the_case_of_an_action(action: dict, case_id: str | None) -> None:
    assert case_of_action(action) == case_id


def test_where_a_click_comes_from() -> None:
    """Whether it belongs to the case is the rule of every chat (tests/chat/test_chat_scope.py)."""
    body = {"container": {"channel_id": "C1", "thread_ts": "3.4"}}
    assert action_origin(body) == ("C1", "3.4")
    assert action_origin({"container": {"type": "view"}}) == ("", None)


# -- another workspace ------------------------------------------------------------------------


async def test_a_correctly_signed_click_from_another_workspace_is_refused(
    ss: SlackSystem,
) -> None:
    await posted(ss)
    payload = click_payload(Action.CLAIM, "1001", ANNA, "C0SOCIAL01")
    payload["team"]["id"] = payload["user"]["team_id"] = EVIL
    r = await ss.send(interaction_body(payload))
    assert r.status == 403
    guest = click_payload(Action.CLAIM, "1001", BOB, "C0SOCIAL01")
    guest["user"]["team_id"] = EVIL  # a guest of a shared channel, from another organisation
    assert (await ss.send(interaction_body(guest))).status == 403
    slash = slash_body("/chatops", "", ANNA, "C0SOCIAL01", team_id=EVIL)
    assert (await ss.send(slash)).status == 403
    # the control: the same click from our workspace works, and is the only claim ever made
    ours = click_payload(Action.CLAIM, "1001", ANNA, "C0SOCIAL01")
    assert ours["team"]["id"] == TEAM_ID
    assert (await ss.send(interaction_body(ours))).status == 200
    await eventually(lambda: _owner(ss, ANNA))
    claims = [e for e in await ss.rt.store.audit.entries("1001") if e.action == "claim"]
    assert [c.actor for c in claims] == [ANNA]
    assert ss.slack.ephemerals == []


async def test_an_event_from_another_workspace_changes_nothing(ss: SlackSystem) -> None:
    root = await posted(ss)
    event = json.loads((FIXTURES / "thread_message_event.json").read_text())
    event["team_id"] = EVIL
    event["event"].update(channel="C0SOCIAL01", thread_ts=root, user=ANNA, text=">> Hacked")
    assert (await ss.send(event_body(event))).status == 403
    assert (await ss.case()).draft != "Hacked"


# -- where a case action comes from ----------------------------------------------------------


async def test_a_click_from_an_unrelated_channel_is_refused_and_told(ss: SlackSystem) -> None:
    await posted(ss)
    for action in (Action.CLAIM, Action.PUBLISH):
        r = await ss.send(interaction_body(click_payload(action, "1001", ANNA, ELSEWHERE)))
        assert r.status == 200
    told = await eventually(lambda: _async(len(ss.ephemerals_to(ANNA)) == 2))
    told = ss.ephemerals_to(ANNA)
    assert all("<#C0SOCIAL01>" in t for t in told)
    assert {e["channel"] for e in ss.slack.ephemerals} == {ELSEWHERE}
    case = await ss.case()
    assert case.owner is None and case.state is State.NEW and ss.platform.received == []
    assert [e.action for e in await ss.rt.store.audit.entries("1001")] == ["created"]


async def test_a_select_from_another_department_channel_is_refused(ss: SlackSystem) -> None:
    await posted(ss)
    payload = click_payload(Action.REROUTE, "", BOB, "C0LEGAL001")
    payload["actions"][0].update(type="static_select", selected_option={"value": "1001:legal"})
    await ss.send(interaction_body(payload))
    await eventually(lambda: _async(ss.ephemerals_to(BOB)))
    assert (await ss.case()).department == "social"


async def test_a_click_in_the_cases_thread_works(ss: SlackSystem) -> None:
    root = await posted(ss)
    payload = click_payload(Action.CLAIM, "1001", ANNA, "C0SOCIAL01", container={"thread_ts": root})
    assert (await ss.send(interaction_body(payload))).status == 200
    await eventually(lambda: _owner(ss, ANNA))
    assert ss.slack.ephemerals == []


async def test_an_approver_may_act_from_anywhere(ss: SlackSystem) -> None:
    await posted(ss)
    payload = click_payload(Action.CLAIM, "1001", COMMS1, "D0COMMS001")  # e.g. an approval DM
    assert (await ss.send(interaction_body(payload))).status == 200
    await eventually(lambda: _owner(ss, COMMS1))


async def test_a_modal_we_never_opened_is_refused_one_we_opened_saves(ss: SlackSystem) -> None:
    await posted(ss)
    r = await ss.submit(View.DRAFT, "1001", ANNA, "draft", "Written in a forged modal")
    body = await r.json()
    assert body["response_action"] == "errors" and "channel" in body["errors"]["draft"]
    assert (await ss.case()).state is State.NEW
    await ss.click(Action.EDIT, "1001", ANNA)  # from the case's channel: opens the modal
    await eventually(lambda: _async(ss.slack.views))
    await ss.submit(View.DRAFT, "1001", ANNA, "draft", "Hej Anna! Vi öppnar klockan 10.")
    case = await eventually(lambda: _drafted(ss))
    assert case.draft == "Hej Anna! Vi öppnar klockan 10."


async def test_a_draft_in_the_old_thread_of_a_moved_case_is_refused(ss: SlackSystem) -> None:
    old_root = await posted(ss)
    await ss.select(Action.REROUTE, "1001", ANNA, "billing")
    await eventually(lambda: _in(ss, "billing"))
    await ss.flush()
    event = json.loads((FIXTURES / "thread_message_event.json").read_text())
    event["event"].update(channel="C0SOCIAL01", thread_ts=old_root, user=ANNA, text=">> Old")
    assert (await ss.send(event_body(event))).status == 200
    told = await eventually(lambda: _async(ss.ephemerals_to(ANNA)))
    assert "<#C0BILLING1>" in told[0]
    [new_root] = ss.slack.messages("C0BILLING1")
    event["event_id"] = "Ev0000000009"
    event["event"].update(channel="C0BILLING1", thread_ts=new_root["ts"], text=">> New")
    await ss.send(event_body(event))
    case = await eventually(lambda: _drafted(ss))
    assert case.draft == "New"


# -- /chatops --------------------------------------------------------------------------------


async def test_slash_in_a_department_channel_lists_only_that_department(ss: SlackSystem) -> None:
    await ss.ingest(
        mention_json("m-1", "post-1", "Var är min faktura?"),
        mention_json("m-2", "post-2", "Hej, när öppnar ni?", author="u-2"),
        mention_json("m-3", "post-3", "Ni har fel på min faktura", author="u-3"),
    )
    body = await (await ss.send(slash_body("/chatops", "", ANNA, "C0SOCIAL01"))).json()
    assert "#1002" in body["text"]
    assert "#1001" not in body["text"] and "#1003" not in body["text"]


@pytest.mark.parametrize("channel", ["D0ANNA0001", ELSEWHERE])
async def test_slash_outside_a_department_lists_only_your_own_cases(
    ss: SlackSystem, channel: str
) -> None:
    await ss.ingest(
        mention_json("m-1", "post-1", "Var är min faktura?"),
        mention_json("m-2", "post-2", "Hej, när öppnar ni?", author="u-2"),
        mention_json("m-3", "post-3", "Och en fråga till", author="u-3"),
    )
    await ss.rt.wf.claim("1001", ANNA)
    await ss.rt.wf.claim("1002", BOB)
    body = await (await ss.send(slash_body("/chatops", "", ANNA, channel))).json()
    assert "#1001" in body["text"]
    assert "#1002" not in body["text"] and "#1003" not in body["text"]
    body = await (await ss.send(slash_body("/chatops", "", COMMS1, channel))).json()
    assert "#100" not in body["text"] and "no open cases" in body["text"]


async def _in(ss: SlackSystem, dept: str) -> Any:
    case = await ss.case()
    return case if case.department == dept else None


async def test_while_our_workspace_is_unknown_every_request_is_refused(ss: SlackSystem) -> None:
    """Fail closed: a process that could not ask Slack who we are acts on nothing (Bolt's own
    authorization answers first), and lets our workspace in as soon as `auth.test` answers."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from chatops.slack.backend import SlackBackend
    from tests.fakes.slack import slack_headers
    from tests.slack.test_slack import SECRET

    await posted(ss)
    ss.slack.revoke_token()
    backend = SlackBackend(ss.rt)  # a second process starting while the token is refused
    app = web.Application()
    backend.attach(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        body = interaction_body(click_payload(Action.CLAIM, "1001", ANNA, "C0SOCIAL01"))
        r = await client.post("/slack/events", data=body, headers=slack_headers(body, SECRET))
        assert "claim" not in [e.action for e in await ss.rt.store.audit.entries("1001")]
        assert await backend.team_id() is None
        ss.slack.restore_token()
        r = await client.post("/slack/events", data=body, headers=slack_headers(body, SECRET))
        assert r.status == 200
        await eventually(lambda: _owner(ss, ANNA))
    finally:
        await client.close()
        await backend.close()


async def test_an_old_message_whose_number_names_another_case_acts_on_nothing(
    ss: SlackSystem,
) -> None:
    """The store was wiped and numbered again: the old message of an earlier #1001 is still in
    the channel. A click on it names #1001, comes from the right channel, and is refused,
    because it is not the message recorded for today's #1001."""
    root = await posted(ss)
    old = click_payload(
        Action.CLAIM,
        "1001",
        ANNA,
        "C0SOCIAL01",
        block_id="case-1001",
        container={"message_ts": "1700000000.000100"},
    )
    await ss.send(interaction_body(old))
    told = await eventually(lambda: _async(ss.ephemerals_to(ANNA)))
    assert "no longer belongs to that case" in told[0]
    assert (await ss.case()).owner is None
    current = click_payload(
        Action.CLAIM,
        "1001",
        ANNA,
        "C0SOCIAL01",
        block_id="case-1001",
        container={"message_ts": root},
    )
    await ss.send(interaction_body(current))
    await eventually(lambda: _owner(ss, ANNA))
