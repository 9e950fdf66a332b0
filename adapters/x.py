"""X (Twitter): Account Activity webhooks and polling in, API v2 out.

Inbound, the Account Activity API POSTs v1.1-style events for each subscribed account
(`for_user_id`): `tweet_create_events` become `mention` / `reply` mentions,
`direct_message_events` become `dm` ones and `tweet_delete_events` (someone deleted a post)
removals, whose text the store then purges; our own posts, retweets and every other event type
(likes, follows, …) are ignored; a post or message that cannot be read is skipped with
its reason, never the others of the delivery. Accounts without a webhook subscription and the
`track` keywords are read by polling API v2 (`poll`); dedupe by tweet id makes a tweet that
arrives both ways one mention.

Conversations: a DM thread is `dm:<sender id>`. v2 tweets carry `conversation_id` (the root
of the thread), so polled tweets use it. v1.1 webhook tweets carry no conversation id, so a
webhook tweet is grouped by the tweet it answers, or by itself when it answers nothing: a
customer replying under one of our replies lands on the case of that reply's thread.

Outbound, replies need user-context auth (OAuth 1.0a, or an OAuth 2.0 user token): public
replies are `POST /2/tweets`, private ones and DM answers `POST /2/dm_conversations/with/…`.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import warnings
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

import httpx
from authlib.oauth1.rfc5849.errors import OAuth1Error  # type: ignore[import-untyped]
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from adapters import _json
from adapters.base import (
    Account,
    AdapterContext,
    Cursors,
    Environment,
    Parsed,
    PlatformConfig,
    PollResult,
    Published,
    ReplyRate,
    Response,
    Skipped,
    SkipReason,
    TextMax,
    token_envs,
)
from adapters.errors import (
    BadPayload,
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    PlatformError,
    RateLimited,
)
from adapters.http import check_response, send
from adapters.signing import hmac_sha256, matches_b64
from chatops.domain import Author, Change, Kind, Mention, Reply
from chatops.durations import Duration
from chatops.env import EnvProblem, EnvValues, base_url, secret, unset
from chatops.schema import Text

with warnings.catch_warnings():
    # authlib announces on import, "always" and on stderr, that it would rather have httpx2:
    # a note to chatops' developers, not to whoever runs it, and it would break the one-line
    # errors of commands that read the config (which imports every platform module).
    from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth1Auth  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

PLATFORM = "X"
DISPLAY_NAME = "X"


class XAccount(Account):
    handle: str = ""
    webhook: bool = False
    """True when the account is subscribed to Account Activity webhooks: then it is not polled."""

    @field_validator("handle")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.strip().lstrip("@")

    def names(self) -> list[str]:
        return [*super().names(), *([self.handle] if self.handle else [])]


class XConfig(PlatformConfig):
    """`platforms.x`: the accounts whose mentions and DMs we answer, and keywords to track."""

    accounts: list[XAccount] = Field(default_factory=list)
    track: list[Text] = Field(default_factory=list)
    poll_every: Duration = timedelta(seconds=60)


@dataclass(frozen=True)
class XEnv(EnvValues):
    """The X app: its consumer secret signs webhooks and CRC answers; the bearer token reads
    (polling); user context (OAuth 1.0a with all four, or X_ACCESS_TOKEN alone as an OAuth 2.0
    user token) posts replies."""

    consumer_key: str | None = secret("X_CONSUMER_KEY")
    consumer_secret: str | None = secret("X_CONSUMER_SECRET")
    bearer_token: str | None = secret("X_BEARER_TOKEN")
    access_token: str | None = secret("X_ACCESS_TOKEN")
    access_token_secret: str | None = secret("X_ACCESS_TOKEN_SECRET")
    api_url: str = base_url("X_API_URL", "https://api.x.com")


CONFIG = XConfig
ENV = XEnv
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
MAX_POST = 280
MAX_DM = 10_000
TEXT_MAX = TextMax(public=25_000, private=MAX_DM)
RETRY_WINDOW = timedelta(minutes=5)
"""Account Activity API: up to three retries within five minutes (developer.x.com/en/docs/x-api/
enterprise/account-activity-api/guides/activity-retries)."""
"""A long post (X Premium), and a direct message."""
REPLY_RATE = ReplyRate(per_second=100 / 900, burst=5, unavailable_wait=60.0, retries=3)
"""POST /2/tweets: 100 requests per 15 minutes per user (docs.x.com, X API rate limits); the
429 carries x-rate-limit-reset, read by `_reset_wait`."""
MAX_PAGES = 10
"""Pages of 100 read per stream and poll; a longer backlog keeps only its newest 1,000."""
LIMIT_WINDOW_S = 15 * 60.0
"""X's rate-limit window, the wait when a 429 does not say when the limit resets."""
MAX_WAIT_S = 24 * 3600.0
"""A reset further away than this is a bad header, not a plan."""
NO_BEARER_WAIT_S = 24 * 3600.0
TWEET_FIELDS = (
    "conversation_id,lang,author_id,created_at,in_reply_to_user_id,referenced_tweets,note_tweet"
)
USER_FIELDS = "username,name,public_metrics"
USER_CONTEXT_ENVS = "X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET"
HANDLED_EVENTS = frozenset({"tweet_create_events", "direct_message_events", "tweet_delete_events"})
DUPLICATE_CODE = 187
MAX_CRC_TOKEN = 256
CRC_TOKEN = re.compile(rf"[A-Za-z0-9+/=_-]{{1,{MAX_CRC_TOKEN}}}")
"""X's crc_token: a short random base64 (or base64url) string. Never `{`, `[`, quotes or
whitespace: nothing that could be (part of) a JSON body."""
RATE_LIMIT_CODE = 88

_V1_TIME = re.compile(
    r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MAX_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z


# --- time formats ---


def _v1_time(value: Any) -> datetime:
    """v1.1's `created_at`, "Mon Nov 23 08:00:00 +0000 2026", read without the C locale."""
    found = _V1_TIME.fullmatch(value) if isinstance(value, str) else None
    if found is None or found[1] not in _MONTHS:
        raise ValueError("not a time like 'Mon Nov 23 08:00:00 +0000 2026'")
    month = _MONTHS.index(found[1]) + 1
    day, hour, minute, second = (int(found[i]) for i in (2, 3, 4, 5))
    offset = timedelta(hours=int(found[7]), minutes=int(found[8]))
    try:
        zone = timezone(-offset if found[6] == "-" else offset)
        local = datetime(int(found[9]), month, day, hour, minute, second, tzinfo=zone)
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("not a valid time") from None


def _ms_time(value: Any) -> datetime:
    """`created_timestamp`: milliseconds since the epoch, as a string (or a number)."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):
        raise ValueError("expected milliseconds since 1970 as a string")
    ms = int(text)
    if ms > _MAX_MS:
        raise ValueError("time out of range")
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


V1Time = Annotated[datetime, BeforeValidator(_v1_time)]
MsTime = Annotated[datetime, BeforeValidator(_ms_time)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


# --- webhook wire shapes (v1.1 style); unknown keys are ignored, as X adds keys ---


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _V1User(_Wire):
    id_str: Id
    name: str | None = None
    screen_name: str | None = None
    followers_count: int | None = Field(default=None, ge=0)


class _ExtendedTweet(_Wire):
    full_text: str


class _V1Tweet(_Wire):
    id_str: Id
    text: str | None = None
    full_text: str | None = None
    truncated: bool | None = False
    extended_tweet: _ExtendedTweet | None = None
    user: _V1User
    in_reply_to_status_id_str: str | None = None
    lang: str | None = None
    created_at: V1Time

    @property
    def body(self) -> str | None:
        if self.truncated and self.extended_tweet is not None:
            return self.extended_tweet.full_text
        return self.full_text if self.full_text is not None else self.text


class _MessageData(_Wire):
    text: str | None = None


class _MessageCreate(_Wire):
    sender_id: Id
    message_data: _MessageData = _MessageData()


class _DeletedStatus(_Wire):
    id: Id
    user_id: Id


class _DeleteEvent(_Wire):
    """One `tweet_delete_events` item: `{"status": {"id", "user_id"}, "timestamp_ms"}`."""

    status: _DeletedStatus
    timestamp_ms: MsTime


class _DmEvent(_Wire):
    id: Id
    created_timestamp: MsTime
    message_create: _MessageCreate


# --- API v2 shapes (polling) ---


class _Reference(_Wire):
    type: str
    id: str


class _NoteTweet(_Wire):
    text: str


class _V2Tweet(_Wire):
    id: Id
    text: str = ""
    note_tweet: _NoteTweet | None = None
    author_id: str = ""
    conversation_id: str | None = None
    lang: str | None = None
    created_at: datetime | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[_Reference] = []

    def referenced(self, kind: str) -> str | None:
        return next((ref.id for ref in self.referenced_tweets if ref.type == kind), None)


class _Metrics(_Wire):
    followers_count: int | None = Field(default=None, ge=0)


class _V2User(_Wire):
    id: str
    name: str = ""
    username: str = ""
    public_metrics: _Metrics | None = None


class _Includes(_Wire):
    users: list[_V2User] = []


class _Meta(_Wire):
    newest_id: str | None = None
    next_token: str | None = None


class _Page(_Wire):
    data: list[dict[str, Any]] = []
    includes: _Includes = _Includes()
    meta: _Meta = _Meta()


# --- small helpers ---


def _header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive lookup, for plain dicts as well as aiohttp's multidict."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), "")
    return value


def _first_error(exc: ValidationError, where: str) -> str:
    err = exc.errors()[0]
    path = ".".join(str(p) for p in err["loc"])
    return f"{where}.{path}: {err['msg'].lower()}" if path else f"{where}: {err['msg'].lower()}"


def _lang(value: str | None) -> str | None:
    """X says `und` when it cannot tell; we say None, so language detection takes over."""
    return None if not value or value == "und" else value


def _status_url(tweet_id: str, handle: str | None) -> str:
    if handle:
        return f"https://x.com/{handle}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def _dm_url(one: str, other: str) -> str:
    """x.com names a one-to-one DM thread by both user ids, the smaller first."""
    low, high = sorted((one, other), key=_id_order)
    return f"https://x.com/messages/{low}-{high}"


def _id_order(tweet_id: str) -> tuple[int, str]:
    """Tweet ids are decimal snowflakes: longer is newer, equal lengths compare as text."""
    return len(tweet_id), tweet_id


def _search_query(terms: list[str]) -> str:
    """Track terms OR'ed, phrases quoted, retweets left out (their original is enough)."""
    parts = []
    for term in terms:
        clean = term.replace('"', "").strip()
        if clean:
            parts.append(f'"{clean}"' if re.search(r"[\s():]", clean) else clean)
    joined = " OR ".join(parts)
    return f"({joined}) -is:retweet" if len(parts) > 1 else f"{joined} -is:retweet"


def _error_words(response: httpx.Response) -> tuple[str, int | None]:
    """X's own words for a refusal (v2 `detail`, v1.1 `errors[].message`) and its code."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return f"HTTP {response.status_code}", None
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = first.get("code") if isinstance(first.get("code"), int) else None
    for candidate in (data.get("detail"), first.get("message"), data.get("title")):
        if isinstance(candidate, str) and candidate:
            return candidate[:300], code
    return f"HTTP {response.status_code}", code


def _reset_wait(response: httpx.Response, now: float) -> float:
    """Seconds until `x-rate-limit-reset` (unix time), else a whole window."""
    try:
        wait = float(response.headers["x-rate-limit-reset"]) - now
    except (KeyError, ValueError):
        return LIMIT_WINDOW_S
    return min(max(1.0, wait), MAX_WAIT_S) if math.isfinite(wait) else LIMIT_WINDOW_S


class _JsonOAuth1(OAuth1Auth):
    """OAuth 1.0a for X's JSON endpoints: the body is not part of the signature (RFC 5849
    signs only form bodies) and must still be sent; authlib 1.9's OAuth1Auth drops it."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _, headers, _ = self.sign(request.method, str(request.url), {}, b"")
        request.headers["Authorization"] = headers["Authorization"]
        yield request


@dataclass(frozen=True)
class _Stream:
    """One polled timeline: an account's mentions, or the keyword search."""

    cursor: str
    path: str
    page_param: str
    query: str | None = None
    account: str | None = None


# --- the adapter ---


class XAdapter:
    name = "x"
    max_length: int | None = MAX_POST

    def __init__(
        self,
        settings: Environment,
        config: XConfig,
        http: httpx.AsyncClient,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._settings = settings
        self._env = settings.platform_env(XEnv)
        self._api = self._env.api_url.rstrip("/")
        self._http = http
        self._accounts: dict[str, XAccount] = {a.id: a for a in config.accounts}
        self._track = list(config.track)
        self._poll_every = config.poll_every.total_seconds()
        self._clock = clock or (lambda: datetime.now(UTC).timestamp())
        handles = {a.handle.lower(): a.id for a in config.accounts if a.handle}
        self._handles = handles
        self._handle_re = (
            re.compile(
                r"(?<![\w@])@(" + "|".join(re.escape(h) for h in handles) + r")\b", re.IGNORECASE
            )
            if handles
            else None
        )
        self._warned_no_bearer = False

    # inbound

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        """`x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(consumer secret, body)>`."""
        secret = self._env.consumer_secret
        if not secret:
            raise BadSignature("X_CONSUMER_SECRET is not set: cannot check X signatures")
        given = _header(headers, SIGNATURE_HEADER)
        if not given.startswith("sha256="):
            raise BadSignature(f"missing {SIGNATURE_HEADER}: sha256=<base64>")
        signature = given.removeprefix("sha256=")
        if not signature.isascii() or not matches_b64(secret, body, signature):
            raise BadSignature("signature does not match the body")

    def handshake(self, query: Mapping[str, str]) -> Response:
        """The CRC check X sends on registration and about hourly: prove we hold the secret.

        The answer is the HMAC that also signs POST bodies, so answering any token would sign
        any body for anyone. Only tokens shaped as X sends them are answered (`CRC_TOKEN`):
        such a token holds no `{`, and a POST body must be a JSON object (`parse`), so no
        answer can ever be the signature of a body we accept."""
        token = query.get("crc_token", "")
        if not token:
            return Response(400, "missing crc_token")
        if not CRC_TOKEN.fullmatch(token):
            return Response(400, f"crc_token must be 1 to {MAX_CRC_TOKEN} base64 characters")
        secret = self._env.consumer_secret
        if not secret:
            return Response(503, "X_CONSUMER_SECRET is not set: cannot answer X's CRC check")
        digest = base64.b64encode(hmac_sha256(secret, token.encode())).decode()
        body = json.dumps({"response_token": f"sha256={digest}"})
        return Response(200, body, "application/json")

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        """Only a body that is not an Account Activity event for one of our accounts is
        refused; a tweet or message in it that cannot be read is skipped, the others count."""
        try:
            data: Any = _json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise BadPayload(f"body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadPayload("expected a JSON object")
        if "for_user_id" not in data and not HANDLED_EVENTS & data.keys():
            return Parsed()  # e.g. `user_event` (the app's access revoked) names no account
        account = self._for_user(data.get("for_user_id"))
        users = data.get("users") if isinstance(data.get("users"), dict) else {}
        tweets = _event_list(data.get("tweet_create_events"), "tweet_create_events")
        messages = _event_list(data.get("direct_message_events"), "direct_message_events")
        deletes = _event_list(data.get("tweet_delete_events"), "tweet_delete_events")
        parsed = Parsed()
        for where, key, item, read in [
            *(
                (f"tweet_create_events[{i}]", "tweet_create_events", item, self._tweet)
                for i, item in enumerate(tweets)
            ),
            *(
                (f"direct_message_events[{i}]", "direct_message_events", item, self._dm)
                for i, item in enumerate(messages)
            ),
            *(
                (f"tweet_delete_events[{i}]", "tweet_delete_events", item, self._deleted)
                for i, item in enumerate(deletes)
            ),
        ]:
            try:
                mention = read(item, account, where, users)
            except BadPayload as exc:
                held = _item_body(data["for_user_id"], key, item, users)
                parsed.skipped.append(Skipped.of(SkipReason.MALFORMED, exc.reason, held))
            else:
                if mention is not None:
                    parsed.mentions.append(mention)
        return parsed

    def _for_user(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise BadPayload("for_user_id: missing")
        if value not in self._accounts:
            raise BadPayload(f"for_user_id: {value[:40]} is not an account in platforms.x.accounts")
        return value

    def _tweet(self, item: Any, account: str, where: str, users: Any) -> Mention | None:
        """One `tweet_create_events` item; None for retweets and our own posts."""
        if not isinstance(item, dict):
            raise BadPayload(f"{where}: expected an object")
        if item.get("retweeted_status") is not None:
            return None
        try:
            tweet = _V1Tweet.model_validate(item)
        except ValidationError as exc:
            raise BadPayload(_first_error(exc, where)) from None
        if tweet.user.id_str == account:
            return None
        return self._from_v1(tweet, account, where)

    def _from_v1(self, tweet: _V1Tweet, account: str, where: str) -> Mention:
        text = tweet.body
        if text is None:
            raise BadPayload(f"{where}.text: missing")
        parent = tweet.in_reply_to_status_id_str or None
        user = tweet.user
        return Mention(
            platform=self.name,
            account=account,
            external_id=tweet.id_str,
            conversation_id=parent or tweet.id_str,
            parent_id=parent,
            author=Author(
                id=user.id_str,
                name=user.name or "",
                handle=user.screen_name or "",
                followers=user.followers_count,
            ),
            text=text,
            lang=_lang(tweet.lang),
            url=_status_url(tweet.id_str, user.screen_name),
            created_at=tweet.created_at,
            kind=Kind.REPLY if parent else Kind.MENTION,
        )

    def _deleted(self, item: Any, account: str, where: str, users: Any) -> Mention | None:
        """One `tweet_delete_events` item: the author deleted a post (a removal, which
        names only the post and its author); None for our own."""
        if not isinstance(item, dict):
            raise BadPayload(f"{where}: expected an object")
        try:
            event = _DeleteEvent.model_validate(item)
        except ValidationError as exc:
            raise BadPayload(_first_error(exc, where)) from None
        status = event.status
        if status.user_id == account:
            return None
        return Mention(
            platform=self.name,
            account=account,
            external_id=status.id,
            conversation_id=status.id,
            author=Author(id=status.user_id),
            created_at=event.timestamp_ms,
            kind=Kind.MENTION,
            change=Change.REMOVED,
        )

    def _dm(self, item: Any, account: str, where: str, users: Any) -> Mention | None:
        """One `direct_message_events` item; None for other event types and our own."""
        if not isinstance(item, dict):
            raise BadPayload(f"{where}: expected an object")
        if item.get("type") != "message_create":
            return None
        try:
            event = _DmEvent.model_validate(item)
        except ValidationError as exc:
            raise BadPayload(_first_error(exc, where)) from None
        sender = event.message_create.sender_id
        if sender == account:
            return None
        return Mention(
            platform=self.name,
            account=account,
            external_id=event.id,
            conversation_id=f"dm:{sender}",
            author=_dm_author(sender, users.get(sender)),
            text=event.message_create.message_data.text or "",
            url=_dm_url(sender, account),
            created_at=event.created_timestamp,
            kind=Kind.DM,
        )

    # polling

    async def poll(self, cursors: Cursors, now: datetime) -> PollResult:
        """Read each account's mentions and the keyword search since the last poll."""
        if not self._env.bearer_token:
            if not self._warned_no_bearer:
                log.warning(
                    "X_BEARER_TOKEN is not set: X is read from webhooks only "
                    "(set it to poll mentions and platforms.x.track)"
                )
                self._warned_no_bearer = True
            return PollResult([], NO_BEARER_WAIT_S)
        streams = self._streams()
        found: dict[str, Mention] = {}
        waits = [self._poll_every]
        failures: list[PlatformError] = []
        for stream in streams:
            try:
                mentions, wait = await self._read_stream(stream, cursors, now)
            except PlatformError as exc:
                log.warning("polling X %s failed: %s", stream.cursor, exc.reason)
                failures.append(exc)
                continue
            waits.append(wait)
            for mention in mentions:
                found.setdefault(mention.external_id, mention)
        if failures and len(failures) == len(streams):
            raise failures[0]
        ordered = sorted(found.values(), key=lambda m: _id_order(m.external_id))
        return PollResult(ordered, max(waits))

    def _streams(self) -> list[_Stream]:
        streams = [
            _Stream(f"mentions:{a}", f"/2/users/{a}/mentions", "pagination_token", account=a)
            for a, account in self._accounts.items()
            if not account.webhook
        ]
        if self._track:
            query = _search_query(self._track)
            streams.append(_Stream("search", "/2/tweets/search/recent", "next_token", query))
        return streams

    async def _read_stream(
        self, stream: _Stream, cursors: Cursors, now: datetime
    ) -> tuple[list[Mention], float]:
        """Newest pages first. The cursor moves only once the gap to it has been read (or is
        too long to read), so a failure halfway re-reads next time instead of skipping."""
        since = await cursors.get(stream.cursor)
        tweets: list[dict[str, Any]] = []
        users: dict[str, _V2User] = {}
        newest: str | None = None
        token: str | None = None
        wait = self._poll_every
        complete = True
        for _ in range(MAX_PAGES):
            try:
                response = await self._get(stream, since, token)
                if since and response.status_code == 400 and "since_id" in response.text:
                    log.warning("X refused the %s cursor as too old: reading anew", stream.cursor)
                    since = None
                    continue
                if response.status_code == 429:
                    wait, complete = _reset_wait(response, now.timestamp()), False
                    break
                page = self._read_page(response)
            except PlatformError as exc:
                if not tweets:
                    raise
                log.warning("polling X %s stopped after a page: %s", stream.cursor, exc.reason)
                complete = False
                break
            tweets.extend(page.data)
            users.update({u.id: u for u in page.includes.users})
            newest = newest or page.meta.newest_id
            token = page.meta.next_token
            if response.headers.get("x-rate-limit-remaining") == "0":
                wait = max(wait, _reset_wait(response, now.timestamp()))
                complete = not token or since is None
                break
            if not token or since is None:
                break
        seen = [i for i in (newest, *(t.get("id") for t in tweets)) if isinstance(i, str) and i]
        if complete and seen:
            await cursors.set(stream.cursor, max(seen, key=_id_order))
        return self._page_mentions(stream, tweets, users, now), wait

    async def _get(self, stream: _Stream, since: str | None, token: str | None) -> httpx.Response:
        params = {
            "max_results": "100",
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if stream.query:
            params["query"] = stream.query
        if since:
            params["since_id"] = since
        if token:
            params[stream.page_param] = token
        headers = {"Authorization": f"Bearer {self._env.bearer_token}"}
        try:
            return await self._http.get(f"{self._api}{stream.path}", params=params, headers=headers)
        except httpx.TransportError as exc:
            raise NotSent(f"X is unreachable ({type(exc).__name__})") from exc

    def _read_page(self, response: httpx.Response) -> _Page:
        """A page of results, or the error; reads are safe to repeat, so nothing is unknown."""
        status = response.status_code
        if status >= 400:
            words, _ = _error_words(response)
            if status in (401, 403):
                raise PermanentError(f"X refused the read ({words}): check X_BEARER_TOKEN")
            if status >= 500:
                raise NotSent(f"X is unavailable (HTTP {status}: {words})")
            raise PermanentError(f"X refused the read: {words}")
        try:
            return _Page.model_validate(response.json())
        except (ValueError, ValidationError):
            raise NotSent("X answered a read with something that is not a page of posts") from None

    def _page_mentions(
        self,
        stream: _Stream,
        tweets: list[dict[str, Any]],
        users: dict[str, _V2User],
        now: datetime,
    ) -> list[Mention]:
        out = []
        for item in tweets:
            try:
                tweet = _V2Tweet.model_validate(item)
            except ValidationError as exc:
                log.warning("X %s: skipping a post (%s)", stream.cursor, _first_error(exc, "data"))
                continue
            if tweet.author_id in self._accounts or tweet.referenced("retweeted"):
                continue
            out.append(self._from_v2(tweet, stream, users.get(tweet.author_id), now))
        return out

    def _from_v2(
        self, tweet: _V2Tweet, stream: _Stream, user: _V2User | None, now: datetime
    ) -> Mention:
        parent = tweet.referenced("replied_to")
        text = tweet.note_tweet.text if tweet.note_tweet else tweet.text
        account, named = stream.account, stream.account is not None
        if account is None:
            account, named = self._addressed(tweet, text)
        created = tweet.created_at or now
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        metrics = user.public_metrics if user else None
        handle = user.username if user else ""
        return Mention(
            platform=self.name,
            account=account,
            external_id=tweet.id,
            conversation_id=tweet.conversation_id or parent or tweet.id,
            parent_id=parent,
            author=Author(
                id=tweet.author_id,
                name=user.name if user else "",
                handle=handle,
                followers=metrics.followers_count if metrics else None,
            ),
            text=text,
            lang=_lang(tweet.lang),
            url=_status_url(tweet.id, handle),
            created_at=created.astimezone(UTC),
            kind=(Kind.REPLY if parent else Kind.MENTION) if named else Kind.KEYWORD,
        )

    def _addressed(self, tweet: _V2Tweet, text: str) -> tuple[str, bool]:
        """Which of our accounts a search hit is for, and whether it names or answers it."""
        answered = tweet.in_reply_to_user_id
        if answered and answered in self._accounts:
            return answered, True
        found = self._handle_re.search(text) if self._handle_re else None
        if found:
            return self._handles[found[1].lower()], True
        return next(iter(self._accounts), ""), False

    # outbound

    async def reply(self, reply: Reply) -> Published:
        mention = reply.in_reply_to
        auth = self._auth(mention.account)
        if reply.private or mention.kind is Kind.DM:
            return await self._send_dm(mention, reply.text, auth)
        payload = {"text": reply.text, "reply": {"in_reply_to_tweet_id": mention.external_id}}
        data = await self._post("/2/tweets", payload, auth)
        tweet_id = _data_field(data, "id")
        return Published(id=tweet_id, url=f"https://x.com/i/web/status/{tweet_id}")

    async def _send_dm(self, mention: Mention, text: str, auth: httpx.Auth) -> Published:
        person = mention.author.id
        if not person:
            raise PermanentError("the X mention has no author id to send a direct message to")
        data = await self._post(f"/2/dm_conversations/with/{person}/messages", {"text": text}, auth)
        event_id = _data_field(data, "dm_event_id")
        thread = data["data"].get("dm_conversation_id")
        if isinstance(thread, str) and thread:
            url = f"https://x.com/messages/{thread}"
        else:
            url = _dm_url(person, mention.account) if mention.account else ""
        return Published(id=event_id, url=url)

    def _auth(self, account_id: str) -> httpx.Auth:
        """User context: the account's own OAuth 2.0 token (`token_env`), else OAuth 1.0a from
        the four X_* variables, else X_ACCESS_TOKEN alone as an OAuth 2.0 user token."""
        account = self._accounts.get(account_id)
        if account is not None and account.token_env:
            token = self._settings.token(account.token_env)
            if not token:
                raise PermanentError(
                    f"{account.token_env} is not set: it holds the user token of X account "
                    f"{account.handle or account.id}"
                )
            return _Bearer(token)
        s = self._env
        if not s.access_token:
            raise PermanentError(
                f"X replies need user-context credentials: set {USER_CONTEXT_ENVS} "
                "(OAuth 1.0a), or X_ACCESS_TOKEN alone (an OAuth 2.0 user token)"
            )
        if not s.access_token_secret:
            return _Bearer(s.access_token)
        missing = [
            name
            for name, value in (
                ("X_CONSUMER_KEY", s.consumer_key),
                ("X_CONSUMER_SECRET", s.consumer_secret),
            )
            if not value
        ]
        if missing:
            raise PermanentError(
                f"OAuth 1.0a for X replies needs {' and '.join(missing)} "
                "besides X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET"
            )
        return _JsonOAuth1(
            s.consumer_key,
            s.consumer_secret,
            token=s.access_token,
            token_secret=s.access_token_secret,
        )

    async def _post(self, path: str, payload: dict[str, Any], auth: httpx.Auth) -> dict[str, Any]:
        try:
            response = await send(
                self._http, "POST", f"{self._api}{path}", platform=PLATFORM, json=payload, auth=auth
            )
        except OAuth1Error as exc:
            raise PermanentError(f"cannot sign the X request: {exc.description}") from None
        return self._check(response)

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if 400 <= status < 500:
            words, code = _error_words(response)
            if status == 429 or code == RATE_LIMIT_CODE:
                wait = _reset_wait(response, self._clock())
                raise RateLimited(f"X rate limit ({words}), retry in {wait:.0f}s", wait)
            if status == 401:
                raise PermanentError(
                    f"X refused the credentials ({words}): check {USER_CONTEXT_ENVS} "
                    "or the account's token"
                )
            if code == DUPLICATE_CODE:
                raise PermanentError(f"X refused a duplicate post: {words}")
            raise PermanentError(f"X refused the reply: {words}")
        return check_response(response, PLATFORM)

    # draft checks

    def length(self, text: str) -> int:
        """Weighted as X counts: a URL is 23, CJK and emoji count 2."""
        # Imported here: compiling its patterns takes a second or more, and the config imports
        # every platform module, whether X is enabled or not.
        from twitter_text import parse_tweet

        return int(parse_tweet(text).weightedLength)

    def check(self, reply: Reply, now: datetime) -> str | None:
        if not reply.text.strip():
            return "X does not post an empty reply"
        if reply.private or reply.in_reply_to.kind is Kind.DM:
            over = len(reply.text) - MAX_DM
            return f"{over} characters over X's {MAX_DM:,} for a message" if over > 0 else None
        over = self.length(reply.text) - MAX_POST
        return f"{over} characters over X's {MAX_POST}" if over > 0 else None


class _Bearer(httpx.Auth):
    """An OAuth 2.0 token; an httpx.Auth so it never lands in a logged header dict."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _event_list(events: Any, name: str) -> list[Any]:
    if events is None:
        return []
    if not isinstance(events, list):
        raise BadPayload(f"{name}: expected a list")
    return events


def _dm_author(sender: str, user: Any) -> Author:
    """The DM's sender from the payload's `users` map (absent details stay empty)."""
    user = user if isinstance(user, dict) else {}
    name, handle = user.get("name"), user.get("screen_name")
    followers = user.get("followers_count")
    valid = isinstance(followers, int) and not isinstance(followers, bool) and followers >= 0
    return Author(
        id=sender,
        name=name if isinstance(name, str) else "",
        handle=handle if isinstance(handle, str) else "",
        followers=followers if valid else None,
    )


def _item_body(for_user_id: Any, key: str, item: Any, users: Any) -> dict[str, Any]:
    """The smallest Account Activity body holding one skipped event: the account it came to
    and, for a direct message, the `users` map its sender's details are read from."""
    body: dict[str, Any] = {"for_user_id": for_user_id, key: [item]}
    if key == "direct_message_events" and users:
        body["users"] = users
    return body


def _data_field(data: dict[str, Any], key: str) -> str:
    """The id in X's `{data: {…}}` answer; a success without one may still have posted."""
    inner = data.get("data")
    value = inner.get(key) if isinstance(inner, dict) else None
    if not isinstance(value, str) or not value:
        raise OutcomeUnknown(f"X answered without data.{key}: check whether it was posted")
    return value


def create(ctx: AdapterContext) -> XAdapter:
    return XAdapter(ctx.settings, ctx.section(XAdapter.name, XConfig), ctx.http)


def required_env(settings: Environment, section: XConfig) -> list[EnvProblem]:
    """The consumer secret (webhook signatures, CRC); the bearer token when anything is
    polled; user context for replies: each account's own token, else X_ACCESS_TOKEN (plus
    X_CONSUMER_KEY when X_ACCESS_TOKEN_SECRET makes it OAuth 1.0a)."""
    env = settings.platform_env(XEnv)
    needed = [("X_CONSUMER_SECRET", env.consumer_secret)]
    if section.track or any(not account.webhook for account in section.accounts):
        needed.append(("X_BEARER_TOKEN", env.bearer_token))
    if not section.accounts or any(not account.token_env for account in section.accounts):
        needed.append(("X_ACCESS_TOKEN", env.access_token))
        if env.access_token_secret:
            needed.append(("X_CONSUMER_KEY", env.consumer_key))
    return unset(*needed) + token_envs(settings, XAdapter.name, section)
