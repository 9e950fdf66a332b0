"""Slack end to end: signed requests to /slack/events, a local server speaking the Web API.

The product is assembled as `chatops run` assembles it; only Slack and the sandbox platform
are stand-ins, reached through slack_sdk and httpx via SLACK_API_URL / SANDBOX_API_URL.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatops import keys, runtime
from chatops.config import Config, load_config_text
from chatops.domain import Case, State
from chatops.knowledge.answers import answer_of
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.slack.backend import SlackBackend
from chatops.slack.blocks import case_block_id
from chatops.slack.ids import Action, View
from chatops.store import Store
from chatops.workflow.transitions import ALLOWED
from tests.builders import published_case
from tests.conftest import Clock, System
from tests.fakes import SandboxPlatform, mention_json, signed
from tests.fakes.slack import FakeSlack, event_body, interaction_body, slack_headers
from tests.fakes.wait import eventually

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "slack"
SECRET = "slack-signing-secret"
ANNA, BOB, COMMS1, COMMS2 = "U0ANNA0001", "U0BOB00001", "U0COMMS001", "U0COMMS002"

SLACK_CONFIG = """
timezone: Europe/Stockholm
brand: Acme
chat: {backend: slack}
platforms: {sandbox: {}}
departments:
  - {id: social, name: Social team, channel: C0SOCIAL01, languages: [sv, en],
     escalate_to: [S0SOCLEAD1]}
  - {id: billing, name: Billing, channel: C0BILLING1, languages: [sv, en]}
  - {id: legal, name: Legal, channel: C0LEGAL001}
routing:
  rules: [{match: {keywords: [faktura, invoice]}, to: billing}]
  default: social
approval:
  approvers: [S0COMMS001]
  sensitive_keywords: [lawsuit, journalist]
  min_followers: 10000
  departments: [legal]
"""


@dataclass
class SlackSystem:
    rt: Runtime
    slack: FakeSlack
    client: TestClient
    platform: SandboxPlatform
    clock: Clock

    @property
    def backend(self) -> SlackBackend:
        assert isinstance(self.rt.chat, SlackBackend)
        return self.rt.chat

    async def ingest(self, *items: dict[str, Any]) -> None:
        raw, headers = signed(list(items))
        r = await self.client.post("/webhooks/sandbox", data=raw, headers=headers)
        assert r.status == 200
        await System.drain(self)  # type: ignore[arg-type]

    async def flush(self) -> None:
        """Send everything queued (rates are high in tests; nothing is paused)."""
        redis = self.rt.store.redis
        for _ in range(100):
            await self.backend.sender.tick()
            if not await redis.scard(keys.SLACK_CHANNELS) and not await redis.scard(
                keys.SLACK_DIRTY
            ):
                return
        raise AssertionError("outbox did not drain")

    async def case(self, case_id: str = "1001") -> Case:
        case = await self.rt.store.cases.get(case_id)
        assert case is not None
        return case

    async def send(self, body: bytes, **header_kw: Any) -> Any:
        headers = slack_headers(body, SECRET, **header_kw)
        return await self.client.post("/slack/events", data=body, headers=headers)

    async def click(self, action: str, case_id: str, user: str, **extra: Any) -> Any:
        payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
        payload["user"]["id"] = user
        thread = await self.backend.outbox.thread_of(case_id)
        channel = thread[0] if thread else "C0SOCIAL01"
        payload["channel"]["id"] = payload["container"]["channel_id"] = channel
        if thread is not None:  # the click comes from the case's own message
            payload["container"]["message_ts"] = payload["message"]["ts"] = thread[1]
        case = await self.rt.store.cases.get(case_id)  # clicked on a message showing it now
        payload["actions"] = [
            {
                "action_id": action,
                "block_id": case_block_id(case) if case else f"case-{case_id}",
                "type": "button",
                "value": case_id,
                "action_ts": "1763884802.000200",
                **extra,
            }
        ]
        return await self.send(interaction_body(payload))

    async def select(self, action: str, case_id: str, user: str, choice: str) -> Any:
        option = {"text": {"type": "plain_text", "text": choice}, "value": f"{case_id}:{choice}"}
        return await self.click(action, case_id, user, type="static_select", selected_option=option)

    async def submit(self, callback: str, case_id: str, user: str, block: str, value: str) -> Any:
        payload = json.loads((FIXTURES / "view_submission_draft.json").read_text())
        payload["user"]["id"] = user
        payload["view"]["callback_id"] = callback
        payload["view"]["private_metadata"] = case_id
        opened = [
            v
            for v in self.slack.views.values()
            if v.get("callback_id") == callback and v.get("private_metadata") == case_id
        ]
        if opened:  # the modal the click opened; else a view we never opened (refused)
            payload["view"]["id"] = opened[-1]["id"]
        payload["view"]["state"]["values"] = {
            block: {"text": {"type": "plain_text_input", "value": value}}
        }
        return await self.send(interaction_body(payload))

    def ephemerals_to(self, user: str) -> list[str]:
        return [e["text"] for e in self.slack.ephemerals if e["user"] == user]


@pytest.fixture
async def slack_config() -> Config:
    return load_config_text(SLACK_CONFIG, source="slack.yaml")


@asynccontextmanager
async def slack_system(
    store: Store,
    config: Config,
    clock: Clock,
    slack: FakeSlack,
    *,
    signing_secret: str = SECRET,
    probe_every: float | None = 0.0,
) -> AsyncIterator[SlackSystem]:
    """The product as `chatops run` assembles it with the Slack backend, around the local
    Slack and the sandbox platform; the outbox's rates are high (nothing waits on them) and,
    unless `probe_every` is None, a refused channel is tried again at once."""
    platform = SandboxPlatform()
    url = await platform.start()
    await slack.start()
    settings = Settings.from_env(
        {
            "SANDBOX_SECRET": "test-secret",
            "SANDBOX_API_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": slack.url,
        }
    )
    # Short reads make a slow platform fail fast; a connect to the local server is given
    # time, so a busy test machine is not taken for an unreachable platform.
    http = httpx.AsyncClient(timeout=httpx.Timeout(0.5, connect=5.0))
    rt = await runtime.start(settings, config, store=store, http=http, clock=clock)
    backend = rt.chat
    assert isinstance(backend, SlackBackend)
    backend.sender.post_rate, backend.sender.post_burst = 1000.0, 1000
    backend.sender.update_rate, backend.sender.update_burst = 1000.0, 1000
    if probe_every is not None:
        backend.sender.probe_every = probe_every
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    try:
        yield SlackSystem(rt, slack, client, platform, clock)
    finally:
        await client.close()
        await rt.close()
        await slack.stop()
        await platform.stop()


@pytest.fixture
async def ss(store: Store, slack_config: Config, clock: Clock) -> AsyncIterator[SlackSystem]:
    slack = FakeSlack(user_groups={"S0COMMS001": [COMMS1, COMMS2]})
    async with slack_system(store, slack_config, clock, slack) as system:
        yield system


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


# -- posting ----------------------------------------------------------------------------------


async def test_a_mention_becomes_a_message_with_metadata_in_its_channel(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ss.flush()
    [message] = ss.slack.messages("C0BILLING1")
    assert message["metadata"] == {
        "event_type": "chatops_case",
        "event_payload": {"case_id": "1001"},
    }
    assert "#1001" in message["text"]
    assert {"case.claim", "case.edit", "case.publish"} <= set(action_ids(message))
    buttons = [
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]
    assert all(b["value"] == "1001" for b in buttons)
    assert ss.slack.messages("C0SOCIAL01") == []


async def test_later_comments_are_thread_replies_and_the_message_is_updated(
    ss: SlackSystem,
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ss.flush()
    await ss.ingest(mention_json("m-2", "post-1", "Samma här!", author="u-2", name="Olle Nord"))
    await ss.flush()
    [root] = ss.slack.messages("C0BILLING1")
    [reply] = ss.slack.thread("C0BILLING1", root["ts"])
    assert "Olle Nord" in reply["text"] and "Samma här!" in reply["text"]
    assert ss.slack.calls_to("chat.update"), "the case message reflects the new comment"


# -- clicking ---------------------------------------------------------------------------------


async def test_claim_then_a_second_click_is_told_who_owns_it(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    r = await ss.click(Action.CLAIM, "1001", ANNA)
    assert r.status == 200
    await eventually(lambda: _owner(ss, ANNA))
    await ss.click(Action.CLAIM, "1001", BOB)
    texts = await eventually(lambda: _async(ss.ephemerals_to(BOB)))
    assert f"<@{ANNA}>" in texts[0] and "already claimed" in texts[0]
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    replies = ss.slack.thread("C0SOCIAL01", root["ts"])
    assert any(f"<@{ANNA}>" in r["text"] and "claim" in r["text"].lower() for r in replies)
    assert "case.unclaim" in action_ids(root) and "case.claim" not in action_ids(root)


async def test_two_people_click_claim_at_once_one_owns_it(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    await asyncio.gather(ss.click(Action.CLAIM, "1001", ANNA), ss.click(Action.CLAIM, "1001", BOB))
    await eventually(lambda: _async(len(ss.slack.ephemerals) == 1))
    owner = (await ss.case()).owner
    loser = BOB if owner == ANNA else ANNA
    assert owner in (ANNA, BOB)
    assert ss.ephemerals_to(loser) and f"<@{owner}>" in ss.ephemerals_to(loser)[0]


async def test_edit_opens_the_prefilled_modal_and_submit_saves_the_draft(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    draft = (await ss.case()).draft
    await ss.click(Action.EDIT, "1001", ANNA)
    view = await eventually(lambda: _async(list(ss.slack.views.values())))
    modal = view[0]
    assert modal["callback_id"] == "case.draft" and modal["private_metadata"] == "1001"
    element = modal["blocks"][0]["element"]
    assert modal["blocks"][0]["block_id"] == "draft" and element["action_id"] == "text"
    assert element["initial_value"] == draft
    r = await ss.submit(View.DRAFT, "1001", ANNA, "draft", "Hej Anna! Vi öppnar klockan 10.")
    assert r.status == 200
    case = await eventually(lambda: _drafted(ss))
    assert case.draft == "Hej Anna! Vi öppnar klockan 10." and case.draft_author == ANNA


async def test_an_empty_draft_is_refused_inside_the_modal(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.click(Action.EDIT, "1001", ANNA)
    await eventually(lambda: _async(ss.slack.views))
    r = await ss.submit(View.DRAFT, "1001", ANNA, "draft", "   ")
    assert r.status == 200
    body = await r.json()
    assert body["response_action"] == "errors" and "draft" in body["errors"]
    assert "empty" in body["errors"]["draft"]
    assert (await ss.case()).state is State.NEW


async def test_a_thread_message_with_two_chevrons_becomes_the_draft(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    event = json.loads((FIXTURES / "thread_message_event.json").read_text())
    event["event"].update(
        channel="C0SOCIAL01",
        thread_ts=root["ts"],
        user=ANNA,
        text="just an internal note, no draft",
    )
    await ss.send(event_body(event))
    event["event_id"] = "Ev0000000002"
    event["event"].update(text=">> Hej Anna! Vi kollar direkt.", ts="1763884999.000400")
    await ss.send(event_body(event))
    case = await eventually(lambda: _drafted(ss))
    assert case.draft == "Hej Anna! Vi kollar direkt."
    assert ss.platform.received == []  # nothing typed in Slack reaches a customer


async def test_publish_in_one_click_with_a_link_in_the_thread(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    await ss.click(Action.PUBLISH, "1001", ANNA)
    await eventually(lambda: _state(ss, State.PUBLISHED))
    assert len(ss.platform.received) == 1
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    assert action_ids(root) == []  # published: nothing left to click
    assert any("published" in r["text"].lower() for r in ss.slack.thread("C0SOCIAL01", root["ts"]))


async def test_sensitive_case_pings_the_approver_group_and_four_eyes_hold(
    ss: SlackSystem,
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ss.flush()
    await ss.submit(View.DRAFT, "1001", COMMS1, "draft", "Hello! Our press office will call.")
    await eventually(lambda: _drafted(ss))
    await ss.click(Action.PUBLISH, "1001", COMMS1)
    await eventually(lambda: _state(ss, State.AWAITING_APPROVAL))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    assert any(
        "<!subteam^S0COMMS001>" in r["text"] for r in ss.slack.thread("C0SOCIAL01", root["ts"])
    )
    await ss.click(Action.APPROVE, "1001", ANNA)  # not an approver
    await eventually(lambda: _async(ss.ephemerals_to(ANNA)))
    await ss.click(Action.APPROVE, "1001", COMMS1)  # wrote the draft
    texts = await eventually(lambda: _async(ss.ephemerals_to(COMMS1)))
    assert "someone else must approve" in texts[0]
    await ss.click(Action.APPROVE, "1001", COMMS2)
    await eventually(lambda: _state(ss, State.PUBLISHED))
    assert len(ss.platform.received) == 1


async def test_approve_covers_the_draft_the_clicked_message_showed(ss: SlackSystem) -> None:
    """The approver clicks Approve on a message rendered before the owner changed the draft:
    the click carries that message's fingerprint (block_id) and is refused; nothing goes out
    until Approve is clicked on the message showing the new text."""
    await ss.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ss.flush()
    await ss.click(Action.CLAIM, "1001", ANNA)
    await eventually(lambda: _owner(ss, ANNA))
    await _edit(ss, ANNA, "Hello! Our press office will call.")
    await ss.click(Action.PUBLISH, "1001", ANNA)
    await eventually(lambda: _state(ss, State.AWAITING_APPROVAL))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    seen_by_comms = _case_block_id(root)
    await _edit(ss, ANNA, "Hello! We will sue you.")
    await ss.click(Action.APPROVE, "1001", COMMS1, block_id=seen_by_comms)
    texts = await eventually(lambda: _async(ss.ephemerals_to(COMMS1)))
    assert "changed while you looked" in texts[-1]
    assert ss.platform.received == [] and (await ss.case()).state is State.AWAITING_APPROVAL
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    await ss.click(Action.APPROVE, "1001", COMMS1, block_id=_case_block_id(root))
    await eventually(lambda: _state(ss, State.PUBLISHED))
    assert [r["text"] for r in ss.platform.received] == ["Hello! We will sue you."]


async def test_a_send_button_that_does_not_name_its_draft_sends_nothing(ss: SlackSystem) -> None:
    """A message rendered before buttons carried the draft's fingerprint: Publish from it could
    send a draft nobody saw, so it is refused; the case's current message works."""
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    await ss.click(Action.PUBLISH, "1001", ANNA, block_id="case-1001")
    told = await eventually(lambda: _async(ss.ephemerals_to(ANNA)))
    assert "does not say which draft it showed" in told[0]
    assert ss.platform.received == [] and (await ss.case()).state is State.NEW
    await ss.click(Action.PUBLISH, "1001", ANNA)
    await eventually(lambda: _state(ss, State.PUBLISHED))


def _case_block_id(message: dict[str, Any]) -> str:
    return next(
        b["block_id"] for b in message["blocks"] if b.get("block_id", "").startswith("case-")
    )


async def _edit(ss: SlackSystem, user: str, text: str) -> None:
    """Edit draft as a person does it: the button opens the modal, the modal is submitted."""
    opened = len(ss.slack.views)
    await ss.click(Action.EDIT, "1001", user)
    await eventually(lambda: _async(len(ss.slack.views) > opened))
    await ss.submit(View.DRAFT, "1001", user, "draft", text)
    await eventually(lambda: _draft_is(ss, text))


async def _draft_is(ss: SlackSystem, text: str) -> Case | None:
    case = await ss.case()
    return case if case.draft == text else None


async def test_reject_asks_for_a_reason_and_only_approvers_may(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "This is going to a lawsuit."))
    await ss.click(Action.PUBLISH, "1001", ANNA)
    await eventually(lambda: _state(ss, State.AWAITING_APPROVAL))
    await ss.click(Action.REJECT, "1001", ANNA)
    await eventually(lambda: _async(ss.ephemerals_to(ANNA)))
    assert ss.slack.views == {}
    await ss.click(Action.REJECT, "1001", COMMS1)
    views = await eventually(lambda: _async(list(ss.slack.views.values())))
    assert views[0]["callback_id"] == "case.reject"
    r = await ss.submit(View.REJECT, "1001", COMMS1, "reason", "")
    assert (await r.json())["response_action"] == "errors"
    await ss.submit(View.REJECT, "1001", COMMS1, "reason", "Too casual for a legal matter")
    case = await eventually(lambda: _drafted(ss))
    assert case.reject_reason == "Too casual for a legal matter"


async def test_reroute_moves_the_case_to_the_new_channel_and_says_so(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    await ss.select(Action.REROUTE, "1001", ANNA, "billing")
    await eventually(lambda: _dept(ss, "billing"))

    async def said_in_the_old_thread() -> bool:
        """The listener saves the move before it queues the old thread's last line."""
        await ss.flush()
        [old] = ss.slack.messages("C0SOCIAL01")
        thread = ss.slack.thread("C0SOCIAL01", old["ts"])
        return any("<#C0BILLING1>" in r["text"] for r in thread) and action_ids(old) == []

    await eventually(said_in_the_old_thread, what="the move said in the old thread")
    [old] = ss.slack.messages("C0SOCIAL01")
    assert action_ids(old) == []
    [new] = ss.slack.messages("C0BILLING1")
    assert "case.claim" in action_ids(new)
    assert await ss.backend.outbox.thread_of("1001") == ("C0BILLING1", new["ts"])


async def test_dismiss_with_a_reason_never_deletes_anything(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "bitcoin airdrop bit.ly/x https://y.invalid"))
    await ss.select(Action.DISMISS, "1001", ANNA, "spam")
    case = await eventually(lambda: _state(ss, State.DISMISSED))
    assert case.dismiss_reason == "spam" and ss.platform.received == []


# every action id from every state, through HTTP -------------------------------------------

ACTION_COMMAND = {
    Action.CLAIM: "claim",
    Action.UNCLAIM: "unclaim",
    Action.TAKE_OVER: "take_over",
    Action.PUBLISH: "publish",
    Action.PRIVATE: "private",
    Action.APPROVE: "approve",
    Action.EDIT_APPROVE: "approve",
    Action.CONFIRM_SENT: "confirm_sent",
    Action.CONFIRM_NOT_SENT: "confirm_not_sent",
    Action.REROUTE: "reroute",
    Action.DISMISS: "dismiss",
    Action.EDIT: "edit",
    Action.REJECT: "reject",
    Action.REPLY_TO: "reply_to",
    Action.SNOOZE: "snooze",
    Action.TEMPLATE: "template",
    Action.USE_ANSWER: "edit",
}
MATRIX = [(a, s) for a in Action for s in State]


@pytest.mark.parametrize(
    ("action", "state"), MATRIX, ids=[f"{a.value}-{s.value}" for a, s in MATRIX]
)
async def test_every_action_in_every_state(ss: SlackSystem, action: Action, state: State) -> None:
    from chatops.workflow.commands import Command

    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    case = await ss.case()
    forced = case.model_copy(
        update={
            "state": state,
            "owner": None if state is State.NEW else ANNA,
            "draft_author": BOB,
            "sensitive_reasons": ["keyword:lawsuit"] if state is State.AWAITING_APPROVAL else [],
            "state_before_publish": State.DRAFTED,
        }
    )
    await ss.rt.store.cases.save(forced, expected_version=case.version)
    user = {
        Action.APPROVE: COMMS1,
        Action.EDIT_APPROVE: COMMS1,
        Action.REJECT: COMMS1,
        Action.TAKE_OVER: BOB,
    }.get(action, ANNA)
    if action in (Action.REROUTE, Action.DISMISS, Action.REPLY_TO, Action.SNOOZE, Action.TEMPLATE):
        choice = {
            Action.REROUTE: "billing",
            Action.DISMISS: "no_reply_needed",
            Action.REPLY_TO: "sandbox:m-1",
            Action.SNOOZE: "30m",
            Action.TEMPLATE: "apology",
        }[action]
        await ss.select(action, "1001", user, choice)
    elif action is Action.USE_ANSWER:
        assert ss.rt.answers is not None
        answered, asked = published_case(
            "999", "Hej! Vi öppnar kl 9.", "När öppnar ni?", at=ss.clock.now, department="social"
        )
        await ss.rt.store.cases.save(answered, expected_version=0, mention=asked)
        await ss.rt.answers.record(answer_of(answered, asked, "U0X", 1))
        await ss.click(action, "1001", user, value="1001:999")
    else:
        await ss.click(action, "1001", user)
    allowed = state in ALLOWED[Command(ACTION_COMMAND[action])]
    if action in (Action.EDIT, Action.REJECT, Action.EDIT_APPROVE):  # a modal opens
        if allowed:
            await eventually(lambda: _async(ss.slack.views))
        else:
            await eventually(lambda: _async(ss.ephemerals_to(user)))
        return
    if allowed:
        await eventually(lambda: _changed(ss, forced))
    else:
        texts = await eventually(lambda: _async(ss.ephemerals_to(user)))
        assert texts[0].strip()
        assert (await ss.case()).state is state


# -- signatures -------------------------------------------------------------------------------


async def test_forged_and_replayed_requests_are_refused(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
    payload["actions"][0]["value"] = "1001"
    payload["channel"]["id"] = payload["container"]["channel_id"] = "C0SOCIAL01"  # the case's
    body = interaction_body(payload)
    forged = slack_headers(body, "not-the-secret")
    r = await ss.client.post("/slack/events", data=body, headers=forged)
    assert r.status == 401
    replayed = slack_headers(body, SECRET, timestamp=int(time.time()) - 600)
    r = await ss.client.post("/slack/events", data=body, headers=replayed)
    assert r.status == 401
    r = await ss.client.post("/slack/events", data=body)
    assert r.status == 401
    # A correctly signed click after them is the control: once it has taken effect, the
    # history shows exactly one claim, so the refused requests changed nothing.
    assert (await ss.send(body)).status == 200
    await eventually(lambda: _owner(ss, "U0ANNA0001"))
    claims = [e for e in await ss.rt.store.audit.entries("1001") if e.action == "claim"]
    assert len(claims) == 1


# -- the outbox against Slack's limits and failures ------------------------------------------


async def test_429_is_honoured_and_nothing_is_lost_or_doubled(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    ss.slack.force_429("chat.postMessage", times=1, retry_after=1)
    wait = await ss.backend.sender.tick()
    assert 0.5 <= wait <= 1.0 and ss.slack.messages("C0SOCIAL01") == []
    assert await ss.rt.store.redis.pttl(keys.slack_pause("C0SOCIAL01")) > 0
    await eventually(lambda: _tick_until_posted(ss, "C0SOCIAL01"), within=5)
    assert len(ss.slack.messages("C0SOCIAL01")) == 1
    assert ss.slack.rejected_429 == 1


async def test_not_in_channel_queues_reports_and_resumes_when_invited(ss: SlackSystem) -> None:
    ss.slack.not_in_channel.add("C0SOCIAL01")
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.backend.sender.tick()
    r = await ss.client.get("/readyz")
    assert r.status == 503 and "C0SOCIAL01" in await r.text() and "not_in_channel" in await r.text()
    metrics = await (await ss.client.get("/metrics")).text()
    assert 'component="slack:C0SOCIAL01"' in metrics
    assert await ss.rt.store.redis.llen(keys.slack_inflight("C0SOCIAL01")) == 1  # kept
    ss.slack.not_in_channel.discard("C0SOCIAL01")
    await eventually(lambda: _tick_until_posted(ss, "C0SOCIAL01"))
    assert (await ss.client.get("/readyz")).status == 200


async def test_a_revoked_token_pauses_everything_until_it_works(ss: SlackSystem) -> None:
    ss.slack.revoke_token()
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.backend.sender.tick()
    await ss.backend.sender.tick()
    r = await ss.client.get("/readyz")
    assert r.status == 503 and "invalid_auth" in await r.text()
    assert ss.slack.messages("C0SOCIAL01") == []
    ss.slack.restore_token()
    await eventually(lambda: _tick_until_posted(ss, "C0SOCIAL01"))
    assert (await ss.client.get("/readyz")).status == 200


async def test_a_slack_outage_only_delays(ss: SlackSystem) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    ss.slack.fail("chat.postMessage", "internal_error", times=2, status=503)
    await eventually(lambda: _tick_until_posted(ss, "C0SOCIAL01"), within=8)
    assert len(ss.slack.messages("C0SOCIAL01")) == 1


async def test_killed_after_slack_posted_but_before_recording_no_double_post(
    ss: SlackSystem, store: Store, slack_config: Config, clock: Clock
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    ss.slack.delay_answer = 2.0  # Slack stores the message, the answer is slow
    crashed = asyncio.create_task(ss.backend.sender.tick())
    await eventually(lambda: _async(ss.slack.messages("C0SOCIAL01")))
    crashed.cancel()  # the process dies before it records the message
    ss.slack.delay_answer = 0.0
    await store.redis.delete(keys.slack_lease("C0SOCIAL01"))  # its lease would expire
    # A new process starts on the same Redis.
    settings = ss.rt.settings
    restarted = await runtime.start(settings, slack_config, store=store, clock=clock, chat=None)
    backend = restarted.chat
    assert isinstance(backend, SlackBackend)
    backend.sender.post_rate, backend.sender.post_burst = 1000.0, 1000
    await backend.sender.tick()
    assert len(ss.slack.messages("C0SOCIAL01")) == 1
    [root] = ss.slack.messages("C0SOCIAL01")
    assert await backend.outbox.thread_of("1001") == ("C0SOCIAL01", root["ts"])
    await restarted.wf.claim("1001", ANNA)
    await backend.sender.tick()
    assert any("claim" in r["text"].lower() for r in ss.slack.thread("C0SOCIAL01", root["ts"]))
    await backend.close()
    await restarted.http.aclose()


async def test_a_post_slower_than_the_lease_is_not_posted_twice(
    ss: SlackSystem, store: Store, slack_config: Config, clock: Clock
) -> None:
    """Slack takes longer to post than the channel lease lasts: the sender keeps renewing it,
    so a second sender (another process) waits instead of posting the same case again."""
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    other = await runtime.start(ss.rt.settings, slack_config, store=store, clock=clock, chat=None)
    second = other.chat
    assert isinstance(second, SlackBackend)
    for sender in (ss.backend.sender, second.sender):
        sender.lease_ms = 300
        sender.post_rate, sender.post_burst = 1000.0, 1000
    ss.slack.delays["chat.postMessage"] = 1.0  # Slack posts only after a second
    slow = asyncio.create_task(ss.backend.sender.tick())
    await eventually(lambda: _async(any(c.method == "chat.postMessage" for c in ss.slack.calls)))
    started, tries = time.monotonic(), 0
    while not slow.done():  # the other process tries again and again while the call is under way
        await second.sender.tick()
        tries += 1
        await asyncio.sleep(0.05)  # the pace of its retries; the lease runs on Redis' own clock
    assert time.monotonic() - started > 0.3 * 2 and tries > 5  # well past one lease
    await slow
    ss.slack.delays.clear()
    await second.sender.tick()
    assert len(ss.slack.messages("C0SOCIAL01")) == 1
    await second.close()
    await other.http.aclose()


async def test_a_lease_left_behind_by_this_sender_does_not_hold_up_its_channel(
    ss: SlackSystem,
) -> None:
    """Redis went away mid-drain and came back from its append-only file with this sender's
    lease on the channel: the sender takes it again at once; another sender's lease holds."""
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    lease = keys.slack_lease("C0SOCIAL01")
    sender = ss.backend.sender
    sender.post_rate, sender.post_burst = 1000.0, 1000
    await ss.rt.store.redis.set(lease, "another-process", px=60_000)
    await sender.tick()
    assert ss.slack.messages("C0SOCIAL01") == []
    await ss.rt.store.redis.set(lease, sender.name, px=60_000)
    await sender.tick()
    assert len(ss.slack.messages("C0SOCIAL01")) == 1


async def test_a_second_post_op_for_a_posted_case_is_skipped(ss: SlackSystem) -> None:
    """A crash between queueing a case message and marking it queued leaves a second post op
    behind when the case is shown again: the sender sees the message exists and skips it."""
    await ss.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ss.flush()
    await ss.backend.outbox.unqueue("1001", "C0SOCIAL01")
    from chatops.slack.outbox import Op

    await ss.backend.outbox.enqueue(Op("post", "1001", "C0SOCIAL01"))
    await ss.flush()
    assert len(ss.slack.messages("C0SOCIAL01")) == 1


# -- helpers ----------------------------------------------------------------------------------


async def _async(value: Any) -> Any:
    return value


async def _owner(ss: SlackSystem, owner: str) -> Case | None:
    case = await ss.case()
    return case if case.owner == owner else None


async def _state(ss: SlackSystem, state: State) -> Case | None:
    case = await ss.case()
    return case if case.state is state else None


async def _drafted(ss: SlackSystem) -> Case | None:
    return await _state(ss, State.DRAFTED)


async def _dept(ss: SlackSystem, dept: str) -> Case | None:
    case = await ss.case()
    return case if case.department == dept else None


async def _changed(ss: SlackSystem, before: Case) -> Case | None:
    case = await ss.case()
    return case if case.version > before.version + 1 else None


async def _tick_until_posted(ss: SlackSystem, channel: str) -> bool:
    await ss.backend.sender.tick()
    return bool(ss.slack.messages(channel))


async def test_slash_command_lists_the_open_cases_of_this_channel(ss: SlackSystem) -> None:
    from tests.fakes.slack import slash_body

    await ss.ingest(
        mention_json("m-1", "post-1", "Var är min faktura?"),
        mention_json("m-2", "post-2", "Hej, när öppnar ni?", author="u-2"),
    )
    r = await ss.send(slash_body("/chatops", "", ANNA, "C0BILLING1"))
    body = await r.json()
    assert body["response_type"] == "ephemeral"
    assert "#1001" in body["text"] and "#1002" not in body["text"]
    r = await ss.send(slash_body("/chatops", "help", ANNA, "C0BILLING1"))
    assert ">>" in (await r.json())["text"]


def test_slack_manifest_command_prints_a_manifest(tmp_path: Path) -> None:
    import yaml

    from tests.cli.test_cli import chatops

    config = tmp_path / "chatops.yaml"
    config.write_text(SLACK_CONFIG)
    env = {"CHATOPS_CONFIG": str(config), "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    result = chatops("slack-manifest", "--url", "https://bot.acme.example/", env=env)
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["interactivity"]["request_url"] == (
        "https://bot.acme.example/slack/events"
    )
    assert "chat:write" in manifest["oauth_config"]["scopes"]["bot"]
    socket = chatops("slack-manifest", env={**env, "SLACK_APP_TOKEN": "xapp-1"})
    assert yaml.safe_load(socket.stdout)["settings"]["socket_mode_enabled"] is True


async def test_digest_links_each_thread_and_offers_claim_and_snooze(ss: SlackSystem) -> None:
    from escalation import digest

    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    assert (
        await digest.send(
            ss.rt.wf, ss.rt.chat, ss.rt.store, "social", ss.clock.now, once_per_day=False
        )
        == 1
    )
    await ss.flush()
    message = ss.slack.messages("C0SOCIAL01")[-1]
    text = json.dumps(message["blocks"])
    assert "#1001" in text and "open thread" in text
    assert f"p{root['ts'].replace('.', '')}" in text  # chat.getPermalink's link
    assert {"case.claim", "case.snooze"} <= set(action_ids(message))
    await ss.select(Action.SNOOZE, "1001", ANNA, "1h")
    case = await eventually(lambda: _snoozed(ss))
    assert case.snoozed_until is not None


async def test_weekly_report_is_uploaded_with_its_chart(ss: SlackSystem) -> None:
    from chatops.chat import Department
    from chatops.chat.present import Report
    from chatops.chat.rich import Strong, Text

    report = Report("Weekly response report", ((Strong("Total"), Text(": 3 cases")),))
    await ss.backend.post_report(
        Department("social", "Social team", "C0SOCIAL01"),
        replace(report, chart=b"\x89PNG\r\n\x1a\nfake"),
    )
    [upload] = ss.slack.files
    assert upload.channel_id == "C0SOCIAL01" and upload.content.startswith(b"\x89PNG")
    assert upload.initial_comment == "*Weekly response report*\n*Total*: 3 cases"


async def _snoozed(ss: SlackSystem) -> Case | None:
    case = await ss.case()
    return case if case.snoozed_until else None


async def test_twelve_due_cases_are_one_batched_ping_within_block_kit_limits(
    ss: SlackSystem,
) -> None:

    from escalation.chase import Chase
    from tests.fakes.block_kit import message_violations

    now = ss.clock.now.isoformat()
    await ss.ingest(
        *[
            mention_json(f"m-{n}", f"post-{n}", f"Hej, fråga {n}?", author=f"u-{n}", created_at=now)
            for n in range(12)
        ]
    )
    await ss.flush()
    ss.clock.advance(minutes=15)
    assert (
        await Chase(
            ss.rt.wf, ss.rt.chat, ss.rt.store.cases, ss.rt.store.indexes, clock=ss.clock
        ).scan()
        == 12
    )
    await ss.flush()
    roots = ss.slack.messages("C0SOCIAL01")
    [batch] = [m for m in roots if not m.get("metadata")]
    assert len(roots) == 13  # twelve case messages and one ping
    assert message_violations(batch["blocks"], batch["text"]) == []
    listed = json.dumps(batch["blocks"])
    assert all(f"#{1001 + n}" in listed for n in range(12))
    assert listed.count("case.claim") == 12
    threads = [
        r for m in roots if m.get("metadata") for r in ss.slack.thread("C0SOCIAL01", m["ts"])
    ]
    assert len(threads) == 12 and all("unclaimed" in r["text"] for r in threads)
    everything = json.dumps([roots, threads])
    assert everything.count("<!here>") == 2  # once in the batch's blocks, once in its text
    assert "<!here>" in batch["text"]


# -- claim means ownership (issue 9) ------------------------------------------------------------


async def test_a_non_owner_is_refused_and_takes_over_through_the_confirmed_button(
    ss: SlackSystem,
) -> None:
    await ss.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ss.flush()
    await ss.click(Action.CLAIM, "1001", ANNA)
    await eventually(lambda: _owner(ss, ANNA))
    await ss.flush()
    [root] = ss.slack.messages("C0SOCIAL01")
    [take] = [
        e
        for b in root["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.TAKE_OVER
    ]
    assert take["confirm"]["title"]["text"] == "Take over #1001?"
    assert take["confirm"]["text"]["text"].startswith(f"Take over #1001 from <@{ANNA}>?")
    # Bob's Edit opens no modal, a draft he submits anyway and his Publish are refused
    await ss.click(Action.EDIT, "1001", BOB)
    await eventually(lambda: _async(ss.ephemerals_to(BOB)))
    assert ss.slack.views == {}
    await ss.submit(View.DRAFT, "1001", BOB, "draft", "Hej! Bob svarar i stället.")
    await ss.click(Action.PUBLISH, "1001", BOB)
    refusals = await eventually(
        lambda: _async(len(ss.ephemerals_to(BOB)) >= 2 and ss.ephemerals_to(BOB))
    )
    assert all(f"claimed by <@{ANNA}>: take it over first" in t for t in refusals)
    case = await ss.case()
    assert (case.owner, case.state, case.draft_author) == (ANNA, State.CLAIMED, "chatops")
    assert ss.platform.received == []
    # confirmed in Slack's dialog, the click takes the case over; Anna is told in the thread
    await ss.click(Action.TAKE_OVER, "1001", BOB)
    await eventually(lambda: _owner(ss, BOB))
    await ss.flush()
    replies = ss.slack.thread("C0SOCIAL01", root["ts"])
    assert any(f"<@{BOB}> took the case over from <@{ANNA}>" in r["text"] for r in replies)
    await ss.click(Action.PUBLISH, "1001", BOB)
    await eventually(lambda: _state(ss, State.PUBLISHED))
    assert len(ss.platform.received) == 1
