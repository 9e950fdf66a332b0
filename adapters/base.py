"""The small interface every platform implements, and how a platform is found by name.

A platform is one module, `adapters/<name>.py`, declaring everything the rest reads about it
(`PlatformModule`): its adapter, its display name, its config model (the section
`platforms.<name>` of the config file), its environment variables and which of them it cannot
run without, the longest text a customer can send on it, and, by convention, its webhook route
`/webhooks/<name>` (`webhook_route`), served by the web app for every platform.

This package sits below the settings and the config, which read it: a platform sees the
process settings and the config only through the small views here (`Environment`,
`ConfigView`), which `chatops.settings.Settings` and `chatops.config.Config` satisfy.
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, NamedTuple, Protocol, TypeVar, runtime_checkable

import httpx

from chatops.domain import Mention, Reply
from chatops.env import EnvProblem, EnvValues
from chatops.schema import EnvName, Id, StrictModel

V = TypeVar("V", bound=EnvValues)
C = TypeVar("C", bound="PlatformConfig")


class Account(StrictModel):
    """A brand account on a platform; its token is named by env variable, never by value."""

    id: Id
    name: str = ""
    token_env: EnvName | None = None

    def names(self) -> list[str]:
        """What the brand is called on this account (a platform with handles adds its own)."""
        return [self.name] if self.name else []


class PlatformConfig(StrictModel):
    """The section `platforms.<name>` of one platform (declared by `adapters/<name>.py` as its
    `CONFIG`)."""

    ACCOUNTS: ClassVar[str] = "accounts"
    """The key that lists the platform's accounts (Facebook calls them pages)."""

    def listed_accounts(self) -> list[Account]:
        """The accounts this section lists (under `ACCOUNTS`; none if it has no such key)."""
        return list(getattr(self, self.ACCOUNTS, []))


class TextMax(NamedTuple):
    """The longest text a customer can send on a platform, in a public item and in a private
    message; longer inbound text is cut there (`chatops.hygiene`)."""

    public: int
    private: int


@dataclass(frozen=True)
class ReplyRate:
    """How fast a platform takes replies from one brand account, as it documents it, and its
    rule for retrying a reply it did not take: sustained `per_second`, `burst` at once (a
    sender paced to this meets no 429s), and, when it was unavailable (502/503, unreachable),
    `unavailable_wait` seconds before the next try, at most `retries` tries more."""

    per_second: float
    burst: int = 1
    unavailable_wait: float = 30.0
    retries: int = 3


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


class Environment(Protocol):
    """What a platform reads from the process settings (`chatops.settings.Settings`)."""

    @property
    def log_customer_text(self) -> bool:
        """Customers' text may reach the logs (CHATOPS_LOG_CUSTOMER_TEXT)."""
        ...

    def platform_env(self, kind: type[V]) -> V:
        """The values of the variables a module declares as `kind` (its `ENV`)."""
        ...

    def token(self, env_name: str) -> str | None:
        """The value of the variable an account's `token_env` names; None if unset or empty."""
        ...


class Sections(Protocol):
    def section(self, name: str) -> PlatformConfig | None:
        """Platform `name`'s section of the config; None when the platform is off."""
        ...


class ConfigView(Protocol):
    """What a platform reads from the config (`chatops.config.Config`)."""

    @property
    def brand(self) -> str: ...

    @property
    def platforms(self) -> Sections: ...


@dataclass
class AdapterContext:
    """What an adapter may use: settings (secrets, base URLs), the config, one HTTP client."""

    settings: Environment
    config: ConfigView
    http: httpx.AsyncClient

    def section(self, name: str, model: type[C]) -> C:
        """Platform `name`'s section of the config, or the model's defaults when it is off."""
        found = self.config.platforms.section(name)
        return found if isinstance(found, model) else model()


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
    """What `adapters/<name>.py` offers: its adapter, its display name, its config model, its
    environment variables and the ones it cannot run without, and its text limits."""

    DISPLAY_NAME: str
    """How people see the platform's name ("View on Facebook")."""

    CONFIG: type[PlatformConfig]
    """The model of the config section `platforms.<name>`."""

    ENV: type[EnvValues]
    """The variables the platform reads (names, secrets, base URLs, defaults), as the fields of
    a frozen dataclass; platforms sharing variables (Facebook and Instagram) share the class."""

    TEXT_MAX: TextMax

    RETRY_WINDOW: timedelta
    """How long the platform documents retrying a webhook delivery not answered 200 (0: it
    never retries); dedupe markers must outlive the longest (`retention.dedupe`)."""

    REPLY_RATE: ReplyRate
    """How fast one account may reply (publish-to-all paces every storm member's reply to it)."""

    def create(self, ctx: AdapterContext) -> Adapter: ...

    def required_env(self, settings: Environment, section: Any) -> list[EnvProblem]:
        """Each variable this platform needs, as configured in `section` (its `CONFIG`), that
        is unset or unusable; start-up refuses to run and `check-config` lists them."""
        ...


@functools.cache
def _module(name: str) -> PlatformModule:
    if name not in names():
        raise KeyError(f"no adapter for platform '{name}'")
    module = importlib.import_module(f"adapters.{name}")
    if not isinstance(module, PlatformModule):
        raise TypeError(
            f"adapters.{name} must define DISPLAY_NAME, CONFIG, ENV, TEXT_MAX, RETRY_WINDOW, "
            "REPLY_RATE, create(ctx) "
            "and required_env(settings, section)"
        )
    return module


def load(name: str, ctx: AdapterContext) -> Adapter:
    """Import `adapters.<name>` and build its adapter."""
    return _module(name).create(ctx)


def required_env(name: str, settings: Environment, section: PlatformConfig) -> list[EnvProblem]:
    """What platform `name`, configured as `section`, lacks in the environment."""
    return _module(name).required_env(settings, section)


@cache
def display_name(name: str) -> str:
    """Platform `name` as people read it; a name with no module (a case stored before its
    platform was removed) capitalised."""
    return _module(name).DISPLAY_NAME if name in names() else name.capitalize()


def config_model(name: str) -> type[PlatformConfig]:
    """The model of the config section `platforms.<name>`."""
    return _module(name).CONFIG


def webhook_route(name: str) -> str:
    """Where platform `name`'s webhooks arrive: `/webhooks/<name>`, by convention."""
    return f"/webhooks/{name}"


def env_kinds() -> list[type[EnvValues]]:
    """Every platform's variables (`ENV`), each class once, in platform order."""
    return list(dict.fromkeys(_module(name).ENV for name in names()))


def text_max(name: str, private: bool) -> int | None:
    """The longest text platform `name` lets a customer send (None: no module of that name)."""
    if name not in names():
        return None
    limits = _module(name).TEXT_MAX
    return limits.private if private else limits.public


def retry_window(name: str) -> timedelta:
    """How long platform `name` retries an unanswered webhook delivery."""
    return _module(name).RETRY_WINDOW


def reply_rate(name: str) -> ReplyRate:
    """How fast platform `name` takes replies from one account."""
    return _module(name).REPLY_RATE


def longest_retry() -> timedelta:
    """The longest webhook retry window of any platform: the shortest `retention.dedupe`."""
    return max((retry_window(name) for name in names()), default=timedelta(0))


def token_envs(settings: Environment, platform: str, section: PlatformConfig) -> list[EnvProblem]:
    """Each account's `token_env` that names an unset variable, located at that account."""
    key = section.ACCOUNTS
    return [
        EnvProblem(account.token_env, loc=("platforms", platform, key, index, "token_env"))
        for index, account in enumerate(section.listed_accounts())
        if account.token_env and settings.token(account.token_env) is None
    ]


@cache
@functools.cache
def names() -> tuple[str, ...]:
    """Every platform with a module here, by name (modules whose names start with `_` are
    helpers); read once: platforms are the modules present when the process starts, and the
    webhook path asks for them with every mention (`hygiene.text_max`)."""
    import adapters

    return tuple(
        sorted(
            m.name
            for m in pkgutil.iter_modules(adapters.__path__)
            if not m.name.startswith("_") and m.name not in {"base", "errors", "http", "signing"}
        )
    )
