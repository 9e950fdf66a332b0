"""The Viber adapter against Viber's wire format: signed callbacks in, send_message out.

Outbound calls go through the real httpx client to `tests/fakes/viber.FakeViber`, a local server
that answers as Viber does (HTTP 200 with a status for every refusal).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import base
from adapters.base import AdapterContext, ChecksDrafts, Published
from adapters.errors import (
    BadPayload,
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
)
from adapters.signing import matches_hex
from adapters.viber import MAX_TEXT, ViberAdapter, create, parse_event
from chatops.config import load_config_text
from chatops.domain import Author, Kind, Mention, Reply
from chatops.settings import Settings
from tests.fakes.viber import (
    FIRST_MESSAGE_TOKEN,
    TOKEN,
    FakeViber,
    message_event,
    other_event,
    sign,
    signed,
    text_event,
    user,
)

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "viber"
CUSTOMER = "01234567890A="
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

CONFIG = """
brand: {brand}
platforms:
  viber: {viber}
departments:
  - {{id: social, name: Social team, channel: "#social"}}
routing:
  default: social
"""


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def build(
    *,
    env: dict[str, str] | None = None,
    viber: str = "{}",
    brand: str = "Acme",
    api_url: str = "http://127.0.0.1:9",
    timeout: float = 2.0,
) -> tuple[ViberAdapter, httpx.AsyncClient]:
    environ = {"VIBER_AUTH_TOKEN": TOKEN, "VIBER_API_URL": api_url} if env is None else env
    config = load_config_text(CONFIG.format(brand=brand, viber=viber), source="test.yaml")
    http = httpx.AsyncClient(timeout=httpx.Timeout(timeout))
    ctx = AdapterContext(settings=Settings.from_env(environ), config=config, http=http)
    return create(ctx), http


@pytest.fixture
async def api() -> AsyncIterator[FakeViber]:
    fake = FakeViber()
    fake.user_wrote(CUSTOMER)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def adapter(api: FakeViber) -> AsyncIterator[ViberAdapter]:
    viber, http = build(api_url=api.url)
    yield viber
    await http.aclose()


OFFLINE = build()[0]
"""An adapter for what needs no server: verify, parse, checks."""


@pytest.fixture
def offline() -> ViberAdapter:
    return OFFLINE


def inbound(text: str = "Gdje je moja pošiljka?", *, token: int = 1) -> Mention:
    return parse_event(json.dumps(text_event(text, token=token)).encode())[0]


def reply_to(text: str = "Hvala, provjeravamo!", *, private: bool = False) -> Reply:
    return Reply(case_id="1042", in_reply_to=inbound(), text=text, private=private)


# -- signatures ---------------------------------------------------------------------------

VECTOR_TOKEN = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"
VECTOR_BODY = b'{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}'
VECTOR_SIGNATURE = "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"


def test_viber_own_test_vector() -> None:
    assert matches_hex(VECTOR_TOKEN, VECTOR_BODY, VECTOR_SIGNATURE)
    assert sign(VECTOR_TOKEN, VECTOR_BODY) == VECTOR_SIGNATURE
    viber, _ = build(env={"VIBER_AUTH_TOKEN": VECTOR_TOKEN})
    viber.verify(VECTOR_BODY, {"X-Viber-Content-Signature": VECTOR_SIGNATURE})
    viber.verify(VECTOR_BODY, {"X-Viber-Content-Signature": VECTOR_SIGNATURE.upper()})
    assert viber.parse(VECTOR_BODY, {}).mentions == []


def test_signed_fixtures_verify(offline: ViberAdapter) -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        body = path.read_bytes()
        offline.verify(body, {"X-Viber-Content-Signature": sign(TOKEN, body)})


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing X-Viber-Content-Signature"),
        ({"X-Viber-Content-Signature": ""}, "missing X-Viber-Content-Signature"),
        ({"X-Viber-Content-Signature": "0" * 64}, "does not match"),
        ({"X-Viber-Content-Signature": "not hex at all"}, "does not match"),
        ({"X-Viber-Content-Signature": "é" * 64}, "does not match"),
        (
            {"X-Viber-Content-Signature": sign("another-bot-token", fixture("message.json"))},
            "does not match",
        ),
        (
            {"X-Viber-Content-Signature": "sha256=" + sign(TOKEN, fixture("message.json"))},
            "does not match",
        ),
    ],
)
def test_bad_signatures(offline: ViberAdapter, headers: dict[str, str], reason: str) -> None:
    with pytest.raises(BadSignature, match=reason):
        offline.verify(fixture("message.json"), headers)


def test_tampered_body_is_refused(offline: ViberAdapter) -> None:
    body, headers = signed(text_event("Gdje je moja pošiljka?"))
    offline.verify(body, headers)
    with pytest.raises(BadSignature):
        offline.verify(body.replace("pošiljka".encode(), "narudžba".encode()), headers)
    with pytest.raises(BadSignature):
        offline.verify(body + b" ", headers)


def test_no_token_refuses_every_signature() -> None:
    viber, _ = build(env={})
    body, headers = signed(text_event("hi"))
    with pytest.raises(BadSignature, match="VIBER_AUTH_TOKEN is not set"):
        viber.verify(body, headers)


def test_handshake_is_not_supported(offline: ViberAdapter) -> None:
    answer = offline.handshake({"hub.challenge": "x"})
    assert answer.status == 405


def test_found_by_name() -> None:
    assert "viber" in base.names()
    config = load_config_text(CONFIG.format(brand="Acme", viber="{}"), source="test.yaml")
    ctx = AdapterContext(settings=Settings.from_env({}), config=config, http=httpx.AsyncClient())
    assert base.load("viber", ctx).name == "viber"


# -- parsing ------------------------------------------------------------------------------


def test_message_fixture(offline: ViberAdapter) -> None:
    [mention] = offline.parse(fixture("message.json"), {}).mentions
    assert mention == Mention(
        platform="viber",
        account="",
        external_id="5740912374123400001",
        conversation_id="viber:01234567890A=",
        author=Author(id="01234567890A=", name="Ivana"),
        text="Pozdrav, gdje je moja pošiljka? Naručila sam prije 10 dana.",
        lang="hr",
        created_at=datetime(2025, 11, 23, 8, 0, 0, 123000, tzinfo=UTC),
        kind=Kind.DM,
    )
    assert int(mention.external_id) == json.loads(fixture("message.json"))["message_token"]


@pytest.mark.parametrize("name", ["conversation_started.json", "webhook_check.json"])
def test_fixtures_without_mentions(offline: ViberAdapter, name: str) -> None:
    assert offline.parse(fixture(name), {}).mentions == []


@pytest.mark.parametrize(
    "event",
    [
        "webhook",
        "subscribed",
        "unsubscribed",
        "conversation_started",
        "delivered",
        "seen",
        "failed",
        "client_status",
        "a_future_event",
    ],
)
def test_ignored_events(offline: ViberAdapter, event: str) -> None:
    assert offline.parse(json.dumps(other_event(event)).encode(), {}).mentions == []


def test_message_tokens_keep_every_digit(offline: ViberAdapter) -> None:
    for token in (2**63 - 1, 2**64 - 1, 9_007_199_254_740_993, 0):
        [mention] = offline.parse(json.dumps(text_event("x", token=token)).encode(), {}).mentions
        assert mention.external_id == str(token)
    as_string = dict(text_event("x"), message_token="5740912374123400001")
    [mention] = offline.parse(json.dumps(as_string).encode(), {}).mentions
    assert mention.external_id == "5740912374123400001"


def test_duplicate_delivery_same_external_id(offline: ViberAdapter) -> None:
    body, headers = signed(text_event("Gdje je moja pošiljka?", token=5740912374123400777))
    first = offline.parse(body, headers).mentions
    again = offline.parse(body, headers).mentions
    assert first == again
    assert first[0].key == "viber:5740912374123400777"


def test_one_case_per_customer(offline: ViberAdapter) -> None:
    a = offline.parse(json.dumps(text_event("one", token=1)).encode(), {}).mentions[0]
    b = offline.parse(json.dumps(text_event("two", token=2)).encode(), {}).mentions[0]
    other = user("Zm9vYmFyYmF6+/==", name="Marko", language="en")
    third = json.dumps(text_event("three", token=3, sender=other)).encode()
    [c] = offline.parse(third, {}).mentions
    assert a.conversation_key == b.conversation_key != c.conversation_key
    assert c.conversation_id == "viber:Zm9vYmFyYmF6+/=="
    assert (c.author.name, c.lang) == ("Marko", "en")


def test_account_is_the_first_configured() -> None:
    viber, _ = build(viber='{accounts: [{id: "acme-bot"}, {id: "second"}]}')
    assert viber.parse(fixture("message.json"), {}).mentions[0].account == "acme-bot"


MEDIA = "https://dl-media.viber.example.invalid/5.0/1/abc.jpg"


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"type": "text", "text": "Bok"}, "Bok"),
        ({"type": "picture", "media": MEDIA, "thumbnail": MEDIA}, f"[picture] {MEDIA}"),
        (
            {"type": "picture", "media": MEDIA, "text": "Stiglo razbijeno"},
            f"[picture] {MEDIA}\nStiglo razbijeno",
        ),
        ({"type": "video", "media": MEDIA, "size": 10240, "duration": 12}, f"[video] {MEDIA}"),
        (
            {"type": "file", "media": MEDIA, "file_name": "racun.pdf", "file_size": 20480},
            f"[file] racun.pdf {MEDIA}",
        ),
        ({"type": "sticker", "sticker_id": 46105, "media": MEDIA}, f"[sticker] {MEDIA}"),
        ({"type": "sticker", "sticker_id": 46105}, "[sticker] sticker 46105"),
        (
            {"type": "contact", "contact": {"name": "Ana Horvat", "phone_number": "+385911234567"}},
            "[contact] Ana Horvat +385911234567",
        ),
        (
            {"type": "location", "location": {"lat": 45.815, "lon": 15.9819}},
            "[location] 45.815,15.9819",
        ),
        (
            {"type": "url", "media": "https://acme.example/order/123"},
            "[url] https://acme.example/order/123",
        ),
        ({"type": "rich_media", "rich_media": {"Buttons": []}}, "[rich_media]"),
        ({"type": "text"}, ""),
    ],
)
def test_message_types(offline: ViberAdapter, message: dict[str, Any], text: str) -> None:
    [mention] = offline.parse(json.dumps(message_event(message)).encode(), {}).mentions
    assert mention.text == text
    assert mention.kind is Kind.DM


def test_optional_fields(offline: ViberAdapter) -> None:
    event = text_event("hi", sender={"id": CUSTOMER})
    del event["timestamp"]
    [mention] = parse_event(json.dumps(event).encode(), now=NOW)
    assert (mention.author.name, mention.lang, mention.created_at) == ("", None, NOW)
    event = text_event("hi", sender={"id": CUSTOMER, "language": "a-very-long-language-tag"})
    assert offline.parse(json.dumps(event).encode(), {}).mentions[0].lang is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "too deeply nested"),
        (b"1" * 5000, "body is not JSON"),
        (b"[]", "expected a JSON object"),
        (b'"message"', "expected a JSON object"),
        (b"{}", "event: missing"),
        (b'{"event": 5}', "event: missing"),
        (json.dumps(dict(text_event("x"), sender=None)).encode(), "sender"),
        (
            json.dumps(dict(text_event("x"), sender={"name": "x"})).encode(),
            "sender.id: field required",
        ),
        (json.dumps(dict(text_event("x"), sender={"id": 7})).encode(), "sender.id"),
        (json.dumps(dict(text_event("x"), sender={"id": ""})).encode(), "sender.id"),
        (
            json.dumps({k: v for k, v in text_event("x").items() if k != "message"}).encode(),
            "message: field required",
        ),
        (
            json.dumps({k: v for k, v in text_event("x").items() if k != "message_token"}).encode(),
            "message_token: field required",
        ),
        (
            json.dumps(dict(text_event("x"), message_token=5.7409123741234e18)).encode(),
            "message_token",
        ),
        (json.dumps(dict(text_event("x"), message_token=-1)).encode(), "message_token"),
        (json.dumps(dict(text_event("x"), message_token=True)).encode(), "message_token"),
        (json.dumps(dict(text_event("x"), message_token="12a")).encode(), "message_token"),
        (json.dumps(dict(text_event("x"), timestamp=10**20)).encode(), "timestamp"),
        (json.dumps(dict(text_event("x"), timestamp="1763884800123")).encode(), "timestamp"),
        (json.dumps(message_event({"type": "text", "text": 5})).encode(), "message.text"),
        (json.dumps(message_event({"text": "x"})).encode(), "message.type"),
        (
            b'{"event":"message","message_token":1,"sender":{"id":"a"},"message":{"type":"location","location":{"lat":NaN,"lon":1}}}',
            "message.location.lat",
        ),
    ],
)
def test_bad_payloads(offline: ViberAdapter, body: bytes, reason: str) -> None:
    with pytest.raises(BadPayload, match=reason):
        offline.parse(body, {})


# -- fuzzing ------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _parse_or_refuse(body: bytes) -> list[Mention]:
    try:
        mentions = parse_event(body, now=NOW)
    except BadPayload as exc:
        assert exc.reason
        return []
    for mention in mentions:
        assert mention.platform == "viber" and mention.kind is Kind.DM
        assert mention.external_id.isdigit()
        assert mention.conversation_id == f"viber:{mention.author.id}"
        assert mention.created_at.tzinfo is not None
    return mentions


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_bytes(body: bytes) -> None:
    _parse_or_refuse(body)


@FUZZ
@given(json_values)
def test_fuzz_json(value: Any) -> None:
    _parse_or_refuse(json.dumps(value).encode())


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["event", "timestamp", "message_token", "sender", "message"]),
        json_values,
        max_size=5,
    ),
    st.sampled_from(["message", "subscribed", "failed"]),
)
def test_fuzz_event_shapes(fields: dict[str, Any], event: str) -> None:
    _parse_or_refuse(json.dumps({"event": event, **fields}).encode())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    return out


@FUZZ
@given(st.data(), json_values)
def test_fuzz_mutated_fixture(data: st.DataObject, replacement: Any) -> None:
    event = json.loads(fixture("message.json"))
    path = data.draw(st.sampled_from(_paths(event)[1:]))
    target = event
    for key in path[:-1]:
        target = target[key]
    if data.draw(st.booleans()):
        target[path[-1]] = replacement
    else:
        del target[path[-1]]
    _parse_or_refuse(json.dumps(event).encode())


@FUZZ
@given(
    st.integers(min_value=0, max_value=2**64),
    st.text(min_size=1, max_size=30),
    st.text(max_size=200),
    st.sampled_from(["text", "picture", "video", "file", "sticker", "url", "contact", "location"]),
)
def test_fuzz_valid_messages_always_parse(token: int, sender: str, text: str, kind: str) -> None:
    event = message_event(
        {"type": kind, "text": text, "media": MEDIA}, token=token, sender={"id": sender}
    )
    [mention] = _parse_or_refuse(json.dumps(event).encode())
    assert mention.external_id == str(token)
    assert text in mention.text


@FUZZ
@given(st.binary(max_size=200), st.text(max_size=80))
def test_fuzz_verify(body: bytes, signature: str) -> None:
    try:
        OFFLINE.verify(body, {"X-Viber-Content-Signature": signature})
    except BadSignature:
        return
    assert signature.strip().lower() == sign(TOKEN, body)


# -- replies ------------------------------------------------------------------------------


async def test_reply_sends_viber_request(api: FakeViber, adapter: ViberAdapter) -> None:
    published = await adapter.reply(reply_to("Hvala, provjeravamo! 📦"))
    assert published == Published(id=str(FIRST_MESSAGE_TOKEN), url="")
    [call] = api.calls
    assert call.path == "/send_message"
    assert call.headers["X-Viber-Auth-Token"] == TOKEN
    assert call.headers["Content-Type"] == "application/json"
    assert call.body == {
        "receiver": CUSTOMER,
        "min_api_version": 1,
        "sender": {"name": "Acme"},
        "tracking_data": "1042",
        "type": "text",
        "text": "Hvala, provjeravamo! 📦",
    }
    assert "📦".encode() in call.raw  # UTF-8 on the wire, not a 12-byte escape


async def test_private_changes_nothing(api: FakeViber, adapter: ViberAdapter) -> None:
    await adapter.reply(reply_to("a", private=True))
    await adapter.reply(reply_to("a", private=False))
    first, second = api.sent()
    assert first == second


@pytest.mark.parametrize(
    ("viber", "brand", "name"),
    [
        ("{sender_name: Acme Podrška}", "Acme", "Acme Podrška"),
        ("{}", "Acme Hrvatska", "Acme Hrvatska"),
        ("{}", '""', "chatops"),
        (
            "{sender_name: Acme Customer Care Team Croatia and Slovenia}",
            "Acme",
            "Acme Customer Care Team Croa",
        ),
    ],
)
async def test_sender_name(api: FakeViber, viber: str, brand: str, name: str) -> None:
    adapter, http = build(viber=viber, brand=brand, api_url=api.url)
    await adapter.reply(reply_to())
    await http.aclose()
    assert api.sent()[0]["sender"] == {"name": name}
    assert len(name) <= 28


async def test_reply_to_a_picture_goes_to_its_sender(api: FakeViber, adapter: ViberAdapter) -> None:
    other = user("Zm9vYmFyYmF6+/==", name="Marko")
    api.user_wrote("Zm9vYmFyYmF6+/==")
    event = message_event({"type": "picture", "media": MEDIA}, sender=other)
    [mention] = adapter.parse(json.dumps(event).encode(), {}).mentions
    await adapter.reply(Reply(case_id="7", in_reply_to=mention, text="Žao nam je!"))
    assert api.sent()[0]["receiver"] == "Zm9vYmFyYmF6+/=="


async def test_fixture_answers(api: FakeViber, adapter: ViberAdapter) -> None:
    api.answer_with = json.loads(fixture("send_message_ok.json"))
    assert (await adapter.reply(reply_to())).id == "5741311803571721087"
    api.answer_with = json.loads(fixture("send_message_not_subscribed.json"))
    with pytest.raises(PermanentError) as caught:
        await adapter.reply(reply_to())
    assert "status 6" in caught.value.reason
    assert "until they write again" in caught.value.reason


async def test_unsubscribed_customer(api: FakeViber, adapter: ViberAdapter) -> None:
    api.unsubscribed.add(CUSTOMER)
    with pytest.raises(PermanentError, match=r"receiverNotSubscribed.*write again"):
        await adapter.reply(reply_to())
    api.user_wrote(CUSTOMER)
    assert (await adapter.reply(reply_to())).id


async def test_unknown_receiver(api: FakeViber, adapter: ViberAdapter) -> None:
    api.subscribers.clear()
    with pytest.raises(PermanentError, match="receiverNotRegistered"):
        await adapter.reply(reply_to())


async def test_rate_limit_per_customer(api: FakeViber, adapter: ViberAdapter) -> None:
    api.hourly_limit = 3
    for _ in range(3):
        await adapter.reply(reply_to())
    with pytest.raises(RateLimited) as caught:
        await adapter.reply(reply_to())
    assert caught.value.retry_after == 60
    assert isinstance(caught.value, NotSent)
    api.user_wrote(CUSTOMER)
    await adapter.reply(reply_to())
    assert len(api.sent()) == 4


async def test_bad_token(api: FakeViber) -> None:
    adapter, http = build(env={"VIBER_AUTH_TOKEN": "revoked-token-value", "VIBER_API_URL": api.url})
    with pytest.raises(PermanentError) as caught:
        await adapter.reply(reply_to())
    await http.aclose()
    assert "check VIBER_AUTH_TOKEN" in caught.value.reason
    assert "revoked-token-value" not in caught.value.reason


async def test_token_env_of_the_account(api: FakeViber) -> None:
    env = {"VIBER_BOT_HR": TOKEN, "VIBER_API_URL": api.url}
    adapter, http = build(env=env, viber="{accounts: [{id: acme-hr, token_env: VIBER_BOT_HR}]}")
    assert (await adapter.reply(reply_to())).id
    body, headers = signed(text_event("x"))
    adapter.verify(body, headers)
    missing, _ = build(
        env={"VIBER_API_URL": api.url}, viber="{accounts: [{id: acme-hr, token_env: VIBER_BOT_HR}]}"
    )
    with pytest.raises(PermanentError, match="VIBER_BOT_HR is not set"):
        await missing.reply(reply_to())
    await http.aclose()


async def test_missing_token_sends_nothing(api: FakeViber) -> None:
    adapter, http = build(env={"VIBER_API_URL": api.url})
    with pytest.raises(PermanentError, match="VIBER_AUTH_TOKEN is not set"):
        await adapter.reply(reply_to())
    await http.aclose()
    assert api.calls == []


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (1, "invalidUrl"),
        (2, "invalidAuthToken.*check VIBER_AUTH_TOKEN"),
        (3, "badData.*report"),
        (4, "missingData"),
        (5, "receiverNotRegistered"),
        (6, "receiverNotSubscribed"),
        (7, "publicAccountBlocked.*Viber support"),
        (8, "publicAccountNotFound.*VIBER_AUTH_TOKEN"),
        (9, "publicAccountSuspended"),
        (10, "webhookNotSet.*/webhooks/viber"),
        (11, "receiverNoSuitableDevice.*update Viber"),
        (13, "apiVersionNotSupported"),
        (14, "incompatibleWithVersion"),
        (99, r"someNewError, status 99\)$"),
    ],
)
async def test_status_codes(api: FakeViber, adapter: ViberAdapter, status: int, words: str) -> None:
    api.answer_with = {"status": status, "status_message": "someNewError", "message_token": 1}
    with pytest.raises(PermanentError, match=words) as caught:
        await adapter.reply(reply_to())
    assert TOKEN not in caught.value.reason


async def test_status_12_is_a_rate_limit(api: FakeViber, adapter: ViberAdapter) -> None:
    api.answer_with = {
        "status": 12,
        "status_message": "Too many requests",
        "message_token": "1234567890",
        "chat_hostname": "SN-CHAT-0x_",
    }
    with pytest.raises(RateLimited) as caught:
        await adapter.reply(reply_to())
    assert caught.value.retry_after == 60


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status_message": "ok"}, OutcomeUnknown),
        ({"status": "0"}, OutcomeUnknown),
        ({"status": True}, OutcomeUnknown),
    ],
)
async def test_answers_without_a_status(
    api: FakeViber, adapter: ViberAdapter, answer: dict[str, Any], error: type[Exception]
) -> None:
    api.answer_with = answer
    with pytest.raises(error):
        await adapter.reply(reply_to())


async def test_ok_without_message_token(api: FakeViber, adapter: ViberAdapter) -> None:
    api.answer_with = {"status": 0, "status_message": "ok"}
    assert await adapter.reply(reply_to()) == Published(id="")


@pytest.mark.parametrize(
    ("http_status", "error"),
    [
        (500, OutcomeUnknown),
        (504, OutcomeUnknown),
        (502, NotSent),
        (503, NotSent),
        (429, RateLimited),
        (404, PermanentError),
    ],
)
async def test_http_errors(
    api: FakeViber, adapter: ViberAdapter, http_status: int, error: type[Exception]
) -> None:
    api.http_status = http_status
    with pytest.raises(error):
        await adapter.reply(reply_to())


async def test_connection_refused_is_not_sent() -> None:
    adapter, http = build(api_url="http://127.0.0.1:1")
    with pytest.raises(NotSent) as caught:
        await adapter.reply(reply_to())
    await http.aclose()
    assert not isinstance(caught.value, PermanentError)


async def test_no_answer_is_unknown(api: FakeViber) -> None:
    api.hang = True
    adapter, http = build(api_url=api.url, timeout=0.2)
    with pytest.raises(OutcomeUnknown):
        await adapter.reply(reply_to())
    await http.aclose()
    assert len(api.calls) == 1


# -- draft checks -------------------------------------------------------------------------


def test_checks_drafts(offline: ViberAdapter) -> None:
    assert isinstance(offline, ChecksDrafts)
    assert offline.max_length == MAX_TEXT == 7000
    assert offline.length("Bok") == 3
    assert offline.length("📦") == 2
    assert offline.check(reply_to("Hvala!"), NOW) is None
    assert offline.check(reply_to("x" * 7000), NOW) is None
    assert "7000" in (offline.check(reply_to("x" * 7001), NOW) or "")
    assert "7000" in (offline.check(reply_to("📦" * 3501), NOW) or "")
    assert "empty" in (offline.check(reply_to("   "), NOW) or "")
    assert "30 KB" in (offline.check(reply_to("\x01" * 6000), NOW) or "")


async def test_check_agrees_with_viber(api: FakeViber, adapter: ViberAdapter) -> None:
    """What check lets through, the fake Viber accepts; what it refuses, Viber would too."""
    for text in ("x" * 7000, "ž" * 7000, "📦" * 3500, "a\n" * 3500):
        assert adapter.check(reply_to(text), NOW) is None
        await adapter.reply(reply_to(text))
    for text in ("x" * 7001, "\x01" * 6000):
        assert adapter.check(reply_to(text), NOW) is not None
        with pytest.raises(PermanentError, match="badData"):
            await adapter.reply(reply_to(text))


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_check(text: str) -> None:
    reason = OFFLINE.check(reply_to(text), NOW)
    assert reason is None or isinstance(reason, str)
    assert OFFLINE.length(text) >= len(text)
