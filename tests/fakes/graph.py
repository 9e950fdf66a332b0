"""A local Graph API for the Facebook adapter, speaking Meta's wire format.

Tests point `GRAPH_API_URL` at `FakeGraph.url` (version included, as in production) and reach it
through the real `httpx.AsyncClient`, so URL building, bearer auth, JSON bodies and the mapping of
Graph error bodies run for real. It serves the two edges the adapter publishes to, and reads:

- `POST /{version}/{object-id}/comments` with `message` -> `{"id": ...}` (a public comment);
- `POST /{version}/{page-id}/messages` (the Send API) with `recipient {id | user_ref | comment_id |
  post_id}`, `messaging_type`, `message {text}` -> `{"recipient_id": ..., "message_id": ...}`;
- `GET /{version}/{object-id}?fields=a,b{c}` -> the fields asked for of a post or comment put in
  `objects` (with any page's token, as a post that mentions a page is readable to it).

Rules it enforces as Graph does: a page token (bearer header or `access_token`) that belongs to
the page it writes as, a non-empty `message`, Messenger's 2,000-character text limit, one
private reply per comment or post, deleted objects (100/33), closed messaging windows
(10/2018278). Controls for failures: `answer_next(...)` queues a canned answer (status, Graph
error body, headers such as `X-Business-Use-Case-Usage`), `hang` makes it take a request and
never answer, so the client times out after sending.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

VERSION = "v25.0"
MESSENGER_TEXT_MAX = 2_000


@dataclass(frozen=True)
class Received:
    """One request as the server saw it: the path after the version, headers, query, JSON."""

    method: str
    version: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def graph_error(
    code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException"
) -> dict[str, Any]:
    """A Graph API error body, as Meta sends it."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AfakeTrace123"
    return {"error": error}


class FakeGraph(LocalServer):
    """The Graph API edges the Facebook adapter calls, with per-page tokens."""

    def __init__(self, page_tokens: dict[str, str]) -> None:
        self.page_tokens = dict(page_tokens)
        self.received: list[Received] = []
        self.comments: dict[str, list[dict[str, str]]] = {}
        self.messages: list[dict[str, Any]] = []
        self.deleted: set[str] = set()
        self.objects: dict[str, dict[str, Any]] = {}
        """Posts and comments that can be read: object id -> its fields."""
        self.closed_windows: set[str] = set()
        self.hang = False
        self._private_replied: set[str] = set()
        self._answers: deque[Answer] = deque()
        self._ids = itertools.count(2001)

    @property
    def url(self) -> str:
        return f"{self.origin}/{VERSION}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{object_id}/comments", self._comments)
        app.router.add_post("/{version}/{page_id}/messages", self._messages)
        app.router.add_get("/{version}/{object_id}", self._read)
        app.router.add_route("*", "/{tail:.*}", self._unknown)

    def answer_next(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """The next request gets this answer instead of being processed (a str body: as HTML)."""
        self._answers.append(Answer(status, body, headers or {}))

    # -- request handling ---------------------------------------------------------------------

    async def _record(self, request: web.Request, path: str) -> Received:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        received = Received(
            method=request.method,
            version=request.match_info.get("version", ""),
            path=path,
            headers=dict(request.headers),
            query=dict(request.query),
            body=body,
        )
        self.received.append(received)
        return received

    async def _held_or_canned(self) -> web.Response | None:
        if self.hang:
            await self.hold()
        if not self._answers:
            return None
        answer = self._answers.popleft()
        if isinstance(answer.body, str):
            return web.Response(
                text=answer.body,
                status=answer.status,
                headers=answer.headers,
                content_type="text/html",
            )
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    def _token(self, received: Received) -> str | None:
        auth = received.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        body = received.body if isinstance(received.body, dict) else {}
        token = received.query.get("access_token") or body.get("access_token")
        return token if isinstance(token, str) else None

    def _auth_error(self, received: Received, page_id: str | None) -> web.Response | None:
        token = self._token(received)
        if not token:
            return _error(
                400, graph_error(2500, "An active access token must be used to query information.")
            )
        owner = next((page for page, t in self.page_tokens.items() if t == token), None)
        if owner is None:
            return _error(
                400, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )
        if page_id is not None and owner != page_id:
            return _error(
                400, graph_error(200, "(#200) The page token does not belong to this page")
            )
        return None

    async def _comments(self, request: web.Request) -> web.Response:
        object_id = request.match_info["object_id"]
        received = await self._record(request, f"{object_id}/comments")
        canned = await self._held_or_canned()
        if canned is not None:
            return canned
        refused = self._auth_error(received, None)
        if refused is not None:
            return refused
        if object_id in self.deleted:
            return _gone(object_id)
        body = received.body if isinstance(received.body, dict) else {}
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            return _error(400, graph_error(100, "(#100) Missing message or attachment"))
        comment_id = f"{object_id.split('_')[-1]}_{next(self._ids)}"
        self.comments.setdefault(object_id, []).append({"id": comment_id, "message": message})
        return web.json_response({"id": comment_id})

    async def _messages(self, request: web.Request) -> web.Response:
        page_id = request.match_info["page_id"]
        received = await self._record(request, f"{page_id}/messages")
        canned = await self._held_or_canned()
        if canned is not None:
            return canned
        refused = self._auth_error(received, page_id)
        if refused is not None:
            return refused
        body = received.body if isinstance(received.body, dict) else {}
        problem = _send_api_problem(body)
        if problem is not None:
            return _error(400, graph_error(100, problem))
        recipient: dict[str, str] = body["recipient"]
        target = next(iter(recipient.values()))
        if "id" in recipient or "user_ref" in recipient:
            if target in self.closed_windows:
                return _error(
                    400,
                    graph_error(
                        10,
                        "(#10) This message is sent outside of allowed window.",
                        subcode=2018278,
                    ),
                )
            psid = target
        else:
            if target in self.deleted:
                return _gone(target)
            if target in self._private_replied:
                return _error(400, graph_error(10900, "(#10900) Activity already replied to"))
            self._private_replied.add(target)
            psid = f"psid-of-{target}"
        message_id = f"m_fake{next(self._ids)}"
        self.messages.append({"page": page_id, "recipient": recipient, "text": body["message"]})
        return web.json_response({"recipient_id": psid, "message_id": message_id})

    async def _read(self, request: web.Request) -> web.Response:
        object_id = request.match_info["object_id"]
        received = await self._record(request, object_id)
        canned = await self._held_or_canned()
        if canned is not None:
            return canned
        refused = self._auth_error(received, None)
        if refused is not None:
            return refused
        if object_id in self.deleted or object_id not in self.objects:
            return _gone(object_id)
        node = self.objects[object_id]
        wanted = [_field_name(f) for f in _top_level(received.query.get("fields", "id"))]
        return web.json_response({k: node[k] for k in wanted if k in node} | {"id": object_id})

    async def _unknown(self, request: web.Request) -> web.Response:
        await self._record(request, request.path)
        return _error(
            400,
            graph_error(
                100, "Unknown path components: " + request.path, kind="GraphMethodException"
            ),
        )


def _top_level(fields: str) -> list[str]:
    """`a,b{c,d},e` -> ["a", "b{c,d}", "e"]: commas inside braces belong to a sub-selection."""
    out, depth, current = [], 0, ""
    for char in fields:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += char
    return [f.strip() for f in [*out, current] if f.strip()]


def _field_name(field: str) -> str:
    return field.split("{", 1)[0]


RECIPIENTS = ("id", "user_ref", "comment_id", "post_id")
RECIPIENT_PROBLEM = "(#100) param recipient must be one of {id, user_ref, comment_id, post_id}"


def _send_api_problem(body: dict[str, Any]) -> str | None:
    recipient = body.get("recipient")
    if not isinstance(recipient, dict) or len(recipient) != 1:
        return RECIPIENT_PROBLEM
    ((key, value),) = recipient.items()
    if key not in RECIPIENTS or not isinstance(value, str) or not value:
        return RECIPIENT_PROBLEM
    if key in ("id", "user_ref") and body.get("messaging_type") not in (
        "RESPONSE",
        "UPDATE",
        "MESSAGE_TAG",
    ):
        return "(#100) The parameter messaging_type is required"
    message = body.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str) or not text:
        return "(#100) The parameter message[text] is required"
    if len(text) > MESSENGER_TEXT_MAX:
        return "(#100) Length of param message[text] must be less than or equal to 2000"
    return None


def _gone(object_id: str) -> web.Response:
    return _error(
        400,
        graph_error(
            100,
            f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation.",
            subcode=33,
            kind="GraphMethodException",
        ),
    )


def _error(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)
