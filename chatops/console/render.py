"""Pure layout of cases for a terminal: data in, rich renderables out."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind
from chatops.domain import AuditEntry, Case, Change, Mention, State
from chatops.event_wording import shown_flags

STATE_STYLE = {
    State.NEW: "bold yellow",
    State.CLAIMED: "cyan",
    State.DRAFTED: "cyan",
    State.AWAITING_APPROVAL: "bold magenta",
    State.APPROVED: "magenta",
    State.PUBLISHING: "blue",
    State.PUBLISHED: "green",
    State.CLOSED: "dim green",
    State.DISMISSED: "dim",
    State.PUBLISH_UNKNOWN: "bold red",
}

EVENT_STYLE = {
    EventKind.PUBLISH_FAILED: "red",
    EventKind.PUBLISH_UNKNOWN: "bold red",
    EventKind.APPROVAL_REQUESTED: "magenta",
    EventKind.PUBLISHED: "green",
}


def state_text(state: State) -> Text:
    return Text(state.value.replace("_", " "), style=STATE_STYLE[state])


def mention_line(m: Mention) -> Text:
    line = Text()
    line.append(f"{m.author.display}", style="bold")
    if m.author.followers is not None:
        line.append(f" · {m.author.followers:,} followers", style="dim")
    line.append(f" · {m.kind.value} · {m.created_at:%Y-%m-%d %H:%M}Z\n", style="dim")
    style = "strike dim" if m.change is Change.REMOVED else ""
    line.append(m.text or "(no text)", style=style)
    if m.change is Change.EDITED:
        line.append("  (edited)", style="dim italic")
    if m.change is Change.REMOVED:
        line.append("  (removed on the platform)", style="dim italic")
    return line


def case_panel(view: CaseView, now: datetime | None = None) -> Panel:
    """The whole case as one card: header, mentions, status, draft."""
    c = view.case
    body: list[Text | Table] = []
    meta = Text()
    meta.append(f"{view.department.name} ({view.department.channel})", style="bold")
    meta.append(f" · {c.platform}{'/' + c.account if c.account else ''}")
    meta.append(f" · {c.language or '?'}")
    for flag in shown_flags(c):
        meta.append(f"  [{flag.replace('_', ' ')}]", style="bold red")
    body.append(meta)
    for m in view.mentions:
        answered = m.key in c.answered_keys
        line = mention_line(m)
        if answered:
            line.append("  ✓ answered", style="green")
        if m.url:
            line.append(f"\n{m.url}", style="dim underline")
        body.append(line)
    status = Text("status: ")
    status.append_text(state_text(c.state))
    status.append(f" · owner: {c.owner or 'unclaimed'}")
    if view.due_at is not None:
        status.append(f" · first answer due {view.due_at:%H:%M %Z}".rstrip())
    if c.reject_reason and c.state is State.DRAFTED:
        status.append(f"\nsent back: {c.reject_reason}", style="magenta")
    if c.dismiss_reason:
        status.append(f" · dismissed: {c.dismiss_reason}")
    body.append(status)
    if c.state not in (State.DISMISSED, State.CLOSED):
        draft = Text("draft", style="bold")
        draft.append(f" ({c.draft_author or '-'}{', private' if c.private else ''}): ", style="dim")
        draft.append(c.draft or "(empty)")
        if view.max_length is not None and view.draft_length is not None:
            draft.append(f"  ({view.draft_length}/{view.max_length} characters)", style="dim")
        if view.blocked and c.is_open:
            draft.append(f"\npublish refused: {view.blocked}", style="red")
        body.append(draft)
    return Panel(Group(*body), title=f"Case {c.number}", title_align="left", expand=True)


def event_line(view: CaseView, event: CaseEvent) -> Text:
    """One line per thread event, prefixed with the case it belongs to."""
    line = Text(f"{view.case.number} ", style="bold")
    line.append(f"[{view.department.id}] ", style="dim")
    line.append(event.text, style=EVENT_STYLE.get(event.kind, ""))
    if event.notify:
        line.append("  → " + ", ".join(f"@{n}" for n in event.notify), style="magenta")
    if event.kind is EventKind.REROUTED:
        line.append(f"  (now in {view.department.channel})", style="dim")
    return line


def cases_table(cases: list[Case], now: datetime) -> Table:
    table = Table(title="Open cases", expand=True)
    for col in ("case", "department", "state", "owner", "age", "flags"):
        table.add_column(col)
    for c in cases:
        table.add_row(
            c.number,
            c.department,
            state_text(c.state),
            c.owner or "unclaimed",
            age(now - c.opened_at),
            " ".join(shown_flags(c)),
        )
    return table


def digest_table(department: Department, items: list[DigestItem]) -> Table:
    table = Table(title=f"Unanswered in {department.name} ({department.channel})", expand=True)
    for col in ("case", "waiting", "owner", "state", "first message"):
        table.add_column(col)
    for item in items:
        table.add_row(
            item.number,
            age(item.age),
            item.owner or "unclaimed",
            item.state.replace("_", " "),
            item.summary,
        )
    return table


def history_table(entries: list[AuditEntry]) -> Table:
    table = Table(title="History", expand=True, show_edge=False)
    for col in ("when", "who", "what", "state", "detail"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            f"{e.at:%H:%M:%S}",
            e.actor,
            e.action,
            f"{e.before.value if e.before else '-'} → {e.after.value}",
            e.detail,
        )
    return table


def age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d"
