"""The chat-neutral presentation: case cards, controls, sentences and listings as data.

Every chat marks up these same values, so what a case shows and offers is tested once here;
the Slack, Teams and console tests check only their markup.
"""

from __future__ import annotations

import ast
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chatops.chat import (
    Burst,
    CaseEvent,
    CaseView,
    Department,
    DigestItem,
    DraftChange,
    EventKind,
    PingItem,
    present,
    rich,
    wording,
)
from chatops.chat.actions import Action
from chatops.chat.present import Button, Menu, Tone
from chatops.domain import Case, Kind, Mention, NotPublished, Overdue, State
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import ALLOWED, fingerprint
from tests import builders
from tests.builders import NOW, mention

BILLING = Department("billing", "Billing", "C0BILLING")
LEGAL = Department("legal", "Legal", "C0LEGAL")
OWNER = "U0ANNA0001"
CHAT = Path(__file__).resolve().parents[2] / "chatops" / "chat"


def make_case(state: State, **kw: Any) -> Case:
    return builders.make_case(state, staff=OWNER, **kw)


def view_of(case: Case, mentions: list[Mention] | None = None, **kw: Any) -> CaseView:
    return CaseView(case, [mention()] if mentions is None else mentions, BILLING, **kw)


def actions(card: present.CaseCard) -> list[Action]:
    return [control.action for control in card.controls]


@pytest.mark.parametrize("state", list(State))
def test_controls_never_offer_what_the_workflow_refuses(state: State) -> None:
    case = make_case(state, mention_keys=["facebook:m-1", "facebook:m-2"])
    view = view_of(case, [mention(), mention("m-2", "och?")])
    card = present.case_card(view, now=NOW, departments=(BILLING, LEGAL))
    command_of = {
        Action.CLAIM: Command.CLAIM,
        Action.UNCLAIM: Command.UNCLAIM,
        Action.TAKE_OVER: Command.TAKE_OVER,
        Action.EDIT: Command.EDIT,
        Action.PUBLISH: Command.PUBLISH,
        Action.PRIVATE: Command.PUBLISH,
        Action.APPROVE: Command.APPROVE,
        Action.REJECT: Command.REJECT,
        Action.REROUTE: Command.REROUTE,
        Action.REPLY_TO: Command.REPLY_TO,
        Action.SNOOZE: Command.SNOOZE,
        Action.DISMISS: Command.DISMISS,
    }
    for action in actions(card):
        if action in command_of:
            assert state in ALLOWED[command_of[action]], (state, action)
    if state in (State.PUBLISHING, State.PUBLISHED, State.CLOSED, State.DISMISSED):
        assert card.controls == ()
    if state is State.PUBLISH_UNKNOWN:
        assert actions(card) == [Action.CONFIRM_SENT, Action.CONFIRM_NOT_SENT]


def test_new_case_invites_a_claim_and_drafted_case_a_confirmed_publish() -> None:
    new = present.case_card(view_of(make_case(State.NEW, draft="")), now=NOW)
    assert actions(new)[0] is Action.CLAIM
    assert isinstance(new.controls[0], Button) and new.controls[0].tone is Tone.PRIMARY
    assert Action.PUBLISH not in actions(new)  # nothing to publish without a draft
    drafted = present.case_card(view_of(make_case(State.DRAFTED)), now=NOW)
    publish = next(c for c in drafted.controls if c.action is Action.PUBLISH)
    assert isinstance(publish, Button) and publish.confirm is not None
    assert publish.confirm.quote == "Hej Anna! Vi kollar och återkommer."
    assert "Facebook" in publish.confirm.text


def test_sensitive_case_asks_for_approval_without_a_confirmation() -> None:
    case = make_case(State.DRAFTED, sensitive_reasons=["keyword:lawsuit"])
    card = present.case_card(view_of(case), now=NOW)
    publish = next(c for c in card.controls if c.action is Action.PUBLISH)
    assert isinstance(publish, Button)
    assert publish.label == "Request approval" and publish.confirm is None


def test_menus_carry_neutral_values() -> None:
    case = make_case(State.DRAFTED, mention_keys=["facebook:m-1", "facebook:m-2"])
    view = view_of(case, [mention(), mention("m-2", "och?")])
    card = present.case_card(view, now=NOW, departments=(BILLING, LEGAL))
    menus = {c.action: c for c in card.controls if isinstance(c, Menu)}
    assert [o.value for o in menus[Action.REROUTE].options] == ["legal"]
    assert [o.value for o in menus[Action.REPLY_TO].options] == ["facebook:m-1", "facebook:m-2"]
    assert menus[Action.REPLY_TO].current == "facebook:m-1"
    assert [o.value for o in menus[Action.DISMISS].options] == [
        "spam",
        "no_reply_needed",
        "duplicate",
    ]
    assert menus[Action.DISMISS].confirm is not None
    assert menus[Action.SNOOZE].options


def test_card_sections_and_fingerprint() -> None:
    case = make_case(
        State.AWAITING_APPROVAL,
        sensitive_reasons=["keyword:lawsuit", "reach:25000"],
        reject_reason="too cold",
        mention_keys=["facebook:m-1", "facebook:m-2"],
    )
    view = view_of(case, [mention(), mention("m-2", "")], due_at=NOW - timedelta(minutes=5))
    card = present.case_card(view, now=NOW, approvers_known=False)
    assert card.seen == fingerprint(case)
    assert card.title == "Case #1042 · Billing"
    meta = rich.plain(card.meta)
    assert "Facebook" in meta and "“lawsuit”, 25,000 followers" in meta
    assert card.warning is not None and "approval.approvers" in rich.plain(card.warning)
    assert card.first is not None and card.first.text == "Var är min faktura?"
    assert card.later_total == 1 and "(no text)" in rich.plain(card.later[0])
    assert card.sent_back == "too cold"
    status = rich.plain(card.status)
    assert "waiting for approval" in status and "(overdue)" in status
    assert card.draft is not None and card.draft.text.startswith("Hej Anna")


def test_room_shortens_texts_but_never_the_draft() -> None:
    long = "x" * 5000
    case = make_case(State.DRAFTED, draft=long)
    card = present.case_card(view_of(case, [mention(text=long)]), now=NOW, room=present.ROOMS[-1])
    assert card.first is not None and len(card.first.text) <= present.ROOMS[-1].quote
    assert card.draft is not None and card.draft.text == long


def test_preview_is_one_short_plain_line() -> None:
    view = view_of(make_case(State.CLAIMED))
    assert present.preview(view) == "Case #1042 · Billing · Anna Berg: Var är min faktura?"
    assert len(present.preview(view_of(make_case(State.NEW), [mention(text="a" * 900)]))) <= 300


def test_take_over_names_who_loses_the_case_where_a_chat_can() -> None:
    confirm = present.take_over(make_case(State.CLAIMED, owner=OWNER)).confirm
    assert confirm is not None and confirm.line is not None
    assert rich.Person(OWNER, notify=False) in confirm.line
    assert rich.plain(confirm.line).replace(OWNER, "its owner") == confirm.text


def test_headings_of_the_card_sections() -> None:
    case = make_case(State.DRAFTED, mention_keys=["facebook:m-1", "facebook:m-2"])
    card = present.case_card(view_of(case, [mention(), mention("m-2")]), now=NOW)
    assert rich.plain(present.later_head(card)) == "Also in this thread (1)"
    assert rich.Strong("Sent back:") in present.SENT_BACK
    refused = present.blocked_line("20 characters over X's 280")
    assert rich.plain(refused).endswith("Publish is refused: 20 characters over X's 280")


def test_dismissed_case_has_no_draft_section() -> None:
    card = present.case_card(view_of(make_case(State.DISMISSED, dismiss_reason="spam")), now=NOW)
    assert card.draft is None and "dismissed: spam" in rich.plain(card.status)


def sentence(kind: EventKind, case: Case | None = None, **kw: Any) -> wording.Sentence:
    view = view_of(case or make_case(State.CLAIMED))
    return wording.event_sentence(view, CaseEvent(kind, kw.pop("actor", OWNER), **kw))


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_event_kind_is_worded(kind: EventKind) -> None:
    said = sentence(kind)
    assert isinstance(said.line, tuple)
    assert all(isinstance(span, rich.Span.__args__) for span in said.line)  # type: ignore[attr-defined]


def test_sentences_name_people_and_audiences_as_spans() -> None:
    said = sentence(EventKind.CLAIMED)
    assert rich.Person(OWNER) in said.line
    asked = sentence(
        EventKind.APPROVAL_REQUESTED,
        make_case(State.AWAITING_APPROVAL, sensitive_reasons=["keyword:lawsuit"]),
        notify=("S0COMMS", "here"),
    )
    assert rich.Person("S0COMMS") in asked.line and rich.Everyone() in asked.line
    assert rich.plain(asked.line).endswith(", please review.")
    system = sentence(EventKind.DRAFTED, actor=SYSTEM)
    assert rich.plain(system.line).endswith("Draft saved")


def test_a_customers_words_are_quoted_never_spans_of_markup() -> None:
    evil = mention(text="<@U123> *bold* <!here>")
    view = view_of(make_case(State.NEW), [evil])
    said = wording.event_sentence(view, CaseEvent(EventKind.MENTION, SYSTEM, evil))
    assert said.quote == "<@U123> *bold* <!here>"
    assert all(not isinstance(s, (rich.Person, rich.Everyone)) for s in said.line)


def test_listings() -> None:
    items = [
        DigestItem("1", "#1001", timedelta(hours=3), None, "new", "Anna: hej"),
        DigestItem("2", "#1002", timedelta(minutes=5), OWNER, "claimed", ""),
    ]
    listing = present.digest(BILLING, items, {"1": "https://chat.invalid/t/1"})
    assert listing.notification == "2 unanswered cases in Billing · oldest waiting 3 h 00 min"
    first, second = listing.entries
    assert [c.action for c in first.controls] == [Action.CLAIM, Action.SNOOZE]
    assert [c.action for c in second.controls] == [Action.SNOOZE]
    assert rich.Link("https://chat.invalid/t/1", "open thread") in first.line
    assert "waiting 3 h 00 min" in rich.plain(first.line)
    assert "1 more" in rich.plain(listing.more(1))
    batch = present.pings(BILLING, [PingItem("1", "#1001", Overdue("claim"))], {}, ("here",))
    assert rich.Everyone() in batch.head
    assert rich.plain(batch.entries[0].line).startswith("#1001 is still unclaimed: who takes it?")
    assert batch.notification == "@here 1 case in Billing needs someone now"
    assert present.PINGS == {EventKind.ESCALATED, EventKind.APPROVAL_WAITING}
    assert [c.action for c in present.ping_controls(view_of(make_case(State.NEW)))] == [
        Action.CLAIM,
        Action.SNOOZE,
    ]


def test_a_digest_marks_overdue_and_sensitive_cases_and_says_how_long_the_oldest_waited() -> None:
    items = [
        DigestItem("1", "#1001", timedelta(hours=3, minutes=12), None, "new", "", overdue=True),
        DigestItem("2", "#1002", timedelta(hours=1), OWNER, "drafted", "", sensitive=True),
        DigestItem(
            "3", "#1003", timedelta(minutes=50), None, "new", "", overdue=True, sensitive=True
        ),
        DigestItem("4", "#1004", timedelta(minutes=5), None, "new", ""),
    ]
    listing = present.digest(BILLING, items, {})
    assert rich.plain(listing.head) == (
        "4 unanswered cases in Billing · oldest waiting 3 h 12 min · ⏰ 2 overdue · ⚠️ 2 sensitive"
    )
    assert listing.notification == rich.plain(listing.head)
    overdue, sensitive, both, plain = (entry.line for entry in listing.entries)
    mark = {"overdue": rich.Strong("overdue"), "sensitive": rich.Strong("sensitive")}
    assert mark["overdue"] in overdue and mark["sensitive"] not in overdue
    assert mark["sensitive"] in sensitive and mark["overdue"] not in sensitive
    assert rich.plain(both).startswith("#1003 · ⏰ overdue · ⚠️ sensitive · waiting 50 min")
    assert rich.Emoji("alarm_clock") in both and rich.Emoji("warning") in both
    assert not {mark["overdue"], mark["sensitive"]} & set(plain)
    quiet = present.digest(BILLING, items[3:], {})
    assert rich.plain(quiet.head) == "1 unanswered case in Billing · oldest waiting 5 min"


def test_a_leads_own_copy_of_the_digest_links_the_threads_and_offers_no_buttons() -> None:
    items = [DigestItem("1", "#1001", timedelta(hours=3), None, "new", "Anna: hej", overdue=True)]
    links = {"1": "https://chat.invalid/t/1"}
    channel = present.digest(BILLING, items, links)
    personal = present.digest(BILLING, items, links, personal=True)
    assert [c.action for c in channel.entries[0].controls] == [Action.CLAIM, Action.SNOOZE]
    assert personal.entries[0].controls == ()
    assert personal.entries[0].line == channel.entries[0].line
    assert rich.Link("https://chat.invalid/t/1", "open thread") in personal.entries[0].line
    assert personal.head == channel.head


def test_ages() -> None:
    assert present.age(timedelta(minutes=5)) == "5 min"
    assert present.age(timedelta(hours=3, minutes=7)) == "3 h 07 min"
    assert present.age(timedelta(days=3)) == "3 days"


def _emoji_names() -> set[str]:
    names: set[str] = set()
    for path in CHAT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Emoji":
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value)
    for emoji, _ in [*present.STATE_WORDS.values(), *present.BADGES.values()]:
        names.add(emoji)
    names.add("triangular_flag_on_post")
    return names


def test_every_emoji_has_its_unicode() -> None:
    names = _emoji_names()
    assert len(names) > 20
    assert names <= set(rich.EMOJI), names - set(rich.EMOJI)


def test_plain_rendering_of_every_span() -> None:
    line: rich.Line = (
        rich.Text("a "),
        rich.Strong("b"),
        rich.Faint(" c"),
        rich.Code(" /d"),
        rich.Emoji("memo"),
        rich.Person("U1"),
        rich.Everyone(),
        rich.Link("https://x.invalid", " e"),
        rich.When(datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        rich.Place("C1", " f"),
    )
    assert rich.plain(line) == "a b c /d📝U1@here e2026-01-02 03:04 UTC f"


def test_emphasis_keeps_outer_spaces_outside_the_marks() -> None:
    assert rich.around(" more: ", "_", str.upper) == " _MORE:_ "
    assert rich.around("  ", "*", str.upper) == "  "


def test_kinds_are_worded() -> None:
    assert set(wording.KIND_WORDS) == set(Kind)


# -- events are facts: every sentence is worded here ------------------------------------------


def said(kind: EventKind, case: Case | None = None, **kw: Any) -> str:
    return rich.plain(sentence(kind, case, **kw).line)


def test_events_and_pings_carry_no_sentences() -> None:
    """The workflow, the pipeline, the flood guard and the chase give facts; wording words them."""
    assert "text" not in {f.name for f in fields(CaseEvent)}
    assert "text" not in {f.name for f in fields(PingItem)}


def test_an_overdue_tier_says_which_clock_ran_out_in_the_thread_and_the_ping() -> None:
    claim, first, fixed = (
        Overdue("claim"),
        Overdue("first_response"),
        Overdue(None, timedelta(hours=4)),
    )
    assert (
        rich.plain(wording.overdue_line("#1042", claim))
        == "#1042 is still unclaimed: who takes it?"
    )
    assert rich.plain(wording.overdue_line("#1042", first)) == (
        "#1042 has had no answer within its first-response time"
    )
    assert (
        rich.plain(wording.overdue_line("#1042", fixed)) == "#1042 has waited 4h without an answer"
    )
    line = sentence(EventKind.ESCALATED, actor=SYSTEM, overdue=fixed, notify=("here",)).line
    assert line == (
        rich.Emoji("rotating_light"),
        rich.Text(" "),
        *wording.overdue_line("#1042", fixed),
        rich.Text(" → "),
        rich.Everyone(),
    )
    waiting = said(EventKind.APPROVAL_WAITING, actor=SYSTEM, notify=("S0COMMS",))
    assert waiting == "⏳ #1042 is waiting for approval → S0COMMS"


@pytest.mark.parametrize(
    ("why", "reason", "expected"),
    [
        (NotPublished.REFUSED, "token expired", "Token expired. Retrying will not help"),
        (NotPublished.UNAVAILABLE, "HTTP 503", "HTTP 503. Nothing was posted; publish again when"),
        (
            NotPublished.RATE_LIMITED,
            "HTTP 429",
            "HTTP 429. It goes out automatically at 2026-11-23 09:00 UTC unless",
        ),
        (
            NotPublished.NOT_APPROVED,
            "",
            "The draft is not the approved one. Ask for approval again",
        ),
        (NotPublished.NOT_THERE, "", f"{OWNER} said it is not there: publish again."),
        (None, "", "Nothing was posted: edit the draft or publish again."),
    ],
)
def test_a_failed_publish_says_why_and_what_to_do_next(
    why: NotPublished | None, reason: str, expected: str
) -> None:
    retry = NOW + timedelta(seconds=30)
    line = said(EventKind.PUBLISH_FAILED, not_published=why, reason=reason, until=retry)
    assert line.startswith("❌ The reply was not published. ") and expected in line


def test_a_snooze_names_the_moment_as_a_when_span() -> None:
    until = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    line = sentence(EventKind.SNOOZED, until=until).line
    assert rich.When(until) in line
    assert rich.plain(line) == f"💤 {OWNER} snoozed the reminders until 2026-11-23 10:30 UTC"


def test_draft_changes_are_worded_for_the_approvers() -> None:
    assert set(wording.CHANGE_WORDS) == set(DraftChange)
    withdrawn = said(EventKind.APPROVAL_WITHDRAWN, changed=DraftChange.VISIBILITY)
    assert f"Approval withdrawn: {OWNER} changed the draft (public/private)." in withdrawn
    waiting = make_case(State.AWAITING_APPROVAL)
    again = said(EventKind.APPROVAL_REQUESTED, waiting, changed=DraftChange.REPLY_TARGET)
    assert "changed its reply target. Approve the new text (reply publicly)" in again
    alone = said(EventKind.APPROVAL_REQUESTED, waiting, no_other_approver=True)
    assert "nobody else can approve it" in alone
    taken = sentence(EventKind.TAKEN_OVER, actor="U0BOB", previous_owner=OWNER, notify=(OWNER,))
    assert rich.plain(taken.line).endswith(f"U0BOB took the case over from {OWNER}")


def test_a_flood_is_announced_with_its_figures() -> None:
    m = mention()
    author = said(EventKind.FLOOD, mention=m, burst=Burst("author", 1, timedelta(seconds=45)))
    assert author.startswith("Anna Berg (@annab) wrote more than 1 new mention within 45 s:")
    assert "join this case" in author
    busy = said(EventKind.FLOOD, burst=Burst("conversation", 8, timedelta(minutes=10)))
    assert busy.startswith("More than 8 mentions within 10 min in this conversation")


def test_system_lines_need_no_text_from_the_caller() -> None:
    assert said(EventKind.CLOSED, actor=SYSTEM) == (
        "🔒 Case closed: the customer has not written again since the reply"
    )
    assert said(EventKind.RETRY_DROPPED, actor=SYSTEM) == (
        "The automatic retry was dropped (the draft changed since): a person decides again"
    )
    assert said(EventKind.REPLY_TARGET) == f"{OWNER} chose which comment the draft answers"
    assert said(EventKind.PUBLISH_UNKNOWN, actor=SYSTEM, reason="read timeout").startswith(
        "⚠️ The platform did not confirm the reply (read timeout). Look on Facebook"
    )
