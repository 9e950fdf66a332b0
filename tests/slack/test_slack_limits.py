"""Slack never refuses us silently, end to end through signed requests and the local Slack.

The local Slack (tests/fakes/slack.py) refuses what Slack refuses (tests/fakes/block_kit.py);
these tests check that what we send passes, that a refusal still shows the case in a minimal
form (counted in /metrics, logged with the case), and the shapes a `>>` draft arrives in.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chatops.domain import Case, State
from chatops.slack.blocks import reply_to_value
from chatops.slack.drafts import thread_draft
from chatops.slack.ids import Action
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.fakes.slack import event_body
from tests.fakes.wait import eventually
from tests.slack import test_slack
from tests.slack.test_slack import ANNA, SlackSystem, action_ids

slack_config = test_slack.slack_config  # the fixtures of tests/slack/test_slack.py
ss = test_slack.ss

CHANNEL = "C0SOCIAL01"
IG_MID = ("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAwOjM0MDI4MjM2Njg0MTcx" * 3)[
    :164
]
CUSTOMER_TEXT = "Mitt personnummer är hemligt, var är paketet?"


async def _case(ss: SlackSystem) -> Case:
    return await ss.case()


async def _fallbacks(ss: SlackSystem, reason: str) -> float:
    r = await ss.client.get("/metrics")
    assert r.status == 200
    needle = f'chatops_slack_fallbacks_total{{reason="{reason}"}} '
    for line in (await r.text()).splitlines():
        if line.startswith(needle):
            return float(line.removeprefix(needle))
    return 0.0


def _root(ss: SlackSystem) -> dict[str, Any]:
    [root] = ss.slack.messages(CHANNEL)
    return root


# -- what we send passes ---------------------------------------------------------------------


async def test_two_dms_with_164_character_ids_keep_the_card_updating(ss: SlackSystem) -> None:
    """The issue's frozen card: option values of 179 characters refused every chat.update."""
    await ss.ingest(mention_json(IG_MID, "dm-1", CUSTOMER_TEXT, kind="dm"))
    await ss.flush()
    await ss.ingest(mention_json(IG_MID[:-3] + "xyz", "dm-1", "Hallå?", kind="dm"))
    await ss.flush()
    updates = ss.slack.calls_to("chat.update")
    assert updates and all(c.ok for c in updates)
    root = _root(ss)
    assert message_violations(root["blocks"], root["text"]) == []
    menu = next(
        e
        for b in root["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.REPLY_TO
    )
    assert all(len(o["value"]) <= 150 for o in menu["options"])

    case = await ss.case()
    first = reply_to_value(case, case.mention_keys[0])
    option = {"text": {"type": "plain_text", "text": "Anna"}, "value": first}
    await ss.click(Action.REPLY_TO, "1001", ANNA, type="static_select", selected_option=option)
    await eventually(lambda: _replies_to(ss, case.mention_keys[0]))
    assert await _fallbacks(ss, "invalid_blocks") == 0


async def _replies_to(ss: SlackSystem, key: str) -> Case | None:
    case = await ss.case()
    return case if case.reply_to == key else None


async def test_a_cleared_menu_gets_an_answer_not_an_error(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    before = await ss.case()
    for action in (Action.REROUTE, Action.REPLY_TO, Action.DISMISS):
        r = await ss.click(action, "1001", ANNA, type="static_select", selected_option=None)
        assert r.status == 200
    texts = await eventually(lambda: _at_least(ss.ephemerals_to(ANNA), 3))
    assert all("nothing was chosen" in t for t in texts)
    assert (await ss.case()).version == before.version


async def _at_least(items: list[str], n: int) -> list[str] | None:
    return items if len(items) >= n else None


# -- when Slack refuses anyway ---------------------------------------------------------------


async def test_a_refused_update_falls_back_is_counted_and_the_next_change_is_full(
    ss: SlackSystem, caplog: pytest.LogCaptureFixture
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", CUSTOMER_TEXT))
    await ss.flush()
    ss.slack.fail("chat.update", "invalid_blocks")
    caplog.set_level(logging.INFO)
    await ss.click(Action.CLAIM, "1001", ANNA)
    await eventually(lambda: _owned(ss))
    await ss.flush()

    minimal = _root(ss)
    assert action_ids(minimal) == [Action.EDIT, Action.PUBLISH]  # claimed: edit and publish
    assert "Slack refused the full case message" in json.dumps(minimal["blocks"])
    assert "|View on Sandbox>" in json.dumps(minimal["blocks"])
    assert await _fallbacks(ss, "invalid_blocks") == 1
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any("case 1001" in m and "invalid_blocks" in m for m in logged), logged
    assert not any(CUSTOMER_TEXT in r.getMessage() for r in caplog.records)

    await ss.click(Action.UNCLAIM, "1001", ANNA)
    await eventually(lambda: _unowned(ss))
    await ss.flush()
    full = _root(ss)
    assert full["blocks"][0]["type"] == "header"
    assert Action.CLAIM in action_ids(full) and Action.REROUTE in action_ids(full)
    assert await _fallbacks(ss, "invalid_blocks") == 1


async def _owned(ss: SlackSystem) -> Case | None:
    case = await ss.case()
    return case if case.owner == ANNA else None


async def _unowned(ss: SlackSystem) -> Case | None:
    case = await ss.case()
    return case if case.owner is None else None


async def test_a_refused_first_post_still_shows_the_case(ss: SlackSystem) -> None:
    ss.slack.fail("chat.postMessage", "msg_blocks_too_long")
    await ss.ingest(mention_json("m-1", "post-1", CUSTOMER_TEXT))
    await ss.flush()
    root = _root(ss)
    assert action_ids(root) == [Action.CLAIM, Action.EDIT, Action.PUBLISH]
    assert root["metadata"]["event_payload"] == {"case_id": "1001"}
    assert await ss.backend.outbox.thread_of("1001") == (CHANNEL, root["ts"])
    assert await _fallbacks(ss, "msg_blocks_too_long") == 1
    await ss.click(Action.CLAIM, "1001", ANNA)  # the minimal message's buttons work
    await eventually(lambda: _owned(ss))
    await ss.flush()
    assert _root(ss)["blocks"][0]["type"] == "header"


async def test_a_refused_thread_reply_goes_out_as_text(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    ss.slack.fail("chat.postMessage", "invalid_blocks")
    await ss.click(Action.CLAIM, "1001", ANNA)
    await eventually(lambda: _owned(ss))
    await ss.flush()
    replies = ss.slack.thread(CHANNEL, _root(ss)["ts"])
    assert any("claimed" in r["text"].lower() for r in replies), replies
    assert await _fallbacks(ss, "invalid_blocks") == 1


async def test_when_even_the_minimal_form_is_refused_it_is_reported(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    ss.slack.fail("chat.update", "invalid_blocks", times=2)
    await ss.click(Action.CLAIM, "1001", ANNA)
    await eventually(lambda: _owned(ss))

    async def reported() -> dict[str, str] | None:
        await ss.flush()  # the listener marks the message for an update after the claim
        problems = await ss.rt.store.problems.current(ss.clock())
        return problems if any("invalid_blocks" in str(v) for v in problems.values()) else None

    await eventually(reported)
    assert await _fallbacks(ss, "invalid_blocks") == 0


# -- `>>` in every shape Slack delivers it ---------------------------------------------------


def _event(event: dict[str, Any], n: int) -> bytes:
    return event_body(
        {
            "token": "legacy",
            "team_id": "T0ACME",
            "api_app_id": "A0CHATOPS",
            "type": "event_callback",
            "event_id": f"Ev00000000{n:02d}",
            "event_time": 1763884900 + n,
            "event": event,
            "authorizations": [{"team_id": "T0ACME", "user_id": "U0BOT", "is_bot": True}],
        }
    )


def _reply(root_ts: str, text: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": CHANNEL,
        "user": ANNA,
        "text": text,
        "ts": f"1763884900.{n:06d}",
        "thread_ts": root_ts,
        "channel_type": "channel",
        "event_ts": f"1763884900.{n:06d}",
        **extra,
    }


async def _draft_is(ss: SlackSystem, text: str) -> Case | None:
    case = await ss.case()
    return case if case.draft == text else None


async def _started(ss: SlackSystem) -> str:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    return str(_root(ss)["ts"])


async def test_a_draft_also_sent_to_the_channel(ss: SlackSystem) -> None:
    root = await _started(ss)
    broadcast = _reply(
        root, ">> Hej! Vi kollar.", 1, subtype="thread_broadcast", root={"ts": root, "text": "x"}
    )
    assert (await ss.send(_event(broadcast, 1))).status == 200
    await eventually(lambda: _draft_is(ss, "Hej! Vi kollar."))


async def test_a_draft_with_a_file_keeps_the_text_and_says_the_file_is_not_sent(
    ss: SlackSystem,
) -> None:
    root = await _started(ss)
    files = [{"id": "F0FILE0001", "name": "kvitto.png", "mimetype": "image/png"}]
    shared = _reply(root, ">> Här är kvittot.", 2, subtype="file_share", files=files, upload=False)
    await ss.send(_event(shared, 2))
    await eventually(lambda: _draft_is(ss, "Här är kvittot."))

    async def noted() -> bool:
        await ss.flush()  # the listener queues the note after the draft is stored
        replies = [r["text"] for r in ss.slack.thread(CHANNEL, root)]
        return any("a file was attached in Slack and is not sent" in t for t in replies)

    await eventually(noted)
    assert ss.platform.received == []


async def test_an_edited_draft_reply_becomes_the_new_draft(ss: SlackSystem) -> None:
    root = await _started(ss)
    original = _reply(root, ">> Hej! Vi kollar.", 3)
    await ss.send(_event(original, 3))
    await eventually(lambda: _draft_is(ss, "Hej! Vi kollar."))
    edited = {**original, "text": ">> Hej! Vi kollar och återkommer i dag."}
    edited["edited"] = {"user": ANNA, "ts": "1763884950.000000"}
    changed = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": CHANNEL,
        "ts": "1763884950.000100",
        "event_ts": "1763884950.000100",
        "message": edited,
        "previous_message": original,
        "channel_type": "channel",
    }
    await ss.send(_event(changed, 4))
    await eventually(lambda: _draft_is(ss, "Hej! Vi kollar och återkommer i dag."))

    same_text = {**changed, "previous_message": edited, "ts": "1763884951.000100"}
    same_text["message"] = {**edited, "text": ">> Hej! Vi kollar och återkommer i dag."}
    bot_edit = {**changed, "message": {**edited, "text": ">> bot", "bot_id": "B0BOT"}}
    not_a_draft = {**changed, "message": {**edited, "text": "an internal note now"}}
    for n, event in enumerate((same_text, bot_edit, not_a_draft), start=5):
        assert (await ss.send(_event(event, n))).status == 200
    await ss.flush()
    case = await ss.case()
    assert case.draft == "Hej! Vi kollar och återkommer i dag."
    assert case.state is State.DRAFTED


# -- which message events carry a draft (pure) -----------------------------------------------

ROOT_TS, REPLY_TS = "1763884801.000100", "1763884900.000300"
PLAIN = {"type": "message", "channel": CHANNEL, "user": ANNA, "ts": REPLY_TS, "thread_ts": ROOT_TS}


def _changed(new: dict[str, Any], old_text: str = ">> old") -> dict[str, Any]:
    message = {**PLAIN, **new}
    message.pop("channel")
    previous = {**PLAIN, "text": old_text}
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "message": message,
        "previous_message": previous,
    }


DRAFT_EVENTS: list[tuple[str, dict[str, Any], str | None]] = [
    ("plain reply", {**PLAIN, "text": ">> Hej!"}, "Hej!"),
    ("internal note", {**PLAIN, "text": "just a note"}, None),
    ("broadcast", {**PLAIN, "text": ">> Hej!", "subtype": "thread_broadcast"}, "Hej!"),
    (
        "file share",
        {**PLAIN, "text": ">> Se bild", "subtype": "file_share", "files": [{}]},
        "Se bild",
    ),
    ("file without text", {**PLAIN, "text": "", "subtype": "file_share", "files": [{}]}, None),
    ("top level", {**PLAIN, "text": ">> Hej!", "thread_ts": None}, None),
    ("a bot", {**PLAIN, "text": ">> Hej!", "bot_id": "B0BOT"}, None),
    ("bot message", {**PLAIN, "text": ">> Hej!", "subtype": "bot_message"}, None),
    ("joined", {**PLAIN, "text": ">> Hej!", "subtype": "channel_join"}, None),
    (
        "deleted",
        {**PLAIN, "subtype": "message_deleted", "previous_message": {"text": ">> x"}},
        None,
    ),
    ("edited", _changed({"text": ">> new"}), "new"),
    ("edited, same text", _changed({"text": ">> old"}), None),
    ("edited into a note", _changed({"text": "a note"}), None),
    ("a note edited into a draft", _changed({"text": ">> now"}, "note"), "now"),
    ("our own update", _changed({"text": ">> x", "bot_id": "B0BOT"}), None),
    ("the parent edited", _changed({"text": ">> x", "ts": ROOT_TS}), None),
    ("edited tombstone", _changed({"text": ">> x", "subtype": "tombstone"}), None),
]


@pytest.mark.parametrize(("name", "event", "draft"), DRAFT_EVENTS, ids=[d[0] for d in DRAFT_EVENTS])
def test_which_events_carry_a_draft(name: str, event: dict[str, Any], draft: str | None) -> None:
    found = thread_draft(event)
    assert (found.text if found else None) == draft
    if found is not None:
        assert (found.channel, found.thread_ts, found.user) == (CHANNEL, ROOT_TS, ANNA)
        assert found.has_files == (event.get("subtype") == "file_share")
