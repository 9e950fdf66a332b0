"""What a case event says in a thread reply, worded once for every chat.

Slack (`chatops.slack.blocks`) and Teams (`chatops.teams.cards`) say the same sentences; they
differ only in markup (escaping, bold, emoji, mentions, quotes, links). Each supplies a `Style`
and calls `event_sentence`; the words, and the word tables both share, live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.base import display_name
from chatops.chat import CaseEvent, CaseView, Department, EventKind
from chatops.domain import Case, Change, DismissReason, Kind, Mention
from chatops.workflow.commands import SYSTEM

KIND_WORDS = {
    Kind.COMMENT: "comment",
    Kind.REPLY: "reply",
    Kind.DM: "private message",
    Kind.MENTION: "mention",
    Kind.KEYWORD: "keyword match",
}

DISMISS_WORDS = {
    DismissReason.SPAM: "spam",
    DismissReason.NO_REPLY_NEEDED: "no reply needed",
    DismissReason.DUPLICATE: "duplicate",
}


def reason_words(reason: str) -> str:
    """`keyword:lawsuit` → `“lawsuit”`, `reach:25000` → `25,000 followers`; others as given."""
    kind, _, value = reason.partition(":")
    if kind == "keyword" and value:
        return f"“{value}”"
    if kind == "reach" and value.isdigit():
        return f"{int(value):,} followers"
    if kind == "department" and value:
        return f"{value} department"
    return reason.replace("_", " ")


def platform_name(name: str) -> str:
    """The platform's display name, as its module in `adapters/` declares it."""
    return display_name(name)


def dismiss_words(reason: str) -> str:
    try:
        return DISMISS_WORDS[DismissReason(reason)]
    except ValueError:
        return reason.replace("_", " ")


@dataclass(frozen=True)
class Style:
    """How one chat marks up the shared sentences."""

    escape: Callable[[str], str]
    """Short text (names, reasons) shown literally."""
    line: Callable[[str], str]
    """A free-text line from an event (notes, failure details), shown literally."""
    bold: Callable[[str], str]
    emoji: Callable[[str], str]
    """By Slack short name (`inbox_tray`)."""
    person: Callable[[str], str]
    """An actor or notify id: a mention where the chat can, plain text otherwise."""
    author: Callable[[Mention], str]
    """The customer who wrote a mention."""
    quote: Callable[[str], str]
    """Customer or reviewer text as a block quote."""
    link: Callable[[str | None, str], str]
    """A link for http(s) URLs, "" for anything else."""
    place: Callable[[Department], str]
    """Where a rerouted case went."""
    para: str
    """What separates a sentence from the quote under it."""
    no_text: str
    """What to quote for a mention without text ("" when `quote` handles that itself)."""


def event_sentence(view: CaseView, event: CaseEvent, style: Style) -> str:
    """The thread reply for one event: what happened, by whom, and who should look now."""
    render = _EVENTS.get(event.kind, _note)
    body = render(view, event, style)
    notify = " ".join(style.person(n) for n in event.notify)
    if event.kind is EventKind.APPROVAL_REQUESTED:
        if notify:
            body += f": {notify}, please review."
        elif "no_other_approver" in event.extra:
            body += (
                ": nobody else can approve it, every approver is an author of this draft "
                "(ask an admin to add an approver to approval.approvers)."
            )
        else:
            body += ": nobody is set up to approve."
    elif event.kind is EventKind.TAKEN_OVER and "previous_owner" in event.extra:
        pass  # the previous owner is named (and so notified) in the sentence itself
    elif notify:
        body += f" → {notify}"
    return body


def _by(actor: str) -> str:
    return "" if actor == SYSTEM else f" by {actor}"


def _subject(view: CaseView, event: CaseEvent) -> Mention | None:
    return event.mention or (view.mentions[0] if view.mentions else None)


def _reason(event: CaseEvent, fallback: str | None = "") -> str:
    return (event.extra.get("reason") or fallback or "").strip()


def _created(view: CaseView, event: CaseEvent, s: Style) -> str:
    m = _subject(view, event)
    if m is None:
        return f"{s.emoji('inbox_tray')} New case {view.case.number}"
    return f"{s.emoji('inbox_tray')} New {KIND_WORDS[m.kind]} from {s.author(m)}"


def _mention(view: CaseView, event: CaseEvent, s: Style) -> str:
    m = _subject(view, event)
    if m is None:
        return s.line(event.text)
    return f"{s.author(m)} wrote:{s.para}{s.quote(m.text or s.no_text)}"


def _edited(view: CaseView, event: CaseEvent, s: Style) -> str:
    m = _subject(view, event)
    if m is None:
        return f"{s.emoji('pencil2')} {s.line(event.text)}"
    return (
        f"{s.emoji('pencil2')} {s.author(m)} edited their {KIND_WORDS[m.kind]}:"
        f"{s.para}{s.quote(m.text)}"
    )


def _removed(view: CaseView, event: CaseEvent, s: Style) -> str:
    m = _subject(view, event)
    if m is None:
        return f"{s.emoji('wastebasket')} {s.line(event.text)}"
    return (
        f"{s.emoji('wastebasket')} {s.author(m)} removed their {KIND_WORDS[m.kind]} on the platform"
    )


def _claimed(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('raising_hand')} Claimed by {s.person(event.actor)}"


def _unclaimed(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('wave')} {s.person(event.actor)} gave the case back: it needs a new owner"


def _drafted(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('memo')} Draft saved{_by(s.person(event.actor))}"


def _approval_requested(view: CaseView, event: CaseEvent, s: Style) -> str:
    c = view.case
    how = "privately" if c.private else "publicly"
    changed = event.extra.get("changed")
    if changed:
        return (
            f"{s.emoji('pencil2')} Draft changed while waiting: {s.person(event.actor)} changed "
            f"its {s.escape(changed)}. Approve the new text (reply {how})"
        )
    reasons = ", ".join(reason_words(r) for r in c.sensitive_reasons)
    why = f" ({s.escape(reasons)})" if reasons else ""
    return f"{s.emoji('eyes')} {s.person(event.actor)} asks for approval to reply {how}{why}"


def _approval_withdrawn(view: CaseView, event: CaseEvent, s: Style) -> str:
    changed = event.extra.get("changed")
    what = f" ({s.escape(changed)})" if changed else ""
    return (
        f"{s.emoji('warning')} Approval withdrawn: {s.person(event.actor)} changed the "
        f"draft{what}. It needs approval again before it goes out"
    )


def _taken_over(view: CaseView, event: CaseEvent, s: Style) -> str:
    previous = event.extra.get("previous_owner")
    before = f" from {s.person(previous)}" if previous else ""
    return f"{s.emoji('raising_hand')} {s.person(event.actor)} took the case over{before}"


def _approved(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('ballot_box_with_check')} Approved by {s.person(event.actor)}"


def _rejected(view: CaseView, event: CaseEvent, s: Style) -> str:
    reason = _reason(event, view.case.reject_reason)
    text = f"{s.emoji('leftwards_arrow_with_hook')} {s.person(event.actor)} sent the draft back"
    return f"{text}:{s.para}{s.quote(reason)}" if reason else text


def _publishing(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('outbox_tray')} Publishing the reply…"


def _published(view: CaseView, event: CaseEvent, s: Style) -> str:
    c = view.case
    last = c.published[-1] if c.published else {}
    private = bool(last.get("private")) if last else c.private
    text = f"{s.emoji('white_check_mark')} Reply published {'privately' if private else 'publicly'}"
    text += _by(s.person(event.actor))
    if url := s.link(last.get("url"), "view reply"):
        text += f" · {url}"
    return text


def _publish_failed(view: CaseView, event: CaseEvent, s: Style) -> str:
    detail = _reason(event, event.text.removeprefix("not published: "))
    detail = detail[:1].upper() + detail[1:]
    if not detail:
        detail = "Nothing was posted: edit the draft or publish again."
    return f"{s.emoji('x')} {s.bold('The reply was not published.')} {s.line(detail)}"


def _publish_unknown(view: CaseView, event: CaseEvent, s: Style) -> str:
    reason = _reason(event)
    why = f" ({s.line(reason)})" if reason else ""
    return (
        f"{s.emoji('warning')} {s.bold('The platform did not confirm the reply')}{why}. Look on "
        f"{platform_name(view.case.platform)}: if the reply is there, click "
        f"{s.bold('Confirm sent')}; if not, click {s.bold('Not sent')}, then publish again."
    )


def _rerouted(view: CaseView, event: CaseEvent, s: Style) -> str:
    text = (
        f"{s.emoji('twisted_rightwards_arrows')} {s.person(event.actor)} moved the case to "
        f"{s.place(view.department)}"
    )
    if event.previous_department is not None:
        text += f", from {s.bold(s.escape(event.previous_department.name))}"
    return text


def _dismissed(view: CaseView, event: CaseEvent, s: Style) -> str:
    reason = dismiss_words(_reason(event, view.case.dismiss_reason))
    why = f": {s.escape(reason)}" if reason else ""
    return (
        f"{s.emoji('no_entry_sign')} {s.person(event.actor)} dismissed the case{why}. "
        "Nothing was deleted on the platform."
    )


def _reopened(view: CaseView, event: CaseEvent, s: Style) -> str:
    m = event.mention
    if m is None:
        return f"{s.emoji('arrows_counterclockwise')} The case is open again"
    return (
        f"{s.emoji('arrows_counterclockwise')} {s.author(m)} wrote again, the case is open again:"
        f"{s.para}{s.quote(m.text or s.no_text)}"
    )


def _closed(view: CaseView, event: CaseEvent, s: Style) -> str:
    note = event.text.strip()
    if note and note.lower() != "closed":
        return f"{s.emoji('lock')} Case closed: {s.line(note)}"
    return f"{s.emoji('lock')} Case closed"


def _note(view: CaseView, event: CaseEvent, s: Style) -> str:
    return s.line(event.text)


def _escalated(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('rotating_light')} {s.line(event.text)}"


def _approval_waiting(view: CaseView, event: CaseEvent, s: Style) -> str:
    return f"{s.emoji('hourglass')} {s.line(event.text)}"


def _snoozed(view: CaseView, event: CaseEvent, s: Style) -> str:
    until = event.text.split(" until ", 1)[-1] if " until " in event.text else "later"
    return f"{s.emoji('zzz')} {s.person(event.actor)} snoozed the reminders until {s.line(until)}"


_EVENTS: dict[EventKind, Callable[[CaseView, CaseEvent, Style], str]] = {
    EventKind.CREATED: _created,
    EventKind.MENTION: _mention,
    EventKind.MENTION_EDITED: _edited,
    EventKind.MENTION_REMOVED: _removed,
    EventKind.CLAIMED: _claimed,
    EventKind.TAKEN_OVER: _taken_over,
    EventKind.UNCLAIMED: _unclaimed,
    EventKind.DRAFTED: _drafted,
    EventKind.APPROVAL_REQUESTED: _approval_requested,
    EventKind.APPROVED: _approved,
    EventKind.APPROVAL_WITHDRAWN: _approval_withdrawn,
    EventKind.REJECTED: _rejected,
    EventKind.PUBLISHING: _publishing,
    EventKind.PUBLISHED: _published,
    EventKind.PUBLISH_FAILED: _publish_failed,
    EventKind.PUBLISH_UNKNOWN: _publish_unknown,
    EventKind.REROUTED: _rerouted,
    EventKind.DISMISSED: _dismissed,
    EventKind.REOPENED: _reopened,
    EventKind.CLOSED: _closed,
    EventKind.NOTE: _note,
    EventKind.ESCALATED: _escalated,
    EventKind.APPROVAL_WAITING: _approval_waiting,
    EventKind.SNOOZED: _snoozed,
}


def clip(text: str, limit: int) -> str:
    """Raw text cut to `limit` characters, marked with … so nobody trusts it whole; clip
    before escaping, never after."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def one_line(text: str) -> str:
    return " ".join(text.split())


def aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def author_label(m: Mention, *, escape: Callable[[str], str], bold: Callable[[str], str]) -> str:
    """The author as "**Name** (@handle)", in the chat's own markup."""
    a = m.author
    name = bold(escape(clip(one_line(a.name), 100))) if a.name.strip() else ""
    handle = f"@{escape(clip(a.handle, 60))}" if a.handle else ""
    if name and handle:
        return f"{name} ({handle})"
    return name or handle or escape(a.id)


def author_plain(m: Mention) -> str:
    return one_line(m.author.name) or (f"@{m.author.handle}" if m.author.handle else m.author.id)


def mention_marks(m: Mention, case: Case, *, answered: bool = True) -> str:
    """Edited, removed on the platform, answered: what staff should notice about a comment."""
    marks = []
    if m.change is Change.EDITED:
        marks.append("_(edited)_")
    if m.change is Change.REMOVED:
        marks.append("_(removed on the platform)_")
    if answered and m.key in case.answered_keys:
        marks.append("✓ answered")
    return " ".join(marks)


def shown_flags(case: Case) -> list[str]:
    """The case's badges in display order: sensitive first, personal data whenever found."""
    flags = list(dict.fromkeys(case.flags))
    if case.sensitive_reasons and "sensitive" not in flags:
        flags.insert(0, "sensitive")
    if case.pii and "personal_data" not in flags:
        flags.append("personal_data")
    return flags
