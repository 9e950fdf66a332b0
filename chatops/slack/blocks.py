"""Slack layout of cases and thread events: plain data in, JSON-able Block Kit out.

Pure functions without I/O, so the Slack backend, its tests and any preview tool share one
rendering. Customers' text is always escaped (`&`, `<`, `>`): a comment must never become a
link, a user mention or an @here in the brand's workspace. Texts are clipped to Block Kit's
limits here, because Slack rejects the whole message when one field is too long.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.actions import Action
from chatops.chat.present import Report
from chatops.chat.rich import Span, Strong, plain_span, render
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
from chatops.slack.ids import METADATA_EVENT
from chatops.slack.limits import LIMITS, blocks_text_length, message_violations
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import ALLOWED, fingerprint, target_of_publish

SECTION_LIMIT = LIMITS.section_text
MAX_BLOCKS = LIMITS.message_blocks
FALLBACK_LIMIT = 300
"""Our own cap for a message's `text` (the notification line), far under Slack's."""
BUTTON_LIMIT = LIMITS.button_text
OPTION_LIMIT = LIMITS.option_text
SELECT_OPTIONS_LIMIT = LIMITS.select_options
CONFIRM_TEXT_LIMIT = LIMITS.confirm_text
CONTEXT_LIMIT = LIMITS.context_text

_QUOTE_CHARS = 2500
"""Raw characters of one customer text we even look at: escaping grows them, clipping follows."""
_COMPACT_CHARS = 200
"""Raw characters of each later mention in the compact list."""


@dataclass(frozen=True)
class Room:
    """How much of the customers' and staff's texts one case message shows."""

    quote: int = _QUOTE_CHARS  # raw characters of the first mention, the draft, a reason
    compact: int = _COMPACT_CHARS  # raw characters of each later mention
    later: int = SECTION_LIMIT  # the whole "also in this thread" section
    choices: int = SELECT_OPTIONS_LIMIT  # comments offered in the "answer…" menu (newest)
    label: int = OPTION_LIMIT  # characters of each menu entry


ROOMS = (
    Room(),
    Room(1500, 100, 1500, 25, 60),
    Room(600, 60, 600, 10, 40),
    Room(200, 40, 300, 5, 20),
    Room(100, 20, 200, 3, 12),
)
"""Tried in turn until a case message's texts fit Slack's total (`LIMITS.blocks_text_budget`)."""

STATE_WORDS = {
    State.NEW: ":new: new, waiting for someone to claim it",
    State.CLAIMED: ":raising_hand: claimed, no draft yet",
    State.DRAFTED: ":memo: draft ready",
    State.AWAITING_APPROVAL: ":hourglass_flowing_sand: waiting for approval",
    State.APPROVED: ":ballot_box_with_check: approved",
    State.PUBLISHING: ":outbox_tray: publishing…",
    State.PUBLISHED: ":white_check_mark: published",
    State.CLOSED: ":white_check_mark: closed",
    State.DISMISSED: ":no_entry_sign: dismissed",
    State.PUBLISH_UNKNOWN: ":warning: the reply may not have gone out: check, then confirm",
}

_BADGES: dict[str, tuple[str, str, Callable[[Case], list[str]]]] = {
    "sensitive": (
        ":warning:",
        "sensitive",
        lambda c: [reason_words(r) for r in c.sensitive_reasons],
    ),
    "high_reach": (":loudspeaker:", "high reach", lambda c: []),
    "personal_data": (":lock:", "personal data", lambda c: list(c.pii)),
    "possible_spam": (":wastebasket:", "possible spam", lambda c: []),
}
"""Known case flags: emoji, words, and the details worth showing next to them."""

_NO_ACTIONS = frozenset({State.PUBLISHING, State.PUBLISHED, State.CLOSED, State.DISMISSED})

_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_USER_ID_IN_TEXT = re.compile(r"\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,}\b")


# -- text helpers -----------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters as entities, so text shows literally and links nothing."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip_mrkdwn(text: str, limit: int) -> str:
    """Like `clip`, without leaving half an entity (`&am`) or half a link (`<http`) behind."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("<", ">"), ("&", ";")):
        start = cut.rfind(opener)
        if start != -1 and closer not in cut[start:]:
            cut = cut[:start]
    return cut.rstrip() + "…"


def quote(text: str, limit: int = _QUOTE_CHARS) -> str:
    """Customer or draft text as an escaped mrkdwn block quote."""
    lines = escape(clip(text, limit)).splitlines() or [""]
    return "\n".join(f">{line}" for line in lines)


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit) or " "}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_LIMIT) for t in texts[:10]]}


def link(url: str | None, label: str) -> str:
    """A Slack link for http(s) URLs only; anything else (javascript:, empty) is left out."""
    if not url or not url.startswith(("https://", "http://")):
        return ""
    safe = escape(url).replace("|", "%7C")
    return f"<{safe}|{escape(label)}>"


def who(actor: str, user_groups: frozenset[str] = frozenset()) -> str:
    """A person or group as Slack should show it: a mention for Slack ids, plain text otherwise.

    Only id-shaped values become mentions, so names from the console or tests ("anna", "lead")
    stay readable text and a stray value can never form markup.
    """
    if actor in ("channel", "here"):
        return "<!here>"
    if _SLACK_ID.fullmatch(actor):
        if actor in user_groups or actor.startswith("S"):
            return f"<!subteam^{actor}>"
        if actor.startswith(("U", "W")):
            return f"<@{actor}>"
    return escape(actor)


def channel_ref(channel: str) -> str:
    """`<#C…>` for Slack channel ids, plain text for anything else (console names like #social)."""
    return f"<#{channel}>" if _CHANNEL_ID.fullmatch(channel) else escape(channel)


def slack_date(when: datetime) -> str:
    """Slack date formatting: each reader sees their own time zone; the fallback is ours."""
    when = _aware(when)
    fallback = f"{when:%Y-%m-%d %H:%M} {when.tzname() or 'UTC'}"
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _fit_lines(head: str, lines: list[str], limit: int = SECTION_LIMIT) -> str:
    """Whole lines under a head while they fit, then `…and N more`: never half a mention."""
    out = head
    for index, line in enumerate(lines):
        rest = len(lines) - index
        tail = f"\n_…and {rest} more_"
        if len(out) + 1 + len(line) + len(tail) > limit and index < len(lines) - 1:
            return out + tail
        out += "\n" + line
    return clip_mrkdwn(out, limit)


# -- the case message -------------------------------------------------------------------------


def case_blocks(
    view: CaseView,
    *,
    now: datetime,
    departments: Sequence[Department] = (),
    approvers_known: bool = True,
) -> list[dict[str, Any]]:
    """The whole case message: who wrote what, the draft, the status and what can be done now.

    `departments` feeds the reroute menu (the case's own is left out); `approvers_known=False`
    warns on a sensitive case that nobody is configured to approve it. Long cases show less of
    each text (`ROOMS`) rather than break Slack's limit on a message's text as a whole.
    """
    for room in ROOMS:
        blocks = _case_blocks(view, now, departments, approvers_known, room)
        if blocks_text_length(blocks) <= LIMITS.blocks_text_budget:
            break
    return blocks


def _case_blocks(
    view: CaseView,
    now: datetime,
    departments: Sequence[Department],
    approvers_known: bool,
    room: Room,
) -> list[dict[str, Any]]:
    c = view.case
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(f"Case {c.number} · {view.department.name}", 150)},
        context(_meta_line(view)),
    ]
    if c.needs_approval and c.is_open and not approvers_known:
        blocks.append(
            context(
                ":warning: This reply needs approval, but no approvers are configured "
                "(`approval.approvers`): nobody can approve it."
            )
        )
    if view.mentions:
        blocks.append(section(_first_mention(view.mentions[0], c, room.quote)))
    if len(view.mentions) > 1:
        blocks.append(section(_later_mentions(view.mentions[1:], c, room)))
    if c.state is not State.DISMISSED:
        blocks.append(section(_draft(view, room.quote)))
    if c.reject_reason and c.state in (State.DRAFTED, State.AWAITING_APPROVAL):
        reason = quote(c.reject_reason, room.quote)
        blocks.append(section(f":leftwards_arrow_with_hook: *Sent back:*\n{reason}"))
    blocks.append(section(_status(view, now)))
    actions = case_actions(view, departments=departments, room=room)
    if actions is not None:
        blocks.append(actions)
    return blocks[:MAX_BLOCKS]


def _meta_line(view: CaseView) -> str:
    c = view.case
    kind = KIND_WORDS[view.mentions[0].kind] if view.mentions else ""
    parts = [f"*{escape(platform_name(c.platform))}* {kind}".rstrip()]
    if c.account:
        parts.append(escape(c.account))
    parts.append(f":speech_balloon: {escape(c.language or 'language unknown')}")
    parts.extend(_badges(c))
    return " · ".join(parts)


def _badges(c: Case) -> list[str]:
    out = []
    for flag in shown_flags(c):
        emoji, words, details = _BADGES.get(flag, (":triangular_flag_on_post:", flag, None))
        badge = f"{emoji} *{escape(words.replace('_', ' '))}*"
        extra = details(c) if details else []
        if extra:
            badge += f" ({escape(', '.join(extra))})"
        out.append(badge)
    return out


def _first_mention(m: Mention, c: Case, chars: int = _QUOTE_CHARS) -> str:
    head = [_author(m)]
    if m.author.followers is not None:
        head.append(f"{m.author.followers:,} followers")
    if view_link := link(m.url, f"View on {platform_name(m.platform)}"):
        head.append(view_link)
    marks = _marks(m, c)
    line = " · ".join(head) + (f"  {marks}" if marks else "")
    return f"{line}\n{quote(m.text or '(no text)', chars)}"


def _later_mentions(mentions: list[Mention], c: Case, room: Room = ROOMS[0]) -> str:
    lines = []
    for m in mentions:
        bullet = "✓" if m.key in c.answered_keys else "•"
        text = escape(clip(one_line(m.text), room.compact)) or "_(no text)_"
        tail = " ".join(x for x in (_marks(m, c, answered=False), link(m.url, "view")) if x)
        lines.append(f"{bullet} {_author(m)}: {text}" + (f"  {tail}" if tail else ""))
    return _fit_lines(f"*Also in this thread* ({len(mentions)})", lines, room.later)


def _draft(view: CaseView, chars: int = _QUOTE_CHARS) -> str:
    c = view.case
    sent = c.state in (State.PUBLISHED, State.CLOSED) and bool(c.published)
    label = "*Reply sent*" if sent else "*Draft*"
    if not c.draft.strip():
        return (
            f"{label}: _none yet: click *Write reply*, or write `>>` and your reply in the thread_"
        )
    head = [label]
    if c.draft_author == SYSTEM:
        head.append("from the template")
    elif c.draft_author:
        head.append(f"by {who(c.draft_author)}")
    details = []
    if c.private:
        details.append(":lock: private reply")
    target = _reply_target(view)
    if target is not None:
        details.append(f"in reply to {_author(target)}")
    if c.approved_by and c.state is not State.AWAITING_APPROVAL:
        details.append(f"approved by {who(c.approved_by)}")
    if view.max_length is not None and view.draft_length is not None and not sent:
        left = view.max_length - view.draft_length
        details.append(
            f"{left:,} characters left"
            if left >= 0
            else f":no_entry: {-left:,} characters over the limit"
        )
    line = " ".join(head) + "".join(f" · {d}" for d in details)
    text = f"{line}\n{quote(c.draft, chars)}"
    if view.blocked and c.is_open and not sent:
        text += f"\n:no_entry: *Publish is refused:* {escape(view.blocked)}"
    return text


def _reply_target(view: CaseView) -> Mention | None:
    """The mention the draft answers, named only when it is not the first one."""
    key = view.case.reply_to
    if not key or not view.mentions or view.mentions[0].key == key:
        return None
    return next((m for m in view.mentions if m.key == key), None)


def _status(view: CaseView, now: datetime) -> str:
    c = view.case
    status = STATE_WORDS[c.state]
    if c.state is State.DISMISSED and c.dismiss_reason:
        status += f": {escape(dismiss_words(c.dismiss_reason))}"
    if c.state in (State.PUBLISHED, State.CLOSED) and c.published:
        last = c.published[-1]
        status += " privately" if last.get("private") else " publicly"
        if url := link(last.get("url"), "view reply"):
            status += f" · {url}"
    parts = [f"*Status:* {status}", f"*Owner:* {who(c.owner) if c.owner else 'unclaimed'}"]
    if view.due_at is not None and c.is_open:
        due = f":alarm_clock: first answer due {slack_date(view.due_at)}"
        if _aware(view.due_at) < _aware(now):
            due += " *(overdue)*"
        parts.append(due)
    return " · ".join(parts)


# -- actions ----------------------------------------------------------------------------------


def case_actions(
    view: CaseView,
    *,
    departments: Sequence[Department] = (),
    room: Room = ROOMS[0],
) -> dict[str, Any] | None:
    """The actions block for the case's state, or None when nothing can be done from chat.

    Buttons follow the workflow's own table (`ALLOWED`), so chat never offers a click the state
    machine would refuse; publish buttons are also hidden while there is no draft to send.
    """
    c = view.case
    if c.state in _NO_ACTIONS:
        return None
    if c.state is State.PUBLISH_UNKNOWN:
        elements = [
            button(Action.CONFIRM_SENT, "Confirm sent", c.id, style="primary"),
            button(Action.CONFIRM_NOT_SENT, "Not sent", c.id),
        ]
    else:
        elements = _work_buttons(view, departments, room)
    if not elements:
        return None
    return {"type": "actions", "block_id": case_block_id(c), "elements": elements}


def case_block_id(case: Case) -> str:
    """The case actions' block id carries the fingerprint of the draft the message shows
    (a button's value must stay the case id): Publish and Approve act on exactly that draft,
    and a click on a message older than the draft is refused, never sent."""
    return f"case-{case.id}-{fingerprint(case)}"


def seen_draft(block_id: str) -> str | None:
    """The fingerprint a case actions block was rendered with (None for other blocks)."""
    found = _CASE_BLOCK.fullmatch(block_id or "")
    return found.group(1) if found else None


_CASE_BLOCK = re.compile(r"case-[^-]+-([0-9a-f]{32})")


def _allowed(cmd: Command, state: State) -> bool:
    return state in ALLOWED[cmd]


def _work_buttons(
    view: CaseView, departments: Sequence[Department], room: Room
) -> list[dict[str, Any]]:
    c, s = view.case, view.case.state
    out: list[dict[str, Any]] = []
    if _allowed(Command.CLAIM, s) and not c.owner:
        out.append(button(Action.CLAIM, "Claim", c.id))
    if _allowed(Command.UNCLAIM, s) and c.owner:
        out.append(button(Action.UNCLAIM, "Give back", c.id))
    if _allowed(Command.TAKE_OVER, s) and c.owner:
        out.append(take_over_button(c))
    if _allowed(Command.EDIT, s):
        out.append(button(Action.EDIT, "Edit draft" if c.draft.strip() else "Write reply", c.id))
    if _allowed(Command.PUBLISH, s) and c.draft.strip():
        out.extend(_publish_buttons(view))
    if _allowed(Command.APPROVE, s):
        out.append(
            button(
                Action.APPROVE,
                "Approve & publish",
                c.id,
                style="primary",
                confirm=_confirm(
                    "Approve and publish?",
                    f"The reply goes out {'privately' if c.private else 'publicly'} on "
                    f"{platform_name(c.platform)} at once.",
                    c.draft,
                    "Approve & publish",
                ),
            )
        )
    if _allowed(Command.REJECT, s):
        out.append(button(Action.REJECT, "Send back", c.id))
    if _allowed(Command.REROUTE, s):
        select = reroute_select(c, departments, room.label)
        if select is not None:
            out.append(select)
    if _allowed(Command.REPLY_TO, s) and len(view.mentions) > 1:
        menu = reply_to_select(view, room.choices, room.label)
        if menu is not None:
            out.append(menu)
    if _allowed(Command.DISMISS, s):
        out.append(dismiss_overflow(c))
    return out


def reply_to_select(
    view: CaseView, choices: int = SELECT_OPTIONS_LIMIT, label: int = OPTION_LIMIT
) -> dict[str, Any] | None:
    """Which comment the draft answers: the newest unless staff pick another; None when every
    comment is answered.

    Option values are `reply_to_value` (the mention's place in the case, not its platform id:
    an Instagram message id alone is 164 characters, Slack allows 150 in a value)."""
    c = view.case
    options = [
        option(
            clip(f"{m.author.name or m.author.handle or m.author.id}: {one_line(m.text)}", label),
            reply_to_value(c, m.key),
        )
        for m in view.mentions
        if m.key not in c.answered_keys and m.key in c.mention_keys
    ][-max(1, min(choices, SELECT_OPTIONS_LIMIT)) :]
    if not options:
        return None
    chosen = reply_to_value(c, c.reply_to) if c.reply_to in c.mention_keys else None
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": Action.REPLY_TO.value,
        "placeholder": plain("Answer…", LIMITS.placeholder),
        "options": options,
    }
    current = next((o for o in options if o["value"] == chosen), None)
    if current is not None:
        select["initial_option"] = current
    return select


def reply_to_value(case: Case, key: str | None) -> str:
    """`<case id>:<n>:<check>`: the mention's index in `case.mention_keys` and 6 hex digits of
    its key, so a click on a stale menu can never pick another comment."""
    n = case.mention_keys.index(key) if key in case.mention_keys else -1
    return f"{case.id}:{n}:{_key_check(key or '')}"


def reply_to_key(case: Case, choice: str) -> str | None:
    """The mention key a reply-to option names (`choice` is its value after `<case id>:`);
    None when it names no comment of this case any more."""
    if choice in case.mention_keys:
        return choice  # a menu rendered before values were indices
    index, _, check = choice.partition(":")
    if not index.isdigit() or int(index) >= len(case.mention_keys):
        return None
    key = case.mention_keys[int(index)]
    return key if _key_check(key) == check else None


def _key_check(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:6]


def take_over_button(c: Case) -> dict[str, Any]:
    """Shown to everyone while someone owns the case; the confirm names who loses it."""
    confirm = {
        "title": plain(f"Take over {c.number}?", LIMITS.confirm_title),
        "text": mrkdwn(
            f"Take over {c.number} from {who(c.owner or '')}? They are told in the thread; "
            "from then on only you edit and publish it.",
            CONFIRM_TEXT_LIMIT,
        ),
        "confirm": plain("Take over", LIMITS.confirm_button),
        "deny": plain("Cancel", LIMITS.confirm_button),
    }
    return button(Action.TAKE_OVER, "Take over", c.id, confirm=confirm)


def _publish_buttons(view: CaseView) -> list[dict[str, Any]]:
    """Publish and reply-privately; on a sensitive case each asks comms first unless an
    approval covers exactly that reply (one for a private reply does not cover a public one)."""
    c = view.case
    asks_public = target_of_publish(c, private=False) is State.AWAITING_APPROVAL
    asks_private = target_of_publish(c, private=True) is State.AWAITING_APPROVAL
    where = platform_name(c.platform)
    if asks_public:
        public = _confirm(
            "Request approval?", "Comms approve the reply before it goes out.", c.draft, "Request"
        )
    else:
        public = _confirm(
            "Publish this reply?", f"Posted publicly on {where} at once.", c.draft, "Publish"
        )
    if asks_private:
        private = _confirm(
            "Request approval?",
            "Comms approve the reply before it goes out as a private message.",
            c.draft,
            "Request",
        )
    else:
        private = _confirm(
            "Send privately?", f"Sent as a private message on {where}.", c.draft, "Send"
        )
    return [
        button(
            Action.PUBLISH,
            "Request approval" if asks_public else "Publish",
            c.id,
            style=None if c.private else "primary",
            confirm=public,
        ),
        button(
            Action.PRIVATE,
            "Request approval (private)" if asks_private else "Reply privately",
            c.id,
            style="primary" if c.private else None,
            confirm=private,
        ),
    ]


def button(
    action: Action,
    label: str,
    case_id: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A case button; its value is the case id (DESIGN §4.6)."""
    out: dict[str, Any] = {
        "type": "button",
        "action_id": action.value,
        "text": plain(label, BUTTON_LIMIT),
        "value": case_id,
    }
    if style:
        out["style"] = style
    if confirm:
        out["confirm"] = confirm
    return out


def reroute_select(
    c: Case, departments: Sequence[Department], label: int = OPTION_LIMIT
) -> dict[str, Any] | None:
    """Move-to menu over the other departments; None when there is nowhere to go.

    Beyond Slack's 100 options a menu, the departments are paged into option groups of 100
    (named by their first and last department); a department id too long for an option value
    cannot be offered and is left out."""
    options = [
        option(clip(d.name or d.id, label), f"{c.id}:{d.id}")
        for d in departments
        if d.id != c.department and len(f"{c.id}:{d.id}") <= LIMITS.option_value
    ]
    if not options:
        return None
    menu: dict[str, Any] = {
        "type": "static_select",
        "action_id": Action.REROUTE.value,
        "placeholder": plain("Move to…", LIMITS.placeholder),
    }
    size = SELECT_OPTIONS_LIMIT
    if len(options) <= size:
        menu["options"] = options
        return menu
    pages = [options[i : i + size] for i in range(0, len(options), size)]
    menu["option_groups"] = [
        {"label": plain(_page_label(page), LIMITS.option_group_label), "options": page}
        for page in pages[: LIMITS.select_option_groups]
    ]
    return menu


def _page_label(page: list[dict[str, Any]]) -> str:
    first, last = page[0]["text"]["text"], page[-1]["text"]["text"]
    return f"{clip(first, 35)} – {clip(last, 35)}"


def dismiss_overflow(c: Case) -> dict[str, Any]:
    """Close without reply; the confirm says that nothing is deleted on the platform."""
    return {
        "type": "overflow",
        "action_id": Action.DISMISS.value,
        "options": [
            option(f"Dismiss: {DISMISS_WORDS[r]}", f"{c.id}:{r.value}") for r in DismissReason
        ],
        "confirm": _confirm(
            "Dismiss this case?",
            "It is closed without a reply. Nothing is deleted on the platform.",
            "",
            "Dismiss",
        ),
    }


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label, OPTION_LIMIT), "value": value}


def _confirm(title: str, text: str, draft: str, yes: str) -> dict[str, Any]:
    body = text
    if draft.strip():
        room = CONFIRM_TEXT_LIMIT - len(text) - 4
        body += f"\n\n“{clip(draft.strip(), room)}”"
    return {
        "title": plain(title, 100),
        "text": plain(body, CONFIRM_TEXT_LIMIT),
        "confirm": plain(yes, 30),
        "deny": plain("Cancel", 30),
    }


# -- around the case message ------------------------------------------------------------------


def case_text(view: CaseView) -> str:
    """Plain-text fallback of the case message (notifications, screen readers), ≤ 300 chars."""
    head = f"Case {view.case.number} · {view.department.name}"
    if view.mentions:
        m = view.mentions[0]
        head += f" · {_author_plain(m)}: {one_line(clip(m.text, 600))}"
    return clip_mrkdwn(escape(head), FALLBACK_LIMIT)


def fallback_blocks(text: str, blocks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a case message becomes when Slack refused the full one (`blocks`): its
    notification line (`text`), the link to the conversation on the platform and the main
    buttons (Claim, Edit, Publish with its confirm), taken from the full message and far under
    every limit, so the case never stays frozen in an old state. Without the buttons when even
    they do not pass the limits table."""
    lines = [clip_mrkdwn(text, 1000) or "A case"]
    for found in (_VIEW_LINK.search(t) for t in _mrkdwn_texts(blocks)):
        if found is not None:
            lines.append(f"<{found[1]}|{clip_mrkdwn(found[2], 100)}>")
            break
    lines.append("_Slack refused the full case message; it is tried again on the next change._")
    minimal: list[dict[str, Any]] = [section("\n".join(lines))]
    for block in blocks:
        if block.get("type") != "actions":
            continue
        main = [
            e
            for e in block.get("elements", [])
            if e.get("type") == "button" and e.get("action_id") in MAIN_ACTIONS
        ]
        actions = {**block, "elements": main}
        if main and not message_violations([*minimal, actions], text):
            return [*minimal, actions]
    return minimal


MAIN_ACTIONS = frozenset({Action.CLAIM.value, Action.EDIT.value, Action.PUBLISH.value})
"""The buttons a fallback case message keeps."""
_VIEW_LINK = re.compile(r"<(https?://[^|>\s]{1,2900})\|(View on [^>]{1,100})>")


def _mrkdwn_texts(blocks: Sequence[dict[str, Any]]) -> list[str]:
    return [
        str(b["text"].get("text", ""))
        for b in blocks
        if b.get("type") == "section" and isinstance(b.get("text"), dict)
    ]


def case_metadata(case_id: str) -> dict[str, Any]:
    """Slack message metadata of a case message (DESIGN §4.6): lets a restart find its post."""
    return {"event_type": METADATA_EVENT, "event_payload": {"case_id": case_id}}


def moved_blocks(view: CaseView, to_channel: str) -> list[dict[str, Any]]:
    """What the old message becomes after a reroute: a pointer to the new thread, no buttons."""
    blocks: list[dict[str, Any]] = [
        section(
            f":twisted_rightwards_arrows: *Case {view.case.number}* moved to "
            f"{channel_ref(to_channel)}: the thread continues there."
        )
    ]
    if view.mentions:
        m = view.mentions[0]
        blocks.append(context(f"{_author(m)}: {escape(clip(one_line(m.text), 150))}"))
    return blocks


def refusal_text(reason: str) -> str:
    """An ephemeral "no" for the person who clicked; user ids in the reason become mentions."""
    text = _USER_ID_IN_TEXT.sub(lambda found: f"<@{found[0]}>", escape(reason))
    return clip_mrkdwn(f":no_entry_sign: {text}", SECTION_LIMIT)


# -- thread replies ---------------------------------------------------------------------------


def event_text(
    view: CaseView, event: CaseEvent, *, user_groups: frozenset[str] = frozenset()
) -> str:
    """The thread reply for one event: what happened, by whom, and who should look now.

    Actors and `notify` ids become Slack mentions (user groups by `S…` id or `user_groups`);
    the system actor and non-Slack names stay plain text.
    """
    style = replace(_STYLE, person=lambda actor: who(actor, user_groups))
    return clip_mrkdwn(event_sentence(view, event, style), SECTION_LIMIT)


def _place(dept: Department) -> str:
    return f"{channel_ref(dept.channel)} (*{escape(dept.name)}*)"


def _author(m: Mention) -> str:
    """The author in this chat's markup."""
    return author_label(m, escape=escape, bold=lambda t: f"*{t}*")


_STYLE = Style(
    escape=escape,
    line=escape,
    bold=lambda text: f"*{text}*",
    emoji=lambda name: f":{name}:",
    person=who,
    author=_author,
    quote=quote,
    link=link,
    place=_place,
    para="\n",
    no_text="(no text)",
)


PINGS = frozenset({EventKind.ESCALATED, EventKind.APPROVAL_WAITING})


def snooze_overflow(case_id: str) -> dict[str, Any]:
    """Snooze choices: people quiet a case's pings without losing it."""
    from chatops.chat.snooze import CHOICES

    return {
        "type": "overflow",
        "action_id": Action.SNOOZE.value,
        "options": [
            option(f"Snooze {words}", f"{case_id}:{key}") for key, words in CHOICES.items()
        ],
    }


def ping_blocks(view: CaseView, event: CaseEvent) -> list[dict[str, Any]] | None:
    """A ping is a thread reply people can act on: Claim (when unowned) and Snooze."""
    if event.kind not in PINGS:
        return None
    elements: list[dict[str, Any]] = []
    if not view.case.owner:
        elements.append(button(Action.CLAIM, "Claim", view.case.id, style="primary"))
    elements.append(snooze_overflow(view.case.id))
    return [
        section(event_text(view, event)),
        {"type": "actions", "block_id": f"ping-{view.case.id}", "elements": elements},
    ]


def digest_blocks(
    department: Department, items: Sequence[DigestItem], links: dict[str, str]
) -> list[dict[str, Any]]:
    """The morning digest: one line per unanswered case, oldest first, with Claim and Snooze.

    Two blocks a case; beyond Slack's 50 blocks the rest is counted, not listed."""
    header = f"{len(items)} unanswered case{'s' if len(items) != 1 else ''} in {department.name}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(header, 150)}]
    shown, used = 0, blocks_text_length(blocks)
    for item in items:
        if len(blocks) + 3 > MAX_BLOCKS:
            break
        owner = who(item.owner) if item.owner else "_unclaimed_"
        thread = link(links.get(item.case_id), "open thread")
        line = f"*{item.number}* · waiting {_age(item.age)} · {owner}"
        line += f" · {escape(item.state.replace('_', ' '))}" + (f" · {thread}" if thread else "")
        if item.summary:
            line += f"\n{escape(clip(item.summary, 200))}"
        elements: list[dict[str, Any]] = []
        if not item.owner:
            elements.append(button(Action.CLAIM, "Claim", item.case_id))
        elements.append(snooze_overflow(item.case_id))
        pair = [
            section(line),
            {"type": "actions", "block_id": f"digest-{item.case_id}", "elements": elements},
        ]
        used += blocks_text_length(pair)
        if used > LIMITS.blocks_text_budget - 200:  # room for the "…and N more" line
            break
        blocks.extend(pair)
        shown += 1
    if shown < len(items):
        blocks.append(context(f"…and {len(items) - shown} more: `/chatops` lists them all."))
    return blocks


def _age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} days"


def ping_batch_blocks(
    department: Department,
    items: Sequence[PingItem],
    links: dict[str, str],
    notify: Sequence[str],
) -> list[dict[str, Any]]:
    """One scan's escalations in one department: `notify` mentioned once, then a line per case
    (what fired, its owner, a link to its thread) with Claim while unowned, else Snooze.

    One block a case, within Slack's 50 blocks and text budget; the rest is counted."""
    count = f"{len(items)} case{'s' if len(items) != 1 else ''}"
    people = " ".join(who(n) for n in notify)
    head = f":rotating_light: {people}{' ' if people else ''}{count} in *{escape(department.name)}*"
    blocks: list[dict[str, Any]] = [section(head + " need someone now")]
    used = blocks_text_length(blocks)
    shown = 0
    for item in items:
        if len(blocks) + 2 > LIMITS.message_blocks:
            break
        owner = who(item.owner) if item.owner else "_unclaimed_"
        line = f"{escape(clip(one_line(item.text), 300))} · {owner}"
        if thread := link(links.get(item.case_id), "open thread"):
            line += f" · {thread}"
        block = section(line)
        block["block_id"] = f"pings-{item.case_id}"
        if item.owner:
            block["accessory"] = snooze_overflow(item.case_id)
        else:
            block["accessory"] = button(Action.CLAIM, "Claim", item.case_id, style="primary")
        used += blocks_text_length([block])
        if used > LIMITS.blocks_text_budget - 200:
            break
        blocks.append(block)
        shown += 1
    if shown < len(items):
        blocks.append(context(f"…and {len(items) - shown} more: `/chatops` lists them all."))
    return blocks


def ping_batch_text(
    department: Department, items: Sequence[PingItem], notify: Sequence[str]
) -> str:
    """The notification text of a batched ping (what phones and screen readers show)."""
    people = " ".join(who(n) for n in notify)
    count = f"{len(items)} case{'s' if len(items) != 1 else ''}"
    return f"{people}{' ' if people else ''}{count} in {escape(department.name)} need someone now"


# -- the weekly report ------------------------------------------------------------------------


def _report_mark(span: Span) -> str:
    """A report's span as mrkdwn: figures' labels bold, every other text literal."""
    if isinstance(span, Strong):
        return f"*{escape(span.text)}*"
    return escape(plain_span(span))


def report_text(report: Report) -> str:
    """The weekly report as mrkdwn: its title in bold, then a line each (a chart's comment)."""
    lines = [render(line, _report_mark) for line in report.lines]
    return "\n".join([f"*{escape(report.title)}*", *lines])


def report_blocks(report: Report) -> list[dict[str, Any]]:
    """The weekly report as a message: whole lines packed into sections under Block Kit's
    limits; lines past them are counted, not cut."""
    blocks = [section(f"*{escape(clip(report.title, 200))}*")]
    lines = [clip_mrkdwn(render(line, _report_mark), 1000) for line in report.lines]
    budget = LIMITS.blocks_text_budget - 300
    chunk: list[str] = []
    size = shown = 0
    for line in lines:
        budget -= len(line) + 1
        if budget < 0:
            break
        if size + len(line) + 1 > SECTION_LIMIT:
            if len(blocks) >= MAX_BLOCKS - 2:
                break
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
        shown += 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if shown < len(lines):
        blocks.append(context(f"…and {len(lines) - shown} more lines."))
    return blocks
