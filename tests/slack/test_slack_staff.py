"""Slack end to end for staff (issue 12 item 4): "Use template" clicked through the local Slack,
and the one-time tip about `>>` for a plain thread reply."""

from __future__ import annotations

import json
from typing import Any

from chatops.domain import Case
from chatops.slack.ids import Action
from chatops.workflow.commands import SYSTEM
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.fakes.slack import event_body
from tests.fakes.wait import eventually
from tests.slack import test_slack
from tests.slack.test_slack import ANNA, BOB, FIXTURES, SlackSystem

slack_config, ss = test_slack.slack_config, test_slack.ss
"""The local Slack and the product around it, as test_slack.py sets them up."""


async def _intent(ss: SlackSystem, intent: str) -> Case | None:
    case = await ss.case()
    return case if case.intent == intent else None


def _select(message: dict[str, Any], action: str) -> dict[str, Any]:
    return next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action
    )


async def test_use_template_from_the_case_message(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    assert message_violations(root["blocks"]) == []
    offered = _select(root, Action.TEMPLATE)
    assert offered["type"] == "static_select"
    assert "1001:apology" in [o["value"] for o in offered["options"]]

    await ss.select(Action.TEMPLATE, "1001", ANNA, "apology")
    case = await eventually(lambda: _intent(ss, "apology"))
    assert case.draft_author == SYSTEM and "Anna" in case.draft
    said = "Draft replaced with the template “Apology” by <@U0ANNA0001>"
    root = await eventually(lambda: _thread_says(ss, said))  # the listener's last step
    assert message_violations(root["blocks"]) == []
    assert _select(root, Action.TEMPLATE)["initial_option"]["value"] == "1001:apology"

    await ss.select(Action.TEMPLATE, "1001", ANNA, "sonnet")
    [refusal] = await eventually(lambda: _ephemerals(ss, ANNA))
    assert "no template 'sonnet'" in refusal
    assert (await ss.case()).intent == "apology"


async def _thread_says(ss: SlackSystem, fragment: str) -> dict[str, Any] | None:
    """The case message once its thread says `fragment` (everything queued is sent first)."""
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    thread = [r["text"] for r in ss.slack.thread("C0SOCIAL01", root["ts"])]
    return root if any(fragment in t for t in thread) else None


async def _ephemerals(ss: SlackSystem, user: str, count: int = 1) -> list[str] | None:
    found = ss.ephemerals_to(user)
    return found if len(found) >= count else None


async def test_a_plain_thread_reply_gets_the_tip_once_per_person(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    event = json.loads((FIXTURES / "thread_message_event.json").read_text())
    number = 0

    async def say(user: str, text: str) -> None:
        nonlocal number
        number += 1
        event["event_id"] = f"EvHint{number:06d}"
        event["event"].update(
            channel="C0SOCIAL01",
            thread_ts=root["ts"],
            user=user,
            text=text,
            ts=f"1763885000.{number:06d}",
        )
        await ss.send(event_body(event))

    await say(ANNA, "internal note: the invoice is late")
    [tip] = await eventually(lambda: _ephemerals(ss, ANNA))
    assert "`&gt;&gt;`" in tip and "stay internal" in tip
    [sent] = [e for e in ss.slack.ephemerals if e["user"] == ANNA]
    assert sent["thread_ts"] == root["ts"] and sent["channel"] == "C0SOCIAL01"

    await say(ANNA, "another note")
    await say(BOB, "I can take it")
    await eventually(lambda: _ephemerals(ss, BOB))
    await say(ANNA, ">> Hej! Vi kollar.")
    await eventually(lambda: _drafted(ss, "Hej! Vi kollar."))
    assert len(ss.ephemerals_to(ANNA)) == 1, "the tip is told once per person and case"
    assert len(ss.ephemerals_to(BOB)) == 1, "each person gets their own"


async def _drafted(ss: SlackSystem, text: str) -> Case | None:
    case = await ss.case()
    return case if case.draft == text else None
