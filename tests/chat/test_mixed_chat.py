"""Slack and Teams in one organisation: `social` on Slack, `support-de` on Teams.

The product is assembled as `chatops run` assembles it from one config; Slack
(tests/fakes/slack.py, signed requests to /slack/events) and Teams (tests/fakes/teams.py,
activities to /api/messages, CHATOPS_TEAMS_AUTH=off) are both local servers, reached through
slack_sdk and botbuilder as in production.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from chatops import keys, runtime
from chatops.chat import digest
from chatops.chat.capabilities import ScrubsStorms
from chatops.chat.storm import StormRef
from chatops.config import check_config, load_config_text
from chatops.domain import Case
from chatops.mixed import MixedChat
from chatops.processes import web_app
from chatops.settings import Settings
from chatops.slack.backend import SlackBackend
from chatops.slack.ids import Action
from chatops.store import Store
from chatops.teams.backend import TeamsBackend
from tests.conftest import Clock, System
from tests.fakes import SandboxPlatform, mention_json, signed
from tests.fakes.slack import FakeSlack, interaction_body, slack_headers
from tests.fakes.teams import (
    CARD_TYPE,
    FakeConnector,
    Message,
    Person,
    bot_added,
    card_action,
    personal_card_action,
)
from tests.fakes.wait import eventually

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "slack"
SECRET = "slack-signing-secret"
SOCIAL = "C0SOCIAL01"
SUPPORT_DE = "19:supportde0acme@thread.tacv2"
ANNA = "U0ANNA0001"  # on Slack
JONAS = Person("3a3a3a3a-1111-4222-8333-444455556666", "Jonas Roth")  # on Teams
COMMS = Person("c0c0c0c1-1111-4222-8333-444455556666", "Cia Comms")

MIXED_CONFIG = f"""
timezone: Europe/Berlin
brand: Acme
chat: {{backend: slack}}
platforms: {{sandbox: {{}}}}
departments:
  - {{id: social, name: Social team, channel: {SOCIAL}, languages: [sv, en]}}
  - {{id: support-de, name: Support DE, channel: "{SUPPORT_DE}", chat: teams, languages: [de]}}
routing:
  rules: [{{match: {{keywords: [bestellung]}}, to: support-de}}]
  default: social
approval:
  approvers: [S0COMMS001, "{COMMS.aad}"]
  sensitive_keywords: [journalist]
"""


@dataclass
class MixedSystem:
    rt: runtime.Runtime
    slack: FakeSlack
    connector: FakeConnector
    client: TestClient[web.Request, web.Application]
    platform: SandboxPlatform

    @property
    def chat(self) -> MixedChat:
        assert isinstance(self.rt.chat, MixedChat)
        return self.rt.chat

    @property
    def slack_backend(self) -> SlackBackend:
        backend = self.chat.backends["slack"]
        assert isinstance(backend, SlackBackend)
        return backend

    @property
    def teams_backend(self) -> TeamsBackend:
        backend = self.chat.backends["teams"]
        assert isinstance(backend, TeamsBackend)
        return backend

    async def ingest(self, *items: dict[str, Any]) -> None:
        raw, headers = signed(list(items))
        r = await self.client.post("/webhooks/sandbox", data=raw, headers=headers)
        assert r.status == 200
        await System.drain(self)  # type: ignore[arg-type]

    async def flush(self) -> None:
        """Send what both outboxes hold (rates are high in tests; nothing is paused)."""
        redis = self.rt.store.redis
        for _ in range(100):
            await self.slack_backend.sender.tick()
            await self.teams_backend.sender.tick()
            slack_busy = await redis.scard(keys.SLACK_CHANNELS) or await redis.scard(
                keys.SLACK_DIRTY
            )
            if not slack_busy and not await self.teams_backend.sender.pending():
                return
        raise AssertionError("outboxes did not drain")

    async def case(self, case_id: str) -> Case:
        case = await self.rt.store.cases.get(case_id)
        assert case is not None
        return case

    async def slack_click(self, action: str, case_id: str, user: str, **extra: Any) -> None:
        """A signed block_actions request from the case's Slack message."""
        payload = json.loads((FIXTURES / "block_actions_claim.json").read_text())
        payload["user"]["id"] = user
        thread = await self.slack_backend.outbox.thread_of(case_id)
        assert thread is not None, f"case {case_id} has no Slack message"
        payload["channel"]["id"] = payload["container"]["channel_id"] = thread[0]
        payload["container"]["message_ts"] = payload["message"]["ts"] = thread[1]
        payload["actions"] = [
            {
                "action_id": action,
                "block_id": f"case-{case_id}",
                "type": "button",
                "value": case_id,
                "action_ts": "1763884802.000200",
                **extra,
            }
        ]
        body = interaction_body(payload)
        r = await self.client.post("/slack/events", data=body, headers=slack_headers(body, SECRET))
        assert r.status == 200

    async def slack_select(self, action: str, case_id: str, user: str, choice: str) -> None:
        option = {"text": {"type": "plain_text", "text": choice}, "value": f"{case_id}:{choice}"}
        await self.slack_click(action, case_id, user, type="static_select", selected_option=option)

    async def teams_post(self, case_id: str) -> Message:
        post = await self.teams_backend.outbox.post_of(case_id)
        assert post is not None, f"case {case_id} has no Teams post"
        return self.connector.messages[post.activity]

    async def teams_click(
        self, verb: str, person: Person, case_id: str, **data: Any
    ) -> dict[str, Any]:
        """An Action.Execute invoke on the case's Teams post; returns the card it answers."""
        post = await self.teams_post(case_id)
        activity = card_action(
            self.connector.url,
            person,
            verb,
            {"case_id": case_id, "source": "case", **data},
            channel=post.channel,
            post_id=post.id,
        )
        r = await self.client.post("/api/messages", json=activity)
        assert r.status == 200, await r.text()
        body = await r.json()
        assert body["statusCode"] == 200 and body["type"] == CARD_TYPE
        value: dict[str, Any] = body["value"]
        return value


@pytest.fixture
async def ms(store: Store, clock: Clock) -> AsyncIterator[MixedSystem]:
    platform = SandboxPlatform()
    url = await platform.start()
    slack = FakeSlack(user_groups={"S0COMMS001": ["U0COMMS001"]})
    await slack.start()
    connector = FakeConnector({SUPPORT_DE: "Support DE"})
    await connector.start()
    settings = Settings.from_env(
        {
            "SANDBOX_SECRET": "test-secret",
            "SANDBOX_API_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
            "CHATOPS_TEAMS_AUTH": "off",
        }
    )
    config = load_config_text(MIXED_CONFIG, source="mixed.yaml")
    http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
    rt = await runtime.start(settings, config, store=store, http=http, clock=clock)
    assert isinstance(rt.chat, MixedChat)
    for backend in rt.chat.backends.values():
        assert isinstance(backend, SlackBackend | TeamsBackend)
        sender = backend.sender
        sender.post_rate, sender.post_burst = 1000.0, 1000
        sender.update_rate, sender.update_burst = 1000.0, 1000
        sender.probe_every = 0.0
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    system = MixedSystem(rt, slack, connector, client, platform)
    r = await client.post("/api/messages", json=bot_added(connector.url, JONAS))
    assert r.status in (200, 201), await r.text()
    try:
        yield system
    finally:
        await client.close()
        await rt.close()
        await connector.stop()
        await slack.stop()
        await platform.stop()


def slack_actions(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def slack_text(message: dict[str, Any]) -> str:
    """Everything a Slack message shows: its text and the text of its blocks."""
    return json.dumps([message.get("text"), message.get("blocks")], ensure_ascii=False)


async def test_one_config_runs_both_chats_and_a_reroute_moves_a_case_to_teams(
    ms: MixedSystem,
) -> None:
    # a mention for social appears in Slack, a German one in Teams, each only there
    await ms.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ms.ingest(mention_json("m-2", "post-2", "Wo ist meine Bestellung?", author="u-2"))
    await ms.flush()
    assert (await ms.case("1001")).department == "social"
    assert (await ms.case("1002")).department == "support-de"
    [slack_root] = ms.slack.messages(SOCIAL)
    assert "#1001" in slack_root["text"] and "case.claim" in slack_actions(slack_root)
    [teams_post] = ms.connector.posts(SUPPORT_DE)
    assert teams_post.card is not None and "#1002" in json.dumps(teams_post.card)
    assert await ms.slack_backend.outbox.thread_of("1002") is None
    assert await ms.teams_backend.outbox.post_of("1001") is None

    # a signed Slack click claims the Slack case, a Teams invoke the Teams case
    await ms.slack_click(Action.CLAIM, "1001", ANNA)
    await eventually(lambda: _owner(ms, "1001", ANNA))
    await ms.teams_click(Action.CLAIM, JONAS, "1002")
    await eventually(lambda: _owner(ms, "1002", JONAS.aad))
    await ms.flush()
    assert any(ANNA in r["text"] for r in ms.slack.thread(SOCIAL, slack_root["ts"]))
    assert ms.connector.replies(await ms.teams_post("1002")), "the claim is in the Teams chain"

    # rerouted from social (Slack) to support-de (Teams): it moves there
    await ms.slack_select(Action.REROUTE, "1001", ANNA, "support-de")
    await eventually(lambda: _department(ms, "1001", "support-de"))
    await ms.flush()
    [old] = ms.slack.messages(SOCIAL)
    assert slack_actions(old) == [], "the old Slack message has nothing left to click"
    assert "moved to Support DE (Microsoft Teams)" in slack_text(old)
    old_thread = ms.slack.thread(SOCIAL, old["ts"])
    assert any("Support DE" in r["text"] for r in old_thread), old_thread
    moved = await ms.teams_post("1001")
    assert moved.channel == SUPPORT_DE and moved.card is not None
    assert "#1001" in json.dumps(moved.card)
    assert len(ms.connector.posts(SUPPORT_DE)) == 2
    assert ms.slack.messages(SUPPORT_DE) == [], "Slack never writes to a Teams channel"

    # later events of the case go to Teams only
    slack_calls = len(ms.slack.calls)
    await ms.teams_click(Action.TAKE_OVER, JONAS, "1001")
    await eventually(lambda: _owner(ms, "1001", JONAS.aad))
    await ms.flush()
    assert ms.connector.replies(moved), "the new chain carries the case on"
    assert ms.slack.calls[slack_calls:] == [], "nothing more is written to Slack"


async def test_a_reroute_from_teams_to_slack_moves_the_case_to_slack(ms: MixedSystem) -> None:
    await ms.ingest(mention_json("m-2", "post-2", "Wo ist meine Bestellung?", author="u-2"))
    await ms.flush()
    old = await ms.teams_post("1001")
    await ms.teams_click(Action.REROUTE, JONAS, "1001", department="social")
    assert (await ms.case("1001")).department == "social"
    await ms.flush()
    old = ms.connector.messages[old.id]
    assert "moved to **Social team**" in json.dumps(old.card, ensure_ascii=False)
    assert any("Social team" in r.text for r in ms.connector.replies(old))
    [new] = ms.slack.messages(SOCIAL)
    assert "#1001" in new["text"] and "case.claim" in slack_actions(new)
    assert len(ms.connector.posts(SUPPORT_DE)) == 1, "no new post in Teams"


async def test_the_process_loop_runs_both_chats_senders(ms: MixedSystem) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(ms.chat.run(stop))
    try:
        await ms.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
        await ms.ingest(mention_json("m-2", "post-2", "Wo ist meine Bestellung?", author="u-2"))
        await eventually(lambda: _async(ms.slack.messages(SOCIAL)))
        await eventually(lambda: _async(ms.connector.posts(SUPPORT_DE)))
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)


async def _async(value: Any) -> Any:
    return value


async def test_approvers_are_both_chats_ids_each_expanded_by_its_own(ms: MixedSystem) -> None:
    approvers = await ms.chat.approvers()
    assert {"S0COMMS001", "U0COMMS001", COMMS.aad} <= approvers


async def test_a_slack_cases_approval_request_reaches_the_approvers_of_both_chats(
    ms: MixedSystem,
) -> None:
    """Comms on Slack gets a DM, Comms on Teams a personal chat; approving in Teams settles
    the Slack copy too."""
    await ms.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ms.flush()
    assert (await ms.rt.wf.publish("1001", ANNA)).state.value == "awaiting_approval"
    await ms.flush()
    [dm] = ms.slack.dm_messages("U0COMMS001")
    assert "case.approve" in slack_actions(dm)
    [copy] = [m for m in ms.connector.personal_messages(COMMS.aad) if m.card]
    [approve] = [a for a in _executes(copy.card or {}) if a["verb"] == "case.approve"]
    activity = personal_card_action(
        ms.connector.url, COMMS, "case.approve", approve["data"], card_id=copy.id
    )
    r = await ms.client.post("/api/messages", json=activity)
    assert r.status == 200, await r.text()
    await eventually(lambda: _state(ms, "1001", "published"))

    async def settled() -> bool:
        await ms.flush()
        [dm] = ms.slack.dm_messages("U0COMMS001")
        return not slack_actions(dm) and "Approved by" in slack_text(dm)

    await eventually(settled)


def _executes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node] if node.get("type") == "Action.Execute" else []
        return own + [a for v in node.values() for a in _executes(v)]
    if isinstance(node, list):
        return [a for v in node for a in _executes(v)]
    return []


async def _state(ms: MixedSystem, case_id: str, state: str) -> bool:
    return (await ms.case(case_id)).state.value == state


async def _owner(ms: MixedSystem, case_id: str, owner: str) -> bool:
    return (await ms.case(case_id)).owner == owner


async def _department(ms: MixedSystem, case_id: str, department: str) -> bool:
    return (await ms.case(case_id)).department == department


# -- check-config ------------------------------------------------------------------------------

FULL_ENV = {
    "REDIS_URL": "redis://localhost:6379/0",
    "SANDBOX_SECRET": "s",
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "s",
    "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
    "MicrosoftAppPassword": "p",
}


def test_check_config_accepts_each_chats_own_ids() -> None:
    problems = [str(p) for p in check_config(MIXED_CONFIG, FULL_ENV)]
    assert problems == []


def test_check_config_checks_each_department_against_its_own_chat() -> None:
    swapped = MIXED_CONFIG.replace(f'channel: "{SUPPORT_DE}"', "channel: C0SUPPORT1")
    swapped = swapped.replace(f"channel: {SOCIAL}", f'channel: "{SUPPORT_DE}"')
    problems = [str(p) for p in check_config(swapped, FULL_ENV)]
    assert len(problems) == 2, problems
    assert any("C0SUPPORT1" in p and "Teams channel id" in p for p in problems)
    assert any(SUPPORT_DE in p and "Slack channel id" in p for p in problems)


def test_check_config_names_what_every_used_chat_needs() -> None:
    env = {k: v for k, v in FULL_ENV.items() if not k.startswith(("Microsoft", "SLACK_BOT"))}
    problems = [str(p) for p in check_config(MIXED_CONFIG, env)]
    assert any("SLACK_BOT_TOKEN" in p and "slack backend" in p for p in problems), problems
    assert any("MicrosoftAppId" in p and "teams backend" in p for p in problems), problems
    assert any("departments[1].chat" in p and "MicrosoftAppId" in p for p in problems), problems


def test_check_config_refuses_an_id_of_neither_chat_among_approvers() -> None:
    text = MIXED_CONFIG.replace("[S0COMMS001,", "[comms-team,")
    problems = [str(p) for p in check_config(text, FULL_ENV)]
    assert any("comms-team" in p and "AAD object id" in p for p in problems), problems


def test_a_config_with_one_chat_has_one_backend() -> None:
    config = load_config_text(MIXED_CONFIG.replace(", chat: teams", ""), source="one.yaml")
    assert config.chats == ["slack"]
    mixed = load_config_text(MIXED_CONFIG, source="mixed.yaml")
    assert mixed.chats == ["slack", "teams"] and mixed.chat_of("support-de") == "teams"


async def test_the_overview_reaches_each_chats_people_and_a_leads_digest_its_departments_chat(
    ms: MixedSystem,
) -> None:
    from escalation import overview

    rt = ms.rt
    sent = await overview.send(rt.wf, ms.chat, rt.store, rt.config, rt.clock(), once_per_day=True)
    assert sent is True  # to the approvers: a Slack user group and a Teams user
    await ms.flush()
    [slack_dm] = ms.slack.dm_messages("U0COMMS001")
    [teams_chat] = ms.connector.personal_messages(COMMS.aad)
    assert "Every department this morning" in slack_text(slack_dm)
    assert "Every department this morning" in json.dumps(teams_chat.card)
    await ms.ingest(mention_json("m-1", "post-1", "Wo ist meine Bestellung?"))
    items = await digest.build(
        rt.store.cases, rt.store.indexes, "support-de", rt.clock(), rt.wf.answer_due
    )
    support_de = rt.wf.department("support-de")
    for person in await ms.chat.people([JONAS.aad, ANNA]):
        await ms.chat.post_personal_digest(person, support_de, items, rt.clock())
    await ms.flush()
    [jonas] = ms.connector.personal_messages(JONAS.aad)
    assert "1 unanswered case in Support DE" in json.dumps(jonas.card)
    assert ms.slack.dm(ANNA) is None  # a Slack user is no lead of a Teams department


class _Scrubbed:
    """A chat that records the storm lines it was asked to rewrite."""

    def __init__(self) -> None:
        self.scrubbed: list[tuple[str, list[int]]] = []

    async def storm_scrubbed(self, storm: StormRef, positions: Sequence[int]) -> None:
        self.scrubbed.append((storm.id, list(positions)))


async def test_a_storms_scrubbed_lines_reach_the_chat_of_its_department() -> None:
    config = load_config_text(MIXED_CONFIG, source="mixed.yaml")
    slack, teams = _Scrubbed(), _Scrubbed()
    mixed = MixedChat({"slack": cast(Any, slack), "teams": cast(Any, teams)}, config)
    assert isinstance(mixed, ScrubsStorms)
    await mixed.storm_scrubbed(StormRef("support-de", "g1"), [2])
    await mixed.storm_scrubbed(StormRef("social", "g7"), [0, 4])
    assert teams.scrubbed == [("support-de:g1", [2])]
    assert slack.scrubbed == [("social:g7", [0, 4])]
