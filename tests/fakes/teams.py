"""A local Bot Connector service speaking its wire format, plus the activities Teams sends.

Tests put `FakeConnector.url` in the `serviceUrl` of the activities they send the bot, so
botbuilder's own ConnectorClient (msrest over requests) makes every call for real: conversation
ids percent-encoded into the path, activities serialised, `ErrorResponseException` carrying the
status and `Retry-After`. The server keeps a team's channels in memory (posts, their reply
chains, edits) and can throttle (429 + Retry-After), fail, or store a post and answer late.

Teams' rules it follows: a channel post is `POST /v3/conversations` with the channel in
`channelData` and answers `{id: "<channel>;messageid=<id>", activityId}`; sending to a
conversation id with `;messageid=` replies in that chain; `GET /v3/conversations` answers 405
(Teams does not list conversations); `GET /v3/teams/{id}/conversations` lists the channels;
`POST /v3/conversations` without `isGroup`, one member and the tenant starts (or finds) the
bot's personal chat with that user, named by AAD object id or Teams user id, and answers its id
(`a:…`), unless the app is not installed for them (403).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer

TENANT = "5d2b1a3e-0000-4000-8000-00000000acme"
BOT_ID = "28:0c0ffee0-0000-4000-8000-00000000b0t5"
BOT_NAME = "chatops"
TEAM = "19:general0acme@thread.tacv2"
"""A team's id is its General channel's id."""
THREAD = ";messageid="
PERSONAL_MARK = "a:"
"""A personal chat's conversation id starts with this."""
FIRST_MESSAGE_ID = 1763884801000
CARD_TYPE = "application/vnd.microsoft.card.adaptive"

Json = dict[str, Any]


@dataclass
class Call:
    """One request as the server saw it: route name, conversation, body, and the answer."""

    route: str
    conversation: str
    body: Any
    authorization: str | None
    at: float
    status: int | None = None


@dataclass
class Message:
    """A message in a channel: a post (`root` None) or a reply in a post's chain."""

    id: str
    channel: str
    root: str | None
    activity: Json
    versions: list[Json] = field(default_factory=list)  # earlier contents, oldest first
    deleted: bool = False

    @property
    def card(self) -> Json | None:
        for attachment in self.activity.get("attachments") or []:
            if attachment.get("contentType") == CARD_TYPE:
                return attachment.get("content")
        return None

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")

    @property
    def mentions(self) -> list[Json]:
        return [e for e in self.activity.get("entities") or [] if e.get("type") == "mention"]


@dataclass(frozen=True)
class _Fault:
    status: int
    code: str
    retry_after: float | None = None


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or code


class FakeConnector(LocalServer):
    """The Bot Connector for one team on 127.0.0.1:<ephemeral port>, state in memory.

    `channels`: channel id -> name, the team's channels (the bot may post in each).
    `not_member`: channels whose team the bot is not in (403 BotNotInConversationRoster).
    """

    def __init__(self, channels: dict[str, str], *, team: str = TEAM) -> None:
        self.team = team
        self.channels = {team: "General", **channels}
        self.not_member: set[str] = set()
        self.not_installed: set[str] = set()  # AAD object ids without the app: no personal chat
        self.roster: list[Person] = []  # the team's members (every channel's, as in Teams)
        self.delay_answer = 0.0  # seconds between storing a write and answering it
        self.delay_routes: frozenset[str] = frozenset()  # only these routes' (empty: all)
        self.calls: list[Call] = []
        self.rejected_429 = 0
        self.messages: dict[str, Message] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._ids = itertools.count(FIRST_MESSAGE_ID, 1000)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/v3/conversations", self._conversations)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_route(
            "*", "/v3/conversations/{conversation}/activities/{activity}", self._activity
        )
        app.router.add_get("/v3/teams/{team}/conversations", self._team_channels)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)

    @property
    def url(self) -> str:
        """The serviceUrl, with the trailing slash Teams' service URLs have."""
        return f"{self.origin}/"

    # --- inspection ---

    def posts(self, channel: str) -> list[Message]:
        """The channel's posts, oldest first (deleted ones left out)."""
        return [
            m
            for m in self.messages.values()
            if m.channel == channel and m.root is None and not m.deleted
        ]

    def replies(self, post: Message) -> list[Message]:
        """The reply chain under `post`, oldest first."""
        return [m for m in self.messages.values() if m.root == post.id and not m.deleted]

    def calls_to(self, route: str) -> list[Call]:
        return [c for c in self.calls if c.route == route]

    def user_post(self, channel: str, text: str = "") -> str:
        """A post a person wrote in `channel` (Teams holds it; the bot may reply in its chain)."""
        return self._store(channel, None, {"type": "message", "text": text}).id

    # --- controls ---

    def throttle(self, route: str, times: int = 1, retry_after: float = 1) -> None:
        """Answer the next `times` calls of `route` ("create", "send", "reply", "update") with
        429 and `Retry-After`, as Teams does beyond its per-conversation limits."""
        self._faults.setdefault(route, deque()).extend(
            [_Fault(429, "Throttled", retry_after)] * times
        )

    def fail(self, route: str, status: int, code: str, times: int = 1) -> None:
        self._faults.setdefault(route, deque()).extend([_Fault(status, code)] * times)

    # --- HTTP plumbing ---

    async def _conversations(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            # Teams does not support GetConversations.
            return web.json_response(
                {"message": "The requested resource does not support http method 'GET'."},
                status=405,
            )
        return await self._handle(request, "create", "", self._create)

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        return await self._handle(request, "send", conversation, self._post_in)

    async def _activity(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        activity_id = request.match_info["activity"]
        if request.method == "POST":
            return await self._handle(request, "reply", conversation, self._post_in)
        if request.method == "PUT":
            return await self._handle(
                request, "update", conversation, lambda c, b: self._update(c, activity_id, b)
            )
        if request.method == "DELETE":
            return await self._handle(
                request, "delete", conversation, lambda c, b: self._delete(c, activity_id)
            )
        return web.json_response({"message": "method not allowed"}, status=405)

    async def _team_channels(self, request: web.Request) -> web.Response:
        team = request.match_info["team"]

        def channels(_: str, __: Any) -> tuple[int, Json]:
            if team != self.team:
                raise _Refused(404, "NotFound", "team not found")
            listed = [
                {"id": cid, **({"name": name} if cid != self.team else {})}
                for cid, name in self.channels.items()
            ]
            return 200, {"conversations": listed}

        return await self._handle(request, "channels", team, channels)

    async def _paged_members(self, request: web.Request) -> web.Response:
        """The roster of a channel's team, `pageSize` at a time (Teams: at most 500, at
        least 50), continued by an opaque `continuationToken`."""
        conversation = request.match_info["conversation"]
        size = max(50, min(500, int(request.query.get("pageSize") or 500)))
        token = request.query.get("continuationToken")

        def page(_: str, __: Any) -> tuple[int, Json]:
            self._postable(conversation)
            start = int(token.removeprefix("page:")) if token else 0
            listed = [p.account() for p in self.roster[start : start + size]]
            body: Json = {"members": listed}
            if start + size < len(self.roster):
                body["continuationToken"] = f"page:{start + size}"
            return 200, body

        return await self._handle(request, "members", conversation, page)

    async def _handle(
        self, request: web.Request, route: str, conversation: str, act: Any
    ) -> web.Response:
        body = await request.json() if request.can_read_body else None
        call = Call(
            route, conversation, body, request.headers.get("Authorization"), time.monotonic()
        )
        self.calls.append(call)
        faults = self._faults.get(route)
        if faults:
            fault = faults.popleft()
            call.status = fault.status
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
            if fault.status == 429:
                self.rejected_429 += 1
            return web.json_response(
                {"error": {"code": fault.code, "message": fault.code}},
                status=fault.status,
                headers=headers,
            )
        try:
            status, answer = act(conversation, body)
        except _Refused as refused:
            call.status = refused.status
            return web.json_response(
                {"error": {"code": refused.code, "message": refused.message}},
                status=refused.status,
            )
        if self.delay_answer > 0 and (not self.delay_routes or route in self.delay_routes):
            await asyncio.sleep(self.delay_answer)
        call.status = status
        return web.json_response(answer, status=status)

    # --- the Connector's rules ---

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _postable(self, channel: str) -> None:
        if channel not in self.channels:
            raise _Refused(404, "ConversationNotFound", "Conversation not found.")
        if channel in self.not_member:
            raise _Refused(403, "BotNotInConversationRoster", "The bot is not part of the roster.")

    def personal_chat(self, aad: str) -> str:
        """The id of the bot's personal chat with the user `aad` (as `personal_message` sends)."""
        return f"{PERSONAL_MARK}1{aad[:8]}"

    def personal_messages(self, aad: str) -> list[Message]:
        """What the bot wrote in its personal chat with `aad`, oldest first."""
        chat = self.personal_chat(aad)
        return [m for m in self.messages.values() if m.channel == chat and not m.deleted]

    def _personal(self, body: Json) -> tuple[int, Json]:
        members = body.get("members") or []
        if len(members) != 1 or not isinstance(members[0], dict) or not members[0].get("id"):
            raise _Refused(400, "BadArgument", "a personal chat needs exactly one member")
        # The Connector reads JSON without regard to case: botbuilder-python sends `tenantID`.
        tenant = {k.lower(): v for k, v in body.items()}.get("tenantid")
        if (tenant or ((body.get("channelData") or {}).get("tenant") or {}).get("id")) != TENANT:
            raise _Refused(400, "BadArgument", "the tenant is required")
        member = str(members[0]["id"])
        aad = member[4:12] if member.startswith("29:1") else member
        if aad[:8] in {a[:8] for a in self.not_installed}:
            raise _Refused(403, "BotNotInConversationRoster", "The bot is not installed.")
        chat = self.personal_chat(aad)
        if isinstance(body.get("activity"), dict):
            return 201, {"id": chat, "activityId": self._store(chat, None, body["activity"]).id}
        return 201, {"id": chat}

    def _create(self, _: str, body: Any) -> tuple[int, Json]:
        if isinstance(body, dict) and not body.get("isGroup") and body.get("members"):
            return self._personal(body)
        if not isinstance(body, dict) or not body.get("isGroup"):
            raise _Refused(400, "BadArgument", "channel posts need isGroup")
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        activity = body.get("activity")
        if not channel or not isinstance(activity, dict):
            raise _Refused(400, "BadArgument", "channelData.channel.id and activity are required")
        self._postable(channel)
        message = self._store(channel, None, activity)
        return 201, {"id": f"{channel}{THREAD}{message.id}", "activityId": message.id}

    def _post_in(self, conversation: str, body: Any) -> tuple[int, Json]:
        """Send to a conversation: into the reply chain it names, a new channel post, or a
        personal chat with a user (ids `a:…`)."""
        if not isinstance(body, dict) or body.get("type") != "message":
            raise _Refused(400, "BadArgument", "a message activity is required")
        if conversation.startswith(PERSONAL_MARK):
            return 201, {"id": self._store(conversation, None, body).id}
        channel, _, root = conversation.partition(THREAD)
        self._postable(channel)
        if root:
            post = self.messages.get(root)
            if post is None or post.channel != channel or post.root is not None:
                raise _Refused(404, "ConversationNotFound", "Conversation not found.")
        message = self._store(channel, root or None, body)
        return 201, {"id": message.id}

    def _update(self, conversation: str, activity_id: str, body: Any) -> tuple[int, Json]:
        message = self.messages.get(activity_id)
        channel = conversation.partition(THREAD)[0]
        if message is None or message.deleted or message.channel != channel:
            raise _Refused(404, "ActivityNotFound", "Activity not found.")
        if not isinstance(body, dict) or body.get("id") != activity_id:
            raise _Refused(400, "BadArgument", "the activity's id must be the one updated")
        message.versions.append(message.activity)
        message.activity = body
        return 200, {"id": activity_id}

    def _delete(self, conversation: str, activity_id: str) -> tuple[int, Json]:
        message = self.messages.get(activity_id)
        if message is None or message.deleted:
            raise _Refused(404, "ActivityNotFound", "Activity not found.")
        message.deleted = True
        return 200, {}

    def _store(self, channel: str, root: str | None, activity: Json) -> Message:
        message = Message(self._next_id(), channel, root, activity)
        self.messages[message.id] = message
        return message


# --- activities as Teams sends them to the bot ---


@dataclass(frozen=True)
class Person:
    """A Teams user: `id` is their Teams user id (29:…), `aad` their AAD object id."""

    aad: str
    name: str

    @property
    def id(self) -> str:
        return f"29:1{self.aad.replace('-', '')[:20]}"

    def account(self) -> Json:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad}


def _base(service_url: str, kind: str, conversation: str, channel: str, team: str) -> Json:
    return {
        "type": kind,
        "id": f"f:{uuid.uuid4().hex}",
        "timestamp": "2026-11-23T09:00:00.000Z",
        "localTimestamp": "2026-11-23T10:00:00.000+01:00",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": conversation,
        },
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "channelData": {
            "teamsChannelId": channel,
            "teamsTeamId": team,
            "channel": {"id": channel},
            "team": {"id": team},
            "tenant": {"id": TENANT},
        },
        "locale": "en-US",
    }


def bot_added(service_url: str, installer: Person, *, team: str = TEAM) -> Json:
    """conversationUpdate: the app was added to a team (the bot is in membersAdded)."""
    activity = _base(service_url, "conversationUpdate", team, team, team)
    activity["from"] = installer.account()
    activity["membersAdded"] = [{"id": BOT_ID}]
    activity["channelData"] = {
        "team": {"aadGroupId": str(uuid.uuid4()), "name": "Acme", "id": team},
        "eventType": "teamMemberAdded",
        "tenant": {"id": TENANT},
    }
    return activity


def installation_update(
    service_url: str, installer: Person, channel: str, *, team: str = TEAM, action: str = "add"
) -> Json:
    """installationUpdate, as Teams sends it when the app is added from a channel."""
    activity = _base(service_url, "installationUpdate", channel, channel, team)
    activity["from"] = installer.account()
    activity["action"] = action
    activity["channelData"]["settings"] = {"selectedChannel": {"id": channel}}
    activity["channelData"]["source"] = {"name": "message"}
    return activity


def card_action(
    service_url: str,
    person: Person,
    verb: str,
    data: Json,
    *,
    channel: str,
    post_id: str,
    card_id: str | None = None,
    team: str = TEAM,
    trigger: str = "manual",
) -> Json:
    """An `adaptiveCard/action` invoke: a click on an Action.Execute of the card `card_id`
    (the post itself by default) in the reply chain of `post_id`."""
    activity = _base(service_url, "invoke", f"{channel}{THREAD}{post_id}", channel, team)
    activity["name"] = "adaptiveCard/action"
    activity["from"] = person.account()
    activity["replyToId"] = card_id or post_id
    activity["value"] = {
        "action": {"type": "Action.Execute", "title": verb, "verb": verb, "data": data},
        "trigger": trigger,
    }
    activity["channelData"]["source"] = {"name": "message"}
    activity["channelData"]["legacy"] = {"replyToId": card_id or post_id}
    return activity


def channel_message(
    service_url: str,
    person: Person,
    text: str,
    *,
    channel: str,
    post_id: str,
    team: str = TEAM,
    mention_bot: bool = True,
) -> Json:
    """A reply in the chain of `post_id`; Teams delivers it to the bot when it @mentions it."""
    activity = _base(service_url, "message", f"{channel}{THREAD}{post_id}", channel, team)
    activity["from"] = person.account()
    at = f"<at>{BOT_NAME}</at>"
    activity["text"] = f"{at} {text}" if mention_bot else text
    activity["textFormat"] = "plain"
    if mention_bot:
        activity["entities"] = [
            {"type": "mention", "text": at, "mentioned": {"id": BOT_ID, "name": BOT_NAME}},
            {"type": "clientInfo", "locale": "en-US", "platform": "Web"},
        ]
    return activity


def personal_message(service_url: str, person: Person, text: str) -> Json:
    """A message in the personal chat between `person` and the bot."""
    activity = _base(service_url, "message", f"{PERSONAL_MARK}1{person.aad[:8]}", "", "")
    activity["conversation"] = {
        "conversationType": "personal",
        "tenantId": TENANT,
        "id": activity["conversation"]["id"],
    }
    activity["channelData"] = {"tenant": {"id": TENANT}}
    activity["from"] = person.account()
    activity["text"] = text
    activity["textFormat"] = "plain"
    return activity


def personal_card_action(
    service_url: str, person: Person, verb: str, data: Json, *, card_id: str
) -> Json:
    """An `adaptiveCard/action` invoke from a card the bot sent `person` in their personal
    chat (no team, no channel: `channelData` names only the tenant)."""
    activity = personal_message(service_url, person, "")
    activity.pop("text")
    activity.pop("textFormat")
    activity["type"] = "invoke"
    activity["name"] = "adaptiveCard/action"
    activity["replyToId"] = card_id
    activity["value"] = {
        "action": {"type": "Action.Execute", "title": verb, "verb": verb, "data": data},
        "trigger": "manual",
    }
    return activity
