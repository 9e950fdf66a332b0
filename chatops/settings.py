"""Process settings from the environment (DESIGN §4.2), read once at start-up and passed in.

Secrets only ever come from here. They are excluded from `repr`, and no error message echoes a
value that could be one, so settings can be logged and printed safely. An empty variable counts
as unset, because `FOO=` in a `.env` file or a CI matrix means "not configured", not "empty key".
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any


def _secret(default: str | None = None) -> Any:
    return field(default=default, repr=False)


@dataclass(frozen=True)
class Settings:
    config_path: Path = Path("chatops.yaml")
    redis_url: str | None = _secret()  # may carry a password
    port: int = 3000
    slack_bot_token: str | None = _secret()
    slack_signing_secret: str | None = _secret()
    slack_app_token: str | None = _secret()
    slack_api_url: str = "https://slack.com/api/"
    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = _secret()
    microsoft_app_type: str | None = None
    microsoft_app_tenant_id: str | None = None
    teams_auth: str | None = None  # CHATOPS_TEAMS_AUTH: only "off" disables Bot Framework auth
    facebook_app_secret: str | None = _secret()
    facebook_verify_token: str | None = _secret()
    graph_api_url: str = "https://graph.facebook.com/v25.0"
    x_consumer_key: str | None = _secret()
    x_consumer_secret: str | None = _secret()
    x_bearer_token: str | None = _secret()
    x_access_token: str | None = _secret()
    x_access_token_secret: str | None = _secret()
    x_api_url: str = "https://api.x.com"
    viber_auth_token: str | None = _secret()
    viber_api_url: str = "https://chatapi.viber.com/pa"
    sandbox_secret: str = _secret("sandbox")
    sandbox_api_url: str | None = None
    time_scale: float = 1.0
    metrics_port: int | None = None
    """CHATOPS_METRICS_PORT: a worker or scheduler without the web serves /metrics (and
    /healthz, /readyz) on this port; `chatops run` and `chatops web` serve them on PORT."""
    metrics_token: str | None = _secret()
    """CHATOPS_METRICS_TOKEN: when set, `/metrics` and the detail of `/readyz` need it as a
    bearer token (they name departments, volumes and failure reasons)."""
    log_customer_text: bool = False
    """CHATOPS_LOG_CUSTOMER_TEXT: customers' text and drafts may reach the logs (off by default,
    even at DEBUG)."""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """Snapshot of the environment, for the per-account tokens the config names by variable."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, strict: bool = True) -> Settings:
        """Read every variable; ValueError naming each bad one (never showing a secret).

        `strict=False` keeps the defaults of badly formed variables instead, for
        `check-config`, which reports those separately (`env_problems`)."""
        values, problems = _read(env)
        if problems and strict:
            raise ValueError("; ".join(f"{name} {message}" for name, message in problems))
        return cls(**values, environ=MappingProxyType(dict(env)))

    def token(self, env_name: str) -> str | None:
        """The value of the variable a config `token_env` names, or None if unset or empty."""
        value = self.environ.get(env_name, "").strip()
        return value or None

    @property
    def socket_mode(self) -> bool:
        """Slack over Socket Mode (no public Request URL) when an app-level token is given."""
        return self.slack_app_token is not None

    @property
    def embedded_store(self) -> bool:
        """No REDIS_URL: in-memory store, one process, data lost at exit."""
        return self.redis_url is None


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


def _base_url(value: str) -> str:
    # URLs are not echoed: they may embed credentials.
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


def _slack_api_url(value: str) -> str:
    # slack_sdk joins method names onto the base URL, so it needs exactly one trailing slash.
    return _base_url(value) + "/"


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


def _text(value: str) -> str:
    return value


_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def _switch(value: str) -> bool:
    if value.lower() in _ON:
        return True
    if value.lower() in _OFF:
        return False
    raise ValueError(f"must be on or off (got '{value[:20]}')")


_VARIABLES: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("config_path", "CHATOPS_CONFIG", Path),
    ("redis_url", "REDIS_URL", _redis_url),
    ("port", "PORT", _port),
    ("slack_bot_token", "SLACK_BOT_TOKEN", _text),
    ("slack_signing_secret", "SLACK_SIGNING_SECRET", _text),
    ("slack_app_token", "SLACK_APP_TOKEN", _text),
    ("slack_api_url", "SLACK_API_URL", _slack_api_url),
    ("microsoft_app_id", "MicrosoftAppId", _text),
    ("microsoft_app_password", "MicrosoftAppPassword", _text),
    ("microsoft_app_type", "MicrosoftAppType", _text),
    ("microsoft_app_tenant_id", "MicrosoftAppTenantId", _text),
    ("teams_auth", "CHATOPS_TEAMS_AUTH", _text),
    ("facebook_app_secret", "FACEBOOK_APP_SECRET", _text),
    ("facebook_verify_token", "FACEBOOK_VERIFY_TOKEN", _text),
    ("graph_api_url", "GRAPH_API_URL", _base_url),
    ("x_consumer_key", "X_CONSUMER_KEY", _text),
    ("x_consumer_secret", "X_CONSUMER_SECRET", _text),
    ("x_bearer_token", "X_BEARER_TOKEN", _text),
    ("x_access_token", "X_ACCESS_TOKEN", _text),
    ("x_access_token_secret", "X_ACCESS_TOKEN_SECRET", _text),
    ("x_api_url", "X_API_URL", _base_url),
    ("viber_auth_token", "VIBER_AUTH_TOKEN", _text),
    ("viber_api_url", "VIBER_API_URL", _base_url),
    ("sandbox_secret", "SANDBOX_SECRET", _text),
    ("sandbox_api_url", "SANDBOX_API_URL", _base_url),
    ("time_scale", "CHATOPS_TIME_SCALE", _time_scale),
    ("metrics_token", "CHATOPS_METRICS_TOKEN", _text),
    ("metrics_port", "CHATOPS_METRICS_PORT", _port),
    ("log_customer_text", "CHATOPS_LOG_CUSTOMER_TEXT", _switch),
)
"""Settings field, environment variable, parser. Unset variables keep the field's default."""


def _read(env: Mapping[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for attribute, name, parse in _VARIABLES:
        raw = env.get(name)
        if not raw or not raw.strip():
            continue
        try:
            values[attribute] = parse(raw.strip())
        except ValueError as exc:
            problems.append((name, str(exc)))
    return values, problems


def env_problems(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every badly formed variable as (name, message), for `chatops check-config`."""
    return _read(env)[1]


def logs_customer_text(env: Mapping[str, str]) -> bool:
    """CHATOPS_LOG_CUSTOMER_TEXT alone, for logging set up before the rest is read (a bad
    value counts as off here; reading the settings then reports it)."""
    try:
        return _switch((env.get("CHATOPS_LOG_CUSTOMER_TEXT") or "off").strip() or "off")
    except ValueError:
        return False


@dataclass(frozen=True)
class EnvProblem:
    """A variable a chat backend or platform cannot start without, and what is wrong with it.

    Declared by each backend package and platform module (`required_env`), so start-up and
    `check-config` read one list and adding a platform stays adding a module."""

    name: str
    problem: str = "is not set"
    loc: tuple[str | int, ...] = ()
    """Where the config names the variable (an account's `token_env`), from the config's root;
    () when the backend or platform needs it just by being enabled."""

    def __str__(self) -> str:
        return f"{self.name} {self.problem}"


ENV_NAMES: tuple[str, ...] = tuple(name for _, name, _ in _VARIABLES)
"""Every variable the product reads (besides the per-account tokens named in the config)."""
