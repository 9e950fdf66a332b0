"""A chat backend that records what it was asked to show: the stand-in for Slack, Teams or the
console where a test looks at the workflow's decisions rather than at one tool's markup."""

from __future__ import annotations

from datetime import datetime

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.present import Report


class RecordingChat:
    """A ChatBackend that keeps every (view, event) it is shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[CaseView, CaseEvent]] = []
        self.digests: list[tuple[Department, list[DigestItem]]] = []
        self.reports: list[tuple[Department, Report]] = []
        self.pings: list[tuple[Department, list[PingItem], tuple[str, ...]]] = []
        self.refreshed: list[CaseView] = []

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        self.shown.append((view, event))

    async def refresh(self, view: CaseView) -> None:
        self.refreshed.append(view)

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        self.digests.append((department, items))

    async def post_report(self, department: Department, report: Report) -> None:
        self.reports.append((department, report))

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        self.pings.append((department, items, notify))

    async def close(self) -> None:
        return None

    def kinds(self, case_id: str) -> list[EventKind]:
        return [e.kind for v, e in self.shown if v.case.id == case_id]
