"""Who our bot is in Slack (`auth.test`): learnt once, kept in Redis, never asked per request.

Bolt's single-workspace authorization calls `auth.test` on the first request and refuses every
request while that call fails, and the scope check (scope.py) needs our team id as well. Slack
does not retry an interactivity payload that got an error, so a click during a Slack API
outage would be lost. So:

- `auth.test` is asked when the process starts, and its answer kept in Redis (shared by every
  process, kept across restarts, bound to the token by a digest, never the token itself);
- requests are authorized from what is known (`bolt_authorize`), without calling Slack;
- while Slack does not answer, the cached answer serves and `auth.test` is retried in the
  background until it does;
- a token Slack refuses (`invalid_auth`, …) is never served from the cache: that fails closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops import keys
from chatops.redis_text import text_map
from chatops.slack.outbox import NETWORK_ERRORS, SERVER_ERRORS

log = logging.getLogger(__name__)

IDENTITY = keys.SLACK_IDENTITY
"""Hash: what `auth.test` last answered for the token whose digest is `token`."""
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
"""The background `auth.test` retry: doubling from the first wait up to the cap, jittered."""


@dataclass(frozen=True)
class Identity:
    """Our bot in its workspace, as `auth.test` describes it."""

    team_id: str
    user_id: str
    bot_id: str = ""
    enterprise_id: str = ""
    team: str = ""
    url: str = ""

    @classmethod
    def from_auth_test(cls, data: Any) -> Identity | None:
        def field(name: str) -> str:
            return str(data.get(name) or "")

        if not field("team_id") or not field("user_id"):
            return None
        return cls(
            team_id=field("team_id"),
            user_id=field("user_id"),
            bot_id=field("bot_id"),
            enterprise_id=field("enterprise_id"),
            team=field("team"),
            url=field("url"),
        )

    def authorize_result(self, token: str, user_id: str | None) -> AuthorizeResult:
        """What Bolt's single-workspace authorization would build from `auth.test`."""
        return AuthorizeResult(
            enterprise_id=self.enterprise_id or None,
            team_id=self.team_id,
            team=self.team or None,
            url=self.url or None,
            bot_id=self.bot_id or None,
            bot_user_id=self.user_id,
            bot_token=token,
            user_id=user_id,
        )


def token_digest(token: str) -> str:
    """Binds a cached identity to its token without keeping the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def slack_down(exc: Exception) -> bool:
    """Slack did not answer the question (network, 5xx, rate limited), as opposed to refusing
    the token: only then may a cached identity stand in."""
    if isinstance(exc, NETWORK_ERRORS):
        return True
    if not isinstance(exc, SlackApiError):
        return False
    status = getattr(exc.response, "status_code", 200)
    error = str(exc.response.get("error") or "") if exc.response is not None else ""
    return status >= 500 or status == 429 or error in SERVER_ERRORS or error == "ratelimited"


def retry_wait(attempt: int, draw: float) -> float:
    """Seconds before background retry `attempt` (1, 2, …) of `auth.test`."""
    ceiling = min(RETRY_MAX_S, RETRY_FIRST_S * 2.0 ** min(max(attempt - 1, 0), 16))
    return ceiling * (0.5 + 0.5 * min(max(draw, 0.0), 1.0))


class WhoWeAre:
    """The identity of our bot token, for the scope check and for Bolt."""

    def __init__(self, client: AsyncWebClient, redis: Redis, token: str) -> None:
        self.client = client
        self.redis = redis
        self.token = token
        self._known: Identity | None = None  # what auth.test answered in this process
        self._cached: Identity | None = None  # from Redis, while Slack does not answer
        self._lock = asyncio.Lock()
        self._retry: asyncio.Task[None] | None = None
        self.sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep

    async def identity(self) -> Identity | None:
        """Ours, or None while it is not known (requests are then refused, never let in)."""
        if self._known is not None:
            return self._known
        if self._retrying():
            return self._cached
        async with self._lock:
            if self._known is None and not self._retrying() and not await self._ask():
                await self._while_down()
        return self._known or self._cached

    @property
    def confirmed(self) -> bool:
        """`auth.test` answered in this process (not only the cache)."""
        return self._known is not None

    async def team_id(self) -> str | None:
        identity = await self.identity()
        return identity.team_id if identity is not None else None

    def bolt_authorize(self) -> Callable[..., Awaitable[AuthorizeResult]]:
        """Bolt's `authorize=`: no Slack call per request. While our identity is unknown, the
        request goes on to the scope check, which refuses it (Bolt would answer Slack with a
        "reinstall this app" message, and the click would be lost without an error)."""

        async def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None
        ) -> AuthorizeResult:
            identity = await self.identity()
            if identity is None:
                return AuthorizeResult(
                    enterprise_id=enterprise_id,
                    team_id=team_id,
                    bot_token=self.token,
                    user_id=user_id,
                )
            return identity.authorize_result(self.token, user_id)

        return authorize

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
            self._retry = None

    # -- asking Slack -----------------------------------------------------------------------

    def _retrying(self) -> bool:
        return self._retry is not None and not self._retry.done()

    async def _ask(self) -> bool:
        """One `auth.test`: False when Slack did not answer it."""
        try:
            result = await self.client.auth_test()
        except Exception as exc:
            if slack_down(exc):
                return False
            if not isinstance(exc, SlackApiError):
                raise
            log.warning("slack: auth.test refused the token: %s", exc.response.get("error"))
            self._cached = None  # fail closed: the cache never stands in for a refused token
            return True
        identity = Identity.from_auth_test(result)
        if identity is None:
            log.error("slack: auth.test named no team or bot user")
            return True
        if self._retrying() or self._cached is not None:
            log.warning("slack: auth.test answers again (workspace %s)", identity.team_id)
        self._known, self._cached = identity, None
        await self._save(identity)
        return True

    async def _while_down(self) -> None:
        """Slack did not answer: the cached identity serves, the question is asked again."""
        if self._cached is None:
            self._cached = await self._load()
        log.warning(
            "slack: auth.test did not answer; %s, retrying in the background",
            "serving requests as the workspace Slack named before"
            if self._cached is not None
            else "requests are refused until it answers",
        )
        self._retry = asyncio.create_task(self._retry_until_answered())

    async def _retry_until_answered(self) -> None:
        attempt = 0
        while self._known is None:
            attempt += 1
            await self.sleep(retry_wait(attempt, random.random()))
            try:
                async with self._lock:
                    if await self._ask():
                        return
            except Exception:
                log.exception("slack: auth.test failed")
                return

    # -- the cache in Redis -----------------------------------------------------------------

    async def _save(self, identity: Identity) -> None:
        try:
            fields = {**asdict(identity), "token": token_digest(self.token)}
            await self.redis.hset(IDENTITY, mapping=fields)  # type: ignore[arg-type]
        except RedisError as exc:
            log.warning("slack: could not keep our identity in Redis: %s", type(exc).__name__)

    async def _load(self) -> Identity | None:
        try:
            raw = await self.redis.hgetall(IDENTITY)
        except RedisError as exc:
            log.warning("slack: could not read our identity from Redis: %s", type(exc).__name__)
            return None
        got = text_map(raw)
        if got.pop("token", None) != token_digest(self.token):
            return None  # another token's (or nothing): never trusted for this one
        return Identity.from_auth_test(got)
