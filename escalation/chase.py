"""The stale scan: take the cases whose next step is due and carry that step out, once.

Only what is due is read (`ZRANGEBYSCORE … LIMIT`), so a tick costs O(what is due). Each step
is a compare-and-set on the case (the tier or reminder number it saw), so a second scheduler
or a retried job finds the step taken and notifies nobody.

Escalation pings are batched: each case's thread gets its own line (mentioning nobody), and the
people are called once per department and recipients per scan, in one message listing the
cases (`ChatBackend.post_pings`): twelve overdue cases are one `@here`, not twelve.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from chatops.chat import ChatBackend, PingItem
from chatops.domain import Case, utcnow
from chatops.store import Cases, Indexes
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.policy import Step
from chatops.workflow.service import Workflow
from chatops.workflow.transitions import Args

log = logging.getLogger(__name__)

BATCH = 1000

_COMMAND = {"tier": Command.ESCALATE, "approval": Command.APPROVAL_PING, "follow_up": Command.CLOSE}


class Chase:
    def __init__(
        self,
        workflow: Workflow,
        chat: ChatBackend,
        cases: Cases,
        indexes: Indexes,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.wf = workflow
        self.cases = cases
        self.indexes = indexes
        self.chat = chat
        self.clock = clock

    async def scan(self) -> int:
        """One tick: carry out every due step; returns how many steps were taken.

        The due cases are read, decided and written in batches (a few round trips for a
        thousand cases); a case with several steps due at once gets one per tick.
        """
        now = self.clock()
        due = await self.indexes.due(now, limit=BATCH)
        cases = await self.cases.get_many(due)
        commands = []
        stale = []
        tiers: dict[str, Step] = {}
        for case in cases:
            step = self.wf.next_step(case, now)
            if step is None or step.due > now:
                stale.append((case, case, self.wf.due(case)))
                continue
            if step.kind == "tier":
                tiers[case.id] = step
            commands.append((case, _COMMAND[step.kind], SYSTEM, _args(step)))
        if stale:
            await self.indexes.reindex_many(stale)
        taken = await self.wf.apply_many(commands)
        await self._ping([(case, tiers[case.id]) for case in taken if case.id in tiers])
        return len(taken)

    async def _ping(self, fired: list[tuple[Case, Step]]) -> None:
        """One message per department and recipients for the tiers this scan took."""
        for (dept_id, notify), items in ping_batches(fired).items():
            try:
                await self.chat.post_pings(self.wf.department(dept_id), items, notify)
            except Exception:
                log.exception("chase: chat failed to post %d pings in %s", len(items), dept_id)


def ping_batches(
    fired: list[tuple[Case, Step]],
) -> dict[tuple[str, tuple[str, ...]], list[PingItem]]:
    """The tiers of one scan grouped by (department, recipients), in case-number order; tiers
    that call nobody (a spam case's channel tier) stay a line in their own thread only."""
    batches: dict[tuple[str, tuple[str, ...]], list[PingItem]] = {}
    for case, step in sorted(fired, key=lambda f: _number(f[0].id)):
        if step.notify and step.overdue is not None:
            item = PingItem(case.id, case.number, step.overdue, case.owner)
            batches.setdefault((case.department, step.notify), []).append(item)
    return batches


def _number(case_id: str) -> tuple[int, str]:
    return (int(case_id), "") if case_id.isdigit() else (0, case_id)


def _args(step: Step) -> Args:
    """A tier's thread line mentions nobody: the batch (`Chase._ping`) calls the people.
    The audit keeps which step was taken."""
    notify = () if step.kind == "tier" else step.notify
    detail = f"{step.kind} {step.index}"
    return Args(tier=step.index, text=detail, notify=notify, overdue=step.overdue)
