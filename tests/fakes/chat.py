"""A chat backend that records what it was asked to show: the stand-in for Slack, Teams or the
console where a test looks at the workflow's decisions rather than at one tool's markup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.present import Report
from chatops.chat.rich import plain
from chatops.chat.wording import event_sentence, overdue_line


class RecordingChat:
    """A ChatBackend that keeps every (view, event) it is shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[CaseView, CaseEvent]] = []
        self.digests: list[tuple[Department, list[DigestItem]]] = []
        self.reports: list[tuple[Department, Report]] = []
        self.pings: list[tuple[Department, list[PingItem], tuple[str, ...]]] = []
        self.refreshed: list[CaseView] = []
        self.personal: list[tuple[str, Department, list[DigestItem]]] = []
        self.overviews: list[tuple[tuple[str, ...], Report]] = []
        self.groups: dict[str, list[str]] = {}
        """User groups `people` expands, as a chat would."""

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

    async def people(self, targets: Iterable[str]) -> list[str]:
        found: dict[str, None] = {}
        for target in targets:
            found.update(dict.fromkeys(self.groups.get(target, [target])))
        return list(found)

    async def post_personal_digest(
        self, person: str, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        self.personal.append((person, department, items))

    async def post_overview(self, to: Sequence[str], report: Report) -> None:
        self.overviews.append((tuple(to), report))

    async def close(self) -> None:
        return None

    def kinds(self, case_id: str) -> list[EventKind]:
        return [e.kind for v, e in self.shown if v.case.id == case_id]

    def said(self, case_id: str) -> list[str]:
        """What each event shown for the case says, as every chat words it."""
        return [said(v, e) for v, e in self.shown if v.case.id == case_id]


def said(view: CaseView, event: CaseEvent) -> str:
    """An event's sentence as plain text, with the text it quotes (if any) on the next line."""
    sentence = event_sentence(view, event)
    line = plain(sentence.line)
    return line if sentence.quote is None else f"{line}\n{sentence.quote}"


def ping_text(item: PingItem) -> str:
    """What a batched ping says about one case."""
    return plain(overdue_line(item.number, item.overdue))
