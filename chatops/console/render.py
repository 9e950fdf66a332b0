"""Pure layout of cases for a terminal: data in, rich renderables out.

Everything a customer (or anyone outside the team) could have written, from comments and
names to drafts and audit details, reaches the terminal only through `safe`: escape sequences
(CSI, OSC such as a title change or an OSC 52 clipboard write, DCS and the rest) and control
characters other than newline and tab are removed, and the result is a `Text`, never a string
rich would read as markup, so `[bold]` or `[link=…]` in a comment prints as written.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind
from chatops.chat.rich import (
    Code,
    Everyone,
    Faint,
    Line,
    Link,
    Person,
    Place,
    Span,
    Strong,
    plain_span,
)
from chatops.domain import AuditEntry, Case, Change, Mention, State
from chatops.event_wording import shown_flags
from chatops.hygiene import ESCAPE_SEQUENCES

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """`text` without escape sequences, control characters (but newline and tab) or bidi
    overrides: what prints is what was written, and nothing acts on the terminal."""
    return _CONTROLS.sub("", ESCAPE_SEQUENCES.sub("", text))


def safe(text: str | None, style: str = "") -> Text:
    """Outside text as a rich `Text`: cleaned for the terminal and never parsed as markup."""
    return Text(terminal_safe(text or ""), style=style)


def rich_line(line: Line) -> Text:
    """A chat-neutral line as styled terminal text: every span's words through `safe`."""
    out = Text()
    for span in line:
        out.append_text(_span(span))
    return out


def _span(span: Span) -> Text:
    match span:
        case Strong(text):
            return safe(text, "bold")
        case Faint(text):
            return safe(text, "dim")
        case Code(text):
            return safe(text, "cyan")
        case Person(who):
            return safe(who, "bold")
        case Everyone():
            return Text("@here", style="magenta")
        case Link(url, label) if url.startswith(("https://", "http://")):
            return safe(label, "underline") + safe(f" {url}", "dim")
        case Place(channel, name):
            return safe(f"{name} ({channel})", "bold")
    return safe(plain_span(span))


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
    line.append_text(safe(m.author.display, "bold"))
    if m.author.followers is not None:
        line.append(f" · {m.author.followers:,} followers", style="dim")
    line.append(f" · {m.kind.value} · {m.created_at:%Y-%m-%d %H:%M}Z\n", style="dim")
    style = "strike dim" if m.change is Change.REMOVED else ""
    line.append_text(safe(m.text or "(no text)", style))
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
    meta.append_text(safe(f"{view.department.name} ({view.department.channel})", "bold"))
    meta.append_text(safe(f" · {c.platform}{'/' + c.account if c.account else ''}"))
    meta.append_text(safe(f" · {c.language or '?'}"))
    for flag in shown_flags(c):
        meta.append(f"  [{flag.replace('_', ' ')}]", style="bold red")
    body.append(meta)
    for m in view.mentions:
        answered = m.key in c.answered_keys
        line = mention_line(m)
        if answered:
            line.append("  ✓ answered", style="green")
        if m.url:
            line.append_text(safe(f"\n{m.url}", "dim underline"))
        body.append(line)
    status = Text("status: ")
    status.append_text(state_text(c.state))
    status.append_text(safe(f" · owner: {c.owner or 'unclaimed'}"))
    if view.due_at is not None:
        status.append(f" · first answer due {view.due_at:%H:%M %Z}".rstrip())
    if c.reject_reason and c.state is State.DRAFTED:
        status.append_text(safe(f"\nsent back: {c.reject_reason}", "magenta"))
    if c.dismiss_reason:
        status.append_text(safe(f" · dismissed: {c.dismiss_reason}"))
    body.append(status)
    if c.state not in (State.DISMISSED, State.CLOSED):
        draft = Text("draft", style="bold")
        author = f" ({c.draft_author or '-'}{', private' if c.private else ''}): "
        draft.append_text(safe(author, "dim"))
        draft.append_text(safe(c.draft or "(empty)"))
        if view.max_length is not None and view.draft_length is not None:
            draft.append(f"  ({view.draft_length}/{view.max_length} characters)", style="dim")
        if view.blocked and c.is_open:
            draft.append_text(safe(f"\npublish refused: {view.blocked}", "red"))
        body.append(draft)
    title = safe(f"Case {c.number}")
    return Panel(Group(*body), title=title, title_align="left", expand=True)


def event_line(view: CaseView, event: CaseEvent) -> Text:
    """One line per thread event, prefixed with the case it belongs to."""
    line = safe(f"{view.case.number} ", "bold")
    line.append_text(safe(f"[{view.department.id}] ", "dim"))
    line.append_text(safe(event.text, EVENT_STYLE.get(event.kind, "")))
    if event.notify:
        line.append_text(safe("  → " + ", ".join(f"@{n}" for n in event.notify), "magenta"))
    if event.kind is EventKind.REROUTED:
        line.append_text(safe(f"  (now in {view.department.channel})", "dim"))
    return line


def cases_table(cases: list[Case], now: datetime) -> Table:
    table = Table(title="Open cases", expand=True)
    for col in ("case", "department", "state", "owner", "age", "flags"):
        table.add_column(col)
    for c in cases:
        table.add_row(
            safe(c.number),
            safe(c.department),
            state_text(c.state),
            safe(c.owner or "unclaimed"),
            safe(age(now - c.opened_at)),
            safe(" ".join(shown_flags(c))),
        )
    return table


def digest_table(department: Department, items: list[DigestItem]) -> Table:
    title = safe(f"Unanswered in {department.name} ({department.channel})")
    table = Table(title=title, expand=True)
    for col in ("case", "waiting", "owner", "state", "first message"):
        table.add_column(col)
    for item in items:
        table.add_row(
            safe(item.number),
            safe(age(item.age)),
            safe(item.owner or "unclaimed"),
            safe(item.state.replace("_", " ")),
            safe(item.summary),
        )
    return table


def history_table(entries: list[AuditEntry]) -> Table:
    table = Table(title="History", expand=True, show_edge=False)
    for col in ("when", "who", "what", "state", "detail"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            safe(f"{e.at:%H:%M:%S}"),
            safe(e.actor),
            safe(e.action),
            safe(f"{e.before.value if e.before else '-'} → {e.after.value}"),
            safe(e.detail),
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
