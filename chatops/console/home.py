"""The console's Home (issue 12): `chatops.chat.home` as text, for `home` (or `my`) in the REPL.

The console has no channels to be a member of: whoever sits at it works for every department
it shows, so every department's unclaimed cases are listed. Each case's controls are the line
commands that do the same (`render.commands`); there are no links, the case number is the way
to its thread (`show N`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text

from chatops.chat.home import HomeView, build_home
from chatops.console.render import entry_rows, joined, rich_line, safe

if TYPE_CHECKING:
    from chatops.runtime import Runtime


def home_text(home: HomeView) -> Group:
    """Title, today's figures, then each section: its heading, a line per case with its
    summary and commands beneath, and how many more there are."""
    rows: list[Text] = [safe(home.title, "bold underline"), rich_line(home.figures, "dim")]
    for part in home.sections:
        rows.append(rich_line(part.head))
        if not part.entries:
            rows.append(safe(f"  {part.empty}", "dim"))
        for entry in part.entries:
            rows += entry_rows(entry)
        if len(part.entries) < part.total:
            rows.append(joined(safe("  "), rich_line(part.more(len(part.entries)), "dim")))
    return Group(*rows)


async def build(rt: Runtime, user: str) -> HomeView:
    """`user`'s Home over every department the console shows."""
    return await build_home(rt, user, approver=user in rt.config.approval.approvers)
