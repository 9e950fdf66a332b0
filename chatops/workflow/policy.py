"""What the chase does next for a case: a pure function of the case, the config and the time.

Three kinds of step, whichever comes first:
- an escalation tier (`escalation:` in the config) while the customer waits for an answer;
- an approval-wait reminder to the approvers, once per `sla.approval` of waiting;
- the follow-up after publishing, which closes a case the customer did not write to again.
SLA clocks run in the department's business hours. A snooze postpones pings, not follow-ups.

The workflow owns the policy: it indexes each case by its next due time and shows the
first-response deadline; escalation's jobs only carry out the steps it names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from chatops.config import Config, Department, EscalationTier
from chatops.domain import Case, Overdue, State
from chatops.workflow.hours import add_business_time

WAITING = frozenset(
    {State.NEW, State.CLAIMED, State.DRAFTED, State.AWAITING_APPROVAL, State.APPROVED}
)
"""States in which the customer still waits for a first answer from us."""

StepKind = Literal["tier", "approval", "follow_up"]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    index: int  # the tier's index, or how many approval reminders were already sent
    due: datetime
    notify: tuple[str, ...] = ()
    overdue: Overdue | None = None  # a tier: what it finds late (the chats word it)


def clock_due(
    case: Case, dept: Department, tz: ZoneInfo, delay: timedelta, time_scale: float = 1.0
) -> datetime:
    """`delay` of the department's open time after the case (re)opened."""
    return add_business_time(case.opened_at, delay / time_scale, dept.hours, tz)


def first_response_due(case: Case, config: Config, time_scale: float = 1.0) -> datetime | None:
    """When the first answer is due (shown in the case message); None once answered."""
    if case.state not in WAITING:
        return None
    dept = config.department(case.department)
    return clock_due(case, dept, config.department_tz(dept.id), dept.sla.first_response, time_scale)


def recipients(
    notify: list[str], dept: Department, config: Config, *, spam: bool = False
) -> tuple[str, ...]:
    """Tier targets in people: the channel, the department's escalation list, approvers, ids.

    A spam-flagged case never calls the whole channel (`@here`): a flood of spam must not
    page everyone; the named people of later tiers still hear of it."""
    out: list[str] = []
    for target in notify:
        if target in ("channel", "here"):
            if not spam:
                out.append("here")
        elif target == "escalate_to":
            out.extend(dept.escalate_to)
        elif target == "approvers":
            out.extend(config.approval.approvers)
        else:
            out.append(target)
    return tuple(dict.fromkeys(out))


def _tier_step(case: Case, config: Config, time_scale: float, now: datetime | None) -> Step | None:
    """The next tier; when several are already overdue (after a snooze, or a scheduler that
    was down), only the furthest one: people get one ping, at the right level."""
    candidates = list(_tiers(case, config, time_scale))
    if not candidates:
        return None
    if now is not None:
        overdue = [s for s in candidates if s.due <= now]
        if overdue:
            return overdue[-1]
    return candidates[0]


def _tiers(case: Case, config: Config, time_scale: float) -> Iterator[Step]:
    if case.state not in WAITING:
        return
    dept = config.department(case.department)
    tz = config.department_tz(dept.id)
    for index in range(case.escalation_tier, len(config.escalation)):
        tier: EscalationTier = config.escalation[index]
        if tier.clock == "claim" and case.owner:
            continue  # claimed in time: this tier has nothing to chase
        if tier.clock == "approval":
            continue  # approval waits have their own reminders
        due = clock_due(case, dept, tz, tier.delay(dept.sla), time_scale)
        if case.snoozed_until is not None:
            due = max(due, case.snoozed_until)
        people = recipients(tier.notify, dept, config, spam=bool(case.spam_signals))
        yield Step("tier", index, due, people, Overdue(tier.clock, tier.delay(dept.sla)))


def _approval_step(case: Case, config: Config, time_scale: float) -> Step | None:
    if case.state is not State.AWAITING_APPROVAL or case.approval_requested_at is None:
        return None
    dept = config.department(case.department)
    waited = dept.sla.approval * (case.approval_pings + 1) / time_scale
    due = add_business_time(
        case.approval_requested_at, waited, dept.hours, config.department_tz(dept.id)
    )
    if case.snoozed_until is not None:
        due = max(due, case.snoozed_until)
    return Step("approval", case.approval_pings, due, tuple(config.approval.approvers))


def _follow_up_step(case: Case, config: Config, time_scale: float) -> Step | None:
    published = case.published_at
    if case.state is not State.PUBLISHED or published is None:
        return None
    dept = config.department(case.department)
    due = published + dept.follow_up / time_scale
    return Step("follow_up", 0, due)


def next_step(
    case: Case, config: Config, time_scale: float = 1.0, now: datetime | None = None
) -> Step | None:
    """The earliest thing the chase must do for `case`, or None when there is nothing."""
    steps = [
        s
        for s in (
            _tier_step(case, config, time_scale, now),
            _approval_step(case, config, time_scale),
            _follow_up_step(case, config, time_scale),
        )
        if s is not None
    ]
    return min(steps, key=lambda s: s.due) if steps else None
