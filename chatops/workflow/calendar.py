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


def calendar(config: Config, department: str, now: datetime) -> Calendar:
    return Calendar(
        now,
        config.department_tz(department),
        config.department(department).hours,
        config.reminders.daily_at,
    )
