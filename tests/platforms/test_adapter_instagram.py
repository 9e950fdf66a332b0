"""The Instagram adapter against Meta's wire format: signed webhook bodies in, a local Graph API
(tests/fakes/instagram.py) reached through the real httpx client for enrichment and replies."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import instagram
from adapters.base import AdapterContext, ChecksDrafts, Enriches, Published, SkipReason, load
from adapters.errors import (
    BadPayload,
    BadSignature,
    NotSent,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
)
from adapters.instagram import InstagramAdapter, create
from adapters.signing import hmac_sha256
from chatops.config import load_config_text
from chatops.domain import Author, Change, Kind, Mention, Reply
from chatops.settings import Settings
from tests.fakes.instagram import FakeInstagramGraph, error_body, graph_error

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "meta"
SECRET = "meta-app-secret"
VERIFY_TOKEN = "verify-me"
ACCOUNT = "17841400000000001"
OTHER = "17841400000000002"
NO_TOKEN_ENV = "17841400000000003"
UNSET_ENV = "17841400000000004"
TOKEN = "IGQ-token-se"
OTHER_TOKEN = "IGQ-token-no"
MEDIA = "17900000000000456"
COMMENT = "17860000000000789"
IGSID = "7012345678901234"
NOW = datetime(2025, 11, 23, 9, 0, tzinfo=UTC)

CONFIG = f"""
chat: {{backend: console}}
platforms:
  instagram:
    accounts:
      - {{id: "{ACCOUNT}", name: acme.se, token_env: IG_TOKEN_SE}}
      - {{id: "{OTHER}", name: acme.no, token_env: IG_TOKEN_NO}}
      - {{id: "{NO_TOKEN_ENV}", name: acme.dk}}
      - {{id: "{UNSET_ENV}", name: acme.fi, token_env: IG_TOKEN_FI}}
departments:
  - {{id: social, name: Social team, channel: "#social"}}
routing: {{default: social}}
"""


def make_adapter(graph_url: str, http: httpx.AsyncClient, **env: str) -> InstagramAdapter:
    settings = Settings.from_env(
        {
            "FACEBOOK_APP_SECRET": SECRET,
            "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN,
            "GRAPH_API_URL": graph_url,
            "IG_TOKEN_SE": TOKEN,
            "IG_TOKEN_NO": OTHER_TOKEN,
            **env,
        }
    )
    config = load_config_text(CONFIG, source="test.yaml")
    return create(AdapterContext(settings=settings, config=config, http=http))


@pytest.fixture
def offline() -> Iterator[InstagramAdapter]:
    """For what needs no network: parse, verify, handshake, checks."""
    yield make_adapter("https://graph.invalid/v25.0", httpx.AsyncClient())


@pytest.fixture
async def graph() -> AsyncIterator[FakeInstagramGraph]:
    fake = FakeInstagramGraph({ACCOUNT: TOKEN, OTHER: OTHER_TOKEN})
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0)) as client:
        yield client


@pytest.fixture
def adapter(graph: FakeInstagramGraph, http: httpx.AsyncClient) -> InstagramAdapter:
    return make_adapter(graph.url, http)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def body(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"object": "instagram", "entry": list(entries)}).encode()


def entry(*changes: dict[str, Any], account: str = ACCOUNT, **extra: Any) -> dict[str, Any]:
    return {"id": account, "time": 1763885600, "changes": list(changes), **extra}


def comment(
    comment_id: str = COMMENT, text: Any = "Hej!", author: str = "17850000000000123", **value: Any
) -> dict[str, Any]:
    return {
        "field": "comments",
        "value": {
            "from": {"id": author, "username": "lisa.travels"},
            "media": {"id": MEDIA, "media_product_type": "FEED"},
            "id": comment_id,
            "text": text,
            **value,
        },
    }


def dm_event(
    mid: str = "aWdfZAG1fmid1", text: str | None = "Hej", **message: Any
) -> dict[str, Any]:
    return {
        "sender": {"id": IGSID},
        "recipient": {"id": ACCOUNT},
        "timestamp": 1763885299456,
        "message": {"mid": mid, "text": text, **message},
    }


def signed(raw: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hmac_sha256(secret, raw).hex()}


def mention(**fields: Any) -> Mention:
    values: dict[str, Any] = {
        "platform": "instagram",
        "account": ACCOUNT,
        "external_id": COMMENT,
        "conversation_id": MEDIA,
        "author": Author(id="17850000000000123", handle="lisa.travels"),
        "text": "Hej!",
        "created_at": NOW,
        "kind": Kind.COMMENT,
    }
    return Mention(**{**values, **fields})


def reply_to(target: Mention, text: str = "Hej Lisa!", private: bool = False) -> Reply:
    return Reply(case_id="1042", in_reply_to=target, text=text, private=private)


# -- parsing -----------------------------------------------------------------------------


def test_the_comment_fixture_is_one_comment_on_its_post(offline: InstagramAdapter) -> None:
    raw = (FIXTURES / "instagram_comment.json").read_bytes()
    [m] = offline.parse(raw, signed(raw)).mentions
    assert m == Mention(
        platform="instagram",
        account=ACCOUNT,
        external_id=COMMENT,
        conversation_id=MEDIA,
        parent_id=None,
        author=Author(id="17850000000000123", handle="lisa.travels"),
        text="Är ni öppna på söndag i Göteborg?",
        url=None,
        created_at=datetime.fromtimestamp(1763885600, UTC),
        kind=Kind.COMMENT,
        change=Change.ADD,
    )


def test_the_mention_fixture_carries_ids_only(offline: InstagramAdapter) -> None:
    [m] = offline.parse((FIXTURES / "instagram_mention.json").read_bytes(), {}).mentions
    assert (m.kind, m.external_id, m.conversation_id) == (
        Kind.MENTION,
        "17860000000000999",
        "17900000000000999",
    )
    assert (m.text, m.author.id, m.url) == ("", instagram.UNKNOWN_AUTHOR, None)
    assert m.created_at == datetime.fromtimestamp(1763885700, UTC)


def test_a_caption_mention_is_the_media_itself(offline: InstagramAdapter) -> None:
    raw = body(entry({"field": "mentions", "value": {"media_id": "17900000000000111"}}))
    [m] = offline.parse(raw, {}).mentions
    assert (m.kind, m.external_id, m.conversation_id) == (
        Kind.MENTION,
        "17900000000000111",
        "17900000000000111",
    )


def test_a_reply_in_a_thread_joins_the_post_and_names_its_parent(
    offline: InstagramAdapter,
) -> None:
    [m] = offline.parse(body(entry(comment("17860000000000790", parent_id=COMMENT))), {}).mentions
    assert (m.kind, m.parent_id, m.conversation_id) == (Kind.REPLY, COMMENT, MEDIA)


def test_everyone_on_one_post_shares_a_conversation(offline: InstagramAdapter) -> None:
    raw = body(entry(comment("1", author="11"), comment("2", author="22")))
    first, second = offline.parse(raw, {}).mentions
    assert first.conversation_key == second.conversation_key == f"instagram:{ACCOUNT}:{MEDIA}"
    assert first.author.id != second.author.id


def test_the_accounts_own_comments_are_ignored(offline: InstagramAdapter) -> None:
    own = comment()
    own["value"]["from"]["self_ig_scoped_id"] = "9988776655"
    assert offline.parse(body(entry(comment(author=ACCOUNT), own)), {}).mentions == []


def test_entries_for_other_accounts_are_ignored_unread(offline: InstagramAdapter) -> None:
    stranger = {"id": "999", "changes": "not even a list", "time": "later"}
    raw = body(stranger, entry(comment(), account="17841499999999999"))
    assert offline.parse(raw, {}).mentions == []


def test_unknown_fields_and_keys_are_ignored(offline: InstagramAdapter) -> None:
    raw = body(
        entry(
            {"field": "live_comments", "value": {"whatever": True}},
            {"field": "story_insights", "value": [1, 2]},
            {"field": "comments", "value": {**comment()["value"], "new_key": {"x": 1}}},
            new_entry_key="ignored",
        )
    )
    assert [m.external_id for m in offline.parse(raw, {}).mentions] == [COMMENT]


def test_ids_given_as_numbers_are_the_same_ids(offline: InstagramAdapter) -> None:
    raw = body(entry({"field": "mentions", "value": {"media_id": 17900, "comment_id": 17860}}))
    [m] = offline.parse(raw, {}).mentions
    assert (m.external_id, m.conversation_id) == ("17860", "17900")


def test_a_batch_yields_every_mention_in_order(offline: InstagramAdapter) -> None:
    raw = body(
        entry(comment("1"), {"field": "mentions", "value": {"media_id": "5", "comment_id": "6"}}),
        entry(comment("2"), account=OTHER),
        {"id": ACCOUNT, "time": 1763885600123, "messaging": [dm_event("m1"), dm_event("m2")]},
        *[entry(comment(str(n))) for n in range(100, 400)],
    )
    mentions = offline.parse(raw, {}).mentions
    assert [m.external_id for m in mentions[:5]] == ["1", "6", "2", "m1", "m2"]
    assert [m.account for m in mentions[:3]] == [ACCOUNT, ACCOUNT, OTHER]
    assert len(mentions) == 305


def test_a_duplicate_delivery_gives_the_same_keys(offline: InstagramAdapter) -> None:
    raw = body(entry(comment()), {"id": ACCOUNT, "messaging": [dm_event()]})
    first, again = offline.parse(raw, {}).mentions, offline.parse(raw, {}).mentions
    assert [m.delivery_key for m in first] == [m.delivery_key for m in again]
    assert [m.key for m in first] == [f"instagram:{COMMENT}", "instagram:aWdfZAG1fmid1"]


def test_the_flat_business_login_shape_is_read(offline: InstagramAdapter) -> None:
    flat = {"id": ACCOUNT, "time": 1763885600, **comment()}
    [m] = offline.parse(body(flat), {}).mentions
    assert m.external_id == COMMENT


# -- Direct messages ----------------------------------------------------------------------


def test_a_direct_message_is_a_dm_in_the_persons_thread(offline: InstagramAdapter) -> None:
    [m] = offline.parse(body({"id": ACCOUNT, "time": 1, "messaging": [dm_event()]}), {}).mentions
    assert (m.kind, m.conversation_id, m.author.id, m.text) == (
        Kind.DM,
        f"igdm:{IGSID}",
        IGSID,
        "Hej",
    )
    assert m.created_at == datetime.fromtimestamp(1763885299.456, UTC)


def test_echoes_and_non_message_events_are_ignored(offline: InstagramAdapter) -> None:
    ours = dm_event("m-ours") | {"sender": {"id": ACCOUNT}, "recipient": {"id": IGSID}}
    events = [
        dm_event("m-echo", is_echo=True),
        ours,
        {"sender": {"id": IGSID}, "recipient": {"id": ACCOUNT}, "read": {"mid": "m1"}},
        {"sender": {"id": IGSID}, "reaction": {"mid": "m1", "action": "react"}},
        {"sender": {"id": IGSID}, "postback": {"title": "Hi", "payload": "X"}},
        {"sender": {"id": IGSID}, "referral": {"ref": "ad", "source": "ADS"}},
        dm_event("m-self") | {"is_self": True},
    ]
    assert offline.parse(body({"id": ACCOUNT, "messaging": events}), {}).mentions == []


def test_attachments_unsends_and_edits(offline: InstagramAdapter) -> None:
    image = {"type": "image", "payload": {"url": "https://cdn.invalid/box.jpg"}}
    events = [
        dm_event("m1", text="Look", attachments=[image, {"type": "story_mention"}]),
        dm_event("m2", text=None, is_unsupported=True),
        dm_event("m3", is_deleted=True),
        {"sender": {"id": IGSID}, "message_edit": {"mid": "m4", "text": "Fixed", "num_edit": 1}},
        dm_event("m5", text="Love it", reply_to={"story": {"url": "https://cdn.invalid/s"}}),
        dm_event("m6", text="Yes that one", reply_to={"mid": "m1"}),
        {"sender": {"id": IGSID}, "postback": {"mid": "m7", "title": "Opening hours?"}},
        dm_event("m8", text=""),
    ]
    raw = body({"id": ACCOUNT, "messaging": events})
    m1, m2, m3, m4, m5, m6, m7, m8 = offline.parse(raw, {}).mentions
    assert m1.text == "Look\n[image] https://cdn.invalid/box.jpg\n[story_mention]"
    assert "does not show" in m2.text
    assert (m3.change, m3.text) == (Change.REMOVED, "")
    assert (m4.change, m4.text, m4.external_id) == (Change.EDITED, "Fixed", "m4")
    assert m5.text == "Love it\n[story reply] https://cdn.invalid/s"
    assert (m6.parent_id, m6.conversation_id) == ("m1", f"igdm:{IGSID}")
    assert (m7.text, m7.kind) == ("[button] Opening hours?", Kind.DM)
    assert m8.text == "[a message without text]"


def test_the_dashboards_test_message_is_read(offline: InstagramAdapter) -> None:
    value = dm_event("random_mid", "random_text") | {"timestamp": "1527459824"}
    [m] = offline.parse(body(entry({"field": "messages", "value": value})), {}).mentions
    assert (m.external_id, m.text) == ("random_mid", "random_text")
    assert m.created_at == datetime.fromtimestamp(1527459824, UTC)


# -- bad payloads ------------------------------------------------------------------------

BAD = [
    (b"", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[" * 100_000, "body is"),  # not JSON, or nested too deeply to read
    (b"[]", "expected a JSON object"),
    (json.dumps({"object": "page", "entry": []}).encode(), "object: expected 'instagram'"),
    (json.dumps({"object": "instagram"}).encode(), "entry: expected a list"),
]
"""Bodies that are not Meta's envelope: refused whole (400)."""

BAD_ITEMS = [
    (body("x"), "entry[0]: expected an object"),  # type: ignore[arg-type]
    (body({"time": 1}), "entry[0].id: field required"),
    (body({"id": True}), "entry[0].id: input should be a valid string"),
    (body(entry(time="soon")), "entry[0].time:"),
    (body(entry(time=-1)), "entry[0].time:"),
    (body(entry(time=float("nan"))), "entry[0].time:"),
    (body({"id": ACCOUNT, "changes": {}}), "entry[0].changes: expected a list"),
    (body(entry("x")), "entry[0].changes[0]: expected an object"),  # type: ignore[arg-type]
    (body(entry({"field": "comments", "value": None})), "changes[0].value: expected an object"),
    (body(entry(comment(id=""))), "changes[0].value.id: string should have at least 1"),
    (body(entry(comment(media="17900"))), "changes[0].value.media: input should be"),
    (body(entry(comment(text=["a"]))), "changes[0].value.text: input should be a valid string"),
    (
        body(entry({"field": "mentions", "value": {"comment_id": "1"}})),
        "changes[0].value.media_id: field required",
    ),
    (
        body({"id": ACCOUNT, "messaging": [{"sender": "7012", "message": {}}]}),
        "messaging[0].sender: input should be a valid dictionary",
    ),
    (
        body({"id": ACCOUNT, "messaging": [dm_event(attachments="x")]}),
        "messaging[0].message.attachments: input should be a valid list",
    ),
    (
        body({"id": ACCOUNT, "messaging": [dm_event() | {"timestamp": 10**15}]}),
        "messaging[0].timestamp: input should be less than or equal",
    ),
]
"""Items that cannot be read: each skipped with its reason, the rest of the batch counts."""


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_malformed_bodies_say_what_is_wrong(
    offline: InstagramAdapter, raw: bytes, reason: str
) -> None:
    with pytest.raises(BadPayload) as caught:
        offline.parse(raw, {})
    assert reason in caught.value.reason
    assert len(caught.value.reason) < 200


@pytest.mark.parametrize(("raw", "reason"), BAD_ITEMS)
def test_an_unreadable_item_is_skipped_saying_what_is_wrong(
    offline: InstagramAdapter, raw: bytes, reason: str
) -> None:
    good = {"id": ACCOUNT, "messaging": [dm_event("m-good")]}
    document = json.loads(raw)
    document["entry"].append(good)
    parsed = offline.parse(json.dumps(document).encode(), {})
    assert [m.external_id for m in parsed.mentions] == ["m-good"]
    [skipped] = parsed.skipped
    assert skipped.reason is SkipReason.MALFORMED
    assert reason in skipped.detail and len(skipped.detail) < 200
    json.loads(skipped.item)


def test_a_message_from_nobody_is_skipped_and_the_batch_still_counts(
    offline: InstagramAdapter,
) -> None:
    nobody = {"recipient": {"id": ACCOUNT}, "message": {"mid": "m-x", "text": "Hemligt"}}
    idless = nobody | {"sender": {"username": "x"}}
    raw = body(entry(comment()), {"id": ACCOUNT, "messaging": [nobody, dm_event("m1"), idless]})
    parsed = offline.parse(raw, {})
    assert [m.external_id for m in parsed.mentions] == [COMMENT, "m1"]
    assert [(s.reason, s.detail) for s in parsed.skipped] == [
        (SkipReason.NO_SENDER, "entry[1].messaging[0].sender: missing"),
        (SkipReason.NO_SENDER, "entry[1].messaging[2].sender: no id"),
    ]


def test_the_older_comment_shape_without_from_keeps_the_comment(
    offline: InstagramAdapter,
) -> None:
    old = {"field": "comments", "value": {"id": "17865799348089039", "text": "Hur länge till?"}}
    with_media = {
        "field": "comments",
        "value": {"id": "1786", "text": "Hej", "media": {"id": MEDIA}},
    }
    first, second = offline.parse(body(entry(old, with_media)), {}).mentions
    assert (first.author.id, first.conversation_id, first.text) == (
        instagram.UNKNOWN_AUTHOR,
        "igcomment:17865799348089039",
        "Hur länge till?",
    )
    assert (second.author.id, second.conversation_id) == (instagram.UNKNOWN_AUTHOR, MEDIA)


async def test_enrich_asks_who_wrote_a_comment_of_the_older_shape(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    old = {"field": "comments", "value": {"id": COMMENT, "text": "Hur länge till?"}}
    [bare] = adapter.parse(body(entry(old)), {}).mentions
    graph.comments[COMMENT] = ACCOUNT
    graph.comment_nodes[COMMENT] = {
        "text": "Hur länge till?",
        "username": "lisa.travels",
        "from": {"id": "17850000000000123", "username": "lisa.travels"},
        "media": {"id": MEDIA, "permalink": "https://www.instagram.com/p/A/"},
        "timestamp": "2025-11-23T08:15:00+0000",
    }
    m = await adapter.enrich(bare)
    assert m.author == Author(id="17850000000000123", handle="lisa.travels")
    assert (m.conversation_id, m.kind, m.url) == (
        MEDIA,
        Kind.COMMENT,
        "https://www.instagram.com/p/A/",
    )
    [call] = graph.calls
    assert (call.path, call.authorization) == (f"/{COMMENT}", f"Bearer {TOKEN}")
    assert call.query["fields"].startswith("id,text,timestamp,username,from{id,username}")
    graph.refused_fields = {"from"}
    m = await adapter.enrich(bare)
    assert (m.author, m.conversation_id) == (
        Author(id=instagram.UNKNOWN_AUTHOR, handle="lisa.travels"),
        MEDIA,
    )


async def test_enrich_of_a_vanished_old_shape_comment_is_permanent(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    old = {"field": "comments", "value": {"id": COMMENT, "text": "x"}}
    [bare] = adapter.parse(body(entry(old)), {}).mentions
    with pytest.raises(NotSent):
        await adapter.enrich(bare)


# -- fuzzing -----------------------------------------------------------------------------

WIRE_KEYS = (
    "id object entry changes field value messaging time text from media sender message "
    "mid media_id comment_id x"
).split()
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from([ACCOUNT, OTHER, "comments", "mentions", "messages", "instagram"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(WIRE_KEYS) | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)
SEEDS = [
    fixture("instagram_comment.json"),
    fixture("instagram_mention.json"),
    json.loads(body({"id": ACCOUNT, "time": 1, "messaging": [dm_event()]})),
]


def _mutate(document: Any, path: list[int], replacement: Any) -> Any:
    """Replace the node reached by following `path` (indices modulo each container's size)."""
    if not path or not isinstance(document, dict | list) or not document:
        return replacement
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    document[key] = _mutate(document[key], path[1:], replacement)
    return document


def _parses_or_refuses(adapter: InstagramAdapter, raw: bytes) -> None:
    try:
        parsed = adapter.parse(raw, {})
    except BadPayload as exc:
        assert exc.reason
        return
    for skipped in parsed.skipped:
        assert skipped.reason in SkipReason and skipped.detail
        json.loads(skipped.item)
    mentions = parsed.mentions
    assert all(isinstance(m, Mention) and m.platform == "instagram" for m in mentions)
    assert all(m.account in (ACCOUNT, OTHER, NO_TOKEN_ENV, UNSET_ENV) for m in mentions)


@FUZZ
@given(raw=st.binary(max_size=300))
def test_any_bytes_parse_or_are_refused(offline: InstagramAdapter, raw: bytes) -> None:
    _parses_or_refuses(offline, raw)


@FUZZ
@given(document=json_values)
def test_any_json_parses_or_is_refused(offline: InstagramAdapter, document: Any) -> None:
    _parses_or_refuses(offline, json.dumps(document).encode())
    _parses_or_refuses(offline, json.dumps({"object": "instagram", "entry": [document]}).encode())


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    path=st.lists(st.integers(min_value=0, max_value=20), max_size=6),
    replacement=json_values,
)
def test_mutated_fixtures_parse_or_are_refused(
    offline: InstagramAdapter, seed: dict[str, Any], path: list[int], replacement: Any
) -> None:
    document = _mutate(copy.deepcopy(seed), path, replacement)
    _parses_or_refuses(offline, json.dumps(document).encode())


@FUZZ
@given(
    raw=st.binary(max_size=100),
    header=st.one_of(st.none(), st.text(max_size=80), st.just("sha256=")),
)
def test_verify_accepts_only_the_signature_or_refuses(
    offline: InstagramAdapter, raw: bytes, header: str | None
) -> None:
    headers = {} if header is None else {"X-Hub-Signature-256": header}
    with pytest.raises(BadSignature):
        offline.verify(raw, headers)
    offline.verify(raw, signed(raw))


# -- signatures and the handshake --------------------------------------------------------


def test_a_signed_body_is_accepted(offline: InstagramAdapter) -> None:
    raw = (FIXTURES / "instagram_comment.json").read_bytes()
    offline.verify(raw, signed(raw))
    hex_digest = signed(raw)["X-Hub-Signature-256"].removeprefix("sha256=")
    offline.verify(raw, {"X-Hub-Signature-256": "sha256=" + hex_digest.upper()})


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"X-Hub-Signature-256": ""}, "missing"),
        ({"X-Hub-Signature-256": "sha1=abc"}, "missing"),
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, "does not match"),
        ({"X-Hub-Signature-256": "sha256=zz"}, "does not match"),
        ({"X-Hub-Signature-256": "sha256=é"}, "sha256=<hex>"),
    ],
)
def test_missing_or_wrong_signatures_are_refused(
    offline: InstagramAdapter, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(BadSignature) as caught:
        offline.verify(b"{}", headers)
    assert reason in caught.value.reason


def test_another_secret_or_a_tampered_body_is_refused(offline: InstagramAdapter) -> None:
    raw = (FIXTURES / "instagram_comment.json").read_bytes()
    with pytest.raises(BadSignature):
        offline.verify(raw, signed(raw, "another-app"))
    with pytest.raises(BadSignature):
        offline.verify(raw.replace(b"ndag", b"ndag!"), signed(raw))


def test_without_an_app_secret_nothing_is_accepted() -> None:
    adapter = make_adapter("https://graph.invalid", httpx.AsyncClient(), FACEBOOK_APP_SECRET="")
    with pytest.raises(BadSignature, match="FACEBOOK_APP_SECRET"):
        adapter.verify(b"{}", signed(b"{}"))


def test_the_handshake_echoes_the_challenge_only_for_our_token(
    offline: InstagramAdapter,
) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": VERIFY_TOKEN,
    }
    assert (offline.handshake(query).status, offline.handshake(query).body) == (200, "1158201444")
    assert offline.handshake({**query, "hub.verify_token": "guess"}).status == 403
    assert offline.handshake({**query, "hub.mode": "unsubscribe"}).status == 403
    assert offline.handshake({}).status == 403


def test_the_registry_builds_it_with_its_optional_abilities(offline: InstagramAdapter) -> None:
    assert isinstance(offline, ChecksDrafts)
    assert isinstance(offline, Enriches)
    settings = Settings.from_env({})
    ctx = AdapterContext(settings, load_config_text(CONFIG), httpx.AsyncClient())
    assert load("instagram", ctx).name == "instagram"


# -- enrichment (the worker fills in what the mentions webhook leaves out) ----------------

MENTIONED = "17860000000000999"
THEIR_MEDIA = "17900000000000999"


def unenriched(external_id: str = MENTIONED, media: str = THEIR_MEDIA, **fields: Any) -> Mention:
    values: dict[str, Any] = {
        "external_id": external_id,
        "conversation_id": media,
        "author": Author(id=instagram.UNKNOWN_AUTHOR),
        "text": "",
        "kind": Kind.MENTION,
    }
    return mention(**{**values, **fields})


def their_comment(graph: FakeInstagramGraph) -> None:
    graph.mentioned_comments[MENTIONED] = {
        "id": MENTIONED,
        "text": "@acme.se my parcel is lost",
        "timestamp": "2025-11-23T08:15:00+0000",
        "like_count": 3,
        "from": {"id": "17850000000000555", "username": "olle"},
        "media": {"id": THEIR_MEDIA, "permalink": "https://www.instagram.com/p/ABC123/"},
    }


async def test_enrich_fetches_text_author_and_link(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    their_comment(graph)
    enriched = await adapter.enrich(unenriched())
    assert enriched.text == "@acme.se my parcel is lost"
    assert enriched.author == Author(id="17850000000000555", handle="olle")
    assert enriched.url == "https://www.instagram.com/p/ABC123/"
    assert enriched.created_at == datetime(2025, 11, 23, 8, 15, tzinfo=UTC)
    assert (enriched.key, enriched.conversation_id) == (f"instagram:{MENTIONED}", THEIR_MEDIA)
    [call] = graph.calls
    assert (call.method, call.path, call.authorization) == ("GET", f"/{ACCOUNT}", f"Bearer {TOKEN}")
    assert call.query == {
        "fields": f"mentioned_comment.comment_id({MENTIONED})"
        "{id,text,timestamp,from{id,username},media{id,permalink}}"
    }


async def test_enrich_asks_for_fewer_fields_when_meta_refuses_some(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    their_comment(graph)
    graph.refused_fields = {"from"}
    enriched = await adapter.enrich(unenriched())
    assert enriched.text == "@acme.se my parcel is lost"
    assert enriched.author.id == instagram.UNKNOWN_AUTHOR
    assert enriched.url == "https://www.instagram.com/p/ABC123/"
    assert len(graph.calls) == 2
    await adapter.enrich(unenriched())
    assert len(graph.calls) == 3, "the accepted field set is remembered"
    assert "from{" not in graph.calls[-1].query["fields"]


async def test_enrich_reads_a_caption_mention_from_mentioned_media(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    graph.mentioned_media[THEIR_MEDIA] = {
        "id": THEIR_MEDIA,
        "caption": "Unboxing from @acme.se",
        "timestamp": "2025-11-23T07:00:00+0000",
        "username": "olle",
        "permalink": "https://www.instagram.com/p/XYZ/",
    }
    enriched = await adapter.enrich(unenriched(external_id=THEIR_MEDIA))
    assert (enriched.text, enriched.author.handle, enriched.url) == (
        "Unboxing from @acme.se",
        "olle",
        "https://www.instagram.com/p/XYZ/",
    )
    assert graph.calls[0].query["fields"].startswith(f"mentioned_media.media_id({THEIR_MEDIA}){{")


async def test_enrich_leaves_everything_else_alone(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    plain = mention()
    assert await adapter.enrich(plain) is plain
    done = unenriched(text="already read")
    assert await adapter.enrich(done) is done
    assert graph.calls == []


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, graph_error(80002, "Too many calls to this Instagram account"), RateLimited),
        (400, graph_error(100, "Object does not exist", subcode=33), PermanentError),
        (400, graph_error(190, "Error validating access token"), PermanentError),
        (500, graph_error(1, "An unknown error occurred"), NotSent),
        (500, {"message": "boom"}, NotSent),
    ],
)
async def test_enrich_failures_are_not_sent_so_the_worker_retries(
    adapter: InstagramAdapter,
    graph: FakeInstagramGraph,
    status: int,
    error: dict[str, Any],
    expected: type[NotSent],
) -> None:
    graph.fail_next(status, error)
    with pytest.raises(expected):
        await adapter.enrich(unenriched())


async def test_enrich_of_a_deleted_comment_or_an_odd_answer(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    with pytest.raises(PermanentError, match="gone"):
        await adapter.enrich(unenriched())
    graph.answer_next(200, {"id": ACCOUNT})
    with pytest.raises(NotSent, match="no mentioned_comment"):
        await adapter.enrich(unenriched())
    graph.answer_next(200, "<html>maintenance</html>")
    with pytest.raises(NotSent, match="not JSON"):
        await adapter.enrich(unenriched())


async def test_enrich_when_meta_is_unreachable_or_silent(
    graph: FakeInstagramGraph, http: httpx.AsyncClient
) -> None:
    with pytest.raises(NotSent, match="unreachable"):
        await make_adapter(closed_port_url(), http).enrich(unenriched())
    graph.hang = True
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as impatient:
        with pytest.raises(NotSent):
            await make_adapter(graph.url, impatient).enrich(unenriched())


async def test_enrich_refuses_ids_that_are_not_graph_ids(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    with pytest.raises(PermanentError, match="not an Instagram mention id"):
        await adapter.enrich(unenriched(external_id="1){id}&access_token=x"))
    assert graph.calls == []


# -- replies -------------------------------------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v25.0"


async def test_a_public_reply_goes_under_the_comment(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    graph.comments[COMMENT] = ACCOUNT
    published = await adapter.reply(reply_to(mention(url="https://www.instagram.com/p/A/")))
    [call] = graph.calls
    assert (call.method, call.path) == ("POST", f"/{COMMENT}/replies")
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.body == {"message": "Hej Lisa!"}
    assert published.id == graph.posted[0]["id"]
    assert published.url == "https://www.instagram.com/p/A/"


async def test_a_reply_to_a_reply_goes_under_the_top_level_comment(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    graph.comments[COMMENT] = ACCOUNT
    target = mention(external_id="17860000000000790", parent_id=COMMENT, kind=Kind.REPLY)
    await adapter.reply(reply_to(target))
    assert graph.calls[0].path == f"/{COMMENT}/replies"


async def test_each_account_answers_with_its_own_token(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    graph.comments[COMMENT] = OTHER
    await adapter.reply(reply_to(mention(account=OTHER)))
    assert graph.calls[0].authorization == f"Bearer {OTHER_TOKEN}"


async def test_a_mention_is_answered_through_the_mentions_edge(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    their_comment(graph)
    graph.mentioned_media[THEIR_MEDIA] = {"id": THEIR_MEDIA}
    await adapter.reply(reply_to(unenriched(text="x"), "Sorry! DM us"))
    await adapter.reply(reply_to(unenriched(external_id=THEIR_MEDIA, text="x"), "Thanks!"))
    first, second = graph.calls
    assert (first.path, first.body) == (
        f"/{ACCOUNT}/mentions",
        {"media_id": THEIR_MEDIA, "comment_id": MENTIONED, "message": "Sorry! DM us"},
    )
    assert second.body == {"media_id": THEIR_MEDIA, "message": "Thanks!"}


async def test_a_private_reply_to_a_comment_is_a_message_to_its_author(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    graph.comments[COMMENT] = ACCOUNT
    published = await adapter.reply(reply_to(mention(), "Your order number?", private=True))
    [call] = graph.calls
    assert (call.path, call.authorization) == (f"/{ACCOUNT}/messages", f"Bearer {TOKEN}")
    assert call.body == {
        "recipient": {"comment_id": COMMENT},
        "message": {"text": "Your order number?"},
    }
    assert published.id.startswith("aWdfZAG1f")


async def test_a_dm_is_answered_in_the_thread(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    target = mention(external_id="aWdfZAG1fmid1", conversation_id=f"igdm:{IGSID}", kind=Kind.DM)
    published = await adapter.reply(reply_to(target, "Hej! 👋"))
    assert graph.calls[0].body == {"recipient": {"id": IGSID}, "message": {"text": "Hej! 👋"}}
    assert published == Published(id=published.id, url="")


async def test_a_private_reply_to_a_mention_is_refused_unsent(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    with pytest.raises(PermanentError, match="answer this mention publicly"):
        await adapter.reply(reply_to(unenriched(text="x"), private=True))
    assert graph.calls == []


@pytest.mark.parametrize(
    ("account", "env_name"),
    [(UNSET_ENV, "IG_TOKEN_FI"), (NO_TOKEN_ENV, "token_env"), ("1784", "not listed")],
)
async def test_without_a_token_nothing_is_sent(
    adapter: InstagramAdapter, graph: FakeInstagramGraph, account: str, env_name: str
) -> None:
    with pytest.raises(PermanentError, match=env_name):
        await adapter.reply(reply_to(mention(account=account)))
    with pytest.raises(PermanentError, match=env_name):
        await adapter.enrich(unenriched(account=account))
    assert graph.calls == []


async def test_ids_that_could_change_the_url_are_refused(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    with pytest.raises(PermanentError, match="not an Instagram comment id"):
        await adapter.reply(reply_to(mention(external_id="../me/messages")))
    assert graph.calls == []


async def test_a_rate_limit_says_when_to_come_back(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    usage = {ACCOUNT: [{"type": "instagram", "estimated_time_to_regain_access": 5}]}
    graph.fail_next(
        400,
        graph_error(80002, "There have been too many calls to this Instagram account"),
        {"X-Business-Use-Case-Usage": json.dumps(usage)},
    )
    with pytest.raises(RateLimited) as caught:
        await adapter.reply(reply_to(mention()))
    assert caught.value.retry_after == 300


@pytest.mark.parametrize(
    ("status", "error", "expected", "reason"),
    [
        (400, error_body(str(FIXTURES / "error_rate_limited.json")), RateLimited, "rate limit"),
        (400, error_body(str(FIXTURES / "error_comment_gone.json")), PermanentError, "gone"),
        (
            400,
            graph_error(
                10, "(#10) This message is sent outside of allowed window.", subcode=2534022
            ),
            PermanentError,
            "window has closed",
        ),
        (400, graph_error(190, "Error validating access token"), PermanentError, "renew"),
        (403, graph_error(200, "(#200) Permissions error"), PermanentError, "permission"),
        (503, graph_error(2, "Service temporarily unavailable"), NotSent, "temporarily"),
        (400, graph_error(2, "Service temporarily unavailable"), NotSent, "temporarily"),
        (500, graph_error(1, "An unknown error occurred"), OutcomeUnknown, "HTTP 500"),
        (500, {"message": "internal"}, OutcomeUnknown, "HTTP 500"),
    ],
)
async def test_graph_errors_map_to_ours(
    adapter: InstagramAdapter,
    graph: FakeInstagramGraph,
    status: int,
    error: dict[str, Any],
    expected: type[Exception],
    reason: str,
) -> None:
    graph.fail_next(status, error)
    with pytest.raises(expected, match=reason) as caught:
        await adapter.reply(reply_to(mention()))
    assert TOKEN not in str(caught.value)


async def test_the_fakes_own_refusals_are_mapped_too(
    adapter: InstagramAdapter, graph: FakeInstagramGraph, http: httpx.AsyncClient
) -> None:
    with pytest.raises(PermanentError, match="gone"):
        await adapter.reply(reply_to(mention()))
    graph.comments[COMMENT] = ACCOUNT
    adapter_with_bad_token = make_adapter(graph.url, http, IG_TOKEN_SE="revoked")
    with pytest.raises(PermanentError, match="renew"):
        await adapter_with_bad_token.reply(reply_to(mention()))
    target = mention(conversation_id=f"igdm:{IGSID}", kind=Kind.DM)
    with pytest.raises(PermanentError, match="1000"):
        await adapter.reply(reply_to(target, "ä" * 501))


async def test_unreachable_is_not_sent_but_silence_after_sending_is_unknown(
    graph: FakeInstagramGraph, http: httpx.AsyncClient
) -> None:
    with pytest.raises(NotSent, match="unreachable"):
        await make_adapter(closed_port_url(), http).reply(reply_to(mention()))
    graph.comments[COMMENT] = ACCOUNT
    graph.hang = True
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as impatient:
        with pytest.raises(OutcomeUnknown, match="after sending"):
            await make_adapter(graph.url, impatient).reply(reply_to(mention()))
    assert len(graph.calls) == 1


async def test_an_answer_without_an_id_is_unknown(
    adapter: InstagramAdapter, graph: FakeInstagramGraph
) -> None:
    graph.comments[COMMENT] = ACCOUNT
    graph.answer_next(200, {"success": True})
    with pytest.raises(OutcomeUnknown, match="without the id"):
        await adapter.reply(reply_to(mention()))


# -- draft checks ----------------------------------------------------------------------------

DM = mention(external_id="m1", conversation_id=f"igdm:{IGSID}", kind=Kind.DM)


@pytest.mark.parametrize(
    ("target", "text", "private", "now", "problem"),
    [
        (mention(), "a" * 2200, False, NOW, None),
        (mention(), "😀" * 2200, False, NOW, None),
        (mention(), "a" * 2201, False, NOW, "2,201 characters, at most 2,200"),
        (mention(), "  \n", False, NOW, "empty"),
        (mention(created_at=NOW - timedelta(days=30)), "Late but public", False, NOW, None),
        (DM, "a" * 1000, False, NOW, None),
        (DM, "😀" * 251, False, NOW, "1,004 bytes of UTF-8, at most 1,000"),
        (DM, "ok", False, NOW + timedelta(hours=23, minutes=59), None),
        (DM, "ok", False, NOW + timedelta(hours=24, minutes=1), "within 24 hours"),
        (mention(), "ok", True, NOW + timedelta(days=6), None),
        (mention(), "ok", True, NOW + timedelta(days=7, minutes=1), "within 7 days"),
        (mention(), "ä" * 501, True, NOW, "1,002 bytes"),
        (unenriched(text="x"), "ok", True, NOW, "answer this mention publicly"),
        (unenriched(text="x"), "ok", False, NOW + timedelta(days=60), None),
    ],
)
def test_draft_checks(
    offline: InstagramAdapter,
    target: Mention,
    text: str,
    private: bool,
    now: datetime,
    problem: str | None,
) -> None:
    found = offline.check(reply_to(target, text, private), now)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_length_is_counted_in_characters_against_the_comment_limit(
    offline: InstagramAdapter,
) -> None:
    assert offline.max_length == 2200
    assert offline.length("Hej 😀") == 5
