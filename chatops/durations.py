"""Human durations (`90s`, `15m`, `1.5h`, `2d`) as written in the config file.

One small grammar for every duration key, so SLA times, poll intervals and escalation delays all
read the same way and a typo (`15x`) is reported with the value instead of a pydantic dump.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_UNITS: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
_PATTERN = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[a-zA-Z]*)")


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse `15m`-style text (or a number of seconds) into a non-negative timedelta."""
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"bad duration '{value}': must not be negative")
        return value
    if isinstance(value, bool):
        raise ValueError(f"bad duration '{value}': use a number with s, m, h or d, like 15m")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"bad duration '{value}': must be a non-negative number of seconds")
        return timedelta(seconds=value)
    if not isinstance(value, str):
        raise ValueError(f"bad duration {value!r}: use a number with s, m, h or d, like 15m")
    text = value.strip()
    found = _PATTERN.fullmatch(text)
    if text.startswith("-"):
        raise ValueError(f"bad duration '{value}': must not be negative")
    if found is None:
        raise ValueError(f"bad duration '{value}': use a number with s, m, h or d, like 15m")
    unit = found["unit"].lower()
    if not unit:
        raise ValueError(f"bad duration '{value}': add a unit: s, m, h or d")
    if unit not in _UNITS:
        raise ValueError(f"bad duration '{value}': use s, m, h or d")
    return float(found["number"]) * _UNITS[unit]


def format_duration(value: timedelta) -> str:
    """The shortest exact config spelling of a duration (`1h`, `90s`, `36h`), for messages."""
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A config field holding a duration: accepts `15m`-style strings or seconds, stores timedelta."""
