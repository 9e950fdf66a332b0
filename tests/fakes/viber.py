"""A local Viber REST Bot API speaking Viber's wire format, plus signed callback builders.

Tests point `VIBER_API_URL` at `FakeViber.url`, so the real `httpx.AsyncClient`, our request
encoding and our reading of the answers all run. Like Viber, the server answers HTTP 200 with a
non-zero `status` for every refusal (bad token, unsubscribed receiver, too long, too many
messages), and returns 64-bit `message_token`s that a float would round. Controls stand in for
what cannot be provoked otherwise: an outage (`http_status`), a canned answer (`answer_with`),
a server that never answers (`hang`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

TOKEN = "4453b6ac1s345678-e02c5f12174805f9-daec9cbb5448c51c"
"""The fake bot's auth token (made up; shaped like Viber's)."""
FIRST_MESSAGE_TOKEN = 5_741_311_803_571_721_087
MAX_BODY = 30 * 1024
MAX_TEXT = 7_000
MAX_SENDER_NAME = 28
HOURLY_LIMIT = 100
"""Messages Viber lets a bot send a user who has not answered in between."""

STATUS_MESSAGES = {
    0: "ok",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "notSubscribed",
    12: "tooManyRequests",
}


@dataclass
class Call:
    """One request as the server saw it (raw bytes too, to check the exact encoding)."""

    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    status: int | None = None


@dataclass
class FakeViber(LocalServer):
    """`POST /send_message` with Viber's checks, in the order Viber reports them."""

    client_max_size = 4 * MAX_BODY

    token: str = TOKEN
    subscribers: set[str] = field(default_factory=set)
    """Users who subscribed or wrote first: the only ones a bot may message."""
    unsubscribed: set[str] = field(default_factory=set)
    """Users Viber knows who left (or never joined) the bot: status 6."""
    hourly_limit: int = HOURLY_LIMIT
    http_status: int | None = None
    answer_with: dict[str, Any] | None = None
    hang: bool = False
    calls: list[Call] = field(default_factory=list)
    _unanswered: Counter[str] = field(default_factory=Counter)
    _tokens: itertools.count[int] = field(
        default_factory=lambda: itertools.count(FIRST_MESSAGE_TOKEN)
    )

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/send_message", self._send_message)

    def user_wrote(self, user_id: str) -> None:
        """A message from the user: they may be messaged, and the hourly count restarts."""
        self.subscribers.add(user_id)
        self.unsubscribed.discard(user_id)
        self._unanswered[user_id] = 0

    def sent(self) -> list[Any]:
        """Bodies of the messages the server accepted."""
        return [c.body for c in self.calls if c.status == 0]

    async def _send_message(self, request: web.Request) -> web.Response:
        raw = await request.read()
        call = Call(request.path, dict(request.headers), raw, None)
        self.calls.append(call)
        if self.hang:
            await self.hold()
        if self.http_status is not None:
            return web.json_response({"error": "unavailable"}, status=self.http_status)
        if self.answer_with is not None:
            call.status = self.answer_with.get("status")
            return _viber_json(self.answer_with)
        call.status = self._judge(request, raw, call)
        answer: dict[str, Any] = {
            "status": call.status,
            "status_message": STATUS_MESSAGES[call.status],
            "chat_hostname": "SN-chat-01_",
        }
        if call.status == 0:
            answer["message_token"] = next(self._tokens)
            answer["billing_status"] = 1
        return _viber_json(answer)

    def _judge(self, request: web.Request, raw: bytes, call: Call) -> int:
        if request.headers.get("X-Viber-Auth-Token") != self.token:
            return 2
        if len(raw) > MAX_BODY:
            return 3
        try:
            call.body = json.loads(raw)
        except ValueError:
            return 3
        body = call.body
        if not isinstance(body, dict):
            return 3
        name = (body.get("sender") or {}).get("name")
        if not body.get("receiver") or not body.get("type") or not name:
            return 4
        if len(name) > MAX_SENDER_NAME or body["type"] != "text":
            return 3
        if not isinstance(body.get("text"), str) or not body["text"]:
            return 4
        if len(body["text"]) > MAX_TEXT:
            return 3
        receiver = body["receiver"]
        if receiver in self.unsubscribed:
            return 6
        if receiver not in self.subscribers:
            return 5
        if self._unanswered[receiver] >= self.hourly_limit:
            return 12
        self._unanswered[receiver] += 1
        return 0


def _viber_json(answer: dict[str, Any]) -> web.Response:
    return web.Response(text=json.dumps(answer), content_type="application/json")


def sign(token: str, body: bytes) -> str:
    """`X-Viber-Content-Signature` as Viber computes it."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def signed(event: dict[str, Any], token: str = TOKEN) -> tuple[bytes, dict[str, str]]:
    """A callback body and the headers Viber sends with it."""
    body = json.dumps(event, ensure_ascii=False).encode()
    return body, {
        "X-Viber-Content-Signature": sign(token, body),
        "Content-Type": "application/json",
    }


def user(user_id: str = "01234567890A=", name: str = "Ivana", language: str = "hr") -> dict:
    return {
        "id": user_id,
        "name": name,
        "avatar": "https://media-direct.cdn.viber.example.invalid/a.jpg",
        "language": language,
        "country": "HR",
        "api_version": 10,
    }


def message_event(
    message: dict[str, Any],
    *,
    token: int = 5_740_912_374_123_400_001,
    sender: dict[str, Any] | None = None,
    timestamp: int = 1_763_884_800_123,
) -> dict[str, Any]:
    """A `message` callback as Viber sends it."""
    return {
        "event": "message",
        "timestamp": timestamp,
        "chat_hostname": "SN-376_",
        "message_token": token,
        "sender": sender or user(),
        "message": message,
        "silent": False,
    }


def text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    return message_event({"type": "text", "text": text}, **kwargs)


def other_event(event: str, *, token: int = 4_912_661_846_655_238_145) -> dict[str, Any]:
    """Callbacks that are not messages, in Viber's shapes."""
    base: dict[str, Any] = {"event": event, "timestamp": 1_763_884_900_000, "message_token": token}
    if event == "subscribed":
        base["user"] = user()
    elif event == "unsubscribed" or event in {"delivered", "seen"}:
        base["user_id"] = "01234567890A="
    elif event == "failed":
        base.update(user_id="01234567890A=", desc="failed because of a keyboard error")
    elif event == "conversation_started":
        base.update(type="open", context="from-website", user=user(), subscribed=False)
    return base
