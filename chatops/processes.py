"""The long-running roles of DESIGN §3 (web, worker, all-in-one), started and stopped cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiohttp import web

from chatops.polling import Poller
from chatops.runtime import Runtime
from chatops.web import build_app
from chatops.worker import Worker

log = logging.getLogger(__name__)


def web_app(rt: Runtime) -> web.Application:
    app = build_app(
        rt.store,
        rt.adapters,
        rt.metrics,
        [d.id for d in rt.config.departments],
        metrics_token=rt.settings.metrics_token,
    )
    attach = getattr(rt.chat, "attach", None)
    if attach is not None:
        attach(app)
    return app


@contextlib.asynccontextmanager
async def serving(rt: Runtime, host: str, port: int) -> AsyncIterator[int]:
    """Serve the web app while the block runs; yields the bound port (useful with port 0)."""
    runner = web.AppRunner(web_app(rt), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("web listening on http://%s:%s", host, bound)
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
    drain = getattr(rt.chat, "drain", None)
    if drain is not None:
        await drain(within)


def make_worker(rt: Runtime) -> Worker:
    assert rt.pipeline is not None
    return Worker(rt.store, rt.pipeline, rt.metrics)


async def run_roles(
    rt: Runtime,
    *,
    web_on: bool,
    worker_on: bool,
    clock_on: bool = False,
    host: str = "0.0.0.0",
) -> None:
    """Run the chosen roles until SIGINT/SIGTERM."""
    if getattr(rt.chat, "local_only", False):  # unauthenticated chat (CHATOPS_TEAMS_AUTH=off)
        host = "127.0.0.1"
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with contextlib.AsyncExitStack() as stack:
        if web_on:
            await stack.enter_async_context(serving(rt, host, rt.settings.port))
        tasks = []
        if worker_on:
            tasks.append(asyncio.create_task(make_worker(rt).run(stop)))
            tasks.append(asyncio.create_task(Poller(rt.store, rt.adapters).run(stop)))
        if clock_on:
            from escalation.scheduler import Clock

            tasks.append(asyncio.create_task(Clock(rt.wf, metrics=rt.metrics).run(stop)))
        chat_loop = getattr(rt.chat, "run", None)
        if chat_loop is not None:
            tasks.append(asyncio.create_task(chat_loop(stop)))
        await stop.wait()
        log.info("stopping")
        for t in tasks:
            await t
