"""Every sentence the chats say about a case, worded once.

Slack, Teams and the console say the same sentences and differ only in markup, so the words
live here as rich text (`chatops.chat.rich`): a `Sentence` is a line of spans and, where the
event quotes someone (a customer's comment, a reviewer's reason), the quoted text. The word
tables the case card shares (kinds, dismiss reasons, sensitivity reasons) live here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.base import display_name
from chatops.chat.backend import (
    CaseEvent,
    CaseView,
    DraftChange,
    Earlier,
    EventKind,
    SimilarAnswer,
)
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
    one_line,
)
from chatops.domain import (
    Case,
    Change,
    DismissReason,
    Kind,
    Mention,
    NotPublished,
    Overdue,
    State,
    Suggested,
    draft_digest,
)
from chatops.durations import format_duration
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

INTENT_WORDS = {
    "greeting": "Greeting",
    "thanks": "Thanks",
    "apology": "Apology",
    "looking_into_it": "Looking into it",
    "move_to_private": "Move to a private message",
    "outage": "Outage: we're on it",
    "press": "Press: to our press office",
}
"""What each reply template is for (chatops.drafting.Intent values), as staff choose it."""

SPAM_HINT: Line = (Emoji("wastebasket"), Text(" Looks like spam — Dismiss?"))
"""Shown on an open case drafted as spam (`Intent.SPAM`): it gets no draft, a person decides."""


def intent_words(intent: str) -> str:
    return INTENT_WORDS.get(intent, intent.replace("_", " ").capitalize())


CHANGE_WORDS = {
    DraftChange.TEXT: "text",
    DraftChange.REPLY_TARGET: "reply target",
    DraftChange.VISIBILITY: "public/private",
}

NEXT_STEPS = {
    NotPublished.REFUSED: "Retrying will not help: fix the cause or reply privately",
    NotPublished.UNAVAILABLE: "Nothing was posted; publish again when the platform is back",
}
"""What to do after a failed publish, by why it failed (the rest have sentences of their own)."""

LINE_CHARS = 500
"""Characters of a free-text detail (a failure's reason, a note) shown in a sentence."""


def reason_words(reason: str) -> str:
    """`keyword:lawsuit` → `“lawsuit”`, `reach:25000` → `25,000 followers`, `promise:money` →
    `the model's draft mentions money`; others as given."""
    kind, _, value = reason.partition(":")
    if kind == "keyword" and value:
        return f"“{value}”"
    if kind == "reach" and value.isdigit():
        return f"{int(value):,} followers"
    if kind == "department" and value:
        return f"{value} department"
    if kind == "promise" and value:
        return f"the model's draft mentions {value}"
    return reason.replace("_", " ")


def platform_name(name: str) -> str:
    """The platform's display name, as its module in `adapters/` declares it."""
    return display_name(name)


def dismiss_words(reason: str) -> str:
    try:
        return DISMISS_WORDS[DismissReason(reason)]
    except ValueError:
        return reason.replace("_", " ")


def _earlier_state(state: State) -> str:
    if state in (State.PUBLISHED, State.CLOSED):
        return "answered"
    if state is State.DISMISSED:
        return "dismissed"
    if state is State.PUBLISH_UNKNOWN:
        return "maybe answered"
    return "still open"


def _days_ago(then: datetime, now: datetime) -> str:
    days = (aware(now) - aware(then)).days
    if days <= 0:
        return "today"
    return "yesterday" if days == 1 else f"{days} days ago"


def earlier_line(earlier: Earlier, now: datetime, link: str | None = None) -> Line:
    """The customer's history on a case card: "3 earlier cases, last 12 days ago: #1012
    answered", the last one linked to its thread when the chat knows the link."""
    count = earlier.count
    head = f" {count} earlier case{'s' if count != 1 else ''}, "
    when = _days_ago(earlier.opened_at, now)
    last = f"last {when}" if count != 1 else when
    number: Span = Link(link, earlier.number) if link else Strong(earlier.number)
    return (
        Emoji("card_index_dividers"),
        Text(head + last + ": "),
        number,
        Text(f" {_earlier_state(earlier.state)}"),
    )


def similar_line(similar: SimilarAnswer, now: datetime, zone: str, link: str | None = None) -> Line:
    """An answered case like this one: "Similar: #1042, answered by @bo 3 days ago (Nov 20
    at 10:30)", its number linked to its thread when the chat knows the link."""
    number: Span = Link(link, similar.number) if link else Strong(similar.number)
    return (
        Emoji("bulb"),
        Text(" Similar: "),
        number,
        Text(", answered by "),
        Person(similar.by, notify=False),
        Text(f" {_days_ago(similar.at, now)} ("),
        When(similar.at, zone),
        Text(")"),
    )


def draft_hint(prefix: str = ">>") -> Line:
    """Told once to a person who replies in a case's thread without `>>` (only they see it):
    `prefix` is what makes a thread reply the draft in their chat."""
    return (
        Emoji("bulb"),
        Text(
            " Replies in this thread stay internal: the customer never sees them. To make "
            "one the draft, start it with "
        ),
        Code(prefix),
        Text(" (for example "),
        Code(f"{prefix} Hi Anna, thanks for waiting!"),
        Text("). Nothing goes out until someone publishes it."),
    )


@dataclass(frozen=True)
class Sentence:
    """One thing said in a case's thread: a line, and the text it quotes (if any)."""

    line: Line
    quote: str | None = None


def event_sentence(view: CaseView, event: CaseEvent) -> Sentence:
    """The thread reply for one event: what happened, by whom, and who should look now."""
    said = _EVENTS[event.kind](view, event)
    notify = audience(event.notify)
    if event.kind is EventKind.APPROVAL_REQUESTED:
        if notify:
            tail: Line = (Text(": "), *notify, Text(", please review."))
        elif event.no_other_approver:
            tail = (
                Text(
                    ": nobody else can approve it, every approver is an author of this draft "
                    "(ask an admin to add an approver to approval.approvers)."
                ),
            )
        else:
            tail = (Text(": nobody is set up to approve."),)
    elif event.kind is EventKind.TAKEN_OVER and event.previous_owner:
        tail = ()  # the previous owner is named (and so notified) in the sentence itself
    elif notify:
        tail = (Text(" → "), *notify)
    else:
        tail = ()
    return Sentence((*said.line, *tail), said.quote)


def overdue_line(number: str, overdue: Overdue | None) -> Line:
    """What an escalation tier found late about case `number`: its thread line and its entry
    in the batched ping say the same."""
    if overdue is None:
        return (Text(f"{number} needs someone now"),)
    if overdue.clock == "claim":
        return (Text(f"{number} is still unclaimed: who takes it?"),)
    if overdue.clock == "first_response":
        return (Text(f"{number} has had no answer within its first-response time"),)
    return (Text(f"{number} has waited {format_duration(overdue.wait)} without an answer"),)


def author(m: Mention) -> Line:
    """The customer who wrote `m`: "**Name** (@handle)", or whichever of them exists."""
    a = m.author
    name = clip(one_line(a.name), 100) if a.name.strip() else ""
    handle = f"@{clip(a.handle, 60)}" if a.handle else ""
    if name and handle:
        return (Strong(name), Text(f" ({handle})"))
    if name:
        return (Strong(name),)
    return (Text(handle or a.id),)


def author_plain(m: Mention) -> str:
    return one_line(m.author.name) or (f"@{m.author.handle}" if m.author.handle else m.author.id)


def mention_marks(m: Mention, case: Case, *, answered: bool = True) -> Line:
    """Edited, removed by its author, answered: what staff should notice about a comment."""
    marks: list[Span] = []
    if m.change is Change.EDITED:
        marks.append(Faint("(edited)"))
    if m.change is Change.REMOVED:
        marks.append(Faint("(removed by its author)"))
    if answered and m.key in case.answered_keys:
        marks.append(Text("✓ answered"))
    out: list[Span] = []
    for mark in marks:
        out.extend((Text(" "), mark) if out else (mark,))
    return tuple(out)


def shown_flags(case: Case) -> list[str]:
    """The case's badges in display order: sensitive first, personal data whenever found."""
    flags = list(dict.fromkeys(case.flags))
    if case.sensitive_reasons and "sensitive" not in flags:
        flags.insert(0, "sensitive")
    if case.pii and "personal_data" not in flags:
        flags.append("personal_data")
    return flags


def _by(actor: str) -> Line:
    return () if actor == SYSTEM else (Text(" by "), Person(actor))


def _subject(view: CaseView, event: CaseEvent) -> Mention | None:
    return event.mention or (view.mentions[0] if view.mentions else None)


def _reason(event: CaseEvent, fallback: str | None = "") -> str:
    return (event.reason or fallback or "").strip()


def _detail(text: str) -> Text:
    """A free-text detail on one line, clipped: it is never the main thing said."""
    return Text(clip(one_line(text), LINE_CHARS))


def _by_actor(emoji: str, event: CaseEvent, words: str) -> Sentence:
    """The common sentence: an emoji, who acted, and what they did."""
    return _said(Emoji(emoji), Text(" "), Person(event.actor), Text(words))


def _said(*spans: Span, quote: str | None = None) -> Sentence:
    return Sentence(tuple(spans), quote)


def _created(view: CaseView, event: CaseEvent) -> Sentence:
    m = _subject(view, event)
    if m is None:
        return _said(Emoji("inbox_tray"), Text(f" New case {view.case.number}"))
    return _said(Emoji("inbox_tray"), Text(f" New {KIND_WORDS[m.kind]} from "), *author(m))


def _mention(view: CaseView, event: CaseEvent) -> Sentence:
    m = _subject(view, event)
    if m is None:
        return _said(Text(f"Another message on case {view.case.number}"))
    return _said(*author(m), Text(" wrote:"), quote=m.text)


def _edited(view: CaseView, event: CaseEvent) -> Sentence:
    m = _subject(view, event)
    if m is None:
        return _said(Emoji("pencil2"), Text(" A message on the case was edited"))
    return _said(
        Emoji("pencil2"),
        Text(" "),
        *author(m),
        Text(f" edited their {KIND_WORDS[m.kind]}:"),
        quote=m.text,
    )


def _removed(view: CaseView, event: CaseEvent) -> Sentence:
    m = _subject(view, event)
    if m is None:
        return _said(Emoji("wastebasket"), Text(" A message was removed by its author"))
    return _said(
        Emoji("wastebasket"),
        Text(" "),
        *author(m),
        Text(f" removed their {KIND_WORDS[m.kind]} on the platform: its text is gone here too"),
    )


def gone_line(m: Mention) -> str | None:
    """What a thread line that quoted `m` says once its words are gone (None: they are not):
    removed by its author on the platform, or erased on the customer's request."""
    if m.erased:
        return "🔒 [erased on request]"
    if m.change is Change.REMOVED:
        return f"🗑️ {author_plain(m)} removed this {KIND_WORDS[m.kind]} on the platform"
    return None


def _erased(view: CaseView, event: CaseEvent) -> Sentence:
    """Says nothing of whom: the line stays in the thread after the person is gone."""
    return _said(
        Emoji("lock"),
        Text(" A customer's messages and details in this case were erased on their request"),
    )


def _claimed(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(Emoji("raising_hand"), Text(" Claimed by "), Person(event.actor))


def _unclaimed(view: CaseView, event: CaseEvent) -> Sentence:
    return _by_actor("wave", event, " gave the case back: it needs a new owner")


def _drafted(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(Emoji("memo"), Text(" Draft saved"), *_by(event.actor))


def _approval_requested(view: CaseView, event: CaseEvent) -> Sentence:
    c = view.case
    how = "privately" if c.private else "publicly"
    if event.changed is not None:
        return _said(
            Emoji("pencil2"),
            Text(" Draft changed while waiting: "),
            Person(event.actor),
            Text(f" changed its {CHANGE_WORDS[event.changed]}. Approve the new text (reply {how})"),
        )
    reasons = ", ".join(reason_words(r) for r in c.sensitive_reasons)
    why = f" ({reasons})" if reasons else ""
    return _by_actor("eyes", event, f" asks for approval to reply {how}{why}")


def _approval_withdrawn(view: CaseView, event: CaseEvent) -> Sentence:
    what = f" ({CHANGE_WORDS[event.changed]})" if event.changed is not None else ""
    return _said(
        Emoji("warning"),
        Text(" Approval withdrawn: "),
        Person(event.actor),
        Text(f" changed the draft{what}. It needs approval again before it goes out"),
    )


def _taken_over(view: CaseView, event: CaseEvent) -> Sentence:
    previous = event.previous_owner
    before: Line = (Text(" from "), Person(previous)) if previous else ()
    return _said(
        Emoji("raising_hand"), Text(" "), Person(event.actor), Text(" took the case over"), *before
    )


def _approved(view: CaseView, event: CaseEvent) -> Sentence:
    if event.changed is DraftChange.TEXT:
        return _said(
            Emoji("ballot_box_with_check"),
            Text(" "),
            Person(event.actor),
            Text(" edited the draft and approved their text"),
        )
    return _said(Emoji("ballot_box_with_check"), Text(" Approved by "), Person(event.actor))


def _rejected(view: CaseView, event: CaseEvent) -> Sentence:
    reason = _reason(event, view.case.reject_reason)
    line = (Emoji("leftwards_arrow_with_hook"), Text(" "), Person(event.actor))
    if reason:
        return _said(*line, Text(" sent the draft back:"), quote=reason)
    return _said(*line, Text(" sent the draft back"))


def _publishing(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(Emoji("outbox_tray"), Text(" Publishing the reply…"))


def _published(view: CaseView, event: CaseEvent) -> Sentence:
    c = view.case
    last = c.published[-1] if c.published else {}
    private = bool(last.get("private")) if last else c.private
    spans: list[Span] = [
        Emoji("white_check_mark"),
        Text(f" Reply published {'privately' if private else 'publicly'}"),
        *_by(event.actor),
    ]
    url = str(last.get("url") or "")
    if url.startswith(("https://", "http://")):
        spans += [Text(" · "), Link(str(url), "view reply")]
    return _said(*spans)


def _publish_failed(view: CaseView, event: CaseEvent) -> Sentence:
    head = (Emoji("x"), Text(" "), Strong("The reply was not published."), Text(" "))
    why = event.not_published
    if why is NotPublished.NOT_APPROVED:
        return _said(*head, Text("The draft is not the approved one. Ask for approval again"))
    if why is NotPublished.NOT_THERE:
        return _said(*head, Person(event.actor), Text(" said it is not there: publish again."))
    step = NEXT_STEPS.get(why) if why else None
    then: Line = (Text(step),) if step else ()
    if why is NotPublished.RATE_LIMITED and event.until is not None:
        then = (
            Text("It goes out automatically at "),
            When(event.until, view.department.zone),
            Text(" unless the draft changes"),
        )
    reason = _reason(event)
    if not reason:
        return _said(
            *head, *(then or (Text("Nothing was posted: edit the draft or publish again."),))
        )
    detail = _detail(reason[:1].upper() + reason[1:])
    return _said(*head, detail, Text(". "), *then) if then else _said(*head, detail)


def _publish_unknown(view: CaseView, event: CaseEvent) -> Sentence:
    reason = _reason(event)
    why: Line = (Text(" ("), _detail(reason), Text(")")) if reason else ()
    return _said(
        Emoji("warning"),
        Text(" "),
        Strong("The platform did not confirm the reply"),
        *why,
        Text(f". Look on {platform_name(view.case.platform)}: if the reply is there, click "),
        Strong("Confirm sent"),
        Text("; if not, click "),
        Strong("Not sent"),
        Text(", then publish again."),
    )


def _rerouted(view: CaseView, event: CaseEvent) -> Sentence:
    dept = view.department
    spans: list[Span] = [
        Emoji("twisted_rightwards_arrows"),
        Text(" "),
        Person(event.actor),
        Text(" moved the case to "),
        Place(dept.channel, dept.name),
    ]
    if event.previous_department is not None:
        spans += [Text(", from "), Strong(event.previous_department.name)]
    return _said(*spans)


def _dismissed(view: CaseView, event: CaseEvent) -> Sentence:
    reason = dismiss_words(_reason(event, view.case.dismiss_reason))
    why = f": {reason}" if reason else ""
    return _by_actor(
        "no_entry_sign", event, f" dismissed the case{why}. Nothing was deleted on the platform."
    )


def _reopened(view: CaseView, event: CaseEvent) -> Sentence:
    m = event.mention
    if m is None:
        return _said(Emoji("arrows_counterclockwise"), Text(" The case is open again"))
    return _said(
        Emoji("arrows_counterclockwise"),
        Text(" "),
        *author(m),
        Text(" wrote again, the case is open again:"),
        quote=m.text,
    )


def _closed(view: CaseView, event: CaseEvent) -> Sentence:
    """Only the follow-up closes a case: the customer did not write again after the reply."""
    return _said(
        Emoji("lock"), Text(" Case closed: the customer has not written again since the reply")
    )


def _escalated(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(Emoji("rotating_light"), Text(" "), *overdue_line(view.case.number, event.overdue))


def _approval_waiting(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(Emoji("hourglass"), Text(f" {view.case.number} is waiting for approval"))


def _snoozed(view: CaseView, event: CaseEvent) -> Sentence:
    until: Span = (
        When(event.until, view.department.zone) if event.until is not None else Text("later")
    )
    return _said(
        Emoji("zzz"), Text(" "), Person(event.actor), Text(" snoozed the reminders until "), until
    )


def _reply_target(view: CaseView, event: CaseEvent) -> Sentence:
    """The confirmation of a chosen comment: whom the draft answers now, and whether its
    greeting followed (a draft a person wrote keeps theirs)."""
    place = event.comment
    target = view.mentions[place - 1] if place and place <= len(view.mentions) else None
    if target is None:
        return _said(Person(event.actor), Text(" chose which comment the draft answers"))
    spans: list[Span] = [
        Emoji("dart"),
        Text(" "),
        Person(event.actor),
        Text(": the draft now answers "),
        *author(target),
        Text(f" (comment {place})"),
    ]
    if event.kept_draft:
        spans.append(
            Text(". A person wrote the draft, so its greeting is unchanged: check that it fits")
        )
    return _said(*spans)


def _template(view: CaseView, event: CaseEvent) -> Sentence:
    """A template replaced the draft; a draft a person wrote is quoted, so it is not lost."""
    spans: list[Span] = [
        Emoji("page_facing_up"),
        Text(f" Draft replaced with the template “{intent_words(event.template)}”"),
        *_by(event.actor),
    ]
    if event.replaced.strip():
        spans += [Text(". It was "), Person(event.replaced_author or "someone", notify=False)]
        spans.append(Text("’s text:"))
        return _said(*spans, quote=event.replaced)
    return _said(*spans)


def suggested_words(suggested: Suggested) -> str:
    """Where a model's draft came from, as the card and the thread say it: "suggested by
    gpt-4o-mini from: Delivery › Abroad, #1042"."""
    by = f"suggested by {suggested.by}"
    return f"{by} from: {', '.join(suggested.sources)}" if suggested.sources else by


def shown_suggestion(case: Case) -> Suggested | None:
    """The model suggestion the draft still is (None once anyone changed it)."""
    s = case.suggested
    if s is None or case.draft_author != SYSTEM or s.digest != draft_digest(case.draft):
        return None
    return s


def _suggested(view: CaseView, event: CaseEvent) -> Sentence:
    """A model's suggestion is the draft now: a starting point a person edits and publishes."""
    s = view.case.suggested
    words = suggested_words(s) if s is not None else "suggested by a model"
    return _said(
        Emoji("robot_face"),
        Text(f" Draft {clip(words, LINE_CHARS)}: check it, edit it, then publish"),
    )


def _suggestion_failed(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(
        Emoji("grey_exclamation"),
        Text(" Model suggestion unavailable ("),
        _detail(_reason(event, "error")),
        Text("): template draft kept"),
    )


def _retry_dropped(view: CaseView, event: CaseEvent) -> Sentence:
    return _said(
        Text("The automatic retry was dropped ("),
        _detail(_reason(event, "the draft changed since")),
        Text("): a person decides again"),
    )


def _flood(view: CaseView, event: CaseEvent) -> Sentence:
    """The one line a burst gets in the thread (chatops/flood.py decides when)."""
    burst = event.burst
    later = "not posted here one by one"
    if burst is None:
        return _said(Text(f"A burst of mentions: the next ones are counted on the case, {later}"))
    window = _window(burst.window)
    if burst.source == "conversation":
        return _said(
            Text(
                f"More than {burst.limit} mentions within {window} in this conversation: "
                f"the next ones are counted on the case, {later}"
            )
        )
    m = _subject(view, event)
    who = author(m) if m is not None else (Text("Someone"),)
    plural = "s" if burst.limit != 1 else ""
    return _said(
        *who,
        Text(
            f" wrote more than {burst.limit} new mention{plural} within {window}: this one and "
            f"their next ones (in any conversation) join this case and are counted on it, {later}"
        ),
    )


def _window(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    return f"{minutes} min" if minutes else f"{int(window.total_seconds())} s"


_EVENTS: dict[EventKind, Callable[[CaseView, CaseEvent], Sentence]] = {
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
    EventKind.ESCALATED: _escalated,
    EventKind.APPROVAL_WAITING: _approval_waiting,
    EventKind.SNOOZED: _snoozed,
    EventKind.REPLY_TARGET: _reply_target,
    EventKind.RETRY_DROPPED: _retry_dropped,
    EventKind.FLOOD: _flood,
    EventKind.TEMPLATE: _template,
    EventKind.ERASED: _erased,
    EventKind.SUGGESTED: _suggested,
    EventKind.SUGGESTION_FAILED: _suggestion_failed,
}


APPROVE_LABEL = "Approve & publish"
"""The approve button, and what saves the approver's own text in Edit and approve."""
EMPTY_DRAFT = "The draft is empty."
"""Why a draft box saved empty is refused."""


def removed_after(number: str, days: int) -> str:
    """What a case's message becomes once retention deleted the case (no customer data)."""
    return f"🗑️ Case {number} was removed after {days} days (retention); nothing of it is kept."
