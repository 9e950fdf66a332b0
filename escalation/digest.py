"""The morning digest job: a department's unanswered cases (`chatops.chat.digest`) in its channel,
and with `reminders.personal` also directly to each of its `escalate_to` people.

Nothing is sent where nothing is open. The scheduled digest goes out once per department and
local day, and once per person, department and day, however many schedulers run; `chatops
digest` sends one on request.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from chatops import keys
from chatops.chat import ChatBackend, DigestsPeople
from chatops.chat.digest import build
from chatops.config import Config
from chatops.store import Store
from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

MARKER_TTL_S = 3 * 24 * 3600


async def send(
    wf: Workflow,
    chat: ChatBackend,
    store: Store,
    department: str,
    now: datetime,
    *,
    once_per_day: bool,
    leads: Sequence[str] = (),
) -> int:
    """Post the digest of one department, and send it to `leads` (ids as configured: people,
    user groups) directly; returns the number of cases listed (0: nothing sent)."""
    items = await build(store.cases, store.indexes, department, now, wf.answer_due, store.storms)
    if not items:
        return 0
    day = now.astimezone(wf.calendar(department).tz).date().isoformat()

    async def first_today(marker: str) -> bool:
        if not once_per_day:
            return True
        return bool(await store.redis.set(marker, "1", nx=True, ex=MARKER_TTL_S))

    sent = False
    dept = wf.department(department)
    if await first_today(keys.digest_sent(department, day)):
        await chat.post_digest(dept, items, now)
        sent = True
    if leads and isinstance(chat, DigestsPeople):
        for person in await chat.people(leads):
            if not await first_today(keys.digest_dm_sent(department, day, person)):
                continue  # another scheduler sent them today's already
            try:
                await chat.post_personal_digest(person, dept, items, now)
            except Exception:
                log.exception("digest: could not send %s's digest to a lead directly", department)
                continue
            sent = True
    return len(items) if sent else 0


def leads(config: Config, department: str) -> tuple[str, ...]:
    """Who gets the department's digest directly: its `escalate_to`, when
    `reminders.personal` is on."""
    if not config.reminders.personal:
        return ()
    return tuple(config.department(department).escalate_to)
