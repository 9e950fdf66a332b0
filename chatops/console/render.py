"""Pure layout of cases for a terminal: the chat-neutral model in, rich renderables out.

What is said (event sentences, the case card, digest and ping listings, the report) comes from
`chatops.chat.wording` and `chatops.chat.present`; this module only styles it and turns each
control into the line command that does the same (`VERBS`).

Everything a customer (or anyone outside the team) could have written, from comments and
names to drafts and audit details, reaches the terminal only through `safe`: escape sequences
(CSI, OSC such as a title change or an OSC 52 clipboard write, DCS and the rest) and control
characters other than newline and tab are removed, and the result is a `Text`, never a string
rich would read as markup, so `[bold]` or `[link=…]` in a comment prints as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from chatops.chat import CaseEvent, CaseView, Department
from chatops.chat.actions import Action
from chatops.chat.inbox import Copy
from chatops.chat.present import (
    BADGES,
    STATE_WORDS,
    CaseCard,
    Control,
    Entry,
    Listing,
    Menu,
    Room,
    age,
    case_card,
)
from chatops.chat.rich import (
    EMOJI,
    Code,
    Emoji,
    Everyone,
    Faint,
    Line,
    Link,
    Person,
    Place,
    Span,
    Strong,
    When,
    clip,
    plain_span,
)
from chatops.chat.wording import event_sentence, shown_flags
from chatops.domain import AuditEntry, Case
from chatops.hygiene import ESCAPE_SEQUENCES

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

ROOM = Room(quote=10_000, compact=1_000, later=1_000)
"""A terminal refuses no message: the card shows every comment and the whole of each text."""


def terminal_safe(text: str) -> str:
    """`text` without escape sequences, control characters (but newline and tab) or bidi
    overrides: what prints is what was written, and nothing acts on the terminal."""
    return _CONTROLS.sub("", ESCAPE_SEQUENCES.sub("", text))


def safe(text: str | None, style: str = "") -> Text:
    """Outside text as a rich `Text`: cleaned for the terminal and never parsed as markup."""
    return Text(terminal_safe(text or ""), style=style)


def joined(*parts: Text) -> Text:
    """`parts` in a row, each keeping its own style (`a + b` would give `b` the style of `a`)."""
    out = Text()
    for part in parts:
        out.append_text(part)
    return out


def rich_line(line: Line, style: str = "") -> Text:
    """A chat-neutral line as styled terminal text (`style` under the spans' own), every
    span's words through `safe`."""
    out = Text(style=style)
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
            return Text("@here", style="bold magenta")
        case Link(url, label) if url.startswith(("https://", "http://")):
            return joined(safe(label, "underline"), safe(f" {url}", "dim"))
        case Place(channel, name):
            return safe(f"{name} ({channel})", "bold")
        case Emoji(name):
            # without the emoji presentation selector, rich and the terminal agree on its width
            return Text(EMOJI.get(name, "").replace("\ufe0f", ""))
    return safe(plain_span(span))


# -- controls as line commands ----------------------------------------------------------------


@dataclass(frozen=True)
class Verb:
    """The line command of an action: `name N`, then `arg` (free text: the rest of the line)."""

    name: str
    arg: str = ""
    free: bool = False


VERBS = {
    Action.CLAIM: Verb("claim"),
    Action.UNCLAIM: Verb("unclaim"),
    Action.TAKE_OVER: Verb("take"),
    Action.EDIT: Verb("draft", "TEXT", free=True),
    Action.PUBLISH: Verb("publish"),
    Action.PRIVATE: Verb("private"),
    Action.APPROVE: Verb("approve"),
    Action.EDIT_APPROVE: Verb("amend", "TEXT", free=True),
    Action.REJECT: Verb("reject", "REASON", free=True),
    Action.REROUTE: Verb("reroute", "DEPT"),
    Action.REPLY_TO: Verb("answer", "M"),
    Action.TEMPLATE: Verb("template", "INTENT"),
    Action.SNOOZE: Verb("snooze", "WHEN"),
    Action.DISMISS: Verb("dismiss", "REASON", free=True),
    Action.USE_ANSWER: Verb("use", "K"),
    Action.CONFIRM_SENT: Verb("sent"),
    Action.CONFIRM_NOT_SENT: Verb("notsent"),
}
"""What the console types for each control; `repl.Repl` runs these."""


def command(control: Control) -> str:
    """The line that does what `control` does; a menu lists the values it takes (but the
    comments of REPLY_TO, which `answer` takes by their position in the card)."""
    verb = VERBS[control.action]
    words = f"{verb.name} {control.case_id}"
    if isinstance(control, Menu) and control.action is not Action.REPLY_TO:
        return f"{words} {'|'.join(option.value for option in control.options)}"
    return f"{words} {verb.arg}".rstrip()


def commands(controls: Sequence[Control]) -> Text:
    """What can be done now, as the commands to type: the console's buttons."""
    return safe(" · ".join(command(c) for c in controls), "dim")


# -- the case card and thread lines -----------------------------------------------------------


def case_panel(view: CaseView, now: datetime, departments: Sequence[Department] = ()) -> Panel:
    """The whole case as one card (`present.case_card`): comments numbered as `answer N M`
    takes them (1 = first), draft, status, commands."""
    card = case_card(view, now=now, departments=departments, room=ROOM)
    body: list[Text] = [rich_line(card.meta)]
    if card.earlier:
        body.append(rich_line(card.earlier, "dim"))
    if card.warning:
        body.append(rich_line(card.warning, "red"))
    if card.first is not None:
        head = joined(safe("1. ", "bold"), rich_line(card.first.head))
        body.append(joined(head, safe("\n" + card.first.text)))
    body += [
        joined(safe(f"{place}. ", "bold"), rich_line(line))
        for place, line in enumerate(card.later, start=2)
    ]
    if card.later_total > len(card.later):
        body.append(safe(f"…and {card.later_total - len(card.later)} more", "dim"))
    if card.draft is not None:
        draft = card.draft
        parts = [safe(draft.label, "bold")]
        if draft.details:
            parts += [safe(" · "), rich_line(draft.details, "dim")]
        if draft.text:
            parts.append(safe("\n" + draft.text))
        else:
            parts.append(safe(f"\nno draft yet: draft {card.case_id} TEXT", "dim"))
        if draft.blocked:
            parts.append(safe(f"\npublish refused: {draft.blocked}", "red"))
        body.append(joined(*parts))
    body += similar_lines(card)
    if card.sent_back:
        body.append(safe(f"sent back: {card.sent_back}", "magenta"))
    body.append(rich_line(card.status))
    if card.controls:
        body.append(commands(card.controls))
    return Panel(Group(*body), title=safe(card.title), title_align="left", expand=True)


def similar_lines(card: CaseCard) -> list[Text]:
    """Each answered case like this one, numbered as `use N K` takes them, with the start of
    its answer."""
    return [
        joined(
            safe(f"{place}) ", "bold"),
            rich_line(offer.line),
            safe(f"\n   {offer.text}", "italic"),
            safe(f"\n   use {card.case_id} {place}", "dim"),
        )
        for place, offer in enumerate(card.similar, start=1)
    ]


def inbox_panel(copy: Copy) -> Panel:
    """An approval request as the approvers get it (chatops/chat/inbox.py): at the terminal,
    everyone is the one person at it, so it is printed once, with its commands."""
    body: list[Text] = [rich_line(copy.status)]
    if copy.reasons:
        body.append(rich_line(copy.reasons, "dim"))
    if copy.customer is not None:
        body.append(joined(rich_line(copy.customer.head), safe("\n" + copy.customer.text)))
    body.append(joined(rich_line(copy.draft.head), safe("\n" + copy.draft.text)))
    if copy.controls:
        body.append(commands(copy.controls))
    return Panel(Group(*body), title=safe(copy.title), title_align="left", border_style="yellow")


def event_line(view: CaseView, event: CaseEvent) -> Text:
    """One line per thread event (`wording.event_sentence`), prefixed with its case; a quoted
    text follows, indented."""
    said = event_sentence(view, event)
    line = joined(
        safe(f"{view.case.number} ", "bold"),
        safe(f"[{view.department.id}] ", "dim"),
        rich_line(said.line),
    )
    if said.quote is not None:
        quoted = clip(said.quote, ROOM.quote).splitlines() or [""]
        line.append_text(safe("".join(f"\n    │ {text}" for text in quoted), "italic"))
    return line


# -- lists ------------------------------------------------------------------------------------


def listing(
    department: Department, found: Listing, style: str = "bold", *, to: str | None = None
) -> Group:
    """A digest or a batch of pings: its heading, then each case with what can be done;
    `to` names the one person a direct copy is for."""
    where = f"[{department.id} → {to}] " if to else f"[{department.id}] "
    rows = [joined(safe(where, "dim"), rich_line(found.head, style))]
    for entry in found.entries:
        rows += entry_rows(entry)
    return Group(*rows)


def entry_rows(entry: Entry) -> list[Text]:
    """A case in a list (a digest, pings, a Home): its line, the summary and the commands
    that act on it beneath."""
    rows = [joined(safe("  "), rich_line(entry.line))]
    if entry.detail:
        rows.append(safe(f"    {entry.detail}", "dim"))
    if entry.controls:
        rows.append(joined(safe("    "), commands(entry.controls)))
    return rows


def cases_table(cases: list[Case], now: datetime) -> Table:
    table = Table(title="Open cases", expand=True)
    for col in ("case", "department", "state", "owner", "age", "flags"):
        table.add_column(col)
    for c in cases:
        flags = ", ".join(BADGES.get(f, ("", f.replace("_", " ")))[1] for f in shown_flags(c))
        table.add_row(
            safe(c.number),
            safe(c.department),
            joined(
                _span(Emoji(STATE_WORDS[c.state][0])), safe(f" {c.state.value.replace('_', ' ')}")
            ),
            safe(c.owner or "unclaimed"),
            safe(age(now - c.opened_at)),
            safe(flags),
        )
    return table


def history_table(entries: list[AuditEntry], zone: str = "") -> Table:
    """The audit log of a case, its times in `zone` (the department's)."""
    table = Table(title="History", expand=True, show_edge=False)
    for col in ("when", "who", "what", "state", "detail"):
        table.add_column(col)
    for e in entries:
        table.add_row(
            safe(f"{When(e.at, zone).local:%m-%d %H:%M:%S %Z}"),
            safe(e.actor),
            safe(e.action),
            safe(f"{e.before.value if e.before else '-'} → {e.after.value}"),
            safe(e.detail),
        )
    return table
