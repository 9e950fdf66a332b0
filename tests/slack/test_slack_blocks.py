"""Slack layout: the JSON of case messages, thread replies and modals, state by state."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View as SlackView

from chatops.chat import (
    Burst,
    CaseEvent,
    CaseView,
    Department,
    DigestItem,
    DraftChange,
    EventKind,
    PingItem,
    SimilarAnswer,
)
from chatops.chat.present import Report, digest, pings
from chatops.chat.rich import Strong, Text
from chatops.domain import (
    Author,
    Case,
    Change,
    Kind,
    Mention,
    NotPublished,
    Overdue,
    State,
    Suggested,
)
from chatops.slack.blocks import (
    case_blocks,
    case_metadata,
    case_text,
    clip_mrkdwn,
    digest_blocks,
    escape,
    event_text,
    fallback_blocks,
    link,
    moved_blocks,
    ping_batch_blocks,
    ping_blocks,
    refusal_text,
    reply_to_key,
    reply_to_value,
    report_blocks,
    report_text,
    section,
    seen_draft,
    who,
)
from chatops.slack.ids import Action, View
from chatops.slack.limits import LIMITS, blocks_text_length
from chatops.slack.modals import draft_modal, read_modal_input, reject_modal, statement_modal
from chatops.workflow.commands import Command
from chatops.workflow.transitions import ALLOWED, fingerprint
from tests import builders
from tests.builders import NOW, mention
from tests.fakes.block_kit import message_violations, view_violations

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "slack"
S, A = State, Action

SOCIAL = Department("social", "Social team", "C0SOCIAL")
BILLING = Department("billing", "Billing", "C0BILLING")
LEGAL = Department("legal", "Legal", "C0LEGAL")
DEPARTMENTS = (SOCIAL, BILLING, LEGAL)
OWNER = "U0ANNA0001"
EVIL = "Var är min faktura? <@U123> <https://evil.invalid|click> <!here> & co"


def make_case(state: State, **kw: Any) -> Case:
    return builders.make_case(state, staff=OWNER, **kw)


def make_view(
    case: Case,
    mentions: list[Mention] | None = None,
    department: Department = BILLING,
    due_at: datetime | None = None,
) -> CaseView:
    return CaseView(case, mentions if mentions is not None else [mention()], department, due_at)


def blocks_of(state: State, **kw: Any) -> list[dict[str, Any]]:
    return case_blocks(make_view(make_case(state, **kw)), now=NOW, departments=DEPARTMENTS)


def actions_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for e in actions_of(blocks)]


def element(blocks: list[dict[str, Any]], action: Action) -> dict[str, Any]:
    return next(e for e in actions_of(blocks) if e["action_id"] == action)


def texts(
    blocks: list[dict[str, Any]], kinds: tuple[str, ...] = ("mrkdwn", "plain_text")
) -> list[str]:
    """Every text string of these kinds in the blocks, wherever it sits."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in kinds:
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def body(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))


def assert_valid(blocks: list[dict[str, Any]]) -> None:
    """Our limits table (chatops/slack/limits.py) and Slack's own models agree it is valid."""
    assert 1 <= len(blocks) <= 50
    assert message_violations(blocks) == []
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.to_dict()
    json.dumps(blocks)


# -- actions by state -------------------------------------------------------------------------

EXPECTED_ACTIONS: dict[State, list[str]] = {
    S.NEW: [A.CLAIM, A.EDIT, A.PUBLISH, A.PRIVATE, A.REROUTE, A.SNOOZE, A.DISMISS],
    S.CLAIMED: [
        *(A.UNCLAIM, A.TAKE_OVER, A.EDIT, A.PUBLISH, A.PRIVATE, A.REROUTE, A.SNOOZE, A.DISMISS)
    ],
    S.DRAFTED: [
        *(A.UNCLAIM, A.TAKE_OVER, A.EDIT, A.PUBLISH, A.PRIVATE, A.REROUTE, A.SNOOZE, A.DISMISS)
    ],
    S.AWAITING_APPROVAL: [
        *(A.TAKE_OVER, A.EDIT, A.APPROVE, A.REJECT, A.REROUTE, A.SNOOZE, A.DISMISS)
    ],
    S.APPROVED: [A.TAKE_OVER, A.EDIT, A.PUBLISH, A.PRIVATE, A.REROUTE, A.SNOOZE, A.DISMISS],
    S.PUBLISHING: [],
    S.PUBLISHED: [],
    S.CLOSED: [],
    S.DISMISSED: [],
    S.PUBLISH_UNKNOWN: [A.CONFIRM_SENT, A.CONFIRM_NOT_SENT],
    S.STORM: [A.DISMISS],
}

COMMAND_OF = {
    A.CLAIM: Command.CLAIM,
    A.UNCLAIM: Command.UNCLAIM,
    A.TAKE_OVER: Command.TAKE_OVER,
    A.EDIT: Command.EDIT,
    A.PUBLISH: Command.PUBLISH,
    A.PRIVATE: Command.PRIVATE,
    A.APPROVE: Command.APPROVE,
    A.REJECT: Command.REJECT,
    A.REROUTE: Command.REROUTE,
    A.DISMISS: Command.DISMISS,
    A.SNOOZE: Command.SNOOZE,
    A.CONFIRM_SENT: Command.CONFIRM_SENT,
    A.CONFIRM_NOT_SENT: Command.CONFIRM_NOT_SENT,
}


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_actions_by_state(state: State) -> None:
    blocks = blocks_of(state)
    assert action_ids(blocks) == EXPECTED_ACTIONS[state]
    assert_valid(blocks)
    actions = [b for b in blocks if b["type"] == "actions"]
    if EXPECTED_ACTIONS[state]:
        [block] = actions
        assert block["block_id"].startswith("case-1042-")
        assert seen_draft(block["block_id"]) is not None  # the draft the buttons act on
    else:
        assert actions == []


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_every_offered_action_is_allowed_by_the_state_machine(state: State) -> None:
    for action_id in action_ids(blocks_of(state)):
        assert state in ALLOWED[COMMAND_OF[Action(action_id)]]


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
def test_every_button_value_is_the_case_id(state: State) -> None:
    for e in actions_of(blocks_of(state)):
        if e["type"] == "button":
            assert e["value"] == "1042"


def test_reroute_lists_the_other_departments_as_case_and_department() -> None:
    select = element(blocks_of(S.CLAIMED), A.REROUTE)
    assert select["type"] == "static_select"
    assert [o["value"] for o in select["options"]] == ["1042:social", "1042:legal"]
    assert [o["text"]["text"] for o in select["options"]] == ["Social team", "Legal"]


def test_no_reroute_menu_when_there_is_nowhere_else_to_go() -> None:
    view = make_view(make_case(S.CLAIMED))
    blocks = case_blocks(view, now=NOW, departments=[BILLING])
    assert A.REROUTE not in action_ids(blocks)
    assert A.REROUTE not in action_ids(case_blocks(view, now=NOW))


def test_dismiss_is_an_overflow_with_reasons_and_a_confirm() -> None:
    overflow = element(blocks_of(S.NEW), A.DISMISS)
    assert overflow["type"] == "overflow"
    assert [o["value"] for o in overflow["options"]] == [
        "1042:spam",
        "1042:no_reply_needed",
        "1042:duplicate",
    ]
    assert "Nothing is deleted" in overflow["confirm"]["text"]["text"]


def test_publish_is_primary_with_a_confirm_showing_the_draft() -> None:
    publish = element(blocks_of(S.DRAFTED), A.PUBLISH)
    assert publish["text"]["text"] == "Publish"
    assert publish["style"] == "primary"
    assert "Hej Anna!" in publish["confirm"]["text"]["text"]


def test_sensitive_case_asks_for_approval_until_approved() -> None:
    sensitive = {"sensitive_reasons": ["keyword:lawsuit"], "flags": ["sensitive"]}
    assert element(blocks_of(S.DRAFTED, **sensitive), A.PUBLISH)["text"]["text"] == (
        "Request approval"
    )
    case = make_case(S.APPROVED, approved_by="U0COMMS001", **sensitive)
    stale = case_blocks(make_view(case), now=NOW)  # approved, but not this text
    assert element(stale, A.PUBLISH)["text"]["text"] == "Request approval"
    case.approved_fingerprint = fingerprint(case)
    approved = case_blocks(make_view(case), now=NOW)
    assert element(approved, A.PUBLISH)["text"]["text"] == "Publish"
    # an approval of the public reply does not cover a private one
    assert element(approved, A.PRIVATE)["text"]["text"] == "Request approval (private)"


def test_approvers_are_told_what_changed_and_when_nobody_else_can_approve() -> None:
    view = make_view(make_case(S.AWAITING_APPROVAL, sensitive_reasons=["keyword:lawsuit"]))
    changed = CaseEvent(
        EventKind.APPROVAL_REQUESTED, OWNER, notify=("U0COMMS001",), changed=DraftChange.TEXT
    )
    assert event_text(view, changed).endswith(
        "Draft changed while waiting: <@U0ANNA0001> changed its text. Approve the new text "
        "(reply publicly): <@U0COMMS001>, please review."
    )
    alone = CaseEvent(EventKind.APPROVAL_REQUESTED, OWNER, no_other_approver=True)
    assert "nobody else can approve it, every approver is an author" in event_text(view, alone)


def test_a_claimed_case_offers_everyone_to_take_it_over_with_a_confirm() -> None:
    take = element(blocks_of(S.DRAFTED), A.TAKE_OVER)
    assert take["value"] == "1042" and take["text"]["text"] == "Take over"
    assert take["confirm"]["title"]["text"] == "Take over #1042?"
    assert take["confirm"]["text"]["text"].startswith("Take over #1042 from <@U0ANNA0001>?")
    assert A.TAKE_OVER not in action_ids(blocks_of(S.NEW))
    assert A.TAKE_OVER in action_ids(blocks_of(S.AWAITING_APPROVAL))


def test_approve_publishes_at_once_so_it_confirms() -> None:
    approve = element(blocks_of(S.AWAITING_APPROVAL), A.APPROVE)
    assert approve["value"] == "1042"
    assert approve["confirm"]["confirm"]["text"] == "Approve & publish"


def test_a_private_case_makes_reply_privately_the_primary_button() -> None:
    blocks = blocks_of(S.APPROVED, private=True)
    assert element(blocks, A.PRIVATE)["style"] == "primary"
    assert "style" not in element(blocks, A.PUBLISH)


def test_no_publish_buttons_without_a_draft() -> None:
    blocks = blocks_of(S.CLAIMED, draft="", draft_author=None)
    assert A.PUBLISH not in action_ids(blocks)
    assert A.PRIVATE not in action_ids(blocks)
    assert element(blocks, A.EDIT)["text"]["text"] == "Write reply"


# -- content ----------------------------------------------------------------------------------


def test_header_context_author_and_link() -> None:
    blocks = blocks_of(S.NEW)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Case #1042 · Billing", "emoji": True},
    }
    text = body(blocks)
    assert "*Facebook* comment · 1122334455 · :speech_balloon: sv" in text
    assert "*Anna Berg* (@annab) · 120 followers" in text
    assert "<https://fb.invalid/post-1#m-1|View on Facebook>" in text
    assert ">Var är min faktura?" in text
    assert "*Owner:* unclaimed" in text


def test_flags_are_readable_badges_with_their_reasons() -> None:
    text = body(
        blocks_of(
            S.NEW,
            flags=["sensitive", "high_reach", "personal_data", "possible_spam"],
            sensitive_reasons=["keyword:lawsuit", "reach:25000", "department:legal"],
            pii=["phone"],
        )
    )
    assert "*sensitive* (“lawsuit”, 25,000 followers, legal department)" in text
    assert "*high reach*" in text
    assert "*personal data* (phone)" in text
    assert "*possible spam*" in text


def test_sensitive_without_approvers_warns() -> None:
    case = make_case(S.DRAFTED, sensitive_reasons=["keyword:police"], flags=["sensitive"])
    known = body(case_blocks(make_view(case), now=NOW))
    unknown = body(case_blocks(make_view(case), now=NOW, approvers_known=False))
    assert "no approvers are configured" not in known
    assert "no approvers are configured" in unknown


@pytest.mark.parametrize(("minutes", "overdue"), [(30, False), (-5, True)])
def test_due_uses_slack_date_formatting_and_marks_overdue(minutes: int, overdue: bool) -> None:
    due = NOW + timedelta(minutes=minutes)
    text = body(case_blocks(make_view(make_case(S.NEW), due_at=due), now=NOW))
    stamp = int(due.timestamp())
    assert f"first answer due <!date^{stamp}^{{date_short_pretty}} at {{time}}|" in text
    assert ("(overdue)" in text) is overdue


def test_no_due_line_once_published() -> None:
    view = make_view(make_case(S.PUBLISHED), due_at=NOW - timedelta(hours=1))
    assert "first answer due" not in body(case_blocks(view, now=NOW))


def test_owner_draft_author_and_private_marker() -> None:
    text = body(blocks_of(S.DRAFTED, private=True))
    assert "*Owner:* <@U0ANNA0001>" in text
    assert "*Draft* by <@U0ANNA0001> · :lock: private reply" in text
    assert ">Hej Anna! Vi kollar och återkommer." in text


def test_template_draft_is_credited_to_the_template() -> None:
    assert "*Draft* from the template" in body(blocks_of(S.NEW, draft_author="chatops"))


def test_reject_reason_is_shown_when_sent_back() -> None:
    text = body(blocks_of(S.DRAFTED, reject_reason="too informal <b>"))
    assert "*Sent back:*\n>too informal &lt;b&gt;" in text


def test_published_status_links_the_reply() -> None:
    published = [
        {"id": "r-1", "url": "https://fb.invalid/r-1", "mention": "", "at": "", "private": ""}
    ]
    text = body(blocks_of(S.PUBLISHED, published=published))
    assert "published publicly · <https://fb.invalid/r-1|view reply>" in text
    assert "*Reply sent*" in text


def test_dismissed_shows_the_reason_and_no_draft() -> None:
    text = body(blocks_of(S.DISMISSED, dismiss_reason="no_reply_needed"))
    assert "dismissed: no reply needed" in text
    assert "Hej Anna" not in text


def test_later_mentions_are_compact_with_answered_edited_and_removed_marks() -> None:
    others = [
        mention("m-2", "Samma här", author=Author(id="u-2", name="Bo"), change=Change.EDITED),
        mention("m-3", "spam spam", author=Author(id="u-3", handle="cc"), change=Change.REMOVED),
    ]
    case = make_case(S.CLAIMED, answered_keys=["facebook:m-2"], reply_to="facebook:m-3")
    text = body(case_blocks(make_view(case, [mention(), *others]), now=NOW))
    assert "*Also in this thread* (2)" in text
    assert "✓ *Bo*: Samma här  _(edited)_" in text
    assert "• @cc: spam spam  _(removed by its author)_" in text
    assert "in reply to @cc" in text


# -- escaping and limits ----------------------------------------------------------------------


def test_customer_text_never_forms_links_or_mentions() -> None:
    """mrkdwn is where Slack forms links and mentions; plain_text shows them literally."""
    evil_author = Author(id="u-9", name="<!channel> Eve & co", handle="eve<@U1>")
    m = mention(text=EVIL, author=evil_author)
    case = make_case(S.DRAFTED, draft="Hej <@U123> & <!here>", reject_reason="<!here>")
    view = make_view(case, [m, mention("m-2", EVIL, author=evil_author)])
    rendered = [
        *texts(case_blocks(view, now=NOW, departments=DEPARTMENTS), ("mrkdwn",)),
        case_text(view),
        *texts(moved_blocks(view, LEGAL), ("mrkdwn",)),
        event_text(view, CaseEvent(EventKind.MENTION, "chatops", m)),
        event_text(view, CaseEvent(EventKind.MENTION_EDITED, "chatops", m)),
        event_text(view, CaseEvent(EventKind.REOPENED, "chatops", m)),
        event_text(view, CaseEvent(EventKind.PUBLISH_FAILED, "chatops", reason=EVIL)),
    ]
    joined = "\n".join(rendered)
    for raw in ("<@U123>", "<https://evil", "<!here>", "<!channel>", "<@U1>", "& co"):
        assert raw not in joined
    assert "&lt;@U123&gt;" in joined
    assert "&lt;https://evil.invalid|click&gt;" in joined
    assert "&amp; co" in joined


def test_escape_and_who() -> None:
    assert escape("a & <b>") == "a &amp; &lt;b&gt;"
    assert who("U0ANNA0001") == "<@U0ANNA0001>"
    assert who("W0ANNA0001") == "<@W0ANNA0001>"
    assert who("S0COMMS") == "<!subteam^S0COMMS>"
    assert who("G0TEAM", frozenset({"G0TEAM"})) == "<!subteam^G0TEAM>"
    assert who("channel") == who("here") == "<!here>"
    assert who("chatops") == "chatops"
    assert who("Sara") == "Sara"
    assert who("<@U1>") == "&lt;@U1&gt;"


def test_links_are_http_only_and_cannot_break_out() -> None:
    assert link("javascript:alert(1)", "x") == ""
    assert link(None, "x") == ""
    assert (
        link("https://a.invalid/?q=1|b>c&d", "go") == "<https://a.invalid/?q=1%7Cb&gt;c&amp;d|go>"
    )


def test_clipping_never_leaves_half_an_entity_or_link() -> None:
    assert clip_mrkdwn("abc &amp; def", 7) == "abc…"
    assert clip_mrkdwn("see <https://x.invalid|x>", 10) == "see…"
    assert clip_mrkdwn("short", 10) == "short"


def test_long_texts_stay_within_block_kit_limits() -> None:
    huge = "<&>" * 4000
    case = make_case(S.DRAFTED, draft="x" * 9000, reject_reason="y" * 9000)
    long_dept = Department("billing", "B" * 500, "C0BILLING")
    many = [mention(f"m-{i}", huge, author=Author(id=f"u-{i}", name="N" * 300)) for i in range(300)]
    view = make_view(case, many, long_dept, due_at=NOW)
    blocks = case_blocks(view, now=NOW, departments=[long_dept, *DEPARTMENTS])
    assert_valid(blocks)
    assert len(blocks[0]["text"]["text"]) <= 150
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    text = body(blocks)
    assert "…" in text
    assert "more_" in text
    assert len(case_text(view)) <= 300
    assert_valid(moved_blocks(view, LEGAL))


def test_case_text_is_a_short_escaped_summary() -> None:
    view = make_view(make_case(S.NEW))
    assert case_text(view) == "Case #1042 · Billing · Anna Berg: Var är min faktura?"
    evil = make_view(make_case(S.NEW), [mention(text="a <@U1>\n& b " + "z" * 500)])
    text = case_text(evil)
    assert "<@U1>" not in text and "&lt;@U1&gt; &amp; b" in text
    assert len(text) <= 300 and text.endswith("…")


def test_metadata_shape() -> None:
    assert case_metadata("1042") == {
        "event_type": "chatops_case",
        "event_payload": {"case_id": "1042"},
    }


def test_moved_blocks_point_to_the_new_channel_without_actions() -> None:
    blocks = moved_blocks(make_view(make_case(S.CLAIMED)), LEGAL)
    assert action_ids(blocks) == []
    text = body(blocks)
    assert "*Case #1042* moved to <#C0LEGAL> (*Legal*): the thread continues there." in text
    assert "*Anna Berg* (@annab): Var är min faktura?" in text
    assert_valid(blocks)
    teams = Department("legal", "Legal (Microsoft Teams)", "")
    assert "moved to Legal (Microsoft Teams):" in body(
        moved_blocks(make_view(make_case(S.NEW)), teams)
    )


def test_refusal_text() -> None:
    assert refusal_text("already claimed by U0ANNA0001") == (
        ":no_entry_sign: already claimed by <@U0ANNA0001>"
    )
    assert refusal_text("bad <input> & UNKNOWNER") == (
        ":no_entry_sign: bad &lt;input&gt; &amp; UNKNOWNER"
    )


# -- thread replies ---------------------------------------------------------------------------

PUBLISHED = [
    {
        "id": "r-1",
        "url": "https://fb.invalid/r-1",
        "mention": "facebook:m-1",
        "at": "",
        "private": "",
    }
]

EVENT_CASES: list[tuple[EventKind, dict[str, Any], dict[str, Any], list[str]]] = [
    (EventKind.CREATED, {}, {"actor": "chatops"}, ["New comment from *Anna Berg* (@annab)"]),
    (EventKind.MENTION, {}, {"actor": "chatops"}, ["*Bo* wrote:\n>Samma här"]),
    (
        EventKind.MENTION_EDITED,
        {},
        {"actor": "chatops"},
        ["*Bo* edited their comment:\n>Samma här"],
    ),
    (EventKind.MENTION_REMOVED, {}, {"actor": "chatops"}, ["*Bo* removed their comment"]),
    (
        EventKind.ERASED,
        {},
        {"actor": "chatops"},
        [":lock: A customer's messages and details in this case were erased on their request"],
    ),
    (EventKind.CLAIMED, {}, {}, ["Claimed by <@U0ANNA0001>"]),
    (EventKind.UNCLAIMED, {}, {}, ["<@U0ANNA0001> gave the case back"]),
    (
        EventKind.TAKEN_OVER,
        {},
        {"actor": "U0BOB00001", "notify": (OWNER,), "previous_owner": OWNER},
        [":raising_hand: <@U0BOB00001> took the case over from <@U0ANNA0001>"],
    ),
    (
        EventKind.APPROVAL_WITHDRAWN,
        {},
        {"notify": ("U0COMMS001",), "changed": DraftChange.TEXT},
        [
            ":warning: Approval withdrawn: <@U0ANNA0001> changed the draft (text)",
            "→ <@U0COMMS001>",
        ],
    ),
    (EventKind.DRAFTED, {}, {}, ["Draft saved by <@U0ANNA0001>"]),
    (
        EventKind.APPROVAL_REQUESTED,
        {"sensitive_reasons": ["keyword:lawsuit"]},
        {"notify": ("S0COMMS", "U0BOB00001")},
        [
            "<@U0ANNA0001> asks for approval to reply publicly (“lawsuit”)",
            "<!subteam^S0COMMS> <@U0BOB00001>, please review.",
        ],
    ),
    (EventKind.APPROVED, {}, {"actor": "U0COMMS001"}, ["Approved by <@U0COMMS001>"]),
    (
        EventKind.REJECTED,
        {"reject_reason": "too informal"},
        {"actor": "U0COMMS001", "notify": ("U0ANNA0001",)},
        ["<@U0COMMS001> sent the draft back: → <@U0ANNA0001>\n>too informal"],
    ),
    (EventKind.PUBLISHING, {}, {"actor": "chatops"}, ["Publishing the reply"]),
    (
        EventKind.PUBLISHED,
        {"published": PUBLISHED},
        {},
        ["Reply published publicly by <@U0ANNA0001> · <https://fb.invalid/r-1|view reply>"],
    ),
    (
        EventKind.PUBLISH_FAILED,
        {},
        {"actor": "chatops", "reason": "timeout", "not_published": NotPublished.UNAVAILABLE},
        [
            "*The reply was not published.* Timeout. "
            "Nothing was posted; publish again when the platform is back"
        ],
    ),
    (
        EventKind.PUBLISH_UNKNOWN,
        {},
        {"actor": "chatops", "reason": "read timeout", "notify": ("U0ANNA0001",)},
        ["did not confirm the reply* (read timeout)", "*Confirm sent*", "*Not sent*"],
    ),
    (
        EventKind.REROUTED,
        {"department": "legal"},
        {"previous_department": BILLING},
        ["<@U0ANNA0001> moved the case to <#C0LEGAL> (*Legal*), from *Billing*"],
    ),
    (
        EventKind.DISMISSED,
        {"dismiss_reason": "no_reply_needed"},
        {},
        ["<@U0ANNA0001> dismissed the case: no reply needed", "Nothing was deleted"],
    ),
    (EventKind.REOPENED, {}, {"actor": "chatops"}, ["*Bo* wrote again", ">Samma här"]),
    (EventKind.CLOSED, {}, {"actor": "chatops"}, [":lock: Case closed: the customer has not"]),
    (EventKind.REPLY_TARGET, {}, {}, ["<@U0ANNA0001> chose which comment the draft answers"]),
    (
        EventKind.REPLY_TARGET,
        {},
        {"comment": 2, "kept_draft": True},
        [
            ":dart: <@U0ANNA0001>: the draft now answers *Bo* (comment 2)",
            "its greeting is unchanged",
        ],
    ),
    (
        EventKind.TEMPLATE,
        {},
        {"template": "apology", "replaced": "Hej <Bo>, vi fixar", "replaced_author": "U0BOB00001"},
        [
            ":page_facing_up: Draft replaced with the template “Apology” by <@U0ANNA0001>",
            "It was <@U0BOB00001>’s text:",
            ">Hej &lt;Bo&gt;, vi fixar",
        ],
    ),
    (
        EventKind.SUGGESTED,
        {"suggested": Suggested(by="gpt-4o-mini", sources=["Returns", "#1001"], digest="x")},
        {"actor": "chatops"},
        [
            ":robot_face: Draft suggested by gpt-4o-mini from: Returns, #1001: check it, "
            "edit it, then publish"
        ],
    ),
    (
        EventKind.SUGGESTION_FAILED,
        {},
        {"actor": "chatops", "reason": "timeout"},
        [":grey_exclamation: Model suggestion unavailable (timeout): template draft kept"],
    ),
    (
        EventKind.RETRY_DROPPED,
        {},
        {"actor": "chatops", "reason": "the draft changed since", "notify": ("channel", "lead")},
        ["The automatic retry was dropped (the draft changed since): a person decides again"],
    ),
    (
        EventKind.FLOOD,
        {},
        {"actor": "chatops", "burst": Burst("author", 3, timedelta(minutes=10))},
        ["*Bo* wrote more than 3 new mentions within 10 min: this one and their next ones"],
    ),
    (
        EventKind.ESCALATED,
        {},
        {"actor": "chatops", "overdue": Overdue("claim"), "notify": ("here",)},
        [":rotating_light: #1042 is still unclaimed: who takes it? → <!here>"],
    ),
    (
        EventKind.APPROVAL_WAITING,
        {},
        {"actor": "chatops", "notify": ("S0COMMS",)},
        [":hourglass: #1042 is waiting for approval → <!subteam^S0COMMS>"],
    ),
    (
        EventKind.SNOOZED,
        {},
        {"actor": "U0ANNA0001", "until": datetime(2026, 11, 23, 10, 30, tzinfo=UTC)},
        [
            ":zzz: <@U0ANNA0001> snoozed the reminders until "
            "<!date^1795429800^{date_short_pretty} at {time}|2026-11-23 10:30 UTC>"
        ],
    ),
]


def test_every_event_kind_has_a_case() -> None:
    assert {kind for kind, *_ in EVENT_CASES} == set(EventKind)


@pytest.mark.parametrize(
    ("kind", "case_kw", "event_kw", "expected"),
    EVENT_CASES,
    ids=[kind.value for kind, *_ in EVENT_CASES],
)
def test_event_text(
    kind: EventKind, case_kw: dict[str, Any], event_kw: dict[str, Any], expected: list[str]
) -> None:
    bo = mention("m-2", "Samma här", author=Author(id="u-2", name="Bo"))
    department = LEGAL if case_kw.get("department") == "legal" else BILLING
    view = make_view(make_case(S.CLAIMED, **case_kw), [mention(), bo], department)
    event_mention = mention() if kind is EventKind.CREATED else bo
    fields: dict[str, Any] = {"actor": OWNER, "mention": event_mention}
    fields.update(event_kw)
    text = event_text(view, CaseEvent(kind, **fields))
    for part in expected:
        assert part in text
    assert len(text) <= 3000


def test_system_actor_is_plain_text() -> None:
    view = make_view(make_case(S.CLAIMED, published=PUBLISHED))
    text = event_text(view, CaseEvent(EventKind.PUBLISHED, "chatops"))
    assert "by " not in text and "<@chatops>" not in text
    text = event_text(view, CaseEvent(EventKind.CLAIMED, "chatops"))
    assert text.endswith("Claimed by chatops")


def test_user_groups_render_as_subteams() -> None:
    view = make_view(make_case(S.DRAFTED))
    event = CaseEvent(EventKind.APPROVAL_REQUESTED, OWNER, notify=("G0COMMS", "U0BOB00001"))
    plain = event_text(view, event)
    grouped = event_text(view, event, user_groups=frozenset({"G0COMMS"}))
    assert "<!subteam^G0COMMS>" in grouped and "<!subteam^G0COMMS>" not in plain
    assert "<@U0BOB00001>" in grouped


def test_approval_request_without_approvers_says_so() -> None:
    view = make_view(make_case(S.AWAITING_APPROVAL))
    text = event_text(view, CaseEvent(EventKind.APPROVAL_REQUESTED, OWNER))
    assert text.endswith("nobody is set up to approve.")


def test_private_publish_and_missing_url() -> None:
    published = [{"id": "", "url": "", "mention": "", "at": "", "private": "1"}]
    view = make_view(make_case(S.PUBLISHED, published=published, private=True))
    text = event_text(view, CaseEvent(EventKind.PUBLISHED, OWNER))
    assert text == ":white_check_mark: Reply published privately by <@U0ANNA0001>"


def test_reroute_to_a_non_slack_channel_stays_plain() -> None:
    view = make_view(make_case(S.CLAIMED), department=Department("legal", "Legal", "#legal"))
    text = event_text(view, CaseEvent(EventKind.REROUTED, OWNER))
    assert "moved the case to #legal" in text and "<#" not in text


# -- modals -----------------------------------------------------------------------------------


def test_draft_modal_shape() -> None:
    modal = draft_modal("1042", "Hej Anna!", title_case="#1042")
    assert modal["type"] == "modal"
    assert modal["callback_id"] == View.DRAFT == "case.draft"
    assert modal["private_metadata"] == "1042"
    assert modal["submit"]["text"] == "Save draft"
    assert modal["title"]["text"] == "Edit draft #1042"
    [block] = modal["blocks"]
    assert block["type"] == "input" and block["block_id"] == "draft"
    el = block["element"]
    assert el["type"] == "plain_text_input"
    assert el["action_id"] == "text"
    assert el["multiline"] is True
    assert el["max_length"] == 3000
    assert el["initial_value"] == "Hej Anna!"
    SlackView(**modal).to_dict()


def test_draft_modal_without_draft_has_no_initial_value() -> None:
    modal = draft_modal("1042", "", title_case="#1042")
    assert "initial_value" not in modal["blocks"][0]["element"]
    long_title = draft_modal("1042", "x" * 5000, title_case="#" + "9" * 40)
    assert len(long_title["blocks"][0]["element"]["initial_value"]) == 3000
    SlackView(**long_title).to_dict()


def test_reject_modal_shape() -> None:
    modal = reject_modal("1042")
    assert modal["callback_id"] == View.REJECT == "case.reject"
    assert modal["private_metadata"] == "1042"
    assert modal["submit"]["text"] == "Send back"
    [block] = modal["blocks"]
    assert block["block_id"] == "reason"
    assert block["element"]["action_id"] == "text"
    assert block["element"]["type"] == "plain_text_input"
    SlackView(**modal).to_dict()


def test_read_modal_input_from_the_fixture() -> None:
    payload = json.loads((FIXTURES / "view_submission_draft.json").read_text())
    expected = "Hej Karin! Frakten ändrades 1 november; över 499 kr är den fortfarande fri."
    assert read_modal_input(payload, "draft", "text") == expected
    assert read_modal_input(payload["view"], "draft", "text") == expected


def test_read_modal_input_is_robust() -> None:
    assert read_modal_input({}, "draft", "text") == ""
    assert read_modal_input({"view": {"state": None}}, "draft", "text") == ""
    empty = {"state": {"values": {"draft": {"text": {"type": "plain_text_input", "value": None}}}}}
    assert read_modal_input(empty, "draft", "text") == ""
    assert read_modal_input(empty, "reason", "text") == ""
    chosen = {"state": {"values": {"b": {"e": {"selected_option": {"value": "spam"}}}}}}
    assert read_modal_input(chosen, "b", "e") == "spam"


def test_button_fixture_matches_what_we_render() -> None:
    payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
    [clicked] = payload["actions"]
    claim = element(blocks_of(S.NEW), A.CLAIM)
    assert (clicked["action_id"], clicked["value"]) == (claim["action_id"], claim["value"])
    rendered = next(b for b in blocks_of(S.NEW) if b["type"] == "actions")["block_id"]
    assert rendered.startswith(clicked["block_id"] + "-")  # and the draft's fingerprint


def test_kind_words_cover_every_kind() -> None:
    for kind in Kind:
        view = make_view(make_case(S.NEW), [mention(kind=kind)])
        assert_valid(case_blocks(view, now=NOW))


def test_draft_shows_characters_left_and_why_publish_is_refused() -> None:
    from dataclasses import replace

    from chatops.slack.blocks import case_blocks

    base = _view_for_limits()
    ok = replace(base, draft_length=200, max_length=280)
    over = replace(base, draft_length=300, max_length=280, blocked="20 characters over X's 280")
    text_ok = json.dumps(case_blocks(ok, now=NOW))
    text_over = json.dumps(case_blocks(over, now=NOW))
    assert "80 characters left" in text_ok and "Publish is refused" not in text_ok
    assert "20 characters over the limit" in text_over
    assert "Publish is refused:* 20 characters over X's 280" in text_over


def _view_for_limits() -> CaseView:
    return make_view(make_case(State.DRAFTED))


# -- every layout within the limits table ----------------------------------------------------

IG_DM_1 = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAwOjM0MDI4MjM2Njg0MTcxMDMwMDk0OTEyODEzMjY1MDY1NTMzNDI0MDozMjI1NzQzNzk5MzM2NDUxMjQ0OTY4MzYwNzU1NDQ1OTg0MTAwMDAA"  # noqa: E501
IG_DM_1 = IG_DM_1[:164]
IG_DM_2 = IG_DM_1[:-10] + "QUJDREVGRw"
NAMES = "Xenophon-Ångström de la Montaña Ørsted-Papadopoulou " * 4


def ig_dm(mid: str, text: str = "Hej, var är mitt paket?") -> Mention:
    return mention(mid, text, platform="instagram", kind="dm", conversation_id="thread-1")


def ig_case(state: State, mentions: list[Mention], **kw: Any) -> Case:
    keys = [m.key for m in mentions]
    fields: dict[str, Any] = dict(platform="instagram", mention_keys=keys, reply_to=keys[-1])
    fields.update(kw)
    return make_case(state, **fields)


def many_departments(n: int) -> list[Department]:
    return [Department(f"dept-{i:03d}", f"{NAMES[:60]} {i}", f"C0D{i:06d}") for i in range(n)]


def _huge_view(state: State) -> CaseView:
    """Every text as long as it gets: 60 mentions of 5000 characters full of markup."""
    huge = "<&> Hallå! " * 500
    mentions = [
        mention(f"m-{i}", huge, author=Author(id=f"u-{i}", name=NAMES, followers=10**9))
        for i in range(60)
    ]
    case = make_case(
        state,
        mention_keys=[m.key for m in mentions],
        reply_to="facebook:m-30",
        draft="Hej! " * 2000,
        reject_reason="Nej. " * 2000,
        dismiss_reason="spam" if state is S.DISMISSED else None,
        sensitive_reasons=["keyword:lawsuit", "followers:10000"],
        pii=["email", "phone", "iban"],
        flags=["high_reach", "personal_data", "possible_spam", "x" * 500],
        published=[{"id": "r", "url": "https://fb.invalid/" + "r" * 3000, "at": NOW.isoformat()}],
        approved_by="U0COMMS001",
        similar=("901", "902", "903"),
    )
    dept = Department("billing", NAMES, "C0BILLING")
    similar = tuple(SimilarAnswer(c, NAMES, NOW, huge, "sv") for c in case.similar)
    return CaseView(
        case,
        mentions,
        dept,
        NOW,
        draft_length=10_000,
        max_length=8000,
        blocked=huge,
        similar=similar,
    )


LAYOUTS: dict[str, Any] = {
    "case_blocks": lambda v: case_blocks(v, now=NOW, departments=many_departments(250)),
    "fallback_blocks": lambda v: fallback_blocks(v, now=NOW),
    "moved_blocks": lambda v: moved_blocks(v, LEGAL),
    "ping_blocks": lambda v: (
        ping_blocks(v, CaseEvent(EventKind.ESCALATED, "U0X", overdue=Overdue("claim"))) or []
    ),
    "digest_blocks": lambda v: digest_blocks(digest(v.department, _digest(200), _links(200))),
    "ping_batch_blocks": lambda v: ping_batch_blocks(
        pings(v.department, _pings(200), _links(200), ["S0LEAD0001"] * 400)
    ),
    "report_blocks": lambda v: report_blocks(_report(300)),
}
MODALS: dict[str, Any] = {
    "draft_modal": lambda v: draft_modal(v.case.id, v.case.draft, title_case=v.case.number),
    "reject_modal": lambda v: reject_modal(v.case.id),
    "statement_modal": lambda v: statement_modal("social:1", v.case.draft * 50),
}


def _report(n: int) -> Report:
    return Report(NAMES * 10, tuple((Strong(NAMES), Text(": " + "<&> " * 400)) for _ in range(n)))


def _digest(n: int) -> list[DigestItem]:
    return [
        DigestItem(f"{1000 + i}", f"#{1000 + i}", timedelta(hours=i), None, "new", NAMES * 3)
        for i in range(n)
    ]


def _pings(n: int) -> list[PingItem]:
    return [
        PingItem(f"{1000 + i}", f"#{1000 + i}", Overdue("claim"), "U0A" if i % 2 else None)
        for i in range(n)
    ]


def _links(n: int) -> dict[str, str]:
    return {f"{1000 + i}": f"https://acme.slack.com/archives/C0X/p{i:016d}" for i in range(n)}


def test_every_layout_function_is_checked_here() -> None:
    """A new layout in blocks.py or modals.py must join LAYOUTS/MODALS, or this fails."""
    import chatops.slack.blocks as blocks_module
    import chatops.slack.modals as modals_module

    found = {n for n in dir(blocks_module) if n.endswith("_blocks") and not n.startswith("_")}
    found |= {n for n in dir(modals_module) if n.endswith("_modal") and not n.startswith("_")}
    assert found == set(LAYOUTS) | set(MODALS)


@pytest.mark.parametrize("state", list(State), ids=[s.value for s in State])
@pytest.mark.parametrize("name", list(LAYOUTS) + list(MODALS))
def test_every_layout_fits_slacks_limits_even_when_everything_is_huge(
    name: str, state: State
) -> None:
    for view in (_huge_view(state), make_view(make_case(state)), make_view(make_case(state), [])):
        if name in MODALS:
            assert view_violations(MODALS[name](view)) == []
            continue
        blocks = LAYOUTS[name](view)
        assert message_violations(blocks, case_text(view)) == [], name
        if blocks:
            assert_valid(blocks)


def test_thread_texts_fit() -> None:
    view = _huge_view(S.DRAFTED)
    huge = "<&>" * 20_000
    for kind in EventKind:
        event = CaseEvent(kind, NAMES, mention(text=huge), notify=("U0A",) * 500, reason=huge)
        text = event_text(view, event)
        assert len(text) <= 3000 and message_violations([section(text)], text) == []
    assert len(refusal_text(huge)) <= 3000


def test_two_instagram_dms_get_short_reply_to_values_that_map_back() -> None:
    assert len(IG_DM_1) == 164
    dms = [ig_dm(IG_DM_1), ig_dm(IG_DM_2, "Och en sak till")]
    case = ig_case(S.CLAIMED, dms, reply_to=dms[0].key)
    blocks = case_blocks(make_view(case, dms), now=NOW, departments=DEPARTMENTS)
    assert_valid(blocks)
    menu = element(blocks, A.REPLY_TO)
    values = [o["value"] for o in menu["options"]]
    assert all(len(v) <= 150 for v in values)
    assert menu["initial_option"]["value"] == values[0]
    keys = [reply_to_key(case, v.partition(":")[2]) for v in values]
    assert keys == [dms[0].key, dms[1].key]
    assert all(v.startswith("1042:") for v in values)


def test_a_stale_reply_to_choice_names_no_comment() -> None:
    dms = [ig_dm(IG_DM_1), ig_dm(IG_DM_2)]
    case = ig_case(S.CLAIMED, dms)
    value = reply_to_value(case, dms[1].key).partition(":")[2]
    moved = case.model_copy(update={"mention_keys": [dms[1].key, dms[0].key]})
    assert reply_to_key(moved, value) is None
    assert reply_to_key(case, "7:abcdef") is None
    assert reply_to_key(case, "x") is None
    assert reply_to_key(case, dms[0].key) == dms[0].key  # menus rendered before indices


def test_sixty_mentions_offer_the_newest_unanswered_in_the_menu() -> None:
    mentions = [mention(f"m-{i}", f"kommentar {i}") for i in range(60)]
    case = make_case(
        S.CLAIMED,
        mention_keys=[m.key for m in mentions],
        answered_keys=[m.key for m in mentions[:10]],
        reply_to=mentions[-1].key,
    )
    blocks = case_blocks(make_view(case, mentions), now=NOW, departments=DEPARTMENTS)
    assert_valid(blocks)
    menu = element(blocks, A.REPLY_TO)
    labels = [o["text"]["text"] for o in menu["options"]]
    assert len(labels) == 50 and labels[-1].endswith("kommentar 59")
    assert menu["initial_option"] == menu["options"][-1]


def test_no_reply_to_menu_when_every_comment_is_answered() -> None:
    mentions = [mention("m-1"), mention("m-2")]
    keys = [m.key for m in mentions]
    case = make_case(S.CLAIMED, mention_keys=keys, answered_keys=keys, reply_to=keys[-1])
    blocks = case_blocks(make_view(case, mentions), now=NOW, departments=DEPARTMENTS)
    assert A.REPLY_TO not in action_ids(blocks)


@pytest.mark.parametrize("n", [3, 100, 101, 250])
def test_many_departments_are_paged_into_option_groups(n: int) -> None:
    depts = many_departments(n)
    case = make_case(S.CLAIMED, department=depts[0].id)
    blocks = case_blocks(make_view(case, department=depts[0]), now=NOW, departments=depts)
    assert_valid(blocks)
    menu = element(blocks, A.REROUTE)
    if n - 1 <= 100:
        offered = menu["options"]
        assert "option_groups" not in menu
    else:
        assert "options" not in menu
        offered = [o for g in menu["option_groups"] for o in g["options"]]
    assert [o["value"] for o in offered] == [f"1042:{d.id}" for d in depts[1:]]


def _fallback(view: CaseView) -> list[dict[str, Any]]:
    return fallback_blocks(view, now=NOW)


def test_the_fallback_is_small_and_keeps_the_main_buttons() -> None:
    view = _huge_view(S.DRAFTED)
    blocks = _fallback(view)
    assert_valid(blocks)
    assert action_ids(blocks) == [A.EDIT, A.PUBLISH]
    assert element(blocks, A.PUBLISH)["text"]["text"] == "Request approval"  # sends nothing
    drafted = _fallback(make_view(make_case(S.DRAFTED)))
    assert element(drafted, A.PUBLISH)["confirm"]  # never a one-click publish
    assert "|View on Facebook>" in body(blocks)
    assert "<https://fb.invalid/post-1#m-0|" in body(blocks)
    assert blocks[1]["block_id"].startswith("case-1042-")
    new = _fallback(make_view(make_case(S.NEW, draft="")))
    assert action_ids(new) == [A.CLAIM, A.EDIT]
    published = _fallback(make_view(make_case(S.PUBLISHED)))
    assert action_ids(published) == [] and len(published) == 1


def test_a_long_case_shows_less_of_each_text_instead_of_breaking_the_total() -> None:
    blocks = case_blocks(_huge_view(S.DRAFTED), now=NOW, departments=DEPARTMENTS)
    assert blocks_text_length(blocks) <= LIMITS.blocks_text_budget
    short = case_blocks(_view_for_limits(), now=NOW, departments=DEPARTMENTS)
    assert "Hej Anna! Vi kollar och återkommer." in body(short)


def test_a_big_digest_stops_listing_within_the_limits() -> None:
    blocks = digest_blocks(digest(BILLING, _digest(200), _links(200)))
    assert_valid(blocks)
    assert "more:_ `/chatops` _lists them all._" in body(blocks)


def test_a_digest_marks_overdue_and_sensitive_cases_and_a_leads_copy_has_no_buttons() -> None:
    items = [replace(item, overdue=i == 0, sensitive=i == 1) for i, item in enumerate(_digest(3))]
    blocks = digest_blocks(digest(BILLING, items, _links(3)))
    assert_valid(blocks)
    assert blocks[0]["text"]["text"].startswith("3 unanswered cases in Billing · oldest waiting")
    assert blocks[0]["text"]["text"].endswith(" · ⏰ 1 overdue · ⚠️ 1 sensitive")
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert sections[0].startswith("*#1000* · :alarm_clock: *overdue* · waiting 0 min")
    assert sections[1].startswith("*#1001* · :warning: *sensitive* · waiting 1 h 00 min")
    assert ":alarm_clock:" not in sections[2] and ":warning:" not in sections[2]
    assert [b["type"] for b in blocks].count("actions") == 3
    personal = digest_blocks(digest(BILLING, items, _links(3), personal=True))
    assert_valid(personal)
    assert [b["type"] for b in personal] == ["header", "section", "section", "section"]
    assert "<https://acme.slack.com/archives/C0X/p" in personal[1]["text"]["text"]


def test_the_weekly_report_as_mrkdwn_and_blocks() -> None:
    lines = ((Strong("Total"), Text(": 3 cases")), (Text("• R&D <!here> *x* · x: 1 case"),))
    report = Report("Weekly response report · 16–23 Nov 2026", lines)
    assert report_text(report) == (
        "*Weekly response report · 16–23 Nov 2026*\n*Total*: 3 cases\n"
        "• R&amp;D &lt;!here&gt; *x* · x: 1 case"
    )
    blocks = report_blocks(report)
    assert_valid(blocks)
    assert body(blocks) == report_text(report)


def test_a_big_weekly_report_counts_the_lines_it_leaves_out() -> None:
    blocks = report_blocks(_report(300))
    assert_valid(blocks)
    assert body(blocks).endswith("more lines.")


# -- the checker itself: it must catch what Slack refuses ------------------------------------


def _select(options: list[dict[str, Any]], **kw: Any) -> list[dict[str, Any]]:
    menu = {"type": "static_select", "action_id": "a", "options": options, **kw}
    menu["placeholder"] = {"type": "plain_text", "text": "Pick"}
    return [{"type": "actions", "elements": [menu]}]


def _opt(text: str = "x", value: str = "v") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


REFUSED: list[tuple[str, Any, str]] = [
    ("option value 151", _select([_opt(value="v" * 151)]), "options[0].value: 151 > 150"),
    ("option text 76", _select([_opt(text="t" * 76)]), "options[0].text.text: 76 > 75"),
    ("101 options", _select([_opt(value=str(i)) for i in range(101)]), "101 items > 100"),
    ("initial not an option", _select([_opt()], initial_option=_opt(value="w")), "initial"),
    ("no options", _select([]), "at least one"),
    (
        "overflow with 6",
        [{"type": "actions", "elements": [{"type": "overflow", "options": [_opt()] * 6}]}],
        "6 items > 5",
    ),
    ("header 151", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151"),
    (
        "header in mrkdwn",
        [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
        "not a plain_text",
    ),
    ("section 3001", [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}], ">"),
    ("empty text", [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "empty"),
    ("51 blocks", [{"type": "divider"}] * 51, "51 items > 50"),
    (
        "block_id twice",
        [{"type": "divider", "block_id": "b"}, {"type": "divider", "block_id": "b"}],
        "used twice",
    ),
    ("unknown block", [{"type": "banner"}], "not a known block"),
    (
        "button value 2001",
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "b",
                        "text": {"type": "plain_text", "text": "B"},
                        "value": "v" * 2001,
                    }
                ],
            }
        ],
        "value: 2001 > 2000",
    ),
    (
        "confirm text 301",
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "b",
                        "text": {"type": "plain_text", "text": "B"},
                        "confirm": {
                            "title": {"type": "plain_text", "text": "T"},
                            "text": {"type": "plain_text", "text": "c" * 301},
                            "confirm": {"type": "plain_text", "text": "Y"},
                            "deny": {"type": "plain_text", "text": "N"},
                        },
                    }
                ],
            }
        ],
        "confirm.text.text: 301 > 300",
    ),
    (
        "11 context elements",
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        "11 items > 10",
    ),
]


@pytest.mark.parametrize(("name", "blocks", "says"), REFUSED, ids=[r[0] for r in REFUSED])
def test_the_checker_names_what_slack_refuses(name: str, blocks: Any, says: str) -> None:
    found = message_violations(blocks)
    assert found and any(says in str(v) for v in found), found
    assert {v.error for v in found} == {"invalid_blocks"}


def test_the_checker_knows_text_and_total_limits() -> None:
    assert [v.error for v in message_violations(None, "x" * 40_001)] == ["msg_too_long"]
    assert message_violations(None, "x" * 40_000) == []
    sections = [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000}}] * 4
    assert [v.error for v in message_violations(sections)] == ["msg_blocks_too_long"]


def test_the_checker_knows_view_limits() -> None:
    modal = draft_modal("1042", "x" * 5000, title_case="#1042")
    assert view_violations(modal) == []
    too_long = {**modal, "title": {"type": "plain_text", "text": "t" * 25}}
    assert "view.title.text: 25 > 24" in str(view_violations(too_long))
    element = {**modal["blocks"][0]["element"], "initial_value": "x" * 3001}
    bad_input = {**modal, "blocks": [{**modal["blocks"][0], "element": element}]}
    assert "initial_value: 3001 > 3000" in str(view_violations(bad_input))
    no_submit = {k: v for k, v in modal.items() if k != "submit"}
    assert "submit" in str(view_violations(no_submit))
    assert view_violations({"type": "dialog"})
