"""The `clock` role: APScheduler jobs for the stale scan, the daily digests and the weekly report.

Periodic and cron jobs live in APScheduler (in memory, per process); per-case deadlines live in
Redis (see chase.py). Every job acts only while this process leads (leader.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from redis.exceptions import RedisError

from adapters import Adapter
from chatops import keys, reconcile
from chatops.chat import ChatBackend
from chatops.config import Config
from chatops.domain import utcnow
from chatops.metrics import Metrics
from chatops.reconcile import PassResult, Reconciler
from chatops.redis_checks import WipeWatch
from chatops.retention import SWEEP_EVERY_S, Retention, Swept
from chatops.store import Store
from chatops.workflow.service import Workflow
from escalation import digest, overview
from escalation.chase import Chase
from escalation.leader import Leader
from escalation.storms import StormChase

log = logging.getLogger(__name__)

SCAN_EVERY_S = 30.0
HEARTBEAT_S = 5.0
WIPE_CHECK_S = 5.0


class Clock:
    def __init__(
        self,
        workflow: Workflow,
        chat: ChatBackend,
        store: Store,
        config: Config,
        adapters: Mapping[str, Adapter],
        *,
        time_scale: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        wipes: WipeWatch | None = None,
        digest_soon: timedelta | None = None,
    ) -> None:
        """`digest_soon`: the demo's, so that a digest shows within a minute; every department's
        digest then also goes out once, this long after the start (the morning cron stays)."""
        self.wf = workflow
        self.store = store
        self.config = config
        self.chat = chat
        self.scan_every = max(1.0, SCAN_EVERY_S / time_scale)
        self.wipes = wipes
        self.clock = clock
        self.chase = Chase(workflow, chat, store.cases, store.indexes, clock=clock)
        self.storm_chase = StormChase(workflow, chat, store, config, clock=clock)
        self.leader = Leader(store.redis)
        self.reconciler = Reconciler(store, adapters, metrics=metrics, clock=clock)
        self.retention = Retention(store, chat, config.retention.cases)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.digest_soon = digest_soon
        self._add_jobs()

    def _add_jobs(self) -> None:
        config = self.config
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 3600}
        self.scheduler.add_job(
            self.leader.leads, IntervalTrigger(seconds=HEARTBEAT_S), id="leader", **common
        )
        self.scheduler.add_job(
            self.scan, IntervalTrigger(seconds=self.scan_every), id="scan", **common
        )
        if self.wipes is not None:
            self.scheduler.add_job(
                self.check_wipe, IntervalTrigger(seconds=WIPE_CHECK_S), id="wipe-check", **common
            )
        at = config.reminders.daily_at
        for dept in config.departments:
            self.scheduler.add_job(
                self.daily_digest,
                CronTrigger(hour=at.hour, minute=at.minute, timezone=config.department_tz(dept.id)),
                args=[dept.id],
                id=f"digest:{dept.id}",
                **common,
            )
            if self.digest_soon is not None:
                self.scheduler.add_job(
                    self.daily_digest,
                    DateTrigger(self.clock() + self.digest_soon),
                    args=[dept.id],
                    id=f"digest-soon:{dept.id}",
                    **common,
                )
        for platform in self.reconciler.platforms:
            interval = reconcile.every(config, platform)
            if interval is not None:
                self.scheduler.add_job(
                    self.reconcile,
                    IntervalTrigger(seconds=interval.total_seconds()),
                    args=[platform],
                    id=f"reconcile:{platform}",
                    # soon after a start too: a restart often follows the outage that lost webhooks
                    next_run_time=self.clock() + timedelta(seconds=reconcile.START_DELAY_S),
                    **common,
                )
        if self.reconciler.platforms:
            self.scheduler.add_job(
                self.reconcile_warnings,
                IntervalTrigger(seconds=reconcile.WARNING_REFRESH_S),
                id="reconcile-warnings",
                **common,
            )
        self.scheduler.add_job(
            self.sweep_retention,
            IntervalTrigger(seconds=SWEEP_EVERY_S),
            id="retention",
            next_run_time=self.clock() + timedelta(seconds=reconcile.START_DELAY_S),
            **common,
        )
        self.scheduler.add_job(
            self.overview,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=config.zone),
            id="overview",
            **common,
        )
        self.scheduler.add_job(
            self.weekly_report,
            CronTrigger(day_of_week="mon", hour=at.hour, minute=at.minute, timezone=config.zone),
            id="weekly-report",
            **common,
        )

    async def sweep_retention(self) -> Swept | None:
        """Closed cases past `retention.cases` deleted (leader only; chatops/retention.py)."""
        if not await self.leader.leads():
            return None
        return await self.retention.sweep(self.clock())

    async def check_wipe(self) -> bool:
        """Every scheduler, leader or not: a wiped store is logged and reported (WipeWatch)."""
        if self.wipes is None:
            return False
        try:
            return await self.wipes.check()
        except (RedisError, OSError):
            return False  # an outage, not a wipe: the leader heartbeat reports those

    async def scan(self) -> int:
        if not await self.leader.leads():
            return 0
        return await self.chase.scan() + await self.storm_chase.scan()

    async def reconcile(self, platform: str) -> PassResult | None:
        """List the platform for what webhooks dropped (leader only)."""
        if not await self.leader.leads():
            return None
        try:
            return await self.reconciler.run(platform)
        except (RedisError, OSError) as exc:
            log.warning("reconcile %s: redis unreachable (%s)", platform, type(exc).__name__)
            return None

    async def reconcile_warnings(self) -> None:
        if await self.leader.leads():
            await self.reconciler.refresh_warnings()

    async def daily_digest(self, department: str) -> int:
        if not await self.leader.leads():
            return 0
        return await digest.send(
            self.wf,
            self.chat,
            self.store,
            department,
            self.clock(),
            once_per_day=True,
            leads=digest.leads(self.config, department),
        )

    async def overview(self) -> bool:
        """Every department's figures to `reminders.overview_to` (else the approvers), once per
        morning in the config's time zone; nothing when nobody is to get it."""
        if not await self.leader.leads():
            return False
        return await overview.send(
            self.wf, self.chat, self.store, self.config, self.clock(), once_per_day=True
        )

    async def weekly_report(self) -> bool:
        """The KPI report in the default department's channel, once per week."""
        from escalation.report import weekly_report

        if not await self.leader.leads():
            return False
        now = self.clock()
        week = now.astimezone(self.config.zone).strftime("%G-W%V")
        if not await self.store.redis.set(keys.report_sent(week), "1", nx=True, ex=14 * 24 * 3600):
            return False
        # the week's dates as the config's zone reads them (the report's datetimes' own zone)
        report = await weekly_report(self.store, now=now.astimezone(self.config.zone))
        await self.chat.post_report(self.wf.department(self.config.default_department.id), report)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        self.scheduler.start()
        log.info(
            "scheduler started: scan every %.0fs, digests at %s",
            self.scan_every,
            self.config.reminders.daily_at,
        )
        try:
            await stop.wait()
        finally:
            self.scheduler.shutdown(wait=False)
            await self.leader.resign()
