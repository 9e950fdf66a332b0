"""Instagram professional accounts through Meta's Graph API (webhook object `instagram`).

In: `comments` on the brand's posts (replies to comments too), `mentions` of the brand's @handle
in someone else's comment or caption (ids only: `enrich` fetches the text later, off the webhook
path) and Instagram Direct messages. Everyone on one post is one case (conversation = media
id); a Direct thread is one case per person (`igdm:<IGSID>`). A comment in the older shape
without `from` (and sometimes without `media`) is kept with an unknown author; `enrich` asks
the Graph API who wrote it and on which post. One item that cannot be read is skipped with its
reason (kept in the dead-letter stream by the web), never the whole batch.

Out: a public reply under a comment, a comment where the brand was mentioned, a private reply
to a commenter, or a Direct message, each with the account's own token. Signatures, the
handshake and the Graph API's error codes are Meta's, shared with Facebook (`adapters/_meta`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import httpx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from adapters import _json, _meta
from adapters.base import (
    Account,
    AdapterContext,
    Environment,
    Listing,
    Parsed,
    PlatformConfig,
    Published,
    ReplyRate,
    Response,
    Skipped,
    SkipReason,
    TextMax,
)
from adapters.errors import BadPayload, BadSignature, NotSent, OutcomeUnknown, PermanentError
from chatops.domain import Author, Change, Kind, Mention, Reply, utcnow
from chatops.durations import Duration
from chatops.env import EnvProblem

log = logging.getLogger(__name__)

PLATFORM = "instagram"
DISPLAY_NAME = "Instagram"


class InstagramConfig(PlatformConfig):
    """`platforms.instagram`: the professional accounts whose comments and messages we answer."""

    accounts: list[Account] = Field(default_factory=list)
    reconcile_every: Duration | None = None
    """Overrides the top-level `reconcile_every` for Instagram."""


CONFIG = InstagramConfig
ENV = _meta.MetaEnv
TEXT_MAX = TextMax(public=2_200, private=2_200)
RETRY_WINDOW = _meta.RETRY_WINDOW
"""A comment or caption, and a message."""
REPLY_RATE = ReplyRate(per_second=750 / 3600, burst=5, unavailable_wait=30.0, retries=3)
"""750 calls an hour per account: Meta's documented limit for replies to comments on an
Instagram professional account's posts and reels (developers.facebook.com, Messenger Platform
rate limits, Private Replies API); comment replies share the account's Business Use Case
limit, which is no higher for a small account."""
UNKNOWN_AUTHOR = "unknown"
"""`Author.id` of a mention before `enrich`: the webhook does not say who wrote it."""
DM_PREFIX = "igdm:"
UNREAD_MEDIA_PREFIX = "igcomment:"
"""Conversation of a comment whose webhook did not name its post, until `enrich` reads it."""
COMMENT_MAX_CHARS = 2200
DM_MAX_BYTES = 1000
"""Instagram Direct text: UTF-8, at most 1,000 bytes (not characters)."""
DM_WINDOW = timedelta(hours=24)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
REFUSED_FIELD = "nonexisting field"
"""What the Graph API says when a field cannot be read on a node ("(#100) Tried accessing…")."""

_MAX_UNIX = 10**14
"""Any later unix time is not a time; anything above `_MS_FROM` is in milliseconds."""
_MS_FROM = 10**11
_GRAPH_ID = re.compile(r"[0-9]{1,40}")

COMMENT_FIELDS = (
    "id,text,timestamp,from{id,username},media{id,permalink}",
    "id,text,timestamp,media{id,permalink}",
    "id,text,timestamp,media",
)
"""`mentioned_comment` fields, richest first. Only the last set is documented for comments on
other people's media; the others are tried first and dropped when Meta refuses them."""
CAPTION_FIELDS = ("id,caption,timestamp,username,permalink", "id,caption,timestamp")
COMMENT_NODE_FIELDS = (
    "id,text,timestamp,username,from{id,username},media{id,permalink},parent_id",
    "id,text,timestamp,username,media{id,permalink},parent_id",
)
"""A comment on the account's own media, read when its webhook left out author and post."""
FIELD_SETS = {
    "mentioned_comment": COMMENT_FIELDS,
    "mentioned_media": CAPTION_FIELDS,
    "comment": COMMENT_NODE_FIELDS,
}


# -- the wire format ---------------------------------------------------------------------


def _as_id(value: Any) -> Any:
    """Graph ids are strings, but a number is the same id (bools are not)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    BeforeValidator(_as_id),
]
UnixTime = Annotated[int, Field(ge=0, le=_MAX_UNIX)]
_TIME: TypeAdapter[int | None] = TypeAdapter(UnixTime | None)


class _Wire(BaseModel):
    """Meta adds fields over time: unknown keys are ignored, nulls read as absent."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class _User(_Wire):
    id: Id
    username: str | None = None
    self_ig_scoped_id: str | None = None
    """Set only when the professional account itself wrote the comment."""


class _Media(_Wire):
    id: Id


class _Comment(_Wire):
    id: Id
    text: str | None = None
    author: _User | None = Field(default=None, alias="from")
    """Absent in the older comment shape (then `enrich` asks the Graph API who wrote it)."""
    media: _Media | None = None
    """Absent in the older shape too: the comment is its own conversation until `enrich`."""
    parent_id: Id | None = None


class _MentionRef(_Wire):
    media_id: Id
    comment_id: Id | None = None
    """Absent when the brand was mentioned in the caption itself."""


class _Party(_Wire):
    id: Id


class _Attachment(_Wire):
    type: str | None = None
    payload: dict[str, Any] | None = None


class _ReplyTo(_Wire):
    mid: str | None = None
    story: dict[str, Any] | None = None


class _Message(_Wire):
    mid: Id
    text: str | None = None
    attachments: list[_Attachment] | None = None
    reply_to: _ReplyTo | None = None
    is_echo: bool | None = None
    is_deleted: bool | None = None
    is_unsupported: bool | None = None


class _Edit(_Wire):
    mid: Id
    text: str | None = None


class _Postback(_Wire):
    mid: str | None = None
    title: str | None = None


class _Messaging(_Wire):
    sender: _Party
    is_self: bool | None = None
    timestamp: UnixTime | None = None
    message: _Message | None = None
    message_edit: _Edit | None = None
    postback: _Postback | None = None


_W = TypeVar("_W", bound=_Wire)


# -- parsing (pure: it runs on the webhook request path) ----------------------------------


class _NoSender(BadPayload):
    """A messaging event naming nobody we could answer."""


_Reader = Callable[[Any, str, str, datetime], list[Mention]]


def parse_body(body: bytes, accounts: Collection[str], received: datetime) -> Parsed:
    """A webhook body -> mentions for the configured `accounts` and the items skipped.

    Only a body that is not Meta's envelope (`object: instagram`, an `entry` list) raises
    BadPayload; an entry, change or message that cannot be read is skipped with its reason,
    and the rest of the batch counts. `received` stands in for an entry without a time."""
    try:
        data: Any = _json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadPayload("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadPayload("expected a JSON object with 'object' and 'entry'")
    if data.get("object") != PLATFORM:
        raise BadPayload(f"object: expected 'instagram', got {_short(data.get('object'))}")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise BadPayload("entry: expected a list")
    parsed = Parsed()
    for index, entry in enumerate(entries):
        where = f"entry[{index}]"
        try:
            account = _validate(_Party, entry, where).id
            if account not in accounts:
                continue
            when = _time(entry.get("time"), f"{where}.time") or received
            items = _items(entry, where)
        except BadPayload as exc:
            held = _meta.entry_body(PLATFORM, entry)
            parsed.skipped.append(Skipped.of(SkipReason.MALFORMED, exc.reason, held))
            continue
        for at, key, item, read in items:
            try:
                parsed.mentions.extend(read(item, at, account, when))
            except BadPayload as exc:
                why = SkipReason.NO_SENDER if isinstance(exc, _NoSender) else SkipReason.MALFORMED
                held = _meta.item_body(PLATFORM, entry, key, item)
                parsed.skipped.append(Skipped.of(why, exc.reason, held))
    return parsed


def _items(entry: dict[str, Any], where: str) -> list[tuple[str, str | None, Any, _Reader]]:
    """Each change and messaging event of an entry: where, in which list (None: the entry's
    own change), the item, and the function that reads it."""
    changes = _list(entry, "changes", where)
    messaging = _list(entry, "messaging", where)
    items: list[tuple[str, str | None, Any, _Reader]] = [
        (f"{where}.changes[{i}]", "changes", change, _change) for i, change in enumerate(changes)
    ]
    if "field" in entry:  # Business Login for Instagram may put one change on the entry itself
        items.append((where, None, entry, _change))
    items += [
        (f"{where}.messaging[{i}]", "messaging", item, _messaging)
        for i, item in enumerate(messaging)
    ]
    return items


def _change(change: Any, where: str, account: str, when: datetime) -> list[Mention]:
    if not isinstance(change, dict):
        raise BadPayload(f"{where}: expected an object")
    field, value = change.get("field"), change.get("value")
    if field == "comments":
        return _comment(_validate(_Comment, value, f"{where}.value"), account, when)
    if field == "mentions":
        return [_mention(_validate(_MentionRef, value, f"{where}.value"), account, when)]
    if field == "messages":  # the App Dashboard's test event: one messaging item as the value
        return _messaging(value, f"{where}.value", account, when)
    return []


def _comment(comment: _Comment, account: str, when: datetime) -> list[Mention]:
    person = comment.author
    if person is not None and (person.id == account or person.self_ig_scoped_id):
        return []  # our own reply coming back
    author = (
        Author(id=person.id, handle=person.username or "")
        if person is not None
        else Author(id=UNKNOWN_AUTHOR)
    )
    media = comment.media.id if comment.media is not None else UNREAD_MEDIA_PREFIX + comment.id
    return [
        Mention(
            platform=PLATFORM,
            account=account,
            external_id=comment.id,
            conversation_id=media,
            parent_id=comment.parent_id,
            author=author,
            text=comment.text or "",
            created_at=when,
            kind=Kind.REPLY if comment.parent_id else Kind.COMMENT,
        )
    ]


def _mention(ref: _MentionRef, account: str, when: datetime) -> Mention:
    """A mention before `enrich`: ids only. A caption mention has the media id as its own id."""
    return Mention(
        platform=PLATFORM,
        account=account,
        external_id=ref.comment_id or ref.media_id,
        conversation_id=ref.media_id,
        author=Author(id=UNKNOWN_AUTHOR),
        created_at=when,
        kind=Kind.MENTION,
    )


def _messaging(item: Any, where: str, account: str, when: datetime) -> list[Mention]:
    sender = item.get("sender") if isinstance(item, dict) else {}
    if sender is None or (isinstance(sender, dict) and sender.get("id") is None):
        raise _NoSender(f"{where}.sender: {'missing' if sender is None else 'no id'}")
    event = _validate(_Messaging, item, where)
    sender = event.sender.id
    if sender == account or event.is_self:
        return []  # an echo of what the account sent or did
    created = _from_unix(event.timestamp) if event.timestamp is not None else when

    def dm(mid: str, text: str, change: Change, parent: str | None = None) -> list[Mention]:
        return [
            Mention(
                platform=PLATFORM,
                account=account,
                external_id=mid,
                conversation_id=DM_PREFIX + sender,
                parent_id=parent,
                author=Author(id=sender),
                text=text,
                created_at=created,
                kind=Kind.DM,
                change=change,
            )
        ]

    if event.message_edit is not None:
        return dm(event.message_edit.mid, event.message_edit.text or "", Change.EDITED)
    postback = event.postback
    if postback is not None and postback.mid and postback.title:
        return dm(postback.mid, f"[button] {postback.title}", Change.ADD)  # an ice breaker
    message = event.message
    if message is None or message.is_echo:
        return []  # reads, reactions, referrals: nothing a person must answer
    if message.is_deleted:
        return dm(message.mid, "", Change.REMOVED)
    parent = message.reply_to.mid if message.reply_to else None
    return dm(message.mid, _message_text(message), Change.ADD, parent or None)


def _message_text(message: _Message) -> str:
    """The text, plus one line per attachment so staff can see what was sent."""
    lines = [message.text] if message.text else []
    story = message.reply_to.story if message.reply_to else None
    if story is not None:
        lines.append(_line("story reply", story))
    lines.extend(_line(a.type or "attachment", a.payload) for a in message.attachments or [])
    if not lines:
        lines.append(
            "[a message the Instagram API does not show: open it in the app]"
            if message.is_unsupported
            else "[a message without text]"
        )
    return "\n".join(lines)


def _line(kind: str, payload: dict[str, Any] | None) -> str:
    """`[image] https://…`: what it is and where staff can open it."""
    url = (payload or {}).get("url")
    return f"[{kind}] {url}" if isinstance(url, str) and url else f"[{kind}]"


def _validate(model: type[_W], value: Any, where: str) -> _W:
    if not isinstance(value, dict):
        raise BadPayload(f"{where}: expected an object")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise BadPayload(_first_error(exc, where)) from None


def _first_error(exc: ValidationError, where: str) -> str:
    error = exc.errors()[0]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
    return f"{where}{path}: {error['msg'].lower()}"


def _list(entry: dict[str, Any], key: str, where: str) -> list[Any]:
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload(f"{where}.{key}: expected a list")
    return value


def _time(value: Any, where: str) -> datetime | None:
    try:
        seconds = _TIME.validate_python(value)
    except ValidationError as exc:
        raise BadPayload(f"{where}: {exc.errors()[0]['msg'].lower()}") from None
    return None if seconds is None else _from_unix(seconds)


def _from_unix(value: int) -> datetime:
    """Entries carry seconds, messaging events milliseconds: Meta uses both."""
    return datetime.fromtimestamp(value / 1000 if value > _MS_FROM else value, UTC)


def _short(value: Any) -> str:
    return repr(value)[:40]


# -- drafts --------------------------------------------------------------------------------


def draft_problem(reply: Reply, now: datetime) -> str | None:
    """Why Instagram would refuse this reply now, or None."""
    mention = reply.in_reply_to
    if not reply.text.strip():
        return "the reply is empty"
    if mention.kind is Kind.DM or reply.private:
        return _message_problem(reply.text, mention, now)
    if len(reply.text) > COMMENT_MAX_CHARS:
        return (
            f"too long for an Instagram comment: {len(reply.text):,} characters, "
            f"at most {COMMENT_MAX_CHARS:,}"
        )
    return None


def _message_problem(text: str, mention: Mention, now: datetime) -> str | None:
    if mention.kind is Kind.MENTION:
        return (
            "Instagram allows a private reply only to comments on the account's own posts: "
            "answer this mention publicly"
        )
    size = len(text.encode("utf-8"))
    if size > DM_MAX_BYTES:
        return (
            f"too long for an Instagram message: {size:,} bytes of UTF-8, at most "
            f"{DM_MAX_BYTES:,} (emoji and accented letters take 2-4 bytes each)"
        )
    if mention.kind is Kind.DM:
        window, rule = DM_WINDOW, "within 24 hours of the person's last message"
        advice = "wait until they write again"
    else:
        window, rule = PRIVATE_REPLY_WINDOW, "within 7 days of the comment"
        advice = "answer publicly instead"
    closed = (mention.created_at + window).astimezone(UTC)
    if now > closed:
        return (
            f"Instagram accepts this message only {rule}; that window closed "
            f"{closed:%Y-%m-%d %H:%M} UTC: {advice}"
        )
    return None


# -- the adapter ---------------------------------------------------------------------------


class InstagramAdapter:
    name = PLATFORM
    max_length: int | None = COMMENT_MAX_CHARS
    """A public comment's limit; `check` applies the byte limit of messages."""

    def __init__(
        self,
        settings: Environment,
        accounts: Mapping[str, Account],
        http: httpx.AsyncClient,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._settings = settings
        self._env = settings.platform_env(_meta.MetaEnv)
        self._accounts = dict(accounts)
        self._http = http
        self._clock = clock
        self._api = self._env.api_url.rstrip("/")
        self._tier: dict[str, int] = {}
        """Per mentioned edge, the first field set Meta accepted (skip refused ones next time)."""

    # inbound

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        if not headers.get(_meta.SIGNATURE_HEADER, "").isascii():
            raise BadSignature(f"{_meta.SIGNATURE_HEADER} is not sha256=<hex>")
        _meta.verify(self._env.app_secret, body, headers)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        return parse_body(body, self._accounts.keys(), self._clock())

    def handshake(self, query: Mapping[str, str]) -> Response:
        return _meta.handshake(self._env.verify_token, query)

    # drafts

    def length(self, text: str) -> int:
        return len(text)

    def check(self, reply: Reply, now: datetime) -> str | None:
        return draft_problem(reply, now)

    # worker: fill in what the mentions webhook leaves out

    async def enrich(self, mention: Mention) -> Mention:
        """Fetch the text, author and link of a mention, or the author and post of a comment
        that arrived in the older shape without them; NotSent when it cannot be read now."""
        if mention.kind in (Kind.COMMENT, Kind.REPLY) and mention.author.id == UNKNOWN_AUTHOR:
            return await self._enrich_comment(mention)
        if mention.kind is not Kind.MENTION or mention.text:
            return mention
        token = self._token(mention.account)
        account = _graph_id(mention.account, "account id")
        target = _graph_id(mention.external_id, "mention id")
        caption = mention.external_id == mention.conversation_id
        edge = "mentioned_media" if caption else "mentioned_comment"
        key = "media_id" if caption else "comment_id"
        data = await self._read(account, edge, f"{edge}.{key}({target})", token)
        found = data.get(edge)
        if not isinstance(found, dict):
            raise NotSent(f"Instagram returned no {edge} for {target}")
        return _enriched(mention, found, caption)

    async def _enrich_comment(self, mention: Mention) -> Mention:
        token = self._token(mention.account)
        comment = _graph_id(mention.external_id, "comment id")
        data = await self._read(comment, "comment", "", token)
        return _comment_read(mention, data)

    async def _read(self, node: str, edge: str, expression: str, token: str) -> dict[str, Any]:
        """GET the edge (or, without an expression, the node's own fields) with the richest
        field set Meta accepts for it."""
        field_sets = FIELD_SETS[edge]
        for tier in range(self._tier.get(edge, 0), len(field_sets)):
            fields = field_sets[tier]
            params = {"fields": f"{expression}{{{fields}}}" if expression else fields}
            try:
                data = await _meta.graph_get(
                    self._http,
                    f"{self._api}/{node}",
                    token=token,
                    platform=PLATFORM,
                    params=params,
                )
            except NotSent as exc:
                if REFUSED_FIELD not in exc.reason or tier == len(field_sets) - 1:
                    raise
                log.info(
                    "instagram: %s refused fields %s; asking for fewer", edge, field_sets[tier]
                )
                continue
            except ValueError:
                raise NotSent("Instagram answered with something that is not JSON") from None
            self._tier[edge] = tier
            return data
        raise NotSent(f"Instagram refused every field set of {edge}")

    # reconciliation: what the webhooks may have dropped

    async def recent(self, since: datetime) -> Listing:
        """Comments on each account's recent media and Direct messages since `since`, read
        through the Graph API; stops at the first refusal or throttle."""
        found: list[Mention] = []
        calls = 0
        for account in self._accounts:
            try:
                token = self._token(account)
                node = _graph_id(account, "account id")
            except PermanentError as exc:
                return Listing(found, calls, exc.reason)
            reader = _meta.GraphReader(self._http, self._api, token, PLATFORM)
            try:
                await list_account(reader, node, since, found)
            except NotSent as exc:
                return Listing(found, calls + reader.calls, exc.reason)
            calls += reader.calls
        return Listing(found, calls)

    # outbound

    async def reply(self, reply: Reply) -> Published:
        mention = reply.in_reply_to
        token = self._token(mention.account)
        account = _graph_id(mention.account, "account id")
        if mention.kind is Kind.DM:
            person = mention.conversation_id.removeprefix(DM_PREFIX)
            return await self._message(account, {"id": _graph_id(person, "IGSID")}, reply, token)
        if reply.private:
            if mention.kind is Kind.MENTION:
                raise PermanentError(
                    "Instagram allows a private reply only to comments on the account's own "
                    "posts: answer this mention publicly"
                )
            comment = _graph_id(mention.external_id, "comment id")
            return await self._message(account, {"comment_id": comment}, reply, token)
        if mention.kind is Kind.MENTION:
            return await self._answer_mention(account, mention, reply.text, token)
        return await self._answer_comment(mention, reply.text, token)

    async def _answer_comment(self, mention: Mention, text: str, token: str) -> Published:
        """Instagram threads are one level deep: a reply to a reply goes under its parent."""
        top = mention.parent_id if mention.kind is Kind.REPLY and mention.parent_id else None
        comment = _graph_id(top or mention.external_id, "comment id")
        data = await self._post(f"{comment}/replies", {"message": text}, token)
        return Published(id=_published_id(data, "id"), url=mention.url or "")

    async def _answer_mention(
        self, account: str, mention: Mention, text: str, token: str
    ) -> Published:
        """On someone else's post the brand may comment only through its `mentions` edge."""
        media = _graph_id(mention.conversation_id, "media id")
        payload = {"media_id": media, "message": text}
        if mention.external_id != mention.conversation_id:
            payload["comment_id"] = _graph_id(mention.external_id, "comment id")
        data = await self._post(f"{account}/mentions", payload, token)
        return Published(id=_published_id(data, "id"), url=mention.url or "")

    async def _message(
        self, account: str, recipient: dict[str, str], reply: Reply, token: str
    ) -> Published:
        payload = {"recipient": recipient, "message": {"text": reply.text}}
        data = await self._post(f"{account}/messages", payload, token)
        return Published(id=_published_id(data, "message_id"))

    async def _post(self, path: str, payload: dict[str, Any], token: str) -> dict[str, Any]:
        return await _meta.graph_post(
            self._http, f"{self._api}/{path}", token=token, platform=PLATFORM, payload=payload
        )

    def _token(self, account_id: str) -> str:
        account = self._accounts.get(account_id)
        if account is None:
            raise PermanentError(
                f"Instagram account {account_id!r} is not listed in platforms.instagram.accounts"
            )
        if not account.token_env:
            raise PermanentError(
                f"Instagram account {account_id} has no token_env in platforms.instagram.accounts"
            )
        token = self._settings.token(account.token_env)
        if token is None:
            raise PermanentError(
                f"{account.token_env} is not set: it should hold the token of Instagram "
                f"account {account_id}"
            )
        return token


def _enriched(mention: Mention, found: dict[str, Any], caption: bool) -> Mention:
    text = found.get("caption" if caption else "text")
    raw_author = found.get("from")
    author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
    media = found if caption else found.get("media")
    username = found.get("username") or author.get("username")
    permalink = media.get("permalink") if isinstance(media, dict) else None
    return mention.model_copy(
        update={
            "text": text if isinstance(text, str) and text else "[Instagram gave no text]",
            "author": Author(id=_text(author.get("id")) or UNKNOWN_AUTHOR, handle=_text(username)),
            "url": permalink if isinstance(permalink, str) and permalink else mention.url,
            "created_at": _iso_time(found.get("timestamp")) or mention.created_at,
        }
    )


def _comment_read(mention: Mention, found: dict[str, Any]) -> Mention:
    """A comment of the older shape with its author, post and thread filled in."""
    raw_author = found.get("from")
    author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
    media = found.get("media")
    media = media if isinstance(media, dict) else {}
    media_id = _text(media.get("id"))
    permalink = media.get("permalink")
    parent = _text(found.get("parent_id")) or mention.parent_id
    text = found.get("text")
    return mention.model_copy(
        update={
            "author": Author(
                id=_text(author.get("id")) or UNKNOWN_AUTHOR,
                handle=_text(found.get("username") or author.get("username")),
            ),
            "conversation_id": media_id or mention.conversation_id,
            "parent_id": parent,
            "kind": Kind.REPLY if parent else Kind.COMMENT,
            "text": mention.text or (text if isinstance(text, str) else ""),
            "url": permalink if isinstance(permalink, str) and permalink else mention.url,
        }
    )


def _text(value: Any) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _iso_time(value: Any) -> datetime | None:
    """Graph timestamps look like 2017-05-03T16:09:08+0000."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _graph_id(value: str, what: str) -> str:
    """Ids go into URL paths and field expressions: only digits may."""
    if not _GRAPH_ID.fullmatch(value):
        raise PermanentError(f"{value[:40]!r} is not an Instagram {what}")
    return value


def _published_id(data: dict[str, Any], key: str) -> str:
    value = _text(data.get(key))
    if not value:
        raise OutcomeUnknown(f"Instagram answered without the {key} of what it posted")
    return value


# -- listing (reconciliation) ------------------------------------------------------------

LIST_COMMENT_FIELDS = "id,text,timestamp,from{id,username},parent_id"
LIST_REPLY_FIELDS = f"replies.limit(50){{{LIST_COMMENT_FIELDS}}}"
MEDIA_PAGE = 25
"""The most recent media read in a pass: Instagram media have no "last commented" time, so
comments on older posts are left to the webhooks (and to `enrich`)."""
COMMENTS_PAGE = 100
MEDIA_FIELDS = (
    f"id,timestamp,comments.limit({MEDIA_PAGE}){{{LIST_COMMENT_FIELDS},{LIST_REPLY_FIELDS}}}"
)
CONVERSATION_FIELDS = (
    "id,updated_time,messages.limit(20){id,message,from{id,username},created_time}"
)
MAX_LIST_PAGES = 200


async def list_account(
    reader: _meta.GraphReader, account: str, since: datetime, found: list[Mention]
) -> None:
    """Append to `found` what the account holds since `since`, as the webhook would have sent
    it: comments (newest first since Graph v3.2) and their replies on the most recent media,
    then Direct conversations updated since then."""
    data = await reader.get(f"{account}/media", {"fields": MEDIA_FIELDS, "limit": str(MEDIA_PAGE)})
    for media in _meta.listed(data):
        media_id = media.get("id")
        if isinstance(media_id, str | int) and not isinstance(media_id, bool):
            await _list_media(reader, account, str(media_id), media.get("comments"), since, found)
    await _list_conversations(reader, account, since, found)


async def _list_media(
    reader: _meta.GraphReader,
    account: str,
    media_id: str,
    comments: Any,
    since: datetime,
    found: list[Mention],
) -> None:
    for _ in range(MAX_LIST_PAGES):
        items = _meta.listed(comments)
        newest_first_done = False
        for comment in items:
            for reply in _meta.listed(comment.get("replies")):
                _keep_comment(found, reply, account, media_id, since)
            if not _keep_comment(found, comment, account, media_id, since):
                newest_first_done = True
                break
        cursor = _meta.after(comments)
        if newest_first_done or cursor is None or not items:
            return
        params = {
            "fields": f"{LIST_COMMENT_FIELDS},{LIST_REPLY_FIELDS}",
            "limit": str(COMMENTS_PAGE),
            "after": cursor,
        }
        comments = await reader.get(f"{_graph_id(media_id, 'media id')}/comments", params)


def _keep_comment(
    found: list[Mention], comment: dict[str, Any], account: str, media_id: str, since: datetime
) -> bool:
    """Keep a comment written since `since`, read as its webhook; False when it is older."""
    when = _meta.graph_time(comment.get("timestamp"))
    if when is None or when < since:
        return False
    value = {
        "id": comment.get("id"),
        "text": comment.get("text"),
        "from": comment.get("from"),
        "media": {"id": media_id},
        "parent_id": comment.get("parent_id"),
    }
    try:
        found.extend(_comment(_validate(_Comment, value, "listed comment"), account, when))
    except BadPayload as exc:
        log.info("instagram: a listed comment was skipped: %s", exc.reason)
    return True


async def _list_conversations(
    reader: _meta.GraphReader, account: str, since: datetime, found: list[Mention]
) -> None:
    """Conversations come most recently updated first and have no time filter: read pages
    until one was last updated before `since`."""
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        params = {"platform": PLATFORM, "fields": CONVERSATION_FIELDS, "limit": "25"}
        data = await reader.get(
            f"{account}/conversations", params | ({"after": cursor} if cursor else {})
        )
        for conversation in _meta.listed(data):
            updated = _meta.graph_time(conversation.get("updated_time"))
            if updated is not None and updated < since:
                return
            for message in _meta.listed(conversation.get("messages")):
                when = _meta.graph_time(message.get("created_time"))
                if when is not None and when >= since:
                    _keep_message(found, message, account, when)
        cursor = _meta.after(data)
        if cursor is None:
            return


def _keep_message(
    found: list[Mention], message: dict[str, Any], account: str, when: datetime
) -> None:
    """A Direct message read as its webhook event (the account's own answers drop out)."""
    sender = message.get("from")
    event = {
        "sender": {"id": sender.get("id")} if isinstance(sender, dict) else None,
        "timestamp": int(when.timestamp() * 1000),
        "message": {"mid": message.get("id"), "text": message.get("message")},
    }
    try:
        found.extend(_messaging(event, "listed message", account, when))
    except BadPayload as exc:
        log.info("instagram: a listed message was skipped: %s", exc.reason)


def create(ctx: AdapterContext) -> InstagramAdapter:
    accounts = {account.id: account for account in ctx.section(PLATFORM, InstagramConfig).accounts}
    return InstagramAdapter(ctx.settings, accounts, ctx.http)


def required_env(settings: Environment, section: InstagramConfig) -> list[EnvProblem]:
    return _meta.required_env(settings, PLATFORM, section)
