"""FakeSlack against the real slack_sdk AsyncWebClient: if these pass, tests that point chatops at
the fake exercise the same requests and errors the real Web API would see and return."""

from __future__ import annotations

import json
import re
import time
import types
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.models.metadata import Metadata
from slack_sdk.signature import Clock as SignatureClock
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import (
    FIRST_TS,
    FakeSlack,
    ManualClock,
    event_body,
    fake_slack,  # noqa: F401
    interaction_body,
    sign_request,
    slack_headers,
    slash_body,
)

CH = "C0BILLING1"
OTHER = "C0SOCIAL01"
META: dict[str, Any] = {"event_type": "case_posted", "event_payload": {"case_id": "1042"}}
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def mono() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def slack(mono: ManualClock) -> AsyncIterator[FakeSlack]:
    async with FakeSlack(
        clock=mono,
        first_ts=FIRST_TS,
        channel_names={"billing-social": CH},
        user_groups={"S0COMMS": ["U0COMMS1", "U0COMMS2"]},
        users={"U0ANNA0001": "Anna Berg"},
    ) as server:
        yield server


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.url)


async def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


async def test_url_and_auth_test(slack: FakeSlack, client: AsyncWebClient) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", slack.url)
    r = await client.auth_test()
    assert (r["user"], r["team_id"], r["user_id"], r["bot_id"]) == (
        "chatops",
        "T0ACME",
        "U0BOT",
        "B0BOT",
    )


async def test_default_fixture_and_client_helper(fake_slack: FakeSlack) -> None:  # noqa: F811
    assert (await fake_slack.client().auth_test())["ok"]


async def test_post_update_and_history_carry_metadata(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Case #1042*"}}]
    posted = await client.chat_postMessage(
        channel=CH,
        text="Case #1042",
        blocks=blocks,
        metadata=Metadata(event_type=META["event_type"], event_payload=META["event_payload"]),
        unfurl_links=False,
    )
    assert posted["channel"] == CH
    assert posted["ts"] == FIRST_TS
    assert posted["message"]["metadata"] == META
    assert (posted["message"]["user"], posted["message"]["bot_id"]) == ("U0BOT", "B0BOT")

    new_meta = {"event_type": "case_claimed", "event_payload": {"case_id": "1042", "by": "anna"}}
    updated = await client.chat_update(
        channel=CH, ts=posted["ts"], text="Case #1042 (claimed)", metadata=new_meta
    )
    assert updated["message"]["text"] == "Case #1042 (claimed)"

    with_meta = await client.conversations_history(channel=CH, include_all_metadata=True)
    [msg] = with_meta["messages"]
    assert (msg["text"], msg["blocks"], msg["metadata"]) == (
        "Case #1042 (claimed)",
        blocks,
        new_meta,
    )
    without = await client.conversations_history(channel=CH)
    assert "metadata" not in without["messages"][0]
    assert slack.messages(CH)[0]["metadata"] == new_meta
    assert slack.calls_to("chat.postMessage")[0].args["unfurl_links"] is False


async def test_form_encoded_json_fields_are_decoded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [{"type": "divider"}]
    await client.api_call(
        "chat.postMessage",
        data={
            "channel": CH,
            "text": "form",
            "blocks": json.dumps(blocks),
            "metadata": json.dumps(META),
        },
    )
    [msg] = slack.messages(CH)
    assert (msg["blocks"], msg["metadata"]) == (blocks, META)
    assert "token" not in slack.calls[0].args


async def test_ts_are_unique_and_increasing(client: AsyncWebClient) -> None:
    ts = [(await client.chat_postMessage(channel=CH, text=str(i)))["ts"] for i in range(3)]
    assert ts == ["1763884801.000100", "1763884801.000200", "1763884801.000300"]


async def test_threads_broadcasts_and_replies(slack: FakeSlack, client: AsyncWebClient) -> None:
    parent = (await client.chat_postMessage(channel=CH, text="case", metadata=META))["ts"]
    r1 = await client.chat_postMessage(channel=CH, text="draft", thread_ts=parent)
    human = slack.add_message(CH, ">> Hej Karin!", user="U0ANNA0001", thread_ts=parent)
    r3 = await client.chat_postMessage(
        channel=CH, text="published", thread_ts=r1["ts"], reply_broadcast=True
    )

    assert r3["message"]["thread_ts"] == parent
    assert [m["ts"] for m in slack.thread(CH, parent)] == [r1["ts"], human["ts"], r3["ts"]]
    assert [m["text"] for m in slack.messages(CH)] == ["case", "published"]

    replies = await client.conversations_replies(channel=CH, ts=parent, include_all_metadata=True)
    assert [m["text"] for m in replies["messages"]] == [
        "case",
        "draft",
        ">> Hej Karin!",
        "published",
    ]
    assert replies["messages"][0]["metadata"] == META
    history = await client.conversations_history(channel=CH)
    top = history["messages"][-1]
    assert (top["reply_count"], top["latest_reply"]) == (3, r3["ts"])
    assert top["reply_users"] == ["U0BOT", "U0ANNA0001"]
    assert history["messages"][0]["subtype"] == "thread_broadcast"

    e = await api_error(client.chat_postMessage(channel=CH, text="x", thread_ts=""))
    assert e.response["error"] == "invalid_thread_ts"
    e = await api_error(client.chat_postMessage(channel=CH, text="x", thread_ts="1.000001"))
    assert e.response["error"] == "invalid_thread_ts"
    e = await api_error(
        client.chat_postMessage(channel=CH, text="x", thread_ts="1763884899.000100")
    )
    assert e.response["error"] == "thread_not_found"
    e = await api_error(client.conversations_replies(channel=CH, ts="1763884899.000100"))
    assert e.response["error"] == "thread_not_found"


async def test_history_paginates_newest_first(slack: FakeSlack, client: AsyncWebClient) -> None:
    ts = [(await client.chat_postMessage(channel=CH, text=str(i)))["ts"] for i in range(5)]
    first = await client.conversations_history(channel=CH, limit=2)
    assert [m["text"] for m in first["messages"]] == ["4", "3"]
    assert first["has_more"] is True
    second = await client.conversations_history(
        channel=CH, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in second["messages"]] == ["2", "1"]

    pages = [
        [m["text"] for m in page["messages"]]
        async for page in await client.conversations_history(channel=CH, limit=2)
    ]
    assert pages == [["4", "3"], ["2", "1"], ["0"]]

    window = await client.conversations_history(channel=CH, oldest=ts[1], latest=ts[3])
    assert [m["text"] for m in window["messages"]] == ["2"]
    window = await client.conversations_history(
        channel=CH, oldest=ts[1], latest=ts[3], inclusive=True
    )
    assert [m["text"] for m in window["messages"]] == ["3", "2", "1"]
    e = await api_error(client.conversations_history(channel=CH, cursor="garbage"))
    assert e.response["error"] == "invalid_cursor"


async def test_channel_rules(slack: FakeSlack, client: AsyncWebClient) -> None:
    assert (await client.chat_postMessage(channel="#billing-social", text="x"))["channel"] == CH
    for channel in ("X0NOPE", "#nope", "D0DM"):
        e = await api_error(client.chat_postMessage(channel=channel, text="x"))
        assert e.response["error"] == "channel_not_found"
    slack.not_in_channel.add(OTHER)
    e = await api_error(client.chat_postMessage(channel=OTHER, text="x"))
    assert e.response["error"] == "not_in_channel"
    e = await api_error(client.conversations_history(channel=OTHER))
    assert e.response["error"] == "not_in_channel"
    slack.not_in_channel.discard(OTHER)
    assert (await client.chat_postMessage(channel=OTHER, text="x"))["ok"]

    slack.channels = {CH}
    e = await api_error(client.chat_postMessage(channel=OTHER, text="x"))
    assert e.response["error"] == "channel_not_found"
    e = await api_error(client.api_call("chat.postMessage", json={"channel": CH}))
    assert e.response["error"] == "no_text"
    e = await api_error(client.chat_postMessage(channel=CH, text="x", blocks=[{"text": "no type"}]))
    assert e.response["error"] == "invalid_blocks"
    e = await api_error(client.chat_postMessage(channel=CH, text="x", metadata={"a": 1}))
    assert e.response["error"] == "invalid_metadata_format"


async def test_update_refusals(slack: FakeSlack, client: AsyncWebClient) -> None:
    e = await api_error(client.chat_update(channel=CH, ts="1763884899.000100", text="x"))
    assert e.response["error"] == "message_not_found"
    human = slack.add_message(CH, "mine")
    e = await api_error(client.chat_update(channel=CH, ts=human["ts"], text="x"))
    assert e.response["error"] == "cant_update_message"


async def test_ephemeral_and_permalink(slack: FakeSlack, client: AsyncWebClient) -> None:
    parent = (await client.chat_postMessage(channel=CH, text="case"))["ts"]
    reply = (await client.chat_postMessage(channel=CH, text="r", thread_ts=parent))["ts"]
    eph = await client.chat_postEphemeral(
        channel=CH, user="U0ANNA0001", text="Only you", thread_ts=parent
    )
    assert slack.ephemerals == [
        {
            "channel": CH,
            "user": "U0ANNA0001",
            "text": "Only you",
            "thread_ts": parent,
            "message_ts": eph["message_ts"],
        }
    ]
    assert slack.messages(CH)[-1]["text"] == "case"

    link = await client.chat_getPermalink(channel=CH, message_ts=parent)
    assert link["permalink"] == f"https://acme.slack.com/archives/{CH}/p1763884801000100"
    link = await client.chat_getPermalink(channel=CH, message_ts=reply)
    assert link["permalink"].endswith(f"p1763884801000200?thread_ts={parent}&cid={CH}")
    e = await api_error(client.chat_getPermalink(channel=CH, message_ts="1763884899.000100"))
    assert e.response["error"] == "message_not_found"


async def test_views_open_update_push(slack: FakeSlack, client: AsyncWebClient) -> None:
    modal = {
        "type": "modal",
        "callback_id": "case.draft",
        "private_metadata": "1042",
        "title": {"type": "plain_text", "text": "Edit draft"},
        "blocks": [],
    }
    opened = (await client.views_open(trigger_id="1763884803.1234.abcdef", view=modal))["view"]
    assert opened["id"].startswith("V")
    assert slack.views[opened["id"]]["callback_id"] == "case.draft"

    changed = {**modal, "title": {"type": "plain_text", "text": "Saved"}}
    updated = await client.views_update(view_id=opened["id"], view=changed, hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert slack.views[opened["id"]]["title"]["text"] == "Saved"
    e = await api_error(client.views_update(view_id=opened["id"], view=modal, hash="stale"))
    assert e.response["error"] == "hash_conflict"
    e = await api_error(client.views_update(view_id="V0NOPE", view=modal))
    assert e.response["error"] == "not_found"

    pushed = (await client.views_push(trigger_id="t", view={**modal, "external_id": "x1"}))["view"]
    assert pushed["id"] != opened["id"]
    await client.views_update(external_id="x1", view={**modal, "callback_id": "case.confirm"})
    assert slack.views[pushed["id"]]["callback_id"] == "case.confirm"


async def test_usergroups_and_users(client: AsyncWebClient) -> None:
    assert (await client.usergroups_users_list(usergroup="S0COMMS"))["users"] == [
        "U0COMMS1",
        "U0COMMS2",
    ]
    e = await api_error(client.usergroups_users_list(usergroup="S0NOPE"))
    assert e.response["error"] == "no_such_subteam"
    anna = (await client.users_info(user="U0ANNA0001"))["user"]
    assert (anna["real_name"], anna["profile"]["real_name"]) == ("Anna Berg", "Anna Berg")
    assert (await client.users_info(user="U0OTHER"))["user"]["real_name"] == "U0OTHER"


async def test_files_upload_v2(slack: FakeSlack, client: AsyncWebClient) -> None:
    r = await client.files_upload_v2(
        channel=CH,
        content=b"case,status\n1042,open\n",
        filename="cases.csv",
        title="Open cases",
        initial_comment="Weekly export",
    )
    assert r["file"]["title"] == "Open cases"
    [f] = slack.files
    assert (f.filename, f.title, f.content, f.channel_id, f.initial_comment) == (
        "cases.csv",
        "Open cases",
        b"case,status\n1042,open\n",
        CH,
        "Weekly export",
    )
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]

    await client.files_upload_v2(
        channel=CH,
        file_uploads=[
            {"content": "a", "filename": "a.txt"},
            {"content": "bb", "filename": "b.txt", "title": "B"},
        ],
    )
    assert [(f.title, f.content) for f in slack.files[1:]] == [("a.txt", b"a"), ("B", b"bb")]
    e = await api_error(client.files_completeUploadExternal(files=[{"id": "F0NOPE", "title": "x"}]))
    assert e.response["error"] == "file_not_found"


async def test_auth_failures(slack: FakeSlack) -> None:
    e = await api_error(AsyncWebClient(base_url=slack.url).auth_test())
    assert e.response["error"] == "not_authed"
    e = await api_error(AsyncWebClient(token="xoxb-wrong", base_url=slack.url).auth_test())
    assert e.response["error"] == "invalid_auth"

    client = slack.client()
    slack.revoke_token()
    e = await api_error(client.chat_postMessage(channel=CH, text="x"))
    assert (e.response.status_code, e.response["error"]) == (200, "invalid_auth")
    slack.revoke_token("account_inactive")
    e = await api_error(client.auth_test())
    assert e.response["error"] == "account_inactive"
    slack.restore_token()
    assert (await client.auth_test())["ok"]
    assert slack.messages(CH) == []


async def test_injected_errors_unknown_methods_and_5xx(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail("chat.postMessage", "msg_too_long", times=2)
    for _ in range(2):
        e = await api_error(client.chat_postMessage(channel=CH, text="x"))
        assert e.response["error"] == "msg_too_long"
    assert (await client.chat_postMessage(channel=CH, text="x"))["ok"]

    slack.fail("chat.update", "internal_error", status=503)
    e = await api_error(client.chat_update(channel=CH, ts=FIRST_TS, text="y"))
    assert (e.response.status_code, e.response["error"]) == (503, "internal_error")
    assert slack.messages(CH)[0]["text"] == "x"

    e = await api_error(client.api_call("reactions.add"))
    assert e.response["error"] == "unknown_method"
    assert [(c.status, c.error) for c in slack.calls[-2:]] == [
        (503, "internal_error"),
        (200, "unknown_method"),
    ]


async def test_force_429_sets_retry_after(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.force_429("chat.postMessage", times=1, retry_after=7)
    e = await api_error(client.chat_postMessage(channel=CH, text="x"))
    assert (e.response.status_code, e.response["error"]) == (429, "ratelimited")
    assert e.response.headers["Retry-After"] == "7"
    assert slack.rejected_429 == 1
    assert slack.messages(CH) == []


async def test_rate_limit_retry_handler_retries(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slack_sdk only retries 429s with this handler; its sleep is captured so nothing waits."""
    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(builtin_async_handlers, "asyncio", types.SimpleNamespace(sleep=no_sleep))
    client = slack.client(retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    slack.force_429("chat.postMessage", times=1, retry_after=3)

    assert (await client.chat_postMessage(channel=CH, text="x"))["ok"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert 3 <= slept[0] < 4
    assert len(slack.messages(CH)) == 1


async def test_token_bucket_per_channel(
    slack: FakeSlack, client: AsyncWebClient, mono: ManualClock
) -> None:
    slack.post_rate = (1.0, 2)
    for _ in range(2):
        await client.chat_postMessage(channel=CH, text="burst")
    e = await api_error(client.chat_postMessage(channel=CH, text="over"))
    assert (e.response.status_code, e.response.headers["Retry-After"]) == (429, "1")
    assert (await client.chat_postMessage(channel=OTHER, text="other channel"))["ok"]

    mono.advance(0.5)
    e = await api_error(client.chat_postMessage(channel=CH, text="still over"))
    assert e.response.headers["Retry-After"] == "1"
    mono.advance(0.5)
    assert (await client.chat_postMessage(channel=CH, text="refilled"))["ok"]
    assert [m["text"] for m in slack.messages(CH)] == ["burst", "burst", "refilled"]
    assert slack.rejected_429 == 2

    slack.post_rate = (0.25, 1)
    await client.chat_postMessage(channel=CH, text="a")
    e = await api_error(client.chat_postMessage(channel=CH, text="b"))
    assert e.response.headers["Retry-After"] == "4"
    slack.post_rate = None
    assert (await client.chat_postMessage(channel=CH, text="c"))["ok"]


async def test_calls_are_recorded_and_latency_applies(
    slack: FakeSlack, client: AsyncWebClient, mono: ManualClock
) -> None:
    await client.chat_postMessage(channel=CH, text="one")
    mono.advance(2)
    await client.users_info(user="U0ANNA0001")
    assert [(c.method, c.at, c.ok) for c in slack.calls] == [
        ("chat.postMessage", 1000.0, True),
        ("users.info", 1002.0, True),
    ]
    assert slack.calls_to("users.info")[0].args == {"user": "U0ANNA0001"}
    slack.reset_calls()
    assert slack.calls == []

    slack.delay = 0.05
    started = time.perf_counter()
    await client.auth_test()
    assert time.perf_counter() - started >= 0.05


class FixedClock(SignatureClock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def test_signatures_verify_with_slack_sdk() -> None:
    body = event_body({"type": "event_callback", "event": {"type": "message"}})
    assert SignatureVerifier(SECRET).is_valid_request(body, sign_request(body, SECRET))
    headers = sign_request(body, SECRET, timestamp=1763884900)
    assert headers["X-Slack-Request-Timestamp"] == "1763884900"
    assert SignatureVerifier(SECRET, FixedClock(1763884960)).is_valid_request(body, headers)
    assert not SignatureVerifier(SECRET, FixedClock(1763885300)).is_valid_request(body, headers)
    assert not SignatureVerifier("other", FixedClock(1763884960)).is_valid_request(body, headers)

    form = slack_headers(interaction_body({"type": "block_actions"}), SECRET, retry_num=1)
    assert form["Content-Type"] == "application/x-www-form-urlencoded"
    assert (form["X-Slack-Retry-Num"], form["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    assert slack_headers(body, SECRET)["Content-Type"] == "application/json"


def test_inbound_bodies_have_slack_shapes() -> None:
    payload = {"type": "block_actions", "actions": [{"action_id": "case.claim", "value": "1042"}]}
    form = parse_qs(interaction_body(payload).decode())
    assert json.loads(form["payload"][0]) == payload
    assert json.loads(event_body(payload)) == payload
    slash = {
        k: v[0] for k, v in parse_qs(slash_body("/case", "1042 claim", "U0A", CH).decode()).items()
    }
    assert (slash["command"], slash["text"], slash["user_id"], slash["channel_id"]) == (
        "/case",
        "1042 claim",
        "U0A",
        CH,
    )
    assert slash["trigger_id"] and slash["response_url"].startswith("https://hooks.slack.com/")


# -- Block Kit limits: the fake refuses what Slack refuses ------------------------------------


def _menu_message(value: str) -> list[dict[str, Any]]:
    option = {"text": {"type": "plain_text", "text": "Anna: hej"}, "value": value}
    menu = {
        "type": "static_select",
        "action_id": "case.reply_to",
        "placeholder": {"type": "plain_text", "text": "Answer…"},
        "options": [option],
    }
    return [{"type": "actions", "block_id": "case-1042", "elements": [menu]}]


async def test_invalid_blocks_are_refused_everywhere_a_message_goes(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    too_long = _menu_message("1042:instagram:" + "a" * 164)
    fine = _menu_message("1042:1:abcdef")
    posted = await client.chat_postMessage(channel=CH, text="case", blocks=fine)
    calls = {
        "chat.postMessage": client.chat_postMessage(channel=CH, text="x", blocks=too_long),
        "chat.update": client.chat_update(channel=CH, ts=posted["ts"], text="x", blocks=too_long),
        "chat.postEphemeral": client.chat_postEphemeral(
            channel=CH, user="U0ANNA0001", text="x", blocks=too_long
        ),
    }
    for method, call in calls.items():
        e = await api_error(call)
        assert e.response["error"] == "invalid_blocks", method
        [error] = e.response["errors"]
        assert error == "blocks[0].elements[0].options[0].value: 179 > 150"  # as in the issue
        assert e.response["response_metadata"]["messages"] == [f"[ERROR] {error}"]
    assert slack.messages(CH)[-1]["blocks"] == fine  # the refused update changed nothing
    assert slack.ephemerals == []


async def test_text_and_total_limits(client: AsyncWebClient) -> None:
    assert (await client.chat_postMessage(channel=CH, text="x" * 40_000))["ok"]
    e = await api_error(client.chat_postMessage(channel=CH, text="x" * 40_001))
    assert e.response["error"] == "msg_too_long"
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000}}
    e = await api_error(client.chat_postMessage(channel=CH, text="x", blocks=[section] * 4))
    assert e.response["error"] == "msg_blocks_too_long"
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    e = await api_error(client.chat_postMessage(channel=CH, text="x", blocks=[header]))
    assert e.response["error"] == "invalid_blocks"


async def test_views_are_held_to_the_view_limits(slack: FakeSlack, client: AsyncWebClient) -> None:
    from chatops.slack.modals import draft_modal

    modal = draft_modal("1042", "Hej!", title_case="#1042")
    opened = (await client.views_open(trigger_id="t", view=modal))["view"]
    long_title = {**modal, "title": {"type": "plain_text", "text": "Edit draft #1042 " * 3}}
    for call in (
        client.views_open(trigger_id="t", view=long_title),
        client.views_push(trigger_id="t", view=long_title),
        client.views_update(view_id=opened["id"], view=long_title),
    ):
        e = await api_error(call)
        assert e.response["error"] == "invalid_arguments"
        assert "view.title.text: 51 > 24" in e.response["errors"]
    assert slack.views[opened["id"]]["title"] == modal["title"]


async def test_views_publish_keeps_one_home_tab_per_user(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    home: dict[str, Any] = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    first = (await client.views_publish(user_id="U0ANNA0001", view=home))["view"]
    again = (await client.views_publish(user_id="U0ANNA0001", view=home))["view"]
    assert first["id"] == again["id"] and slack.home_views["U0ANNA0001"]["type"] == "home"
    too_many = {**home, "blocks": home["blocks"] * 101}
    e = await api_error(client.views_publish(user_id="U0ANNA0001", view=too_many))
    assert e.response["error"] == "invalid_arguments"
    assert "view.blocks: 101 items > 100" in e.response["errors"]
    e = await api_error(client.views_publish(user_id="U0ANNA0001", view={**home, "type": "modal"}))
    assert e.response["error"] == "invalid_arguments"
