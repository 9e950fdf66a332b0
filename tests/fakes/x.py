"""A local X API v2 speaking X's wire format, for the X adapter's tests.

The adapter's real `httpx.AsyncClient` reaches it through `X_API_URL`, so everything between
our code and the socket runs for real: query encoding, OAuth 1.0a signing, bearer tokens,
JSON bodies, timeouts. The server checks credentials the way X does (a bearer token for
reads; for posts an OAuth 1.0a signature it recomputes itself, independently of authlib, or
an OAuth 2.0 user token), pages timelines newest first with `since_id` and page tokens, sends
`x-rate-limit-*` headers, and keeps what was posted for tests to inspect. Controls stand in
for what X does in production: rate limits, refusals, injected errors, a server that never
answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from tests.fakes.server import LocalServer

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x"

ME = "2244994945"
CONSUMER_KEY = "ck-test"
CONSUMER_SECRET = "cs-test"
ACCESS_TOKEN = f"{ME}-at-test"
ACCESS_TOKEN_SECRET = "ats-test"
BEARER = "bearer-test"
USER_TOKENS = frozenset({"user-token-acme", "user-token-help"})
RATE_LIMIT = 450

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
NOT_ALLOWED_TO_REPLY = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
DM_CLOSED = "You are not permitted to send Direct Messages to this user."


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def forbidden(detail: str) -> dict[str, Any]:
    return {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0
    """Requests to let through before this one fails (to fail a later page)."""


@dataclass
class Limit:
    """One endpoint's window: calls left and when (unix time) the window resets."""

    remaining: int = RATE_LIMIT
    reset: int = 0


def _escape(value: str) -> str:
    return quote(value, safe="~-._")


def oauth1_signature(
    method: str, url: str, params: list[tuple[str, str]], consumer_secret: str, token_secret: str
) -> str:
    """RFC 5849 §3.4 HMAC-SHA1, written out here so the check does not trust authlib."""
    pairs = sorted((_escape(k), _escape(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), _escape(url), _escape(normalized)))
    key = f"{_escape(consumer_secret)}&{_escape(token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()


def parse_oauth_header(value: str) -> dict[str, str]:
    if not value.startswith("OAuth "):
        return {}
    params = {}
    for part in value.removeprefix("OAuth ").split(","):
        key, _, raw = part.strip().partition("=")
        params[unquote(key)] = unquote(raw.strip('"'))
    return params


class FakeX(LocalServer):
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.timelines: dict[str, list[dict[str, Any]]] = {}
        """Tweets per timeline ("mentions:<user id>", "search"), any order; paged newest first."""
        self.users: dict[str, dict[str, Any]] = {}
        self.limits: dict[str, Limit] = {}
        self.faults: dict[str, deque[Fault]] = {}
        self.no_reply_to: set[str] = set()
        self.closed_dms: set[str] = set()
        self.posts: list[dict[str, Any]] = []
        self.dms: list[dict[str, Any]] = []
        self.hang = False
        self.too_old_before: str | None = None
        """search: a `since_id` older than this is refused, as X refuses ids over 7 days old."""
        self._ids = itertools.count(int(fixture("post_tweet_response.json")["data"]["id"]))

    # life cycle

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/2/users/{user_id}/mentions", self._mentions)
        app.router.add_get("/2/tweets/search/recent", self._search)
        app.router.add_post("/2/tweets", self._post_tweet)
        app.router.add_post("/2/dm_conversations/with/{participant}/messages", self._post_dm)

    # controls

    def add(self, timeline: str, tweet: dict[str, Any], user: dict[str, Any] | None = None) -> None:
        self.timelines.setdefault(timeline, []).append(tweet)
        if user is not None:
            self.users[user["id"]] = user

    def fail(
        self,
        route: str,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        after: int = 0,
    ) -> None:
        """A coming request to `route` ("tweets", "dm", "mentions", "search") gets this answer."""
        self.faults.setdefault(route, deque()).append(Fault(status, body, headers or {}, after))

    def limit(self, route: str, remaining: int, reset: int) -> None:
        self.limits[route] = Limit(remaining, reset)

    def seen(self, path_start: str) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith(path_start)]

    # handlers

    async def _record(self, request: web.Request) -> Seen:
        seen = Seen(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        self.requests.append(seen)
        return seen

    async def _answer(self, route: str) -> web.Response | None:
        """An injected fault or a hang, before any real handling."""
        if self.hang:
            await self.hold()
        queue = self.faults.get(route)
        if queue and queue[0].after > 0:
            queue[0].after -= 1
        elif queue:
            fault = queue.popleft()
            if isinstance(fault.body, str):
                return web.Response(status=fault.status, text=fault.body, headers=fault.headers)
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return None

    async def _mentions(self, request: web.Request) -> web.Response:
        await self._record(request)
        return await self._read(request, "mentions", f"mentions:{request.match_info['user_id']}")

    async def _search(self, request: web.Request) -> web.Response:
        await self._record(request)
        since = request.query.get("since_id")
        if since and self.too_old_before and _key(since) < _key(self.too_old_before):
            return web.json_response(
                {
                    "errors": [
                        {
                            "parameters": {"since_id": [since]},
                            "message": f"Invalid 'since_id':'{since}'. 'since_id' must be a "
                            "tweet id created after the start time.",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
                status=400,
            )
        return await self._read(request, "search", "search")

    async def _read(self, request: web.Request, route: str, timeline: str) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {BEARER}":
            return web.json_response(UNAUTHORIZED, status=401)
        limit = self.limits.setdefault(route, Limit())
        if limit.remaining <= 0:
            return web.json_response(
                fixture("error_rate_limited.json"), status=429, headers=_limit_headers(limit)
            )
        limit.remaining -= 1
        fault = await self._answer(route)
        if fault is not None:
            for name, value in _limit_headers(limit).items():
                fault.headers.setdefault(name, value)
            return fault
        page_token = "next_token" if route == "search" else "pagination_token"
        body = self._page(timeline, request.query, page_token)
        return web.json_response(body, headers=_limit_headers(limit))

    def _page(self, timeline: str, query: Any, token_param: str) -> dict[str, Any]:
        size = int(query.get("max_results", "10"))
        assert 5 <= size <= 100, "max_results must be 5..100"
        since = query.get("since_id")
        tweets = sorted(self.timelines.get(timeline, []), key=lambda t: _key(t["id"]), reverse=True)
        if since:
            tweets = [t for t in tweets if _key(t["id"]) > _key(since)]
        start = int(query.get(token_param, "p0").removeprefix("p"))
        page = tweets[start : start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if start + size < len(tweets):
            meta["next_token"] = f"p{start + size}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            authors = {t["author_id"] for t in page if t.get("author_id")}
            users = [self.users[a] for a in sorted(authors) if a in self.users]
            if users:
                body["includes"] = {"users": users}
        return body

    def _authorized(self, seen: Seen) -> bool:
        """An OAuth 2.0 user token, or an OAuth 1.0a signature that matches."""
        header = seen.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ") in USER_TOKENS
        oauth = parse_oauth_header(header)
        if oauth.get("oauth_consumer_key") != CONSUMER_KEY or oauth.get("oauth_token") != (
            ACCESS_TOKEN
        ):
            return False
        given = oauth.pop("oauth_signature", "")
        oauth.pop("realm", None)
        params = [*seen.query.items(), *oauth.items()]
        expected = oauth1_signature(
            seen.method, self.url + seen.path, params, CONSUMER_SECRET, ACCESS_TOKEN_SECRET
        )
        return hmac.compare_digest(given, expected)

    async def _posted(self, request: web.Request, route: str) -> tuple[Any, web.Response | None]:
        """The JSON body of a post, or the answer that ends the request early."""
        seen = await self._record(request)
        if not self._authorized(seen):
            return None, web.json_response(UNAUTHORIZED, status=401)
        fault = await self._answer(route)
        if fault is not None:
            return None, fault
        try:
            body = seen.json
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            return None, web.json_response(
                {"title": "Invalid Request", "status": 400, "detail": "text: missing"}, status=400
            )
        return body, None

    async def _post_tweet(self, request: web.Request) -> web.Response:
        body, early = await self._posted(request, "tweets")
        if early is not None:
            return early
        parent = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if parent in self.no_reply_to:
            return web.json_response(forbidden(NOT_ALLOWED_TO_REPLY), status=403)
        if any(p["text"] == body["text"] for p in self.posts):
            return web.json_response(forbidden(DUPLICATE), status=403)
        tweet_id = str(next(self._ids))
        self.posts.append({"id": tweet_id, "text": body["text"], "in_reply_to": parent})
        data = {"id": tweet_id, "text": body["text"], "edit_history_tweet_ids": [tweet_id]}
        return web.json_response({"data": data}, status=201)

    async def _post_dm(self, request: web.Request) -> web.Response:
        body, early = await self._posted(request, "dm")
        if early is not None:
            return early
        person = request.match_info["participant"]
        if person in self.closed_dms:
            return web.json_response(forbidden(DM_CLOSED), status=403)
        event_id = str(next(self._ids))
        self.dms.append({"id": event_id, "to": person, "text": body["text"]})
        low, high = sorted((person, ME), key=_key)
        data = {"dm_conversation_id": f"{low}-{high}", "dm_event_id": event_id}
        return web.json_response({"data": data}, status=201)


def _key(tweet_id: str) -> tuple[int, str]:
    return len(tweet_id), tweet_id


def _limit_headers(limit: Limit) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(RATE_LIMIT),
        "x-rate-limit-remaining": str(max(0, limit.remaining)),
        "x-rate-limit-reset": str(limit.reset),
    }
