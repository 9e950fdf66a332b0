"""Microsoft Teams layout of cases and thread events: plain data in, JSON-able Adaptive Cards out.

Pure functions without I/O, so the Teams backend, its tests and any preview tool share one
rendering. Cards use Universal Actions: every button is an `Action.Execute` whose `verb` is the
DESIGN §4.6 id (`case.claim`, …) and whose `data` carries `case_id`, so a click reaches the bot
as an `adaptiveCard/action` invoke that it answers with the updated card for the clicking user.
`case.refresh` (the card's `refresh` action, also "Refresh card" in the card's menu) is answered
with the current `case_card`. Teams documents Universal Actions (`Action.Execute`, `refresh`) from
card version 1.5 on: a card below 1.5 that uses them stops working in Teams, so every card here
declares `VERSION`.

Teams renders TextBlock text as a Markdown subset and turns `<at>…</at>` into mentions, so
customer text always has `&`, `<`, `>`, `[` and `]` replaced by entities: a comment must never
become a mention or a link in the brand's tenant. Teams refuses a message over about 28 KB, so
texts are clipped here and every card sheds detail until its message fits `CARD_LIMIT`. A case
card sheds in a fixed order (`_BUDGETS`): long texts are trimmed (with "…"), older comments
collapse into a count, then the department and reply-to choice sets become buttons that open
a dialog (a task module fetched with `task/fetch`) holding the whole choice set, and only as a
last resort is the draft shown instead of edited. So a case with any number of departments or
comments is always posted, and every department and comment stays reachable.

Input ids are unique within a card: Teams mobile does not render a card whose inputs share an
id, even across `Action.ShowCard`s. That is why the dismiss reasons are buttons carrying
`reason` in their static `data` while the reject reason is the `Input.Text` `reason`: the bot
reads `data["reason"]` for both (see `read_click`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote as url_quote

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.actions import Action
from chatops.chat.snooze import CHOICES as SNOOZE_CHOICES
from chatops.domain import Case, DismissReason, Mention, State
from chatops.event_wording import (
    DISMISS_WORDS,
    KIND_WORDS,
    Style,
    author_label,
    clip,
    dismiss_words,
    event_sentence,
    one_line,
    platform_name,
    reason_words,
    shown_flags,
)
from chatops.event_wording import author_plain as _author_plain
from chatops.event_wording import aware as _aware
from chatops.event_wording import mention_marks as _marks
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import ALLOWED, fingerprint, target_of_publish

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
REFRESH_VERB = "case.refresh"
"""Not a §4.6 id: the bot answers it with the current case card (refresh and "Back to the case")."""

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_LIMIT = 28_000
"""Bytes of the whole message carrying a card (`card_size`). Teams documents its limit as the
payload's UTF-16 size (100 KB today, 80 KB recommended; 40 KB on older pages) and Graph refuses
a channel message over about 28 KB. JSON with non-ASCII escaped is at least the UTF-8 size and
at least half the UTF-16 size, so 28,000 of its bytes keep every one of those limits."""
ENVELOPE_ROOM = 2_500
"""Bytes for what the Connector client sends around the attachment: type, ids of the
conversation, sender and recipient, serviceUrl, channelId, and the ≤ 300-character summary."""
REFRESH_USERS = 60
"""Teams refreshes a card automatically for at most 60 `refresh.userIds`; ours is empty (every
viewer may use "Refresh card"), which is also within the limit."""
DIALOG_VERBS = frozenset({Action.REROUTE.value, Action.REPLY_TO.value})
"""The verbs whose choice set a case card may move into a dialog (`dialog_card`)."""
DRAFT_LIMIT = 3000
"""The longest draft the card edits (the `draft` input's maxLength)."""
TOP_ACTIONS = 6
"""Teams shows at most this many actions in a row; more are cut off."""
CHOICES_LIMIT = 100
TITLE_CHARS = 75
NAME_CHARS = 64


class Input(StrEnum):
    """Ids of the card's inputs, i.e. the keys the bot finds next to `case_id` in `data`."""

    DRAFT = "draft"  # case.edit (and sent along with every case-card click): the draft box
    REASON = "reason"  # case.reject: Input.Text, required; case.dismiss: static data
    DEPARTMENT = "department"  # case.reroute: department id
    SNOOZE = "snooze"  # case.snooze: a key of chatops.chat.snooze.CHOICES
    MENTION = "mention"  # case.reply_to: a mention key


CASE_ID = "case_id"
SEEN = "seen"
"""`data.seen` on a case card's actions: the fingerprint of the draft the card shows
(transitions.fingerprint), so a click acts only on the draft the user saw (teams/drafts.py)."""
SOURCE = "source"
"""`data.source`: which card was clicked, "case", "digest" or "ping", because an invoke response
card replaces the card that was clicked and a digest must not turn into a case card."""

ARGUMENT_OF: Mapping[str, Input] = {
    Action.EDIT.value: Input.DRAFT,
    Action.REJECT.value: Input.REASON,
    Action.DISMISS.value: Input.REASON,
    Action.REROUTE.value: Input.DEPARTMENT,
    Action.SNOOZE.value: Input.SNOOZE,
    Action.REPLY_TO.value: Input.MENTION,
}
"""Verb -> the data key holding its argument."""

_QUOTE_CHARS = 2500
_LATER_CHARS = 200
_REASON_CHARS = 500
_LINE_CHARS = 300


@dataclass(frozen=True)
class _Budget:
    """How much of each text a case card shows; the editable draft is never cut (saving it
    would lose the rest), everything else shrinks until the card fits `CARD_LIMIT`."""

    first: int  # characters of the first mention
    later: int  # later mentions listed
    later_chars: int  # characters of each
    draft: int  # characters of a draft shown as text (not editable)
    answerable: int  # most comments in an inline reply-to choice (more: a dialog)
    reason: int  # characters of reasons, refusals and flag details
    dialogs: bool = False  # True: the department and reply-to choices open a dialog
    edit: bool = True  # False: the draft is shown, not edited (last resort, it never fits)


_BUDGETS = (
    _Budget(_QUOTE_CHARS, 20, _LATER_CHARS, DRAFT_LIMIT, 25, _REASON_CHARS),
    _Budget(1000, 10, 120, 1500, 10, 300),
    _Budget(400, 5, 80, 600, 5, 200),
    _Budget(400, 5, 80, 600, 5, 200, dialogs=True),
    _Budget(100, 0, 0, 200, 3, 60, dialogs=True),
    _Budget(100, 0, 0, 1000, 3, 60, dialogs=True, edit=False),
)

STATE_WORDS = {
    State.NEW: "🆕 new, waiting for someone to claim it",
    State.CLAIMED: "🙋 claimed, no draft yet",
    State.DRAFTED: "📝 draft ready",
    State.AWAITING_APPROVAL: "⏳ waiting for approval",
    State.APPROVED: "☑️ approved",
    State.PUBLISHING: "📤 publishing…",
    State.PUBLISHED: "✅ published",
    State.CLOSED: "✅ closed",
    State.DISMISSED: "🚫 dismissed",
    State.PUBLISH_UNKNOWN: "⚠️ the reply may not have gone out: check, then confirm",
}

_BADGES: dict[str, tuple[str, str, Callable[[Case], list[str]]]] = {
    "sensitive": ("⚠️", "sensitive", lambda c: [reason_words(r) for r in c.sensitive_reasons]),
    "high_reach": ("📢", "high reach", lambda c: []),
    "personal_data": ("🔒", "personal data", lambda c: list(c.pii)),
    "possible_spam": ("🗑️", "possible spam", lambda c: []),
}

_TOO_LONG = "_Too long to edit in the card: reply in the thread with >> and the new draft._"
_NO_ACTIONS = frozenset({State.PUBLISHING, State.PUBLISHED, State.CLOSED, State.DISMISSED})
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TEAMS_USER = re.compile(r"29:[A-Za-z0-9_\-]+")
_CHANNEL = ("channel", "here")
_SLACK_BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")

Mentions = list[tuple[str, str]]
"""(AAD object id or Teams user id, the text inside `<at>…</at>` exactly as in the message)."""


# -- text helpers -----------------------------------------------------------------------------


def escape(text: str) -> str:
    """Entities for Markdown and tag characters, so text shows literally and links nobody."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("[", "&#91;")
        .replace("]", "&#93;")
    )


def paragraphs(text: str, limit: int) -> str:
    """Customer or draft text as escaped Markdown; Teams needs a blank line to break a line."""
    lines = [line.strip() for line in clip(text, limit).splitlines()]
    return "\n\n".join(escape(line) for line in lines if line)


def link(url: str | None, label: str) -> str:
    """A Markdown link for http(s) URLs only; characters that could end the link are encoded."""
    if not url or not url.startswith(("https://", "http://")):
        return ""
    safe = url_quote(url, safe=":/?#@!$&*+,;=%~-._")
    return f"[{escape(label)}]({safe})"


def is_person(actor: str) -> bool:
    """AAD object ids (GUIDs) and Teams user ids (`29:…`) can be mentioned; names cannot."""
    return bool(_GUID.fullmatch(actor) or _TEAMS_USER.fullmatch(actor))


def mention_entities(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Mention entities as Teams expects them, in a card's `msteams.entities` or an activity's
    `entities`: the `text` must match the `<at>…</at>` in the message exactly."""
    return [
        {
            "type": "mention",
            "text": f"<at>{display}</at>",
            "mentioned": {"id": person, "name": html.unescape(display)},
        }
        for person, display in pairs
    ]


def teams_date(when: datetime) -> str:
    """Adaptive Card date functions: each reader sees the time in their own time zone."""
    stamp = _aware(when).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def card_size(card: Mapping[str, Any]) -> int:
    """Bytes of the message that carries `card` as Teams receives it: the activity with the card
    as its one attachment, as JSON with non-ASCII escaped (the most any serialiser sends), plus
    `ENVELOPE_ROOM` for the fields the Connector client adds."""
    attachment = {"contentType": CARD_TYPE, "content": card}
    return len(json.dumps({"type": "message", "attachments": [attachment]})) + ENVELOPE_ROOM


def fits(card: Mapping[str, Any]) -> bool:
    return card_size(card) <= CARD_LIMIT


class _People:
    """Renders people and remembers whom the text mentions (for the mention entities)."""

    def __init__(self, names: Mapping[str, str] | None, chars: int = NAME_CHARS) -> None:
        self.names = names or {}
        self.chars = chars
        self.pairs: Mentions = []

    def display(self, actor: str) -> str:
        return escape(clip(one_line(self.names.get(actor, "")), self.chars)) or escape(actor)

    def who(self, actor: str) -> str:
        """A mention for ids, "@channel" for the channel, plain escaped text for anything else."""
        if actor in _CHANNEL:
            return "@channel"
        if not is_person(actor):
            return escape(actor)
        pair = (actor, self.display(actor))
        if pair not in self.pairs:
            self.pairs.append(pair)
        return f"<at>{pair[1]}</at>"

    def name(self, actor: str) -> str:
        """A person named without notifying them (draft author, approver)."""
        return self.display(actor) if is_person(actor) else escape(actor)


# -- card elements ----------------------------------------------------------------------------


def text_block(text: str, **props: Any) -> dict[str, Any]:
    """A wrapping TextBlock; `props` are Adaptive Card properties (size, weight, isSubtle, …)."""
    return {"type": "TextBlock", "text": text or " ", "wrap": True, **props}


def execute(
    verb: str,
    title: str,
    case_id: str,
    *,
    style: str | None = None,
    source: str = "case",
    **extra: str,
) -> dict[str, Any]:
    """An `Action.Execute`; its data always carries the case id (the contract)."""
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": clip(title, TITLE_CHARS),
        "verb": str(verb),
        "data": {CASE_ID: case_id, SOURCE: source, **extra},
    }
    if style:
        action["style"] = style
    return action


def show_card(
    title: str, body: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Secondary actions folded away, so the card stays compact until someone needs them."""
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": body, "actions": actions},
    }


def action_set(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": actions}


def choice_set(
    input_id: Input,
    choices: Sequence[tuple[str, str]],
    *,
    placeholder: str,
    value: str = "",
    style: str = "compact",
) -> dict[str, Any]:
    """A dropdown (`filtered`: one you can type in); choice titles are plain text, so they are
    clipped, not escaped."""
    out: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": input_id.value,
        "style": style,
        "placeholder": placeholder,
        "choices": [
            {"title": clip(title, TITLE_CHARS), "value": choice}
            for title, choice in choices[:CHOICES_LIMIT]
        ],
    }
    if value:
        out["value"] = value
    return out


def _card(
    body: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    *,
    pairs: Sequence[tuple[str, str]] = (),
    refresh_case: str | None = None,
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "actions": actions,
        "msteams": {"width": "Full"},
    }
    if refresh_case is not None:
        card["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "verb": REFRESH_VERB,
                "data": {CASE_ID: refresh_case},
            },
            "userIds": [],
        }
    if pairs:
        card["msteams"]["entities"] = mention_entities(pairs)
    return card


# -- the case card ----------------------------------------------------------------------------


def case_card(
    view: CaseView,
    *,
    now: datetime,
    departments: Sequence[Department] = (),
    names: Mapping[str, str] | None = None,
    approvers_known: bool = True,
    notice: str | None = None,
    told: str | None = None,
    box: str | None = None,
) -> dict[str, Any]:
    """The whole case: who wrote what, the draft (editable in place), status and actions.

    `names` maps AAD/Teams ids to display names for `<at>` mentions (ids show otherwise).
    `notice` is a line on top for the clicking user only (a refusal answered to an invoke);
    `told` one that explains what their click did instead of what its label says; `box` what
    the draft box keeps instead of the draft (their unsaved text, after a refusal).
    `refresh.userIds` is empty: no automatic refresh per viewer (that would be one invoke per
    person opening the channel), but "Refresh card" in the card's menu works for everyone.
    The owner's mention entity is already in `msteams.entities`.
    """
    card: dict[str, Any] = {}
    for budget in _BUDGETS:
        people = _People(names)
        body = _case_body(view, now, people, budget, approvers_known, notice, told, box)
        actions = case_actions(
            view,
            departments=departments,
            answerable=budget.answerable,
            dialogs=budget.dialogs,
            edit=budget.edit,
        )
        card = _card(body, actions, pairs=people.pairs, refresh_case=view.case.id)
        _stamp(card, fingerprint(view.case))
        if fits(card):
            return card
    return _minimal_case_card(view, now, departments)


def _minimal_case_card(
    view: CaseView, now: datetime, departments: Sequence[Department]
) -> dict[str, Any]:
    """The case when even its shortest rendering is too big (a huge link or name, say): its
    number, department and status, and its actions with the choices in dialogs. Nobody is
    mentioned, so no name can make it grow."""
    c = view.case
    body = [
        text_block(f"Case {escape(c.number)} · {escape(clip(view.department.name, NAME_CHARS))}"),
        text_block(
            f"**Status:** {STATE_WORDS[c.state]}. The case is too big to show here in full: "
            "its comments are on the platform and in the thread."
        ),
    ]
    actions = case_actions(view, departments=departments, answerable=0, dialogs=True, edit=False)
    card = _card(body, actions, refresh_case=c.id)
    _stamp(card, fingerprint(c))
    return card


def _stamp(node: Any, seen: str) -> None:
    """Put `seen` in the data of every action of a case card (not its refresh)."""
    if isinstance(node, dict):
        data = node.get("data")
        if node.get("type") == "Action.Execute" and isinstance(data, dict) and SOURCE in data:
            data[SEEN] = seen
        for value in node.values():
            _stamp(value, seen)
    elif isinstance(node, list):
        for value in node:
            _stamp(value, seen)


def card_mentions(view: CaseView, *, names: Mapping[str, str] | None = None) -> Mentions:
    """Whom the case card mentions (its owner), as `case_card` renders them."""
    people = _People(names)
    if view.case.owner:
        people.who(view.case.owner)
    return people.pairs


def case_summary(view: CaseView) -> str:
    """Plain one-line preview for the activity's `summary` (notifications), ≤ 300 characters."""
    head = f"Case {view.case.number} · {view.department.name}"
    if view.mentions:
        m = view.mentions[0]
        head += f" · {_author_plain(m)}: {one_line(clip(m.text, 600))}"
    return clip(head, 300)


def _case_body(
    view: CaseView,
    now: datetime,
    people: _People,
    budget: _Budget,
    approvers_known: bool,
    notice: str | None,
    told: str | None = None,
    box: str | None = None,
) -> list[dict[str, Any]]:
    c = view.case
    body: list[dict[str, Any]] = []
    if notice:
        body.append(
            text_block(
                f"🚫 {escape(clip(notice, budget.reason))}", color="Attention", weight="Bolder"
            )
        )
    if told:
        body.append(
            text_block(f"ℹ️ {escape(clip(told, budget.reason))}", color="Warning", weight="Bolder")
        )
    body.append(
        text_block(
            f"Case {c.number} · {escape(view.department.name)}", size="Medium", weight="Bolder"
        )
    )
    body.append(text_block(_meta_line(view, budget.reason), isSubtle=True, spacing="None"))
    if c.needs_approval and c.is_open and not approvers_known:
        body.append(
            text_block(
                "⚠️ This reply needs approval, but no approvers are configured "
                "(approval.approvers): nobody can approve it.",
                color="Warning",
            )
        )
    if view.mentions:
        body.append(_first_mention(view.mentions[0], c, budget.first))
    if len(view.mentions) > 1:
        body.extend(_later_mentions(view.mentions[1:], c, budget.later, budget.later_chars))
    if c.state is not State.DISMISSED:
        body.extend(_draft(view, people, budget, box))
    if c.reject_reason and c.state in (State.DRAFTED, State.AWAITING_APPROVAL):
        body.append(
            text_block(
                f"↩️ **Sent back:** {escape(clip(one_line(c.reject_reason), budget.reason))}",
                color="Warning",
            )
        )
    body.append(text_block(_status(view, now, people), separator=True))
    return body


def _meta_line(view: CaseView, chars: int) -> str:
    c = view.case
    kind = KIND_WORDS[view.mentions[0].kind] if view.mentions else ""
    parts = [f"**{escape(platform_name(c.platform))}** {kind}".rstrip()]
    if c.account:
        parts.append(escape(c.account))
    parts.append(f"🗨️ {escape(c.language or 'language unknown')}")
    parts.extend(_badges(c, chars))
    return " · ".join(parts)


def _badges(c: Case, chars: int) -> list[str]:
    out = []
    for flag in shown_flags(c):
        emoji, words, details = _BADGES.get(flag, ("🚩", flag, None))
        badge = f"{emoji} **{escape(words.replace('_', ' '))}**"
        extra = details(c) if details else []
        if extra:
            badge += f" ({escape(clip(', '.join(extra), chars))})"
        out.append(badge)
    return out


def _first_mention(m: Mention, c: Case, chars: int) -> dict[str, Any]:
    head = [_author(m)]
    if m.author.followers is not None:
        head.append(f"{m.author.followers:,} followers")
    if view_link := link(m.url, f"View on {platform_name(m.platform)}"):
        head.append(view_link)
    marks = _marks(m, c)
    line = " · ".join(head) + (f"  {marks}" if marks else "")
    quote = paragraphs(m.text, chars) or "_(no text)_"
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [text_block(line), text_block(quote, spacing="Small")],
    }


def _later_mentions(
    mentions: list[Mention], c: Case, count: int, chars: int
) -> list[dict[str, Any]]:
    out = [text_block(f"**Also in this thread** ({len(mentions)})")]
    for m in mentions[:count]:
        bullet = "✓" if m.key in c.answered_keys else "•"
        text = escape(clip(one_line(m.text), chars)) or "_(no text)_"
        tail = " ".join(x for x in (_marks(m, c, answered=False), link(m.url, "view")) if x)
        line = f"{bullet} {_author(m)}: {text}" + (f"  {tail}" if tail else "")
        out.append(text_block(line, spacing="None"))
    if len(mentions) > count:
        out.append(text_block(f"_…and {len(mentions) - count} more_", spacing="None"))
    return out


def _draft(
    view: CaseView, people: _People, budget: _Budget, box: str | None = None
) -> list[dict[str, Any]]:
    c = view.case
    sent = c.state in (State.PUBLISHED, State.CLOSED) and bool(c.published)
    editable = _editable(c, budget.edit)
    label = "**Reply sent**" if sent else "**Draft**"
    out: list[dict[str, Any]] = []
    if not c.draft.strip():
        hint = "none yet: write the reply below and click **Save draft**" if editable else "none"
        out.append(text_block(f"{label}: {hint}"))
    else:
        out.append(text_block(_draft_head(view, label, sent, people)))
        if not editable:
            out.append(text_block(paragraphs(c.draft, budget.draft), spacing="Small"))
            if c.state in ALLOWED[Command.EDIT]:
                out.append(text_block(_TOO_LONG, isSubtle=True))
    if editable:
        out.append(
            {
                "type": "Input.Text",
                "id": Input.DRAFT.value,
                "isMultiline": True,
                "value": c.draft if box is None else box[:DRAFT_LIMIT],
                "maxLength": DRAFT_LIMIT,
                "placeholder": "Write the reply to the customer…",
            }
        )
    if view.blocked and c.is_open and not sent:
        out.append(
            text_block(
                f"⛔ **Publish is refused:** {escape(clip(view.blocked, budget.reason))}",
                color="Attention",
            )
        )
    return out


def _draft_head(view: CaseView, label: str, sent: bool, people: _People) -> str:
    c = view.case
    head = label
    if c.draft_author == SYSTEM:
        head += " from the template"
    elif c.draft_author:
        head += f" by {people.name(c.draft_author)}"
    details = []
    if c.private:
        details.append("🔒 private reply")
    target = _reply_target(view)
    if target is not None:
        details.append(f"in reply to {_author(target)}")
    if c.approved_by and c.state is not State.AWAITING_APPROVAL:
        details.append(f"approved by {people.name(c.approved_by)}")
    if view.max_length is not None and view.draft_length is not None and not sent:
        left = view.max_length - view.draft_length
        details.append(
            f"{left:,} characters left" if left >= 0 else f"⛔ {-left:,} characters over the limit"
        )
    return head + "".join(f" · {d}" for d in details)


def _reply_target(view: CaseView) -> Mention | None:
    """The mention the draft answers, named only when it is not the first one."""
    key = view.case.reply_to
    if not key or not view.mentions or view.mentions[0].key == key:
        return None
    return next((m for m in view.mentions if m.key == key), None)


def _status(view: CaseView, now: datetime, people: _People) -> str:
    c = view.case
    status = STATE_WORDS[c.state]
    if c.state is State.DISMISSED and c.dismiss_reason:
        status += f": {escape(dismiss_words(c.dismiss_reason))}"
    if c.state in (State.PUBLISHED, State.CLOSED) and c.published:
        last = c.published[-1]
        status += " privately" if last.get("private") else " publicly"
        if url := link(last.get("url"), "view reply"):
            status += f" · {url}"
    owner = people.who(c.owner) if c.owner else "unclaimed"
    parts = [f"**Status:** {status}", f"**Owner:** {owner}"]
    if view.due_at is not None and c.is_open:
        due = f"⏰ first answer due {teams_date(view.due_at)}"
        if _aware(view.due_at) < _aware(now):
            due += " **(overdue)**"
        parts.append(due)
    return " · ".join(parts)


# -- actions ----------------------------------------------------------------------------------


def _allowed(cmd: Command, state: State) -> bool:
    return state in ALLOWED[cmd]


def _editable(c: Case, edit: bool = True) -> bool:
    """Editing in the card: the state allows it and the draft fits the input whole."""
    return edit and _allowed(Command.EDIT, c.state) and len(c.draft) <= DRAFT_LIMIT


def case_actions(
    view: CaseView,
    *,
    departments: Sequence[Department] = (),
    answerable: int = 25,
    dialogs: bool = False,
    edit: bool = True,
) -> list[dict[str, Any]]:
    """The card's actions for the case's state, empty when nothing can be done from chat.

    They follow the workflow's own table (`ALLOWED`), as in Slack, so the card never offers a
    click the state machine would refuse; publishing also needs a draft. Irreversible clicks
    (publish, approve) open a short confirmation first, like Slack's confirm dialogs.
    `answerable` caps the comments an inline choice offers, `dialogs=True` moves the
    department and reply-to choices into dialogs (either way, a choice set that would not
    offer every department or open comment becomes a dialog button);
    `edit=False` leaves out editing in the card (a draft too big for the card's size limit).
    """
    c = view.case
    if c.state in _NO_ACTIONS:
        return []
    if c.state is State.PUBLISH_UNKNOWN:
        return [
            execute(Action.CONFIRM_SENT, "Confirm sent", c.id, style="positive"),
            execute(Action.CONFIRM_NOT_SENT, "Not sent", c.id),
        ]
    s = c.state
    out: list[dict[str, Any]] = []
    if _allowed(Command.CLAIM, s) and not c.owner:
        out.append(execute(Action.CLAIM, "Claim", c.id, style="positive"))
    if _allowed(Command.UNCLAIM, s) and c.owner:
        out.append(execute(Action.UNCLAIM, "Give back", c.id))
    if _allowed(Command.TAKE_OVER, s) and c.owner:
        out.append(
            show_card(
                "Take over…",
                [
                    text_block(
                        f"Take over {c.number} from its owner? They are told in the thread; "
                        "from then on only you edit and publish it."
                    )
                ],
                [execute(Action.TAKE_OVER, "Take over", c.id, style="positive")],
            )
        )
    if _editable(c, edit):
        out.append(execute(Action.EDIT, "Save draft", c.id))
    if _allowed(Command.PUBLISH, s) and c.draft.strip():
        out.extend(_publish_actions(view))
    if _allowed(Command.APPROVE, s):
        how = "privately" if c.private else "publicly"
        out.append(
            show_card(
                "Approve & publish…",
                [text_block(f"The reply goes out {how} on {platform_name(c.platform)} at once.")],
                [execute(Action.APPROVE, "Approve & publish", c.id, style="positive")],
            )
        )
    if _allowed(Command.REJECT, s):
        out.append(_reject_card(c))
    more = _more_card(view, departments, answerable, dialogs)
    if more is not None:
        out.append(more)
    return out[:TOP_ACTIONS]


def _publish_actions(view: CaseView) -> list[dict[str, Any]]:
    """Publish and reply privately; on a sensitive case both only ask comms, so no confirm."""
    c = view.case
    where = platform_name(c.platform)
    if target_of_publish(c) is State.AWAITING_APPROVAL:
        return [
            execute(Action.PUBLISH, "Request approval", c.id, style="positive"),
            execute(Action.PRIVATE, "Request approval (private)", c.id),
        ]
    return [
        show_card(
            "Publish…",
            [text_block(f"Posted publicly on {where} at once.")],
            [execute(Action.PUBLISH, "Publish now", c.id, style="positive")],
        ),
        show_card(
            "Reply privately…",
            [text_block(f"Sent as a private message on {where}.")],
            [execute(Action.PRIVATE, "Send privately", c.id, style="positive")],
        ),
    ]


def _reject_card(c: Case) -> dict[str, Any]:
    reason = {
        "type": "Input.Text",
        "id": Input.REASON.value,
        "label": "Why does it go back? The owner sees this.",
        "isMultiline": True,
        "isRequired": True,
        "errorMessage": "Say why, so the owner can fix it.",
        "maxLength": 1000,
    }
    return show_card(
        "Send back…",
        [reason],
        [execute(Action.REJECT, "Send back", c.id, style="destructive")],
    )


def _more_card(
    view: CaseView, departments: Sequence[Department], answerable: int, dialogs: bool = False
) -> dict[str, Any] | None:
    """Reroute, answer another comment, snooze and dismiss behind one "More…" button.

    No input here is required: all of them are sent with any click in this card, and a
    required one would block the others. An empty department is refused by the workflow.
    A choice set that does not fit (`dialogs`) or would leave choices out is a button that
    opens it in a dialog instead.
    """
    c, s = view.case, view.case.state
    body: list[dict[str, Any]] = []
    others = _department_choices(view, departments)
    if _allowed(Command.REROUTE, s) and others:
        body.append(text_block("**Move to another department**"))
        if dialogs or len(others) > CHOICES_LIMIT:
            body.append(action_set([dialog_button("Choose the department…", c.id, Action.REROUTE)]))
        else:
            body += [
                choice_set(Input.DEPARTMENT, others, placeholder="Choose a department"),
                action_set([execute(Action.REROUTE, "Move", c.id)]),
            ]
    choices = _mention_choices(view)
    if _allowed(Command.REPLY_TO, s) and len(choices) >= 2:
        body.append(text_block("**Which comment the draft answers**", separator=bool(body)))
        if dialogs or len(choices) > min(answerable, CHOICES_LIMIT):
            body.append(action_set([dialog_button("Choose the comment…", c.id, Action.REPLY_TO)]))
        else:
            current = c.reply_to if c.reply_to in {key for _, key in choices} else ""
            body += [
                choice_set(Input.MENTION, choices, placeholder="Choose a comment", value=current),
                action_set([execute(Action.REPLY_TO, "Answer this one", c.id)]),
            ]
    if _allowed(Command.SNOOZE, s):
        choices = [(words.capitalize(), key) for key, words in SNOOZE_CHOICES.items()]
        body += [
            text_block("**Quiet the reminders**", separator=bool(body)),
            choice_set(Input.SNOOZE, choices, placeholder="For how long", value=choices[0][1]),
            action_set([execute(Action.SNOOZE, "Snooze", c.id)]),
        ]
    if _allowed(Command.DISMISS, s):
        body += [
            text_block(
                "**Dismiss**: closes the case without a reply. Nothing is deleted on the platform.",
                separator=bool(body),
            ),
            action_set(
                [
                    execute(
                        Action.DISMISS,
                        DISMISS_WORDS[r].capitalize(),
                        c.id,
                        style="destructive",
                        **{Input.REASON.value: r.value},
                    )
                    for r in DismissReason
                ]
            ),
        ]
    return show_card("More…", body, []) if body else None


# -- dialogs ----------------------------------------------------------------------------------

DIALOG = "dialog"
"""`data.dialog`: the verb whose choice set a dialog holds (one of `DIALOG_VERBS`)."""
OFFSET = "offset"
"""`data.offset`: the index of the first choice on the dialog's page."""
NEXT = "next"
"""`data.next`: set on the dialog's paging buttons, which show another page and change nothing."""
TASK_FETCH = {"type": "task/fetch"}


def _department_choices(view: CaseView, departments: Sequence[Department]) -> list[tuple[str, str]]:
    return [(d.name or d.id, d.id) for d in departments if d.id != view.case.department]


def _mention_choices(view: CaseView) -> list[tuple[str, str]]:
    """Every comment of the case not answered yet, oldest first."""
    c = view.case
    return [
        (clip(f"{_author_plain(m)}: {one_line(m.text)}", 50), m.key)
        for m in view.mentions
        if m.key not in c.answered_keys
    ]


def dialog_button(title: str, case_id: str, verb: str) -> dict[str, Any]:
    """A button that opens `dialog_card` for `verb`. Universal Actions cannot open a dialog;
    Teams documents an `Action.Submit` whose `data.msteams.type` is `task/fetch`: Teams sends
    the bot a `task/fetch` invoke with this data and shows the card it answers as a dialog."""
    return {
        "type": "Action.Submit",
        "title": clip(title, TITLE_CHARS),
        "data": {"msteams": dict(TASK_FETCH), CASE_ID: case_id, DIALOG: str(verb)},
    }


def dialog_card(
    view: CaseView,
    verb: str,
    *,
    departments: Sequence[Department] = (),
    offset: int = 0,
    notice: str | None = None,
) -> dict[str, Any]:
    """The dialog holding a choice set shed from the case card: the departments to move the
    case to, or the open comments its draft may answer, every one reachable. A page shows as
    many choices from `offset` as fit Teams' size limit (at most `CHOICES_LIMIT`), with buttons
    to the next page and back to the first. Its submit (`task/submit`) carries `data.dialog`,
    the case id and the choice (`read_dialog`). ValueError for a verb without a dialog."""
    if verb == Action.REROUTE.value:
        choices = _department_choices(view, departments)
    elif verb == Action.REPLY_TO.value:
        choices = _mention_choices(view)
    else:
        raise ValueError(f"'{verb}' has no dialog")
    offset = max(0, min(offset, len(choices) - 1))
    count = min(len(choices) - offset, CHOICES_LIMIT)
    while True:
        card = _dialog_page(view, verb, choices, offset, count, notice)
        if count <= 1 or fits(card):
            return card
        count = max(1, min(count - 1, count * 3 // 4))


def _dialog_page(
    view: CaseView,
    verb: str,
    choices: Sequence[tuple[str, str]],
    offset: int,
    count: int,
    notice: str | None,
) -> dict[str, Any]:
    c = view.case
    body: list[dict[str, Any]] = []
    if notice:
        body.append(
            text_block(
                f"🚫 {escape(clip(notice, _REASON_CHARS))}", color="Attention", weight="Bolder"
            )
        )
    reroute = verb == Action.REROUTE.value
    head = (
        f"Move case {escape(c.number)} to another department"
        if reroute
        else f"Which comment the draft of case {escape(c.number)} answers"
    )
    body.append(text_block(head, size="Medium", weight="Bolder"))
    data = {CASE_ID: c.id, DIALOG: verb}
    actions: list[dict[str, Any]] = []
    if not choices:
        body.append(text_block("There is nothing to choose from any more."))
        return _card(body, actions)
    page = choices[offset : offset + count]
    current = "" if reroute or c.reply_to not in {key for _, key in page} else c.reply_to
    body.append(
        choice_set(
            Input.DEPARTMENT if reroute else Input.MENTION,
            page,
            placeholder="Choose a department" if reroute else "Choose a comment",
            value=current,
            style="filtered",
        )
    )
    if count < len(choices):
        body.append(
            text_block(
                f"Showing {offset + 1}–{offset + len(page)} of {len(choices)}.", isSubtle=True
            )
        )
    title = "Move" if reroute else "Answer this one"
    actions.append(_submit(title, {**data, OFFSET: offset}, style="positive"))
    if offset + count < len(choices):
        actions.append(_submit("Next page", {**data, OFFSET: offset + count, NEXT: True}))
    if offset > 0:
        actions.append(_submit("First page", {**data, OFFSET: 0, NEXT: True}))
    return _card(body, actions)


def _submit(title: str, data: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        action["style"] = style
    return action


@dataclass(frozen=True)
class DialogClick:
    """What a dialog's `task/fetch` or `task/submit` asks."""

    verb: str
    case_id: str
    value: str = ""  # the department or mention key chosen
    offset: int = 0
    page: bool = False  # a paging button: show the page at `offset`, change nothing


def read_dialog(data: Mapping[str, Any] | None) -> DialogClick:
    """Parse a `task/fetch` or `task/submit` invoke's `data`; ValueError when it names no case
    or no verb with a dialog."""
    data = data or {}
    case_id = str(data.get(CASE_ID) or "").strip()
    verb = str(data.get(DIALOG) or "")
    if not case_id:
        raise ValueError("the dialog sent no case id")
    if verb not in DIALOG_VERBS:
        raise ValueError("the dialog names no choice chatops knows")
    try:
        offset = max(0, int(data.get(OFFSET) or 0))
    except (TypeError, ValueError):
        offset = 0
    key = ARGUMENT_OF[verb]
    return DialogClick(
        verb=verb,
        case_id=case_id,
        value=str(data.get(key.value) or ""),
        offset=offset,
        page=bool(data.get(NEXT)),
    )


# -- reading clicks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Click:
    """What an `Action.Execute` from our cards asks: the verb, the case, the verb's argument."""

    verb: str
    case_id: str
    value: str = ""  # draft, reject/dismiss reason, department, snooze choice or mention key
    source: str = "case"
    draft: str | None = None  # the draft box as the user left it (sent with every case click)
    seen: str | None = None  # fingerprint of the draft the clicked card showed


def read_click(verb: str, data: Mapping[str, Any] | None) -> Click:
    """Parse an invoke's `action.verb` and `action.data`; ValueError when no case id came."""
    data = data or {}
    case_id = str(data.get(CASE_ID) or "").strip()
    if not case_id:
        raise ValueError("the card sent no case id")
    key = ARGUMENT_OF.get(verb)
    value = "" if key is None else str(data.get(key.value) or "")
    draft = data.get(Input.DRAFT.value)
    return Click(
        verb=verb,
        case_id=case_id,
        value=value,
        source=str(data.get(SOURCE) or "case"),
        draft=None if draft is None else str(draft),
        seen=str(data.get(SEEN) or "") or None,
    )


# -- refusals ---------------------------------------------------------------------------------


def refusal_card(reason: str, *, case_id: str | None = None) -> dict[str, Any]:
    """A small "no" returned as the invoke response, so only the clicking user sees it.

    It replaces the clicked card for that user, so with a case id it offers the way back
    (`case.refresh`); when the case can be rendered, `case_card(..., notice=reason)` is better.
    """
    body = [text_block(f"🚫 {escape(clip(reason, _LINE_CHARS * 2))}", color="Attention")]
    actions = []
    if case_id is not None:
        actions.append(
            {
                "type": "Action.Execute",
                "title": "Back to the case",
                "verb": REFRESH_VERB,
                "data": {CASE_ID: case_id},
            }
        )
    return _card(body, actions, refresh_case=case_id)


# -- thread replies ---------------------------------------------------------------------------


def event_message(
    view: CaseView, event: CaseEvent, *, names: Mapping[str, str] | None = None
) -> tuple[str, Mentions]:
    """The reply in the case post's thread for one event, and the mentions in it.

    Ids in `actor` and `notify` (AAD object ids, `29:` user ids) become `<at>` mentions, whose
    entities the caller attaches (`mention_entities`); "channel"/"here" become "@channel" text
    (a real channel mention needs the team's channel id); the system actor stays plain.
    """
    return _event_text(view, event, _People(names), _QUOTE_CHARS, _REASON_CHARS)


def _event_text(
    view: CaseView, event: CaseEvent, people: _People, quote: int, line: int
) -> tuple[str, Mentions]:
    style = replace(
        _STYLE,
        person=people.who,
        line=lambda text: escape(clip(one_line(text), line)),
        quote=lambda text: _quote(text, quote),
    )
    text = event_sentence(view, event, style)
    return text, sorted(people.pairs, key=lambda pair: text.find(f"<at>{pair[1]}</at>"))


_NAME_WIDTHS = (NAME_CHARS, 24, 8)
"""Characters of people's names in a card, narrowed when the people it names overflow it."""
_PING_TEXTS = ((_QUOTE_CHARS, _REASON_CHARS), (600, 200), (100, 100))
"""Characters of the quote and of other lines in a ping, shortened until the card fits."""


PINGS = frozenset({EventKind.ESCALATED, EventKind.APPROVAL_WAITING})


def ping_card(
    view: CaseView, event: CaseEvent, *, names: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """A ping people can act on: the event line, Claim (while unowned) and Snooze; None for
    events that are not pings. Its mention entities are in the card."""
    if event.kind not in PINGS:
        return None
    case_id = view.case.id
    actions = []
    if not view.case.owner:
        actions.append(execute(Action.CLAIM, "Claim", case_id, style="positive", source="ping"))
    actions.append(_snooze_buttons(case_id, source="ping"))
    card: dict[str, Any] = {}
    for width in _NAME_WIDTHS:
        for quote, line in _PING_TEXTS:
            text, pairs = _event_text(view, event, _People(names, width), quote, line)
            card = _card([text_block(text)], actions, pairs=pairs)
            if fits(card):
                return card
    return card


def _fitting(
    build: Callable[[_People, int], dict[str, Any]], count: int, names: Any
) -> dict[str, Any]:
    """The card `build` makes with as many of its `count` lines as fit; when even none fit
    (many people named), the same with narrower names."""
    card: dict[str, Any] = {}
    for width in _NAME_WIDTHS:
        shown = count
        while True:
            card = build(_People(names, width), shown)
            if fits(card):
                return card
            if shown == 0:
                break
            shown = min(shown - 1, shown * 3 // 4)
    return card


def _snooze_buttons(case_id: str, *, source: str) -> dict[str, Any]:
    """Snooze choices as buttons with static data: no inputs, so many fit in one card."""
    return show_card(
        "Snooze…",
        [],
        [
            execute(
                Action.SNOOZE,
                f"Snooze {words}",
                case_id,
                source=source,
                **{Input.SNOOZE.value: key},
            )
            for key, words in SNOOZE_CHOICES.items()
        ],
    )


def _line(text: str) -> str:
    return escape(clip(one_line(text), _REASON_CHARS))


def _quote(text: str, chars: int = _QUOTE_CHARS) -> str:
    lines = [line for line in paragraphs(text, chars).split("\n\n") if line]
    return "\n\n".join(f"> {line}" for line in lines) or "> _(no text)_"


_EMOJI = {
    "inbox_tray": "📥",
    "pencil2": "✏️",
    "wastebasket": "🗑️",
    "raising_hand": "🙋",
    "wave": "👋",
    "memo": "📝",
    "eyes": "👀",
    "ballot_box_with_check": "☑️",
    "leftwards_arrow_with_hook": "↩️",
    "outbox_tray": "📤",
    "white_check_mark": "✅",
    "x": "❌",
    "warning": "⚠️",
    "twisted_rightwards_arrows": "🔀",
    "no_entry_sign": "🚫",
    "arrows_counterclockwise": "🔄",
    "lock": "🔒",
    "rotating_light": "🚨",
    "hourglass": "⏳",
    "zzz": "💤",
}
"""Unicode for the Slack emoji names the shared event wording uses."""


def _author(m: Mention) -> str:
    """The author in this chat's markup."""
    return author_label(m, escape=escape, bold=lambda t: f"**{t}**")


_STYLE = Style(
    escape=escape,
    line=_line,
    bold=lambda text: f"**{text}**",
    emoji=_EMOJI.__getitem__,
    person=escape,  # replaced per message by `_People.who`
    author=_author,
    quote=_quote,
    link=link,
    place=lambda dept: f"**{escape(dept.name)}**",
    para="\n\n",
    no_text="",
)


# -- digest and report ------------------------------------------------------------------------


def digest_card(
    department: Department,
    items: Sequence[DigestItem],
    links: dict[str, str],
    *,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The morning digest: one line per unanswered case with Claim (while unowned) and Snooze.

    `links` maps case ids to their thread's URL. Lines that would push the card past
    `CARD_LIMIT` are counted, not listed.
    """

    def build(people: _People, shown: int) -> dict[str, Any]:
        body = _digest_body(department, items, links, people, shown)
        return _card(body, [], pairs=people.pairs)

    return _fitting(build, len(items), names)


def _digest_body(
    department: Department,
    items: Sequence[DigestItem],
    links: dict[str, str],
    people: _People,
    shown: int,
) -> list[dict[str, Any]]:
    plural = "s" if len(items) != 1 else ""
    header = f"{len(items)} unanswered case{plural} in {escape(department.name)}"
    body: list[dict[str, Any]] = [text_block(header, size="Medium", weight="Bolder")]
    for item in items[:shown]:
        owner = people.who(item.owner) if item.owner else "_unclaimed_"
        line = f"**{escape(item.number)}** · waiting {_age(item.age)} · {owner}"
        line += f" · {escape(item.state.replace('_', ' '))}"
        if thread := link(links.get(item.case_id), "open thread"):
            line += f" · {thread}"
        lines = [text_block(line)]
        if item.summary:
            lines.append(
                text_block(escape(clip(one_line(item.summary), 200)), isSubtle=True, spacing="None")
            )
        actions = []
        if not item.owner:
            actions.append(execute(Action.CLAIM, "Claim", item.case_id, source="digest"))
        actions.append(_snooze_buttons(item.case_id, source="digest"))
        body.append(
            {"type": "Container", "separator": True, "items": [*lines, action_set(actions)]}
        )
    if shown < len(items):
        body.append(text_block(f"_…and {len(items) - shown} more._", isSubtle=True))
    return body


def _age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} days"


def report_card(text: str, image_url: str | None) -> dict[str, Any]:
    """The weekly KPI report: its lines, then the chart.

    `text` is the report as `escalation.report.weekly_text` writes it (Slack mrkdwn, `&<>`
    already entities): `*bold*` becomes `**bold**` and nothing is escaped twice. The chart is
    shown when `image_url` is https or a `data:image/…` URI. A card over Teams' size limit
    leaves out the chart first (the lines say the same), then its last lines.
    """
    lines = [line for line in text.splitlines() if line.strip()][:50]
    image = image_url if image_url and image_url.startswith(("https://", "data:image/")) else None
    shown, dropped = len(lines), False
    while True:
        card = _card(_report_body(lines[:shown], image, dropped), [])
        if fits(card) or (shown == 0 and image is None):
            return card
        if image is not None:
            image, dropped = None, True
        else:
            shown = min(shown - 1, shown * 3 // 4)


def _report_body(lines: list[str], image: str | None, chart_left_out: bool) -> list[dict[str, Any]]:
    body = [
        text_block(
            _from_mrkdwn(clip(line, _LINE_CHARS * 2)),
            **({"size": "Medium"} if index == 0 else {"spacing": "None"}),
        )
        for index, line in enumerate(lines)
    ]
    if image is not None:
        body.append(
            {"type": "Image", "url": image, "altText": "Weekly response chart", "size": "Stretch"}
        )
    elif chart_left_out:
        body.append(text_block("_The chart is too big for a Teams message._", isSubtle=True))
    return body or [text_block("Weekly response report")]


def _from_mrkdwn(line: str) -> str:
    line = (
        line.replace("<", "&lt;").replace(">", "&gt;").replace("[", "&#91;").replace("]", "&#93;")
    )
    return _SLACK_BOLD.sub(r"**\1**", line)


def ping_batch_card(
    department: Department,
    items: Sequence[PingItem],
    links: dict[str, str],
    notify: Sequence[str],
    *,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One scan's escalations in one department: `notify` mentioned once, then a line per case
    (what fired, its owner, a link to its post) with Claim while unowned, else Snooze.

    Lines that would push the card past `CARD_LIMIT` are counted, not listed."""

    def build(people: _People, shown: int) -> dict[str, Any]:
        body = _ping_batch_body(department, items, links, notify, people, shown)
        return _card(body, [], pairs=people.pairs)

    return _fitting(build, len(items), names)


def _ping_batch_body(
    department: Department,
    items: Sequence[PingItem],
    links: dict[str, str],
    notify: Sequence[str],
    people: _People,
    shown: int,
) -> list[dict[str, Any]]:
    called = " ".join(people.who(n) for n in notify)
    count = f"{len(items)} case{'s' if len(items) != 1 else ''}"
    head = f"{called}{' ' if called else ''}{count} in **{escape(department.name)}**"
    body: list[dict[str, Any]] = [text_block(head + " need someone now", weight="Bolder")]
    for item in items[:shown]:
        owner = people.who(item.owner) if item.owner else "_unclaimed_"
        line = f"{escape(clip(one_line(item.text), 300))} · {owner}"
        if thread := link(links.get(item.case_id), "open thread"):
            line += f" · {thread}"
        if item.owner:
            act = _snooze_buttons(item.case_id, source="ping")
        else:
            act = execute(Action.CLAIM, "Claim", item.case_id, style="positive", source="ping")
        lines = [text_block(line), action_set([act])]
        body.append({"type": "Container", "separator": True, "items": lines})
    if shown < len(items):
        body.append(text_block(f"_…and {len(items) - shown} more._", isSubtle=True))
    return body
