"""The chat backend interface: how cases reach people in Slack, Teams or a terminal.

The workflow tells a backend *what happened* (a `CaseEvent`) and *what the case looks like
now* (a `CaseView`); those, and `show`, are the workflow's own (`chatops.workflow.events`,
re-exported here). The escalation jobs add digests, pings and the weekly report. The backend
keeps its own thread references and decides how to show all of it; it translates people's
clicks back into workflow commands and nothing more. Events and pings are facts, never
sentences: `chatops.chat.wording` words them for every chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from chatops.domain import Overdue
from chatops.workflow.events import (
    Burst,
    CaseEvent,
    CaseView,
    Department,
    DraftChange,
    Earlier,
    EventKind,
    Shows,
    SimilarAnswer,
)

if TYPE_CHECKING:
    from chatops.chat.present import Report

__all__ = [
    "Burst",
    "CaseEvent",
    "CaseView",
    "ChatBackend",
    "Department",
    "DigestItem",
    "DraftChange",
    "Earlier",
    "EventKind",
    "PingItem",
    "SimilarAnswer",
]


@dataclass(frozen=True)
class DigestItem:
    """One line of a department's morning digest."""

    case_id: str
    number: str
    age: timedelta
    owner: str | None
    state: str
    summary: str  # who wrote and the start of what they wrote
    overdue: bool = False  # past its first-response time (the workflow's SLA clock)
    sensitive: bool = False  # its reply needs approval
    storm: int = 0  # a storm's line: its waiting members (`case_id` is the storm's id)


@dataclass(frozen=True)
class PingItem:
    """One case of a batched escalation ping (escalation/chase.py gathers one scan's tiers).

    `case_id` is the link target: each chat finds the case's thread from it."""

    case_id: str
    number: str
    overdue: Overdue  # what fired, worded by `chatops.chat.wording.overdue_line`
    owner: str | None = None


class ChatBackend(Shows, Protocol):
    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """One message in the department's channel listing its unanswered cases."""
        ...

    async def post_report(self, department: Department, report: Report) -> None:
        """The weekly KPI report (its lines and a PNG chart) in the department's channel."""
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
