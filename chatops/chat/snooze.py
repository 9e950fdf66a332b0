"""Snooze choices offered on every ping and digest line, turned into a time.

Command vocabulary shared by every front end: Slack and Teams list `CHOICES`, the console
reads them typed, and `commands.snooze` turns the one chosen into the end of the snooze.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatops.config import Hours
from chatops.workflow.hours import next_opening

CHOICES: dict[str, str] = {
    "30m": "30 minutes",
    "1h": "1 hour",
    "2h": "2 hours",
    "tomorrow": "until tomorrow",
}
_DELTAS = {"30m": timedelta(minutes=30), "1h": timedelta(hours=1), "2h": timedelta(hours=2)}


def snooze_until(
    choice: str,
    now: datetime,
    tz: ZoneInfo,
    hours: Hours | None,
    morning: time,
    time_scale: float = 1.0,
) -> datetime:
    """When a snooze ends: after a delay (divided by `time_scale`, like the SLAs it pauses), or
    tomorrow at the morning digest (or opening)."""
    if choice in _DELTAS:
        return now + _DELTAS[choice] / time_scale
    if choice != "tomorrow":
        raise ValueError(f"unknown snooze '{choice}' (choose {', '.join(CHOICES)})")
    local = now.astimezone(tz)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), morning, tzinfo=tz)
    return next_opening(tomorrow, hours, tz)
