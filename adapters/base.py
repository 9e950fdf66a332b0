"""The small interface every platform implements, and how a platform is found by name."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import httpx

from chatops.domain import Mention, Reply

if TYPE_CHECKING:
    from chatops.config import Config
    from chatops.settings import Settings


@dataclass(frozen=True)
class Published:
    """The platform's own id of a reply we posted, and where a person can see it."""

    id: str
    url: str = ""


@dataclass(frozen=True)
class Response:
    """A non-default HTTP answer to a webhook (verification handshakes, CRC checks)."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain"


@dataclass
class AdapterContext:
    """What an adapter may use: settings (secrets, base URLs), the config, one HTTP client."""

    settings: Settings
    config: Config
    http: httpx.AsyncClient


class Adapter(Protocol):
    name: str

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """Raise BadSignature unless the body was signed by the platform."""

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[Mention]:
        """Turn a verified body into mentions (possibly none); raise BadPayload with a reason."""
        ...

    def handshake(self, query: Mapping[str, str]) -> Response:
        """Answer the platform's GET check on the webhook URL (403 when not supported)."""
        ...

    async def reply(self, reply: Reply) -> Published:
        """Post `reply`; raise NotSent, RateLimited, PermanentError or OutcomeUnknown."""
        ...


@runtime_checkable
class ChecksDrafts(Protocol):
    """A platform with limits a draft must meet before it may be published."""

    max_length: int | None
    """Characters allowed in one reply, counted as the platform counts (None: no limit)."""

    def length(self, text: str) -> int:
        """`text`'s length as the platform counts it (X counts every URL as 23)."""
        ...

    def check(self, reply: Reply, now: datetime) -> str | None:
        """Why this reply cannot be published now (too long, window closed), or None."""
        ...


@runtime_checkable
class Enriches(Protocol):
    """A platform whose webhooks leave out what we need (Instagram mentions carry no text).

    Called by the worker, never on the webhook request path."""

    async def enrich(self, mention: Mention) -> Mention: ...


@runtime_checkable
class Polls(Protocol):
    """A platform read by polling (X without webhooks). Dedupe makes re-reads harmless."""

    async def poll(self, cursors: Cursors, now: datetime) -> PollResult: ...


class Cursors(Protocol):
    """Where a poller left off, kept in Redis so a restart does not re-read everything."""

    async def get(self, name: str) -> str | None: ...

    async def set(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class PollResult:
    mentions: list[Mention]
    next_poll_in: float
    """Seconds until the next poll: `poll_every`, or later when the platform's limit says so."""


def load(name: str, ctx: AdapterContext) -> Adapter:
    """Import `adapters.<name>` and build its adapter."""
    if name not in names():
        raise KeyError(f"no adapter for platform '{name}'")
    module = importlib.import_module(f"adapters.{name}")
    adapter: Adapter = module.create(ctx)
    return adapter


def names() -> list[str]:
    """Every platform with a module here."""
    import adapters

    return sorted(
        m.name
        for m in pkgutil.iter_modules(adapters.__path__)
        if not m.name.startswith("_") and m.name not in {"base", "errors", "http", "signing"}
    )
