"""What every chat shows of a case, decided once, as data.

A case card, a digest, a batch of pings, a weekly report: pure functions of the workflow's
data that say which sections, words, people, links and controls there are. Slack, Teams and
the console only mark these up (Block Kit, Adaptive Cards, a terminal panel) and fit them to
their own limits, trying smaller `Room`s until the markup fits.

Controls follow the workflow's own table (`ALLOWED`), so no chat ever offers a click the
state machine would refuse; a control's values are chat-neutral (a department id, a mention
key, a dismiss reason, a snooze choice) and each chat encodes them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from chatops.chat.actions import Action
from chatops.chat.backend import CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.rich import (
    Code,
    Emoji,
    Faint,
    Line,
    Link,
    Person,
    Place,
    Span,
    Strong,
    Text,
    When,
    audience,
    aware,
    clip,
    joined,
    one_line,
    plain,
)
from chatops.chat.snooze import CHOICES as SNOOZE_CHOICES
from chatops.chat.wording import (
    APPROVE_LABEL,
    DISMISS_WORDS,
    KIND_WORDS,
    SPAM_HINT,
    author,
    author_plain,
    dismiss_words,
    earlier_line,
    intent_words,
    mention_marks,
    overdue_line,
    platform_name,
    reason_words,
    shown_flags,
    shown_suggestion,
    similar_line,
    suggested_words,
)
from chatops.domain import Case, DismissReason, Mention, State
from chatops.drafting import Intent
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import ALLOWED, fingerprint, target_of_publish


@dataclass(frozen=True)
class Room:
    """How much of each text a case card shows; chats try `ROOMS` in turn until one fits."""

    quote: int = 2500  # characters of the first mention, the draft shown as text, a reason
    compact: int = 200  # characters of each later mention
    later: int = 20  # later mentions listed (the rest are counted)
    label: int = 75  # characters of a menu option


ROOMS = (
    Room(),
    Room(1500, 120, 10, 60),
    Room(600, 80, 5, 40),
    Room(200, 40, 3, 20),
    Room(100, 20, 0, 12),
)


# -- controls ---------------------------------------------------------------------------------


class Tone(StrEnum):
    PLAIN = "plain"
    PRIMARY = "primary"  # the click the state invites
    DANGER = "danger"  # closes or sends back


@dataclass(frozen=True)
class Confirm:
    """A second question before an irreversible click; `quote` is the draft about to go out.
    `line` says `text` as rich text, naming people, for chats whose dialogs can show it."""

    title: str
    text: str
    yes: str
    quote: str = ""
    line: Line | None = None


@dataclass(frozen=True)
class Button:
    action: Action
    label: str
    case_id: str
    tone: Tone = Tone.PLAIN
    confirm: Confirm | None = None
    choice: str = ""  # what the button picks, for actions that take one (USE_ANSWER)


@dataclass(frozen=True)
class Option:
    label: str
    value: str  # chat-neutral: a department id, a mention key, a dismiss reason, a snooze choice


@dataclass(frozen=True)
class Menu:
    """A choice among `options`, acting at once when one is picked."""

    action: Action
    label: str  # the placeholder, or the heading of the choice
    case_id: str
    options: tuple[Option, ...]
    current: str | None = None
    confirm: Confirm | None = None


Control = Button | Menu


def _allowed(cmd: Command, state: State) -> bool:
    return state in ALLOWED[cmd]


def case_controls(
    view: CaseView, departments: Sequence[Department] = (), *, label: int = 75
) -> tuple[Control, ...]:
    """What can be done to the case from chat now, most likely first; empty when nothing.

    Publishing also needs a draft; on a sensitive case Publish asks comms instead (unless an
    approval covers exactly that reply), and asking needs no confirmation: nothing goes out.
    """
    c = view.case
    if c.state is State.PUBLISH_UNKNOWN:
        return (
            Button(Action.CONFIRM_SENT, "Confirm sent", c.id, Tone.PRIMARY),
            Button(Action.CONFIRM_NOT_SENT, "Not sent", c.id),
        )
    s = c.state
    out: list[Control] = []
    if _allowed(Command.CLAIM, s) and not c.owner:
        out.append(Button(Action.CLAIM, "Claim", c.id, Tone.PRIMARY))
    if _allowed(Command.UNCLAIM, s) and c.owner:
        out.append(Button(Action.UNCLAIM, "Give back", c.id))
    if _allowed(Command.TAKE_OVER, s) and c.owner:
        out.append(take_over(c))
    if _allowed(Command.EDIT, s):
        out.append(Button(Action.EDIT, "Edit draft" if c.draft.strip() else "Write reply", c.id))
    if _allowed(Command.PUBLISH, s) and c.draft.strip():
        out.extend(_publish_buttons(c))
    if _allowed(Command.APPROVE, s):
        how = "privately" if c.private else "publicly"
        confirm = Confirm(
            "Approve and publish?",
            f"The reply goes out {how} on {platform_name(c.platform)} at once.",
            APPROVE_LABEL,
            c.draft,
        )
        out.append(Button(Action.APPROVE, APPROVE_LABEL, c.id, Tone.PRIMARY, confirm))
    if _allowed(Command.REJECT, s):
        out.append(Button(Action.REJECT, "Send back", c.id, Tone.DANGER))
    if _allowed(Command.REROUTE, s):
        options = tuple(
            Option(clip(d.name or d.id, label), d.id) for d in departments if d.id != c.department
        )
        if options:
            out.append(Menu(Action.REROUTE, "Move to…", c.id, options))
    if _allowed(Command.REPLY_TO, s) and len(view.mentions) > 1:
        options = reply_options(view, label)
        if len(options) > 1:
            current = c.reply_to if c.reply_to in {o.value for o in options} else None
            out.append(Menu(Action.REPLY_TO, "Answer…", c.id, options, current))
    if _allowed(Command.TEMPLATE, s) and view.templates:
        out.append(template_menu(view))
    if _allowed(Command.SNOOZE, s):
        out.append(snooze_menu(c.id))
    if _allowed(Command.DISMISS, s):
        out.append(dismiss_menu(c.id))
    return tuple(out)


def template_menu(view: CaseView) -> Menu:
    """Another reply template in the customer's language, greeting the comment answered; the
    current one is marked while the draft is still a template's."""
    c = view.case
    options = tuple(Option(intent_words(i), i) for i in view.templates)
    current = c.intent if c.draft_author == SYSTEM and c.intent in view.templates else None
    return Menu(Action.TEMPLATE, "Use template…", c.id, options, current)


def take_over(c: Case) -> Button:
    """Shown to everyone while someone owns the case; the confirm says who loses it."""
    rest = "? They are told in the thread; from then on only you edit and publish it."
    line: Line = (Text(f"Take over {c.number} from "), Person(c.owner or "", notify=False))
    confirm = Confirm(
        f"Take over {c.number}?",
        f"Take over {c.number} from its owner{rest}",
        "Take over",
        line=(*line, Text(rest)),
    )
    return Button(Action.TAKE_OVER, "Take over", c.id, confirm=confirm)


def _publish_buttons(c: Case) -> list[Control]:
    """Publish and reply privately; each asks comms first unless an approval covers exactly
    that reply (one for a private reply does not cover a public one)."""
    where = platform_name(c.platform)
    if target_of_publish(c, private=False) is State.AWAITING_APPROVAL:
        public = Button(Action.PUBLISH, "Request approval", c.id, Tone.PRIMARY)
    else:
        confirm = Confirm(
            "Publish this reply?", f"Posted publicly on {where} at once.", "Publish", c.draft
        )
        tone = Tone.PLAIN if c.private else Tone.PRIMARY
        public = Button(Action.PUBLISH, "Publish", c.id, tone, confirm)
    if target_of_publish(c, private=True) is State.AWAITING_APPROVAL:
        private = Button(Action.PRIVATE, "Request approval (private)", c.id)
    else:
        confirm = Confirm(
            "Send privately?", f"Sent as a private message on {where}.", "Send", c.draft
        )
        tone = Tone.PRIMARY if c.private else Tone.PLAIN
        private = Button(Action.PRIVATE, "Reply privately", c.id, tone, confirm)
    return [public, private]


def reply_options(view: CaseView, label: int = 75) -> tuple[Option, ...]:
    """Every comment of the case not answered yet, oldest first: which one the draft answers."""
    c = view.case
    return tuple(
        Option(clip(f"{author_plain(m)}: {one_line(m.text)}", label), m.key)
        for m in view.mentions
        if m.key not in c.answered_keys and m.key in c.mention_keys
    )


def snooze_menu(case_id: str) -> Menu:
    """Quiet a case's reminders for a while without losing it."""
    options = tuple(Option(f"Snooze {words}", key) for key, words in SNOOZE_CHOICES.items())
    return Menu(Action.SNOOZE, "Snooze…", case_id, options)


def dismiss_menu(case_id: str) -> Menu:
    """Close without a reply; the confirm says that nothing is deleted on the platform."""
    options = tuple(Option(f"Dismiss: {DISMISS_WORDS[r]}", r.value) for r in DismissReason)
    confirm = Confirm(
        "Dismiss this case?",
        "It is closed without a reply. Nothing is deleted on the platform.",
        "Dismiss",
    )
    return Menu(Action.DISMISS, "Dismiss…", case_id, options, confirm=confirm)


# -- the case card ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quoted:
    """Someone's text under a heading: a customer's comment, a draft."""

    head: Line
    text: str


@dataclass(frozen=True)
class Draft:
    """The reply as it stands. `text` is whole (a chat that edits it in place must not lose
    any); `text == ""` means there is none yet, and each chat says how to write one."""

    label: str  # "Draft" or "Reply sent"
    details: Line  # by whom, private, in reply to whom, approved by, characters left
    text: str
    blocked: str | None  # why Publish is refused by the platform right now


@dataclass(frozen=True)
class Offer:
    """An answered case like this one: who answered it and when, the start of the answer,
    and the button that makes it the draft (adapted to this customer)."""

    line: Line
    text: str
    use: Button


USE_ANSWER_LABEL = "Use this answer"


@dataclass(frozen=True)
class CaseCard:
    case_id: str
    seen: str  # fingerprint of the draft shown: a send click acts only on that draft
    title: str
    meta: Line
    warning: Line | None
    first: Quoted | None
    later: tuple[Line, ...]
    later_total: int
    draft: Draft | None  # None on a dismissed case
    sent_back: str | None
    status: Line
    controls: tuple[Control, ...]
    earlier: Line | None = None  # the customer's earlier cases
    similar: tuple[Offer, ...] = ()  # answered cases like it, to start the draft from


STATE_WORDS: dict[State, tuple[str, str]] = {
    State.NEW: ("new", "new, waiting for someone to claim it"),
    State.CLAIMED: ("raising_hand", "claimed, no draft yet"),
    State.DRAFTED: ("memo", "draft ready"),
    State.AWAITING_APPROVAL: ("hourglass_flowing_sand", "waiting for approval"),
    State.APPROVED: ("ballot_box_with_check", "approved"),
    State.PUBLISHING: ("outbox_tray", "publishing…"),
    State.PUBLISHED: ("white_check_mark", "published"),
    State.CLOSED: ("white_check_mark", "closed"),
    State.DISMISSED: ("no_entry_sign", "dismissed"),
    State.PUBLISH_UNKNOWN: ("warning", "the reply may not have gone out: check, then confirm"),
    State.STORM: ("cyclone", "in a storm: listed in the storm thread"),
}

BADGES = {
    "sensitive": ("warning", "sensitive"),
    "high_reach": ("loudspeaker", "high reach"),
    "personal_data": ("lock", "personal data"),
    "possible_spam": ("wastebasket", "possible spam"),
}
"""Known case flags: emoji and words; any other flag shows with a flag and its name."""

NO_TEXT = "(no text)"


def case_card(
    view: CaseView,
    *,
    now: datetime,
    departments: Sequence[Department] = (),
    approvers_known: bool = True,
    room: Room = ROOMS[0],
    links: Mapping[str, str] | None = None,
) -> CaseCard:
    """The whole case: who wrote what, the draft, the status and what can be done now.

    `approvers_known=False` warns on a sensitive case that nobody is configured to approve it;
    `links` maps case ids to their thread's URL (the customer's last earlier case links there).
    """
    c = view.case
    warning: Line | None = None
    if c.needs_approval and c.is_open and not approvers_known:
        warning = (
            Emoji("warning"),
            Text(" This reply needs approval, but no approvers are configured ("),
            Code("approval.approvers"),
            Text("): nobody can approve it."),
        )
    elif looks_like_spam(c):
        warning = SPAM_HINT
    later = view.mentions[1:]
    sent_back = None
    if c.reject_reason and c.state in (State.DRAFTED, State.AWAITING_APPROVAL):
        sent_back = clip(c.reject_reason, room.quote)
    return CaseCard(
        case_id=c.id,
        seen=fingerprint(c),
        title=f"Case {c.number} · {view.department.name}",
        meta=meta_line(view, room.quote),
        warning=warning,
        first=_first(view.mentions[0], c, room.quote) if view.mentions else None,
        later=tuple(_later(m, c, room.compact) for m in later[: room.later]),
        later_total=len(later),
        draft=None if c.state is State.DISMISSED else _draft(view),
        sent_back=sent_back,
        status=status_line(view, now),
        controls=()
        if c.state in _NO_ACTIONS
        else case_controls(view, departments, label=room.label),
        earlier=None
        if view.earlier is None
        else earlier_line(view.earlier, now, (links or {}).get(view.earlier.case_id)),
        similar=similar_offers(view, now, links or {}, room.compact),
    )


def similar_offers(
    view: CaseView, now: datetime, links: Mapping[str, str], chars: int = ROOMS[0].compact
) -> tuple[Offer, ...]:
    """The answered cases like this one while its draft can still be written: each with
    the start of its answer (`chars`) and "Use this answer"; `links` maps case ids to their
    thread's URL."""
    c = view.case
    if not _allowed(Command.EDIT, c.state):
        return ()
    zone = view.department.zone
    return tuple(
        Offer(
            similar_line(s, now, zone, links.get(s.case_id)),
            clip(one_line(s.text), chars),
            Button(Action.USE_ANSWER, USE_ANSWER_LABEL, c.id, choice=s.case_id),
        )
        for s in view.similar
    )


_NO_ACTIONS = frozenset({State.PUBLISHING, State.PUBLISHED, State.CLOSED, State.DISMISSED})


def looks_like_spam(c: Case) -> bool:
    """An open case drafted as spam and still without a reply: the card suggests dismissing it
    (the Dismiss menu is among its controls) rather than leaving an empty draft unexplained."""
    return c.intent == Intent.SPAM.value and c.is_open and not c.draft.strip()


def later_head(card: CaseCard) -> Line:
    """The heading of the later mentions: how many there are, all of them."""
    return (Strong("Also in this thread"), Text(f" ({card.later_total})"))


SENT_BACK: Line = (Emoji("leftwards_arrow_with_hook"), Text(" "), Strong("Sent back:"))
"""The heading of the reason an approver gave (`CaseCard.sent_back`)."""


def blocked_line(reason: str) -> Line:
    """Why the platform refuses to publish the draft now (`Draft.blocked`)."""
    return (Emoji("no_entry"), Text(" "), Strong("Publish is refused:"), Text(f" {reason}"))


def where_parts(view: CaseView) -> list[Line]:
    """Where the customer wrote: platform and kind, the brand's account, the language."""
    c = view.case
    kind = KIND_WORDS[view.mentions[0].kind] if view.mentions else ""
    parts: list[Line] = [(Strong(platform_name(c.platform)), Text(f" {kind}" if kind else ""))]
    if c.account:
        parts.append((Text(c.account),))
    parts.append((Emoji("speech_balloon"), Text(f" {c.language or 'language unknown'}")))
    return parts


def meta_line(view: CaseView, chars: int = 500) -> Line:
    """Platform and kind, account, language and the case's badges."""
    badges = (_badge(view.case, flag, chars) for flag in shown_flags(view.case))
    return joined([*where_parts(view), *badges])


def _badge(c: Case, flag: str, chars: int) -> Line:
    emoji, words = BADGES.get(flag, ("triangular_flag_on_post", flag.replace("_", " ")))
    details: list[str] = []
    if flag == "sensitive":
        details = [reason_words(r) for r in c.sensitive_reasons]
    elif flag == "personal_data":
        details = list(c.pii)
    extra = (Text(f" ({clip(', '.join(details), chars)})"),) if details else ()
    return (Emoji(emoji), Text(" "), Strong(words), *extra)


def _first(m: Mention, c: Case, chars: int) -> Quoted:
    head: list[Line] = [author(m)]
    if m.author.followers is not None:
        head.append((Text(f"{m.author.followers:,} followers"),))
    if m.url:
        head.append((Link(m.url, f"View on {platform_name(m.platform)}"),))
    marks = mention_marks(m, c)
    line = joined(head) + ((Text("  "), *marks) if marks else ())
    return Quoted(line, clip(m.text, chars) or NO_TEXT)


def _later(m: Mention, c: Case, chars: int) -> Line:
    text: Span = Text(clip(one_line(m.text), chars)) if m.text.strip() else Faint(NO_TEXT)
    tail = mention_marks(m, c, answered=False)
    if m.url:
        tail = joined([tail, (Link(m.url, "view"),)], " ")
    bullet = "✓" if m.key in c.answered_keys else "•"
    return (
        Text(f"{bullet} "),
        *author(m),
        Text(": "),
        text,
        *((Text("  "), *tail) if tail else ()),
    )


def _draft(view: CaseView) -> Draft:
    c = view.case
    sent = c.state in (State.PUBLISHED, State.CLOSED) and bool(c.published)
    details: list[Line] = []
    suggested = shown_suggestion(c)
    if suggested is not None:
        details.append((Emoji("robot_face"), Text(" " + suggested_words(suggested))))
    elif c.draft_author == SYSTEM:
        details.append((Text("from the template"),))
    elif c.draft_author:
        details.append((Text("by "), Person(c.draft_author, notify=False)))
    if c.private:
        details.append((Emoji("lock"), Text(" private reply")))
    target = reply_target(view)
    if target is not None:
        details.append((Text("in reply to "), *author(target)))
    if c.approved_by and c.state is not State.AWAITING_APPROVAL:
        details.append((Text("approved by "), Person(c.approved_by, notify=False)))
    if view.max_length is not None and view.draft_length is not None and not sent:
        left = view.max_length - view.draft_length
        if left >= 0:
            details.append((Text(f"{left:,} characters left"),))
        else:
            details.append((Emoji("no_entry"), Text(f" {-left:,} characters over the limit")))
    blocked = view.blocked if view.blocked and c.is_open and not sent else None
    return Draft(
        label="Reply sent" if sent else "Draft",
        details=joined(details) if c.draft.strip() else (),
        text=c.draft if c.draft.strip() else "",
        blocked=blocked,
    )


def reply_target(view: CaseView) -> Mention | None:
    """The mention the draft answers, named only when it is not the first one."""
    key = view.case.reply_to
    if not key or not view.mentions or view.mentions[0].key == key:
        return None
    return next((m for m in view.mentions if m.key == key), None)


def status_line(view: CaseView, now: datetime) -> Line:
    c = view.case
    emoji, words = STATE_WORDS[c.state]
    status: list[Span] = [Emoji(emoji), Text(f" {words}")]
    if c.state is State.DISMISSED and c.dismiss_reason:
        status.append(Text(f": {dismiss_words(c.dismiss_reason)}"))
    if c.state in (State.PUBLISHED, State.CLOSED) and c.published:
        last = c.published[-1]
        status.append(Text(" privately" if last.get("private") else " publicly"))
        if last.get("url"):
            status += [Text(" · "), Link(str(last["url"]), "view reply")]
    owner: Span = Person(c.owner) if c.owner else Text("unclaimed")
    parts: list[Line] = [
        (Strong("Status:"), Text(" "), *status),
        (Strong("Owner:"), Text(" "), owner),
    ]
    zone = view.department.zone
    if view.due_at is not None and c.is_open:
        due: Line = (Emoji("alarm_clock"), Text(" first answer due "), When(view.due_at, zone))
        if aware(view.due_at) < aware(now):
            due += (Text(" "), Strong("(overdue)"))
        parts.append(due)
    if c.snoozed_until is not None and c.is_open and aware(c.snoozed_until) > aware(now):
        parts.append((Emoji("zzz"), Text(" reminders snoozed until "), When(c.snoozed_until, zone)))
    return joined(parts)


def preview(view: CaseView, limit: int = 300) -> str:
    """The case in one plain line (notifications, screen readers, a card's summary)."""
    head = f"Case {view.case.number} · {view.department.name}"
    if view.mentions:
        m = view.mentions[0]
        head += f" · {author_plain(m)}: {one_line(clip(m.text, 600))}"
    return clip(head, limit)


def moved(view: CaseView, to: Department) -> tuple[Line, Line | None]:
    """What a case's old message says after it moved to another channel: where it went, and
    who it was about."""
    line: Line = (
        Emoji("twisted_rightwards_arrows"),
        Text(" "),
        Strong(f"Case {view.case.number}"),
        Text(" moved to "),
        Place(to.channel, to.name),
        Text(": the thread continues there."),
    )
    if not view.mentions:
        return line, None
    m = view.mentions[0]
    return line, (*author(m), Text(f": {clip(one_line(m.text), 150)}"))


# -- digest, pings, report --------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One case in a list message (digest, batched pings), with what can be done to it."""

    case_id: str
    line: Line
    detail: str  # a second, quieter line ("" for none)
    controls: tuple[Control, ...]


@dataclass(frozen=True)
class Listing:
    """A message listing cases: a heading, an entry per case, and a line for those left out."""

    head: Line
    entries: tuple[Entry, ...]
    notification: str  # the plain text a phone shows

    def more(self, shown: int, lister: str = "/chatops") -> Line:
        """What stands for the entries a chat could not fit; `lister` is the chat's command
        that lists them all."""
        left = len(self.entries) - shown
        return (Faint(f"…and {left} more: "), Code(lister), Faint(" lists them all."))


def age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours < 48 else f"{hours // 24} days"


def _thread(links: dict[str, str], case_id: str) -> Line:
    url = links.get(case_id)
    return (Link(url, "open thread"),) if url else ()


def _owner(owner: str | None) -> Span:
    return Person(owner) if owner else Faint("unclaimed")


DIGEST_MARKS = {"overdue": ("alarm_clock", "overdue"), "sensitive": BADGES["sensitive"]}
"""How a digest marks a case past its first-response time, and one whose reply needs approval."""


def digest_marks(item: DigestItem) -> list[str]:
    """The marks of one digest line, in `DIGEST_MARKS` order."""
    return [mark for mark, on in (("overdue", item.overdue), ("sensitive", item.sensitive)) if on]


def digest_mark(mark: str) -> Line:
    emoji, words = DIGEST_MARKS[mark]
    return (Emoji(emoji), Text(" "), Strong(words))


def digest_head(department: Department, items: Sequence[DigestItem]) -> Line:
    """How many wait in the department, how long the oldest has waited, and how many of them
    are overdue or sensitive."""
    count = f"{len(items)} unanswered case{'s' if len(items) != 1 else ''} in {department.name}"
    parts: list[Line] = [(Text(count),)]
    if items:
        oldest = max(item.age for item in items)
        parts.append((Text(f"oldest waiting {age(oldest)}"),))
    for mark in DIGEST_MARKS:
        marked = sum(1 for item in items if mark in digest_marks(item))
        if marked:
            emoji, words = DIGEST_MARKS[mark]
            parts.append((Emoji(emoji), Text(f" {marked} {words}")))
    return joined(parts)


def digest(
    department: Department,
    items: Sequence[DigestItem],
    links: dict[str, str],
    *,
    personal: bool = False,
) -> Listing:
    """The morning digest: one entry per unanswered case, oldest first, its overdue and
    sensitive marks first, Claim while unowned and Snooze. `links` maps case ids to their
    thread's URL. `personal`: the copy sent to a lead directly, without buttons, since cases
    are acted on from their department's channel (`chat.scope`): its links lead there."""
    head = digest_head(department, items)
    entries = []
    for item in items:
        marks = [digest_mark(mark) for mark in digest_marks(item)]
        line = joined(
            [
                (Strong(item.number),),
                *marks,
                (Text(f"waiting {age(item.age)}"),),
                (_owner(item.owner),),
                (Text(item.state.replace("_", " ")),),
                _thread(links, item.case_id),
            ]
        )
        controls: list[Control] = []
        if not personal and not item.storm:  # a storm is acted on in its own thread
            if not item.owner:
                controls.append(Button(Action.CLAIM, "Claim", item.case_id))
            controls.append(snooze_menu(item.case_id))
        entries.append(
            Entry(item.case_id, line, clip(one_line(item.summary), 200), tuple(controls))
        )
    return Listing(head, tuple(entries), plain(head))


def pings(
    department: Department,
    items: Sequence[PingItem],
    links: dict[str, str],
    notify: Sequence[str],
) -> Listing:
    """One scan's escalations in one department: `notify` called once, then an entry per case
    (what fired, its owner, its thread) with Claim while unowned, else Snooze."""
    count = f"{len(items)} case{'s' if len(items) != 1 else ''}"
    need = "needs" if len(items) == 1 else "need"
    called = audience(notify)
    head: Line = (
        Emoji("rotating_light"),
        Text(" "),
        *called,
        Text(" " if called else ""),
        Text(f"{count} in "),
        Strong(department.name),
        Text(f" {need} someone now"),
    )
    entries = []
    for item in items:
        line = joined(
            [
                overdue_line(item.number, item.overdue),
                (_owner(item.owner),),
                _thread(links, item.case_id),
            ]
        )
        controls: tuple[Control, ...] = (
            ()  # a storm (its id has a colon): its summary holds what can be done
            if ":" in item.case_id
            else (snooze_menu(item.case_id),)
            if item.owner
            else (Button(Action.CLAIM, "Claim", item.case_id, Tone.PRIMARY),)
        )
        entries.append(Entry(item.case_id, line, "", controls))
    people = " ".join("@here" if n in ("here", "channel") else n for n in notify)
    text = f"{people}{' ' if people else ''}{count} in {department.name} {need} someone now"
    return Listing(head, tuple(entries), text)


PINGS = frozenset({EventKind.ESCALATED, EventKind.APPROVAL_WAITING})
"""Events that call people to act on a case: shown with `ping_controls`."""


def ping_controls(view: CaseView) -> tuple[Control, ...]:
    """A ping in a case's thread is something to act on: Claim (while unowned) and Snooze."""
    claim = () if view.case.owner else (Button(Action.CLAIM, "Claim", view.case.id, Tone.PRIMARY),)
    return (*claim, snooze_menu(view.case.id))


@dataclass(frozen=True)
class Report:
    """The weekly KPI report: a title, its lines, and the chart (a PNG) when there is one."""

    title: str
    lines: tuple[Line, ...]
    chart: bytes | None = None
