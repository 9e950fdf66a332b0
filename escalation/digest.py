"""The morning digest job: a department's unanswered cases (`chatops.chat.digest`) in its channel.

Nothing is sent where nothing is open. The scheduled digest goes out once per department and
local day however many schedulers run; `chatops digest` sends one on request.
"""

from __future__ import annotations

from datetime import datetime

from chatops import keys
from chatops.chat import ChatBackend
from chatops.chat.digest import build
from chatops.store import Store
from chatops.workflow.service import Workflow


async def send(
    wf: Workflow,
    chat: ChatBackend,
    store: Store,
    department: str,
    now: datetime,
    *,
    once_per_day: bool,
) -> int:
    """Post the digest of one department; returns the number of cases listed (0: nothing sent)."""
    items = await build(store.cases, store.indexes, department, now)
    if not items:
        return 0
    if once_per_day:
        day = now.astimezone(wf.calendar(department).tz).date().isoformat()
        marker = keys.digest_sent(department, day)
        if not await store.redis.set(marker, "1", nx=True, ex=3 * 24 * 3600):
            return 0  # another scheduler sent today's already
    await chat.post_digest(wf.department(department), items, now)
    return len(items)
