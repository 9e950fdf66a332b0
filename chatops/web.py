"""The HTTP side (aiohttp): platform webhooks, health, readiness and metrics.

A webhook is verified, size-limited, parsed, deduplicated and appended to the inbound stream,
then acknowledged: nothing on this path talks to chat or to a platform, so platforms get their
200 within milliseconds and retries stay rare.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from redis.exceptions import RedisError

from adapters import Adapter, BadPayload, BadSignature
from adapters.base import Skipped, webhook_route
from chatops.batching import AppendBatcher
from chatops.domain import utcnow
from chatops.hygiene import sanitise
from chatops.metrics import Metrics
from chatops.outage import RedisOutage
from chatops.redis_checks import WipeWatch
from chatops.store import Store, StreamWatch

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
BODY_TIMEOUT_S = 10.0
"""A request body must arrive within this long: client_max_size bounds its size, this its
time, so a client dripping a body byte by byte cannot hold a connection open for ever."""

STORE: web.AppKey[Store] = web.AppKey("store", Store)
BATCHER: web.AppKey[AppendBatcher] = web.AppKey("batcher", AppendBatcher)
ADAPTERS: web.AppKey[dict[str, Adapter]] = web.AppKey("adapters", dict)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
DEPARTMENTS: web.AppKey[list[str]] = web.AppKey("departments", list[str])
METRICS_TOKEN: web.AppKey[str] = web.AppKey("metrics_token", str)
BODY_TIMEOUT: web.AppKey[float] = web.AppKey("body_timeout", float)
WIPES: web.AppKey[WipeWatch | None] = web.AppKey("wipes")
OUTAGE: web.AppKey[RedisOutage] = web.AppKey("outage", RedisOutage)
STREAMS: web.AppKey[StreamWatch] = web.AppKey("streams", StreamWatch)
STREAM_LOOK_S = 60.0
"""How often the web looks at the streams' caps after a webhook: it warns while no worker runs."""


def build_app(
    store: Store,
    adapters: dict[str, Adapter],
    metrics: Metrics,
    departments: list[str],
    *,
    metrics_token: str | None = None,
    body_timeout: float = BODY_TIMEOUT_S,
    wipes: WipeWatch | None = None,
) -> web.Application:
    """The aiohttp app; chat backends add their own routes (`/slack/events`, `/api/messages`).

    `metrics_token` (CHATOPS_METRICS_TOKEN): when given, `/metrics` and the detail of
    `/readyz` need it as `Authorization: Bearer <token>`; `/healthz` stays open."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_body_in_time])
    app[METRICS_TOKEN] = metrics_token or ""
    app[BODY_TIMEOUT] = body_timeout
    app[WIPES] = wipes
    app[STORE] = store
    app[BATCHER] = AppendBatcher(store.inbound.append)
    app[OUTAGE] = RedisOutage("webhooks", log)
    app[STREAMS] = StreamWatch(metrics)
    app[ADAPTERS] = adapters
    app[METRICS] = metrics
    app[DEPARTMENTS] = departments
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_post(webhook_route("{platform}"), webhook)
    app.router.add_get(webhook_route("{platform}"), handshake)
    return app


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


@web.middleware
async def _body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read every request body within the time allowed, before any handler (the chat
    backends' too) sees it; aiohttp keeps it, so their own `read()` returns it at once."""
    arrived = request.content.is_eof()  # the usual small webhook came with its headers
    if request.body_exists and not arrived and (request.content_length or 0) <= MAX_BODY:
        try:
            async with asyncio.timeout(request.app[BODY_TIMEOUT]):
                await request.read()
        except TimeoutError:
            answer = _text(408, "request body not received in time")
            answer.force_close()
            return answer
        except web.HTTPRequestEntityTooLarge:
            return _json(413, {"error": f"body over {MAX_BODY} bytes"})
    return await handler(request)


def _may_see_detail(request: web.Request) -> bool:
    """No metrics token configured, or the request carries it (compared in constant time)."""
    token = request.app[METRICS_TOKEN]
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8", "replace")
    )


async def healthz(_request: web.Request) -> web.Response:
    return _text(200, "ok")


async def readyz(request: web.Request) -> web.Response:
    """200 or 503; what is wrong only for those who may see it (component names, reasons)."""
    status, detail = await _readiness(request.app[STORE], request.app.get(WIPES))
    if not _may_see_detail(request):
        return _text(status, "ready" if status == 200 else "not ready")
    return _text(status, detail)


async def _readiness(store: Store, wipes: WipeWatch | None = None) -> tuple[int, str]:
    try:
        await store.ping()
        if wipes is not None:
            await wipes.check()  # a wipe sets a problem, reported just below
        problems = await store.problems.current(utcnow())
    except (RedisError, OSError) as exc:
        return 503, f"redis unreachable: {type(exc).__name__}"
    if problems:
        return 503, "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
    return 200, "ready"


async def metrics_endpoint(request: web.Request) -> web.Response:
    if not _may_see_detail(request):
        return web.Response(
            status=401,
            text="/metrics needs Authorization: Bearer <CHATOPS_METRICS_TOKEN>\n",
            headers={"WWW-Authenticate": "Bearer"},
        )
    app = request.app
    metrics = app[METRICS]
    try:
        await _refresh_gauges(app)
    except (RedisError, OSError) as exc:
        log.warning("metrics: redis unreachable (%s)", type(exc).__name__)
    body = metrics.render()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def _refresh_gauges(app: web.Application) -> None:
    store, metrics = app[STORE], app[METRICS]
    departments: list[str] = app[DEPARTMENTS]
    counts = await store.indexes.counts_by_state(departments)
    for (dept, state), n in counts.items():
        metrics.open_cases.labels(dept, state).set(n)
    watch = app.get(STREAMS)  # a worker's own /metrics: its housekeeping sets the stream gauges
    if watch is None:
        metrics.stream_lag.set(await store.inbound.lag())
    else:
        watch.saw(await store.inbound.report(utcnow()))
    metrics.problems.clear()
    for component, reason in (await store.problems.current(utcnow())).items():
        metrics.problems.labels(component, reason).set(1)
    await _storm_gauges(store, metrics, departments)


async def _storm_gauges(store: Store, metrics: Metrics, departments: list[str]) -> None:
    """Open storms per department, and per storm its members' cases and how many of them
    had a first reply (what "Publish to all" and people answering one by one move)."""
    metrics.storm_members.clear()
    metrics.storm_answered.clear()
    for department in departments:
        groups = await store.storms.open_groups(department)
        metrics.storms_open.labels(department).set(len(groups))
        for group in groups:
            roster = await store.storms.roster(department, group)
            ids = list(dict.fromkeys(m.case_id for m in roster))
            answered = sum(1 for c in await store.cases.get_many(ids) if c.first_response_at)
            storm_id = f"{department}:{group}"
            metrics.storm_members.labels(department, storm_id).set(len(ids))
            metrics.storm_answered.labels(department, storm_id).set(answered)


def _adapter(request: web.Request) -> tuple[str, Adapter | None]:
    platform = request.match_info["platform"]
    return platform, request.app[ADAPTERS].get(platform)


async def handshake(request: web.Request) -> web.Response:
    """GET verification of a webhook URL (Meta's hub.challenge, X's CRC)."""
    platform, adapter = _adapter(request)
    if adapter is None:
        return _text(404, f"platform '{platform}' is not enabled in the config")
    answer = adapter.handshake(request.query)
    return web.Response(status=answer.status, text=answer.body, content_type=answer.content_type)


async def webhook(request: web.Request) -> web.Response:
    started = time.perf_counter()
    platform, adapter = _adapter(request)
    if adapter is None:
        return _text(404, f"platform '{platform}' is not enabled in the config")
    metrics = request.app[METRICS]
    status, outcome, reply = await _ingest(request, adapter)
    metrics.webhook(platform, outcome).inc()
    metrics.latency(platform).observe(time.perf_counter() - started)
    return reply if isinstance(reply, web.Response) else _json(status, reply)


async def _ingest(
    request: web.Request, adapter: Adapter
) -> tuple[int, str, dict[str, Any] | web.Response]:
    if (request.content_length or 0) > MAX_BODY:
        return 413, "too_large", {"error": f"body over {MAX_BODY} bytes"}
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return 413, "too_large", {"error": f"body over {MAX_BODY} bytes"}
    try:
        adapter.verify(body, request.headers)
    except BadSignature as exc:
        return 401, "bad_signature", {"error": exc.reason}
    try:
        parsed = adapter.parse(body, request.headers)
    except BadPayload as exc:
        return 400, "bad_payload", {"error": exc.reason}
    mentions, skipped = sanitise(parsed.mentions, utcnow()), parsed.skipped
    if not mentions and not skipped:
        return 200, "ignored", {"accepted": 0, "duplicates": 0}
    # Both writes land before the 200, or the platform gets a 503 and retries; each is
    # idempotent (dedupe keys, one marker per skipped item), so a retry never doubles either.
    try:
        appended = await request.app[BATCHER].append(mentions) if mentions else []
        kept = await request.app[STORE].inbound.dead_letter_items(adapter.name, skipped)
    except (RedisError, OSError) as exc:
        request.app[OUTAGE].failed(exc, time.monotonic())  # the platform retries: said once
        return 503, "unavailable", {"error": "storage unavailable, retry later"}
    request.app[OUTAGE].ok(time.monotonic())
    await _look_at_streams(request.app)
    new = sum(appended)
    if new:
        request.app[METRICS].ingested(adapter.name).inc(new)
    _report_skipped(request.app[METRICS], adapter.name, skipped, kept)
    answer = {"accepted": new, "duplicates": len(appended) - new}
    if skipped:
        answer["skipped"] = len(skipped)
    outcome = "accepted" if new else "duplicate" if appended else "skipped"
    return 200, outcome, answer


async def _look_at_streams(app: web.Application) -> None:
    """Once a minute, after a webhook is stored: a backlog past the inbound caps is warned
    about (and shown on /metrics) even while no worker runs. Webhooks are still taken: the
    backlog is kept, never trimmed, and Redis refusing writes is what answers 503."""
    watch = app[STREAMS]
    if watch.due(time.monotonic(), STREAM_LOOK_S):
        try:
            watch.saw(await app[STORE].inbound.report(utcnow()))
        except (RedisError, OSError) as exc:
            log.warning("webhooks: could not look at the streams (%s)", type(exc).__name__)


def _report_skipped(
    metrics: Metrics, platform: str, skipped: list[Skipped], kept: list[bool]
) -> None:
    """Count and log each skipped item once: a platform's retry of it is neither."""
    for item, new in zip(skipped, kept, strict=True):
        if new:
            metrics.skipped(platform, item.reason).inc()
            log.warning(
                "webhook %s: item skipped (%s), kept in the dead-letter stream: %s",
                platform,
                item.reason,
                item.detail,
            )


def _json(status: int, payload: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json")
