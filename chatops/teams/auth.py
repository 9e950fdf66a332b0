"""Who may talk to the bot: Bot Framework authentication, and where its answers may go.

Every activity at `/api/messages` carries a Bearer token the Bot Connector signed (a JWT whose
keys botframework-connector fetches from login.botframework.com's OpenID metadata); its `aud`
must be our MicrosoftAppId and its `serviceurl` claim the activity's `serviceUrl`. On top of
botbuilder's validation:
- any failure to validate (a garbage token, an unknown key id) is a 401, never a 500;
- only Microsoft Teams activities are accepted, and only with a `serviceUrl` on a host Microsoft
  documents for the Teams Bot Connector (the Teams SDK's allow-list per cloud). Other channels,
  Web Chat and Direct Line above all, let the client choose the user's id and name;
- `CHATOPS_TEAMS_AUTH=off` is the one way to run without tokens, for local tests: then the web
  server binds to 127.0.0.1 and a `serviceUrl` on the loopback interface is accepted too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity

from chatops.settings import Settings, backend_env

log = logging.getLogger(__name__)

TEAMS_CHANNEL = "msteams"

SERVICE_HOSTS: frozenset[str] = frozenset(
    {
        "smba.trafficmanager.net",  # public cloud (…/amer/, …/emea/, …/apac/, …/teams/)
        "smba.onyx.prod.teams.trafficmanager.net",  # public cloud
        "smba.infra.gcc.teams.microsoft.com",  # US Government Community Cloud (GCC)
        "smba.infra.gov.teams.microsoft.us",  # GCC High
        "smba.infra.dod.teams.microsoft.us",  # US Department of Defense
        "frontend.botapi.msg.infra.teams.microsoftonline.cn",  # China, operated by 21Vianet
    }
)
"""The Bot Connector hosts Microsoft documents for Teams (Teams SDK, "Service URL
validation"): conversation references, and with them the bot's credentials and the cases'
text, only ever go to these."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def service_url_allowed(url: str | None, *, local: bool) -> bool:
    """Is `url` a Bot Connector we may send to? HTTPS on a Microsoft host; with `local`
    (authentication off, local tests) also any port on the loopback interface."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    if local and host in LOOPBACK_HOSTS:
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and host in SERVICE_HOSTS and port in (None, 443)


def untrusted_activity(activity: Activity, *, local: bool) -> str | None:
    """Why an activity may not be acted on even with a valid token, or None."""
    if not local and activity.channel_id != TEAMS_CHANNEL:
        return f"channel '{activity.channel_id}' is not Microsoft Teams"
    if not service_url_allowed(activity.service_url, local=local):
        return f"serviceUrl host '{_host(activity.service_url)}' is not a Teams Bot Connector"
    return None


def untrusted_identity(identity: ClaimsIdentity | None, *, app_id: str, local: bool) -> str | None:
    """Why a turn is not one the Bot Connector authenticated for this bot, or None."""
    if local:
        return None
    if identity is None or not identity.is_authenticated:
        return "not authenticated"
    claims: Mapping[str, Any] = identity.claims or {}
    if not app_id or claims.get("aud") != app_id:
        return "the token is not for this bot"
    return None


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "")[:100]
    except ValueError:
        return "?"


class UntrustedActivity(Exception):
    """An activity with a valid token that we still refuse (403): wrong channel or host."""


class AuthUnavailable(Exception):
    """The Bot Framework's signing keys could not be fetched (503: the Connector retries)."""


AUTH_TIMEOUT_S = 10.0
"""botframework-connector fetches its signing keys with blocking `requests` calls that have
no timeout (on the first request, then daily, and at most hourly for an unknown key id), from
inside the event loop. Validation therefore runs on a few threads of its own, each turn with
its own loop, bounded by this: a slow login.botframework.com gives a 503, never a stalled
process."""


class GuardedAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder's authentication, failing closed: every validation error is a
    PermissionError (CloudAdapter answers 401), and an authenticated activity is refused
    unless it comes from Teams through a documented Bot Connector host."""

    def __init__(self, configuration: Any, *, local: bool) -> None:
        super().__init__(configuration, logger=log)
        self.local = local
        self.timeout = AUTH_TIMEOUT_S
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="teams-auth")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        validate = super().authenticate_request
        loop = asyncio.get_running_loop()
        try:
            result = await asyncio.wait_for(
                loop.run_in_executor(
                    self._pool, lambda: asyncio.run(validate(activity, auth_header))
                ),
                self.timeout,
            )
        except PermissionError as exc:
            log.warning("teams: refused an activity (401): %s", _first_line(exc))
            raise
        except (requests.RequestException, TimeoutError) as exc:
            log.error("teams: cannot fetch the Bot Framework signing keys: %s", type(exc).__name__)
            raise AuthUnavailable("Bot Framework signing keys unavailable") from None
        except Exception as exc:  # a token botbuilder cannot even read: garbage in, 401 out
            log.warning(
                "teams: refused an activity (401): unreadable token (%s)", type(exc).__name__
            )
            raise PermissionError("invalid token") from None
        reason = untrusted_activity(activity, local=self.local)
        if reason is not None:
            log.warning("teams: refused an authenticated activity (403): %s", reason)
            raise UntrustedActivity(reason)
        return result


def _first_line(exc: BaseException) -> str:
    return (str(exc.args[0]) if exc.args else type(exc).__name__).splitlines()[0][:200]


@dataclass(frozen=True)
class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads its settings from."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def authentication(settings: Settings) -> GuardedAuthentication:
    """Bot Framework authentication from our settings: always on, unless CHATOPS_TEAMS_AUTH=off.

    Raises ValueError naming the missing variables (the process must not start without them)."""
    if settings.teams_auth_off:
        log.warning(
            "teams: !!! CHATOPS_TEAMS_AUTH=off: Bot Framework authentication is OFF, "
            "/api/messages accepts unsigned activities and the web server listens on 127.0.0.1 "
            "only. For local tests, never in production !!!%s",
            " (MicrosoftAppId is ignored)" if settings.microsoft_app_id else "",
        )
        return GuardedAuthentication(_AuthConfig("", "", "MultiTenant", ""), local=True)
    missing = backend_env("teams", settings)
    if missing:
        raise ValueError(
            "; ".join(str(problem) for problem in missing)
            + " (the Teams backend authenticates every request with them; CHATOPS_TEAMS_AUTH=off"
            " runs without, for local tests only)"
        )
    config = _AuthConfig(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=settings.microsoft_app_password or "",
        APP_TYPE=settings.microsoft_app_type or "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id or "",
    )
    return GuardedAuthentication(config, local=False)
