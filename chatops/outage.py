"""One log line when Redis goes away and one when it is back, whoever is waiting for it.

A retry loop that logs every attempt floods the log during an outage (a webhook refused per
request, a worker or sender retrying every second); these say it once per change of state.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class RedisOutage:
    """The state of one component's view of Redis. `failures` counts the retries (or refused
    requests) of the current outage."""

    def __init__(self, who: str, logger: logging.Logger = log) -> None:
        self.who = who
        self.log = logger
        self.since: float | None = None
        self.failures = 0

    def failed(self, exc: BaseException, now: float) -> None:
        self.failures += 1
        if self.since is None:
            self.since = now
            self.log.error(
                "%s: Redis unavailable (%s: %s); retrying quietly until it is back",
                self.who,
                type(exc).__name__,
                str(exc)[:200],
            )

    def ok(self, now: float) -> None:
        if self.since is not None:
            self.log.warning(
                "%s: Redis reachable again after %.1f s (%d retries)",
                self.who,
                now - self.since,
                self.failures,
            )
            self.since = None
            self.failures = 0
