"""The chat backend interface: how cases reach people in Slack, Teams or a terminal.

The workflow tells a backend *what happened* (a `CaseEvent`) and *what the case looks like
now* (a `CaseView`). The backend keeps its own thread references and decides how to show
both; it translates people's clicks back into workflow commands and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from chatops.domain import Case, Mention


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
    NOTE = "note"  # anything else worth a line in the thread


@dataclass(frozen=True)
class Department:
    """What a backend needs of a department to address it."""

    id: str
    name: str
    channel: str


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


@dataclass(frozen=True)
class CaseEvent:
    kind: EventKind
    actor: str
    text: str  # one human line for the thread
    mention: Mention | None = None
    notify: tuple[str, ...] = ()  # people or groups to mention with this event
    previous_department: Department | None = None  # set on REROUTED
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DigestItem:
    """One line of a department's morning digest."""

    case_id: str
    number: str
    age: timedelta
    owner: str | None
    state: str
    summary: str  # who wrote and the start of what they wrote


@dataclass(frozen=True)
class PingItem:
    """One case of a batched escalation ping (escalation/chase.py gathers one scan's tiers).

    `case_id` is the link target: each chat finds the case's thread from it."""

    case_id: str
    number: str
    text: str  # what fired: "#1042 is still unclaimed: who takes it?"
    owner: str | None = None


class ChatBackend(Protocol):
    async def show(self, view: CaseView, event: CaseEvent) -> None:
        """Bring the case's thread up to date with `view` and add `event` to it."""
        ...

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """One message in the department's channel listing its unanswered cases."""
        ...

    async def post_report(self, department: Department, text: str, chart: bytes | None) -> None:
        """The weekly KPI report (text and a PNG chart) in the department's channel."""
        ...

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        """One message in the department's channel listing the cases one scan escalated,
        mentioning `notify` once ("here" = the channel) instead of once per case."""
        ...

    async def close(self) -> None:
        """Flush and release what the backend holds."""
        ...
