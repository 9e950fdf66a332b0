"""Stand-ins at the seams: a sandbox platform server speaking its wire format, a chat backend
that records what it was asked to show. Our own code is never mocked."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.sandbox import sign
from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.present import Report


class RecordingChat:
    """A ChatBackend that keeps every (view, event) it is shown."""

    def __init__(self) -> None:
        self.shown: list[tuple[CaseView, CaseEvent]] = []
        self.digests: list[tuple[Department, list[DigestItem]]] = []
        self.reports: list[tuple[Department, Report]] = []
        self.pings: list[tuple[Department, list[PingItem], tuple[str, ...]]] = []
        self.refreshed: list[CaseView] = []

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        self.shown.append((view, event))

    async def refresh(self, view: CaseView) -> None:
        self.refreshed.append(view)

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        self.digests.append((department, items))

    async def post_report(self, department: Department, report: Report) -> None:
        self.reports.append((department, report))

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        self.pings.append((department, items, notify))

    async def close(self) -> None:
        return None

    def kinds(self, case_id: str) -> list[EventKind]:
        return [e.kind for v, e in self.shown if v.case.id == case_id]


@dataclass
class SandboxPlatform:
    """The sandbox platform's reply API: POST /replies -> {"id": ...}.

    `mode` decides the answer: "ok", "unavailable" (503), "rate_limited" (429 Retry-After),
    "refuse" (400), "hang" (never answers: the client times out after sending), "slow"
    (answers as "ok" after `delay` seconds; `arrived` is set when a request comes in).
    With a `gate`, every request is held (after `arrived` is set) until the test sets it:
    the order of events is then the test's, not the clock's.
    """

    mode: str = "ok"
    delay: float = 0.3
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/replies", self._replies)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def stop(self) -> None:
        self._release.set()
        if self.gate is not None:
            self.gate.set()
        if self.server is not None:
            await self.server.close()

    async def _replies(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.gate is not None:
            self.arrived.set()
            await self.gate.wait()
        if self.mode == "slow":
            self.arrived.set()
            await asyncio.sleep(self.delay)
        if self.mode == "hang":
            self.received.append(body)
            await self._release.wait()
        if self.mode == "unavailable":
            return web.json_response({"error": "maintenance"}, status=503)
        if self.mode == "rate_limited":
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": "30"}
            )
        if self.mode == "refuse":
            return web.json_response({"error": "comment deleted"}, status=400)
        self.received.append(body)
        return web.json_response({"id": f"r-{len(self.received)}"})


def mention_json(
    mid: str,
    conversation: str,
    text: str,
    *,
    author: str = "u-1",
    name: str = "Anna Berg",
    followers: int | None = 120,
    kind: str = "comment",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": mid,
        "conversation_id": conversation,
        "kind": kind,
        "account": "acme",
        "author": {
            "id": author,
            "name": name,
            "handle": name.split()[0].lower(),
            "followers": followers,
        },
        "text": text,
        "created_at": "2026-11-23T08:00:00Z",
        "url": f"https://sandbox.invalid/{conversation}#{mid}",
        **extra,
    }


def signed(body: Any, secret: str = "test-secret") -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"X-Sandbox-Signature": sign(secret, raw), "Content-Type": "application/json"}
