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
from chatops.workflow.transitions import Args
from escalation.policy import Step, next_step

log = logging.getLogger(__name__)

BATCH = 1000

_COMMAND = {"tier": Command.ESCALATE, "approval": Command.APPROVAL_PING, "follow_up": Command.CLOSE}


class Chase:
    def __init__(self, workflow: Workflow, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.wf = workflow
        self.clock = clock

    async def scan(self) -> int:
        """One tick: carry out every due step; returns how many steps were taken.

        The due cases are read, decided and written in batches (a few round trips for a
        thousand cases); a case with several steps due at once gets one per tick.
        """
        now = self.clock()
        due = await self.wf.store.due_case_ids(now, limit=BATCH)
        cases = await self.wf.store.get_cases(due)
        commands = []
        stale = []
        for case in cases:
            step = next_step(case, self.wf.config, self.wf.time_scale, now)
            if step is None or step.due > now:
                stale.append((case, case, self.wf.due(case)))
                continue
            commands.append((case, _COMMAND[step.kind], SYSTEM, _args(step)))
        if stale:
            await self.wf.store.reindex_many(stale)
        return len(await self.wf.apply_many(commands))


def _args(step: Step) -> Args:
    return Args(tier=step.index, text=step.text, notify=step.notify)
