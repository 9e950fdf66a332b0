"""The morning overview job: every department's figures (`chatops.chat.overview`) to the people
who answer for all of them, `reminders.overview_to` or else the approvers.

Sent once per morning (the config's time zone) however many schedulers run.
"""

from __future__ import annotations

from datetime import datetime

from chatops import keys
from chatops.chat import ChatBackend, PostsOverview
from chatops.chat.overview import build, overview_report
from chatops.config import Config
from chatops.store import Store
from chatops.workflow.service import Workflow

MARKER_TTL_S = 3 * 24 * 3600


async def send(
    wf: Workflow,
    chat: ChatBackend,
    store: Store,
    config: Config,
    now: datetime,
    *,
    once_per_day: bool,
) -> bool:
    """Build and send the overview; False when nobody is to get it, the chat cannot send
    it, or (`once_per_day`) it went out today already."""
    to = config.overview_to
    if not to or not isinstance(chat, PostsOverview):
        return False
    departments = [wf.department(d.id) for d in config.departments]
    rows = await build(
        store.cases,
        store.indexes,
        store.audit,
        departments,
        config.department_tz,
        now,
        wf.answer_due,
    )
    if once_per_day:
        day = now.astimezone(config.zone).date().isoformat()
        if not await store.redis.set(keys.overview_sent(day), "1", nx=True, ex=MARKER_TTL_S):
            return False  # another scheduler sent this morning's already
    await chat.post_overview(to, overview_report(rows))
    return True
