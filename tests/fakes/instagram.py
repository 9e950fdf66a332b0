"""A local Instagram Graph API: the endpoints `adapters/instagram.py` calls, in Meta's format.

Tests point GRAPH_API_URL at `FakeInstagramGraph.url`, so everything between the adapter and
the socket runs for real: URL building, field expressions, bearer tokens, JSON bodies, error
objects and usage headers. The server keeps what it was sent (`calls`) and what exists on the
platform (comments on the accounts' posts, comments and captions that mention them), and can
be told to refuse fields, fail the next requests, or never answer.

Endpoints (each after `/{VERSION}`):
- `GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){fields}` (or
  `mentioned_media.media_id(<id>){fields}`) -> `{"mentioned_comment": {...}, "id": <ig-user-id>}`
- `GET /{ig-comment-id}?fields=a,b{c}` -> those fields of a comment on an account's own media
  (`comment_nodes`), read with that account's token
- `POST /{ig-comment-id}/replies` `{message}` -> `{"id"}`
- `POST /{ig-user-id}/mentions` `{media_id, comment_id?, message}` -> `{"id"}`
- `POST /{ig-user-id}/messages` `{recipient: {id} | {comment_id}, message: {text}}`
  -> `{"recipient_id", "message_id"}`
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

VERSION = "v25.0"
MAX_MESSAGE_BYTES = 1000
_EXPRESSION = re.compile(
    r"(?P<edge>mentioned_comment|mentioned_media)\.(?P<key>comment_id|media_id)"
    r"\((?P<id>[^)]*)\)\{(?P<fields>.*)\}"
)
_NODE_TYPES = {"mentioned_comment": "IGComment", "mentioned_media": "IGMedia"}


@dataclass
class Call:
    """One request as the server saw it (path without the version prefix)."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str
    body: Any


@dataclass
class Failure:
    """A queued answer that overrides what the server would say."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


class GraphError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def graph_error(code: int, message: str, *, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException" if code in (190, 10, 100) else "GraphMethodException",
        "code": code,
        "fbtrace_id": "AFakeTrace01",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return error


def _gone(object_id: str) -> GraphError:
    return GraphError(
        400,
        graph_error(
            100,
            f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation.",
            subcode=33,
        ),
    )


class FakeInstagramGraph(LocalServer):
    """Instagram professional accounts (IG user id -> token) and what exists on the platform."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self.tokens = dict(tokens)
        self.calls: list[Call] = []
        self.comments: dict[str, str] = {}
        """Comments on the accounts' own posts: comment id -> the account's IG user id."""
        self.mentioned_comments: dict[str, dict[str, Any]] = {}
        """Comments elsewhere that mention an account: comment id -> IG Comment fields."""
        self.mentioned_media: dict[str, dict[str, Any]] = {}
        self.comment_nodes: dict[str, dict[str, Any]] = {}
        """Comments on the accounts' own media as IG Comment nodes (`comments` says whose)."""
        self.refused_fields: set[str] = set()
        """Fields answered with "(#100) Tried accessing nonexisting field"."""
        self.failures: deque[Failure] = deque()
        self.hang = False
        self.posted: list[dict[str, Any]] = []
        self._ids = itertools.count(17_950_000_000_000_001)

    # -- control --------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"/{VERSION}/{{node}}", self._node)
        app.router.add_post(f"/{VERSION}/{{node}}/{{edge}}", self._edge)

    @property
    def url(self) -> str:
        return f"{self.origin}/{VERSION}"

    def answer_next(
        self, status: int, body: dict[str, Any] | str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next request with this body, JSON or raw text (after recording it)."""
        self.failures.append(Failure(status, body, dict(headers or {})))

    def fail_next(
        self, status: int, error: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next request with this Graph error object."""
        self.answer_next(status, {"error": error}, headers)

    # -- handlers -------------------------------------------------------------------------

    async def _node(self, request: web.Request) -> web.StreamResponse:
        return await self._answer(request, None, lambda: self._read(request))

    async def _edge(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        return await self._answer(request, body, lambda: self._write(request, body))

    async def _answer(self, request: web.Request, body: Any, act: Any) -> web.StreamResponse:
        path = request.path.removeprefix(f"/{VERSION}")
        self.calls.append(
            Call(
                request.method,
                path,
                dict(request.query),
                request.headers.get("Authorization", ""),
                body,
            )
        )
        if self.hang:
            await self.hold()
        if self.failures:
            failure = self.failures.popleft()
            if isinstance(failure.body, str):
                return web.Response(
                    text=failure.body, status=failure.status, headers=failure.headers
                )
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        try:
            return web.json_response(act())
        except GraphError as exc:
            return web.json_response({"error": exc.error}, status=exc.status)

    def _authorize(self, request: web.Request, account: str) -> None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if account not in self.tokens or given != self.tokens[account]:
            raise GraphError(
                400, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )

    def _read(self, request: web.Request) -> dict[str, Any]:
        node = request.match_info["node"]
        if node in self.comment_nodes:
            return self._read_comment(request, node)
        account = node
        self._authorize(request, account)
        match = _EXPRESSION.fullmatch(request.query.get("fields", ""))
        if match is None:
            raise GraphError(400, graph_error(100, "(#100) Unknown fields expression"))
        edge, object_id = match["edge"], match["id"]
        store = self.mentioned_comments if edge == "mentioned_comment" else self.mentioned_media
        fields = _split(match["fields"])
        for name, sub in fields:
            for refused in [name, *(n for n, _ in sub)]:
                if refused in self.refused_fields:
                    raise GraphError(
                        400,
                        graph_error(
                            100,
                            f"(#100) Tried accessing nonexisting field ({refused}) on node type "
                            f"({_NODE_TYPES[edge]})",
                        ),
                    )
        if object_id not in store:
            raise _gone(object_id)
        return {edge: _project(store[object_id], fields), "id": account}

    def _read_comment(self, request: web.Request, comment: str) -> dict[str, Any]:
        self._authorize(request, self.comments.get(comment, ""))
        fields = _split(request.query.get("fields", "id"))
        for name, _ in fields:
            if name in self.refused_fields:
                raise GraphError(
                    400,
                    graph_error(
                        100,
                        f"(#100) Tried accessing nonexisting field ({name}) "
                        "on node type (IGComment)",
                    ),
                )
        return _project(self.comment_nodes[comment], fields) | {"id": comment}

    def _write(self, request: web.Request, body: Any) -> dict[str, Any]:
        node, edge = request.match_info["node"], request.match_info["edge"]
        if not isinstance(body, dict):
            raise GraphError(400, graph_error(100, "(#100) The parameter message is required"))
        if edge == "replies":
            return self._reply(request, node, body)
        self._authorize(request, node)
        if edge == "mentions":
            return self._mention_reply(node, body)
        if edge == "messages":
            return self._message(node, body)
        raise GraphError(400, graph_error(100, f"(#100) Unknown edge {edge}"))

    def _reply(self, request: web.Request, comment: str, body: dict[str, Any]) -> dict[str, Any]:
        if comment not in self.comments:
            raise _gone(comment)
        self._authorize(request, self.comments[comment])
        return self._post("replies", comment, body)

    def _mention_reply(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        media, comment = body.get("media_id"), body.get("comment_id")
        if comment is not None and comment not in self.mentioned_comments:
            raise _gone(str(comment))
        if comment is None and media not in self.mentioned_media:
            raise _gone(str(media))
        return self._post("mentions", account, body)

    def _message(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        recipient, message = body.get("recipient") or {}, body.get("message") or {}
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text:
            raise GraphError(400, graph_error(100, "(#100) param message must be non-empty"))
        if len(text.encode()) > MAX_MESSAGE_BYTES:
            raise GraphError(
                400,
                graph_error(100, "(#100) Length of param message[text] must be less than 1000"),
            )
        comment = recipient.get("comment_id") if isinstance(recipient, dict) else None
        if comment is not None and self.comments.get(comment) != account:
            raise _gone(str(comment))
        answer = self._post("messages", account, body)
        person = recipient.get("id") or f"igsid-of-{comment}"
        return {"recipient_id": person, "message_id": f"aWdfZAG1f{answer['id']}"}

    def _post(self, edge: str, target: str, body: dict[str, Any]) -> dict[str, Any]:
        new_id = str(next(self._ids))
        self.posted.append({"edge": edge, "target": target, "id": new_id, **body})
        return {"id": new_id}


def _split(fields: str) -> list[tuple[str, list[tuple[str, list[Any]]]]]:
    """`a,b{c,d{e}}` -> [(a, []), (b, [(c, []), (d, [(e, [])])])] (top-level commas only)."""
    out: list[tuple[str, list[Any]]] = []
    depth, start = 0, 0
    for index, char in enumerate(fields + ","):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            item = fields[start:index].strip()
            start = index + 1
            if not item:
                continue
            name, _, rest = item.partition("{")
            out.append((name, _split(rest[:-1]) if rest else []))
    return out


def _project(node: dict[str, Any], fields: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    """Only the fields asked for; an edge without sub-fields gives just its id, as Meta does."""
    out: dict[str, Any] = {}
    for name, sub in fields:
        if name not in node:
            continue
        value = node[name]
        if isinstance(value, dict):
            value = _project(value, sub) if sub else {"id": value.get("id")}
        out[name] = value
    return out


def error_body(path: str) -> dict[str, Any]:
    """The `error` object of a stored Graph error answer (shared fixtures)."""
    with open(path, encoding="utf-8") as handle:
        return dict(json.load(handle)["error"])
