"""The X adapter against X's wire format: signed Account Activity bodies, the CRC check,
polling API v2 through a local fake of it, replies with OAuth 1.0a / OAuth 2.0, draft checks."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import load
from adapters.base import AdapterContext, ChecksDrafts, Polls, SkipReason
from adapters.errors import (
    BadPayload,
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
)
from adapters.x import XAdapter, create
from chatops.config import load_config_text
from chatops.domain import Author, Change, Kind, Mention, Reply
from chatops.settings import Settings
from tests.fakes.x import (
    ACCESS_TOKEN,
    ACCESS_TOKEN_SECRET,
    BEARER,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    DM_CLOSED,
    DUPLICATE,
    ME,
    NOT_ALLOWED_TO_REPLY,
    FakeX,
    fixture,
    parse_oauth_header,
)

HELP = "5550001"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CONFIG = f"""
platforms:
  x:
    accounts:
      - {{id: "{ME}", handle: acme}}
      - {{id: "{HELP}", handle: acme_help, token_env: X_USER_TOKEN_HELP}}
    track: ["acme", "#acmefail", "acme app"]
    poll_every: 60s
departments:
  - {{id: social, name: Social, channel: C0SOCIAL}}
routing: {{default: social}}
"""
OAUTH1_ENV = {
    "X_CONSUMER_KEY": CONSUMER_KEY,
    "X_CONSUMER_SECRET": CONSUMER_SECRET,
    "X_ACCESS_TOKEN": ACCESS_TOKEN,
    "X_ACCESS_TOKEN_SECRET": ACCESS_TOKEN_SECRET,
    "X_BEARER_TOKEN": BEARER,
    "X_USER_TOKEN_HELP": "user-token-help",
}


def build(url: str = "https://api.x.invalid", timeout: float = 2.0, **env: str) -> XAdapter:
    values = {**OAUTH1_ENV, "X_API_URL": url, **env}
    settings_ = Settings.from_env({k: v for k, v in values.items() if v})
    ctx = AdapterContext(
        settings=settings_,
        config=load_config_text(CONFIG),
        http=httpx.AsyncClient(timeout=timeout),
    )
    return create(ctx)


ADAPTER = build()


def raw(name: str) -> bytes:
    return json.dumps(fixture(name)).encode()


def sign(body: bytes, secret: str = CONSUMER_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}


def tweet(
    tweet_id: str,
    text: str = "@acme hej",
    user_id: str = "998877",
    **extra: Any,
) -> dict[str, Any]:
    """A v1.1-style tweet as Account Activity sends it."""
    return {
        "created_at": "Mon Nov 23 08:00:00 +0000 2026",
        "id": int(tweet_id),
        "id_str": tweet_id,
        "text": text,
        "truncated": False,
        "in_reply_to_status_id_str": None,
        "user": {
            "id": int(user_id),
            "id_str": user_id,
            "name": "Sam Hill",
            "screen_name": "samhill",
            "followers_count": 812,
        },
        "lang": "sv",
        **extra,
    }


def dm(event_id: str, sender: str = "998877", text: str = "hej", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message_create",
        "id": event_id,
        "created_timestamp": "1763884800000",
        "message_create": {
            "target": {"recipient_id": ME if sender != ME else "998877"},
            "sender_id": sender,
            "message_data": {"text": text},
        },
        **extra,
    }


def events(**lists: Any) -> bytes:
    return json.dumps({"for_user_id": ME, **lists}).encode()


def parse(body: bytes) -> list[Mention]:
    return ADAPTER.parse(body, sign(body)).mentions


# --- the CRC handshake ---


def test_crc_answers_the_base64_hmac_of_the_token_as_json() -> None:
    answer = ADAPTER.handshake({"crc_token": "Zm9vYmFy-crc"})
    expected = hmac.new(CONSUMER_SECRET.encode(), b"Zm9vYmFy-crc", hashlib.sha256).digest()
    assert answer.status == 200
    assert answer.content_type == "application/json"
    assert json.loads(answer.body) == {
        "response_token": "sha256=" + base64.b64encode(expected).decode()
    }


@pytest.mark.parametrize("query", [{}, {"crc_token": ""}, {"hub.challenge": "1"}])
def test_crc_without_a_token_is_refused(query: dict[str, str]) -> None:
    assert ADAPTER.handshake(query).status == 400


def test_crc_without_the_consumer_secret_says_which_variable() -> None:
    answer = build(X_CONSUMER_SECRET="").handshake({"crc_token": "abc"})
    assert answer.status == 503
    assert "X_CONSUMER_SECRET" in answer.body


# --- signatures ---


@pytest.mark.parametrize("name", ["tweet_create_event.json", "direct_message_event.json"])
def test_fixture_bodies_signed_with_the_consumer_secret_pass(name: str) -> None:
    body = raw(name)
    ADAPTER.verify(body, sign(body))
    ADAPTER.verify(
        body, {"X-Twitter-Webhooks-Signature": sign(body)["x-twitter-webhooks-signature"]}
    )


def _bad_signatures(body: bytes) -> dict[str, dict[str, str]]:
    good = sign(body)["x-twitter-webhooks-signature"]
    hex_digest = hmac.new(CONSUMER_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "missing": {},
        "empty": {"x-twitter-webhooks-signature": ""},
        "no prefix": {"x-twitter-webhooks-signature": good.removeprefix("sha256=")},
        "hex instead of base64": {"x-twitter-webhooks-signature": f"sha256={hex_digest}"},
        "wrong secret": sign(body, "not-the-secret"),
        "other body": sign(body + b" "),
        "garbage": {"x-twitter-webhooks-signature": "sha256=AAAA"},
        "non-ascii": {"x-twitter-webhooks-signature": "sha256=ÅÄÖ" + good[10:]},
        "meta header": {"X-Hub-Signature-256": good},
    }


@pytest.mark.parametrize("case", list(_bad_signatures(b"{}")))
def test_every_bad_signature_is_refused(case: str) -> None:
    body = raw("tweet_create_event.json")
    with pytest.raises(BadSignature):
        ADAPTER.verify(body, _bad_signatures(body)[case])


def test_a_tampered_body_is_refused() -> None:
    body = raw("tweet_create_event.json")
    headers = sign(body)
    with pytest.raises(BadSignature):
        ADAPTER.verify(body.replace(b"tre veckor", b"tre dagar!"), headers)


def test_without_the_consumer_secret_nothing_is_accepted() -> None:
    body = raw("tweet_create_event.json")
    with pytest.raises(BadSignature, match="X_CONSUMER_SECRET"):
        build(X_CONSUMER_SECRET="").verify(body, sign(body))


# --- parsing webhook events ---


def test_the_tweet_fixture_is_a_mention() -> None:
    [mention] = parse(raw("tweet_create_event.json"))
    assert mention == Mention(
        platform="x",
        account=ME,
        external_id="1992400000000000001",
        conversation_id="1992400000000000001",
        parent_id=None,
        author=Author(id="998877", name="Sam Hill", handle="samhill", followers=812),
        text="@acme mitt tåg ställdes in och ingen återbetalning på tre veckor",
        lang="sv",
        url="https://x.com/samhill/status/1992400000000000001",
        created_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
        kind=Kind.MENTION,
    )


def test_the_dm_fixture_is_a_dm_grouped_by_sender() -> None:
    [mention] = parse(raw("direct_message_event.json"))
    assert mention == Mention(
        platform="x",
        account=ME,
        external_id="1992400000000000555",
        conversation_id="dm:998877",
        author=Author(id="998877", name="Sam Hill", handle="samhill", followers=812),
        text="Hej, här är mitt bokningsnummer: ABC123",
        url=f"https://x.com/messages/998877-{ME}",
        created_at=datetime(2025, 11, 23, 8, 0, tzinfo=UTC),
        kind=Kind.DM,
    )


def test_a_reply_is_grouped_by_the_tweet_it_answers() -> None:
    [mention] = parse(events(tweet_create_events=[tweet("1002", in_reply_to_status_id_str="900")]))
    assert mention.kind is Kind.REPLY
    assert (mention.conversation_id, mention.parent_id) == ("900", "900")


def test_a_long_post_uses_the_extended_full_text() -> None:
    long = tweet(
        "1003",
        text="@acme the first 140 characters…",
        truncated=True,
        extended_tweet={"full_text": "@acme the whole story " * 20},
    )
    [mention] = parse(events(tweet_create_events=[long]))
    assert mention.text == "@acme the whole story " * 20


def test_times_in_other_offsets_become_utc_and_und_is_no_language() -> None:
    item = tweet("1004", created_at="Tue Nov 24 01:30:00 -0230 2026", lang="und")
    [mention] = parse(events(tweet_create_events=[item]))
    assert mention.created_at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
    assert mention.lang is None


def test_our_own_tweets_retweets_and_dms_are_ignored() -> None:
    body = events(
        tweet_create_events=[
            tweet("1005", "Our new timetable is out", user_id=ME),
            tweet("1006", "RT @acme: …", retweeted_status=tweet("1", user_id=ME)),
        ],
        direct_message_events=[dm("2001", sender=ME, text="Thanks for writing")],
    )
    assert parse(body) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"favorite_events": [{"id": "a", "favorited_status": {}, "user": {}}]},
        {"follow_events": [{"type": "follow", "target": {}, "source": {}}]},
        {"direct_message_indicate_typing_events": [{"sender_id": "998877"}]},
        {"direct_message_events": [{"type": "message_read", "id": "7"}]},
        {"user_event": {"revoke": {}}},
        {},
    ],
)
def test_other_events_are_ignored(payload: dict[str, Any]) -> None:
    assert parse(json.dumps({"for_user_id": ME, **payload}).encode()) == []


def test_a_deleted_post_is_a_removal_naming_only_the_post_and_its_author() -> None:
    """Account Activity's `tweet_delete_events`: the text it no longer carries is purged
    from the store by the worker (tests/privacy/test_removal.py)."""
    body = {
        "for_user_id": ME,
        "tweet_delete_events": [
            {"status": {"id": "1001", "user_id": "998877"}, "timestamp_ms": "1763884800000"},
            {"status": {"id": "1002", "user_id": ME}, "timestamp_ms": "1763884800000"},
        ],
    }
    [m] = parse(json.dumps(body).encode())
    assert (m.key, m.change, m.text, m.author.id) == ("x:1001", Change.REMOVED, "", "998877")
    assert m.created_at == datetime(2025, 11, 23, 8, 0, tzinfo=UTC)
    broken = {"for_user_id": ME, "tweet_delete_events": [{"status": {"id": "1"}}]}
    raw = json.dumps(broken).encode()
    [skipped] = ADAPTER.parse(raw, sign(raw)).skipped
    assert "user_id" in skipped.detail


@pytest.mark.parametrize("body", [b"{}", b'{"user_event": {"revoke": {"source": {}}}}'])
def test_events_for_no_account_are_ignored(body: bytes) -> None:
    assert parse(body) == []


def test_a_batch_yields_every_mention_in_order() -> None:
    body = events(
        tweet_create_events=[tweet(str(3000 + i), f"@acme {i}") for i in range(50)],
        direct_message_events=[dm(str(4000 + i), sender=str(70 + i)) for i in range(20)],
        users={str(70 + i): {"id": str(70 + i), "name": f"U{i}"} for i in range(20)},
    )
    mentions = parse(body)
    assert [m.external_id for m in mentions] == [
        *(str(3000 + i) for i in range(50)),
        *(str(4000 + i) for i in range(20)),
    ]
    assert mentions[-1].author == Author(id="89", name="U19")


def test_a_duplicate_delivery_gives_the_same_mentions() -> None:
    body = raw("tweet_create_event.json")
    first, again = parse(body), parse(body)
    assert first == again
    assert first[0].key == "x:1992400000000000001"


def test_the_second_account_is_accepted_and_numbers_are_ids() -> None:
    body = json.dumps({"for_user_id": int(HELP), "tweet_create_events": [tweet("9")]}).encode()
    assert parse(body)[0].account == HELP


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"tweet_create_events": []}', "for_user_id: missing"),
        (b'{"for_user_id": "", "favorite_events": []}', "for_user_id: missing"),
        (b'{"for_user_id": "123"}', "for_user_id: 123 is not an account in platforms.x.accounts"),
        (events(tweet_create_events={}), "tweet_create_events: expected a list"),
    ],
)
def test_bad_bodies_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(BadPayload) as caught:
        parse(body)
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (events(tweet_create_events=[1]), "tweet_create_events[0]: expected an object"),
        (
            events(tweet_create_events=[tweet("1"), {**tweet("2"), "id_str": ""}]),
            "tweet_create_events[1].id_str:",
        ),
        (events(tweet_create_events=[{**tweet("1"), "user": None}]), "tweet_create_events[0].user"),
        (
            events(tweet_create_events=[{**tweet("1"), "created_at": "2026-11-23T08:00:00Z"}]),
            "tweet_create_events[0].created_at: value error, not a time like",
        ),
        (
            events(
                tweet_create_events=[{**tweet("1"), "created_at": "Mon Feb 30 08:00:00 +0000 2026"}]
            ),
            "tweet_create_events[0].created_at: value error, not a valid time",
        ),
        (
            events(tweet_create_events=[{k: v for k, v in tweet("1").items() if k != "text"}]),
            "tweet_create_events[0].text: missing",
        ),
        (
            events(direct_message_events=[dm("1", sender="")]),
            "direct_message_events[0].message_create.sender_id:",
        ),
        (
            events(direct_message_events=[dm("1", created_timestamp="yesterday")]),
            "direct_message_events[0].created_timestamp",
        ),
    ],
)
def test_an_unreadable_event_is_skipped_and_the_others_count(body: bytes, reason: str) -> None:
    document = json.loads(body)
    document.setdefault("tweet_create_events", []).append(tweet("7"))
    parsed = ADAPTER.parse(json.dumps(document).encode(), {})
    assert [m.external_id for m in parsed.mentions][-1] == "7"
    [skipped] = parsed.skipped
    assert (skipped.reason, skipped.detail[: len(reason)]) == (SkipReason.MALFORMED, reason)
    json.loads(skipped.item)


def test_deep_nesting_is_a_bad_payload_not_a_crash() -> None:
    with pytest.raises(BadPayload):
        parse(b"[" * 200_000)


# --- fuzzing: any body gives valid mentions or BadPayload ---


def _parse_or_refuse(body: bytes) -> None:
    try:
        mentions = ADAPTER.parse(body, {}).mentions
    except BadPayload as exc:
        assert exc.reason
        return
    for mention in mentions:
        assert mention.platform == "x"
        assert mention.account in (ME, HELP)
        assert mention.external_id and mention.conversation_id
        assert mention.created_at.tzinfo is not None
        assert mention.author.id != mention.account


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from([ME, HELP, "Mon Nov 23 08:00:00 +0000 2026", "1763884800000", "und"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
FIXTURE_BODIES = [fixture("tweet_create_event.json"), fixture("direct_message_event.json")]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    """A fixture with one to three values replaced by arbitrary JSON, or deleted."""
    body = copy.deepcopy(draw(st.sampled_from(FIXTURE_BODIES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(body)[1:]))
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
        if not _paths(body)[1:]:
            break
    return json.dumps(body).encode()


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(body: bytes) -> None:
    _parse_or_refuse(body)


@FUZZ
@given(json_values)
def test_fuzz_arbitrary_json(value: Any) -> None:
    _parse_or_refuse(json.dumps(value).encode())


@FUZZ
@given(
    st.fixed_dictionaries(
        {"for_user_id": st.sampled_from([ME, HELP, "1"])},
        optional={
            "tweet_create_events": st.lists(json_values, max_size=3),
            "direct_message_events": st.lists(json_values, max_size=3),
            "users": json_values,
        },
    )
)
def test_fuzz_event_shaped_json(value: dict[str, Any]) -> None:
    _parse_or_refuse(json.dumps(value).encode())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixtures())
def test_fuzz_mutated_fixtures(body: bytes) -> None:
    _parse_or_refuse(body)


@FUZZ
@given(
    st.binary(max_size=200),
    st.text(max_size=80),
    st.dictionaries(st.text(max_size=30), st.text(max_size=30), max_size=3),
)
def test_fuzz_verify_only_ever_refuses_with_bad_signature(
    body: bytes, signature: str, others: dict[str, str]
) -> None:
    for headers in ({**others, "x-twitter-webhooks-signature": "sha256=" + signature}, others):
        with pytest.raises(BadSignature):
            ADAPTER.verify(body, headers)


# --- polling ---


class Cursors:
    def __init__(self, **values: str) -> None:
        self.values = dict(values)

    async def get(self, name: str) -> str | None:
        return self.values.get(name)

    async def set(self, name: str, value: str) -> None:
        self.values[name] = value


@pytest.fixture
async def fake() -> AsyncIterator[FakeX]:
    async with FakeX() as server:
        yield server


@pytest.fixture
async def x(fake: FakeX) -> AsyncIterator[XAdapter]:
    adapter = build(fake.url)
    yield adapter
    await adapter._http.aclose()


def v2(tweet_id: int, text: str = "@acme hjälp", author: str = "445566", **extra: Any) -> dict:
    return {
        "id": str(tweet_id),
        "text": text,
        "author_id": author,
        "conversation_id": str(tweet_id),
        "lang": "sv",
        "created_at": "2026-11-23T08:05:00.000Z",
        "edit_history_tweet_ids": [str(tweet_id)],
        **extra,
    }


MAJA = {
    "id": "445566",
    "name": "Maja",
    "username": "majab",
    "public_metrics": {"followers_count": 41},
}


def feed(fake: FakeX, timeline: str, first: int, count: int) -> None:
    for i in range(count):
        fake.add(timeline, v2(first + i, f"@acme nr {i}"), MAJA)


async def test_the_mentions_fixture_polled_with_bearer_and_fields(fake: FakeX, x: XAdapter) -> None:
    page = fixture("mentions_timeline.json")
    for item in page["data"]:
        fake.add(f"mentions:{ME}", item, page["includes"]["users"][0])
    result = await x.poll(Cursors(), NOW)
    assert result.mentions == [
        Mention(
            platform="x",
            account=ME,
            external_id="1992400000000000777",
            conversation_id="1992400000000000777",
            author=Author(id="445566", name="Maja", handle="majab", followers=41),
            text="@acme appen kraschar när jag försöker betala",
            lang="sv",
            url="https://x.com/majab/status/1992400000000000777",
            created_at=datetime(2026, 11, 23, 8, 5, tzinfo=UTC),
            kind=Kind.MENTION,
        )
    ]
    assert result.next_poll_in == 60
    [request] = fake.seen(f"/2/users/{ME}/mentions")
    assert request.headers["Authorization"] == f"Bearer {BEARER}"
    assert request.query == {
        "max_results": "100",
        "tweet.fields": "conversation_id,lang,author_id,created_at,in_reply_to_user_id,"
        "referenced_tweets,note_tweet",
        "expansions": "author_id",
        "user.fields": "username,name,public_metrics",
    }


async def test_first_poll_takes_only_the_newest_page_then_follows_pages(
    fake: FakeX, x: XAdapter
) -> None:
    feed(fake, f"mentions:{ME}", 1_000_000, 150)
    cursors = Cursors()
    first = await x.poll(cursors, NOW)
    assert len(first.mentions) == 100
    assert [r.query.get("pagination_token") for r in fake.seen(f"/2/users/{ME}/mentions")] == [None]
    assert cursors.values[f"mentions:{ME}"] == "1000149"
    assert first.mentions[0].external_id == "1000050"  # oldest first, for the inbound stream

    feed(fake, f"mentions:{ME}", 1_000_150, 250)
    fake.requests.clear()
    second = await x.poll(cursors, NOW)
    assert [m.external_id for m in second.mentions] == [str(1_000_150 + i) for i in range(250)]
    reads = fake.seen(f"/2/users/{ME}/mentions")
    assert [r.query.get("pagination_token") for r in reads] == [None, "p100", "p200"]
    assert {r.query["since_id"] for r in reads} == {"1000149"}
    assert cursors.values[f"mentions:{ME}"] == "1000399"

    fake.requests.clear()
    assert (await x.poll(cursors, NOW)).mentions == []
    assert cursors.values[f"mentions:{ME}"] == "1000399"


async def test_replies_own_posts_and_retweets_in_the_mentions_timeline(
    fake: FakeX, x: XAdapter
) -> None:
    fake.add(
        f"mentions:{ME}",
        v2(
            11,
            "@acme still broken",
            conversation_id="5",
            referenced_tweets=[{"type": "replied_to", "id": "10"}],
        ),
        MAJA,
    )
    fake.add(f"mentions:{ME}", v2(12, "@acme_help we are on it", author=HELP))
    fake.add(
        f"mentions:{ME}",
        v2(13, "RT @x: @acme", referenced_tweets=[{"type": "retweeted", "id": "3"}]),
    )
    result = await x.poll(Cursors(), NOW)
    [reply] = result.mentions
    assert (reply.kind, reply.conversation_id, reply.parent_id) == (Kind.REPLY, "5", "10")


async def test_search_ors_the_track_terms_and_tells_keywords_from_mentions(
    fake: FakeX, x: XAdapter
) -> None:
    fake.add("search", v2(21, "acme trains are late again"), MAJA)
    fake.add("search", v2(22, "Hey @ACME_help, #acmefail"), MAJA)
    fake.add("search", v2(23, "our own ad for acme", author=ME))
    fake.add(
        "search",
        v2(
            24, "ok", in_reply_to_user_id=ME, referenced_tweets=[{"type": "replied_to", "id": "20"}]
        ),
    )
    result = await x.poll(Cursors(), NOW)
    by_id = {m.external_id: m for m in result.mentions}
    assert set(by_id) == {"21", "22", "24"}
    assert (by_id["21"].kind, by_id["21"].account) == (Kind.KEYWORD, ME)
    assert (by_id["22"].kind, by_id["22"].account) == (Kind.MENTION, HELP)
    assert (by_id["24"].kind, by_id["24"].account) == (Kind.REPLY, ME)
    [search] = fake.seen("/2/tweets/search/recent")
    assert search.query["query"] == '(acme OR #acmefail OR "acme app") -is:retweet'
    assert search.query["tweet.fields"].startswith("conversation_id,lang,author_id")


async def test_a_tweet_found_twice_is_one_mention_and_the_mention_wins(
    fake: FakeX, x: XAdapter
) -> None:
    fake.add(f"mentions:{ME}", v2(31, "@acme hello"), MAJA)
    fake.add("search", v2(31, "@acme hello"), MAJA)
    result = await x.poll(Cursors(), NOW)
    assert [(m.external_id, m.kind) for m in result.mentions] == [("31", Kind.MENTION)]


async def test_search_uses_next_token_pages(fake: FakeX, x: XAdapter) -> None:
    for i in range(130):
        fake.add("search", v2(500 + i, "acme"), MAJA)
    cursors = Cursors(search="499")
    result = await x.poll(cursors, NOW)
    assert len(result.mentions) == 130
    pages = [r.query.get("next_token") for r in fake.seen("/2/tweets/search/recent")]
    assert pages == [None, "p100"]
    assert cursors.values["search"] == "629"


async def test_a_search_cursor_x_calls_too_old_is_dropped(fake: FakeX, x: XAdapter) -> None:
    fake.too_old_before = "600"
    fake.add("search", v2(700, "acme"), MAJA)
    cursors = Cursors(search="100")
    result = await x.poll(cursors, NOW)
    assert [m.external_id for m in result.mentions] == ["700"]
    assert [r.query.get("since_id") for r in fake.seen("/2/tweets/search/recent")] == ["100", None]
    assert cursors.values["search"] == "700"


async def test_no_calls_left_waits_for_the_reset(fake: FakeX, x: XAdapter) -> None:
    reset = int(NOW.timestamp()) + 300
    fake.limit("mentions", remaining=1, reset=reset)
    fake.add(f"mentions:{ME}", v2(41), MAJA)
    result = await x.poll(Cursors(), NOW)
    assert result.next_poll_in == 300
    assert [m.external_id for m in result.mentions] == ["41"]


async def test_a_429_waits_for_the_reset_and_keeps_the_cursor(fake: FakeX, x: XAdapter) -> None:
    reset = int(NOW.timestamp()) + 700
    fake.limit("search", remaining=0, reset=reset)
    fake.add(f"mentions:{ME}", v2(51), MAJA)
    fake.add("search", v2(52, "acme"), MAJA)
    cursors = Cursors(search="1")
    result = await x.poll(cursors, NOW)
    assert result.next_poll_in == 700
    assert [m.external_id for m in result.mentions] == ["51"]
    assert cursors.values["search"] == "1"


@pytest.mark.parametrize(
    ("status", "wait"), [(500, 60), (429, 120)], ids=["server error", "rate limit"]
)
async def test_a_failed_later_page_returns_what_was_read_and_keeps_the_cursor(
    fake: FakeX, x: XAdapter, status: int, wait: float
) -> None:
    feed(fake, f"mentions:{HELP}", 2_000, 150)
    cursors = Cursors(**{f"mentions:{HELP}": "1"})
    reset = {"x-rate-limit-reset": str(int(NOW.timestamp()) + 120)}
    fake.fail("mentions", status, fixture("error_rate_limited.json"), reset, after=2)
    result = await x.poll(cursors, NOW)
    assert [m.external_id for m in result.mentions] == [str(2_050 + i) for i in range(100)]
    assert result.next_poll_in == wait
    assert cursors.values[f"mentions:{HELP}"] == "1"

    again = await x.poll(cursors, NOW)
    assert len(again.mentions) == 150
    assert cursors.values[f"mentions:{HELP}"] == "2149"


async def test_x_down_for_one_stream_still_returns_the_others(fake: FakeX, x: XAdapter) -> None:
    fake.fail("search", 503, {"title": "Service Unavailable"})
    fake.add(f"mentions:{ME}", v2(61), MAJA)
    cursors = Cursors(search="1")
    result = await x.poll(cursors, NOW)
    assert [m.external_id for m in result.mentions] == ["61"]
    assert cursors.values["search"] == "1"


async def test_a_wrong_bearer_token_fails_the_poll_naming_the_variable(fake: FakeX) -> None:
    adapter = build(fake.url, X_BEARER_TOKEN="revoked")
    with pytest.raises(PermanentError, match="X_BEARER_TOKEN") as caught:
        await adapter.poll(Cursors(), NOW)
    assert "revoked" not in caught.value.reason


async def test_polling_an_unreachable_x_is_not_sent() -> None:
    with pytest.raises(NotSent):
        await build(closed_port_url()).poll(Cursors(), NOW)


async def test_without_a_bearer_token_nothing_is_polled(fake: FakeX) -> None:
    result = await build(fake.url, X_BEARER_TOKEN="").poll(Cursors(), NOW)
    assert result.mentions == [] and result.next_poll_in >= 3600
    assert fake.requests == []


# --- replies ---


def mention(kind: Kind = Kind.MENTION, account: str = ME, **extra: Any) -> Mention:
    return Mention(
        platform="x",
        account=account,
        external_id="1992400000000000001",
        conversation_id="1992400000000000001",
        author=Author(id="998877", name="Sam Hill", handle="samhill"),
        text="@acme hjälp",
        created_at=NOW,
        kind=kind,
        **extra,
    )


def reply_to(
    m: Mention | None = None, text: str = "Vi tittar på det!", private: bool = False
) -> Reply:
    return Reply(case_id="1042", in_reply_to=m or mention(), text=text, private=private)


async def test_a_public_reply_is_a_post_signed_with_oauth1(fake: FakeX, x: XAdapter) -> None:
    published = await x.reply(reply_to())
    expected_id = fixture("post_tweet_response.json")["data"]["id"]
    assert published.id == expected_id
    assert published.url == f"https://x.com/i/web/status/{expected_id}"
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/2/tweets")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {
        "text": "Vi tittar på det!",
        "reply": {"in_reply_to_tweet_id": "1992400000000000001"},
    }
    oauth = parse_oauth_header(request.headers["Authorization"])
    assert oauth["oauth_consumer_key"] == CONSUMER_KEY
    assert oauth["oauth_token"] == ACCESS_TOKEN
    assert oauth["oauth_signature_method"] == "HMAC-SHA1"
    assert oauth["oauth_signature"]
    assert "oauth_body_hash" not in oauth
    assert fake.posts == [
        {"id": expected_id, "text": "Vi tittar på det!", "in_reply_to": "1992400000000000001"}
    ]


async def test_a_wrong_oauth1_secret_is_a_permanent_error_naming_variables(fake: FakeX) -> None:
    adapter = build(fake.url, X_ACCESS_TOKEN_SECRET="wrong-secret")
    with pytest.raises(PermanentError) as caught:
        await adapter.reply(reply_to())
    assert "X_ACCESS_TOKEN_SECRET" in caught.value.reason
    assert "wrong-secret" not in caught.value.reason
    assert fake.posts == []


async def test_an_access_token_alone_is_an_oauth2_user_token(fake: FakeX) -> None:
    adapter = build(
        fake.url, X_ACCESS_TOKEN="user-token-acme", X_ACCESS_TOKEN_SECRET="", X_CONSUMER_KEY=""
    )
    await adapter.reply(reply_to())
    assert fake.requests[0].headers["Authorization"] == "Bearer user-token-acme"


async def test_an_account_with_token_env_replies_with_its_own_token(
    fake: FakeX, x: XAdapter
) -> None:
    await x.reply(reply_to(mention(account=HELP)))
    assert fake.requests[0].headers["Authorization"] == "Bearer user-token-help"


async def test_an_unset_account_token_names_its_variable(fake: FakeX) -> None:
    adapter = build(fake.url, X_USER_TOKEN_HELP="")
    with pytest.raises(PermanentError, match="X_USER_TOKEN_HELP is not set"):
        await adapter.reply(reply_to(mention(account=HELP)))
    assert fake.requests == []


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"X_ACCESS_TOKEN": "", "X_ACCESS_TOKEN_SECRET": ""}, "X_CONSUMER_KEY, X_CONSUMER_SECRET"),
        ({"X_CONSUMER_KEY": ""}, "needs X_CONSUMER_KEY besides"),
        ({"X_CONSUMER_KEY": "", "X_CONSUMER_SECRET": ""}, "X_CONSUMER_KEY and X_CONSUMER_SECRET"),
    ],
)
async def test_missing_credentials_name_the_variables(
    fake: FakeX, env: dict[str, str], named: str
) -> None:
    with pytest.raises(PermanentError, match=named) as caught:
        await build(fake.url, 2.0, **env).reply(reply_to())
    assert ACCESS_TOKEN_SECRET not in caught.value.reason
    assert fake.requests == []


async def test_a_private_reply_and_a_dm_answer_go_by_direct_message(
    fake: FakeX, x: XAdapter
) -> None:
    private = await x.reply(reply_to(private=True))
    answer = await x.reply(reply_to(mention(Kind.DM), text="Tack, vi kollar"))
    assert [r.path for r in fake.requests] == ["/2/dm_conversations/with/998877/messages"] * 2
    assert [r.json for r in fake.requests] == [
        {"text": "Vi tittar på det!"},
        {"text": "Tack, vi kollar"},
    ]
    assert private.id == fake.dms[0]["id"] and answer.id == fake.dms[1]["id"]
    assert private.url == f"https://x.com/messages/998877-{ME}"
    assert parse_oauth_header(fake.requests[0].headers["Authorization"])["oauth_signature"]


async def test_a_429_is_rate_limited_until_the_reset(fake: FakeX) -> None:
    clock_now = 1_800_000_000.0
    adapter = XAdapter(
        Settings.from_env({**OAUTH1_ENV, "X_API_URL": fake.url}),
        load_config_text(CONFIG).platforms.x,  # type: ignore[arg-type]
        httpx.AsyncClient(timeout=2.0),
        clock=lambda: clock_now,
    )
    fake.fail(
        "tweets",
        429,
        fixture("error_rate_limited.json"),
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(clock_now) + 420)},
    )
    with pytest.raises(RateLimited) as caught:
        await adapter.reply(reply_to())
    assert caught.value.retry_after == 420
    assert "Rate limit exceeded" in caught.value.reason


@pytest.mark.parametrize("reset", [None, "soon", "inf", "nan"])
async def test_a_429_without_a_usable_reset_waits_a_whole_window(
    fake: FakeX, x: XAdapter, reset: str | None
) -> None:
    headers = {"x-rate-limit-reset": reset} if reset else {}
    fake.fail("tweets", 429, fixture("error_rate_limited.json"), headers)
    with pytest.raises(RateLimited) as caught:
        await x.reply(reply_to())
    assert caught.value.retry_after == 900


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda f: f.no_reply_to.add("1992400000000000001"), NOT_ALLOWED_TO_REPLY),
        (lambda f: f.posts.append({"id": "1", "text": "Vi tittar på det!"}), DUPLICATE),
        (
            lambda f: f.fail(
                "tweets", 403, {"errors": [{"code": 187, "message": "Status is a duplicate."}]}
            ),
            "X refused a duplicate post: Status is a duplicate.",
        ),
        (
            lambda f: f.fail(
                "tweets", 400, {"title": "Invalid Request", "detail": "Tweet not found"}
            ),
            "Tweet not found",
        ),
    ],
)
async def test_refusals_are_permanent_in_x_words(
    fake: FakeX, x: XAdapter, setup: Any, words: str
) -> None:
    setup(fake)
    with pytest.raises(PermanentError) as caught:
        await x.reply(reply_to())
    assert words in caught.value.reason


async def test_a_closed_dm_inbox_is_permanent(fake: FakeX, x: XAdapter) -> None:
    fake.closed_dms.add("998877")
    with pytest.raises(PermanentError, match=DM_CLOSED):
        await x.reply(reply_to(private=True))


@pytest.mark.parametrize(
    ("status", "error"),
    [(502, NotSent), (503, NotSent), (500, OutcomeUnknown), (504, OutcomeUnknown)],
)
async def test_server_errors_follow_the_http_rules(
    fake: FakeX, x: XAdapter, status: int, error: type[Exception]
) -> None:
    fake.fail("tweets", status, {"title": "Service Unavailable"})
    with pytest.raises(error) as caught:
        await x.reply(reply_to())
    assert type(caught.value) is error


@pytest.mark.parametrize(
    ("status", "body"),
    [(201, {"data": {}}), (200, "<html>ok</html>"), (201, {"errors": [{"message": "?"}]})],
)
async def test_a_success_without_an_id_is_unknown(
    fake: FakeX, x: XAdapter, status: int, body: Any
) -> None:
    fake.fail("tweets", status, body)
    with pytest.raises(OutcomeUnknown):
        await x.reply(reply_to())


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_connection_refused_is_not_sent() -> None:
    with pytest.raises(NotSent) as caught:
        await build(closed_port_url()).reply(reply_to())
    assert type(caught.value) is NotSent


async def test_no_answer_after_sending_is_unknown(fake: FakeX) -> None:
    fake.hang = True
    with pytest.raises(OutcomeUnknown):
        await build(fake.url, timeout=0.3).reply(reply_to())
    assert len(fake.requests) == 1


async def test_oauth1_over_plain_http_to_a_remote_host_is_refused_before_sending() -> None:
    with pytest.raises(PermanentError, match="cannot sign"):
        await build("http://api.x.invalid").reply(reply_to())


# --- draft checks, protocols, loading ---


def test_length_is_weighted_as_x_counts() -> None:
    assert ADAPTER.length("hello") == 5
    assert ADAPTER.length("see https://example.com/a/very/long/path/that/goes/on?and=on") == 27
    assert ADAPTER.length("日本語") == 6
    assert ADAPTER.length("😀") == 2
    assert ADAPTER.length("é") == 1


def test_public_replies_over_280_are_refused_with_the_excess() -> None:
    assert ADAPTER.check(reply_to(text="a" * 280), NOW) is None
    assert ADAPTER.check(reply_to(text="a" * 283), NOW) == "3 characters over X's 280"
    assert ADAPTER.check(reply_to(text="日" * 141), NOW) == "2 characters over X's 280"
    url_heavy = " ".join(["https://example.com/" + "x" * 100] * 12)  # 12 * 23 + 11
    assert ADAPTER.check(reply_to(text=url_heavy), NOW) == "7 characters over X's 280"


def test_messages_allow_10000_characters() -> None:
    assert ADAPTER.check(reply_to(text="a" * 10_000, private=True), NOW) is None
    long_dm = reply_to(mention(Kind.DM), text="a" * 10_005)
    assert ADAPTER.check(long_dm, NOW) == "5 characters over X's 10,000 for a message"


def test_an_empty_reply_is_refused() -> None:
    assert ADAPTER.check(reply_to(text="  \n"), NOW) == "X does not post an empty reply"


async def test_the_adapter_is_found_by_name_and_has_the_optional_protocols() -> None:
    ctx = AdapterContext(
        settings=Settings.from_env(OAUTH1_ENV),
        config=load_config_text(CONFIG),
        http=httpx.AsyncClient(),
    )
    adapter = load("x", ctx)
    assert adapter.name == "x"
    assert isinstance(adapter, ChecksDrafts) and isinstance(adapter, Polls)
    assert adapter.max_length == 280
    await ctx.http.aclose()
