"""The sandbox platform (DESIGN §4.5): our own platform with the real life cycle.

Inbound mentions are JSON signed with HMAC-SHA256 (`X-Sandbox-Signature: sha256=<hex>`);
published replies are POSTed to `{SANDBOX_API_URL}/replies`, or logged when that is unset.
It backs the demo, the end-to-end tests and staff training.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters import _json
from adapters.base import (
    Account,
    AdapterContext,
    Environment,
    Parsed,
    PlatformConfig,
    Published,
    ReplyRate,
    Response,
    TextMax,
)
from adapters.errors import BadPayload, BadSignature
from adapters.http import post_json
from adapters.signing import hmac_sha256, matches_hex
from chatops.domain import Author, Change, Kind, Mention, Reply
from chatops.env import EnvProblem, EnvValues, base_url, secret

log = logging.getLogger(__name__)

DISPLAY_NAME = "Sandbox"
SIGNATURE_HEADER = "X-Sandbox-Signature"
PUBLIC_SECRET = "sandbox"
"""SANDBOX_SECRET's default (DESIGN §4.2): published, so only `chatops demo` may run with it."""
TEXT_MAX = TextMax(public=10_000, private=10_000)
RETRY_WINDOW = timedelta(0)
"""Ours: a delivery is sent again only by whoever sends it (the demo, a test)."""
REPLY_RATE = ReplyRate(per_second=10.0, burst=10, unavailable_wait=5.0, retries=3)
"""Ours: 10 replies a second per account, as many at once (what bench/storm.py's local platform
enforces by default, 429 + Retry-After beyond)."""


class SandboxConfig(PlatformConfig):
    accounts: list[Account] = Field(default_factory=list)


@dataclass(frozen=True)
class SandboxEnv(EnvValues):
    secret: str = secret("SANDBOX_SECRET", PUBLIC_SECRET)
    """The HMAC key of the webhooks."""
    api_url: str | None = base_url("SANDBOX_API_URL")
    """Where replies are POSTed (`{url}/replies`); unset, they are logged."""


CONFIG = SandboxConfig
ENV = SandboxEnv


class _Author(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    name: str = ""
    handle: str = ""
    followers: int | None = Field(default=None, ge=0)


class _Item(BaseModel):
    """The wire shape of one sandbox mention; unknown keys are ignored, as platforms add keys."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=200)
    conversation_id: str = Field(min_length=1, max_length=200)
    parent_id: str | None = None
    kind: Kind = Kind.COMMENT
    account: str = ""
    author: _Author
    text: str = Field(max_length=20_000)
    lang: str | None = Field(default=None, max_length=8)
    created_at: datetime | None = None
    url: str | None = None
    change: Literal["add", "edited", "removed"] = "add"


def sign(secret: str, body: bytes) -> str:
    """The header value a sandbox client sends (used by the demo, replay and tests)."""
    return "sha256=" + hmac_sha256(secret, body).hex()


def parse_items(body: bytes, *, now: datetime | None = None) -> list[Mention]:
    """Sandbox JSON (one object or a list) -> mentions, or BadPayload naming what is wrong."""
    try:
        data: Any = _json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload(f"body is not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadPayload("empty list: nothing to ingest")
    received = now or datetime.now(UTC)
    out = []
    for index, item in enumerate(items):
        where = f"item {index}: " if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise BadPayload(f"{where}expected a JSON object")
        try:
            parsed = _Item.model_validate(item)
        except ValidationError as exc:
            raise BadPayload(where + _first_error(exc)) from None
        out.append(_to_mention(parsed, received))
    return out


def _to_mention(item: _Item, received: datetime) -> Mention:
    created = item.created_at or received
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Mention(
        platform="sandbox",
        account=item.account,
        external_id=item.id,
        conversation_id=item.conversation_id,
        parent_id=item.parent_id,
        author=Author(
            id=item.author.id,
            name=item.author.name,
            handle=item.author.handle,
            followers=item.author.followers,
        ),
        text=item.text,
        lang=item.lang,
        url=item.url,
        created_at=created,
        kind=item.kind,
        change=Change(item.change),
    )


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    return f"{path}: {err['msg'].lower()}" if path else err["msg"].lower()


class SandboxAdapter:
    name = "sandbox"

    def __init__(
        self, secret: str, api_url: str | None, http: httpx.AsyncClient, *, log_text: bool = False
    ) -> None:
        self._secret = secret
        self._log_text = log_text
        self._api_url = api_url.rstrip("/") if api_url else None
        self._http = http
        self._local_ids = itertools.count(1)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        given = headers.get(SIGNATURE_HEADER, "")
        if not given.startswith("sha256="):
            raise BadSignature(f"missing {SIGNATURE_HEADER}: sha256=<hex>")
        if not matches_hex(self._secret, body, given.removeprefix("sha256=")):
            raise BadSignature("signature does not match the body")

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        """All or nothing: the sandbox's senders are our own tools (demo, replay, tests),
        where a bad item is a bug to show at once, not a platform quirk to tolerate."""
        return Parsed(parse_items(body))

    def handshake(self, query: Mapping[str, str]) -> Response:
        return Response(status=405, body="the sandbox takes POST only")

    async def reply(self, reply: Reply) -> Published:
        payload = {
            "in_reply_to": reply.in_reply_to.external_id,
            "conversation_id": reply.in_reply_to.conversation_id,
            "text": reply.text,
            "private": reply.private,
        }
        if self._api_url is None:
            local_id = f"local-{next(self._local_ids)}"
            shown = reply.text if self._log_text else f"({len(reply.text)} characters)"
            log.info("sandbox reply %s to %s: %s", local_id, payload["in_reply_to"], shown)
            return Published(id=local_id)
        data = await post_json(self._http, f"{self._api_url}/replies", payload, platform="sandbox")
        reply_id = str(data.get("id") or "")
        url = f"https://sandbox.invalid/{reply.in_reply_to.conversation_id}#{reply_id}"
        return Published(id=reply_id, url=url)


def create(ctx: AdapterContext) -> SandboxAdapter:
    env = ctx.settings.platform_env(SandboxEnv)
    return SandboxAdapter(
        env.secret, env.api_url, ctx.http, log_text=ctx.settings.log_customer_text
    )


def required_env(settings: Environment, section: SandboxConfig) -> list[EnvProblem]:
    """A secret of the operator's own: with the public default anyone can sign mentions."""
    own = settings.platform_env(SandboxEnv).secret
    if own and own != PUBLIC_SECRET:
        return []
    return [
        EnvProblem(
            "SANDBOX_SECRET",
            f"is unset or the public default '{PUBLIC_SECRET}', which anyone can sign with",
        )
    ]
