"""What staff see of issue 12 item 4, as each chat's JSON or text: the customer's earlier
cases on the card, the "Use template" choice, and the comments numbered for `answer N M`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from rich.console import Console

from chatops.chat import CaseView, Department, Earlier
from chatops.chat.actions import Action
from chatops.chat.present import Menu, case_card, case_controls
from chatops.chat.rich import plain
from chatops.chat.wording import draft_hint
from chatops.console.render import case_panel
from chatops.domain import Author, State
from chatops.drafting import Intent
from chatops.slack.blocks import case_blocks, mrkdwn, permalink
from chatops.teams.cards import case_card as teams_card
from chatops.teams.markup import fits
from chatops.workflow.commands import SYSTEM
from tests import builders
from tests.builders import NOW, mention
from tests.slack.test_slack_blocks import assert_valid

BILLING = Department("billing", "Billing", "C0BILLING")
SOCIAL = Department("social", "Social team", "C0SOCIAL")
STAFF = "U0ANNA0001"
TEMPLATES = tuple(i.value for i in Intent)
EARLIER = Earlier(3, "1012", State.PUBLISHED, NOW - timedelta(days=12, hours=3))
LINK = "https://acme.slack.com/archives/C0BILLING/p1700000000000100"


def view(state: State = State.CLAIMED, **case: Any) -> CaseView:
    olle = mention("m-2", "Samma här", author=Author(id="u-2", name="Olle Ek", handle="olle"))
    fields: dict[str, Any] = {
        "mention_keys": ["facebook:m-1", "facebook:m-2"],
        "draft_author": SYSTEM,
        "intent": "apology",
        **case,
    }
    made = builders.make_case(state, staff=STAFF, **fields)
    return CaseView(made, [mention(), olle], BILLING, earlier=EARLIER, templates=TEMPLATES)


def template_menu(controls: Any) -> Menu:
    return next(c for c in controls if isinstance(c, Menu) and c.action is Action.TEMPLATE)


# -- the model --------------------------------------------------------------------------------


def test_the_card_names_the_customers_earlier_cases() -> None:
    card = case_card(view(), now=NOW, links={"1012": LINK})
    assert card.earlier is not None
    assert plain(card.earlier) == "🗂️ 3 earlier cases, last 12 days ago: #1012 answered"
    assert case_card(view(), now=NOW).earlier is not None, "without a link, still named"
    first = case_card(CaseView(view().case, [mention()], BILLING), now=NOW)
    assert first.earlier is None


@pytest.mark.parametrize("state", list(State))
def test_use_template_follows_the_state_table(state: State) -> None:
    controls = case_controls(view(state))
    offered = any(c.action is Action.TEMPLATE for c in controls)
    editable = {State.NEW, State.CLAIMED, State.DRAFTED, State.AWAITING_APPROVAL, State.APPROVED}
    assert offered is (state in editable)


def test_use_template_lists_the_languages_templates_and_marks_the_current_one() -> None:
    menu = template_menu(case_controls(view()))
    assert [o.value for o in menu.options] == list(TEMPLATES)
    assert [o.label for o in menu.options][:3] == ["Greeting", "Thanks", "Apology"]
    assert menu.label == "Use template…" and menu.current == "apology"
    edited = template_menu(case_controls(view(draft_author=STAFF)))
    assert edited.current is None, "a person's draft is no template"
    bare = CaseView(view().case, view().mentions, BILLING)
    assert not any(c.action is Action.TEMPLATE for c in case_controls(bare))


# -- Slack ------------------------------------------------------------------------------------


def test_slack_card_shows_earlier_cases_and_a_template_select() -> None:
    blocks = case_blocks(view(), now=NOW, departments=[BILLING, SOCIAL], links={"1012": LINK})
    assert_valid(blocks)
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert (
        f":card_index_dividers: 3 earlier cases, last 12 days ago: <{LINK}|#1012> answered"
        in contexts
    )
    elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    select = next(e for e in elements if e["action_id"] == "case.template")
    assert select["type"] == "static_select"
    assert select["placeholder"]["text"] == "Use template…"
    assert [o["value"] for o in select["options"]] == [f"1042:{t}" for t in TEMPLATES]
    assert select["initial_option"]["value"] == "1042:apology"


def test_slack_permalink_of_a_thread() -> None:
    assert permalink("https://acme.slack.com/", "C0BILLING", "1700000000.000100") == LINK
    assert permalink("", "C0BILLING", "1700000000.000100") is None


def test_slack_hint_explains_the_prefix() -> None:
    text = mrkdwn(draft_hint())
    assert text.startswith(":bulb: Replies in this thread stay internal")
    assert "`&gt;&gt;`" in text and "Nothing goes out until someone publishes it." in text


# -- Teams ------------------------------------------------------------------------------------


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_teams_card_shows_earlier_cases_and_template_choices() -> None:
    card = teams_card(view(), now=NOW, departments=[BILLING, SOCIAL], links={"1012": LINK})
    assert fits(card)
    json.dumps(card)
    blocks = [n["text"] for n in walk(card) if n.get("type") == "TextBlock"]
    assert f"🗂️ 3 earlier cases, last 12 days ago: [#1012]({LINK}) answered" in blocks
    chosen = [
        n
        for n in walk(card)
        if n.get("type") == "Action.Execute" and n.get("verb") == Action.TEMPLATE.value
    ]
    assert [(a["title"], a["data"]["template"]) for a in chosen][:2] == [
        ("Greeting", "greeting"),
        ("Thanks", "thanks"),
    ]
    assert all(a["data"]["case_id"] == "1042" for a in chosen)


# -- console ----------------------------------------------------------------------------------


def console_text(v: CaseView) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(case_panel(v, NOW, [BILLING, SOCIAL]))
    return console.export_text()


def test_console_card_numbers_the_comments_and_offers_templates() -> None:
    text = console_text(view())
    assert "1. Anna Berg (@annab)" in text
    assert "2. • Olle Ek (@olle): Samma här" in text
    assert "3 earlier cases, last 12 days ago: #1012 answered" in text
    assert "template 1042 greeting|thanks|apology|looking_into_it|move_to_private" in text
    assert "answer 1042 M" in text
