"""Outbound HTTP with the one distinction that matters for at-most-once replies.

Did the platform certainly *not* post it (safe to retry), or may it have (a person checks)?
Connection refused or a connect timeout: not sent. A read timeout or a dropped connection
after the request went out: unknown. Status codes map the same way.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.errors import NotSent, OutcomeUnknown, PermanentError, RateLimited

NOT_PROCESSED = {429, 502, 503}
"""Statuses that mean the platform (or its gateway) did not act on the request."""


def retry_after(response: httpx.Response, default: float = 60.0) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


async def send(
    http: httpx.AsyncClient, method: str, url: str, *, platform: str, **kwargs: Any
) -> httpx.Response:
    """One request; transport failures mapped to *not sent* or *unknown*, responses returned."""
    try:
        return await http.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise NotSent(f"{platform} is unreachable ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise OutcomeUnknown(
            f"no answer from {platform} after sending ({type(exc).__name__})"
        ) from exc


async def post_json(
    http: httpx.AsyncClient,
    url: str,
    payload: dict[str, Any],
    *,
    platform: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST JSON and return the JSON answer, raising our errors for everything else."""
    response = await send(http, "POST", url, platform=platform, json=payload, headers=headers)
    return check_response(response, platform)


def check_response(response: httpx.Response, platform: str) -> dict[str, Any]:
    if response.status_code == 429:
        wait = retry_after(response)
        raise RateLimited(f"{platform} rate limit, retry in {wait:.0f}s", wait)
    if response.status_code in NOT_PROCESSED:
        raise NotSent(f"{platform} is unavailable (HTTP {response.status_code})")
    if response.status_code >= 500:
        raise OutcomeUnknown(f"{platform} failed with HTTP {response.status_code}")
    if response.status_code >= 400:
        raise PermanentError(
            f"{platform} refused the reply: HTTP {response.status_code} {response.text[:200]}"
        )
    try:
        data = response.json()
    except ValueError:
        raise OutcomeUnknown(f"{platform} answered with something that is not JSON") from None
    return data if isinstance(data, dict) else {"data": data}
