"""What Facebook, Messenger and Instagram share: Meta's webhook signature and handshake, and
the Graph API's error codes mapped to ours (shared by adapters/facebook.py and instagram.py).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from adapters.base import Environment, PlatformConfig, Response, token_envs
from adapters.errors import (
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    PlatformError,
    RateLimited,
)
from adapters.http import send
from adapters.signing import matches_hex
from chatops.env import EnvProblem, EnvValues, base_url, secret, unset


@dataclass(frozen=True)
class MetaEnv(EnvValues):
    """Meta's app (Facebook and Instagram share it): webhooks signed with its secret, the
    subscription check answered with the verify token, and the Graph API's address."""

    app_secret: str | None = secret("FACEBOOK_APP_SECRET")
    verify_token: str | None = secret("FACEBOOK_VERIFY_TOKEN")
    api_url: str = base_url("GRAPH_API_URL", "https://graph.facebook.com/v25.0")


SIGNATURE_HEADER = "X-Hub-Signature-256"
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80006})
"""Graph error codes that mean "too many calls": app, user, page, custom, business use case."""
TOKEN_CODES = frozenset({190, 102})
PERMISSION_CODES = frozenset({10, 200, 230})
WINDOW_SUBCODES = frozenset({2018278, 2018108, 2534022})
"""Messenger: outside the messaging window, or a private reply no longer allowed."""
DEFAULT_WAIT_S = 60.0
RETRY_WINDOW = timedelta(hours=36)
"""Meta retries a failed delivery, less and less often, and drops it after 36 hours
(developers.facebook.com/docs/graph-api/webhooks/getting-started); reconciliation
(chatops/reconcile.py) lists what was dropped."""


def verify(secret: str | None, body: bytes, headers: Mapping[str, str]) -> None:
    """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`."""
    given = headers.get(SIGNATURE_HEADER, "")
    if not secret:
        raise BadSignature("FACEBOOK_APP_SECRET is not set: cannot check Meta signatures")
    if not given.startswith("sha256="):
        raise BadSignature(f"missing {SIGNATURE_HEADER}: sha256=<hex>")
    if not matches_hex(secret, body, given.removeprefix("sha256=")):
        raise BadSignature("signature does not match the body")


def handshake(verify_token: str | None, query: Mapping[str, str]) -> Response:
    """The subscription check: echo `hub.challenge` when `hub.verify_token` is ours (compared
    in constant time; the echo is no MAC, so it signs nothing a caller chose)."""
    given = query.get("hub.verify_token", "").encode("utf-8", "replace")
    if (
        query.get("hub.mode") == "subscribe"
        and verify_token
        and hmac.compare_digest(given, verify_token.encode("utf-8", "replace"))
    ):
        return Response(200, query.get("hub.challenge", ""))
    return Response(403, "verification token mismatch")


def required_env(settings: Environment, platform: str, section: PlatformConfig) -> list[EnvProblem]:
    """Meta's app secret (webhook signatures), the verify token (subscription check) and the
    token each configured page or account names (replies)."""
    env = settings.platform_env(MetaEnv)
    return unset(
        ("FACEBOOK_APP_SECRET", env.app_secret),
        ("FACEBOOK_VERIFY_TOKEN", env.verify_token),
    ) + token_envs(settings, platform, section)


def entry_body(kind: str, entry: Any) -> dict[str, Any]:
    """The smallest webhook body of `object: kind` holding an entry that could not be read."""
    return {"object": kind, "entry": [entry]}


def item_body(kind: str, entry: dict[str, Any], key: str | None, item: Any) -> dict[str, Any]:
    """The smallest webhook body of `object: kind` holding one skipped item of `entry`: a
    `changes` or `messaging` item (`key`) under the entry's id and time (its readers need to
    know where it came to), or, `key` None, the change the entry carries on itself."""
    if key is None:
        return entry_body(kind, {k: v for k, v in entry.items() if k not in _LISTS})
    envelope = {k: entry[k] for k in ("id", "time") if k in entry}
    return entry_body(kind, {**envelope, key: [item]})


_LISTS = ("changes", "messaging")


def wait_from_usage(response: httpx.Response) -> float:
    """Seconds until access returns, from `X-Business-Use-Case-Usage` (minutes) if given."""
    raw = response.headers.get("x-business-use-case-usage")
    if not raw:
        return DEFAULT_WAIT_S
    try:
        usage = json.loads(raw)
        minutes = max(
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
        )
    except (ValueError, TypeError, AttributeError):
        return DEFAULT_WAIT_S
    return max(minutes * 60, 1.0)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def graph_error(response: httpx.Response, platform: str) -> PlatformError:
    """The most specific of our errors for a Graph API error answer."""
    try:
        error: dict[str, Any] = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = _int(error.get("code"))
    sub = _int(error.get("error_subcode"))
    text = str(error.get("message") or f"HTTP {response.status_code}")[:300]
    if code in THROTTLE_CODES or response.status_code == 429:
        wait = wait_from_usage(response)
        return RateLimited(f"{platform} rate limit ({text}), retry in {wait:.0f}s", wait)
    if code in TOKEN_CODES:
        return PermanentError(f"the {platform} token is invalid or expired ({text}): renew it")
    if sub in WINDOW_SUBCODES or code == 551:
        return PermanentError(
            f"{platform} no longer accepts a message to this person ({text}): "
            "the messaging window has closed"
        )
    if code == 100 and sub == 33:
        return PermanentError(f"the item is gone on {platform} (deleted or hidden): {text}")
    if code in PERMISSION_CODES:
        return PermanentError(f"{platform} refused: missing permission ({text})")
    if response.status_code in (502, 503) or (code in (1, 2) and response.status_code < 500):
        return NotSent(f"{platform} is temporarily unavailable ({text})")
    if response.status_code >= 500:
        return OutcomeUnknown(f"{platform} failed with HTTP {response.status_code} ({text})")
    return PermanentError(f"{platform} refused the reply: {text}")


async def graph_post(
    http: httpx.AsyncClient,
    url: str,
    *,
    token: str,
    platform: str,
    payload: dict[str, Any],
) -> dict[str, Any]:
    """POST to the Graph API with a page token; the JSON answer or our error."""
    response = await send(
        http,
        "POST",
        url,
        platform=platform,
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code >= 400:
        raise graph_error(response, platform)
    try:
        data = response.json()
    except ValueError:
        raise OutcomeUnknown(f"{platform} answered with something that is not JSON") from None
    if isinstance(data, dict) and "error" in data:
        raise graph_error(response, platform)
    return data if isinstance(data, dict) else {}


async def graph_get(
    http: httpx.AsyncClient, url: str, *, token: str, platform: str, params: dict[str, str]
) -> dict[str, Any]:
    """GET from the Graph API (reads are safe to retry, so every failure is *not sent*)."""
    try:
        response = await http.get(url, params=params, headers={"Authorization": f"Bearer {token}"})
    except httpx.TransportError as exc:
        raise NotSent(f"{platform} is unreachable ({type(exc).__name__})") from exc
    if response.status_code >= 400:
        err = graph_error(response, platform)
        raise err if isinstance(err, NotSent) else NotSent(err.reason)
    try:
        data = response.json()
    except ValueError:
        raise NotSent(f"{platform} answered with something that is not JSON") from None
    return data if isinstance(data, dict) else {}


# -- listing (reconciliation) ----------------------------------------------------------------


class GraphReader:
    """Reads Graph API listings with one token, counting its requests (what a pass costs).

    A throttle answer raises RateLimited, anything else that stops a read raises NotSent."""

    def __init__(self, http: httpx.AsyncClient, api_url: str, token: str, platform: str) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._token = token
        self._platform = platform
        self.calls = 0

    async def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        self.calls += 1
        return await graph_get(
            self._http,
            f"{self._api_url}/{path}",
            token=self._token,
            platform=self._platform,
            params=params,
        )


def listed(data: Any) -> list[dict[str, Any]]:
    """The objects of a listing (`{"data": [...], "paging": {...}}`), skipping non-objects."""
    items = data.get("data") if isinstance(data, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def after(data: Any) -> str | None:
    """The cursor of the next page, when Graph says there is one (`paging.next` present)."""
    paging = data.get("paging") if isinstance(data, dict) else None
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    cursor = cursors.get("after") if isinstance(cursors, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def graph_time(value: Any) -> datetime | None:
    """Graph listings give times as ISO 8601 (`2026-11-23T08:00:00+0000`) or unix seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
