"""Storm detection as the worker uses it: observe each mention of a department, sweep storms
that went quiet (issue 13 item 1).

`observe` fingerprints the text (detect.py, pure) and records the mention in its group in Redis
(chatops/store/storms.py, one round trip); the opening of a storm is logged once, by whichever
worker's mention opened it. Nothing about posting changes here: the verdict is data for
whoever shows storms.
"""

from __future__ import annotations

import logging
from datetime import datetime

from chatops.config import Config
from chatops.config.models import Crisis
from chatops.domain import Mention
from chatops.durations import format_duration
from chatops.store.storms import Closed, Storms, Verdict
from chatops.storm.detect import Detector, Fingerprint

log = logging.getLogger(__name__)


def brand_names(config: Config) -> list[str]:
    """The brand's own names (the brand, its accounts' names and handles): a hashtag of one
    of them is in every other mention, so it ties nothing."""
    names = [config.brand]
    for platform in config.platforms.enabled():
        for account in config.platforms.accounts(platform):
            names += account.names()
    return [name for name in names if name]


def author_of(mention: Mention) -> str:
    """Who counts as one person: the platform's author id, else the mention itself."""
    return f"{mention.platform}:{mention.author.id}" if mention.author.id else mention.key


class StormWatch:
    """Storm detection of every department of one config, over the shared store."""

    def __init__(self, storms: Storms, config: Config) -> None:
        self.storms = storms
        self.config = config
        ignore = brand_names(config)
        self._detectors: dict[str, Detector] = {}
        by_keywords: dict[tuple[tuple[str, ...], ...], Detector] = {}
        for department in config.departments:
            subjects = tuple(tuple(words) for words in config.crisis_of(department.id).keywords)
            if subjects not in by_keywords:
                by_keywords[subjects] = Detector(subjects, ignore)
            self._detectors[department.id] = by_keywords[subjects]

    def fingerprint(self, department: str, text: str) -> Fingerprint:
        return self._detectors[department].fingerprint(text)

    async def observe(self, department: str, mention: Mention, now: datetime) -> Verdict | None:
        """Record `mention` in its group of `department`; None when its text has nothing to
        group by (too short, no tie). Idempotent: a redelivered mention counts once."""
        found = self.fingerprint(department, mention.text)
        if not found.tokens:
            return None
        crisis = self.config.crisis_of(department)
        verdict = await self.storms.assign(
            department,
            found.tokens,
            member=mention.key,
            author=author_of(mention),
            now=now,
            within=crisis.threshold.within,
            quiet=crisis.quiet,
            threshold=crisis.threshold.mentions,
        )
        if verdict.opened:
            log.info(
                "storm %s:%s opened: %d people wrote alike within %s (%d mentions)",
                department,
                verdict.group,
                verdict.people,
                format_duration(crisis.threshold.within),
                verdict.members,
            )
        return verdict

    async def closing(self, now: datetime) -> list[Closed]:
        """Close every storm that has had no new member for its department's `quiet`."""
        closed: list[Closed] = []
        for department in self.config.departments:
            crisis: Crisis = self.config.crisis_of(department.id)
            for storm in await self.storms.close_quiet(department.id, now, crisis.quiet):
                log.info(
                    "storm %s:%s closed: quiet for %s (%d mentions from %d people)",
                    storm.department,
                    storm.group,
                    format_duration(crisis.quiet),
                    storm.members,
                    storm.people,
                )
                closed.append(storm)
        return closed
