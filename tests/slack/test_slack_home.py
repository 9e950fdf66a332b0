"""Each person's App Home tab (issue 12): the Block Kit `home` view as Slack validates it, and
end to end through the local Slack: published on `app_home_opened`, published again after a
claim (once per person for a burst of changes), and clicks from it held to who may act."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chatops import keys
from chatops.chat import Department
from chatops.chat.home import Figures, Home, Item, home_view
from chatops.chat.rich import plain
from chatops.domain import State
from chatops.slack.home import home_blocks, home_payload
from chatops.slack.ids import Action
from chatops.workflow.events import CaseView
from chatops.workflow.transitions import fingerprint
from tests.builders import NOW, make_case, mention
from tests.fakes import mention_json
from tests.fakes.block_kit import view_violations
from tests.fakes.slack import event_body, interaction_body
from tests.fakes.wait import eventually, until
from tests.slack import test_slack
from tests.slack.test_slack import ANNA, BOB, COMMS1, COMMS2, FIXTURES, SlackSystem

ss = test_slack.ss  # the fixtures: Slack end to end as `chatops run` assembles it
slack_config = test_slack.slack_config

BILLING = Department("billing", "Billing", "C0BILLING1")


def item(case_id: str, state: State, owner: str | None = "U0ANNA0001", **kw: Any) -> Item:
    case = make_case(state, staff=owner or "U0ANNA0001", id=case_id, owner=owner, **kw)
    view = CaseView(case, [mention(text="Var är min faktura? " * 20)], BILLING, None)
    due = NOW + timedelta(minutes=30)
    return Item(view, "Anna Berg (@annab): Var är min faktura?", timedelta(minutes=95), due, False)


def home(approvals: int, mine: int, unclaimed: int, **kw: Any) -> Home:
    def many(n: int, start: int, state: State, owner: str | None) -> tuple[Item, ...]:
        return tuple(item(str(start + i), state, owner) for i in range(min(n, 20)))

    return Home(
        person=ANNA,
        approver=kw.get("approver", True),
        departments=(BILLING,),
        approvals=many(approvals, 1000, State.AWAITING_APPROVAL, BOB),
        approvals_total=approvals,
        mine=many(mine, 2000, State.DRAFTED, ANNA),
        mine_total=mine,
        unclaimed=many(unclaimed, 3000, State.NEW, None),
        unclaimed_total=unclaimed,
        figures=Figures(new=7, answered=3, open=12, overdue=2),
        now=NOW,
    )


def actions(blocks: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {
        b["block_id"]: [e["action_id"] for e in b["elements"]]
        for b in blocks
        if b["type"] == "actions"
    }


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# -- the view as Slack validates it -------------------------------------------------------------


def test_a_full_home_is_a_valid_home_view_within_100_blocks() -> None:
    view = home_view(home(45, 60, 300), {"1000": "https://acme.slack.com/archives/C0/p1"})
    payload = home_payload(view)
    assert payload["type"] == "home"
    assert view_violations(payload) == []
    assert len(payload["blocks"]) <= 100
    text = texts(payload["blocks"])
    # each section counts what it could not list, and the totals are in the headings
    assert "Waiting for your approval* (45)" in text and "…and 31 more" in text
    assert "Your cases* (60)" in text and "…and 46 more" in text
    assert "Unclaimed in Billing* (300)" in text and "…and 286 more" in text
    assert (
        "Today:* 7 new · 3 answered · 12 open now · :alarm_clock: *2 overdue* · _as of_ <!date^"
        in text
    )
    assert "<https://acme.slack.com/archives/C0/p1|open thread>" in text


def test_each_item_has_its_sections_main_buttons_and_the_draft_it_shows() -> None:
    view = home_view(home(1, 1, 1), {})
    blocks = home_blocks(view)
    assert view_violations({"type": "home", "blocks": blocks}) == []
    found = actions(blocks)
    approval, mine, unclaimed = (
        make_case(State.AWAITING_APPROVAL, staff=BOB, id="1000"),
        make_case(State.DRAFTED, staff=ANNA, id="2000"),
        make_case(State.NEW, staff=ANNA, id="3000"),
    )
    assert found == {
        f"home-case-1000-{fingerprint(approval)}": [Action.APPROVE.value, Action.REJECT.value],
        f"home-case-2000-{fingerprint(mine)}": [
            Action.EDIT.value,
            Action.PUBLISH.value,
        ],
        f"home-case-3000-{fingerprint(unclaimed)}": [Action.CLAIM.value],
    }
    text = texts(blocks)
    assert "*#3000* · Billing · waiting 1 h 35 min · due <!date^" in text
    assert "Anna Berg (@annab): Var är min faktura?" in text


def test_an_empty_home_says_so_and_a_non_approver_has_no_approval_section() -> None:
    view = home_view(home(0, 0, 0, approver=False), {})
    blocks = home_blocks(view)
    assert view_violations({"type": "home", "blocks": blocks}) == []
    text = texts(blocks)
    assert "approval" not in text
    assert "You own no open case." in text and "Nothing unclaimed." in text
    assert plain(view.figures) == (
        "Today: 7 new · 3 answered · 12 open now · ⏰ 2 overdue · as of 2026-11-23 09:00 UTC"
    )


def test_customer_text_cannot_become_markup() -> None:
    bad = item("1", State.NEW, None)
    bad = Item(bad.view, "Eve: <!channel> <@U0BOSS> *bold* &", bad.age, None, False)
    h = home(0, 0, 0)
    h = Home(**{**h.__dict__, "unclaimed": (bad,), "unclaimed_total": 1})
    text = texts(home_blocks(home_view(h, {})))
    assert "<!channel>" not in text and "<@U0BOSS>" not in text
    assert "&lt;!channel&gt; &lt;@U0BOSS&gt; *bold* &amp;" in text


# -- end to end through the local Slack -------------------------------------------------------


def home_opened(user: str) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": "T0ACME",
        "api_app_id": "A0CHATOPS",
        "type": "event_callback",
        "event_id": f"Ev{user}",
        "event_time": 1763884800,
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME0001",
            "tab": "home",
            "event_ts": "1763884800.000100",
        },
    }


def home_text(ss: SlackSystem, user: str) -> str:
    return texts(ss.slack.home_views[user]["blocks"])


async def open_home(ss: SlackSystem, user: str) -> None:
    before = len(ss.slack.calls_to("views.publish"))
    r = await ss.send(event_body(home_opened(user)))
    assert r.status == 200
    await until(lambda: len(ss.slack.calls_to("views.publish")) > before)


async def home_click(ss: SlackSystem, action: str, case_id: str, user: str) -> Any:
    """A click on a button of `user`'s Home tab, as Slack sends it: no channel, a view."""
    view = ss.slack.home_views[user]
    block = next(
        b
        for b in view["blocks"]
        if b["type"] == "actions" and b["block_id"].startswith(f"home-case-{case_id}-")
    )
    payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
    payload["user"]["id"] = user
    del payload["channel"], payload["message"]
    payload["container"] = {"type": "view", "view_id": view["id"]}
    payload["view"] = view
    payload["actions"] = [
        {
            "action_id": action,
            "block_id": block["block_id"],
            "type": "button",
            "value": case_id,
            "action_ts": "1763884802.000200",
        }
    ]
    return await ss.send(interaction_body(payload))


async def test_home_is_published_when_opened_and_again_after_a_claim(ss: SlackSystem) -> None:
    # Anna is in Billing's channel; Slack lists its members a page at a time
    ss.slack.members["C0BILLING1"] = [f"U0PAD{i:05d}" for i in range(450)] + [ANNA]
    await ss.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ss.flush()
    await open_home(ss, ANNA)
    text = home_text(ss, ANNA)
    assert "Unclaimed in Billing* (1)" in text and "#1001" in text
    assert "Your cases* (0)" in text
    assert "Today:* 1 new · 0 answered · 1 open now · 0 overdue" in text
    assert "/archives/C0BILLING1/p" in text  # the thread's permalink
    assert len(ss.slack.calls_to("conversations.members")) >= 3  # every page read
    assert ss.slack.home_views.get(BOB) is None  # nobody else's Home is published

    await ss.click(Action.CLAIM.value, "1001", ANNA)

    async def claimed() -> bool:
        """The claim is stored and the Homes it concerns are marked (the click is handled
        after Slack's ack, and the marking comes after the case's own message)."""
        marked = await ss.rt.store.redis.sismember(keys.SLACK_HOME_DIRTY, ANNA)
        return (await ss.case()).owner == ANNA and bool(marked)

    await eventually(claimed, what="claim stored and Homes marked")
    before = len(ss.slack.calls_to("views.publish"))
    assert await ss.backend.homes.tick() == 1
    assert len(ss.slack.calls_to("views.publish")) == before + 1
    text = home_text(ss, ANNA)
    assert "Your cases* (1)" in text and "Unclaimed in Billing* (0)" in text
    assert await ss.backend.homes.tick() == 0  # nothing changed since

    ss.clock.advance(hours=3)  # past the first answer's time: said in the item and the figures
    assert await ss.backend.homes.publish(ANNA) == 1
    text = home_text(ss, ANNA)
    assert ":alarm_clock: *1 overdue*" in text and "*(overdue)*" in text


async def test_a_burst_of_changes_is_one_publish_per_person(ss: SlackSystem) -> None:
    ss.slack.members["C0BILLING1"] = [ANNA, BOB]
    await ss.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ss.flush()
    await open_home(ss, ANNA)
    await open_home(ss, BOB)
    wf = ss.rt.wf
    await wf.claim("1001", ANNA)
    await wf.edit("1001", ANNA, "Hej Anna, fakturan är skickad.")
    await wf.unclaim("1001", ANNA)
    await wf.claim("1001", ANNA)
    await ss.ingest(mention_json("m-2", "post-2", "Min faktura igen?"))
    before = len(ss.slack.calls_to("views.publish"))
    assert await ss.backend.homes.tick() == 2
    published = [c.args["user_id"] for c in ss.slack.calls_to("views.publish")[before:]]
    assert sorted(published) == [ANNA, BOB]
    assert "Your cases* (1)" in home_text(ss, ANNA)
    assert "Unclaimed in Billing* (1)" in home_text(ss, BOB)


async def test_a_member_claims_from_home_and_an_outsider_is_refused(ss: SlackSystem) -> None:
    ss.slack.members["C0BILLING1"] = [ANNA]
    await ss.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ss.flush()
    await open_home(ss, ANNA)
    # Bob saw Anna's Home (a crafted payload): he is in no Billing channel, so it is refused
    ss.slack.home_views[BOB] = ss.slack.home_views[ANNA]
    r = await home_click(ss, Action.CLAIM.value, "1001", BOB)
    assert r.status == 200
    assert (await ss.case()).owner is None
    [told] = [c for c in ss.slack.calls_to("chat.postMessage") if c.args.get("channel") == BOB]
    assert "handled in" in told.args["text"]

    r = await home_click(ss, Action.CLAIM.value, "1001", ANNA)
    assert r.status == 200

    async def claimed() -> bool:
        return (await ss.case()).owner == ANNA

    await eventually(claimed, what="claimed from the Home tab")


async def test_an_approver_approves_from_home_but_never_their_own_draft(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "I will call a journalist about this"))
    await ss.flush()
    wf = ss.rt.wf
    await wf.claim("1001", COMMS1)
    await wf.edit("1001", COMMS1, "We are sorry, and we will call you today.")
    await wf.publish("1001", COMMS1)
    assert (await ss.case()).state is State.AWAITING_APPROVAL
    await open_home(ss, COMMS1)
    await open_home(ss, COMMS2)
    mine = home_text(ss, COMMS1)  # four eyes: their own draft is theirs, not to approve
    assert "Waiting for your approval* (0)" in mine and "Your cases* (1)" in mine
    assert "Waiting for your approval* (1)" in home_text(ss, COMMS2)

    r = await home_click(ss, Action.APPROVE.value, "1001", COMMS2)
    assert r.status == 200

    async def published() -> bool:
        return (await ss.case()).state is State.PUBLISHED

    await eventually(published, what="approved and published from the Home tab")
    assert await ss.backend.homes.tick() >= 2  # both approvers' Homes follow
    assert "Waiting for your approval* (0)" in home_text(ss, COMMS2)
    assert "Today:* 1 new · 1 answered · 0 open now" in home_text(ss, COMMS2)
