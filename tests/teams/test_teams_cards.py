"""Teams layout: the JSON of case cards, thread replies, digests and refusals, state by state."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
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
)
from chatops.chat.actions import Action
from chatops.chat.present import Report
from chatops.chat.rich import Strong, Text
from chatops.chat.snooze import CHOICES
from chatops.domain import Author, Case, Change, Mention, NotPublished, Overdue, State
from chatops.teams.cards import (
    DRAFT_LIMIT,
    TOP_ACTIONS,
    case_card,
    dialog_card,
    event_message,
    listing_card,
    ping_card,
    refusal_card,
    report_card,
)
from chatops.teams.clicks import ARGUMENT_OF, REFRESH_VERB, read_click, read_dialog
from chatops.teams.markup import (
    CARD_LIMIT,
    REFRESH_USERS,
    VERSION,
    People,
    card_size,
    escape,
    is_person,
    link,
    mention_entities,
)
from chatops.workflow.commands import Command
from chatops.workflow.transitions import ALLOWED, fingerprint
from tests import builders
from tests.builders import NOW, mention

S, A = State, Action

SOCIAL = Department("social", "Social team", "19:social@thread.tacv2")
BILLING = Department("billing", "Billing", "19:billing@thread.tacv2")
LEGAL = Department("legal", "Legal", "19:legal@thread.tacv2")
DEPARTMENTS = (SOCIAL, BILLING, LEGAL)
OWNER = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
COMMS = "29:1AbCdEfGhIjKlMnOpQrStUvWxYz-_09"
NAMES = {OWNER: "Anna Lind", COMMS: "Comms <Team>"}
EVIL = "Hi <at>Mallory</at> [click](https://evil.invalid) & **co**"


def make_case(state: State, **kw: Any) -> Case:
    if state is S.AWAITING_APPROVAL:
        kw.setdefault("sensitive_reasons", ["keyword:lawsuit"])
    return builders.make_case(state, staff=OWNER, **kw)


def make_view(case: Case, mentions: list[Mention] | None = None, **kw: Any) -> CaseView:
    return CaseView(case=case, mentions=mentions or [mention()], department=BILLING, **kw)


def card_of(state: State, **kw: Any) -> dict[str, Any]:
    return case_card(make_view(make_case(state, **kw)), now=NOW, departments=DEPARTMENTS)


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, ShowCards and ActionSets included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The Action.Execute buttons people can click (not the card's refresh)."""
    clickable = {k: v for k, v in card.items() if k != "refresh"}
    return [n for n in walk(clickable) if n.get("type") == "Action.Execute"]


def verbs(card: dict[str, Any]) -> set[str]:
    return {a["verb"] for a in executes(card)}


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [n for n in walk(card) if str(n.get("type", "")).startswith("Input.")]
    ids = [n["id"] for n in found]
    assert len(ids) == len(set(ids)), f"duplicate input ids: {ids}"
    return {n["id"]: n for n in found}


def texts(card: dict[str, Any]) -> str:
    return "\n".join(n["text"] for n in walk(card) if n.get("type") == "TextBlock")


WORK = {A.REROUTE, A.SNOOZE, A.DISMISS}
EXPECTED: dict[State, set[Action]] = {
    S.NEW: {A.CLAIM, A.EDIT, A.PUBLISH, A.PRIVATE} | WORK,
    S.CLAIMED: {A.UNCLAIM, A.TAKE_OVER, A.EDIT, A.PUBLISH, A.PRIVATE} | WORK,
    S.DRAFTED: {A.UNCLAIM, A.TAKE_OVER, A.EDIT, A.PUBLISH, A.PRIVATE} | WORK,
    S.AWAITING_APPROVAL: {A.TAKE_OVER, A.EDIT, A.APPROVE, A.REJECT} | WORK,
    S.APPROVED: {A.TAKE_OVER, A.EDIT, A.PUBLISH, A.PRIVATE} | WORK,
    S.PUBLISHING: set(),
    S.PUBLISHED: set(),
    S.CLOSED: set(),
    S.DISMISSED: set(),
    S.PUBLISH_UNKNOWN: {A.CONFIRM_SENT, A.CONFIRM_NOT_SENT},
    S.STORM: {A.DISMISS},
}


# -- the case card ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(State))
def test_verbs_follow_the_state(state: State) -> None:
    card = card_of(state)
    assert verbs(card) == {a.value for a in EXPECTED[state]}
    for verb in verbs(card):
        assert state in ALLOWED[Command(verb.removeprefix("case."))]
    assert len(card["actions"]) <= TOP_ACTIONS


@pytest.mark.parametrize("state", list(State))
def test_every_action_carries_the_case_id(state: State) -> None:
    card = card_of(state)
    seen = fingerprint(make_case(state))
    for action in executes(card):
        assert action["data"]["case_id"] == "1042"
        assert action["data"]["source"] == "case"
        assert action["data"]["seen"] == seen  # the draft the card shows (teams/drafts.py)
    assert card["refresh"] == {
        "action": {"type": "Action.Execute", "verb": REFRESH_VERB, "data": {"case_id": "1042"}},
        "userIds": [],
    }


def test_card_envelope() -> None:
    card = card_of(S.NEW)
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card["version"] == "1.5"
    assert card["body"][0]["text"] == "Case #1042 · Billing"
    json.dumps(card)


@pytest.mark.parametrize("state", [S.PUBLISHING, S.PUBLISHED, S.CLOSED, S.DISMISSED])
def test_no_actions_and_no_inputs_when_nothing_can_be_done(state: State) -> None:
    card = card_of(state)
    assert card["actions"] == []
    assert inputs(card) == {}


@pytest.mark.parametrize("state", sorted(ALLOWED[Command.EDIT]))
def test_the_draft_is_edited_in_the_card(state: State) -> None:
    card = card_of(state)
    draft = inputs(card)["draft"]
    assert draft["type"] == "Input.Text"
    assert draft["isMultiline"] is True
    assert draft["value"] == "Hej Anna! Vi kollar och återkommer."
    assert draft["maxLength"] == DRAFT_LIMIT
    save = next(a for a in executes(card) if a["verb"] == A.EDIT)
    assert save["title"] == "Save draft"
    assert save in card["actions"]


def test_no_draft_yet_invites_writing_and_hides_publish() -> None:
    card = card_of(S.NEW, draft="", draft_author=None)
    assert inputs(card)["draft"]["value"] == ""
    assert "none yet" in texts(card)
    assert not {A.PUBLISH.value, A.PRIVATE.value} & verbs(card)


def test_a_draft_too_long_for_the_card_is_shown_not_edited() -> None:
    card = card_of(S.DRAFTED, draft="x" * (DRAFT_LIMIT + 1))
    assert "draft" not in inputs(card)
    assert A.EDIT.value not in verbs(card)
    assert "Too long to edit in the card" in texts(card)


def test_sensitive_case_asks_for_approval_without_confirm() -> None:
    card = card_of(S.DRAFTED, sensitive_reasons=["keyword:lawsuit"])
    top = {a.get("verb"): a for a in card["actions"]}
    assert top[A.PUBLISH.value]["title"] == "Request approval"
    assert top[A.PRIVATE.value]["title"] == "Request approval (private)"


def test_publishing_at_once_is_confirmed_first() -> None:
    card = card_of(S.DRAFTED)
    publish = next(a for a in card["actions"] if a["title"] == "Publish…")
    assert publish["type"] == "Action.ShowCard"
    inner = publish["card"]["actions"][0]
    assert (inner["verb"], inner["title"]) == (A.PUBLISH.value, "Publish")
    assert "publicly on Facebook" in texts(publish["card"])


def test_approver_sends_back_with_a_required_reason() -> None:
    card = card_of(S.AWAITING_APPROVAL)
    back = next(a for a in card["actions"] if a["title"] == "Send back…")
    reason = inputs(back["card"])["reason"]
    assert reason["isRequired"] is True and reason["errorMessage"]
    assert back["card"]["actions"][0]["verb"] == A.REJECT.value
    approve = next(a for a in card["actions"] if a["title"] == "Approve & publish…")
    assert approve["card"]["actions"][0]["verb"] == A.APPROVE.value


def test_more_holds_reroute_snooze_and_dismiss() -> None:
    card = card_of(S.CLAIMED)
    more = next(a for a in card["actions"] if a["title"] == "More…")
    assert more["type"] == "Action.ShowCard"
    fields = inputs(more["card"])
    assert [c["value"] for c in fields["department"]["choices"]] == ["social", "legal"]
    snooze = [a for a in executes(more["card"]) if a["verb"] == A.SNOOZE]
    assert [a["data"]["snooze"] for a in snooze] == list(CHOICES)
    assert not any(f.get("isRequired") for f in fields.values())
    dismiss = [a for a in executes(more["card"]) if a["verb"] == A.DISMISS]
    assert [a["data"]["reason"] for a in dismiss] == ["spam", "no_reply_needed", "duplicate"]


def test_no_reroute_without_other_departments() -> None:
    card = case_card(make_view(make_case(S.CLAIMED)), now=NOW, departments=[BILLING])
    assert A.REROUTE.value not in verbs(card)
    assert "department" not in inputs(card)


def test_input_ids_are_unique_in_every_state() -> None:
    for state in State:
        inputs(card_of(state))


def test_reply_to_needs_two_unanswered_mentions() -> None:
    mentions = [mention("m-1"), mention("m-2", "Och min order?")]
    keys = ["facebook:m-1", "facebook:m-2"]
    case = make_case(S.CLAIMED, mention_keys=keys, reply_to="facebook:m-2")
    card = case_card(make_view(case, mentions), now=NOW)
    choice = inputs(card)["mention"]
    assert [c["value"] for c in choice["choices"]] == keys
    assert choice["value"] == "facebook:m-2"
    assert A.REPLY_TO.value in verbs(card)

    answered = make_case(S.CLAIMED, mention_keys=keys, answered_keys=["facebook:m-1"])
    assert A.REPLY_TO.value not in verbs(case_card(make_view(answered, mentions), now=NOW))


def test_customer_text_cannot_mention_or_link() -> None:
    evil_author = Author(id="u-9", name="<at>Boss</at>", handle="[x](https://evil.invalid)")
    mentions = [mention("m-1", EVIL, author=evil_author), mention("m-2", EVIL)]
    case = make_case(
        S.PUBLISHED,
        mention_keys=["facebook:m-1", "facebook:m-2"],
        draft=EVIL,
        reject_reason=EVIL,
        published=[{"id": "p", "url": "", "mention": "", "at": NOW.isoformat(), "private": ""}],
    )
    card = case_card(make_view(case, mentions, blocked=EVIL), now=NOW, names=NAMES)
    text = texts(card)
    assert "<at>" not in text.replace("<at>Anna Lind</at>", "")
    assert "](https://evil" not in text
    assert "&lt;at&gt;Mallory&lt;/at&gt; &#91;click&#93;(https://evil.invalid) &amp;" in text
    assert [e["text"] for e in card["msteams"]["entities"]] == ["<at>Anna Lind</at>"]


def test_escape_and_links() -> None:
    assert escape("<at>x</at> [a](b) &") == "&lt;at&gt;x&lt;/at&gt; &#91;a&#93;(b) &amp;"
    assert link("javascript:alert(1)", "x") == ""
    assert link("https://a.invalid/p (1)", "[v]") == "[&#91;v&#93;](https://a.invalid/p%20%281%29)"


def test_long_texts_are_clipped_to_the_card_limit() -> None:
    huge = "Ж" * 50_000
    draft = "д" * DRAFT_LIMIT
    mentions = [mention("m-1", huge)] + [mention(f"m-{i}", huge) for i in range(2, 40)]
    case = make_case(
        S.DRAFTED,
        mention_keys=[m.key for m in mentions],
        draft=draft,
        reject_reason=huge,
        sensitive_reasons=["keyword:" + "x" * 500],
    )
    card = case_card(make_view(case, mentions, blocked=huge), now=NOW, departments=DEPARTMENTS)
    assert card_size(card) <= CARD_LIMIT
    assert inputs(card)["draft"]["value"] == draft
    assert "…and" in texts(card)


def test_a_draft_that_never_fits_is_shown_clipped_instead_of_edited() -> None:
    card = card_of(S.DRAFTED, draft="😀" * DRAFT_LIMIT)
    assert card_size(card) <= CARD_LIMIT
    assert "draft" not in inputs(card)
    assert A.EDIT.value not in verbs(card)
    assert A.PUBLISH.value in verbs(card)


def test_the_owner_is_a_mention_with_its_entity() -> None:
    card = card_of(S.CLAIMED)
    assert f"**Owner:** <at>{OWNER}</at>" in texts(card)
    view = make_view(make_case(S.CLAIMED))
    named = case_card(view, now=NOW, names=NAMES)
    assert "**Owner:** <at>Anna Lind</at>" in texts(named)
    assert named["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Anna Lind</at>",
            "mentioned": {"id": OWNER, "name": "Anna Lind"},
        }
    ]
    assert "entities" not in card_of(S.NEW)["msteams"]


def test_names_are_escaped_and_unescaped_in_the_entity() -> None:
    card = case_card(make_view(make_case(S.CLAIMED, owner=COMMS)), now=NOW, names=NAMES)
    assert "**Owner:** <at>Comms &lt;Team&gt;</at>" in texts(card)
    people = People(NAMES)
    assert people.who(COMMS) == "<at>Comms &lt;Team&gt;</at>"
    assert people.who(COMMS, notify=False) == "Comms &lt;Team&gt;"
    assert people.pairs == [(COMMS, "Comms &lt;Team&gt;")]
    assert mention_entities(people.pairs)[0]["mentioned"]["name"] == "Comms <Team>"
    assert card["msteams"]["entities"] == mention_entities(people.pairs)


def test_due_date_in_each_readers_time_zone_and_overdue() -> None:
    due = datetime(2026, 11, 23, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    soon = case_card(make_view(make_case(S.NEW), due_at=due), now=NOW)
    stamp = "2026-11-23T10:00:00Z"
    assert f"first answer due {{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}" in texts(soon)
    assert "(overdue)" not in texts(soon)
    late = case_card(make_view(make_case(S.NEW), due_at=due), now=NOW + timedelta(hours=2))
    assert "**(overdue)**" in texts(late)
    closed = case_card(make_view(make_case(S.CLOSED), due_at=due), now=NOW)
    assert "due" not in texts(closed)


def test_meta_line_shows_platform_language_and_flags() -> None:
    case = make_case(
        S.NEW,
        flags=["high_reach", "possible_spam"],
        sensitive_reasons=["keyword:lawsuit", "reach:25000"],
        pii=["phone"],
    )
    meta = case_card(make_view(case), now=NOW)["body"][1]["text"]
    assert meta.startswith("**Facebook** comment · 1122334455 · 🗨️ sv")
    assert "**sensitive** (“lawsuit”, 25,000 followers)" in meta
    assert "**high reach**" in meta and "**possible spam**" in meta
    assert "**personal data** (phone)" in meta


def test_author_followers_link_and_later_commenters() -> None:
    mentions = [
        mention("m-1"),
        mention("m-2", "Me too", change=Change.EDITED),
        mention("m-3", "gone", change=Change.REMOVED),
    ]
    case = make_case(
        S.CLAIMED, mention_keys=[m.key for m in mentions], answered_keys=["facebook:m-2"]
    )
    text = texts(case_card(make_view(case, mentions), now=NOW))
    assert (
        "**Anna Berg** (@annab) · 120 followers · [View on Facebook](https://fb.invalid/post-1#m-1)"
        in text
    )
    assert "Var är min faktura?" in text
    assert "**Also in this thread** (2)" in text
    assert (
        "✓ **Anna Berg** (@annab): Me too  _(edited)_ [view](https://fb.invalid/post-1#m-2)" in text
    )
    assert "• **Anna Berg** (@annab): gone  _(removed by its author)_" in text


def test_draft_details_and_refusal_lines() -> None:
    case = make_case(S.APPROVED, private=True, approved_by=COMMS, draft_author="chatops")
    view = make_view(case, draft_length=290, max_length=280, blocked="no private messages here")
    text = texts(case_card(view, now=NOW, names=NAMES))
    assert "**Draft** from the template · 🔒 private reply · approved by Comms &lt;Team&gt;" in text
    assert "⛔ 10 characters over the limit" in text
    assert "⛔ **Publish is refused:** no private messages here" in text
    fine = make_view(make_case(S.DRAFTED), draft_length=200, max_length=280)
    assert "80 characters left" in texts(case_card(fine, now=NOW))


def test_reject_reason_and_status_words() -> None:
    sent_back = texts(card_of(S.DRAFTED, reject_reason="Too <b>harsh</b>"))
    assert "↩️ **Sent back:** Too &lt;b&gt;harsh&lt;/b&gt;" in sent_back
    assert "**Status:** 📝 draft ready" in sent_back
    dismissed = texts(card_of(S.DISMISSED, dismiss_reason="no_reply_needed"))
    assert "🚫 dismissed: no reply needed" in dismissed
    assert "**Draft**" not in dismissed
    published = [
        {"id": "p", "url": "https://fb.invalid/r", "mention": "", "at": "x", "private": ""}
    ]
    sent = texts(card_of(S.PUBLISHED, published=published))
    assert "**Reply sent**" in sent
    assert "✅ published publicly · [view reply](https://fb.invalid/r)" in sent


def test_notice_on_top() -> None:
    view = make_view(make_case(S.CLAIMED))
    card = case_card(view, now=NOW, notice="already claimed by <someone>")
    assert card["body"][0]["text"] == "🚫 already claimed by &lt;someone&gt;"


def test_no_approvers_warning() -> None:
    view = make_view(make_case(S.AWAITING_APPROVAL))
    assert "no approvers are configured" in texts(case_card(view, now=NOW, approvers_known=False))


# -- clicks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "key", "value"),
    [
        (A.EDIT, "draft", "Hej!"),
        (A.REJECT, "reason", "too harsh"),
        (A.DISMISS, "reason", "spam"),
        (A.REROUTE, "department", "legal"),
        (A.SNOOZE, "snooze", "1h"),
        (A.REPLY_TO, "mention", "facebook:m-2"),
        (A.CLAIM, "", ""),
    ],
)
def test_read_click(verb: Action, key: str, value: str) -> None:
    data = {"case_id": "1042", "source": "digest", key: value} if key else {"case_id": "1042"}
    click = read_click(verb.value, data)
    assert (click.verb, click.case_id, click.value) == (verb.value, "1042", value)
    assert click.source == ("digest" if key else "case")


def test_read_click_needs_a_case_id() -> None:
    with pytest.raises(ValueError, match="no case id"):
        read_click("case.claim", {"draft": "x"})
    assert read_click("case.publish", {"case_id": "7", "draft": "new"}).draft == "new"


def test_every_input_has_a_verb_that_reads_it() -> None:
    read = {key.value for key in ARGUMENT_OF.values()}
    for state in State:
        assert set(inputs(card_of(state))) <= read


# -- refusals, digest, report, pings ----------------------------------------------------------


def test_refusal_card() -> None:
    card = refusal_card("only the owner (<at>x</at>) can give it back", case_id="1042")
    assert card["body"][0]["text"] == "🚫 only the owner (&lt;at&gt;x&lt;/at&gt;) can give it back"
    assert card["actions"] == [
        {
            "type": "Action.Execute",
            "title": "Back to the case",
            "verb": REFRESH_VERB,
            "data": {"case_id": "1042"},
        }
    ]
    assert card["refresh"]["action"]["data"] == {"case_id": "1042"}
    bare = refusal_card("unknown case")
    assert bare["actions"] == [] and "refresh" not in bare


def digest_items(n: int) -> list[DigestItem]:
    return [
        DigestItem(
            case_id=str(1000 + i),
            number=f"#{1000 + i}",
            age=timedelta(hours=3, minutes=5),
            owner=OWNER if i % 2 else None,
            state="new" if i % 2 == 0 else "claimed",
            summary=f"Anna Berg: {EVIL}",
        )
        for i in range(n)
    ]


def test_digest_card_lines_claim_and_snooze() -> None:
    items = digest_items(2)
    links = {"1000": "https://teams.invalid/l/message/1"}
    card = listing_card(present.digest(BILLING, items, links), "digest", names=NAMES)
    text = texts(card)
    assert card["body"][0]["text"] == "2 unanswered cases in Billing · oldest waiting 3 h 05 min"
    assert "**#1000** · waiting 3 h 05 min · _unclaimed_ · new · [open thread]" in text
    assert "**#1001** · waiting 3 h 05 min · <at>Anna Lind</at> · claimed" in text
    assert "<at>Mallory" not in text
    claims = [a for a in executes(card) if a["verb"] == A.CLAIM]
    assert [a["data"]["case_id"] for a in claims] == ["1000"]
    snoozes = [a for a in executes(card) if a["verb"] == A.SNOOZE]
    assert [(a["data"]["case_id"], a["data"]["snooze"]) for a in snoozes] == [
        (case_id, key) for case_id in ("1000", "1001") for key in CHOICES
    ]
    assert all(a["data"]["source"] == "digest" for a in executes(card))
    assert inputs(card) == {}
    assert card["msteams"]["entities"][0]["mentioned"]["id"] == OWNER


def test_digest_card_marks_overdue_and_sensitive_and_a_leads_copy_has_no_buttons() -> None:
    items = [
        replace(item, overdue=i == 0, sensitive=i > 0) for i, item in enumerate(digest_items(2))
    ]
    listing = present.digest(BILLING, items, {})
    card = listing_card(listing, "digest", names=NAMES)
    text = texts(card)
    assert card["body"][0]["text"] == (
        "2 unanswered cases in Billing · oldest waiting 3 h 05 min · ⏰ 1 overdue · ⚠️ 1 sensitive"
    )
    assert "**#1000** · ⏰ **overdue** · waiting 3 h 05 min" in text
    assert "**#1001** · ⚠️ **sensitive** · waiting 3 h 05 min" in text
    assert card_size(card) <= CARD_LIMIT
    personal = listing_card(present.digest(BILLING, items, {}, personal=True), "digest")
    assert executes(personal) == [] and "⏰ **overdue**" in texts(personal)


def test_a_long_digest_fits_and_counts_the_rest() -> None:
    card = listing_card(present.digest(BILLING, digest_items(300), {}), "digest")
    assert card_size(card) <= CARD_LIMIT
    # emphasis around the words only: Markdown shows "_x _" with its underscores
    assert re.search(r"_…and \d+ more:_ @chatops cases _lists them all\._", texts(card))


def test_report_card() -> None:
    lines = ((Strong("Total"), Text(": 3 cases")), (Text("• R&D <at>x</at> · x: [1]"),))
    report = Report("Weekly response report · 16–23 Nov 2026", lines)
    card = report_card(report, "https://files.invalid/chart.png")
    blocks = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert blocks == [
        "Weekly response report · 16–23 Nov 2026",
        "**Total**: 3 cases",
        "• R&amp;D &lt;at&gt;x&lt;/at&gt; · x: &#91;1&#93;",
    ]
    assert card["body"][-1] == {
        "type": "Image",
        "url": "https://files.invalid/chart.png",
        "altText": "Weekly response chart",
        "size": "Stretch",
    }
    assert all(b["type"] == "TextBlock" for b in report_card(report, "javascript:x")["body"])


def test_ping_card_offers_claim_and_snooze() -> None:
    view = make_view(make_case(S.NEW))
    event = CaseEvent(EventKind.ESCALATED, "chatops", notify=("here",), overdue=Overdue("claim"))
    card = ping_card(view, event)
    assert card is not None
    assert card["body"][0]["text"] == "🚨 #1042 is still unclaimed: who takes it? → @channel"
    assert verbs(card) == {A.CLAIM.value, A.SNOOZE.value}
    assert all(
        a["data"] == a["data"] | {"case_id": "1042", "source": "ping"} for a in executes(card)
    )
    assert ping_card(view, CaseEvent(EventKind.CLAIMED, OWNER)) is None


# -- thread replies ---------------------------------------------------------------------------


PUBLISHED = [{"id": "p", "url": "https://fb.invalid/r", "mention": "", "at": "x", "private": ""}]
EVENTS: dict[EventKind, tuple[CaseEvent, str]] = {
    EventKind.CREATED: (
        CaseEvent(EventKind.CREATED, "chatops"),
        "📥 New comment from **Anna Berg** (@annab)",
    ),
    EventKind.MENTION: (
        CaseEvent(EventKind.MENTION, "chatops", mention=mention("m-2", "Line 1\nLine 2")),
        "**Anna Berg** (@annab) wrote:\n\n> Line 1\n\n> Line 2",
    ),
    EventKind.MENTION_EDITED: (
        CaseEvent(EventKind.MENTION_EDITED, "chatops", mention=mention(text="new")),
        "✏️ **Anna Berg** (@annab) edited their comment:\n\n> new",
    ),
    EventKind.MENTION_REMOVED: (
        CaseEvent(EventKind.MENTION_REMOVED, "chatops"),
        "🗑️ **Anna Berg** (@annab) removed their comment on the platform: its text is gone here too",
    ),
    EventKind.CLAIMED: (
        CaseEvent(EventKind.CLAIMED, OWNER),
        "🙋 Claimed by <at>Anna Lind</at>",
    ),
    EventKind.UNCLAIMED: (
        CaseEvent(EventKind.UNCLAIMED, OWNER),
        "👋 <at>Anna Lind</at> gave the case back: it needs a new owner",
    ),
    EventKind.DRAFTED: (CaseEvent(EventKind.DRAFTED, "chatops"), "📝 Draft saved"),
    EventKind.APPROVAL_REQUESTED: (
        CaseEvent(EventKind.APPROVAL_REQUESTED, OWNER, notify=(COMMS,)),
        "👀 <at>Anna Lind</at> asks for approval to reply publicly (“lawsuit”): "
        "<at>Comms &lt;Team&gt;</at>, please review.",
    ),
    EventKind.TAKEN_OVER: (
        CaseEvent(EventKind.TAKEN_OVER, COMMS, notify=(OWNER,), previous_owner=OWNER),
        "🙋 <at>Comms &lt;Team&gt;</at> took the case over from <at>Anna Lind</at>",
    ),
    EventKind.APPROVAL_WITHDRAWN: (
        CaseEvent(EventKind.APPROVAL_WITHDRAWN, OWNER, notify=(COMMS,), changed=DraftChange.TEXT),
        "⚠️ Approval withdrawn: <at>Anna Lind</at> changed the draft (text). It needs approval "
        "again before it goes out → <at>Comms &lt;Team&gt;</at>",
    ),
    EventKind.APPROVED: (
        CaseEvent(EventKind.APPROVED, COMMS),
        "☑️ Approved by <at>Comms &lt;Team&gt;</at>",
    ),
    EventKind.REJECTED: (
        CaseEvent(EventKind.REJECTED, COMMS, reason="Too [harsh]"),
        "↩️ <at>Comms &lt;Team&gt;</at> sent the draft back:\n\n> Too &#91;harsh&#93;",
    ),
    EventKind.PUBLISHING: (CaseEvent(EventKind.PUBLISHING, OWNER), "📤 Publishing the reply…"),
    EventKind.PUBLISHED: (
        CaseEvent(EventKind.PUBLISHED, OWNER),
        "✅ Reply published publicly by <at>Anna Lind</at> · [view reply](https://fb.invalid/r)",
    ),
    EventKind.PUBLISH_FAILED: (
        CaseEvent(
            EventKind.PUBLISH_FAILED,
            "chatops",
            reason="token <expired>",
            not_published=NotPublished.REFUSED,
        ),
        "❌ **The reply was not published.** Token &lt;expired&gt;. Retrying will not help: "
        "fix the cause or reply privately",
    ),
    EventKind.PUBLISH_UNKNOWN: (
        CaseEvent(EventKind.PUBLISH_UNKNOWN, "chatops", reason="timeout"),
        "⚠️ **The platform did not confirm the reply** (timeout). Look on Facebook: if the reply "
        "is there, click **Confirm sent**; if not, click **Not sent**, then publish again.",
    ),
    EventKind.REROUTED: (
        CaseEvent(EventKind.REROUTED, OWNER, previous_department=SOCIAL),
        "🔀 <at>Anna Lind</at> moved the case to **Billing**, from **Social team**",
    ),
    EventKind.DISMISSED: (
        CaseEvent(EventKind.DISMISSED, OWNER, reason="spam"),
        "🚫 <at>Anna Lind</at> dismissed the case: spam. Nothing was deleted on the platform.",
    ),
    EventKind.REOPENED: (
        CaseEvent(EventKind.REOPENED, "chatops", mention=mention(text=EVIL)),
        "🔄 **Anna Berg** (@annab) wrote again, the case is open again:\n\n"
        "> Hi &lt;at&gt;Mallory&lt;/at&gt; &#91;click&#93;(https://evil.invalid) &amp; **co**",
    ),
    EventKind.CLOSED: (
        CaseEvent(EventKind.CLOSED, "chatops"),
        "🔒 Case closed: the customer has not written again since the reply",
    ),
    EventKind.ESCALATED: (
        CaseEvent(
            EventKind.ESCALATED,
            "chatops",
            notify=(OWNER, "lead", "here"),
            overdue=Overdue(None, timedelta(hours=1)),
        ),
        "🚨 #1042 has waited 1h without an answer → <at>Anna Lind</at> lead @channel",
    ),
    EventKind.APPROVAL_WAITING: (
        CaseEvent(EventKind.APPROVAL_WAITING, "chatops", notify=(COMMS,)),
        "⏳ #1042 is waiting for approval → <at>Comms &lt;Team&gt;</at>",
    ),
    EventKind.SNOOZED: (
        CaseEvent(EventKind.SNOOZED, OWNER, until=datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        "💤 <at>Anna Lind</at> snoozed the reminders until 2026-11-23 10:00 UTC",
    ),
    EventKind.REPLY_TARGET: (
        CaseEvent(EventKind.REPLY_TARGET, OWNER),
        "<at>Anna Lind</at> chose which comment the draft answers",
    ),
    EventKind.TEMPLATE: (
        CaseEvent(EventKind.TEMPLATE, OWNER, template="looking_into_it"),
        "📄 Draft replaced with the template “Looking into it” by <at>Anna Lind</at>",
    ),
    EventKind.ERASED: (
        CaseEvent(EventKind.ERASED, "chatops"),
        "🔒 A customer's messages and details in this case were erased on their request",
    ),
    EventKind.SUGGESTED: (
        CaseEvent(EventKind.SUGGESTED, "chatops"),
        "🤖 Draft suggested by a model: check it, edit it, then publish",
    ),
    EventKind.SUGGESTION_FAILED: (
        CaseEvent(EventKind.SUGGESTION_FAILED, "chatops", reason="server error 500"),
        "❕ Model suggestion unavailable (server error 500): template draft kept",
    ),
    EventKind.RETRY_DROPPED: (
        CaseEvent(EventKind.RETRY_DROPPED, "chatops", reason="a <b>refusal</b>"),
        "The automatic retry was dropped (a &lt;b&gt;refusal&lt;/b&gt;): a person decides again",
    ),
    EventKind.FLOOD: (
        CaseEvent(
            EventKind.FLOOD,
            "chatops",
            burst=Burst("conversation", 8, timedelta(minutes=10)),
        ),
        "More than 8 mentions within 10 min in this conversation: the next ones are counted on "
        "the case, not posted here one by one",
    ),
}


def test_every_event_kind_has_a_case() -> None:
    assert set(EVENTS) == set(EventKind)


@pytest.mark.parametrize("kind", list(EventKind))
def test_event_message(kind: EventKind) -> None:
    event, expected = EVENTS[kind]
    case = make_case(S.AWAITING_APPROVAL, published=PUBLISHED)
    text, pairs = event_message(make_view(case), event, names=NAMES)
    assert text == expected
    tags = re.findall(r"<at>(.*?)</at>", text)
    assert [display for _, display in pairs] == list(dict.fromkeys(tags))
    for person, _ in pairs:
        assert is_person(person)


def test_event_mentions_without_names_show_ids_and_dedupe() -> None:
    event = CaseEvent(EventKind.APPROVAL_REQUESTED, OWNER, notify=(OWNER, COMMS))
    text, pairs = event_message(make_view(make_case(S.AWAITING_APPROVAL)), event)
    assert pairs == [(OWNER, OWNER), (COMMS, COMMS)]
    assert text.endswith(f": <at>{OWNER}</at> <at>{COMMS}</at>, please review.")
    nobody = CaseEvent(EventKind.APPROVAL_REQUESTED, "chatops")
    text, pairs = event_message(make_view(make_case(S.AWAITING_APPROVAL)), nobody)
    assert text.endswith(": nobody is set up to approve.") and pairs == []


def test_only_ids_become_mentions() -> None:
    assert is_person(OWNER) and is_person(COMMS)
    for plain in ("chatops", "anna", "U0ANNA0001", "29:", "channel", "8:orgid:x"):
        assert not is_person(plain)


# -- version and size: every card, every state, the worst inputs ------------------------------

MANY_DEPARTMENTS = tuple(
    Department(f"department-{i:03d}-{'k' * 40}", f"Avdelning {i:03d} {'Ö' * 70}", f"19:d{i}@thread")
    for i in range(250)
)
LONG_TEXT = ("Ж😀<&[ " * 1000)[:5000]
HUGE = "Ж😀" * 5000
IG_ID = "a" * 164


def long_mentions(n: int = 60) -> list[Mention]:
    """`n` Instagram-sized mentions: 164-character ids, 5,000 characters of text."""
    return [
        mention(
            f"{i:03d}{IG_ID}"[:164],
            LONG_TEXT,
            platform="instagram",
            author=Author(id=IG_ID, name="Ж" * 200, handle="h" * 100, followers=10**6),
            url=f"https://instagram.invalid/{IG_ID}/{i}",
        )
        for i in range(n)
    ]


def worst_view(state: State, n: int = 60) -> CaseView:
    mentions = long_mentions(n)
    case = make_case(
        state,
        platform="instagram",
        mention_keys=[m.key for m in mentions],
        reply_to=mentions[-1].key,
        draft="д" * DRAFT_LIMIT,
        reject_reason=HUGE,
        sensitive_reasons=["keyword:" + "x" * 500] * 20,
        pii=["email"] * 50,
    )
    return make_view(case, mentions, blocked=HUGE)


def assert_card_ok(card: dict[str, Any]) -> None:
    """What Teams requires of every card we send: Universal Actions at the version that has
    them, the message under the size limit, a refresh within its user limit."""
    assert card["version"] == VERSION == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert card_size(card) <= CARD_LIMIT, card_size(card)
    assert len(card.get("refresh", {}).get("userIds", [])) <= REFRESH_USERS
    for action in walk(card):
        if action.get("type") == "Action.Execute":
            assert action["verb"] and "case_id" in action["data"]
    assert_schema_1_5(card)


ELEMENTS = {"TextBlock", "Container", "ActionSet", "Image", "Input.Text", "Input.ChoiceSet"}
ACTIONS = {"Action.Execute", "Action.Submit", "Action.ShowCard"}


def assert_schema_1_5(card: dict[str, Any]) -> None:
    """The parts of the Adaptive Card 1.5 schema our cards use (no validator or local copy of
    the schema is available here): known element and action types in their places, inputs
    with ids, choice set styles of 1.5, objects as action data."""

    def element(node: dict[str, Any]) -> None:
        assert node["type"] in ELEMENTS, node["type"]
        if node["type"] == "TextBlock":
            assert isinstance(node["text"], str) and node["text"]
        if node["type"].startswith("Input."):
            assert node["id"]
        if node["type"] == "Input.ChoiceSet":
            assert node["style"] in ("compact", "expanded", "filtered")
            assert all(set(c) == {"title", "value"} for c in node["choices"])
        for item in node.get("items", []):
            element(item)
        for item in node.get("actions", []):
            action(item)

    def action(node: dict[str, Any]) -> None:
        assert node["type"] in ACTIONS, node["type"]
        assert node.get("title") or node is card.get("refresh", {}).get("action")
        if node["type"] == "Action.ShowCard":
            adaptive(node["card"], top=False)
        else:
            assert isinstance(node["data"], dict)

    def adaptive(node: dict[str, Any], *, top: bool) -> None:
        assert node["type"] == "AdaptiveCard"
        if top:
            assert node["version"] == "1.5" and node["$schema"]
        for item in node["body"]:
            element(item)
        for item in node["actions"]:
            action(item)

    adaptive(card, top=True)
    if "refresh" in card:
        refresh = card["refresh"]["action"]
        assert refresh["type"] == "Action.Execute" and refresh["verb"]


def dialog_buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The dialog openers of a card by verb: Action.Submit with `msteams.type` task/fetch."""
    found = [
        n
        for n in walk(card)
        if n.get("type") == "Action.Submit" and n["data"].get("msteams") == {"type": "task/fetch"}
    ]
    return {n["data"]["dialog"]: n for n in found}


def dialog_choices(view: CaseView, verb: str, departments: Any = ()) -> list[str]:
    """Every choice a dialog offers, page after page, each page checked like any card."""
    values: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = dialog_card(view, verb, departments=departments, offset=offset)
        assert_card_ok(page)
        [choice] = [n for n in walk(page) if n.get("type") == "Input.ChoiceSet"]
        assert choice["style"] == "filtered"
        values += [c["value"] for c in choice["choices"]]
        nexts = [a for a in page["actions"] if a["title"] == "Next page"]
        offset = nexts[0]["data"]["offset"] if nexts else None
    return values


@pytest.mark.parametrize("state", list(State))
def test_every_case_card_declares_1_5_and_fits_with_the_worst_inputs(state: State) -> None:
    view = worst_view(state)
    names = {OWNER: "Ж" * 500}
    for notice in (None, HUGE):
        card = case_card(
            view, now=NOW, departments=MANY_DEPARTMENTS, names=names, notice=notice, told=notice
        )
        assert_card_ok(card)
        expected = {a.value for a in EXPECTED[state]}
        if A.REROUTE.value in expected and state in ALLOWED[Command.REPLY_TO]:
            expected.add(A.REPLY_TO.value)
        shed = dialog_buttons(card)
        offered = verbs(card) | set(shed)
        if A.EDIT.value in expected - offered:  # the last resort: shown, not edited
            assert "Too long to edit in the card" in texts(card)
        assert offered | ({A.EDIT.value} & expected) == expected
        if A.REROUTE.value in expected:  # 249 departments: only a dialog holds them all
            assert "department" not in inputs(card) and A.REROUTE.value in shed
            assert A.REPLY_TO.value in shed


def test_the_shed_choice_sets_are_whole_in_their_dialogs() -> None:
    view = worst_view(S.CLAIMED)
    departments = dialog_choices(view, A.REROUTE.value, MANY_DEPARTMENTS)
    assert departments == [d.id for d in MANY_DEPARTMENTS if d.id != "billing"]
    comments = dialog_choices(view, A.REPLY_TO.value)
    assert comments == [m.key for m in view.mentions]
    first = dialog_card(view, A.REPLY_TO.value)
    assert "value" not in next(n for n in walk(first) if n.get("type") == "Input.ChoiceSet")
    last = dialog_card(view, A.REPLY_TO.value, offset=59)
    assert inputs(last)["mention"]["value"] == view.case.reply_to  # the current one, preselected
    submit = last["actions"][0]
    assert submit["type"] == "Action.Submit" and submit["data"]["dialog"] == A.REPLY_TO.value
    assert [a["title"] for a in last["actions"]] == ["Answer this one", "First page"]


def test_texts_are_trimmed_and_comments_collapsed_before_choice_sets_leave_the_card() -> None:
    mentions = long_mentions(2)
    case = make_case(S.CLAIMED, mention_keys=[m.key for m in mentions], draft="")
    card = case_card(make_view(case, mentions), now=NOW, departments=DEPARTMENTS)
    assert_card_ok(card)
    assert set(inputs(card)) == {"draft", "department", "mention"}
    assert dialog_buttons(card) == {}
    assert "…" in texts(card) and LONG_TEXT[:3000] not in texts(card)


def test_choice_sets_go_to_dialogs_when_trimming_is_not_enough() -> None:
    """90 departments could be offered inline (≤ 100 choices) but not within the size limit."""
    departments = MANY_DEPARTMENTS[:90]
    card = case_card(make_view(make_case(S.CLAIMED)), now=NOW, departments=departments)
    assert_card_ok(card)
    assert "department" not in inputs(card)
    button = dialog_buttons(card)[A.REROUTE.value]
    assert button["data"] == {
        "msteams": {"type": "task/fetch"},
        "case_id": "1042",
        "dialog": A.REROUTE.value,
    }
    assert "draft" in inputs(card)  # the draft is still edited in the card


def test_more_comments_than_an_inline_choice_offers_open_a_dialog() -> None:
    mentions = [mention(f"m-{i}", f"Fråga {i}") for i in range(30)]
    case = make_case(S.CLAIMED, mention_keys=[m.key for m in mentions])
    card = case_card(make_view(case, mentions), now=NOW, departments=DEPARTMENTS)
    assert "mention" not in inputs(card) and A.REPLY_TO.value in dialog_buttons(card)
    assert "department" in inputs(card)  # the departments still fit inline


def test_every_other_card_declares_1_5_and_fits_with_the_worst_inputs() -> None:
    view = worst_view(S.NEW)
    people = tuple(f"{i:08d}-1111-4222-8333-444455556666" for i in range(60))
    names = {p: "Ж" * 500 for p in people}
    for kind in present.PINGS:
        event = CaseEvent(
            kind, people[0], mention=view.mentions[0], notify=people, overdue=Overdue("claim")
        )
        card = ping_card(view, event, names=names)
        assert card is not None
        assert_card_ok(card)
    items = [
        DigestItem(str(i), f"#{i}", timedelta(days=3), people[i % 60], "claimed", HUGE)
        for i in range(300)
    ]
    links = {str(i): f"https://teams.invalid/{IG_ID}/{i}" for i in range(300)}
    digest = present.digest(MANY_DEPARTMENTS[0], items, links)
    assert_card_ok(listing_card(digest, "digest", names=names))
    pings = [
        PingItem(str(i), f"#{i}", Overdue("claim"), people[i % 60] if i % 2 else None)
        for i in range(300)
    ]
    batch = present.pings(MANY_DEPARTMENTS[0], pings, links, people)
    assert_card_ok(listing_card(batch, "ping", names=names))
    chart = "data:image/png;base64," + "A" * 100_000
    lines = tuple((Strong("Weekly"), Text(" " + HUGE)) for _ in range(60))
    report = report_card(Report(HUGE, lines), chart)
    assert_card_ok(report)
    assert "too big for a Teams message" in texts(report)
    assert_card_ok(report_card(Report("Weekly", ()), "data:image/png;base64,AAAA"))
    assert_card_ok(refusal_card(HUGE, case_id="1042"))
    assert_card_ok(refusal_card(HUGE))


def test_read_dialog() -> None:
    data = {"case_id": "1042", "dialog": A.REROUTE.value, "offset": 5, "department": "legal"}
    ask = read_dialog(data)
    assert (ask.verb, ask.case_id, ask.value, ask.offset, ask.page) == (
        A.REROUTE.value,
        "1042",
        "legal",
        5,
        False,
    )
    assert read_dialog({**data, "next": True, "offset": "x"}).page is True
    assert read_dialog({**data, "offset": "x"}).offset == 0
    for bad in ({}, {"dialog": A.REROUTE.value}, {"case_id": "1042", "dialog": A.PUBLISH.value}):
        with pytest.raises(ValueError):
            read_dialog(bad)
    with pytest.raises(ValueError):
        dialog_card(make_view(make_case(S.NEW)), A.PUBLISH.value)


def test_a_case_too_big_for_every_rendering_still_posts_its_status_and_actions() -> None:
    """A comment's link is not clipped (it must work): one absurdly long still gets a card."""
    url = "https://fb.invalid/" + "p" * 60_000
    case = make_case(S.CLAIMED)
    card = case_card(make_view(case, [mention(url=url)]), now=NOW, departments=DEPARTMENTS)
    assert_card_ok(card)
    assert "too big to show here" in texts(card)
    assert {A.UNCLAIM.value, A.PUBLISH.value, A.SNOOZE.value} <= verbs(card)
    assert A.REROUTE.value in dialog_buttons(card)
    assert all(a["data"]["seen"] == fingerprint(case) for a in executes(card))
