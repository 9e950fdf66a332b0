"""Erasure and removal as Slack shows them: the case message rewritten in place through the
local Slack Web API (chat.update), a line in the thread that names nobody."""

from __future__ import annotations

import json

from tests.fakes import mention_json
from tests.privacy.helpers import BO_REMOVES, THREAD, forget_anna
from tests.slack.test_slack import SlackSystem, slack_config, ss

__all__ = ["slack_config", "ss"]  # the Slack system's fixtures, used here as they are


async def test_forget_rewrites_the_case_message_and_says_so_in_its_thread(
    ss: SlackSystem,
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Var är min faktura? /Anna", name="Anna Berg"))
    await ss.flush()
    [before] = ss.slack.messages("C0BILLING1")
    assert "Anna Berg" in json.dumps(before["blocks"], ensure_ascii=False)
    ss.slack.reset_calls()

    await forget_anna(ss.rt, ss.clock)
    await ss.flush()

    assert ss.slack.calls_to("chat.update"), "the case message is updated in place"
    [after] = ss.slack.messages("C0BILLING1")
    shown = json.dumps([after["text"], after["blocks"]], ensure_ascii=False)
    assert "Anna" not in shown and "faktura" not in shown
    assert "[erased on request]" in shown
    [line] = ss.slack.thread("C0BILLING1", after["ts"])
    assert "erased on their request" in line["text"] and "Anna" not in line["text"]


async def test_a_removal_rewrites_the_case_message_without_its_text(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Min adress är Storgatan 1", name="Anna Berg"))
    await ss.flush()
    ss.slack.reset_calls()

    await ss.ingest(mention_json("m-1", "post-1", "", name="Anna Berg", change="removed"))
    await ss.flush()

    assert ss.slack.calls_to("chat.update"), "the case message is updated in place"
    [after] = ss.slack.messages("C0SOCIAL01")
    shown = json.dumps([after["text"], after["blocks"]], ensure_ascii=False)
    assert "Storgatan" not in shown and "removed by its author" in shown
    [line] = ss.slack.thread("C0SOCIAL01", after["ts"])
    assert "removed their comment" in line["text"] and "Storgatan" not in line["text"]


async def test_thread_lines_quoting_what_is_gone_are_rewritten(ss: SlackSystem) -> None:
    """A later comment is a thread line quoting it: after its removal, and after its author's
    erasure, the line says so instead (found by the id it was posted with)."""
    for item in THREAD:
        await ss.ingest(item)
    await ss.flush()
    [root] = ss.slack.messages("C0BILLING1")
    quoting = [m["text"] for m in ss.slack.thread("C0BILLING1", root["ts"])]
    assert any("Storgatan" in t for t in quoting) and any("070-1234567" in t for t in quoting)

    await ss.ingest(BO_REMOVES)
    await ss.flush()
    await forget_anna(ss.rt, ss.clock)
    await ss.flush()

    thread = [m["text"] for m in ss.slack.thread("C0BILLING1", root["ts"])]
    everything = json.dumps(
        ss.slack.messages("C0BILLING1") + ss.slack.thread("C0BILLING1", root["ts"]),
        ensure_ascii=False,
    )
    for gone in ("Storgatan", "070-1234567", "faktura", "Anna"):
        assert gone not in everything, f"{gone!r} still shown in Slack"
    assert "🗑️ Bo Ek removed this comment on the platform" in thread
    assert "🔒 [erased on request]" in thread
