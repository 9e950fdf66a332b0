"""The morning digest: every unanswered case of a department, oldest first, in its channel.

Nothing is sent where nothing is open. The scheduled digest goes out once per department and
local day however many schedulers run; `chatops digest` sends one on request.
"""

from __future__ import annotations

from datetime import datetime

from chatops import keys
from chatops.chat import DigestItem
from chatops.domain import Case
from chatops.workflow.service import Workflow
from escalation.policy import WAITING


def digest_items(cases: list[Case], first_lines: dict[str, str], now: datetime) -> list[DigestItem]:
    """Unanswered cases, oldest first (pure)."""
    waiting = sorted((c for c in cases if c.state in WAITING), key=lambda c: c.opened_at)
    return [
        DigestItem(
            c.id, c.number, now - c.opened_at, c.owner, c.state.value, first_lines.get(c.id, "")
        )
        for c in waiting
    ]


async def build(wf: Workflow, department: str, now: datetime) -> list[DigestItem]:
    ids = await wf.store.case_ids(department, WAITING)
    cases = await wf.store.get_cases(ids)
    lines = {}
    for case in cases:
        mentions = await wf.store.mentions(case.id)
        first = mentions.get(case.mention_keys[0]) if case.mention_keys else None
        if first is not None:
            lines[case.id] = f"{first.author.display}: {' '.join(first.text.split())[:80]}"
    return digest_items(cases, lines, now)


async def send(wf: Workflow, department: str, now: datetime, *, once_per_day: bool) -> int:
    """Post the digest of one department; returns the number of cases listed (0: nothing sent)."""
    items = await build(wf, department, now)
    if not items:
        return 0
    if once_per_day:
        day = now.astimezone(wf.config.department_tz(department)).date().isoformat()
        marker = keys.digest_sent(department, day)
        if not await wf.store.redis.set(marker, "1", nx=True, ex=3 * 24 * 3600):
            return 0  # another scheduler sent today's already
    await wf.chat.post_digest(wf.department(department), items, now)
    return len(items)
