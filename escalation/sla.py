"""When a case is next due: the first-response deadline while a customer waits for us."""

from __future__ import annotations

from datetime import datetime

from chatops.config import Department
from chatops.domain import Case, State

WAITING = frozenset(
    {State.NEW, State.CLAIMED, State.DRAFTED, State.AWAITING_APPROVAL, State.APPROVED}
)
"""States in which the customer still waits for a first answer from us."""


def next_due(case: Case, department: Department, time_scale: float = 1.0) -> datetime | None:
    """First response due `sla.first_response` after the case (re)opened; None once answered.

    `time_scale` > 1 shrinks every SLA (demo and end-to-end checks, CHATOPS_TIME_SCALE).
    """
    if case.state not in WAITING:
        return None
    return case.opened_at + department.sla.first_response / time_scale
