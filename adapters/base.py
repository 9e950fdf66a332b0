"""The small interface every platform implements, and how a platform is found by name.

A platform is one module, `adapters/<name>.py`, declaring everything the rest reads about it
(`PlatformModule`): its adapter, its display name, its config model (the section
`platforms.<name>` of the config file), the environment variables it needs, and, by convention,
its webhook route `/webhooks/<name>` (`webhook_route`), served by the web app for every platform.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from chatops.domain import Mention, Reply
from chatops.settings import EnvProblem

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chatops.config import Account, Config, PlatformsConfig
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


class SkipReason(StrEnum):
    """Why an item of a delivery was skipped (a metrics label, so a small fixed set)."""

    MALFORMED = "malformed"  # lacks what its documented shape requires, or has the wrong types
    NO_SENDER = "no_sender"  # nobody we could ever answer: no sender id of any kind


@dataclass(frozen=True)
class Skipped:
    """One item of a delivery that cannot become a mention: kept (dead-lettered), not fatal.

    `detail` says where and what is wrong without quoting the customer; `item` is the
    smallest body of the platform's own format that holds just this item with its envelope
    (the page or account it came to), as JSON: a person can look at it, and
    `chatops replay --dead` reads it again with the adapter's ordinary `parse`."""

    reason: SkipReason
    detail: str
    item: str

    @classmethod
    def of(cls, reason: SkipReason, detail: str, body: Any) -> Skipped:
        return cls(reason, detail, json.dumps(body, ensure_ascii=False, separators=(",", ":")))


@dataclass(frozen=True)
class Parsed:
    """What one verified webhook body holds: the usable mentions and the items skipped."""

    mentions: list[Mention] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


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

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        """Turn a verified body into mentions (possibly none) and the items it had to skip;
        raise BadPayload with a reason only when the body as a whole is not the platform's
        format (one odd item must never cost the others)."""
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


@dataclass(frozen=True)
class Listing:
    """What one reconciliation read of a platform found, and what it cost."""

    mentions: list[Mention]
    calls: int
    """Requests made to the platform's API (a pass spends its rate limit)."""
    stopped: str | None = None
    """Why the listing ended early (rate limit, error), or None when it read everything since
    the cursor; an unfinished pass leaves the cursor where it was, so the next one resumes."""


@runtime_checkable
class Reconciles(Protocol):
    """A platform whose recent items can be listed, to catch what its webhooks dropped.

    The mentions are built exactly as the webhook parser builds them (same ids, same
    conversations), so the inbound dedupe drops what a webhook already delivered."""

    async def recent(self, since: datetime) -> Listing: ...


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


@runtime_checkable
class PlatformModule(Protocol):
    """What `adapters/<name>.py` offers: its adapter, its display name, its config model, and
    the variables it cannot run without."""

    DISPLAY_NAME: str
    """How people see the platform's name ("View on Facebook")."""

    CONFIG: type[BaseModel]
    """The model of the config section `platforms.<name>`."""

    def create(self, ctx: AdapterContext) -> Adapter: ...

    def required_env(self, settings: Settings, platforms: PlatformsConfig) -> list[EnvProblem]:
        """Each variable this platform needs (as configured in `platforms`) that is unset or
        unusable in `settings`; start-up refuses to run and `check-config` lists them."""
        ...


def _module(name: str) -> PlatformModule:
    if name not in names():
        raise KeyError(f"no adapter for platform '{name}'")
    module = importlib.import_module(f"adapters.{name}")
    if not isinstance(module, PlatformModule):
        raise TypeError(
            f"adapters.{name} must define DISPLAY_NAME, CONFIG, create(ctx) and required_env(...)"
        )
    return module


def load(name: str, ctx: AdapterContext) -> Adapter:
    """Import `adapters.<name>` and build its adapter."""
    return _module(name).create(ctx)


def required_env(name: str, settings: Settings, platforms: PlatformsConfig) -> list[EnvProblem]:
    """What platform `name` lacks in the environment (see `PlatformModule.required_env`)."""
    return _module(name).required_env(settings, platforms)


@cache
def display_name(name: str) -> str:
    """Platform `name` as people read it; a name with no module (a case stored before its
    platform was removed) capitalised."""
    return _module(name).DISPLAY_NAME if name in names() else name.capitalize()


def config_model(name: str) -> type[BaseModel]:
    """The model of the config section `platforms.<name>`."""
    return _module(name).CONFIG


def webhook_route(name: str) -> str:
    """Where platform `name`'s webhooks arrive: `/webhooks/<name>`, by convention."""
    return f"/webhooks/{name}"


def unset(*variables: tuple[str, str | None]) -> list[EnvProblem]:
    """The (name, value) pairs whose value is unset (Settings reads empty as unset)."""
    return [EnvProblem(name) for name, value in variables if not value]


def token_envs(
    settings: Settings, platform: str, key: str, accounts: Sequence[Account]
) -> list[EnvProblem]:
    """Each account's `token_env` that names an unset variable, located at that account."""
    return [
        EnvProblem(account.token_env, loc=("platforms", platform, key, index, "token_env"))
        for index, account in enumerate(accounts)
        if account.token_env and settings.token(account.token_env) is None
    ]


def names() -> list[str]:
    """Every platform with a module here."""
    import adapters

    return sorted(
        m.name
        for m in pkgutil.iter_modules(adapters.__path__)
        if not m.name.startswith("_") and m.name not in {"base", "errors", "http", "signing"}
    )
