"""What the workflow tells a chat: what happened to a case and how the case looks now.

The workflow produces these and needs one thing of a chat, `Shows`; they live here, with the
workflow, so the workflow imports no chat code. `chatops.chat` re-exports them with the rest of
the backend interface, which is what Slack, Teams and the console implement. Events are facts,
never sentences: `chatops.chat.wording` words them for every chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, Protocol

from chatops.domain import Case, Mention, NotPublished, Overdue, State


class EventKind(StrEnum):
    CREATED = "created"
    MENTION = "mention"  # another mention joined the case
    MENTION_EDITED = "mention_edited"
    MENTION_REMOVED = "mention_removed"
    CLAIMED = "claimed"
    TAKEN_OVER = "taken_over"  # someone else became the owner; the previous one is told
    UNCLAIMED = "unclaimed"
    DRAFTED = "drafted"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    APPROVAL_WITHDRAWN = "approval_withdrawn"  # the draft changed after approval
    REJECTED = "rejected"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    PUBLISH_UNKNOWN = "publish_unknown"
    REROUTED = "rerouted"
    DISMISSED = "dismissed"
    REOPENED = "reopened"
    CLOSED = "closed"
    ESCALATED = "escalated"  # a tier fired: people are pinged
    APPROVAL_WAITING = "approval_waiting"  # approvers reminded
    SNOOZED = "snoozed"
    REPLY_TARGET = "reply_target"  # someone chose which comment the draft answers
    RETRY_DROPPED = "retry_dropped"  # a rate-limited reply will not go out by itself
    FLOOD = "flood"  # a burst passed a flood limit: later mentions are counted, not posted
    TEMPLATE = "template"  # someone replaced the draft with another reply template
    ERASED = "erased"  # a person's data in the case was erased on their request (GDPR)
    SUGGESTED = "suggested"  # a model's suggestion replaced the template draft
    SUGGESTION_FAILED = "suggestion_failed"  # no suggestion: the template draft is kept


class DraftChange(StrEnum):
    """What changed in a draft that an approval covered or was asked for."""

    TEXT = "text"
    REPLY_TARGET = "reply_target"
    VISIBILITY = "visibility"  # public or private


@dataclass(frozen=True)
class Burst:
    """The figures of a flood limit passed (chatops/flood.py): whose mentions, how many."""

    source: Literal["author", "conversation"]
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Department:
    """What a backend needs of a department to address it."""

    id: str
    name: str
    channel: str
    zone: str = ""
    """Its IANA time zone: moments are shown in it where a reader's own is unknown."""


@dataclass(frozen=True)
class Earlier:
    """The customer's earlier cases: those of the same author on the case's platform, and of
    anyone with the same handle on any platform; the newest of them named."""

    count: int
    case_id: str
    state: State
    opened_at: datetime  # when the customer wrote the first mention of that case

    @property
    def number(self) -> str:
        return f"#{self.case_id}"


@dataclass(frozen=True)
class SimilarAnswer:
    """An answered case like this one (`Case.similar`): who answered it, when, and how."""

    case_id: str
    by: str  # who published the answer (the approver, when it needed one)
    at: datetime
    text: str
    language: str | None = None

    @property
    def number(self) -> str:
        return f"#{self.case_id}"


@dataclass(frozen=True)
class CaseView:
    """A case with everything needed to render it, as of one version."""

    case: Case
    mentions: list[Mention]  # in arrival order
    department: Department
    due_at: datetime | None = None  # next deadline, in the department's time zone
    draft_length: int | None = None  # as the platform counts it
    max_length: int | None = None  # the platform's limit for this reply, if any
    blocked: str | None = None  # why Publish would be refused by the platform right now
    earlier: Earlier | None = None  # the customer's earlier cases, if any
    templates: tuple[str, ...] = ()  # intents with a reply template in the case's language
    similar: tuple[SimilarAnswer, ...] = ()  # answered cases like it whose answer is known


@dataclass(frozen=True)
class CaseEvent:
    """What happened to a case, as facts; each kind reads only the fields noted for it."""

    kind: EventKind
    actor: str
    mention: Mention | None = None
    notify: tuple[str, ...] = ()  # people or groups to mention with this event
    previous_department: Department | None = None  # REROUTED
    previous_owner: str | None = None  # TAKEN_OVER: named (and so told) in the line itself
    changed: DraftChange | None = None  # APPROVAL_WITHDRAWN; APPROVAL_REQUESTED again;
    # APPROVED: TEXT when the approver edited the draft and approved their text
    no_other_approver: bool = False  # APPROVAL_REQUESTED: every approver wrote this draft
    reason: str = ""  # REJECTED: the reviewer's words; PUBLISH_*, RETRY_DROPPED,
    # SUGGESTION_FAILED: the cause
    not_published: NotPublished | None = None  # PUBLISH_FAILED
    until: datetime | None = None  # SNOOZED; PUBLISH_FAILED (rate limited): the retry
    overdue: Overdue | None = None  # ESCALATED
    burst: Burst | None = None  # FLOOD
    comment: int | None = None  # REPLY_TARGET: the answered comment's place (1 = first)
    kept_draft: bool = False  # REPLY_TARGET: a person wrote the draft, so it was not re-greeted
    template: str = ""  # TEMPLATE: the intent of the template now in the draft
    replaced: str = ""  # TEMPLATE: the draft a person wrote that the template replaced
    replaced_author: str = ""  # TEMPLATE: who wrote `replaced`


class Shows(Protocol):
    """What the workflow needs of a chat: every backend (`chatops.chat.ChatBackend`) does it."""

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        """Bring the case's thread up to date with `view` and add `event` to it."""
        ...
