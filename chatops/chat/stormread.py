"""What a storm's summary reads besides its roster: its holding statement and publish-to-all
(chatops/publishall.py), for every chat alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chatops.chat.storm import Answering, StormRef, Summary, summarise
from chatops.store.storms import Member, Publishing, Storms


async def answering(
    publishing: Publishing, ref: StormRef, members: Sequence[Member]
) -> Answering | None:
    """The statement and its progress; None while the storm has no statement."""
    job = await publishing.job(ref.department, ref.group)
    statement = job.statement if job is not None and job.running else None
    statement = await publishing.statement(ref.department, ref.group) or statement
    if statement is None:
        return None
    total = sum(1 for m in members if not m.own)
    if job is None:
        return Answering(statement.text, statement.writer, total)
    return Answering(
        statement.text,
        statement.writer,
        total,
        answered=job.answered,
        failed=len(job.failed),
        by=job.by,
        running=job.running,
    )


async def summary_now(
    storms: Storms,
    publishing: Publishing | None,
    ref: StormRef,
    name: str,
    zone: str,
    now: datetime,
) -> tuple[Summary, list[Member]] | None:
    """The storm's summary as it is now and its members; None once its record expired."""
    group = await storms.group(ref.department, ref.group)
    if group is None:
        return None
    members = await storms.roster(ref.department, ref.group)
    said = await answering(publishing, ref, members) if publishing is not None else None
    closed = group.state == "closed"
    summary = summarise(ref, name, members, now, zone=zone, closed=closed, answering=said)
    return summary, members
