"""The one bounded wait of the tests: poll until a condition holds, or fail at a deadline.

For what happens after an acknowledgement (Bolt and Bot Framework work after they answer, a
subprocess starts up): the condition is polled, never slept for. Time the product itself
measures (SLAs, backoffs, windows) is driven by injected clocks instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T]],
    within: float = 10.0,
    every: float = 0.01,
    *,
    what: str = "condition",
) -> T:
    """The first truthy result of `check`, polled every `every` s for at most `within` s;
    `what` names the awaited condition in the failure."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {within} s")
        await asyncio.sleep(every)


async def until(check: Callable[[], T], within: float = 20.0) -> T:
    """`eventually` for a plain (not awaitable) condition."""

    async def checked() -> T:
        return check()

    return await eventually(checked, within, every=0.05)
