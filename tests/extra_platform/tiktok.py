"""A platform of the tests' own: adding a platform is adding a module like this one.

`tests/architecture/test_platform_modules.py` puts this folder on `adapters.__path__` in a fresh
process, as if the file were in `adapters/`, and sees the platform configured, checked, routed
and worded without any other change. Its webhook is one JSON mention, "signed" by carrying the
secret.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import Field

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
    token_envs,
)
from adapters.errors import BadSignature
from chatops.domain import Author, Mention, Reply
from chatops.env import EnvProblem, EnvValues, base_url, secret, unset

DISPLAY_NAME = "TikTok"
TEXT_MAX = TextMax(public=150, private=6_000)
RETRY_WINDOW = timedelta(hours=1)
REPLY_RATE = ReplyRate(per_second=1.0)


class TiktokConfig(PlatformConfig):
    accounts: list[Account] = Field(default_factory=list)


@dataclass(frozen=True)
class TiktokEnv(EnvValues):
    secret: str | None = secret("TIKTOK_SECRET")
    api_url: str = base_url("TIKTOK_API_URL", "https://open.tiktokapis.com")


CONFIG = TiktokConfig
ENV = TiktokEnv


class TiktokAdapter:
    name = "tiktok"

    def __init__(self, secret: str | None) -> None:
        self._secret = secret or ""

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        given = headers.get("X-Tiktok-Secret", "").encode()
        if not self._secret or not hmac.compare_digest(given, self._secret.encode()):
            raise BadSignature("X-Tiktok-Secret does not match")

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        item = json.loads(body)
        mention = Mention(
            platform=self.name,
            external_id=item["id"],
            conversation_id=item["video"],
            author=Author(id=item["author"]),
            text=item["text"],
            created_at=datetime.now(UTC),
        )
        return Parsed([mention])

    def handshake(self, query: Mapping[str, str]) -> Response:
        return Response(403, "no handshake")

    async def reply(self, reply: Reply) -> Published:
        return Published(id=f"reply-to-{reply.in_reply_to.external_id}")


def create(ctx: AdapterContext) -> TiktokAdapter:
    return TiktokAdapter(ctx.settings.platform_env(TiktokEnv).secret)


def required_env(settings: Environment, section: TiktokConfig) -> list[EnvProblem]:
    own = unset(("TIKTOK_SECRET", settings.platform_env(TiktokEnv).secret))
    return own + token_envs(settings, "tiktok", section)
