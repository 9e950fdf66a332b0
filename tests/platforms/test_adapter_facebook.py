"""The Facebook adapter: Meta's page webhooks in, Graph API replies out.

Inbound bodies are the shared fixtures (and more of the same shapes), signed as Meta signs them;
replies go through the real httpx client to `tests.fakes.graph.FakeGraph`, a local server speaking
the Graph API's wire format, so every request is asserted as the platform would receive it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import base
from adapters.base import AdapterContext, ChecksDrafts, Enriches, Parsed, Published, SkipReason
from adapters.errors import (
    BadPayload,
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    PlatformError,
    RateLimited,
)
from adapters.facebook import FacebookAdapter, create, request_for
from chatops import keys
from chatops.config import load_config_text
from chatops.domain import Author, Change, Kind, Mention, Reply
from chatops.metrics import Metrics
from chatops.settings import Settings
from chatops.store import Store
from chatops.web import build_app
from tests.fakes.graph import FakeGraph, graph_error

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "meta"

PAGE = "1122334455"
OTHER_PAGE = "5566778899"
PAGE_TOKEN = "EAAG-page-token-se"
OTHER_TOKEN = "EAAG-page-token-no"
APP_SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"

CONFIG = f"""
platforms:
  facebook:
    pages:
      - {{id: "{PAGE}", name: Acme Sverige, token_env: FB_PAGE_TOKEN_SE}}
      - {{id: "{OTHER_PAGE}", name: Acme Norge, token_env: FB_PAGE_TOKEN_NO}}
      - {{id: "7777777777", name: Acme Danmark, token_env: FB_PAGE_TOKEN_DK}}
      - {{id: "8888888888", name: Acme Suomi}}
departments:
  - {{id: social, name: Social team, channel: C0SOCIAL}}
routing: {{default: social}}
"""

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def raw(data: Any) -> bytes:
    return json.dumps(data).encode()


def signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def settings_for(graph_url: str = "http://127.0.0.1:9/v25.0", **extra: str) -> Settings:
    env = {
        "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "GRAPH_API_URL": graph_url,
        "FB_PAGE_TOKEN_SE": PAGE_TOKEN,
        "FB_PAGE_TOKEN_NO": OTHER_TOKEN,
        **extra,
    }
    return Settings.from_env(env)


def make_adapter(
    graph_url: str = "http://127.0.0.1:9/v25.0",
    http: httpx.AsyncClient | None = None,
    **extra: str,
) -> FacebookAdapter:
    ctx = AdapterContext(
        settings=settings_for(graph_url, **extra),
        config=load_config_text(CONFIG, source="test.yaml"),
        http=http or httpx.AsyncClient(),
    )
    return create(ctx)


@pytest.fixture(scope="module")
def fb() -> FacebookAdapter:
    return make_adapter()


def parse_all(adapter: FacebookAdapter, data: Any) -> Parsed:
    body = data if isinstance(data, bytes) else raw(data)
    return adapter.parse(body, {"X-Hub-Signature-256": signature(body)})


def parse(adapter: FacebookAdapter, data: Any) -> list[Mention]:
    parsed = parse_all(adapter, data)
    assert parsed.skipped == [], parsed.skipped
    return parsed.mentions


def page_body(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": list(entries)}


def feed_entry(*values: dict[str, Any], page: str = PAGE, time: int = 1763884800) -> dict:
    return {
        "id": page,
        "time": time,
        "changes": [{"field": "feed", "value": value} for value in values],
    }


def comment(**overrides: Any) -> dict[str, Any]:
    value = copy.deepcopy(fixture("feed_comment_add")["entry"][0]["changes"][0]["value"])
    value.update(overrides)
    return value


def messaging_entry(*events: dict[str, Any], page: str = PAGE) -> dict[str, Any]:
    return {"id": page, "time": 1763885300123, "messaging": list(events)}


def message_event(message: dict[str, Any], psid: str = "7012345678901234", **extra: Any) -> dict:
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE},
        "timestamp": 1763885299456,
        "message": message,
        **extra,
    }


# -- the shared fixtures -----------------------------------------------------------------------


def test_top_level_comment_fixture(fb: FacebookAdapter) -> None:
    [m] = parse(fb, fixture("feed_comment_add"))
    assert m == Mention(
        platform="facebook",
        account=PAGE,
        external_id="778899_1001",
        conversation_id="1122334455_778899",
        parent_id="1122334455_778899",
        author=Author(id="6543210987", name="Karin Lund"),
        text="Varför har ni höjt fraktavgiften utan att säga något?",
        url="https://www.facebook.com/1122334455_778899",
        created_at=datetime.fromtimestamp(1763884790, UTC),
        kind=Kind.COMMENT,
        change=Change.ADD,
    )


def test_reply_fixture_joins_the_post_conversation(fb: FacebookAdapter) -> None:
    [m] = parse(fb, fixture("feed_comment_reply"))
    assert (m.kind, m.external_id, m.parent_id) == (Kind.REPLY, "778899_1002", "778899_1001")
    assert m.conversation_id == "1122334455_778899"
    assert m.author == Author(id="1231231231", name="Omar Diaz")
    assert m.created_at == datetime.fromtimestamp(1763884899, UTC)


def test_edited_fixture_is_the_same_item_with_new_text(fb: FacebookAdapter) -> None:
    [added] = parse(fb, fixture("feed_comment_add"))
    [edited] = parse(fb, fixture("feed_comment_edited"))
    assert edited.change is Change.EDITED
    assert edited.text.endswith("Svara!")
    assert edited.key == added.key
    assert edited.delivery_key != added.delivery_key
    assert edited.url == "https://www.facebook.com/778899_1001"  # no `post` in edits


def test_remove_fixture_has_no_text(fb: FacebookAdapter) -> None:
    [m] = parse(fb, fixture("feed_comment_remove"))
    assert (m.change, m.text, m.external_id, m.kind) == (
        Change.REMOVED,
        "",
        "778899_1001",
        Kind.COMMENT,
    )


def test_visitor_post_fixture_opens_its_own_conversation(fb: FacebookAdapter) -> None:
    [m] = parse(fb, fixture("feed_visitor_post"))
    assert (m.kind, m.external_id, m.conversation_id, m.parent_id) == (
        Kind.COMMENT,
        "1122334455_990011",
        "1122334455_990011",
        None,
    )
    assert m.author == Author(id="5550001112", name="Henrik Berg")
    assert m.url == "https://www.facebook.com/1122334455_990011"
    assert m.text.startswith("Tre veckor")


def test_messenger_message_fixture(fb: FacebookAdapter) -> None:
    [m] = parse(fb, fixture("messenger_message"))
    assert m == Mention(
        platform="facebook",
        account=PAGE,
        external_id="m_AbCdEf0123456789",
        conversation_id="messenger:7012345678901234",
        author=Author(id="7012345678901234"),
        text="Hej! Jag behöver byta leveransadress på order 558812.",
        created_at=datetime.fromtimestamp(1763885299.456, UTC),
        kind=Kind.DM,
    )


def test_messenger_attachment_fixture_links_the_file(fb: FacebookAdapter) -> None:
    [m] = parse(fb, fixture("messenger_attachment"))
    assert m.text == "[image] https://scontent.example.invalid/broken-box.jpg"
    assert (m.kind, m.external_id) == (Kind.DM, "m_Att0123456789")


def test_messenger_echo_fixture_is_ours_and_ignored(fb: FacebookAdapter) -> None:
    assert parse(fb, fixture("messenger_echo")) == []


@pytest.mark.parametrize("name", ["instagram_comment", "instagram_mention"])
def test_instagram_fixtures_are_refused_with_a_pointer(fb: FacebookAdapter, name: str) -> None:
    with pytest.raises(BadPayload, match=r"'instagram'.*/webhooks/instagram"):
        parse(fb, fixture(name))


# -- more feed events ----------------------------------------------------------------------------


def test_everyone_on_one_post_joins_one_conversation(fb: FacebookAdapter) -> None:
    body = page_body(
        feed_entry(
            comment(),
            comment(comment_id="778899_1003", **{"from": {"id": "42", "name": "Ann"}}),
            comment(comment_id="778899_1004", parent_id="778899_1003"),
        )
    )
    mentions = parse(fb, body)
    assert {m.conversation_id for m in mentions} == {"1122334455_778899"}
    assert [m.kind for m in mentions] == [Kind.COMMENT, Kind.COMMENT, Kind.REPLY]
    assert len({m.conversation_key for m in mentions}) == 1


@pytest.mark.parametrize("item", ["status", "post", "photo", "video"])
def test_visitor_posts_of_every_item_type(fb: FacebookAdapter, item: str) -> None:
    value = {
        "from": {"id": "5550001112", "name": "Henrik Berg"},
        "message": "Hallå?",
        "post_id": f"{PAGE}_4242",
        "created_time": 1763885190,
        "item": item,
        "verb": "add",
        "published": 1,
    }
    [m] = parse(fb, page_body(feed_entry(value)))
    assert (m.external_id, m.conversation_id, m.kind) == (f"{PAGE}_4242", f"{PAGE}_4242", "comment")


def test_visitor_photo_post_shows_the_photo_link(fb: FacebookAdapter) -> None:
    value = {
        "from": {"id": "5550001112", "name": "Henrik Berg"},
        "link": "https://scontent.example.invalid/p.jpg",
        "message": "Trasig!",
        "post_id": f"{PAGE}_4243",
        "photo_id": "4243",
        "created_time": 1763885190,
        "item": "photo",
        "verb": "add",
    }
    [m] = parse(fb, page_body(feed_entry(value)))
    assert m.text == "Trasig!\n[photo] https://scontent.example.invalid/p.jpg"


def test_comment_with_a_photo_and_no_text(fb: FacebookAdapter) -> None:
    value = comment(photo="https://scontent.example.invalid/c.jpg")
    del value["message"]
    [m] = parse(fb, page_body(feed_entry(value)))
    assert m.text == "[photo] https://scontent.example.invalid/c.jpg"


@pytest.mark.parametrize(
    "value",
    [
        comment(verb="hide"),
        comment(verb="unhide"),
        comment(item="reaction", reaction_type="like"),
        comment(item="like"),
        comment(**{"from": {"id": PAGE, "name": "Acme Sverige"}}),
        {"item": "status", "verb": "add", "post_id": f"{PAGE}_1", "from": {"id": PAGE}},
        {"item": "comment", "verb": "unknown-future-verb", "post_id": f"{PAGE}_1"},
        {"item": "event", "verb": "add"},
    ],
    ids=[
        "hide",
        "unhide",
        "reaction",
        "like",
        "own-comment",
        "own-post",
        "future-verb",
        "other-item",
    ],
)
def test_ignored_feed_events(fb: FacebookAdapter, value: dict[str, Any]) -> None:
    assert parse(fb, page_body(feed_entry(value))) == []


def test_other_change_fields_are_ignored(fb: FacebookAdapter) -> None:
    entry = {
        "id": PAGE,
        "time": 1,
        "changes": [
            {"field": "leadgen", "value": {"whatever": True}},
            {"field": "conversations", "value": None},
            {"field": "feed", "value": comment()},
        ],
    }
    [m] = parse(fb, page_body(entry))
    assert m.external_id == "778899_1001"


def test_entries_of_unconfigured_pages_are_skipped_without_a_look(fb: FacebookAdapter) -> None:
    stranger = {"id": "999", "changes": "not even a list"}
    body = page_body(stranger, feed_entry(comment()), feed_entry(comment(), page="123"))
    [m] = parse(fb, body)
    assert m.account == PAGE


def test_a_batch_yields_every_mention_across_pages_and_kinds(fb: FacebookAdapter) -> None:
    many = [comment(comment_id=f"778899_{n}") for n in range(500)]
    entries = [
        feed_entry(*many),
        feed_entry(comment(comment_id="5_1", post_id=f"{OTHER_PAGE}_5"), page=OTHER_PAGE),
        messaging_entry(
            message_event({"mid": "m_1", "text": "a"}),
            message_event({"mid": "m_2", "text": "b"}, psid="99"),
        ),
    ]
    mentions = parse(fb, page_body(*entries))
    assert len(mentions) == 503
    assert {m.account for m in mentions} == {PAGE, OTHER_PAGE}
    assert [m.external_id for m in mentions[-2:]] == ["m_1", "m_2"]


def test_created_time_falls_back_to_the_entry_time(fb: FacebookAdapter) -> None:
    value = comment()
    del value["created_time"]
    [m] = parse(fb, page_body(feed_entry(value, time=1763884801)))
    assert m.created_at == datetime.fromtimestamp(1763884801, UTC)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (1763884790, datetime.fromtimestamp(1763884790, UTC)),
        ("1763884790", datetime.fromtimestamp(1763884790, UTC)),
        (1763884790123, datetime.fromtimestamp(1763884790.123, UTC)),
        ("2026-11-23T08:00:00+0000", T0),
        ("2026-11-23T08:00:00", T0),
    ],
)
def test_times_in_every_shape_meta_uses(
    fb: FacebookAdapter, stamp: Any, expected: datetime
) -> None:
    [m] = parse(fb, page_body(feed_entry(comment(created_time=stamp))))
    assert m.created_at == expected
    assert m.created_at.tzinfo is not None


def test_comment_without_from_keeps_an_empty_author(fb: FacebookAdapter) -> None:
    value = comment()
    del value["from"]
    [m] = parse(fb, page_body(feed_entry(value)))
    assert m.author == Author(id="")


def test_duplicate_deliveries_give_the_same_keys(fb: FacebookAdapter) -> None:
    for name in ("feed_comment_add", "feed_visitor_post", "messenger_message"):
        first, again = parse(fb, fixture(name)), parse(fb, fixture(name))
        assert [m.key for m in first] == [m.key for m in again]
        assert [m.delivery_key for m in first] == [m.delivery_key for m in again]


# -- more Messenger events -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attachment", "line"),
    [
        (
            {"type": "video", "payload": {"url": "https://v.invalid/1.mp4"}},
            "[video] https://v.invalid/1.mp4",
        ),
        (
            {"type": "file", "payload": {"url": "https://f.invalid/a.pdf"}},
            "[file] https://f.invalid/a.pdf",
        ),
        (
            {"type": "audio", "payload": {"url": "https://a.invalid/a.mp4"}},
            "[audio] https://a.invalid/a.mp4",
        ),
        (
            {
                "type": "image",
                "payload": {"url": "https://s.invalid/s.png", "sticker_id": 369239263222822},
            },
            "[sticker] https://s.invalid/s.png",
        ),
        (
            {
                "type": "fallback",
                "title": "Acme order",
                "url": "https://acme.invalid/o/1",
                "payload": None,
            },
            "[fallback] Acme order https://acme.invalid/o/1",
        ),
        ({"type": "template", "payload": {"template_type": "generic"}}, "[template]"),
        ({"payload": {"url": "https://x.invalid"}}, "[attachment] https://x.invalid"),
    ],
)
def test_attachments_become_lines_staff_can_open(
    fb: FacebookAdapter, attachment: dict[str, Any], line: str
) -> None:
    body = page_body(messaging_entry(message_event({"mid": "m_9", "attachments": [attachment]})))
    [m] = parse(fb, body)
    assert m.text == line


def test_text_and_attachments_together(fb: FacebookAdapter) -> None:
    message = {
        "mid": "m_10",
        "text": "Se bilderna",
        "attachments": [
            {"type": "image", "payload": {"url": "https://i.invalid/1.jpg"}},
            {"type": "image", "payload": {"url": "https://i.invalid/2.jpg"}},
        ],
    }
    [m] = parse(fb, page_body(messaging_entry(message_event(message))))
    assert m.text == "Se bilderna\n[image] https://i.invalid/1.jpg\n[image] https://i.invalid/2.jpg"


def test_a_message_with_nothing_to_show_still_arrives(fb: FacebookAdapter) -> None:
    [m] = parse(fb, page_body(messaging_entry(message_event({"mid": "m_11"}))))
    assert m.text == "[a message without text]"


def test_swipe_reply_names_its_parent(fb: FacebookAdapter) -> None:
    message = {"mid": "m_12", "text": "ja", "reply_to": {"mid": "m_earlier"}}
    [m] = parse(fb, page_body(messaging_entry(message_event(message))))
    assert m.parent_id == "m_earlier"


def test_quick_reply_is_its_text(fb: FacebookAdapter) -> None:
    message = {"mid": "m_13", "text": "Leverans", "quick_reply": {"payload": "DELIVERY"}}
    [m] = parse(fb, page_body(messaging_entry(message_event(message))))
    assert m.text == "Leverans"


def test_message_edit_is_an_edited_dm(fb: FacebookAdapter) -> None:
    event = {
        "sender": {"id": "7012345678901234"},
        "recipient": {"id": PAGE},
        "timestamp": 1763885399000,
        "message_edit": {
            "mid": "m_AbCdEf0123456789",
            "text": "Ny adress: Storgatan 1",
            "num_edit": 1,
        },
    }
    [m] = parse(fb, page_body(messaging_entry(event)))
    assert (m.kind, m.change, m.external_id, m.text) == (
        Kind.DM,
        Change.EDITED,
        "m_AbCdEf0123456789",
        "Ny adress: Storgatan 1",
    )


def test_postback_with_a_title_is_a_dm(fb: FacebookAdapter) -> None:
    event = {
        "sender": {"id": "7012345678901234"},
        "recipient": {"id": PAGE},
        "timestamp": "1527459824",
        "postback": {"mid": "m_pb1", "title": "Prata med oss", "payload": "HUMAN"},
    }
    [m] = parse(fb, page_body(messaging_entry(event)))
    assert (m.kind, m.text, m.external_id) == (Kind.DM, "[button] Prata med oss", "m_pb1")
    assert m.created_at == datetime.fromtimestamp(1527459824, UTC)


def test_postback_without_mid_gets_a_stable_id(fb: FacebookAdapter) -> None:
    event = {
        "sender": {"id": "70"},
        "recipient": {"id": PAGE},
        "timestamp": 1763885299456,
        "postback": {"title": "Get Started", "payload": "GET_STARTED"},
    }
    first = parse(fb, page_body(messaging_entry(event)))
    again = parse(fb, page_body(messaging_entry(event)))
    assert [m.external_id for m in first] == [m.external_id for m in again]
    assert first[0].external_id == "postback:70:1763885299456"


@pytest.mark.parametrize(
    "event",
    [
        {
            "sender": {"id": "70"},
            "recipient": {"id": PAGE},
            "timestamp": 1,
            "delivery": {"mids": ["m_1"], "watermark": 1},
        },
        {
            "sender": {"id": "70"},
            "recipient": {"id": PAGE},
            "timestamp": 1,
            "read": {"watermark": 1},
        },
        {
            "sender": {"id": "70"},
            "recipient": {"id": PAGE},
            "timestamp": 1,
            "reaction": {"mid": "m_1", "action": "react", "emoji": "❤"},
        },
        {"sender": {"id": "70"}, "recipient": {"id": PAGE}, "timestamp": 1, "optin": {"ref": "x"}},
        {
            "sender": {"id": "70"},
            "recipient": {"id": PAGE},
            "timestamp": 1,
            "postback": {"payload": "NO_TITLE"},
        },
        message_event({"mid": "m_own", "text": "from us"}, psid=PAGE),
    ],
    ids=["delivery", "read", "reaction", "optin", "postback-without-title", "sender-is-page"],
)
def test_ignored_messaging_events(fb: FacebookAdapter, event: dict[str, Any]) -> None:
    assert parse(fb, page_body(messaging_entry(event))) == []


def test_standby_events_of_another_app_are_ignored(fb: FacebookAdapter) -> None:
    entry = {"id": PAGE, "time": 1, "standby": [message_event({"mid": "m_sb", "text": "hi"})]}
    assert parse(fb, page_body(entry)) == []


# -- every documented variant (shapes from Meta's webhook references) -------------------------


def test_a_chat_plugin_guest_is_a_dm_answered_through_user_ref(fb: FacebookAdapter) -> None:
    guest = {
        "sender": {"user_ref": "ref-5550001"},
        "recipient": {"id": PAGE},
        "timestamp": 1763885299456,
        "message": {"mid": "m_guest", "text": "Hej från er webbplats"},
    }
    ordinary = message_event({"mid": "m_1", "text": "Hej"})
    guest_dm, plain = parse(fb, page_body(messaging_entry(guest, ordinary)))
    assert (guest_dm.kind, guest_dm.conversation_id, guest_dm.author.id) == (
        Kind.DM,
        "messenger-guest:ref-5550001",
        "ref-5550001",
    )
    assert plain.conversation_id == "messenger:7012345678901234"
    call = request_for(reply_to(guest_dm))
    assert (call.path, call.payload["recipient"]) == (
        f"{PAGE}/messages",
        {"user_ref": "ref-5550001"},
    )


def test_an_unsent_messenger_message_is_a_removal(fb: FacebookAdapter) -> None:
    [m] = parse(fb, page_body(messaging_entry(message_event({"mid": "m_1", "is_deleted": True}))))
    assert (m.change, m.text, m.external_id) == (Change.REMOVED, "", "m_1")


@pytest.mark.parametrize("verb", ["edit", "edited"])
def test_both_edit_verbs_are_edits(fb: FacebookAdapter, verb: str) -> None:
    post = {
        "item": "post",
        "verb": verb,
        "post_id": f"{PAGE}_7293",
        "message": "Rättat: ordern kom aldrig",
        "created_time": 1763884790,
        "from": {"id": 8423678347823, "name": "Joe"},
    }
    [m] = parse(fb, page_body(feed_entry(post)))
    assert (m.change, m.external_id, m.author.id) == (
        Change.EDITED,
        f"{PAGE}_7293",
        "8423678347823",
    )


def test_a_visitor_sharing_a_link_is_a_case_with_the_link(fb: FacebookAdapter) -> None:
    share = {
        "item": "share",
        "verb": "add",
        "share_id": 98735342324352,
        "post_id": f"{PAGE}_98735342324352",
        "from": {"id": "6543210987", "name": "Karin Lund"},
        "created_time": 1763884790,
        "message": "Titta vad de skriver om er",
        "link": "https://news.example.invalid/acme",
    }
    [m] = parse(fb, page_body(feed_entry(share)))
    assert (m.kind, m.external_id, m.conversation_id) == (
        Kind.COMMENT,
        share["post_id"],
        share["post_id"],
    )
    assert m.text == "Titta vad de skriver om er\n[link] https://news.example.invalid/acme"


def test_a_status_with_photos_keeps_every_photo(fb: FacebookAdapter) -> None:
    status = {
        "item": "status",
        "verb": "add",
        "photos": [
            "https://scontent.example.invalid/1.jpg",
            "https://scontent.example.invalid/2.jpg",
        ],
        "post_id": f"{PAGE}_9301",
        "from": {"id": "6543210987", "name": "Karin Lund"},
        "created_time": 1763884790,
        "message": "Så här såg paketet ut",
    }
    [m] = parse(fb, page_body(feed_entry(status)))
    assert m.text.splitlines() == [
        "Så här såg paketet ut",
        "[photo] https://scontent.example.invalid/1.jpg",
        "[photo] https://scontent.example.invalid/2.jpg",
    ]


def test_the_legacy_sender_shape_names_the_author_and_our_own(fb: FacebookAdapter) -> None:
    legacy = comment(sender_id=1231231231, sender_name="Omar Diaz")
    del legacy["from"]
    ours = comment(comment_id="778899_9", sender_id=int(PAGE), sender_name="Acme Sverige")
    del ours["from"]
    [m] = parse(fb, page_body(feed_entry(legacy, ours)))
    assert m.author == Author(id="1231231231", name="Omar Diaz")


def test_a_location_gets_a_map_link(fb: FacebookAdapter) -> None:
    location = {"type": "location", "payload": {"coordinates": {"lat": 59.3293, "long": 18.0686}}}
    [m] = parse(
        fb, page_body(messaging_entry(message_event({"mid": "m_1", "attachments": [location]})))
    )
    assert m.text == (
        "[location] https://www.openstreetmap.org/?mlat=59.329300&mlon=18.068600"
        "#map=16/59.329300/18.068600"
    )


@pytest.mark.parametrize(
    ("attachment", "lines"),
    [
        (
            {
                "type": "template",
                "payload": {
                    "product": {
                        "elements": [
                            {
                                "id": "1",
                                "retailer_id": "r1",
                                "title": "Ryggsäck 30 l",
                                "subtitle": "499 kr",
                            },
                            {"id": "2", "title": "Vattenflaska"},
                        ]
                    }
                },
            },
            ["[product] Ryggsäck 30 l (499 kr)", "[product] Vattenflaska"],
        ),
        (
            {
                "type": "template",
                "payload": {
                    "template_type": "generic",
                    "elements": [
                        {
                            "title": "Order 4411",
                            "default_action": {"url": "https://acme.invalid/o/4411"},
                        }
                    ],
                },
            },
            ["[template] Order 4411 https://acme.invalid/o/4411"],
        ),
        (
            {
                "type": "fallback",
                "title": "Acme blog",
                "url": "https://acme.invalid/blog",
                "payload": "BLOB",
            },
            ["[fallback] Acme blog https://acme.invalid/blog"],
        ),
        (
            {"type": "location", "payload": {"coordinates": {"lat": 91, "long": 0}}},
            ["[location]"],
        ),
    ],
    ids=["product", "generic-template", "fallback", "location-out-of-range"],
)
def test_templates_and_products_show_their_titles(
    fb: FacebookAdapter, attachment: dict[str, Any], lines: list[str]
) -> None:
    [m] = parse(
        fb, page_body(messaging_entry(message_event({"mid": "m_1", "attachments": [attachment]})))
    )
    assert m.text.splitlines() == lines


def rating(**overrides: Any) -> dict[str, Any]:
    value = {
        "item": "rating",
        "verb": "add",
        "open_graph_story_id": 904801129604590,
        "reviewer_id": 705955836155788,
        "reviewer_name": "Lena Holm",
        "rating": 2,
        "review_text": "Leveransen tog tre veckor.",
        "recommendation_type": "NEGATIVE",
        "created_time": 1763884790,
    }
    value.update(overrides)
    return value


def test_a_review_with_words_is_a_case_on_its_story(fb: FacebookAdapter) -> None:
    ratings = {"id": PAGE, "time": 1763884800, "changes": [{"field": "ratings", "value": rating()}]}
    [m] = parse(fb, page_body(ratings))
    assert (m.kind, m.external_id, m.conversation_id) == (
        Kind.COMMENT,
        "904801129604590",
        "904801129604590",
    )
    assert m.author == Author(id="705955836155788", name="Lena Holm")
    assert m.text == "[does not recommend] Leveransen tog tre veckor."
    assert request_for(reply_to(m)).path == "904801129604590/comments"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (rating(review_text=None), None),
        (rating(review_text="   "), None),
        (rating(verb="edit"), Change.EDITED),
        (rating(verb="remove", review_text=None), Change.REMOVED),
        (rating(item="like"), None),
    ],
    ids=["bare-stars", "blank-text", "edited", "removed", "like"],
)
def test_bare_star_ratings_are_not_cases(
    fb: FacebookAdapter, value: dict[str, Any], expected: Change | None
) -> None:
    entry = {"id": PAGE, "time": 1763884800, "changes": [{"field": "ratings", "value": value}]}
    found = parse(fb, page_body(entry))
    assert [m.change for m in found] == ([] if expected is None else [expected])


def test_a_comment_on_a_review_joins_the_review(fb: FacebookAdapter) -> None:
    value = {
        "item": "comment",
        "verb": "add",
        "comment_id": "904801129604590_904802532937783",
        "post_id": "904801129604590",
        "parent_id": "904801129604590",
        "sender_id": 705955836155788,
        "sender_name": "Lena Holm",
        "created_time": 1763884790,
        "message": "Och ingen svarar i telefon.",
    }
    entry = {"id": PAGE, "time": 1763884800, "changes": [{"field": "ratings", "value": value}]}
    [m] = parse(fb, page_body(entry))
    assert (m.conversation_id, m.author.name, m.kind) == (
        "904801129604590",
        "Lena Holm",
        Kind.COMMENT,
    )


@pytest.mark.parametrize(
    ("value", "external_id"),
    [
        (
            {
                "item": "post",
                "verb": "add",
                "post_id": "44444444_5555",
                "sender_id": 44444444,
                "sender_name": "Per Ek",
            },
            "44444444_5555",
        ),
        (
            {
                "item": "comment",
                "verb": "add",
                "post_id": "44444444_5555",
                "comment_id": "5555_6666",
                "message": "@Acme Sverige varför svarar ni inte?",
                "created_time": 1763884790,
            },
            "5555_6666",
        ),
    ],
    ids=["post", "comment"],
)
def test_a_mention_of_the_page_elsewhere_is_a_mention(
    fb: FacebookAdapter, value: dict[str, Any], external_id: str
) -> None:
    entry = {"id": PAGE, "time": 1763884800, "changes": [{"field": "mention", "value": value}]}
    [m] = parse(fb, page_body(entry))
    assert (m.kind, m.external_id, m.conversation_id) == (
        Kind.MENTION,
        external_id,
        "44444444_5555",
    )
    assert request_for(reply_to(m)).path == f"{external_id}/comments"


async def test_enrich_reads_the_post_that_mentions_the_page(
    live: FacebookAdapter, graph: FakeGraph
) -> None:
    assert isinstance(live, Enriches)
    graph.objects["44444444_5555"] = {
        "message": "Har någon annan väntat på Acme i veckor?",
        "from": {"id": "44444444", "name": "Per Ek"},
        "created_time": "2026-11-23T07:00:00+0000",
        "permalink_url": "https://www.facebook.com/44444444/posts/5555",
    }
    entry = {
        "id": PAGE,
        "time": 1763884800,
        "changes": [
            {
                "field": "mention",
                "value": {"item": "post", "verb": "add", "post_id": "44444444_5555"},
            }
        ],
    }
    [bare] = parse(live, page_body(entry))
    assert (bare.text, bare.author.id) == ("", "")
    m = await live.enrich(bare)
    assert m.text == "Har någon annan väntat på Acme i veckor?"
    assert m.author == Author(id="44444444", name="Per Ek")
    assert m.url == "https://www.facebook.com/44444444/posts/5555"
    assert m.created_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    [req] = graph.received
    assert (req.method, req.path, req.headers["Authorization"]) == (
        "GET",
        "44444444_5555",
        f"Bearer {PAGE_TOKEN}",
    )
    assert req.query["fields"].startswith("id,message,from")
    plain = one(live, "feed_comment_add")
    assert await live.enrich(plain) is plain


async def test_enrich_of_a_deleted_mention_is_permanent(
    live: FacebookAdapter, graph: FakeGraph
) -> None:
    entry = {
        "id": PAGE,
        "changes": [
            {
                "field": "mention",
                "value": {"item": "post", "verb": "add", "post_id": "1_2", "created_time": 1},
            }
        ],
    }
    [bare] = parse(live, page_body(entry))
    with pytest.raises(PermanentError, match="gone"):
        await live.enrich(bare)


async def test_a_reply_to_a_chat_plugin_guest_goes_to_user_ref(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    guest = {
        "sender": {"user_ref": "ref-5550001"},
        "recipient": {"id": PAGE},
        "timestamp": int(datetime.now(UTC).timestamp() * 1000),
        "message": {"mid": "m_guest", "text": "Hej"},
    }
    [m] = parse(fb, page_body(messaging_entry(guest)))
    published = await live.reply(reply_to(m))
    [req] = graph.received
    assert req.body["recipient"] == {"user_ref": "ref-5550001"}
    assert req.body["messaging_type"] == "RESPONSE"
    assert published.id.startswith("m_fake")


# -- malformed bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[" * 100_000, "body is"),  # not JSON, or nested too deeply to read
        (b"[]", "body: expected an object"),
        (b'{"object": "page"}', "body.entry: missing"),
        (b'{"object": "user", "entry": []}', "object: expected 'page', got 'user'"),
        (b'{"entry": []}', "object: expected 'page', got no object name"),
        (b'{"object": "page", "entry": {}}', "entry: expected a list"),
    ],
)
def test_bodies_that_are_not_metas_envelope_are_refused(
    fb: FacebookAdapter, body: bytes, reason: str
) -> None:
    with pytest.raises(BadPayload) as caught:
        parse_all(fb, body)
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"object": "page", "entry": [7]}', "entry[0]: expected an object"),
        (b'{"object": "page", "entry": [{}]}', "entry[0].id: expected an id"),
        (raw(page_body({"id": PAGE, "changes": {}})), "entry[0].changes: expected a list"),
        (
            raw(page_body(feed_entry(comment(comment_id=None)))),
            "entry[0].changes[0].value.comment_id: missing",
        ),
        (
            raw(page_body(feed_entry(comment(post_id="")))),
            "entry[0].changes[0].value.post_id: empty id",
        ),
        (
            raw(page_body(feed_entry(comment(message=["x"])))),
            "entry[0].changes[0].value.message: expected a string",
        ),
        (
            raw(page_body(feed_entry(comment(created_time=-5)))),
            "entry[0].changes[0].value.created_time: time out of range",
        ),
        (
            raw(page_body(feed_entry(comment(created_time="soon")))),
            "entry[0].changes[0].value.created_time: not a time",
        ),
        (
            raw(page_body(feed_entry(comment(**{"from": "Karin"})))),
            "entry[0].changes[0].value.from: expected an object",
        ),
        (
            raw(page_body({"id": PAGE, "changes": [{"field": "feed"}]})),
            "entry[0].changes[0].value: missing",
        ),
        (
            raw(page_body(messaging_entry(message_event({"text": "no mid"})))),
            "entry[0].messaging[0].message.mid: missing",
        ),
        (
            raw(page_body(messaging_entry(message_event({"mid": "m_1"}, timestamp=True)))),
            "entry[0].messaging[0].timestamp: expected a unix time",
        ),
        (
            raw(page_body(messaging_entry(message_event({"mid": "m_1", "attachments": [1]})))),
            "entry[0].messaging[0].message.attachments[0]: expected an object",
        ),
    ],
)
def test_an_unreadable_item_is_skipped_saying_what_is_wrong(
    fb: FacebookAdapter, body: bytes, reason: str
) -> None:
    parsed = parse_all(fb, body)
    assert parsed.mentions == []
    [skipped] = parsed.skipped
    assert skipped.reason is SkipReason.MALFORMED
    assert skipped.detail.startswith(reason)
    json.loads(skipped.item)  # the raw item, kept for a person to look at


def test_one_bad_item_costs_only_itself(fb: FacebookAdapter) -> None:
    # Meta retries a refused POST until it disables the subscription: the good items must count.
    bad_comment = comment(comment_id="778899_2", post_id=None)
    guestless = {"recipient": {"id": PAGE}, "timestamp": 1, "message": {"mid": "m_x", "text": "?"}}
    body = page_body(
        feed_entry(comment(), bad_comment),
        {"id": PAGE, "changes": "not a list"},
        messaging_entry(message_event({"mid": "m_ok", "text": "Hej"}), guestless),
    )
    parsed = parse_all(fb, body)
    assert [m.external_id for m in parsed.mentions] == ["778899_1001", "m_ok"]
    assert [(s.reason, s.detail) for s in parsed.skipped] == [
        (SkipReason.MALFORMED, "entry[0].changes[1].value.post_id: missing"),
        (SkipReason.MALFORMED, "entry[1].changes: expected a list"),
        (SkipReason.NO_SENDER, "entry[2].messaging[1].sender: missing"),
    ]
    # each skipped part is kept as the smallest page body holding it, with its page and time
    assert json.loads(parsed.skipped[0].item) == page_body(
        {"id": PAGE, "time": 1763884800, "changes": [{"field": "feed", "value": bad_comment}]}
    )
    assert json.loads(parsed.skipped[1].item) == page_body({"id": PAGE, "changes": "not a list"})
    assert "Karin" not in " ".join(s.detail for s in parsed.skipped)


# -- signatures and the handshake ----------------------------------------------------------------


def test_a_correct_signature_passes(fb: FacebookAdapter) -> None:
    body = raw(fixture("feed_comment_add"))
    fb.verify(body, {"X-Hub-Signature-256": signature(body)})
    fb.verify(body, {"x-hub-signature-256": signature(body)})  # a plain dict, lower case


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": ""},
        {"X-Hub-Signature-256": "sha256="},
        {"X-Hub-Signature-256": "sha1=" + "0" * 40},
        {"X-Hub-Signature": "sha1=abc"},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": signature(b"other body")},
        {"X-Hub-Signature-256": signature(raw(fixture("feed_comment_add")), "wrong-secret")},
    ],
    ids=["missing", "empty", "no-hex", "sha1", "old-header", "zeros", "other-body", "wrong-secret"],
)
def test_bad_signatures_are_refused(fb: FacebookAdapter, headers: dict[str, str]) -> None:
    with pytest.raises(BadSignature):
        fb.verify(raw(fixture("feed_comment_add")), headers)


def test_a_tampered_body_is_refused(fb: FacebookAdapter) -> None:
    body = raw(fixture("feed_comment_add"))
    header = signature(body)
    tampered = body.replace(b"Karin Lund", b"Karin Lunt")
    with pytest.raises(BadSignature, match="does not match"):
        fb.verify(tampered, {"X-Hub-Signature-256": header})


def test_without_an_app_secret_nothing_passes() -> None:
    adapter = make_adapter(FACEBOOK_APP_SECRET="")
    body = raw(fixture("feed_comment_add"))
    with pytest.raises(BadSignature, match="FACEBOOK_APP_SECRET"):
        adapter.verify(body, {"X-Hub-Signature-256": signature(body)})


def test_handshake_echoes_the_challenge(fb: FacebookAdapter) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": VERIFY_TOKEN,
    }
    answer = fb.handshake(query)
    assert (answer.status, answer.body) == (200, "1158201444")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "nope"},
        {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN},
        {"hub.challenge": "1"},
        {},
    ],
)
def test_handshake_refuses_anything_else(fb: FacebookAdapter, query: dict[str, str]) -> None:
    assert fb.handshake(query).status == 403


def test_handshake_without_a_verify_token_configured_refuses() -> None:
    adapter = make_adapter(FACEBOOK_VERIFY_TOKEN="")
    query = {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": ""}
    assert adapter.handshake(query).status == 403


def test_the_adapter_is_found_by_name() -> None:
    ctx = AdapterContext(
        settings=settings_for(),
        config=load_config_text(CONFIG, source="test.yaml"),
        http=httpx.AsyncClient(),
    )
    adapter = base.load("facebook", ctx)
    assert adapter.name == "facebook"
    assert isinstance(adapter, ChecksDrafts)


# -- through the real web app (Redis dedupe) -------------------------------------------------


@pytest.fixture
async def web_client(store: Store, fb: FacebookAdapter) -> AsyncIterator[TestClient]:
    app = build_app(store, {"facebook": fb}, Metrics(), ["social"])
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_webhook_end_to_end_accepts_then_dedupes(web_client: TestClient) -> None:
    body = raw(fixture("feed_comment_add"))
    headers = {"X-Hub-Signature-256": signature(body), "Content-Type": "application/json"}
    first = await web_client.post("/webhooks/facebook", data=body, headers=headers)
    assert (first.status, await first.json()) == (200, {"accepted": 1, "duplicates": 0})
    again = await web_client.post("/webhooks/facebook", data=body, headers=headers)
    assert (again.status, await again.json()) == (200, {"accepted": 0, "duplicates": 1})
    bad = await web_client.post(
        "/webhooks/facebook", data=body, headers={"X-Hub-Signature-256": signature(b"x")}
    )
    assert bad.status == 401
    echo = raw(fixture("messenger_echo"))
    ignored = await web_client.post(
        "/webhooks/facebook", data=echo, headers={"X-Hub-Signature-256": signature(echo)}
    )
    assert (ignored.status, (await ignored.json())["accepted"]) == (200, 0)
    query = {"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": VERIFY_TOKEN}
    handshake = await web_client.get("/webhooks/facebook", params=query)
    assert (handshake.status, await handshake.text()) == (200, "42")


async def test_a_batch_with_an_unusable_item_is_stored_and_the_item_kept(
    store: Store, fb: FacebookAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = Metrics()
    client = TestClient(TestServer(build_app(store, {"facebook": fb}, metrics, ["social"])))
    await client.start_server()
    nobody = {
        "recipient": {"id": PAGE},
        "timestamp": 1,
        "message": {"mid": "m_x", "text": "Hemligt"},
    }
    body = raw(page_body(messaging_entry(message_event({"mid": "m_ok", "text": "Hej"}), nobody)))
    headers = {"X-Hub-Signature-256": signature(body)}
    try:
        first = await client.post("/webhooks/facebook", data=body, headers=headers)
        assert (first.status, await first.json()) == (
            200,
            {"accepted": 1, "duplicates": 0, "skipped": 1},
        )
        again = await client.post("/webhooks/facebook", data=body, headers=headers)
        assert (again.status, await again.json()) == (
            200,
            {"accepted": 0, "duplicates": 1, "skipped": 1},
        )
        text = await (await client.get("/metrics")).text()
    finally:
        await client.close()
    inbound: Any = await store.redis.xrange(keys.INBOUND)
    [(_, stored)] = inbound
    assert Mention.model_validate_json(stored["m"]).external_id == "m_ok"
    dead_letters: Any = await store.redis.xrange(keys.DEAD)
    [(_, dead)] = dead_letters  # once, though Meta delivered it twice
    assert (dead["platform"], dead["reason"], dead["from"]) == ("facebook", "no_sender", "webhook")
    assert dead["detail"] == "entry[0].messaging[1].sender: missing"
    assert json.loads(dead["item"]) == page_body(messaging_entry(nobody))  # it, with its page
    assert 'chatops_webhook_items_skipped_total{platform="facebook",reason="no_sender"} 1.0' in text
    logged = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(logged) == 1 and "Hemligt" not in logged[0]


async def test_nothing_is_acknowledged_when_the_store_is_down(fb: FacebookAdapter) -> None:
    down = Store(aioredis.from_url(f"redis://127.0.0.1:{closed_port()}", decode_responses=True))
    client = TestClient(TestServer(build_app(down, {"facebook": fb}, Metrics(), ["social"])))
    await client.start_server()
    nobody = {"recipient": {"id": PAGE}, "timestamp": 1, "message": {"mid": "m_x"}}
    try:
        for entry in (messaging_entry(nobody), messaging_entry(message_event({"mid": "m_1"}))):
            body = raw(page_body(entry))
            headers = {"X-Hub-Signature-256": signature(body)}
            r = await client.post("/webhooks/facebook", data=body, headers=headers)
            assert r.status == 503  # a skipped item is kept before the 200, like a mention
    finally:
        await client.close()
        await down.close()


# -- replies -----------------------------------------------------------------------------------


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph({PAGE: PAGE_TOKEN, OTHER_PAGE: OTHER_TOKEN})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def live(graph: FakeGraph) -> AsyncIterator[FacebookAdapter]:
    http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
    try:
        yield make_adapter(graph.url, http)
    finally:
        await http.aclose()


def one(fb: FacebookAdapter, name: str) -> Mention:
    [m] = parse(fb, fixture(name))
    return m


def reply_to(mention: Mention, text: str = "Hej! Vi tittar på det.", **kw: Any) -> Reply:
    return Reply(case_id="1042", in_reply_to=mention, text=text, **kw)


async def test_public_reply_to_a_comment(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    published = await live.reply(reply_to(one(fb, "feed_comment_add")))
    [req] = graph.received
    assert (req.method, req.version, req.path) == ("POST", "v25.0", "778899_1001/comments")
    assert req.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert req.headers["Content-Type"] == "application/json"
    assert req.body == {"message": "Hej! Vi tittar på det."}
    assert published == Published(id="1001_2001", url="https://www.facebook.com/1001_2001")


async def test_reply_to_a_reply_goes_under_its_top_level_comment(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    await live.reply(reply_to(one(fb, "feed_comment_reply")))
    assert [r.path for r in graph.received] == ["778899_1001/comments"]


async def test_reply_to_a_visitor_post_comments_on_the_post(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    await live.reply(reply_to(one(fb, "feed_visitor_post")))
    assert [r.path for r in graph.received] == ["1122334455_990011/comments"]
    assert graph.comments["1122334455_990011"][0]["message"] == "Hej! Vi tittar på det."


async def test_messenger_reply_uses_the_send_api(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    published = await live.reply(reply_to(one(fb, "messenger_message"), "Självklart!"))
    [req] = graph.received
    assert req.path == f"{PAGE}/messages"
    assert req.headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    assert req.body == {
        "recipient": {"id": "7012345678901234"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Självklart!"},
    }
    assert published == Published(id="m_fake2001", url="")


async def test_private_reply_to_a_comment(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    await live.reply(reply_to(one(fb, "feed_comment_add"), "Skicka ordernumret här", private=True))
    [req] = graph.received
    assert req.path == f"{PAGE}/messages"
    assert req.body == {
        "recipient": {"comment_id": "778899_1001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Skicka ordernumret här"},
    }


async def test_private_reply_to_a_visitor_post(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    await live.reply(reply_to(one(fb, "feed_visitor_post"), private=True))
    assert graph.received[0].body["recipient"] == {"post_id": "1122334455_990011"}


async def test_each_page_answers_with_its_own_token(
    live: FacebookAdapter, graph: FakeGraph
) -> None:
    body = page_body(
        feed_entry(comment(comment_id="5_1", post_id=f"{OTHER_PAGE}_5"), page=OTHER_PAGE)
    )
    [m] = parse(live, body)
    await live.reply(reply_to(m))
    assert graph.received[0].headers["Authorization"] == f"Bearer {OTHER_TOKEN}"


async def test_a_second_private_reply_is_refused_for_good(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    mention = one(fb, "feed_comment_add")
    await live.reply(reply_to(mention, private=True))
    with pytest.raises(PermanentError, match="Activity already replied to"):
        await live.reply(reply_to(mention, "again", private=True))


def test_request_routing_table(fb: FacebookAdapter) -> None:
    cases = {
        ("feed_comment_add", False): "778899_1001/comments",
        ("feed_comment_reply", False): "778899_1001/comments",
        ("feed_visitor_post", False): "1122334455_990011/comments",
        ("messenger_message", False): f"{PAGE}/messages",
        ("messenger_message", True): f"{PAGE}/messages",
        ("feed_comment_add", True): f"{PAGE}/messages",
        ("feed_comment_reply", True): f"{PAGE}/messages",
    }
    for (name, private), path in cases.items():
        assert request_for(reply_to(one(fb, name), private=private)).path == path, name
    private_reply = request_for(reply_to(one(fb, "feed_comment_reply"), private=True))
    assert private_reply.payload["recipient"] == {"comment_id": "778899_1002"}


# -- reply errors ------------------------------------------------------------------------------


def no_secret_in(exc: PlatformError) -> None:
    for secret in (PAGE_TOKEN, OTHER_TOKEN, APP_SECRET):
        assert secret not in exc.reason
        assert secret not in str(exc)


async def reply_error(
    live: FacebookAdapter, fb: FacebookAdapter, name: str = "feed_comment_add"
) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        await live.reply(reply_to(one(fb, name)))
    no_secret_in(caught.value)
    return caught.value


async def test_rate_limit_fixture_waits_as_the_usage_header_says(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 30,
                "total_time": 40,
                "estimated_time_to_regain_access": 19,
            }
        ]
    }
    graph.answer_next(
        400, fixture("error_rate_limited"), {"X-Business-Use-Case-Usage": json.dumps(usage)}
    )
    err = await reply_error(live, fb)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 19 * 60
    assert "Page request limit reached" in err.reason


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
async def test_every_throttle_code_is_a_rate_limit(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter, code: int
) -> None:
    graph.answer_next(400, graph_error(code, f"(#{code}) limit reached"))
    err = await reply_error(live, fb)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 60  # no usage header: the default wait


async def test_a_deleted_comment_fixture_is_permanent(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.answer_next(400, fixture("error_comment_gone"))
    err = await reply_error(live, fb)
    assert type(err) is PermanentError
    assert "gone" in err.reason


async def test_a_deleted_comment_on_the_server_is_permanent(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.deleted.add("778899_1001")
    err = await reply_error(live, fb)
    assert type(err) is PermanentError and "gone" in err.reason


async def test_an_invalid_token_asks_for_a_new_one(graph: FakeGraph, fb: FacebookAdapter) -> None:
    async with httpx.AsyncClient() as http:
        adapter = make_adapter(graph.url, http, FB_PAGE_TOKEN_SE="EAAG-revoked")
        with pytest.raises(PermanentError, match="token is invalid or expired") as caught:
            await adapter.reply(reply_to(one(fb, "feed_comment_add")))
    assert "EAAG-revoked" not in caught.value.reason
    assert graph.received[0].headers["Authorization"] == "Bearer EAAG-revoked"


@pytest.mark.parametrize("code", [10, 200])
async def test_missing_permissions_are_permanent(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter, code: int
) -> None:
    graph.answer_next(
        403, graph_error(code, f"(#{code}) Requires pages_manage_engagement permission")
    )
    err = await reply_error(live, fb)
    assert type(err) is PermanentError and "missing permission" in err.reason


@pytest.mark.parametrize("subcode", [2018278, 2018108, 2534022])
async def test_closed_window_subcodes_are_permanent(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter, subcode: int
) -> None:
    graph.answer_next(
        400,
        graph_error(10, "(#10) This message is sent outside of allowed window.", subcode=subcode),
    )
    err = await reply_error(live, fb, "messenger_message")
    assert type(err) is PermanentError and "window has closed" in err.reason


async def test_the_server_enforces_the_window_too(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.closed_windows.add("7012345678901234")
    err = await reply_error(live, fb, "messenger_message")
    assert type(err) is PermanentError and "window has closed" in err.reason


async def test_a_500_may_have_posted(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.answer_next(500, {"error": {"message": "Internal", "type": "FacebookApiException"}})
    assert isinstance(await reply_error(live, fb), OutcomeUnknown)


@pytest.mark.parametrize("status", [502, 503])
async def test_a_gateway_error_did_not_post(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter, status: int
) -> None:
    graph.answer_next(status, {"error": {"message": "Service unavailable"}})
    err = await reply_error(live, fb)
    assert type(err) is NotSent


async def test_success_without_an_id_is_unknown(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.answer_next(200, {"success": True})
    assert isinstance(await reply_error(live, fb), OutcomeUnknown)


async def test_success_that_is_not_json_is_unknown(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.answer_next(200, "<html>ok</html>")
    assert isinstance(await reply_error(live, fb), OutcomeUnknown)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused_is_not_sent(fb: FacebookAdapter) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as http:
        adapter = make_adapter(f"http://127.0.0.1:{closed_port()}/v25.0", http)
        with pytest.raises(NotSent) as caught:
            await adapter.reply(reply_to(one(fb, "feed_comment_add")))
    assert not isinstance(caught.value, RateLimited | PermanentError)
    no_secret_in(caught.value)


async def test_a_server_that_never_answers_is_unknown(
    graph: FakeGraph, fb: FacebookAdapter
) -> None:
    graph.hang = True
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as http:
        adapter = make_adapter(graph.url, http)
        with pytest.raises(OutcomeUnknown) as caught:
            await adapter.reply(reply_to(one(fb, "feed_comment_add")))
    assert len(graph.received) == 1  # it did reach the platform
    no_secret_in(caught.value)


@pytest.mark.parametrize(
    ("page", "env_or_reason"),
    [
        ("7777777777", "FB_PAGE_TOKEN_DK is not set"),
        ("8888888888", "has no token_env"),
        ("4444444444", "not listed in platforms.facebook.pages"),
    ],
)
async def test_token_problems_are_permanent_and_name_the_variable(
    live: FacebookAdapter, graph: FakeGraph, fb: FacebookAdapter, page: str, env_or_reason: str
) -> None:
    mention = one(fb, "feed_comment_add").model_copy(update={"account": page})
    with pytest.raises(PermanentError, match=env_or_reason):
        await live.reply(reply_to(mention))
    assert graph.received == []


# -- draft checks ------------------------------------------------------------------------------


def dm_at(created: datetime) -> Mention:
    return Mention(
        platform="facebook",
        account=PAGE,
        external_id="m_1",
        conversation_id="messenger:70",
        author=Author(id="70"),
        text="hej",
        created_at=created,
        kind=Kind.DM,
    )


def comment_at(created: datetime, **kw: Any) -> Mention:
    return Mention(
        platform="facebook",
        account=PAGE,
        external_id="778899_1001",
        conversation_id=f"{PAGE}_778899",
        parent_id=f"{PAGE}_778899",
        author=Author(id="65"),
        text="hej",
        created_at=created,
        **kw,
    )


def test_limits_are_exposed(fb: FacebookAdapter) -> None:
    assert fb.max_length == 2000
    assert fb.length("åäö 😀") == 5


def test_messenger_window_open_until_24_hours(fb: FacebookAdapter) -> None:
    mention = dm_at(T0)
    assert fb.check(reply_to(mention), T0 + timedelta(hours=23, minutes=59)) is None
    assert fb.check(reply_to(mention), T0 + timedelta(hours=24)) == (
        "the 24-hour Messenger window closed at 08:00 UTC; "
        "Messenger no longer accepts a reply from the page"
    )


def test_messenger_window_closed_days_ago_names_the_date(fb: FacebookAdapter) -> None:
    reason = fb.check(reply_to(dm_at(T0 + timedelta(minutes=7))), T0 + timedelta(days=3))
    assert reason is not None
    assert reason.startswith("the 24-hour Messenger window closed at 08:07 UTC on 2026-11-24;")


def test_a_public_comment_reply_has_no_window(fb: FacebookAdapter) -> None:
    assert fb.check(reply_to(comment_at(T0)), T0 + timedelta(days=60)) is None


def test_private_reply_within_seven_days_only(fb: FacebookAdapter) -> None:
    mention = comment_at(T0)
    assert fb.check(reply_to(mention, private=True), T0 + timedelta(days=6, hours=23)) is None
    reason = fb.check(reply_to(mention, private=True), T0 + timedelta(days=8))
    assert reason == (
        "a private reply must be sent within 7 days of the comment; that window closed at "
        "08:00 UTC on 2026-11-30; answer publicly instead"
    )


def test_length_limits_per_channel(fb: FacebookAdapter) -> None:
    now = T0 + timedelta(minutes=5)
    assert fb.check(reply_to(comment_at(T0), "x" * 8000), now) is None
    assert fb.check(reply_to(comment_at(T0), "x" * 8001), now) == (
        "the reply is 8,001 characters; a Facebook comment allows 8,000"
    )
    assert fb.check(reply_to(dm_at(T0), "x" * 2000), now) is None
    assert fb.check(reply_to(dm_at(T0), "x" * 2001), now) == (
        "the reply is 2,001 characters; Messenger allows 2,000"
    )
    assert fb.check(reply_to(comment_at(T0), "x" * 2001, private=True), now) == (
        "the reply is 2,001 characters; Messenger allows 2,000"
    )


def test_empty_and_removed_are_refused(fb: FacebookAdapter) -> None:
    now = T0 + timedelta(minutes=5)
    assert fb.check(reply_to(comment_at(T0), "   "), now) == "the reply is empty"
    removed = comment_at(T0, change=Change.REMOVED)
    assert "removed" in (fb.check(reply_to(removed), now) or "")


def test_check_accepts_a_naive_now(fb: FacebookAdapter) -> None:
    later = (T0 + timedelta(days=2)).replace(tzinfo=None)
    assert fb.check(reply_to(dm_at(T0)), later) is not None


# -- property-based fuzzing ------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([PAGE, "page", "feed", "comment", "add", "remove", "message", "mid"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "entry",
                    "id",
                    "time",
                    "changes",
                    "messaging",
                    "field",
                    "value",
                    "item",
                    "verb",
                    "from",
                    "post_id",
                    "comment_id",
                    "parent_id",
                    "message",
                    "sender",
                    "timestamp",
                    "mid",
                    "text",
                    "attachments",
                    "postback",
                    "title",
                    "is_echo",
                ]
            )
            | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)

FIXTURE_NAMES = [
    "feed_comment_add",
    "feed_comment_edited",
    "feed_comment_remove",
    "feed_comment_reply",
    "feed_visitor_post",
    "messenger_attachment",
    "messenger_echo",
    "messenger_message",
]

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_parses_or_refuses(adapter: FacebookAdapter, body: bytes) -> None:
    try:
        parsed = adapter.parse(body, {})
    except BadPayload as exc:
        assert exc.reason and len(exc.reason) < 300
        return
    for skipped in parsed.skipped:
        assert skipped.reason in SkipReason and 0 < len(skipped.detail) < 300
        json.loads(skipped.item)
    mentions = parsed.mentions
    for m in mentions:
        assert isinstance(m, Mention)
        assert m.platform == "facebook" and m.account in {
            PAGE,
            OTHER_PAGE,
            "7777777777",
            "8888888888",
        }
        assert m.external_id and m.conversation_id
        assert m.created_at.tzinfo is not None
        request_for(reply_to(m))  # every parsed mention can be answered somewhere


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(fb: FacebookAdapter, body: bytes) -> None:
    assert_parses_or_refuses(fb, body)


@FUZZ
@given(JSON)
def test_fuzz_arbitrary_json(fb: FacebookAdapter, data: Any) -> None:
    assert_parses_or_refuses(fb, raw(data))


@FUZZ
@given(JSON)
def test_fuzz_arbitrary_page_entries(fb: FacebookAdapter, data: Any) -> None:
    body = page_body({"id": PAGE, "time": 1763884800, "changes": data, "messaging": data})
    assert_parses_or_refuses(fb, raw(body))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document, so a mutation hits deep fields as often as shallow ones."""
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    found = [prefix]
    for key, child in children:
        found.extend(paths(child, (*prefix, key)))
    return found


def mutate(draw: Callable[[Any], Any], document: Any) -> Any:
    """Delete or replace (with any JSON) one to three places of the document."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        # Deepest first: Hypothesis favours the first elements of a sample.
        places = sorted(paths(doc)[1:], key=len, reverse=True)
        if not places:
            return draw(JSON)
        *parents, last = draw(st.sampled_from(places))
        parent = doc
        for key in parents:
            parent = parent[key]
        if draw(st.booleans()):
            del parent[last]
        else:
            parent[last] = draw(JSON)
    return doc


@FUZZ
@given(st.sampled_from(FIXTURE_NAMES), st.data())
def test_fuzz_mutated_fixtures(fb: FacebookAdapter, name: str, data: st.DataObject) -> None:
    assert_parses_or_refuses(fb, raw(mutate(data.draw, fixture(name))))


@FUZZ
@given(
    st.binary(max_size=200), st.dictionaries(st.text(max_size=30), st.text(max_size=80), max_size=3)
)
def test_fuzz_verify_only_ever_refuses_with_bad_signature(
    fb: FacebookAdapter, body: bytes, headers: dict[str, str]
) -> None:
    try:
        fb.verify(body, headers)
    except BadSignature:
        return
    assert signature(body) in headers.values()
