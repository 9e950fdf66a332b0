"""A department's calendar as the workflow sees it now: what a snooze choice is counted in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from chatops.config import Config, Hours


@dataclass(frozen=True)
class Calendar:
    now: datetime
    tz: ZoneInfo
    hours: Hours | None
    """Opening hours (None: always open)."""
    morning: time
    """When the morning digest goes out: "tomorrow" starts then."""
    time_scale: float = 1.0
    """CHATOPS_TIME_SCALE: a snooze of 30 minutes lasts 30 minutes / this (demos, tests)."""


def calendar(config: Config, department: str, now: datetime, time_scale: float = 1.0) -> Calendar:
    return Calendar(
        now,
        config.department_tz(department),
        config.department(department).hours,
        config.reminders.daily_at,
        time_scale,
    )
