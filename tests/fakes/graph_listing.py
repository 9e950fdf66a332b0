"""A local Graph API serving the listings reconciliation reads, in Meta's wire format.

Tests point `GRAPH_API_URL` at `FakeListing.url` and reach it through the real httpx client:

- `GET /{page-id}/feed?since=&fields=…,comments.….limit(N){…}` -> posts whose `updated_time`
  (their creation or newest comment) is at or after `since`, newest first, each carrying its
  newest N comments (`filter(stream)`: replies flattened, with `parent`);
- `GET /{post-id}/comments?filter=stream&order=reverse_chronological&limit=&after=`;
- `GET /{ig-user-id}/media?fields=…,comments.limit(N){…,replies…}` -> the most recent media with
  their newest top-level comments, replies embedded (`parent_id`);
- `GET /{media-id}/comments?limit=&after=` -> top-level comments, newest first (Graph ≥ 3.2);
- `GET /{page-or-ig-user-id}/conversations?platform=messenger|instagram` -> conversations most
  recently updated first (no time filter, as Meta documents), each with its 20 newest messages.

Listings page with `paging {cursors {after}, next}`; `next` is absent on the last page. Every
request needs the owner's token (`Authorization: Bearer`). `throttle_after(n)` answers Graph's
page-limit error (code 32, with `X-Business-Use-Case-Usage`) from the (n+1)-th request on until
`throttle_after(None)`. `calls` counts every request answered.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes.graph import graph_error
from tests.fakes.server import LocalServer

VERSION = "v25.0"
_LIMIT = re.compile(r"comments[^{]*?\.limit\((\d+)\)")


def graph_time(moment: datetime) -> str:
    """Graph's own spelling of a time: `2026-11-23T08:00:00+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Comment:
    id: str
    created: datetime
    author: tuple[str, str]
    text: str
    parent: str | None = None


@dataclass
class Node:
    """A post or a medium: who owns it, when it was made, who wrote it, its comments."""

    id: str
    owner: str
    created: datetime
    author: tuple[str, str]
    instagram: bool = False
    text: str = ""
    comments: list[Comment] = field(default_factory=list)

    @property
    def updated(self) -> datetime:
        return max([self.created, *(c.created for c in self.comments)])


@dataclass
class Message:
    id: str
    created: datetime
    sender: tuple[str, str]
    text: str


@dataclass
class Conversation:
    id: str
    owner: str
    platform: str
    messages: list[Message] = field(default_factory=list)


class FakeListing(LocalServer):
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = dict(tokens)
        """Page or Instagram account id -> the token that may read it."""
        self.nodes: dict[str, Node] = {}
        self.conversations: dict[str, Conversation] = {}
        self.calls = 0
        self.busy_s = 0.0
        """Time spent answering, so a benchmark can tell its own cost from the server's."""
        self.paths: list[str] = []
        self._throttle_after: int | None = None

    @property
    def url(self) -> str:
        return f"{self.origin}/{VERSION}"

    # -- test data -------------------------------------------------------------------------

    def post(self, owner: str, node_id: str, created: datetime, author: tuple[str, str]) -> Node:
        """A Facebook post on page `owner` (by the page itself, or a visitor's)."""
        node = Node(node_id, owner, created, author)
        self.nodes[node_id] = node
        return node

    def media(self, owner: str, node_id: str, created: datetime) -> Node:
        """An Instagram medium of account `owner`."""
        node = Node(node_id, owner, created, (owner, "acme"), instagram=True)
        self.nodes[node_id] = node
        return node

    def comment(
        self,
        node_id: str,
        comment_id: str,
        created: datetime,
        author: tuple[str, str] = ("u-1", "Anna Berg"),
        text: str = "Hej, var är min faktura?",
        parent: str | None = None,
    ) -> None:
        self.nodes[node_id].comments.append(Comment(comment_id, created, author, text, parent))

    def message(
        self,
        owner: str,
        platform: str,
        person: tuple[str, str],
        mid: str,
        created: datetime,
        text: str,
        *,
        from_owner: bool = False,
    ) -> None:
        conv_id = f"t_{owner}_{person[0]}"
        conversation = self.conversations.setdefault(
            conv_id, Conversation(conv_id, owner, platform)
        )
        sender = (owner, "Acme") if from_owner else person
        conversation.messages.append(Message(mid, created, sender, text))

    def throttle_after(self, calls: int | None) -> None:
        self._throttle_after = calls

    # -- the server ------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"/{VERSION}/{{node}}/{{edge}}", self._timed)

    async def _timed(self, request: web.Request) -> web.Response:
        began = time.perf_counter()
        try:
            return await self._edge(request)
        finally:
            self.busy_s += time.perf_counter() - began

    async def _edge(self, request: web.Request) -> web.Response:
        node_id, edge = request.match_info["node"], request.match_info["edge"]
        self.paths.append(f"{node_id}/{edge}")
        if self._throttle_after is not None and self.calls >= self._throttle_after:
            return web.json_response(
                graph_error(32, "(#32) Page request limit reached"),
                status=400,
                headers={
                    "X-Business-Use-Case-Usage": json.dumps(
                        {node_id: [{"call_count": 100, "estimated_time_to_regain_access": 5}]}
                    )
                },
            )
        self.calls += 1
        q = request.query
        owner = self.nodes[node_id].owner if node_id in self.nodes else node_id
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if owner not in self.tokens or given != self.tokens[owner]:
            return web.json_response(graph_error(190, "Invalid OAuth access token."), status=400)
        limit = int(q.get("limit", "25"))
        after = int(q.get("after", "0"))
        if edge == "feed":
            since = datetime.fromtimestamp(int(q.get("since", "0")), UTC)
            posts = [n for n in self.nodes.values() if n.owner == node_id and n.updated >= since]
            posts.sort(key=lambda n: n.created, reverse=True)
            embedded = _embedded_limit(q.get("fields", ""))
            return self._page(request, posts, after, limit, lambda n: self._fb_post(n, embedded))
        if edge == "media":
            media = [n for n in self.nodes.values() if n.owner == node_id]
            media.sort(key=lambda n: n.created, reverse=True)
            embedded = _embedded_limit(q.get("fields", ""))
            return self._page(request, media, after, limit, lambda n: self._ig_media(n, embedded))
        if edge == "comments" and node_id in self.nodes:
            node = self.nodes[node_id]
            if node.instagram:
                tops = _newest_first([c for c in node.comments if c.parent is None])
                return self._page(request, tops, after, limit, lambda c: _ig_comment(c, node))
            return self._page(request, _newest_first(node.comments), after, limit, _fb_comment)
        if edge == "conversations":
            platform = q.get("platform", "")
            found = [
                c
                for c in self.conversations.values()
                if c.owner == node_id and c.platform == platform
            ]
            found.sort(key=lambda c: max(m.created for m in c.messages), reverse=True)
            return self._page(request, found, after, limit, _conversation)
        return web.json_response(graph_error(100, f"Unknown edge {edge}"), status=400)

    def _page(
        self, request: web.Request, items: list[Any], after: int, limit: int, shape: Any
    ) -> web.Response:
        return web.json_response(_listing(items, after, limit, request.url, shape))

    def _fb_post(self, node: Node, embedded: int) -> dict[str, Any]:
        return {
            "id": node.id,
            "created_time": graph_time(node.created),
            "updated_time": graph_time(node.updated),
            "message": node.text,
            "permalink_url": f"https://www.facebook.com/{node.id}",
            "from": {"id": node.author[0], "name": node.author[1]},
            "comments": _listing(_newest_first(node.comments), 0, embedded, None, _fb_comment),
        }

    def _ig_media(self, node: Node, embedded: int) -> dict[str, Any]:
        tops = _newest_first([c for c in node.comments if c.parent is None])
        return {
            "id": node.id,
            "timestamp": graph_time(node.created),
            "comments": _listing(tops, 0, embedded, None, lambda c: _ig_comment(c, node)),
        }


def _newest_first(comments: list[Comment]) -> list[Comment]:
    return sorted(comments, key=lambda c: c.created, reverse=True)


def _embedded_limit(fields: str) -> int:
    found = _LIMIT.search(fields)
    return int(found[1]) if found else 25


def _listing(
    items: list[Any], after: int, limit: int, url: Any, shape: Any = None
) -> dict[str, Any]:
    """One page of `items` (each put in wire form by `shape`), with Graph's paging."""
    page = items[after : after + limit]
    out: dict[str, Any] = {"data": [shape(i) for i in page] if shape else page}
    if page:
        paging: dict[str, Any] = {"cursors": {"before": str(after), "after": str(after + limit)}}
        if after + limit < len(items):
            paging["next"] = f"{url or 'https://graph.facebook.com/next'}?after={after + limit}"
        out["paging"] = paging
    return out


def _fb_comment(comment: Comment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": comment.id,
        "message": comment.text,
        "created_time": graph_time(comment.created),
        "from": {"id": comment.author[0], "name": comment.author[1]},
    }
    if comment.parent:
        out["parent"] = {"id": comment.parent}
    return out


def _ig_comment(comment: Comment, node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": comment.id,
        "text": comment.text,
        "timestamp": graph_time(comment.created),
        "from": {"id": comment.author[0], "username": comment.author[1]},
    }
    if comment.parent:
        out["parent_id"] = comment.parent
    replies = [c for c in node.comments if c.parent == comment.id]
    if replies:
        out["replies"] = {"data": [_ig_comment(r, node) for r in replies]}
    return out


def _conversation(conversation: Conversation) -> dict[str, Any]:
    messages = sorted(conversation.messages, key=lambda m: m.created, reverse=True)[:20]
    name = "username" if conversation.platform == "instagram" else "name"
    return {
        "id": conversation.id,
        "updated_time": graph_time(messages[0].created),
        "messages": {
            "data": [
                {
                    "id": m.id,
                    "message": m.text,
                    "from": {"id": m.sender[0], name: m.sender[1]},
                    "created_time": graph_time(m.created),
                }
                for m in messages
            ]
        },
    }
