"""The stale scan: take the cases whose next step is due and carry that step out, once.

Only what is due is read (`ZRANGEBYSCORE … LIMIT`), so a tick costs O(what is due). Each step
is a compare-and-set on the case (the tier or reminder number it saw), so a second scheduler
or a retried job finds the step taken and notifies nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from chatops.domain import utcnow
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.service import Workflow
from chatops.workflow.transitions import Args, Refused
from escalation.policy import Step, next_step

log = logging.getLogger(__name__)

BATCH = 1000

_COMMAND = {"tier": Command.ESCALATE, "approval": Command.APPROVAL_PING, "follow_up": Command.CLOSE}


class Chase:
    def __init__(self, workflow: Workflow, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.wf = workflow
        self.clock = clock

    async def scan(self) -> int:
        """One tick: carry out every due step; returns how many steps were taken."""
        now = self.clock()
        taken = 0
        for case_id in await self.wf.store.due_case_ids(now, limit=BATCH):
            taken += await self._advance(case_id, now)
        return taken

    async def _advance(self, case_id: str, now: datetime) -> int:
        """Take every step of the case that is due by `now` (a tier and a reminder may
        fall due together); returns how many were taken by this caller."""
        taken = 0
        for _ in range(len(self.wf.config.escalation) + 2):
            case = await self.wf.store.get_case(case_id)
            if case is None:
                return taken
            step = next_step(case, self.wf.config, self.wf.time_scale, now)
            if step is None or step.due > now:
                await self.wf.store.reindex(case, case, self.wf.due(case))
                return taken
            try:
                await self.wf.command(case_id, _COMMAND[step.kind], SYSTEM, _args(step))
            except Refused as refusal:
                log.debug("case %s: step %s not taken: %s", case_id, step.kind, refusal.reason)
                return taken
            taken += 1
        return taken


def _args(step: Step) -> Args:
    return Args(tier=step.index, text=step.text, notify=step.notify)
