"""The sandbox platform (`adapters/sandbox.py`): its reply API as a local server, mentions in
its JSON and webhook bodies signed as it signs them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from adapters.sandbox import sign
from tests.fakes.server import LocalServer


@dataclass
class SandboxPlatform(LocalServer):
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

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/replies", self._replies)

    async def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()
        await super().stop()

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
            await self.hold()
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
