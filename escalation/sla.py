"""The one deadline the store indexes per case: when the chase must look at it next."""

from __future__ import annotations

from datetime import datetime

from chatops.config import Config
from chatops.domain import Case
from escalation.policy import next_step


def next_due(case: Case, config: Config, time_scale: float = 1.0) -> datetime | None:
    """The case's next escalation, approval reminder or follow-up; None when none is left."""
    step = next_step(case, config, time_scale)
    return step.due if step else None
