"""Publish to all (issue 13 item 4): one holding statement, a personal reply to every member
of a storm who is still unanswered, each at most once, even across restarts.

Comms set the storm's statement (`say`); an approver who did not write it starts the job
(`start`: four eyes, storms being sensitive comms by definition); the worker goes on with every
job that is due (`run_due`), not the click that started it. A job walks the storm's roster and
answers each member still in the `storm` state through the workflow's publish path
(`Workflow.publish_storm_member`: compare-and-set into `publishing`, audit, the platform's
errors), with its own wording (chatops/storm/variants.py) under the repeated-text limit of the
member's platform (counted per platform, reserved before sending: chatops/store/published.py).

At most once per member rests on the case's state, not on this job's memory: a member is sent
only by whoever moved it from `storm` to `publishing`, and one that a dead runner left in
`publishing` becomes `publish_unknown` (`Workflow.recover_stalled`) for a person to check,
never sent again blindly. The job's record (chatops/store/storms.py `Publishing`) says which
members it answered and which failed, for the storm's summary ("214 of 300 answered, 3
failed") and a retry; a runner holds the job while it works (renewed per member), so two
workers never walk one storm at once.

Pace: each member's reply waits for its platform account's next slot at the rate the platform
documents (`adapters.base.ReplyRate`, shared by every worker through
chatops/store/pace.py), so a job runs at that rate instead of bursting into 429s and waiting
them out. A short wait is slept here (`sleep`, injectable), a longer one defers the job. The
platform's own word still rules: a 429 defers the job (and the account's slots) until its
Retry-After; a platform that was unavailable (502/503, unreachable) is tried again after its
`unavailable_wait`, at most `retries` times per member, before the member counts as failed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from adapters.base import ReplyRate, names, reply_rate
from chatops.chat.storm import (
    NO_STATEMENT,
    NOT_APPROVER,
    OWN_STATEMENT,
    RUNNING,
    STATEMENT_CHANGED,
    StormRef,
    over_repeat_limit,
    statement_seal,
)
from chatops.classify.language import detect_language
from chatops.config import Config
from chatops.domain import Case, NotPublished, State
from chatops.drafting import Drafter
from chatops.store import Store
from chatops.store.storms import PublishJob, Statement
from chatops.storm.variants import wordings
from chatops.workflow.service import REPEAT_LIMIT, Workflow
from chatops.workflow.transitions import Refused

log = logging.getLogger(__name__)

HOLD = timedelta(minutes=2)
"""How long a runner holds a job without a sign of life (renewed per member): a runner that
died is taken over after this."""
UNKNOWN = "the platform did not answer: check it in its own thread"
ANSWERED = frozenset({State.PUBLISHED, State.CLOSED})
IN_FLIGHT = "in flight"
"""What `_one` says of a member being published (by a runner that may have died)."""
NAP_S = 15.0
"""The longest wait for a reply slot slept in the job; a longer one defers the job (the worker
looks for due jobs every second)."""


class PublishAll:
    """Storms' holding statements and publish-to-all jobs of one process."""

    def __init__(
        self,
        workflow: Workflow,
        store: Store,
        config: Config,
        drafter: Drafter,
        *,
        clock: Callable[[], datetime],
        changed: Callable[[StormRef], Awaitable[None]] | None = None,
        approvers: Callable[[], Awaitable[frozenset[str]]] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.workflow = workflow
        self.publishing = store.publishing
        self.storms = store.storms
        self.cases = store.cases
        self.config = config
        self.drafter = drafter
        self.clock = clock
        self.changed = changed
        self.approvers = approvers
        self.pace = store.pace
        self.sleep = sleep or self._nap
        """Waits for a reply slot (tests pass one that moves their clock)."""
        self.runner = secrets.token_hex(6)
        """This runner's name in a job's lock."""
        self._stopping = False
        self._stop = asyncio.Event()
        self._unavailable: dict[str, int] = {}
        """Case id -> tries the platform was unavailable for (this process's count)."""

    def stop(self) -> None:
        """The process is stopping: the member being sent is finished, no other one begun."""
        self._stopping = True
        self._stop.set()

    async def _nap(self, seconds: float) -> None:
        """Sleep `seconds`, or less when the process stops."""
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return

    async def say(self, ref: StormRef, writer: str, text: str, language: str | None = None) -> None:
        """Set the storm's holding statement (`>>` in its thread); its language is detected
        among the department's when not given."""
        if language is None:
            allowed = self.config.department(ref.department).languages
            language = detect_language(text, allowed)
        statement = Statement(text.strip(), language, writer)
        if not statement.text:
            raise Refused(NO_STATEMENT)
        await self.publishing.say(ref.department, ref.group, statement, self.clock())
        await self._changed(ref)

    async def start(self, ref: StormRef, actor: str, *, seen: str | None = None) -> None:
        """An approver's "Publish to all" (or "retry"): the job is queued for the worker.

        `seen` is the seal of the statement the clicked message showed (a chat message can be
        older than the statement); None where the approver reads it as they act (console)."""
        statement = await self.publishing.statement(ref.department, ref.group)
        if statement is None:
            raise Refused(NO_STATEMENT)
        if seen is not None and seen != statement_seal(statement.text):
            raise Refused(STATEMENT_CHANGED, code="stale")
        approvers = (
            await self.approvers() if self.approvers else frozenset(self.config.approval.approvers)
        )
        if actor not in approvers:
            raise Refused(NOT_APPROVER, code="not_approver")
        if actor == statement.writer:
            raise Refused(OWN_STATEMENT, code="four_eyes")
        now = self.clock()
        if not await self.publishing.start(ref.department, ref.group, actor, statement, now):
            raise Refused(RUNNING)
        log.info("storm %s: publish to all started by %s", ref.id, actor)
        await self._changed(ref)

    async def job(self, ref: StormRef) -> PublishJob | None:
        return await self.publishing.job(ref.department, ref.group)

    async def run_due(self) -> int:
        """Go on with every job that is due; returns how many members were sent."""
        sent = 0
        for department in self.config.departments:
            for group in await self.publishing.due(department.id, self.clock()):
                sent += await self.run(StormRef(department.id, group))
        return sent

    async def run(self, ref: StormRef, *, most: int | None = None) -> int:
        """Walk the storm's members once (at most `most` sends); returns how many were sent."""
        if not await self._hold(ref):
            return 0
        try:
            return await self._walk(ref, most)
        finally:
            await self.publishing.release(ref.department, ref.group, self.runner)

    async def _hold(self, ref: StormRef) -> bool:
        return await self.publishing.take(
            ref.department, ref.group, self.runner, self.clock(), HOLD
        )

    async def _walk(self, ref: StormRef, most: int | None) -> int:
        job = await self.publishing.job(ref.department, ref.group)
        if job is None or not job.running:
            return 0
        done = await self.publishing.is_answered(ref.department, ref.group)
        members = [
            m
            for m in await self.storms.roster(ref.department, ref.group)
            if not m.own and m.case_id not in done and m.case_id not in job.failed
        ]
        sent, in_flight = 0, False
        for member in members:
            if self._stopping or (most is not None and sent >= most):
                return sent
            if not await self._hold(ref):
                return sent  # another runner took over (this one was thought dead)
            outcome = await self._one(ref, job, member.case_id, member.key)
            if outcome == IN_FLIGHT:
                in_flight = True
                continue
            if outcome is None:
                continue
            if isinstance(outcome, datetime):
                await self.publishing.defer(ref.department, ref.group, outcome)
                await self._changed(ref)
                return sent
            sent += 1
            await self._changed(ref)
        if in_flight:
            # A member a dead runner left `publishing`: once it is `publish_unknown` (or its
            # runner finished it after all), the next pass counts it; the job is not done yet.
            await self.publishing.defer(ref.department, ref.group, self.clock() + HOLD)
            await self._changed(ref)
            return sent
        await self.publishing.finish(ref.department, ref.group)
        log.info("storm %s: publish to all done", ref.id)
        await self._changed(ref)
        return sent

    async def _one(
        self, ref: StormRef, job: PublishJob, case_id: str, key: str
    ) -> bool | datetime | str | None:
        """One member: True sent, a time to go on at (the platform asked to wait, or its next
        reply slot is further off than `NAP_S`), `IN_FLIGHT` while it is `publishing`, None
        when nothing was sent (answered or failed, as recorded)."""
        dept, group = ref.department, ref.group
        case = await self.cases.get(case_id)
        if case is None:
            return None
        if case.state in ANSWERED and case.first_response_at is not None:
            await self.publishing.answered(dept, group, case_id)
            return None
        if case.state is State.PUBLISH_UNKNOWN:
            await self.publishing.failed(dept, group, case_id, UNKNOWN)
            return None
        if case.state is State.PUBLISHING and case.storm == ref.id:
            return IN_FLIGHT
        if case.state is not State.STORM:
            return None  # split out: answered in a thread of its own
        mention = (await self.cases.mentions(case_id)).get(case.reply_to or key)
        name = (mention.author.name or mention.author.handle) if mention else ""
        candidates = wordings(
            self.drafter,
            job.statement,
            language=case.language,
            author_name=name,
            brand=self.config.brand,
            key=key,
        )
        rate = reply_rate(case.platform) if case.platform in names() else None
        if rate is not None and (later := await self._slot(case, rate)) is not None:
            return later
        limit = self.config.pii.repeat_warning_per_day
        try:
            result = await self.workflow.publish_storm_member(
                case_id, job.by, wordings=candidates, writer=job.statement.writer, limit=limit
            )
        except Refused as refusal:
            reason = over_repeat_limit(limit) if refusal.code == REPEAT_LIMIT else refusal.reason
            await self.publishing.failed(dept, group, case_id, reason)
            return None
        if result.case.state is State.PUBLISHED:
            self._unavailable.pop(case_id, None)
            await self.publishing.answered(dept, group, case_id)
            return True
        if result.retry_at is not None:
            if rate is not None:
                await self.pace.hold(
                    case.platform,
                    case.account,
                    rate.per_second,
                    rate.burst,
                    result.retry_at,
                    self.clock(),
                )
            return result.retry_at
        if rate is not None and result.not_sent is NotPublished.UNAVAILABLE:
            tries = self._unavailable.get(case_id, 0) + 1
            if tries <= rate.retries:
                self._unavailable[case_id] = tries
                return self.clock() + timedelta(seconds=rate.unavailable_wait)
        self._unavailable.pop(case_id, None)
        await self.publishing.failed(dept, group, case_id, result.failed or UNKNOWN)
        return None

    async def _slot(self, case: Case, rate: ReplyRate) -> datetime | None:
        """Wait for the member's platform account's next reply slot: None once it is taken,
        or the time to defer the job to when it is further off than `NAP_S` (or the clock
        does not move while waiting)."""
        while True:
            now = self.clock()
            wait = await self.pace.take(
                case.platform, case.account, rate.per_second, rate.burst, now
            )
            if wait <= 0:
                return None
            if wait > NAP_S or self._stopping:
                return now + timedelta(seconds=wait)
            await self.sleep(wait)
            if self.clock() <= now:
                return now + timedelta(seconds=wait)

    async def _changed(self, ref: StormRef) -> None:
        if self.changed is None:
            return
        try:
            await self.changed(ref)
        except Exception:
            log.exception("storm %s: chat failed to show it", ref.id)
