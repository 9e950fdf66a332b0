"""A storm escalates as one item (issue 13 item 5): one ping per tier per storm, never one per
member, per the department's escalation tiers.

Its members are in the `storm` state, which the case chase (chase.py) leaves alone; the storm's
own clock starts when it opened. Its summary called the channel once when it was posted (the
storm's one `@here`), so a tier that calls the channel adds nobody; the tiers that name people
(`escalate_to`, approvers, ids) call them once, in one batched ping with the cases that are
due in the same scan. What a storm's tiers chase:
- `claim`: nobody has taken it on, i.e. it has no holding statement yet;
- `first_response` and fixed delays: its members have no answer, i.e. publish-to-all was not
  started.
Advancing a storm's tier is a compare-and-set in Redis (`Storms.escalate`), so a second
scheduler or a retried scan calls nobody twice. `storm_step` decides, purely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chatops.chat import ChatBackend, PingItem
from chatops.chat.storm import StormRef
from chatops.config import Config
from chatops.domain import Overdue, utcnow
from chatops.store import Store
from chatops.workflow.hours import add_business_time
from chatops.workflow.policy import Step, recipients
from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StormState:
    """What a storm's escalation depends on."""

    department: str
    opened_at: datetime
    tier: int
    """The last tier taken (-1: none)."""
    has_statement: bool
    publishing: bool
    """Publish-to-all was started (its members are being answered)."""


def storm_step(
    s: StormState, config: Config, now: datetime, time_scale: float = 1.0
) -> Step | None:
    """The storm's next tier that calls somebody, or None; of several already overdue, only
    the furthest (people get one ping, at the right level). Tiers that would call nobody (the
    channel, already called by the summary) or chase what was done are passed over."""
    dept = config.department(s.department)
    tz = config.department_tz(dept.id)
    candidates: list[Step] = []
    for index in range(s.tier + 1, len(config.escalation)):
        tier = config.escalation[index]
        if tier.clock == "approval":
            continue  # approval waits have their own reminders
        if s.publishing or (tier.clock == "claim" and s.has_statement):
            continue
        people = tuple(p for p in recipients(tier.notify, dept, config) if p != "here")
        if not people:
            continue
        due = add_business_time(s.opened_at, tier.delay(dept.sla) / time_scale, dept.hours, tz)
        overdue = Overdue(tier.clock, tier.delay(dept.sla))
        candidates.append(Step("tier", index, due, people, overdue))
    late = [c for c in candidates if c.due <= now]
    if late:
        return late[-1]
    return candidates[0] if candidates else None


class StormChase:
    """The storms' part of the stale scan (the scheduler runs it with the cases' part)."""

    def __init__(
        self,
        workflow: Workflow,
        chat: ChatBackend,
        store: Store,
        config: Config,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.wf = workflow
        self.chat = chat
        self.store = store
        self.config = config
        self.clock = clock

    async def scan(self) -> int:
        """Take every storm tier that is due, once; returns how many were taken. Reads only
        the departments' open storms (a handful), not their members."""
        now = self.clock()
        taken = 0
        for dept in self.config.departments:
            batches: dict[tuple[str, ...], list[PingItem]] = {}
            for group in await self.store.storms.open_groups(dept.id):
                ref = StormRef(dept.id, group)
                step = await self._step(ref, now)
                if step is None or step.due > now or step.overdue is None:
                    continue
                if not await self.store.storms.escalate(dept.id, group, step.index):
                    continue  # another scheduler took it
                taken += 1
                item = PingItem(ref.id, f"Storm {ref.id}", step.overdue, None)
                batches.setdefault(step.notify, []).append(item)
            for notify, items in batches.items():
                try:
                    await self.chat.post_pings(self.wf.department(dept.id), items, notify)
                except Exception:
                    log.exception("chase: chat failed to ping about %d storm(s)", len(items))
        return taken

    async def _step(self, ref: StormRef, now: datetime) -> Step | None:
        record = await self.store.storms.group(ref.department, ref.group)
        if record is None or record.state != "open" or record.opened_at is None:
            return None
        statement = await self.store.publishing.statement(ref.department, ref.group)
        job = await self.store.publishing.job(ref.department, ref.group)
        state = StormState(
            ref.department,
            record.opened_at,
            record.tier,
            has_statement=statement is not None,
            publishing=job is not None,
        )
        return storm_step(state, self.config, now, self.wf.time_scale)
