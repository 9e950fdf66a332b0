"""The long-running roles of DESIGN §3 (web, worker, all-in-one), started and stopped cleanly.

Start-up checks the store (durability warnings, the epoch a wipe is noticed by). Stopping
(SIGTERM) lets work in flight finish, bounded by STOP_GRACE_S: the web stops taking requests
and waits for those under way, then publishes under way and the chat backend's listeners that
run after their ack (Bolt's) are awaited, and only then are the clients closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chatops import web as web_routes
from chatops.chat import Attaches, Drains, Runs, local_only
from chatops.polling import Poller
from chatops.redis_checks import log_durability
from chatops.runtime import Runtime
from chatops.web import build_app
from chatops.worker import Worker

log = logging.getLogger(__name__)

STOP_GRACE_S = 20.0
"""How long a stopping process waits for requests, publishes and chat listeners under way."""
STARTUP_CHECK_S = 10.0
"""The start-up checks of Redis never hold a role back longer than this."""


def web_app(rt: Runtime) -> web.Application:
    app = build_app(
        rt.store,
        rt.adapters,
        rt.metrics,
        [d.id for d in rt.config.departments],
        metrics_token=rt.settings.metrics_token,
        wipes=rt.wipes,
    )
    if isinstance(rt.chat, Attaches):
        rt.chat.attach(app)
    return app


def metrics_app(rt: Runtime) -> web.Application:
    """`/metrics`, `/healthz` and `/readyz` alone, for a worker or scheduler with no web
    (CHATOPS_METRICS_PORT); the same token rule as the web (CHATOPS_METRICS_TOKEN)."""
    app = web.Application()
    app[web_routes.STORE] = rt.store
    app[web_routes.METRICS] = rt.metrics
    app[web_routes.DEPARTMENTS] = [d.id for d in rt.config.departments]
    app[web_routes.METRICS_TOKEN] = rt.settings.metrics_token or ""
    app[web_routes.WIPES] = rt.wipes
    app.router.add_get("/metrics", web_routes.metrics_endpoint)
    app.router.add_get("/healthz", web_routes.healthz)
    app.router.add_get("/readyz", web_routes.readyz)
    return app


@contextlib.asynccontextmanager
async def serving(
    rt: Runtime,
    host: str,
    port: int,
    app: web.Application | None = None,
    grace: float = STOP_GRACE_S,
) -> AsyncIterator[int]:
    """Serve the web app (or `app`) while the block runs; yields the bound port (useful with
    port 0). On exit, requests under way get up to `grace` seconds to finish."""
    runner = web.AppRunner(
        app or web_app(rt), access_log=None, handle_signals=False, shutdown_timeout=grace
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("%s listening on http://%s:%s", "web" if app is None else "metrics", host, bound)
    try:
        yield bound
    finally:
        await runner.cleanup()


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def drain_chat(rt: Runtime, within: float = 60.0) -> None:
    """For one-shot commands: deliver what the chat backend queued before exiting."""
    if isinstance(rt.chat, Drains):
        await rt.chat.drain(within)


def make_worker(rt: Runtime) -> Worker:
    assert rt.pipeline is not None
    return Worker(rt.store.inbound, rt.pipeline, rt.metrics, wipes=rt.wipes)


async def check_store(rt: Runtime) -> None:
    """Start-up: Redis must answer, then warn once about a Redis that may lose data and claim
    the store's epoch.

    A role that cannot reach Redis at start-up stops (the caller says why in one line): a
    wrong REDIS_URL must not leave a process that looks alive and does nothing, and a
    supervisor restarts it when Redis is only late. Once running, the roles wait out an
    outage instead. Skipped for the embedded store (it keeps nothing by design, and says so).
    """
    if rt.settings.embedded_store:
        return
    try:
        async with asyncio.timeout(STARTUP_CHECK_S):
            await rt.store.redis.ping()
    except TimeoutError as exc:
        raise RedisTimeoutError(f"no answer within {STARTUP_CHECK_S:.0f} s") from exc
    try:
        async with asyncio.timeout(STARTUP_CHECK_S):
            await log_durability(rt.store.redis)
            if rt.wipes is not None:
                await rt.wipes.start()
    except (RedisError, OSError) as exc:  # TimeoutError is an OSError
        log.warning("start-up: Redis checks skipped (%s)", type(exc).__name__)


def _listener_tasks() -> set[asyncio.Task[object]]:
    """Tasks Bolt runs a listener in after acknowledging Slack (it keeps no handle on them)."""
    return {
        t
        for t in asyncio.all_tasks()
        if not t.done()
        and "run_ack_function_asynchronously" in getattr(t.get_coro(), "__qualname__", "")
    }


async def settle(rt: Runtime, within: float) -> None:
    """Let publishes and chat listeners under way finish, at most `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    listeners = _listener_tasks()
    if listeners:
        await asyncio.wait(listeners, timeout=within)
    if rt.workflow is not None:
        left = max(0.0, deadline - loop.time())
        if not await rt.workflow.in_flight.settle(left):
            log.warning(
                "stopping with %d publish(es) still under way after %.0f s: their cases will "
                "be marked publish_unknown",
                rt.workflow.in_flight.count,
                within,
            )


async def run_roles(
    rt: Runtime,
    *,
    web_on: bool,
    worker_on: bool,
    clock_on: bool = False,
    host: str = "0.0.0.0",
    stop: asyncio.Event | None = None,
    grace: float = STOP_GRACE_S,
) -> None:
    """Run the chosen roles until SIGINT/SIGTERM (or `stop`), then stop within `grace`."""
    if local_only(rt.chat):  # unauthenticated chat (CHATOPS_TEAMS_AUTH=off)
        host = "127.0.0.1"
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    await check_store(rt)
    loop = asyncio.get_running_loop()
    async with contextlib.AsyncExitStack() as stack:
        if web_on:
            await stack.enter_async_context(serving(rt, host, rt.settings.port, grace=grace))
        elif rt.settings.metrics_port is not None:
            await stack.enter_async_context(
                serving(rt, host, rt.settings.metrics_port, metrics_app(rt), grace=grace)
            )
        tasks = []
        if worker_on:
            tasks.append(asyncio.create_task(make_worker(rt).run(stop)))
            tasks.append(asyncio.create_task(Poller(rt.store, rt.adapters).run(stop)))
            if rt.suggestions is not None:
                tasks.append(asyncio.create_task(rt.suggestions.run(stop)))
        if clock_on:
            from escalation.scheduler import Clock

            assert rt.chat is not None, "runtime not started"
            clock = Clock(
                rt.wf,
                rt.chat,
                rt.store,
                rt.config,
                rt.adapters,
                time_scale=rt.settings.time_scale,
                metrics=rt.metrics,
                wipes=rt.wipes,
            )
            tasks.append(asyncio.create_task(clock.run(stop)))
        if isinstance(rt.chat, Runs):
            tasks.append(asyncio.create_task(rt.chat.run(stop)))
        tasks.append(asyncio.create_task(rt.knowledge.run(stop)))
        await stop.wait()
        log.info("stopping")
        stopping = loop.time()
        for t in tasks:
            await t
    # the web no longer takes requests and those under way are done: now what they started
    await settle(rt, max(0.0, grace - (loop.time() - stopping)))
