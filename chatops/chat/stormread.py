"""What a storm's summary reads besides its roster: its holding statement and publish-to-all
(chatops/publishall.py), for every chat alike."""

from __future__ import annotations

from collections.abc import Sequence

from chatops.chat.storm import Answering, StormRef
from chatops.store.storms import Member, Publishing


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
