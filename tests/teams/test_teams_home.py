"""Each person's Home in Teams (issue 12): the Adaptive Card within Teams' limits, and end to end
through the local Bot Connector: `my cases` in the personal chat answers with it, the team's
roster (read a page at a time) decides whose departments' unclaimed cases it lists, and a click
on it acts like the case card's and answers with the Home brought up to date."""

from __future__ import annotations

import json
from typing import Any

from chatops.chat.actions import Action
from chatops.chat.home import home_view
from chatops.domain import State
from chatops.teams.home import home_card
from chatops.teams.markup import card_size, fits
from tests.fakes import mention_json
from tests.fakes.teams import Person, personal_message
from tests.slack.test_slack_home import home
from tests.teams import test_teams
from tests.teams.test_teams import ANNA, BILLING, BOB, COMMS1, COMMS2, TeamsSystem

bare = test_teams.bare  # the fixtures: Teams end to end as `chatops run` assembles it
ts = test_teams.ts
teams_config = test_teams.teams_config


def executes(node: Any) -> list[dict[str, Any]]:
    """Every Action.Execute in a card, folded ShowCards included."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            found.append(node)
        for value in node.values():
            found += executes(value)
    elif isinstance(node, list):
        for value in node:
            found += executes(value)
    return found


# -- the card ---------------------------------------------------------------------------------


def test_a_full_home_card_fits_teams_and_counts_the_rest() -> None:
    card = home_card(home_view(home(45, 60, 300), {"1000": "https://teams.microsoft.com/l/m"}))
    assert fits(card), card_size(card)
    text = json.dumps(card, ensure_ascii=False)
    assert "Waiting for your approval** (45)" in text
    assert "Unclaimed in Billing** (300)" in text and "more: each is in its" in text
    assert "[open thread](https://teams.microsoft.com/l/m)" in text
    verbs = {a["verb"] for a in executes(card)}
    # Edit and Send back need a text box each: the case's own card has them
    assert verbs == {Action.APPROVE.value, Action.PUBLISH.value, Action.CLAIM.value}
    for action in executes(card):
        assert action["data"]["source"] == "home" and action["data"]["case_id"]
        assert len(action["data"]["seen"]) == 32  # the draft shown: a send acts only on it


def test_an_empty_home_card_says_what_is_empty() -> None:
    card = home_card(home_view(home(0, 0, 0, approver=False), {}), notice="no such case")
    text = json.dumps(card, ensure_ascii=False)
    assert "approval" not in text and "You own no open case." in text
    assert "no such case" in text and executes(card) == []


# -- end to end -------------------------------------------------------------------------------


async def my_cases(ts: TeamsSystem, person: Person, text: str = "my cases") -> dict[str, Any]:
    before = len(ts.connector.calls)
    r = await ts.send(personal_message(ts.connector.url, person, text))
    assert r.status in (200, 201), await r.text()
    [answer] = [c for c in ts.connector.calls[before:] if c.route in ("send", "reply")]
    [attachment] = answer.body["attachments"]
    content: dict[str, Any] = attachment["content"]
    return content


async def home_click(ts: TeamsSystem, person: Person, card: dict[str, Any], verb: str) -> Any:
    """A click on the Home card in the personal chat (no channel)."""
    [action] = [a for a in executes(card) if a["verb"] == verb]
    activity = personal_message(ts.connector.url, person, "")
    activity.update(type="invoke", name="adaptiveCard/action", text=None)
    activity["value"] = {"action": action, "trigger": "manual"}
    return await ts.invoke(activity)


async def test_my_cases_lists_a_members_unclaimed_and_claims_from_home(ts: TeamsSystem) -> None:
    # Anna is last of a roster Teams sends 500 at a time
    ts.connector.roster = [Person(f"00000000-0000-4000-8000-{i:012d}", "x") for i in range(1100)]
    ts.connector.roster.append(ANNA)
    await ts.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ts.flush()
    card = await my_cases(ts, ANNA)
    text = json.dumps(card, ensure_ascii=False)
    assert "Unclaimed in Social team, Billing, Legal** (1)" in text and "#1001" in text
    assert len(ts.connector.calls_to("members")) == 9  # 3 pages for each department's team
    assert "#1001" not in json.dumps(await my_cases(ts, BOB))  # not in the team: not listed

    after = await home_click(ts, ANNA, card, Action.CLAIM.value)
    assert (await ts.case()).owner == ANNA.aad
    text = json.dumps(after, ensure_ascii=False)  # the Home again, brought up to date
    assert "Your cases** (1)" in text and "Unclaimed in Social team, Billing, Legal** (0)" in text


async def test_an_outsiders_click_from_a_home_card_is_refused(ts: TeamsSystem) -> None:
    ts.connector.roster = [ANNA]
    await ts.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ts.flush()
    card = await my_cases(ts, ANNA)
    answer = await home_click(ts, BOB, card, Action.CLAIM.value)  # Anna's card, Bob's click
    assert (await ts.case()).owner is None
    assert "handled in" in json.dumps(answer)


async def test_an_approver_approves_from_home_but_never_their_own_draft(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "I will call a journalist about this"))
    await ts.flush()
    wf = ts.rt.wf
    await wf.claim("1001", COMMS1.aad)
    await wf.edit("1001", COMMS1.aad, "We are sorry, and we will call you today.")
    await wf.publish("1001", COMMS1.aad)
    assert (await ts.case()).state is State.AWAITING_APPROVAL
    own = json.dumps(await my_cases(ts, COMMS1), ensure_ascii=False)
    assert "Waiting for your approval** (0)" in own and "Your cases** (1)" in own
    card = await my_cases(ts, COMMS2, "cases")
    assert "Waiting for your approval** (1)" in json.dumps(card, ensure_ascii=False)
    after = await home_click(ts, COMMS2, card, Action.APPROVE.value)
    assert (await ts.case()).state is State.PUBLISHED
    assert "Waiting for your approval** (0)" in json.dumps(after, ensure_ascii=False)


async def test_my_cases_in_a_channel_points_to_the_personal_chat(ts: TeamsSystem) -> None:
    from tests.fakes.teams import channel_message

    post = ts.connector.user_post(BILLING)
    before = len(ts.connector.calls)
    activity = channel_message(ts.connector.url, ANNA, "my cases", channel=BILLING, post_id=post)
    r = await ts.send(activity)
    assert r.status in (200, 201)
    [answer] = [c for c in ts.connector.calls[before:] if c.route in ("send", "reply")]
    assert "personal chat" in answer.body["text"] and "attachments" not in answer.body
