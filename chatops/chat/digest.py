"""What a department's morning digest lists: every unanswered case, oldest first.

Chat-neutral, so the scheduled digest (escalation/digest.py) and a chat bringing a digest it
showed up to date after a click (Teams) list the same cases the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from chatops.chat.backend import DigestItem
from chatops.chat.rich import aware
from chatops.chat.storm import StormRef, digest_item, summarise
from chatops.domain import Case, State
from chatops.store import Cases, Indexes, Storms
from chatops.workflow.policy import WAITING

AnswerDue = Callable[[Case], datetime | None]
"""When a case's first answer is due (`Workflow.answer_due`)."""


def digest_items(
    cases: list[Case],
    first_lines: dict[str, str],
    now: datetime,
    due: Mapping[str, datetime | None] | None = None,
) -> list[DigestItem]:
    """Unanswered cases, oldest first, marked overdue when past `due` (case id -> when its
    first answer is due) and sensitive when their reply needs approval (pure)."""
    waiting = sorted((c for c in cases if c.state in WAITING), key=lambda c: c.opened_at)
    due = due or {}
    return [
        DigestItem(
            c.id,
            c.number,
            now - c.opened_at,
            c.owner,
            c.state.value,
            first_lines.get(c.id, ""),
            overdue=_past(due.get(c.id), now),
            sensitive=c.needs_approval,
        )
        for c in waiting
    ]


def _past(when: datetime | None, now: datetime) -> bool:
    return when is not None and aware(when) < aware(now)


async def build(
    cases: Cases,
    indexes: Indexes,
    department: str,
    now: datetime,
    answer_due: AnswerDue,
    storms: Storms | None = None,
) -> list[DigestItem]:
    """The digest's lines: every waiting case, then one line per storm with waiting members
    (a storm is one item, however many it has; `storms` None: no storm lines)."""
    ids = await indexes.case_ids(department, WAITING)
    found = await cases.get_many(ids)
    lines = {}
    for case in found:
        mentions = await cases.mentions(case.id)
        first = mentions.get(case.mention_keys[0]) if case.mention_keys else None
        if first is not None:
            lines[case.id] = f"{first.author.display}: {' '.join(first.text.split())[:80]}"
    items = digest_items(found, lines, now, {c.id: answer_due(c) for c in found})
    if storms is not None:
        items += await storm_items(cases, indexes, storms, department, now)
    return items


async def storm_items(
    cases: Cases, indexes: Indexes, storms: Storms, department: str, now: datetime
) -> list[DigestItem]:
    """One line per storm whose members still wait in storm state, oldest storm first."""
    members = await cases.get_many(await indexes.case_ids(department, [State.STORM]))
    by_storm: dict[str, list[Case]] = {}
    for case in members:
        if case.state is State.STORM and case.storm:
            by_storm.setdefault(case.storm, []).append(case)
    items = []
    for storm_id, waiting in by_storm.items():
        ref = StormRef.parse(storm_id)
        if ref is None:
            continue
        roster = await storms.roster(ref.department, ref.group)
        texts = summarise(ref, department, roster, now).texts
        items.append(digest_item(ref, waiting, now, texts[0][0] if texts else ""))
    return sorted(items, key=lambda item: -item.age)
