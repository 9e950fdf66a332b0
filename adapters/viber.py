"""Viber (REST Bot API): the one-to-one chats between a Viber bot and the people who write to it.

Inbound: Viber POSTs every callback to `/webhooks/viber`, signed with
`X-Viber-Content-Signature: <hex HMAC-SHA256(auth token, raw body)>`; there is no GET check
(`set_webhook` sends a signed `webhook` event instead, which we answer 200 with no mention).
Only `message` events become mentions: kind `dm`, one case per customer
(`conversation_id = "viber:<sender id>"`). The rest is ignored on purpose:
- `conversation_started`: the person opened the chat but wrote nothing and is not subscribed, so
  Viber would refuse any message from staff (a bot may only greet in the webhook's answer, and
  chatops never answers automatically);
- `subscribed` / `unsubscribed`: no text to handle; an unsubscribed customer shows up as a
  refused reply (status 6) with the reason;
- `delivered`, `seen`, `failed`, and event types Viber may add later.

Outbound: `POST {VIBER_API_URL}/send_message` with `X-Viber-Auth-Token`. Viber reports its errors
as HTTP 200 with a non-zero `status`; each is mapped to our errors with what a person can do.
Every Viber message is private, so `Reply.private` changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

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
    token_envs,
)
from adapters.errors import (
    BadPayload,
    BadSignature,
    OutcomeUnknown,
    PermanentError,
    PlatformError,
    RateLimited,
)
from adapters.http import check_response, send
from adapters.signing import matches_hex
from chatops.domain import Author, Change, Kind, Mention, Reply
from chatops.env import EnvProblem, EnvValues, base_url, secret, unset

PLATFORM = "Viber"
DISPLAY_NAME = "Viber"
TOKEN_ENV = "VIBER_AUTH_TOKEN"


class ViberConfig(PlatformConfig):
    """`platforms.viber`: the bot (its first account's `token_env`, else VIBER_AUTH_TOKEN)."""

    sender_name: str = ""
    accounts: list[Account] = Field(default_factory=list)


@dataclass(frozen=True)
class ViberEnv(EnvValues):
    """The bot's token, which both signs callbacks and sends replies, and the API's address."""

    auth_token: str | None = secret(TOKEN_ENV)
    api_url: str = base_url("VIBER_API_URL", "https://chatapi.viber.com/pa")


CONFIG = ViberConfig
ENV = ViberEnv
SIGNATURE_HEADER = "X-Viber-Content-Signature"
AUTH_HEADER = "X-Viber-Auth-Token"
CONVERSATION_PREFIX = "viber:"

MAX_TEXT = 7_000
"""Characters in one text message (Viber's send_message docs)."""
TEXT_MAX = TextMax(public=MAX_TEXT, private=MAX_TEXT)
RETRY_WINDOW = timedelta(hours=1)
"""Viber retries a callback "several times for an hour" until it gets 200
(developers.viber.com/docs/faq/)."""
REPLY_RATE = ReplyRate(per_second=10.0, burst=10, unavailable_wait=30.0, retries=3)
"""Viber states no figure for a bot's send_message: it answers status 12 (tooManyRequests,
`RATE_LIMIT_WAIT_S`) when a bot sends too fast. Ten a second, each to another customer, is
what its partner APIs advertise per account and far below where status 12 was seen."""
MAX_REQUEST_BYTES = 30_000
"""Viber refuses request bodies over 30 KB; we count a KB as 1,000 bytes to stay clear of it."""
MAX_SENDER_NAME = 28
RATE_LIMIT_WAIT_S = 60.0
"""Status 12 does not say how long to wait: Viber limits messages per second, and to 100 an hour
to a customer who has not answered. A minute clears the first; the second means waiting more."""

_MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, datetime's last moment
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _digits(value: Any) -> Any:
    """Message tokens are 64-bit integers: keep the exact decimal, never a rounded float."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be an integer")
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 30):
        raise ValueError("must be a non-negative integer of at most 30 digits")
    return text


Token = Annotated[str, BeforeValidator(_digits)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Sender(_Wire):
    id: str = Field(min_length=1, max_length=200)
    name: str | None = None
    language: str | None = None


class _Location(_Wire):
    lat: float = Field(allow_inf_nan=False)
    lon: float = Field(allow_inf_nan=False)


class _Contact(_Wire):
    name: str | None = None
    phone_number: str | None = None


class _Message(_Wire):
    type: str = Field(min_length=1, max_length=40)
    text: str | None = None
    media: str | None = None
    file_name: str | None = None
    sticker_id: StrictInt | str | None = None
    location: _Location | None = None
    contact: _Contact | None = None


class _MessageEvent(_Wire):
    """A `message` callback; unknown keys are ignored, as Viber adds keys."""

    event: Literal["message"]
    timestamp: StrictInt | None = Field(default=None, ge=0, le=_MAX_TIMESTAMP_MS)
    message_token: Token
    sender: _Sender
    message: _Message


def parse_event(body: bytes, *, account: str = "", now: datetime | None = None) -> list[Mention]:
    """One Viber callback -> its mention (only `message` events have one), or BadPayload."""
    data = _load(body)
    event = data.get("event")
    if not isinstance(event, str) or not event:
        raise BadPayload("event: missing")
    if event != "message":
        return []
    try:
        parsed = _MessageEvent.model_validate(data)
    except ValidationError as exc:
        raise BadPayload(_first_error(exc)) from None
    return [_to_mention(parsed, account, now or datetime.now(UTC))]


def _load(body: bytes) -> dict[str, Any]:
    # Python's json keeps big integers exact; RecursionError guards deeply nested junk.
    try:
        data: Any = _json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadPayload(f"body is not JSON: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise BadPayload("expected a JSON object")
    return data


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    message = err["msg"].lower()
    return f"{path}: {message}" if path else message


def _to_mention(event: _MessageEvent, account: str, received: datetime) -> Mention:
    sender = event.sender
    created = (
        _EPOCH + timedelta(milliseconds=event.timestamp)
        if event.timestamp is not None
        else received
    )
    return Mention(
        platform="viber",
        account=account,
        external_id=event.message_token,
        conversation_id=CONVERSATION_PREFIX + sender.id,
        author=Author(id=sender.id, name=sender.name or ""),
        text=_render(event.message),
        lang=_language(sender.language),
        created_at=created,
        kind=Kind.DM,
        change=Change.ADD,
    )


def _render(message: _Message) -> str:
    """What staff read: the text, or `[type] what was sent` plus the caption for other types."""
    if message.type == "text":
        return message.text or ""
    head = f"[{message.type}] {_describe(message)}".rstrip()
    return f"{head}\n{message.text}" if message.text else head


def _describe(message: _Message) -> str:
    if message.type == "location" and message.location is not None:
        return f"{message.location.lat},{message.location.lon}"
    if message.type == "contact" and message.contact is not None:
        return " ".join(p for p in (message.contact.name, message.contact.phone_number) if p)
    if message.type == "file":
        return " ".join(p for p in (message.file_name, message.media) if p)
    if message.type == "sticker" and not message.media and message.sticker_id is not None:
        return f"sticker {message.sticker_id}"
    return message.media or ""


def _language(value: str | None) -> str | None:
    """The phone's UI language, sometimes absent: not the message's language (a German may
    write from an English phone), so classification uses it only to break ties on very short
    texts (chatops/classify/language.py)."""
    code = (value or "").strip()
    return code if 2 <= len(code) <= 16 else None


_STATUS_ADVICE: dict[int, tuple[str, str]] = {
    1: (
        "invalidUrl",
        "the bot's webhook URL is invalid: set it again to https://<host>/webhooks/viber",
    ),
    2: ("invalidAuthToken", "check {env}: Viber does not accept the token"),
    3: ("badData", "Viber could not read the request; report this with the case number"),
    4: ("missingData", "Viber found a field missing; report this with the case number"),
    5: (
        "receiverNotRegistered",
        "the customer is no longer on Viber (or changed number): reach them another way",
    ),
    6: (
        "receiverNotSubscribed",
        "the customer has not subscribed to the bot or has unsubscribed: "
        "Viber allows no message until they write again",
    ),
    7: ("publicAccountBlocked", "the bot's Viber account is blocked: contact Viber support"),
    8: ("publicAccountNotFound", "no Viber bot has the token in {env}: check it"),
    9: ("publicAccountSuspended", "the bot's Viber account is suspended: contact Viber support"),
    10: (
        "webhookNotSet",
        "the bot has no webhook: set it to https://<host>/webhooks/viber with set_webhook",
    ),
    11: (
        "receiverNoSuitableDevice",
        "the customer's Viber app or device cannot receive bot messages: "
        "ask them to update Viber, or reach them another way",
    ),
    13: (
        "apiVersionNotSupported",
        "the customer's Viber app is too old for this message: ask them to update Viber",
    ),
    14: (
        "incompatibleWithVersion",
        "the message does not fit its min_api_version; report this with the case number",
    ),
}
"""Viber's send_message statuses (creators.viber.com/docs/bots-api/errors) and what to do."""
TOO_MANY_REQUESTS = 12


def status_error(status: int, status_message: str, token_env: str) -> PlatformError:
    """Our error for a non-zero send_message status: nothing was sent in any of these cases."""
    if status == TOO_MANY_REQUESTS:
        return RateLimited(
            f"Viber rate limit (tooManyRequests): retry in {RATE_LIMIT_WAIT_S:.0f}s; "
            "Viber allows 100 messages an hour to a customer who has not answered",
            RATE_LIMIT_WAIT_S,
        )
    name, advice = _STATUS_ADVICE.get(status, (status_message[:80] or "unknown", ""))
    reason = f"Viber refused the reply ({name}, status {status})"
    return PermanentError(f"{reason}: {advice.format(env=token_env)}" if advice else reason)


class ViberAdapter:
    """One Viber bot: a bot has exactly one auth token and one webhook."""

    name = "viber"
    max_length: int | None = MAX_TEXT

    def __init__(
        self,
        *,
        token: str | None,
        token_env: str,
        api_url: str,
        account: str,
        sender_name: str,
        http: httpx.AsyncClient,
    ) -> None:
        self._token = token
        self._token_env = token_env
        self._url = api_url.rstrip("/") + "/send_message"
        self._account = account
        self._sender_name = sender_name[:MAX_SENDER_NAME]
        self._http = http

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        if not self._token:
            raise BadSignature(f"{self._token_env} is not set: cannot check Viber signatures")
        given = headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise BadSignature(f"missing {SIGNATURE_HEADER}")
        # compare_digest refuses non-ASCII text with a TypeError: such a header is simply wrong.
        if not given.isascii() or not matches_hex(self._token, body, given):
            raise BadSignature("signature does not match the body")

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        return Parsed(parse_event(body, account=self._account))

    def handshake(self, query: Mapping[str, str]) -> Response:
        return Response(status=405, body="Viber posts to this URL; it makes no GET check")

    def length(self, text: str) -> int:
        """UTF-16 code units: the docs do not say how Viber counts, and this is the stricter
        of the plausible ways (an emoji counts 2), so a draft we accept is never too long."""
        return len(text.encode("utf-16-le", "surrogatepass")) // 2

    def check(self, reply: Reply, now: datetime) -> str | None:
        """Length and request size. Whether the customer is still subscribed cannot be known
        here: a refusal for that comes back from Viber with its reason (status 6)."""
        if not reply.text.strip():
            return "Viber sends no empty message: write a reply"
        length = self.length(reply.text)
        if length > MAX_TEXT:
            return f"Viber allows {MAX_TEXT} characters in a message; this reply has {length}"
        size = len(self._body(reply))
        if size > MAX_REQUEST_BYTES:
            return (
                f"Viber accepts requests up to 30 KB; this reply makes {size} bytes "
                "(escaped control characters count several bytes each): shorten it"
            )
        return None

    async def reply(self, reply: Reply) -> Published:
        if not self._token:
            raise PermanentError(f"{self._token_env} is not set: cannot send Viber messages")
        headers = {AUTH_HEADER: self._token, "Content-Type": "application/json"}
        response = await send(
            self._http,
            "POST",
            self._url,
            platform=PLATFORM,
            content=self._body(reply),
            headers=headers,
        )
        return self._published(check_response(response, PLATFORM))

    def _body(self, reply: Reply) -> bytes:
        payload = {
            "receiver": receiver(reply.in_reply_to),
            "min_api_version": 1,
            "sender": {"name": self._sender_name},
            "tracking_data": reply.case_id,
            "type": "text",
            "text": reply.text,
        }
        # Compact UTF-8, not \u escapes: an escaped emoji is 12 bytes against the 30 KB limit.
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "replace")

    def _published(self, data: dict[str, Any]) -> Published:
        status = data.get("status")
        if isinstance(status, bool) or not isinstance(status, int):
            raise OutcomeUnknown("Viber answered without a status: the message may have been sent")
        if status != 0:
            raise status_error(status, str(data.get("status_message") or ""), self._token_env)
        token = data.get("message_token")
        return Published(id="" if token is None else str(token))


def receiver(mention: Mention) -> str:
    """The customer's Viber user id: what the conversation is named after."""
    if mention.conversation_id.startswith(CONVERSATION_PREFIX):
        return mention.conversation_id.removeprefix(CONVERSATION_PREFIX)
    return mention.author.id


def _account_and_token(settings: Environment, viber: ViberConfig) -> tuple[str, str, str | None]:
    """(account id, env name, token): the first configured account, whose `token_env` (if
    given) names the variable holding the bot's token instead of VIBER_AUTH_TOKEN."""
    first = viber.accounts[0] if viber.accounts else None
    if first is not None and first.token_env:
        return first.id, first.token_env, settings.token(first.token_env)
    return (first.id if first else ""), TOKEN_ENV, settings.platform_env(ViberEnv).auth_token


def create(ctx: AdapterContext) -> ViberAdapter:
    viber = ctx.section(ViberAdapter.name, ViberConfig)
    account, token_env, token = _account_and_token(ctx.settings, viber)
    sender = viber.sender_name.strip() or ctx.config.brand.strip() or "chatops"
    return ViberAdapter(
        token=token,
        token_env=token_env,
        api_url=ctx.settings.platform_env(ViberEnv).api_url,
        account=account,
        sender_name=sender,
        http=ctx.http,
    )


def required_env(settings: Environment, section: ViberConfig) -> list[EnvProblem]:
    """The bot's token, which both signs callbacks and sends replies: the first account's
    `token_env`, else VIBER_AUTH_TOKEN (and every `token_env` the config names)."""
    accounts = section.accounts
    token = settings.platform_env(ViberEnv).auth_token
    default = [] if accounts and accounts[0].token_env else [(TOKEN_ENV, token)]
    return unset(*default) + token_envs(settings, ViberAdapter.name, section)
