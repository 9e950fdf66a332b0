"""A local Slack Web API speaking Slack's wire format, plus signed inbound request builders.

Tests point the real `slack_sdk` `AsyncWebClient` at `FakeSlack.url`, so everything between our
code and the HTTP socket runs for real: argument encoding, JSON-in-form fields, bearer tokens,
`SlackApiError`, retry handlers. The server keeps state in memory so tests can inspect what was
posted, and exposes controls (rate limits, injected errors, revoked tokens, latency) for the
failure modes Slack produces in production.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.block_kit import message_violations, view_violations
from tests.fakes.server import LocalServer

TOKEN = "xoxb-test"
TEAM_ID = "T0ACME"
TEAM_NAME = "Acme"
TEAM_DOMAIN = "acme"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "chatops"
APP_ID = "A0CHATOPS"
FIRST_TS = "1763884801.000100"

_JSON_FIELDS = frozenset({"attachments", "blocks", "files", "metadata", "view"})
_TS_RE = re.compile(r"^\d{10}\.\d{6}$")
_MAX_BLOCKS = 50
_MAX_TEXT = 40_000

Args = dict[str, Any]


@dataclass
class Call:
    """One Web API request as the server saw it: decoded args (token removed), arrival time on
    the server's clock, and the outcome (`status` HTTP code, `error` when `ok` was false)."""

    method: str
    args: Args
    at: float
    status: int | None = None
    error: str | None = None
    peer: Any = None
    """The client's address and port: calls over one kept-alive connection share it."""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass
class UploadedFile:
    """A file that went through files.getUploadURLExternal, the upload POST and
    files.completeUploadExternal."""

    id: str
    filename: str
    title: str
    content: bytes
    channel_id: str | None
    initial_comment: str | None
    thread_ts: str | None


class ManualClock:
    """A monotonic clock that only moves when a test says so (drives the token bucket)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _ApiError(Exception):
    """`{"ok": false, "error": …}`; `details` become `errors` and `response_metadata.messages`
    (`[ERROR] …`), as Slack lists what it refused in blocks and views."""

    def __init__(self, error: str, details: Iterable[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.details = list(details)

    def body(self) -> Args:
        out: Args = {"ok": False, "error": self.error}
        if self.details:
            out["errors"] = self.details
            out["response_metadata"] = {"messages": [f"[ERROR] {d}" for d in self.details]}
        return out


class _RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Fault:
    status: int
    error: str
    retry_after: int | None = None


@dataclass
class _Upload:
    filename: str
    length: int
    content: bytes | None = None


def _ts_key(ts: Any) -> int:
    """Slack timestamps compare as decimals, not strings; microseconds as an int is exact."""
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except (InvalidOperation, ValueError, OverflowError) as e:
        raise ValueError(ts) from e


def _ts_str(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"1", "true", "yes"}
    return bool(value)


def _encode_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        prefix, ts = base64.b64decode(cursor, validate=True).decode().split(":", 1)
        if prefix != "next_ts":
            raise ValueError(cursor)
        return _ts_key(ts)
    except ValueError as e:
        raise _ApiError("invalid_cursor") from e


def _limit(args: Args, default: int, maximum: int) -> int:
    try:
        value = int(args.get("limit") or default)
    except (TypeError, ValueError) as e:
        raise _ApiError("invalid_limit") from e
    return max(1, min(value, maximum))


class FakeSlack(LocalServer):
    """The Slack Web API on 127.0.0.1:<ephemeral port>, state in memory.

    `channels`: the channel ids that exist (None: any id starting with C or G).
    `channel_names`: "name" -> id, so chat.postMessage/postEphemeral accept "#name" like Slack.
    `user_groups`: usergroup id -> member ids. `users`: user id -> real name for users.info.
    A user id (U…, W…) as a channel is the bot's DM with them (D…, `dm`); with `users` given,
    only those users exist.
    `clock`: monotonic seconds for the rate limiter and `Call.at`.
    """

    def __init__(
        self,
        *,
        token: str = TOKEN,
        channels: Iterable[str] | None = None,
        channel_names: Mapping[str, str] | None = None,
        not_in_channel: Iterable[str] = (),
        user_groups: Mapping[str, Iterable[str]] | None = None,
        users: Mapping[str, str] | None = None,
        members: Mapping[str, Iterable[str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        first_ts: str | None = None,
    ) -> None:
        self.token = token
        self.channels: set[str] | None = set(channels) if channels is not None else None
        self.channel_names: dict[str, str] = dict(channel_names or {})
        self.not_in_channel: set[str] = set(not_in_channel)
        self.user_groups: dict[str, list[str]] = {
            k: list(v) for k, v in (user_groups or {}).items()
        }
        self.users: dict[str, str] = dict(users or {})
        self.members: dict[str, list[str]] = {k: list(v) for k, v in (members or {}).items()}
        self.clock = clock
        # Message ts are times, as on Slack (tests that compare exact ts pin the first one).
        self._first_ts = _ts_key(first_ts) if first_ts else int(time.time() * 1_000_000)
        self.delay = 0.0
        self.delays: dict[str, float] = {}  # method -> seconds before acting, for that method
        self.delay_answer = 0.0  # seconds between acting and answering: "Slack did it, the
        # answer never came" when the client gives up first
        self.calls: list[Call] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> their Home tab
        self.files: list[UploadedFile] = []
        self.rejected_429 = 0
        self._post_rate: tuple[float, int] | None = None
        self._buckets: dict[str, tuple[float, float]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._revoked: str | None = None
        self._down: int | None = None
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._dms: dict[str, str] = {}  # user id -> the id (D…) of the bot's DM with them
        self._uploads: dict[str, _Upload] = {}
        self._ts_seq = itertools.count()
        self._ids = itertools.count(1)
        self._methods: dict[str, Callable[[Args], Args]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.members": self._conversations_members,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "usergroups.users.list": self._usergroups_users_list,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)

    @property
    def url(self) -> str:
        """The base_url for slack_sdk clients (trailing slash included, as slack_sdk joins)."""
        return f"{self.origin}/api/"

    def client(self, **kwargs: Any) -> AsyncWebClient:
        """A real AsyncWebClient pointed here, with this server's valid token unless overridden."""
        kwargs.setdefault("token", self.token)
        return AsyncWebClient(base_url=self.url, **kwargs)

    # --- inspection ---

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def reset_calls(self) -> None:
        self.calls.clear()

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """What the channel shows, oldest first: top-level messages and broadcast replies."""
        return [m for m in self._history.get(channel, []) if self._in_channel_view(m)]

    def dm(self, user: str) -> str | None:
        """The id (D…) of the bot's DM with `user`, once a message was posted there."""
        return self._dms.get(user)

    def dm_messages(self, user: str) -> list[dict[str, Any]]:
        """What the bot's DM with `user` shows, oldest first."""
        channel = self._dms.get(user)
        return self.messages(channel) if channel else []

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies under the parent `ts`, oldest first (parent excluded)."""
        return [m for m in self._history.get(channel, []) if m.get("thread_ts") == ts]

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0HUMAN001",
        thread_ts: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Seed a message as a person would post it (not recorded as a call)."""
        msg: dict[str, Any] = {
            "type": "message",
            "ts": self._next_ts(),
            "user": user,
            "text": text,
            "team": TEAM_ID,
        }
        if thread_ts is not None:
            try:
                msg["thread_ts"] = self._thread_root(channel, thread_ts)["ts"]
            except _ApiError as e:
                raise ValueError(f"cannot reply to {thread_ts!r} in {channel}: {e.error}") from e
        msg.update(fields)
        self._history.setdefault(channel, []).append(msg)
        return msg

    # --- controls ---

    @property
    def post_rate(self) -> tuple[float, int] | None:
        """(messages per second, burst) per channel for chat.postMessage; None = unlimited.
        Setting it refills every bucket."""
        return self._post_rate

    @post_rate.setter
    def post_rate(self, value: tuple[float, int] | None) -> None:
        if value is not None and (value[0] <= 0 or value[1] < 1):
            raise ValueError("post_rate needs rate > 0 and burst >= 1")
        self._post_rate = value
        self._buckets.clear()

    def force_429(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 whatever the bucket says."""
        self._add_fault(method, _Fault(429, "ratelimited", retry_after), times)

    def fail(self, method: str, error: str, times: int = 1, *, status: int = 200) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}` and HTTP
        `status` (200 as Slack does for API errors, or a 5xx for an outage)."""
        self._add_fault(method, _Fault(status, error), times)

    def revoke_token(self, error: str = "invalid_auth") -> None:
        """Every call answers `error` (e.g. "account_inactive", "token_revoked") until restored."""
        self._revoked = error

    def restore_token(self) -> None:
        self._revoked = None

    def go_down(self, status: int = 503) -> None:
        """An outage: every method answers HTTP `status` with an HTML page, as an edge proxy
        does when Slack is down, until `come_back`; `status=0` closes each connection without
        an answer instead."""
        self._down = status

    def come_back(self) -> None:
        self._down = None

    def _add_fault(self, method: str, fault: _Fault, times: int) -> None:
        self._faults.setdefault(method, deque()).extend([fault] * times)

    # --- HTTP plumbing ---

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = _bearer(request)
        try:
            args = await _read_args(request)
            token = token or args.pop("token", None)
            args.pop("token", None)
            parse_error = None
        except _ApiError as e:
            args, parse_error = {}, e.error
        peer = request.transport.get_extra_info("peername") if request.transport else None
        call = Call(method, args, self.clock(), peer=peer)
        self.calls.append(call)
        if self._down is not None:
            call.status, call.error = self._down or None, "outage"
            if not self._down and request.transport is not None:
                request.transport.abort()
            return web.Response(
                status=self._down or 503, text="<html>down</html>", content_type="text/html"
            )
        delay = self.delays.get(method, self.delay)
        if delay > 0:
            await asyncio.sleep(delay)
        status, body, headers = self._respond(method, args, token, parse_error)
        if self.delay_answer > 0:
            await asyncio.sleep(self.delay_answer)
        call.status = status
        call.error = None if body.get("ok") else body.get("error")
        if status == 429:
            self.rejected_429 += 1
        return web.json_response(body, status=status, headers=headers)

    def _respond(
        self, method: str, args: Args, token: str | None, parse_error: str | None
    ) -> tuple[int, Args, dict[str, str]]:
        faults = self._faults.get(method)
        if faults:
            fault = faults.popleft()
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return fault.status, {"ok": False, "error": fault.error}, headers
        handler = self._methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        error = parse_error or self._auth_error(token)
        if error:
            return 200, {"ok": False, "error": error}, {}
        try:
            return 200, {"ok": True, **handler(args)}, {}
        except _RateLimited as e:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(e.retry_after)}
        except _ApiError as e:
            return 200, e.body(), {}

    def _auth_error(self, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if self._revoked:
            return self._revoked
        if token != self.token:
            return "invalid_auth"
        return None

    async def _handle_upload(self, request: web.Request) -> web.Response:
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            parts = [v.file.read() for v in form.values() if isinstance(v, web.FileField)]
            upload.content = parts[0] if parts else b""
        else:
            upload.content = await request.read()
        return web.Response(text=f"OK - {len(upload.content)}", content_type="text/plain")

    # --- shared rules ---

    def _next_ts(self) -> str:
        return _ts_str(self._first_ts + 100 * next(self._ts_seq))

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}0FAKE{next(self._ids):04d}"

    def _known(self, channel: Any) -> str:
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found")
        if channel.startswith("D"):
            if channel not in self._dms.values():
                raise _ApiError("channel_not_found")
            return channel
        known = (
            channel in self.channels
            if self.channels is not None
            else channel.startswith(("C", "G"))
        )
        if not known and channel not in self.channel_names.values():
            raise _ApiError("channel_not_found")
        return channel

    def _member(self, channel: Any) -> str:
        channel = self._known(channel)
        if channel in self.not_in_channel:
            raise _ApiError("not_in_channel")
        return channel

    def _open_dm(self, user: str) -> str:
        """A user id as a channel is the bot's DM with them, opened on first use (Slack's
        chat.postMessage answers with the DM's D… id, which chat.update then needs)."""
        if user == BOT_USER_ID:
            raise _ApiError("cannot_dm_bot")
        if self.users and user not in self.users:
            raise _ApiError("channel_not_found")
        if user not in self._dms:
            self._dms[user] = self._next_id("D")
        return self._dms[user]

    def _postable(self, channel: Any) -> str:
        if isinstance(channel, str) and channel.startswith("#"):
            channel = self.channel_names.get(channel[1:])
        if isinstance(channel, str) and channel[:1] in ("U", "W"):
            return self._open_dm(channel)
        return self._member(channel)

    def _find(self, channel: str, ts: Any) -> dict[str, Any] | None:
        return next((m for m in self._history.get(channel, []) if m["ts"] == ts), None)

    def _thread_root(self, channel: str, thread_ts: Any) -> dict[str, Any]:
        if not isinstance(thread_ts, str) or not _TS_RE.match(thread_ts):
            raise _ApiError("invalid_thread_ts")
        msg = self._find(channel, thread_ts)
        if msg is None:
            raise _ApiError("thread_not_found")
        if "thread_ts" in msg:
            root = self._find(channel, msg["thread_ts"])
            assert root is not None
            return root
        return msg

    @staticmethod
    def _in_channel_view(msg: dict[str, Any]) -> bool:
        return "thread_ts" not in msg or msg.get("subtype") == "thread_broadcast"

    def _render(self, channel: str, msg: dict[str, Any], *, metadata: bool) -> dict[str, Any]:
        out = {k: v for k, v in msg.items() if metadata or k != "metadata"}
        if "thread_ts" not in msg:
            replies = self.thread(channel, msg["ts"])
            if replies:
                reply_users = list(dict.fromkeys(r["user"] for r in replies))
                out.update(
                    thread_ts=msg["ts"],
                    reply_count=len(replies),
                    reply_users=reply_users,
                    reply_users_count=len(reply_users),
                    latest_reply=replies[-1]["ts"],
                )
        return out

    @staticmethod
    def _content(args: Args, *, required: bool = True) -> Args:
        """Validate text/blocks/attachments/metadata the way Slack refuses malformed ones:
        every documented Block Kit limit (tests/fakes/block_kit.py), `msg_too_long` past 40,000
        characters of text, `msg_blocks_too_long` past the blocks' total text."""
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        if required and not (text or blocks or attachments):
            raise _ApiError("no_text")
        if isinstance(text, str) and len(text) > _MAX_TEXT:
            raise _ApiError("msg_too_long")
        if blocks is not None and not (
            isinstance(blocks, list)
            and len(blocks) <= _MAX_BLOCKS
            and all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks)
        ):
            raise _ApiError("invalid_blocks")
        found = message_violations(blocks, text)
        if found:
            raise _ApiError(found[0].error, [v.where for v in found if v.error == found[0].error])
        if attachments is not None and not isinstance(attachments, list):
            raise _ApiError("invalid_attachments")
        metadata = args.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict)
            and isinstance(metadata.get("event_type"), str)
            and isinstance(metadata.get("event_payload"), dict)
        ):
            raise _ApiError("invalid_metadata_format")
        return {
            k: args[k]
            for k in ("text", "blocks", "attachments", "metadata")
            if args.get(k) is not None
        }

    def _take_post_token(self, channel: str) -> None:
        if self._post_rate is None:
            return
        rate, burst = self._post_rate
        now = self.clock()
        tokens, last = self._buckets.get(channel, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1 - 1e-9:
            self._buckets[channel] = (tokens - 1, now)
            return
        self._buckets[channel] = (tokens, now)
        raise _RateLimited(max(1, math.ceil((1 - tokens) / rate)))

    # --- methods ---

    def _auth_test(self, args: Args) -> Args:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, args: Args) -> Args:
        channel = self._postable(args.get("channel"))
        content = self._content(args)
        root = None
        if args.get("thread_ts") is not None:
            root = self._thread_root(channel, args["thread_ts"])
        self._take_post_token(channel)
        msg: dict[str, Any] = {
            "type": "message",
            "ts": self._next_ts(),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": "",
            **content,
        }
        if root is not None:
            msg["thread_ts"] = root["ts"]
            msg["parent_user_id"] = root["user"]
            if _truthy(args.get("reply_broadcast")):
                msg["subtype"] = "thread_broadcast"
        self._history.setdefault(channel, []).append(msg)
        return {
            "channel": channel,
            "ts": msg["ts"],
            "message": self._render(channel, msg, metadata=True),
        }

    def _chat_update(self, args: Args) -> Args:
        channel = self._known(args.get("channel"))
        msg = self._find(channel, args.get("ts"))
        if msg is None:
            raise _ApiError("message_not_found")
        if msg.get("bot_id") != BOT_ID:
            raise _ApiError("cant_update_message")
        msg.update(self._content(args))
        msg["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": msg["ts"],
            "text": msg["text"],
            "message": self._render(channel, msg, metadata=True),
        }

    def _chat_post_ephemeral(self, args: Args) -> Args:
        channel = self._postable(args.get("channel"))
        if not args.get("user"):
            raise _ApiError("user_not_found")
        content = self._content(args)
        message_ts = self._next_ts()
        self.ephemerals.append(
            {
                "channel": channel,
                "user": args["user"],
                "thread_ts": args.get("thread_ts"),
                "message_ts": message_ts,
                **content,
            }
        )
        return {"message_ts": message_ts}

    def _conversations_open(self, args: Args) -> Args:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise _ApiError("not_enough_users" if not users else "too_many_users")
        return {"channel": {"id": self._open_dm(users[0])}}

    def _chat_get_permalink(self, args: Args) -> Args:
        channel = self._known(args.get("channel"))
        msg = self._find(channel, args.get("message_ts"))
        if msg is None:
            raise _ApiError("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{msg['ts'].replace('.', '')}"
        if "thread_ts" in msg:
            link += f"?thread_ts={msg['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_history(self, args: Args) -> Args:
        channel = self._member(args.get("channel"))
        with_metadata = _truthy(args.get("include_all_metadata"))
        inclusive = _truthy(args.get("inclusive"))
        try:
            oldest = _ts_key(args.get("oldest") or 0)
        except ValueError as e:
            raise _ApiError("invalid_ts_oldest") from e
        try:
            latest = _ts_key(args["latest"]) if args.get("latest") else None
        except ValueError as e:
            raise _ApiError("invalid_ts_latest") from e

        def within(msg: dict[str, Any]) -> bool:
            key = _ts_key(msg["ts"])
            above = key >= oldest if inclusive else key > oldest
            below = latest is None or (key <= latest if inclusive else key < latest)
            return above and below

        found = [m for m in reversed(self.messages(channel)) if within(m)]
        if args.get("cursor"):
            start = _decode_cursor(args["cursor"])
            found = [m for m in found if _ts_key(m["ts"]) <= start]
        return self._page(channel, found, _limit(args, 100, 999), with_metadata)

    def _conversations_replies(self, args: Args) -> Args:
        channel = self._member(args.get("channel"))
        root = self._thread_root(channel, args.get("ts"))
        found = [root, *self.thread(channel, root["ts"])]
        if args.get("cursor"):
            start = _decode_cursor(args["cursor"])
            found = [m for m in found if _ts_key(m["ts"]) >= start]
        return self._page(
            channel, found, _limit(args, 1000, 1000), _truthy(args.get("include_all_metadata"))
        )

    def _conversations_members(self, args: Args) -> Args:
        """A channel's member ids, a page at a time (limit: default 100, at most 1000; the
        cursor is opaque), as Slack pages them; the bot is a member of the channels it knows."""
        channel = self._known(args.get("channel"))
        everyone = self.members.get(channel, [BOT_USER_ID])
        start = 0
        if args.get("cursor"):
            try:
                prefix, index = base64.b64decode(args["cursor"], validate=True).decode().split(":")
                if prefix != "next_member":
                    raise ValueError(prefix)
                start = int(index)
            except ValueError as e:
                raise _ApiError("invalid_cursor") from e
        limit = _limit(args, 100, 1000)
        page = everyone[start : start + limit]
        more = start + limit < len(everyone)
        cursor = base64.b64encode(f"next_member:{start + limit}".encode()).decode() if more else ""
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _page(
        self, channel: str, found: list[dict[str, Any]], limit: int, with_metadata: bool
    ) -> Args:
        page = found[:limit]
        body: Args = {
            "messages": [self._render(channel, m, metadata=with_metadata) for m in page],
            "has_more": len(found) > limit,
            "pin_count": 0,
        }
        if len(found) > limit:
            body["response_metadata"] = {"next_cursor": _encode_cursor(found[limit]["ts"])}
        return body

    def _views_open(self, args: Args) -> Args:
        if not args.get("trigger_id"):
            raise _ApiError("invalid_arguments")
        view = self._valid_view(args.get("view"))
        view_id = self._next_id("V")
        stored = self._stored_view(view, view_id)
        self.views[view_id] = stored
        return {"view": stored}

    def _views_publish(self, args: Args) -> Args:
        """A user's Home tab: one view per user, replaced on every publish."""
        if not args.get("user_id"):
            raise _ApiError("invalid_arguments")
        view = self._valid_view(args.get("view"))
        if view.get("type") != "home":
            raise _ApiError("invalid_arguments")
        current = self.home_views.get(args["user_id"])
        if args.get("hash") and current is not None and args["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view_id = current["id"] if current is not None else self._next_id("V")
        stored = self._stored_view(view, view_id)
        self.home_views[args["user_id"]] = stored
        return {"view": stored}

    def _views_update(self, args: Args) -> Args:
        view = self._valid_view(args.get("view"))
        current = None
        if args.get("view_id"):
            current = self.views.get(args["view_id"])
        elif args.get("external_id"):
            current = next(
                (v for v in self.views.values() if v.get("external_id") == args["external_id"]),
                None,
            )
        if current is None:
            raise _ApiError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        stored = self._stored_view(view, current["id"])
        self.views[current["id"]] = stored
        return {"view": stored}

    @staticmethod
    def _valid_view(view: Any) -> dict[str, Any]:
        if not isinstance(view, dict) or view.get("type") not in {"modal", "home"}:
            raise _ApiError("invalid_arguments")
        found = view_violations(view)
        if found:
            raise _ApiError("invalid_arguments", [v.where for v in found])
        return view

    def _stored_view(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        return {
            "state": {"values": {}},
            "private_metadata": "",
            "callback_id": "",
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "root_view_id": view_id,
            "hash": f"{self._next_ts()}.fake",
        }

    def _usergroups_users_list(self, args: Args) -> Args:
        members = self.user_groups.get(args.get("usergroup") or "")
        if members is None:
            raise _ApiError("no_such_subteam")
        return {"users": list(members)}

    def _users_info(self, args: Args) -> Args:
        user_id = str(args.get("user") or "")
        if not user_id:
            raise _ApiError("user_not_found")
        is_bot = user_id == BOT_USER_ID
        real_name = BOT_NAME if is_bot else self.users.get(user_id, user_id)
        handle = real_name.lower().replace(" ", ".")
        return {
            "user": {
                "id": user_id,
                "team_id": TEAM_ID,
                "name": handle,
                "real_name": real_name,
                "deleted": False,
                "is_bot": is_bot,
                "is_app_user": False,
                "tz": "Europe/Stockholm",
                "profile": {
                    "real_name": real_name,
                    "real_name_normalized": real_name,
                    "display_name": handle,
                    "display_name_normalized": handle,
                    "team": TEAM_ID,
                },
            }
        }

    def _files_get_upload_url(self, args: Args) -> Args:
        try:
            length = int(args["length"])
        except (KeyError, TypeError, ValueError) as e:
            raise _ApiError("invalid_arguments") from e
        if not args.get("filename"):
            raise _ApiError("invalid_arguments")
        file_id = self._next_id("F")
        self._uploads[file_id] = _Upload(filename=args["filename"], length=length)
        return {"upload_url": f"{self.origin}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: Args) -> Args:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise _ApiError("invalid_arguments")
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        channel_id = args.get("channel_id") or (channels[0] if channels else None)
        for channel in [*channels, *([channel_id] if channel_id else [])]:
            self._member(channel)
        done: list[Args] = []
        for entry in entries:
            upload = self._uploads.get(entry.get("id", "")) if isinstance(entry, dict) else None
            if upload is None or upload.content is None:
                raise _ApiError("file_not_found")
            title = entry.get("title") or upload.filename
            self.files.append(
                UploadedFile(
                    id=entry["id"],
                    filename=upload.filename,
                    title=title,
                    content=upload.content,
                    channel_id=channel_id,
                    initial_comment=args.get("initial_comment"),
                    thread_ts=args.get("thread_ts"),
                )
            )
            del self._uploads[entry["id"]]
            done.append(
                {
                    "id": entry["id"],
                    "name": upload.filename,
                    "title": title,
                    "size": len(upload.content),
                    "user": BOT_USER_ID,
                    "channels": [channel_id] if channel_id else [],
                    "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/"
                    f"{entry['id']}/{upload.filename}",
                }
            )
        return {"files": done}


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


async def _read_args(request: web.Request) -> Args:
    """Merge query string and body the way Slack does: slack_sdk sends JSON for some methods,
    form bodies or query parameters for others, and JSON-encoded strings inside form fields."""
    args: Args = dict(request.query)
    if request.body_exists:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as e:
                raise _ApiError("invalid_json") from e
            if not isinstance(body, dict):
                raise _ApiError("invalid_json")
            args.update(body)
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, value in form.items():
                args[key] = value.file.read() if isinstance(value, web.FileField) else value
    for key in _JSON_FIELDS & args.keys():
        if isinstance(args[key], str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                pass
    return args


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A started FakeSlack with defaults; import into a conftest or test module to use it."""
    async with FakeSlack() as slack:
        yield slack


# --- inbound requests, as Slack sends them to /slack/events ---


def sign_request(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack signs requests with (v0 HMAC-SHA256 over "v0:{ts}:{body}")."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), b"v0:%d:%s" % (ts, body), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def slack_headers(
    body: bytes,
    secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """Everything Slack puts on the request: Content-Type (JSON for events, form otherwise),
    signature, and the X-Slack-Retry-* pair when redelivering an event."""
    is_json = body.lstrip().startswith(b"{")
    headers = {
        "Content-Type": "application/json" if is_json else "application/x-www-form-urlencoded",
        **sign_request(body, secret, timestamp),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def interaction_body(payload: dict[str, Any]) -> bytes:
    """block_actions / view_submission / shortcuts: form-encoded `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(payload: dict[str, Any]) -> bytes:
    """Events API callbacks (and url_verification): a JSON body."""
    return json.dumps(payload).encode()


def slash_body(command: str, text: str, user_id: str, channel_id: str, **extra: str) -> bytes:
    """A slash command as Slack form-encodes it; `extra` overrides or adds fields."""
    fields = {
        "token": "legacy",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": "directmessage" if channel_id.startswith("D") else "channel",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": f"https://hooks.slack.com/commands/{TEAM_ID}/1/fake",
        "trigger_id": "1763884802.1234.fake",
        **extra,
    }
    return urlencode(fields).encode()
