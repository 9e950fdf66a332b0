"""Facebook Pages and Messenger: Meta's `object: page` webhooks in, Graph API replies out.

Inbound, one POST carries up to 1,000 entries, each with `changes` (field `feed`: comments,
replies, visitor posts and shares; `ratings`: reviews of the page; `mention`: the page named in
a post or comment elsewhere) and `messaging` (Messenger) events; entries for pages that are not
in `platforms.facebook.pages` are skipped. One item that cannot be read is skipped with its
reason (the web keeps it in the dead-letter stream), never the batch. Everyone commenting on
one post joins one case (`conversation_id` = the post id); a Messenger conversation is
`messenger:{psid}`, or `messenger-guest:{user_ref}` for a website chat-plugin guest.

Outbound, a public answer is a comment (`POST /{comment-id}/comments`, threaded one level deep
as Facebook does), a Messenger answer or a private reply to a comment goes through the Send API
(`POST /{page-id}/messages`), always with the page's own token.

Choices worth knowing:
- A Messenger postback (a tap on a button, "Get Started", a persistent-menu item) becomes a `dm`
  with the text `[button] <title>`: the tap opens the 24-hour window and is often the first
  thing a person does to reach the brand, so dropping it would lose a conversation.
- Attachments are listed in the text as `[image] <url>` lines so staff can open them.
- `message_edit` events (the `message_edits` field) become `dm` mentions with `change=edited`;
  a message with `is_deleted` (the person unsent it) is a removal.
- Locations get an OpenStreetMap link; templates and products list their elements' titles.
- A review with words is a case (answered under its story); a bare star rating is not.
- A page mention is read through the Graph API by `enrich` (on the worker, not the webhook).
- Our own comments, posts and Messenger echoes are ignored: they are the page's replies; the
  older `sender_id` / `sender_name` shape is read like `from`, for authors and for this check.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import Field

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
from adapters.errors import BadPayload, NotSent, OutcomeUnknown, PermanentError
from chatops.domain import Author, Change, Kind, Mention, Reply, utcnow
from chatops.durations import Duration
from chatops.env import EnvProblem

log = logging.getLogger(__name__)

PLATFORM = "facebook"
DISPLAY_NAME = "Facebook"


class FacebookConfig(PlatformConfig):
    """`platforms.facebook`: the pages whose comments and Messenger conversations we answer."""

    ACCOUNTS: ClassVar[str] = "pages"

    pages: list[Account] = Field(default_factory=list)
    reconcile_every: Duration | None = None
    """Overrides the top-level `reconcile_every` for Facebook."""


CONFIG = FacebookConfig
ENV = _meta.MetaEnv
WEB_URL = "https://www.facebook.com"
MESSENGER_PREFIX = "messenger:"
GUEST_PREFIX = "messenger-guest:"
"""A website chat-plugin guest: no PSID, only a `user_ref`, which the Send API also takes."""

COMMENT_MAX = 8_000
"""Characters Facebook accepts in one comment."""
MESSENGER_MAX = 2_000
"""Characters the Send API accepts in `message.text`."""
TEXT_MAX = TextMax(public=COMMENT_MAX, private=MESSENGER_MAX)
RETRY_WINDOW = _meta.RETRY_WINDOW
REPLY_RATE = ReplyRate(per_second=1.0, burst=5, unavailable_wait=30.0, retries=3)
"""Meta documents no per-second figure for a Page's comment replies: Page tokens fall under the
Business Use Case limits (a share of 4,800 calls per engaged user a day, reported in
X-Business-Use-Case-Usage; passing them answers error 32/613, mapped to RateLimited). One a
second stays far inside that for any Page a storm reaches, and keeps hundreds of replies from
looking like a spam burst."""
MESSAGING_WINDOW = timedelta(hours=24)
"""Standard messaging: a page may answer within 24 hours of the person's last message."""
PRIVATE_REPLY_WINDOW = timedelta(days=7)
"""A private reply to a comment or visitor post must be sent within 7 days of it."""
MENTION_FIELDS = "id,message,from{id,name},created_time,permalink_url"
"""What `enrich` reads of a post or comment that mentions the page."""

VERBS: Mapping[str, Change] = {
    "add": Change.ADD,
    "edited": Change.EDITED,
    "edit": Change.EDITED,
    "remove": Change.REMOVED,
}
"""Verbs that are news to staff (Meta sends both `edited` and `edit`, the latter for visitor
posts); `hide`/`unhide` and the rest are the page's own moderation."""
POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})
"""Feed items that are a visitor's own post on the page (`share`: a link shared onto it)."""

_MAX_SECONDS = 253_402_300_799.0  # 9999-12-31T23:59:59Z
_MS_THRESHOLD = 100_000_000_000  # unix seconds reach this in the year 5138: larger values are ms


# -- reading JSON with a path for every complaint ----------------------------------------------


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"{where}: expected an object")
    return value


def _required(obj: dict[str, Any], key: str, where: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise BadPayload(f"{where}.{key}: missing")
    return value


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    """An optional list: absent means empty, anything else but a list is malformed."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload(f"{where}.{key}: expected a list")
    return value


def _id(value: Any, where: str) -> str:
    """Meta sends ids as strings; a bare number is accepted, anything else is not an id."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadPayload(f"{where}: expected an id")
    text = str(value).strip()
    if not text:
        raise BadPayload(f"{where}: empty id")
    return text


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadPayload(f"{where}: expected a string")
    return value


def _optional_str(value: Any) -> str:
    """Decorative fields (names, links) of the wrong type are dropped, not fatal."""
    return value if isinstance(value, str) else ""


def _timestamp(value: Any, where: str) -> datetime:
    """Unix seconds (feed), unix milliseconds (Messenger), either as a string, or ISO 8601."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return _iso_time(value, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadPayload(f"{where}: expected a unix time")
    seconds = value / 1000 if abs(value) >= _MS_THRESHOLD else float(value)
    if not (math.isfinite(seconds) and 0 <= seconds <= _MAX_SECONDS):
        raise BadPayload(f"{where}: time out of range")
    return datetime.fromtimestamp(seconds, UTC)


def _iso_time(value: str, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadPayload(f"{where}: not a time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# -- inbound -------------------------------------------------------------------------------------


class _NoSender(BadPayload):
    """A messaging event naming nobody we could answer (neither `sender.id` nor `user_ref`)."""


def parse_body(body: bytes, pages: frozenset[str]) -> Parsed:
    """A verified `object: page` webhook body -> mentions for the configured `pages`.

    Only a body that is not Meta's envelope (`object: page` with an `entry` list) is refused;
    an entry, change or messaging event that cannot be read is skipped with its reason and
    the rest of the batch still counts (Meta retries a refused batch until it gives up)."""
    try:
        data = _json.loads(body)
    except (ValueError, RecursionError):
        raise BadPayload("body is not JSON") from None
    root = _object(data, "body")
    kind = root.get("object")
    if kind != "page":
        got = f"'{kind[:40]}'" if isinstance(kind, str) else "no object name"
        raise BadPayload(
            f"object: expected 'page', got {got} (Instagram events belong at /webhooks/instagram)"
        )
    entries = _required(root, "entry", "body")
    if not isinstance(entries, list):
        raise BadPayload("entry: expected a list")
    parsed = Parsed()
    for index, raw in enumerate(entries):
        where = f"entry[{index}]"
        try:
            entry = _object(raw, where)
            page_id = _id(entry.get("id"), f"{where}.id")
            if page_id not in pages:
                continue
            items = _items(entry, where)
        except BadPayload as exc:
            held = _meta.entry_body("page", raw)
            parsed.skipped.append(Skipped.of(SkipReason.MALFORMED, exc.reason, held))
            continue
        entry_time = (entry.get("time"), f"{where}.time")
        for at, key, item, read in items:
            try:
                mention = read(item, page_id, entry_time, at)
            except BadPayload as exc:
                why = SkipReason.NO_SENDER if isinstance(exc, _NoSender) else SkipReason.MALFORMED
                held = _meta.item_body("page", entry, key, item)
                parsed.skipped.append(Skipped.of(why, exc.reason, held))
            else:
                if mention is not None:
                    parsed.mentions.append(mention)
    return parsed


_Reader = Callable[[Any, str, tuple[Any, str], str], "Mention | None"]


def _items(entry: dict[str, Any], where: str) -> list[tuple[str, str, Any, _Reader]]:
    """Each change and messaging event of an entry: where, in which list, the item, and the
    function that reads it."""
    changes = _list(entry, "changes", where)
    messaging = _list(entry, "messaging", where)
    return [
        *((f"{where}.changes[{i}]", "changes", raw, _change) for i, raw in enumerate(changes)),
        *(
            (f"{where}.messaging[{i}]", "messaging", raw, _messaging)
            for i, raw in enumerate(messaging)
        ),
    ]


def _change(raw: Any, page_id: str, entry_time: tuple[Any, str], at: str) -> Mention | None:
    change = _object(raw, at)
    field = change.get("field")
    if field not in ("feed", "ratings", "mention"):
        return None
    value = _object(_required(change, "value", at), f"{at}.value")
    if field == "mention":
        return _page_mention(value, page_id, entry_time, f"{at}.value")
    if field == "ratings" and value.get("item") == "rating":
        return _rating(value, page_id, entry_time, f"{at}.value")
    return _feed(value, page_id, entry_time, at)  # ratings: comments on a review read the same


def _feed(
    value: dict[str, Any], page_id: str, entry_time: tuple[Any, str], at: str
) -> Mention | None:
    """A comment, reply, visitor post or share (added, edited, removed); None for the rest."""
    where = f"{at}.value"
    verb, item = value.get("verb"), value.get("item")
    change = VERBS.get(verb) if isinstance(verb, str) else None
    if change is None or not isinstance(item, str) or not (item == "comment" or item in POST_ITEMS):
        return None
    author = _author(value, where)
    if author.id == page_id:
        return None
    post_id = _id(_required(value, "post_id", where), f"{where}.post_id")
    if item == "comment":
        external_id = _id(_required(value, "comment_id", where), f"{where}.comment_id")
        raw_parent = value.get("parent_id")
        parent = post_id if raw_parent is None else _id(raw_parent, f"{where}.parent_id")
        kind = Kind.COMMENT if parent == post_id else Kind.REPLY
    else:
        external_id, parent, kind = post_id, None, Kind.COMMENT
    return Mention(
        platform=PLATFORM,
        account=page_id,
        external_id=external_id,
        conversation_id=post_id,
        parent_id=parent,
        author=author,
        text=_feed_text(value, where),
        url=_feed_url(value.get("post"), external_id),
        created_at=_created(value, entry_time, where),
        kind=kind,
        change=change,
    )


def _rating(
    value: dict[str, Any], page_id: str, entry_time: tuple[Any, str], where: str
) -> Mention | None:
    """A recommendation (review) of the page: a case when it has words, not for bare stars.

    Its `open_graph_story_id` is the review's story: the thread staff answer in."""
    verb = value.get("verb")
    change = VERBS.get(verb) if isinstance(verb, str) else None
    text = _text(value.get("review_text"), f"{where}.review_text").strip()
    if change is None or (change is not Change.REMOVED and not text):
        return None
    story = _id(_required(value, "open_graph_story_id", where), f"{where}.open_graph_story_id")
    reviewer = value.get("reviewer_id")
    author = Author(
        id="" if reviewer is None else _id(reviewer, f"{where}.reviewer_id"),
        name=_optional_str(value.get("reviewer_name")),
    )
    return Mention(
        platform=PLATFORM,
        account=page_id,
        external_id=story,
        conversation_id=story,
        author=author,
        text=f"{_verdict(value)} {text}".strip() if text else "",
        url=f"{WEB_URL}/{quote(story, safe='')}",
        created_at=_created(value, entry_time, where, required=False),
        kind=Kind.COMMENT,
        change=change,
    )


def _verdict(value: dict[str, Any]) -> str:
    """`[recommends]`, `[does not recommend]` or `[rating 4/5]`: what the reviewer chose."""
    kind = _optional_str(value.get("recommendation_type")).lower()
    if kind in ("positive", "negative"):
        return "[recommends]" if kind == "positive" else "[does not recommend]"
    rating = value.get("rating")
    if isinstance(rating, int) and not isinstance(rating, bool) and 1 <= rating <= 5:
        return f"[rating {rating}/5]"
    return "[review]"


def _page_mention(
    value: dict[str, Any], page_id: str, entry_time: tuple[Any, str], where: str
) -> Mention | None:
    """The page @mentioned in a post or comment elsewhere. The webhook may carry neither the
    text nor the author: `enrich` reads the post or comment through the Graph API."""
    verb, item = value.get("verb"), value.get("item")
    change = VERBS.get(verb) if isinstance(verb, str) else None
    if change is None or item not in ("post", "comment"):
        return None
    author = _author(value, where)
    if author.id == page_id:
        return None
    post_id = _id(_required(value, "post_id", where), f"{where}.post_id")
    external_id = (
        _id(_required(value, "comment_id", where), f"{where}.comment_id")
        if item == "comment"
        else post_id
    )
    return Mention(
        platform=PLATFORM,
        account=page_id,
        external_id=external_id,
        conversation_id=post_id,
        author=author,
        text=_text(value.get("message"), f"{where}.message"),
        url=f"{WEB_URL}/{quote(external_id, safe='')}",
        created_at=_created(value, entry_time, where, required=False),
        kind=Kind.MENTION,
        change=change,
    )


def _created(
    value: dict[str, Any], entry_time: tuple[Any, str], where: str, *, required: bool = True
) -> datetime:
    """`created_time`, else the entry's `time`: a missing stamp must not cost the item."""
    created = value.get("created_time")
    fallback, fallback_where = entry_time
    if created is None and fallback is not None:
        return _timestamp(fallback, fallback_where)
    if created is None and not required:
        return utcnow()
    return _timestamp(_required(value, "created_time", where), f"{where}.created_time")


def _author(value: dict[str, Any], where: str) -> Author:
    """`from {id, name}`, or the older `sender_id` / `sender_name`; Meta sometimes sends
    neither, and the item still counts (author "")."""
    raw = value.get("from")
    if raw is None:
        sender = value.get("sender_id")
        return Author(
            id="" if sender is None else _id(sender, f"{where}.sender_id"),
            name=_optional_str(value.get("sender_name")),
        )
    person = _object(raw, f"{where}.from")
    raw_id = person.get("id")
    return Author(
        id="" if raw_id is None else _id(raw_id, f"{where}.from.id"),
        name=_optional_str(person.get("name")),
    )


def _feed_text(value: dict[str, Any], where: str) -> str:
    """The message, plus a line per photo, video or shared link so staff see what was posted."""
    lines = [_text(value.get("message"), f"{where}.message")]
    for key, label in (("photo", "photo"), ("video", "video")):
        media = _optional_str(value.get(key))
        if media:
            lines.append(f"[{label}] {media}")
    photos = value.get("photos")
    if isinstance(photos, list):
        lines.extend(f"[photo] {url}" for url in photos if _optional_str(url))
    link = _optional_str(value.get("link"))
    if link and value.get("item") in ("photo", "video", "share"):
        lines.append(f"[{'link' if value['item'] == 'share' else value['item']}] {link}")
    return "\n".join(line for line in lines if line)


def _feed_url(post: Any, item_id: str) -> str:
    permalink = _optional_str(post.get("permalink_url")) if isinstance(post, dict) else ""
    if permalink.startswith(("https://", "http://")):
        return permalink
    return f"{WEB_URL}/{quote(item_id, safe='')}"


def _messaging(raw: Any, page_id: str, entry_time: tuple[Any, str], at: str) -> Mention | None:
    """A message, an edit or removal of one, or a postback; None for receipts and the rest."""
    event = _object(raw, at)
    if "message" in event:
        message = _object(event["message"], f"{at}.message")
        if message.get("is_echo"):
            return None
        mid = _id(_required(message, "mid", f"{at}.message"), f"{at}.message.mid")
        if message.get("is_deleted") is True:  # the person unsent it
            return _dm(event, page_id, at, mid, "", Change.REMOVED, None)
        text = _message_text(message, f"{at}.message")
        return _dm(event, page_id, at, mid, text, Change.ADD, _reply_to(message))
    if "message_edit" in event:
        edit = _object(event["message_edit"], f"{at}.message_edit")
        mid = _id(_required(edit, "mid", f"{at}.message_edit"), f"{at}.message_edit.mid")
        text = _text(edit.get("text"), f"{at}.message_edit.text")
        return _dm(event, page_id, at, mid, text, Change.EDITED, None)
    if "postback" in event:
        postback = _object(event["postback"], f"{at}.postback")
        title = _optional_str(postback.get("title")).strip()
        if not title:
            return None
        raw_mid = postback.get("mid")
        mid = (
            _id(raw_mid, f"{at}.postback.mid")
            if raw_mid is not None
            else f"postback:{_sender(event, at)[1]}:{_required(event, 'timestamp', at)}"
        )
        return _dm(event, page_id, at, mid, f"[button] {title}", Change.ADD, None)
    return None


def _sender(event: dict[str, Any], at: str) -> tuple[str, str]:
    """(conversation prefix, id): a PSID, or the `user_ref` of a website chat-plugin guest,
    who has no PSID and is answered through `recipient.user_ref`."""
    if event.get("sender") is None:
        raise _NoSender(f"{at}.sender: missing")
    sender = _object(event["sender"], f"{at}.sender")
    if sender.get("id") is not None:
        return MESSENGER_PREFIX, _id(sender["id"], f"{at}.sender.id")
    if sender.get("user_ref") is not None:
        return GUEST_PREFIX, _id(sender["user_ref"], f"{at}.sender.user_ref")
    raise _NoSender(f"{at}.sender: neither id nor user_ref")


def _dm(
    event: dict[str, Any],
    page_id: str,
    at: str,
    mid: str,
    text: str,
    change: Change,
    parent: str | None,
) -> Mention | None:
    prefix, person = _sender(event, at)
    if person == page_id:
        return None
    return Mention(
        platform=PLATFORM,
        account=page_id,
        external_id=mid,
        conversation_id=prefix + person,
        parent_id=parent,
        author=Author(id=person),
        text=text,
        created_at=_timestamp(_required(event, "timestamp", at), f"{at}.timestamp"),
        kind=Kind.DM,
        change=change,
    )


def _message_text(message: dict[str, Any], where: str) -> str:
    lines = [_text(message.get("text"), f"{where}.text")]
    for index, raw in enumerate(_list(message, "attachments", where)):
        lines.extend(_attachment_lines(_object(raw, f"{where}.attachments[{index}]")))
    text = "\n".join(line for line in lines if line)
    return text or "[a message without text]"


def _attachment_lines(attachment: dict[str, Any]) -> list[str]:
    """`[image] https://…`: what it is and where staff can open it; a location with a map
    link, a template or product with the titles of its elements."""
    payload = attachment.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    kind = _optional_str(attachment.get("type")) or "attachment"
    if payload.get("sticker_id") is not None:
        kind = "sticker"
    title = _optional_str(attachment.get("title")) or _optional_str(payload.get("title"))
    if kind == "location":
        return [_line("location", title, _map_link(payload.get("coordinates")))]
    elements = _elements(payload)
    if elements:
        label = "product" if isinstance(payload.get("product"), dict) else kind
        return [_line(label, *element) for element in elements]
    url = _optional_str(payload.get("url")) or _optional_str(attachment.get("url"))
    return [_line(kind, title, url)]


def _line(kind: str, *parts: str) -> str:
    return " ".join(part for part in (f"[{kind}]", *parts) if part)


def _elements(payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(title, subtitle, link) of each element of a generic template or a product."""
    product = payload.get("product")
    raw = product.get("elements") if isinstance(product, dict) else payload.get("elements")
    if not isinstance(raw, list):
        return []
    out = []
    for element in raw:
        if not isinstance(element, dict):
            continue
        action = element.get("default_action")
        link = _optional_str(element.get("url")) or (
            _optional_str(action.get("url")) if isinstance(action, dict) else ""
        )
        title = _optional_str(element.get("title"))
        subtitle = _optional_str(element.get("subtitle"))
        if title or subtitle or link:
            out.append((title, f"({subtitle})" if subtitle else "", link))
    return out


def _map_link(coordinates: Any) -> str:
    """An OpenStreetMap link for Messenger's `coordinates {lat, long}`, when they are sane."""
    if not isinstance(coordinates, dict):
        return ""
    lat, lon = coordinates.get("lat"), coordinates.get("long")
    numbers = [v for v in (lat, lon) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 2 or not all(math.isfinite(v) for v in numbers):
        return ""
    lat_f, lon_f = float(numbers[0]), float(numbers[1])
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        return ""
    return f"https://www.openstreetmap.org/?mlat={lat_f:.6f}&mlon={lon_f:.6f}#map=16/{lat_f:.6f}/{lon_f:.6f}"


def _reply_to(message: dict[str, Any]) -> str | None:
    """The mid a message answers (Messenger's swipe-to-reply), when it names one."""
    reply_to = message.get("reply_to")
    mid = reply_to.get("mid") if isinstance(reply_to, dict) else None
    return (mid.strip() or None) if isinstance(mid, str) else None


# -- outbound ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphCall:
    """One Graph API call answering a mention: `POST {GRAPH_API_URL}/{path}` with `payload`."""

    path: str
    payload: dict[str, Any]
    messenger: bool


def request_for(reply: Reply) -> GraphCall:
    """Where and how Facebook takes this answer (pure, so the routing is tested on its own)."""
    mention = reply.in_reply_to
    page = quote(mention.account, safe="")
    if mention.kind is Kind.DM:
        if mention.conversation_id.startswith(GUEST_PREFIX):
            guest = mention.conversation_id.removeprefix(GUEST_PREFIX)
            return _send_api(page, {"user_ref": guest}, reply.text)
        psid = mention.conversation_id.removeprefix(MESSENGER_PREFIX)
        return _send_api(page, {"id": psid}, reply.text)
    is_post = mention.external_id == mention.conversation_id
    if reply.private:
        recipient = {"post_id" if is_post else "comment_id": mention.external_id}
        return _send_api(page, recipient, reply.text)
    # Facebook threads comments one level deep: a reply to a reply goes under its parent.
    target = mention.parent_id if mention.kind is Kind.REPLY and mention.parent_id else None
    target = target or mention.external_id
    return GraphCall(f"{quote(target, safe='')}/comments", {"message": reply.text}, False)


def _send_api(page: str, recipient: dict[str, str], text: str) -> GraphCall:
    payload = {"recipient": recipient, "messaging_type": "RESPONSE", "message": {"text": text}}
    return GraphCall(f"{page}/messages", payload, True)


def _window_problem(reply: Reply, now: datetime) -> str | None:
    """Messenger's 24-hour window for a DM, the 7-day limit for a private reply to a comment."""
    mention = reply.in_reply_to
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if mention.kind is Kind.DM:
        closes = mention.created_at + MESSAGING_WINDOW
        if now >= closes:
            return (
                f"the 24-hour Messenger window closed at {_clock(closes, now)}; "
                "Messenger no longer accepts a reply from the page"
            )
    elif reply.private:
        closes = mention.created_at + PRIVATE_REPLY_WINDOW
        item = "post" if mention.external_id == mention.conversation_id else "comment"
        if now >= closes:
            return (
                f"a private reply must be sent within 7 days of the {item}; that window closed "
                f"at {_clock(closes, now)}; answer publicly instead"
            )
    return None


def _clock(at: datetime, now: datetime) -> str:
    """`14:05 UTC`, with the date when it was not today."""
    at = at.astimezone(UTC)
    same_day = at.date() == now.astimezone(UTC).date()
    return at.strftime("%H:%M UTC") if same_day else at.strftime("%H:%M UTC on %Y-%m-%d")


class FacebookAdapter:
    """Facebook Pages and Messenger for the pages listed in the config."""

    name = PLATFORM
    max_length: int | None = MESSENGER_MAX
    """The stricter of the two limits; `check` applies the one of the reply's channel."""

    def __init__(
        self,
        *,
        app_secret: str | None,
        verify_token: str | None,
        api_url: str,
        pages: list[Account],
        token: Callable[[str], str | None],
        http: httpx.AsyncClient,
    ) -> None:
        self._app_secret = app_secret
        self._verify_token = verify_token
        self._api_url = api_url.rstrip("/")
        self._pages = {page.id: page for page in pages}
        self._page_ids = frozenset(self._pages)
        self._token_of = token
        self._http = http

    def verify(self, body: bytes, headers: Mapping[str, str]) -> None:
        _meta.verify(self._app_secret, body, _signature_header(headers))

    def parse(self, body: bytes, headers: Mapping[str, str]) -> Parsed:
        return parse_body(body, self._page_ids)

    def handshake(self, query: Mapping[str, str]) -> Response:
        return _meta.handshake(self._verify_token, query)

    async def enrich(self, mention: Mention) -> Mention:
        """Read a page mention's post or comment (the webhook may carry neither its text nor
        its author); NotSent when it cannot be read now, PermanentError when it is gone."""
        if mention.kind is not Kind.MENTION or (mention.text and mention.author.id):
            return mention
        token = self._token(mention.account)
        data = await _meta.graph_get(
            self._http,
            f"{self._api_url}/{quote(mention.external_id, safe='')}",
            token=token,
            platform=PLATFORM,
            params={"fields": MENTION_FIELDS},
        )
        return _read_mention(mention, data)

    async def recent(self, since: datetime) -> Listing:
        """Comments, visitor posts and Messenger messages of every page since `since`, read
        through the Graph API (reconciliation); stops at the first refusal or throttle."""
        found: list[Mention] = []
        calls = 0
        for page_id in self._pages:
            try:
                token = self._token(page_id)
            except PermanentError as exc:
                return Listing(found, calls, exc.reason)
            reader = _meta.GraphReader(self._http, self._api_url, token, PLATFORM)
            try:
                await list_page(reader, page_id, since, found)
            except NotSent as exc:
                return Listing(found, calls + reader.calls, exc.reason)
            calls += reader.calls
        return Listing(found, calls)

    def length(self, text: str) -> int:
        return len(text)

    def check(self, reply: Reply, now: datetime) -> str | None:
        mention = reply.in_reply_to
        if mention.change is Change.REMOVED:
            return "the person removed this on Facebook; there is nothing left to answer"
        return _window_problem(reply, now) or self._length_problem(reply)

    def _length_problem(self, reply: Reply) -> str | None:
        if not reply.text.strip():
            return "the reply is empty"
        messenger = reply.private or reply.in_reply_to.kind is Kind.DM
        limit = MESSENGER_MAX if messenger else COMMENT_MAX
        count = self.length(reply.text)
        if count > limit:
            where = "Messenger" if messenger else "a Facebook comment"
            return f"the reply is {count:,} characters; {where} allows {limit:,}"
        return None

    async def reply(self, reply: Reply) -> Published:
        token = self._token(reply.in_reply_to.account)
        request = request_for(reply)
        data = await _meta.graph_post(
            self._http,
            f"{self._api_url}/{request.path}",
            token=token,
            platform=PLATFORM,
            payload=request.payload,
        )
        if request.messenger:
            return Published(id=_answer_id(data, "message_id"))
        reply_id = _answer_id(data, "id")
        return Published(id=reply_id, url=f"{WEB_URL}/{quote(reply_id, safe='')}")

    def _token(self, page_id: str) -> str:
        page = self._pages.get(page_id)
        if page is None:
            raise PermanentError(
                f"Facebook page {page_id} is not listed in platforms.facebook.pages"
            )
        if not page.token_env:
            raise PermanentError(f"Facebook page {page_id} has no token_env in the config")
        token = self._token_of(page.token_env)
        if not token:
            raise PermanentError(
                f"{page.token_env} is not set: it should hold the page token of {page_id}"
            )
        return token


def _read_mention(mention: Mention, data: dict[str, Any]) -> Mention:
    """The mention with what the Graph API says of its post or comment filled in."""
    author = data.get("from")
    author = author if isinstance(author, dict) else {}
    raw_id = author.get("id")
    found_id = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
    text = _optional_str(data.get("message"))
    permalink = _optional_str(data.get("permalink_url"))
    created = data.get("created_time")
    try:
        when = _timestamp(created, "created_time") if created is not None else None
    except BadPayload:
        when = None
    return mention.model_copy(
        update={
            "text": mention.text or text or "[Facebook gave no text]",
            "author": mention.author
            if mention.author.id
            else Author(id=found_id, name=_optional_str(author.get("name"))),
            "url": permalink if permalink.startswith("https://") else mention.url,
            "created_at": when or mention.created_at,
        }
    )


def _answer_id(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return str(value)
    raise OutcomeUnknown(
        f"{PLATFORM} accepted the request but did not return the {key}: check the page"
    )


def _signature_header(headers: Mapping[str, str]) -> Mapping[str, str]:
    """`_meta.verify` looks the header up by its canonical name; a plain dict may differ in case."""
    if _meta.SIGNATURE_HEADER in headers:
        return headers
    wanted = _meta.SIGNATURE_HEADER.lower()
    given = next((v for k, v in headers.items() if k.lower() == wanted), "")
    return {_meta.SIGNATURE_HEADER: given}


# -- listing (reconciliation) ------------------------------------------------------------------

LIST_COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id}"
FEED_PAGE = 25
"""Posts per feed page; each carries its newest comments, so a quiet post costs no call."""
COMMENTS_PAGE = 100
"""Comments per page when a post has more new ones than its feed entry carried."""
FEED_FIELDS = (
    "id,created_time,updated_time,message,permalink_url,from{id,name},"
    f"comments.filter(stream).order(reverse_chronological).limit({FEED_PAGE}){{{LIST_COMMENT_FIELDS}}}"
)
CONVERSATION_FIELDS = "id,updated_time,messages.limit(20){id,message,from{id,name},created_time}"
"""Meta gives the details of a conversation's 20 most recent messages."""
MAX_LIST_PAGES = 200
"""Pages of one listing read in one pass at most (a runaway listing must end)."""


async def list_page(
    reader: _meta.GraphReader, page_id: str, since: datetime, found: list[Mention]
) -> None:
    """Append to `found` what the page holds since `since`, as the webhook would have sent it:
    posts updated since then (`since` applies to a post's `updated_time`, which a new comment
    moves) with their comments newest first, then Messenger conversations updated since then."""
    page = quote(page_id, safe="")
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        params = {"fields": FEED_FIELDS, "limit": str(FEED_PAGE), "since": _unix(since)}
        data = await reader.get(f"{page}/feed", params | ({"after": cursor} if cursor else {}))
        for post in _meta.listed(data):
            await _list_post(reader, page_id, post, since, found)
        cursor = _meta.after(data)
        if cursor is None:
            break
    await _list_conversations(reader, page_id, since, found)


async def _list_post(
    reader: _meta.GraphReader,
    page_id: str,
    post: dict[str, Any],
    since: datetime,
    found: list[Mention],
) -> None:
    post_id = post.get("id")
    if not isinstance(post_id, str) or not post_id:
        return
    created = _meta.graph_time(post.get("created_time"))
    if created is not None and created >= since:
        _keep(found, _listed_post(post, post_id, page_id))
    comments = post.get("comments")
    permalink = post.get("permalink_url")
    for _ in range(MAX_LIST_PAGES):
        items = _meta.listed(comments)
        for comment in items:
            when = _meta.graph_time(comment.get("created_time"))
            if when is None or when < since:
                return  # newest first: the rest are older
            _keep(found, _listed_comment(comment, post_id, permalink, page_id))
        cursor = _meta.after(comments)
        if cursor is None or not items:
            return
        params = {
            "fields": LIST_COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": str(COMMENTS_PAGE),
            "after": cursor,
        }
        comments = await reader.get(f"{quote(post_id, safe='')}/comments", params)


async def _list_conversations(
    reader: _meta.GraphReader, page_id: str, since: datetime, found: list[Mention]
) -> None:
    """Conversations come most recently updated first and have no time filter: read pages
    until one was last updated before `since`."""
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        params = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": "25"}
        data = await reader.get(
            f"{quote(page_id, safe='')}/conversations",
            params | ({"after": cursor} if cursor else {}),
        )
        for conversation in _meta.listed(data):
            updated = _meta.graph_time(conversation.get("updated_time"))
            if updated is not None and updated < since:
                return
            for message in _meta.listed(conversation.get("messages")):
                when = _meta.graph_time(message.get("created_time"))
                if when is not None and when >= since:
                    _keep(found, _listed_message(message, when, page_id))
        cursor = _meta.after(data)
        if cursor is None:
            return


def _keep(found: list[Mention], read: Callable[[], Mention | None]) -> None:
    """Read one listed item with the webhook's own functions; one odd item is skipped."""
    try:
        mention = read()
    except BadPayload as exc:
        log.info("facebook: a listed item was skipped: %s", exc.reason)
        return
    if mention is not None:
        found.append(mention)


def _listed_post(post: dict[str, Any], post_id: str, page_id: str) -> Callable[[], Mention | None]:
    """A visitor's post, shaped as its `feed` webhook value (the page's own posts drop out)."""
    value = {
        "item": "post",
        "verb": "add",
        "post_id": post_id,
        "from": post.get("from"),
        "message": post.get("message"),
        "created_time": post.get("created_time"),
        "post": {"permalink_url": post.get("permalink_url")},
    }
    return lambda: _feed(value, page_id, (None, "post"), f"post {post_id}")


def _listed_comment(
    comment: dict[str, Any], post_id: str, permalink: Any, page_id: str
) -> Callable[[], Mention | None]:
    """A comment or reply, shaped as its `feed` webhook value."""
    parent = comment.get("parent")
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": comment.get("id"),
        "post_id": post_id,
        "parent_id": parent.get("id") if isinstance(parent, dict) else post_id,
        "from": comment.get("from"),
        "message": comment.get("message"),
        "created_time": comment.get("created_time"),
        "post": {"permalink_url": permalink},
    }
    return lambda: _feed(value, page_id, (None, "comment"), f"comment of {post_id}")


def _listed_message(
    message: dict[str, Any], when: datetime, page_id: str
) -> Callable[[], Mention | None]:
    """A Messenger message, shaped as its webhook event (the page's own answers drop out)."""
    sender = message.get("from")
    event = {
        "sender": {"id": sender.get("id")} if isinstance(sender, dict) else None,
        "recipient": {"id": page_id},
        "timestamp": int(when.timestamp() * 1000),
        "message": {"mid": message.get("id"), "text": message.get("message")},
    }
    return lambda: _messaging(event, page_id, (None, "message"), "message")


def _unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def create(ctx: AdapterContext) -> FacebookAdapter:
    env = ctx.settings.platform_env(_meta.MetaEnv)
    return FacebookAdapter(
        app_secret=env.app_secret,
        verify_token=env.verify_token,
        api_url=env.api_url,
        pages=ctx.section(PLATFORM, FacebookConfig).pages,
        token=ctx.settings.token,
        http=ctx.http,
    )


def required_env(settings: Environment, section: FacebookConfig) -> list[EnvProblem]:
    return _meta.required_env(settings, PLATFORM, section)
