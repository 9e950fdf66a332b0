"""Process settings from the environment (DESIGN §4.2), read once at start-up and passed in.

Secrets only ever come from here. They are excluded from `repr`, and no error message echoes a
value that could be one, so settings can be logged and printed safely. The product's own
variables are declared here; each platform's are declared by its module (`adapters/<name>.py`,
its `ENV`) and read by the same reader (`chatops.env`), so adding a platform adds its variables
without touching this file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from adapters.base import env_kinds
from chatops.env import EnvProblem, EnvValues, parse_base_url, secret, unset, variable

V = TypeVar("V", bound=EnvValues)


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValueError(f"must be a whole number from 1 to 65535 (got '{value}')")
    return port


def _time_scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"must be a number greater than 0 (got '{value}')")
    return scale


def _slack_api_url(value: str) -> str:
    # slack_sdk joins method names onto the base URL, so it needs exactly one trailing slash.
    return parse_base_url(value) + "/"


def _redis_url(value: str) -> str:
    """redis:// and rediss:// (TLS; options such as ssl_cert_reqs in the query string reach
    redis-py's from_url), unix://, or redis+sentinel://host:port,…/service[/db]."""
    if value.startswith("redis+sentinel://"):
        from chatops.sentinel import parse_sentinel_url

        parse_sentinel_url(value)
        return value
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss://, unix:// or redis+sentinel://")
    return value


_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def _switch(value: str) -> bool:
    if value.lower() in _ON:
        return True
    if value.lower() in _OFF:
        return False
    raise ValueError(f"must be on or off (got '{value[:20]}')")


CONFIG_PATH = Path("chatops.yaml")


@dataclass(frozen=True)
class Settings(EnvValues):
    """The product's own variables as fields, and each platform module's as its `EnvValues`
    (`platform_env`), read from the variables the module declares."""

    config_path: Path = variable("CHATOPS_CONFIG", CONFIG_PATH, parse=Path)
    redis_url: str | None = secret("REDIS_URL", parse=_redis_url)  # may carry a password
    port: int = variable("PORT", 3000, parse=_port)
    slack_bot_token: str | None = secret("SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = secret("SLACK_SIGNING_SECRET")
    slack_app_token: str | None = secret("SLACK_APP_TOKEN")
    slack_api_url: str = variable("SLACK_API_URL", "https://slack.com/api/", parse=_slack_api_url)
    microsoft_app_id: str | None = variable("MicrosoftAppId")
    microsoft_app_password: str | None = secret("MicrosoftAppPassword")
    microsoft_app_type: str | None = variable("MicrosoftAppType")
    microsoft_app_tenant_id: str | None = variable("MicrosoftAppTenantId")
    teams_auth: str | None = variable("CHATOPS_TEAMS_AUTH")
    """Only "off" disables Bot Framework authentication (`teams_auth_off`)."""
    time_scale: float = variable("CHATOPS_TIME_SCALE", 1.0, parse=_time_scale)
    metrics_token: str | None = secret("CHATOPS_METRICS_TOKEN")
    """When set, `/metrics` and the detail of `/readyz` need it as a bearer token (they name
    departments, volumes and failure reasons)."""
    metrics_port: int | None = variable("CHATOPS_METRICS_PORT", parse=_port)
    """A worker or scheduler without the web serves /metrics (and /healthz, /readyz) on this
    port; `chatops run` and `chatops web` serve them on PORT."""
    log_customer_text: bool = variable("CHATOPS_LOG_CUSTOMER_TEXT", False, parse=_switch)
    """Customers' text and drafts may reach the logs (off by default, even at DEBUG)."""
    platforms: Mapping[type[EnvValues], EnvValues] = field(
        default_factory=dict, repr=False, hash=False
    )
    """Each platform module's variables (`adapters.base.env_kinds`), by their `EnvValues`."""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Snapshot of the environment, for the per-account tokens the config names by variable."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, strict: bool = True) -> Settings:
        """Read every variable; ValueError naming each bad one (never showing a secret).

        `strict=False` keeps the defaults of badly formed variables instead, for
        `check-config`, which reports those separately (`env_problems`)."""
        values, problems = cls.read(env)
        platforms: dict[type[EnvValues], EnvValues] = {}
        for kind in env_kinds():
            found, wrong = kind.read(env)
            platforms[kind] = kind(**found)
            problems += wrong
        if problems and strict:
            raise ValueError("; ".join(f"{name} {message}" for name, message in problems))
        return cls(
            **values,
            platforms=MappingProxyType(platforms),
            environ=MappingProxyType(dict(env)),
        )

    def platform_env(self, kind: type[V]) -> V:
        """The values of the variables a platform module declares as `kind` (its `ENV`)."""
        found = self.platforms.get(kind)
        return found if isinstance(found, kind) else kind()

    def token(self, env_name: str) -> str | None:
        """The value of the variable a config `token_env` names, or None if unset or empty."""
        value = self.environ.get(env_name, "").strip()
        return value or None

    @property
    def socket_mode(self) -> bool:
        """Slack over Socket Mode (no public Request URL) when an app-level token is given."""
        return self.slack_app_token is not None

    @property
    def teams_auth_off(self) -> bool:
        """CHATOPS_TEAMS_AUTH=off, exactly: the one way to run without Bot Framework
        authentication (local tests). Any other value keeps authentication on."""
        return (self.teams_auth or "").strip().lower() == "off"

    @property
    def embedded_store(self) -> bool:
        """No REDIS_URL: in-memory store, one process, data lost at exit."""
        return self.redis_url is None


def env_problems(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every badly formed variable as (name, message), for `chatops check-config`."""
    problems = Settings.read(env)[1]
    for kind in env_kinds():
        problems += kind.read(env)[1]
    return problems


def logs_customer_text(env: Mapping[str, str]) -> bool:
    """CHATOPS_LOG_CUSTOMER_TEXT alone, for logging set up before the rest is read (a bad
    value counts as off here; reading the settings then reports it)."""
    try:
        return _switch((env.get("CHATOPS_LOG_CUSTOMER_TEXT") or "off").strip() or "off")
    except ValueError:
        return False


APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
"""Bot Framework's app types (MicrosoftAppType)."""


def _slack_env(settings: Settings) -> list[EnvProblem]:
    """The bot token always; the signing secret unless Socket Mode (SLACK_APP_TOKEN), where no
    request arrives over HTTP."""
    needed = [("SLACK_BOT_TOKEN", settings.slack_bot_token)]
    if not settings.socket_mode:
        needed.append(("SLACK_SIGNING_SECRET", settings.slack_signing_secret))
    return unset(*needed)


def _teams_env(settings: Settings) -> list[EnvProblem]:
    """The app id and its secret authenticate every request, and nothing else may
    (CHATOPS_TEAMS_AUTH=off is the one way round, for local tests)."""
    if settings.teams_auth_off:
        return []
    app_type = settings.microsoft_app_type or "MultiTenant"
    if app_type not in APP_TYPES:
        return [EnvProblem("MicrosoftAppType", f"must be one of {', '.join(APP_TYPES)}")]
    needed = [("MicrosoftAppId", settings.microsoft_app_id)]
    if app_type != "UserAssignedMSI":  # a managed identity has no password
        needed.append(("MicrosoftAppPassword", settings.microsoft_app_password))
    if app_type != "MultiTenant":
        needed.append(("MicrosoftAppTenantId", settings.microsoft_app_tenant_id))
    return unset(*needed)


_BACKEND_ENV: dict[str, Callable[[Settings], list[EnvProblem]]] = {
    "slack": _slack_env,
    "teams": _teams_env,
}


def backend_env(name: str, settings: Settings) -> list[EnvProblem]:
    """What chat backend `name` cannot start without (nothing for the console). Declared here,
    below the backends, so start-up and `check-config` read it without importing them (Bolt,
    botbuilder) and the config never imports a layer above it."""
    needs = _BACKEND_ENV.get(name)
    return needs(settings) if needs is not None else []


LLM_KEY_LOC = ("drafting", "llm", "api_key_env")


def llm_env(settings: Settings, api_key_env: str | None) -> list[EnvProblem]:
    """The model's key variable (`drafting.llm.api_key_env`) when it is named and unset: a
    process with a model configured never starts without its key (fail closed); a model
    without `api_key_env` (a local server) is sent no key."""
    if not api_key_env or settings.token(api_key_env) is not None:
        return []
    return [EnvProblem(api_key_env, loc=LLM_KEY_LOC)]


_KINDS: list[type[EnvValues]] = [Settings, *env_kinds()]
ENV_NAMES: tuple[str, ...] = tuple(d.name for kind in _KINDS for d in kind.variables())
"""Every variable the product reads (besides the per-account tokens named in the config)."""
