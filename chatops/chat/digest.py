"""What a department's morning digest lists: every unanswered case, oldest first.

Chat-neutral, so the scheduled digest (escalation/digest.py) and a chat bringing a digest it
showed up to date after a click (Teams) list the same cases the same way.
"""

from __future__ import annotations

from datetime import datetime

from chatops.chat.backend import DigestItem
from chatops.domain import Case
from chatops.store import Cases, Indexes
from chatops.workflow.policy import WAITING


def digest_items(cases: list[Case], first_lines: dict[str, str], now: datetime) -> list[DigestItem]:
    """Unanswered cases, oldest first (pure)."""
    waiting = sorted((c for c in cases if c.state in WAITING), key=lambda c: c.opened_at)
    return [
        DigestItem(
            c.id, c.number, now - c.opened_at, c.owner, c.state.value, first_lines.get(c.id, "")
        )
        for c in waiting
    ]


async def build(cases: Cases, indexes: Indexes, department: str, now: datetime) -> list[DigestItem]:
    ids = await indexes.case_ids(department, WAITING)
    found = await cases.get_many(ids)
    lines = {}
    for case in found:
        mentions = await cases.mentions(case.id)
        first = mentions.get(case.mention_keys[0]) if case.mention_keys else None
        if first is not None:
            lines[case.id] = f"{first.author.display}: {' '.join(first.text.split())[:80]}"
    return digest_items(found, lines, now)
