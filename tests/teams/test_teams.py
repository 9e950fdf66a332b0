"""Teams end to end: activities POSTed to /api/messages, a local Bot Connector service.

The product is assembled as `chatops run` assembles it, with `chat.backend: teams`; only Teams
(tests/fakes/teams.py, reached by botbuilder's own ConnectorClient through the activities'
`serviceUrl`) and the sandbox platform are stand-ins. CHATOPS_TEAMS_AUTH=off, so Bot Framework
authentication is off and the loopback Connector is accepted, as only local tests may do;
tests/teams/test_teams_security.py runs the same endpoint with real token validation.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    Entity,
)

from chatops import runtime
from chatops.chat.actions import Action
from chatops.chat.present import Report
from chatops.chat.rich import Strong, Text
from chatops.config import Config, load_config_text
from chatops.domain import Case, State
from chatops.processes import web_app
from chatops.runtime import Runtime
from chatops.settings import Settings
from chatops.store import Store
from chatops.teams.backend import TeamsBackend
from chatops.teams.clicks import REFRESH_VERB
from chatops.teams.outbox import pause_key
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.transitions import ALLOWED, Args
from tests.conftest import Clock, System
from tests.fakes import SandboxPlatform, mention_json, signed
from tests.fakes.teams import (
    BOT_ID,
    BOT_NAME,
    CARD_TYPE,
    TEAM,
    TENANT,
    FakeConnector,
    Message,
    Person,
    bot_added,
    card_action,
    channel_message,
    installation_update,
    personal_message,
)
from tests.fakes.wait import eventually

SOCIAL = "19:social0acme@thread.tacv2"
BILLING = "19:billing0acme@thread.tacv2"
LEGAL = "19:legal0acme@thread.tacv2"
ANNA = Person("5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "Anna Lind")
BOB = Person("0b0b0b0b-1111-4222-8333-444455556666", "Bob Berg")
COMMS1 = Person("c0c0c0c1-1111-4222-8333-444455556666", "Cia Comms")
COMMS2 = Person("c0c0c0c2-1111-4222-8333-444455556666", "Dan Comms")
LEAD = Person("1ead1ead-1111-4222-8333-444455556666", "Lea Lead")

TEAMS_CONFIG = f"""
timezone: Europe/Stockholm
brand: Acme
chat: {{backend: teams}}
platforms: {{sandbox: {{}}}}
departments:
  - {{id: social, name: Social team, channel: "{SOCIAL}", languages: [sv, en],
     escalate_to: ["{LEAD.aad}"]}}
  - {{id: billing, name: Billing, channel: "{BILLING}", languages: [sv, en]}}
  - {{id: legal, name: Legal, channel: "{LEGAL}"}}
routing:
  rules: [{{match: {{keywords: [faktura, invoice]}}, to: billing}}]
  default: social
approval:
  approvers: ["{COMMS1.aad}", "{COMMS2.aad}"]
  sensitive_keywords: [lawsuit, journalist]
  min_followers: 10000
  departments: [legal]
"""


@dataclass
class TeamsSystem:
    rt: Runtime
    connector: FakeConnector
    client: TestClient
    platform: SandboxPlatform
    clock: Clock

    @property
    def backend(self) -> TeamsBackend:
        assert isinstance(self.rt.chat, TeamsBackend)
        return self.rt.chat

    async def ingest(self, *items: dict[str, Any]) -> None:
        raw, headers = signed(list(items))
        r = await self.client.post("/webhooks/sandbox", data=raw, headers=headers)
        assert r.status == 200
        await System.drain(self)  # type: ignore[arg-type]

    async def flush(self) -> None:
        """Send everything queued (rates are high in tests; nothing is paused)."""
        for _ in range(100):
            await self.backend.sender.tick()
            if not await self.backend.sender.pending():
                return
        raise AssertionError("outbox did not drain")

    async def send(self, activity: dict[str, Any]) -> Any:
        return await self.client.post("/api/messages", json=activity)

    async def install(self) -> None:
        r = await self.send(bot_added(self.connector.url, ANNA))
        assert r.status in (200, 201), await r.text()

    async def case(self, case_id: str = "1001") -> Case:
        case = await self.rt.store.cases.get(case_id)
        assert case is not None
        return case

    async def post(self, case_id: str = "1001") -> Message:
        """The case's post as the Connector holds it."""
        post = await self.backend.outbox.post_of(case_id)
        assert post is not None, f"case {case_id} has no post"
        return self.connector.messages[post.activity]

    async def click(
        self, verb: str, person: Person, case_id: str = "1001", *, settle: bool = True, **data: Any
    ) -> dict[str, Any]:
        """Click an Action.Execute on the case's post; returns the card the invoke answers."""
        post = await self.post(case_id)
        activity = card_action(
            self.connector.url,
            person,
            verb,
            {"case_id": case_id, "source": "case", **data},
            channel=post.channel,
            post_id=post.id,
        )
        return await self.invoke(activity, settle=settle)

    async def invoke(self, activity: dict[str, Any], *, settle: bool = True) -> dict[str, Any]:
        """The card the invoke answers with; then, unless `settle=False`, the platform call a
        publish or approval started after that answer has finished too."""
        r = await self.send(activity)
        assert r.status == 200, await r.text()
        body = await r.json()
        assert body["statusCode"] == 200 and body["type"] == CARD_TYPE
        if settle:
            assert await self.backend.settle(5.0), "a publish started by the click never ended"
        return body["value"]


@pytest.fixture
def teams_config() -> Config:
    return load_config_text(TEAMS_CONFIG, source="teams.yaml")


LOCAL_ONLY = {"CHATOPS_TEAMS_AUTH": "off"}


async def start_system(
    store: Store, config: Config, clock: Clock, env: dict[str, str] = LOCAL_ONLY
) -> TeamsSystem:
    """The product as `chatops run` assembles it; `env` the Teams variables."""
    platform = SandboxPlatform()
    url = await platform.start()
    connector = FakeConnector({SOCIAL: "Social", BILLING: "Billing", LEGAL: "Legal"})
    await connector.start()
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret", "SANDBOX_API_URL": url, **env})
    http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
    rt = await runtime.start(settings, config, store=store, http=http, clock=clock)
    backend = rt.chat
    assert isinstance(backend, TeamsBackend)
    tune(backend)
    client = TestClient(TestServer(web_app(rt)))
    await client.start_server()
    return TeamsSystem(rt, connector, client, platform, clock)


def tune(backend: TeamsBackend) -> None:
    sender = backend.sender
    sender.post_rate, sender.post_burst = 1000.0, 1000
    sender.update_rate, sender.update_burst = 1000.0, 1000
    sender.probe_every = 0.2


async def stop_system(ts: TeamsSystem) -> None:
    await ts.client.close()
    await ts.rt.close()
    await ts.connector.stop()
    await ts.platform.stop()


@pytest.fixture
async def bare(store: Store, teams_config: Config, clock: Clock) -> AsyncIterator[TeamsSystem]:
    """The product before anyone added the app to the team."""
    ts = await start_system(store, teams_config, clock)
    try:
        yield ts
    finally:
        await stop_system(ts)


@pytest.fixture
async def ts(bare: TeamsSystem) -> TeamsSystem:
    """The product with the app installed in the team."""
    await bare.install()
    return bare


# -- card helpers -----------------------------------------------------------------------------


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute of a card, inside ShowCards and ActionSets too."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({"body": card.get("body"), "actions": card.get("actions")})
    return found


def verbs(card: dict[str, Any]) -> set[str]:
    return {a["verb"] for a in actions_of(card)}


def notice(card: dict[str, Any]) -> str | None:
    """The refusal a card answers with: its first line when it starts with 🚫."""
    body = card.get("body") or []
    first = body[0].get("text", "") if body else ""
    return first if first.startswith("🚫") else None


def text_of(card: dict[str, Any]) -> str:
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                texts.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body"))
    return "\n".join(texts)


# -- installation -----------------------------------------------------------------------------


async def test_adding_the_app_to_a_team_stores_a_reference_for_each_channel(
    bare: TeamsSystem,
) -> None:
    await bare.install()
    references = bare.backend.references
    for channel in (TEAM, SOCIAL, BILLING, LEGAL):
        reference = await references.get(channel)
        assert reference is not None, channel
        assert reference.conversation.id == channel
        assert reference.conversation.tenant_id == TENANT
        assert reference.service_url == bare.connector.url
        assert reference.bot.id == BOT_ID
    assert len(bare.connector.calls_to("channels")) == 1


async def test_an_installation_update_stores_its_channel_even_if_listing_fails(
    bare: TeamsSystem,
) -> None:
    bare.connector.fail("channels", 403, "Forbidden")
    r = await bare.send(installation_update(bare.connector.url, ANNA, BILLING))
    assert r.status in (200, 201)
    references = bare.backend.references
    assert await references.get(BILLING) is not None
    assert await references.get(SOCIAL) is None


async def test_without_a_reference_cases_stay_queued_visibly_until_the_install(
    bare: TeamsSystem,
) -> None:
    await bare.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await bare.backend.sender.tick()
    assert bare.connector.posts(SOCIAL) == []
    r = await bare.client.get("/readyz")
    text = await r.text()
    assert r.status == 503 and f"teams:{SOCIAL}" in text and "add the chatops app" in text
    metrics = await (await bare.client.get("/metrics")).text()
    assert f'component="teams:{SOCIAL}"' in metrics
    await bare.install()  # resumes the channel at once
    await bare.flush()
    assert len(bare.connector.posts(SOCIAL)) == 1
    assert (await bare.client.get("/readyz")).status == 200


async def test_a_channel_is_learnt_again_from_any_activity_in_it(bare: TeamsSystem) -> None:
    """A Redis that lost the install heals: one @mention in the channel is enough."""
    await bare.ingest(mention_json("m-1", "post-1", "Hej?"))
    await bare.backend.sender.tick()
    assert bare.connector.posts(SOCIAL) == []
    await bare.send(channel_message(bare.connector.url, BOB, "cases", channel=SOCIAL, post_id="7"))
    [answer] = bare.connector.calls_to("reply")
    assert "#1001" in answer.body["text"]
    await bare.flush()
    assert len(bare.connector.posts(SOCIAL)) == 1


async def test_cases_lists_this_channels_department_or_my_own_never_all(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.ingest(mention_json("m-2", "post-2", "Var är min faktura?", author="u-2"))
    await ts.flush()
    await ts.click(Action.CLAIM, ANNA, case_id="1002")
    url = ts.connector.url

    async def answer(activity: dict[str, Any]) -> str:
        before = len(ts.connector.calls_to("reply")) + len(ts.connector.calls_to("send"))
        r = await ts.send(activity)
        assert r.status in (200, 201), await r.text()
        calls = ts.connector.calls_to("reply") + ts.connector.calls_to("send")
        assert len(calls) == before + 1
        return str(max(calls, key=lambda c: c.at).body["text"])

    here = ts.connector.user_post(SOCIAL)
    social = await answer(channel_message(url, BOB, "cases", channel=SOCIAL, post_id=here))
    assert "#1001" in social and "#1002" not in social
    there = ts.connector.user_post(TEAM)
    general = await answer(channel_message(url, BOB, "cases", channel=TEAM, post_id=there))
    assert "#100" not in general and "no department's channel" in general
    # in a personal chat, `cases` is the asker's Home card (tests/teams/test_teams_home.py)
    before = len(ts.connector.calls)
    for person in (ANNA, BOB):
        r = await ts.send(personal_message(url, person, "cases"))
        assert r.status in (200, 201), await r.text()
    answers = [c for c in ts.connector.calls[before:] if c.route in ("send", "reply")]
    anna, bob = (json.dumps(c.body["attachments"]) for c in answers)
    assert "#1002" in anna and "#1001" not in anna
    assert "#100" not in bob


async def test_removing_the_app_forgets_the_team_and_its_cases_wait(ts: TeamsSystem) -> None:
    r = await ts.send(installation_update(ts.connector.url, ANNA, SOCIAL, action="remove"))
    assert r.status in (200, 201)
    references = ts.backend.references
    assert all([await references.get(c) is None for c in (TEAM, SOCIAL, BILLING, LEGAL)])
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.backend.sender.tick()
    assert ts.connector.posts(SOCIAL) == []
    assert f"teams:{SOCIAL}" in await (await ts.client.get("/readyz")).text()


# -- posting ----------------------------------------------------------------------------------


async def test_a_case_is_a_new_post_with_its_card_in_the_department_channel(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ts.flush()
    assert ts.connector.posts(SOCIAL) == []
    [post] = ts.connector.posts(BILLING)
    [create] = ts.connector.calls_to("create")
    assert create.body["isGroup"] is True
    assert create.body["channelData"]["channel"]["id"] == BILLING
    assert create.body["channelData"]["tenant"]["id"] == TENANT
    assert create.body["bot"]["id"] == BOT_ID
    card = post.card
    assert card is not None and card["type"] == "AdaptiveCard"
    assert {"case.claim", "case.edit"} <= verbs(card)
    assert all(a["data"]["case_id"] == "1001" for a in actions_of(card))
    assert "Case #1001" in post.activity["summary"]
    recorded = await ts.backend.outbox.post_of("1001")
    assert recorded is not None
    assert recorded.conversation == f"{BILLING};messageid={post.id}"
    assert await ts.backend.outbox.case_of_thread(recorded.conversation) == "1001"


async def test_later_comments_are_replies_in_the_chain_and_the_card_is_refreshed(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ts.flush()
    await ts.ingest(mention_json("m-2", "post-1", "Samma här!", author="u-2", name="Olle Nord"))
    await ts.flush()
    post = await ts.post()
    [reply] = ts.connector.replies(post)
    assert "Olle Nord" in reply.text and "Samma här!" in reply.text
    assert "Samma här!" in text_of(post.card or {})
    assert len(post.versions) == 1  # one PUT, the card refreshed in place
    [update] = ts.connector.calls_to("update")
    assert update.conversation == f"{BILLING};messageid={post.id}"


# -- clicking ---------------------------------------------------------------------------------


async def test_a_click_answers_with_the_new_card_and_the_thread_mentions_the_owner(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    card = await ts.click(Action.CLAIM, ANNA)
    assert (await ts.case()).owner == ANNA.aad
    assert notice(card) is None
    assert "case.unclaim" in verbs(card) and "case.claim" not in verbs(card)
    assert "<at>Anna Lind</at>" in text_of(card)
    await ts.flush()
    post = await ts.post()
    assert post.card == card  # every viewer gets what the clicker got
    [reply] = ts.connector.replies(post)
    assert "<at>Anna Lind</at>" in reply.text
    assert reply.mentions == [
        {
            "type": "mention",
            "text": "<at>Anna Lind</at>",
            "mentioned": {"id": ANNA.aad, "name": "Anna Lind"},
        }
    ]


async def test_a_refusal_is_the_invoke_answer_so_only_the_clicker_sees_it(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    await ts.click(Action.CLAIM, ANNA)
    await ts.flush()
    calls = len(ts.connector.calls)
    card = await ts.click(Action.CLAIM, BOB)
    refusal = notice(card)
    assert refusal is not None and "already claimed" in refusal
    assert "Anna Lind" in refusal or ANNA.aad in refusal
    assert "case.unclaim" in verbs(card)  # the case card, with the refusal on top
    await ts.flush()
    assert len(ts.connector.calls) == calls  # nothing posted for everyone
    assert (await ts.case()).owner == ANNA.aad


async def test_two_people_click_claim_at_once_one_owns_it(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    cards = await asyncio.gather(ts.click(Action.CLAIM, ANNA), ts.click(Action.CLAIM, BOB))
    owner = (await ts.case()).owner
    assert owner in (ANNA.aad, BOB.aad)
    assert sorted(notice(c) is None for c in cards) == [False, True]


async def test_the_draft_box_is_saved_by_case_edit(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    card = await ts.click(Action.EDIT, ANNA, draft="   ")
    assert notice(card) is not None and (await ts.case()).state is State.NEW
    card = await ts.click(Action.EDIT, ANNA, draft="Hej Anna! Vi öppnar klockan 10.")
    case = await ts.case()
    assert case.state is State.DRAFTED and case.draft == "Hej Anna! Vi öppnar klockan 10."
    assert case.draft_author == ANNA.aad
    [box] = [e for e in card["body"] if e.get("id") == "draft"]
    assert box["value"] == "Hej Anna! Vi öppnar klockan 10."


async def test_a_reply_to_the_post_that_starts_with_two_chevrons_becomes_the_draft(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.flush()
    post = await ts.post()
    url = ts.connector.url
    note = channel_message(url, ANNA, "just an internal note", channel=SOCIAL, post_id=post.id)
    await ts.send(note)
    draft = channel_message(
        url, ANNA, "&gt;&gt; Hej Anna! Vi kollar direkt.", channel=SOCIAL, post_id=post.id
    )
    r = await ts.send(draft)
    assert r.status in (200, 201)
    case = await ts.case()
    assert case.state is State.DRAFTED and case.draft == "Hej Anna! Vi kollar direkt."
    assert case.draft_author == ANNA.aad
    assert ts.platform.received == []  # nothing typed in Teams reaches a customer
    elsewhere = channel_message(url, BOB, ">> hello?", channel=SOCIAL, post_id="1234")
    await ts.send(elsewhere)
    [answer] = [c for c in ts.connector.calls_to("reply") if c.conversation.endswith("1234")]
    assert "<at>Bob Berg</at>" in answer.body["text"] and "thread of a case" in answer.body["text"]
    assert answer.body["entities"][0]["mentioned"]["id"] == BOB.id


async def test_publish_sends_what_the_draft_box_shows(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    card = await ts.click(Action.PUBLISH, ANNA, draft="Hej! Vi öppnar 10.")
    case = await ts.case()
    assert case.state is State.PUBLISHED and notice(card) is None
    assert [r["text"] for r in ts.platform.received] == ["Hej! Vi öppnar 10."]
    assert verbs(card) <= {"case.refresh"}  # published: nothing left to click
    await ts.flush()
    post = await ts.post()
    assert any("published" in r.text.lower() for r in ts.connector.replies(post))


async def test_a_sensitive_case_mentions_the_approvers_and_four_eyes_hold(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ts.flush()
    await ts.click(Action.EDIT, COMMS1, draft="Hello! Our press office will call.")
    await ts.click(Action.PUBLISH, COMMS1)
    assert (await ts.case()).state is State.AWAITING_APPROVAL
    await ts.flush()
    post = await ts.post()
    [asked] = [r for r in ts.connector.replies(post) if "approval" in r.text]
    assert {m["mentioned"]["id"] for m in asked.mentions} == {COMMS1.aad, COMMS2.aad}
    card = await ts.click(Action.APPROVE, ANNA)  # not an approver
    assert notice(card) is not None
    card = await ts.click(Action.APPROVE, COMMS1)  # wrote the draft
    assert "someone else must approve" in (notice(card) or "")
    card = await ts.click(Action.APPROVE, COMMS2)
    assert notice(card) is None and (await ts.case()).state is State.PUBLISHED
    assert len(ts.platform.received) == 1


# -- the invoke is answered first, the platform called after ------------------------------


async def held_publish(ts: TeamsSystem, person: Person = ANNA) -> dict[str, Any]:
    """Anna publishes a case while the platform holds every request until the test lets it
    go; returns the card her click is answered with."""
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    ts.platform.gate = asyncio.Event()
    return await ts.click(Action.PUBLISH, person, draft="Hej! Vi öppnar 10.", settle=False)


async def test_a_publish_is_answered_before_the_platform_is_called_and_sent_once(
    ts: TeamsSystem,
) -> None:
    card = await held_publish(ts)
    # The answer came while the platform still holds the request: it shows `publishing…`.
    assert notice(card) is None and "publishing…" in text_of(card)
    assert verbs(card) <= {"case.refresh"}
    assert (await ts.case()).state is State.PUBLISHING and ts.platform.received == []
    await asyncio.wait_for(ts.platform.arrived.wait(), 5)  # the call follows the answer
    again = await ts.click(Action.PUBLISH, ANNA, settle=False)  # a second click meanwhile
    assert notice(again) is not None and "publishing…" in text_of(again)
    assert ts.platform.gate is not None
    ts.platform.gate.set()
    assert await ts.backend.settle(5.0)
    case = await ts.case()
    assert case.state is State.PUBLISHED and len(case.published) == 1
    assert [r["text"] for r in ts.platform.received] == ["Hej! Vi öppnar 10."]
    await ts.flush()  # the outcome reaches the card and the thread through the outbox
    post = await ts.post()
    assert [r for r in ts.connector.replies(post) if "published" in r.text.lower()]
    assert "✅ published" in text_of(post.card or {})


async def test_an_approval_is_answered_before_the_platform_and_refusals_still_come_back(
    ts: TeamsSystem,
) -> None:
    card = await awaiting_approval(ts, "Hello! Our press office will call.")
    answer = await ts.click(Action.PUBLISH, BOB, settle=False)  # not the owner
    assert notice(answer) is not None
    ts.platform.gate = asyncio.Event()
    answer = await card_click(ts, card, Action.APPROVE, ANNA, settle=False)  # the author
    assert notice(answer) is not None
    assert (await ts.case()).state is State.AWAITING_APPROVAL and not ts.platform.arrived.is_set()
    answer = await card_click(ts, card, Action.APPROVE, COMMS1, settle=False)
    assert notice(answer) is None and "publishing…" in text_of(answer)
    assert (await ts.case()).state is State.PUBLISHING and ts.platform.received == []
    await asyncio.wait_for(ts.platform.arrived.wait(), 5)
    late = await card_click(ts, card, Action.APPROVE, COMMS2, settle=False)  # too late
    assert notice(late) is not None
    ts.platform.gate.set()
    assert await ts.backend.settle(5.0)
    case = await ts.case()
    assert case.state is State.PUBLISHED and case.approved_by == COMMS1.aad
    assert [r["text"] for r in ts.platform.received] == ["Hello! Our press office will call."]


async def test_closing_waits_for_a_publish_under_way(ts: TeamsSystem) -> None:
    await held_publish(ts)
    await asyncio.wait_for(ts.platform.arrived.wait(), 5)
    closing = asyncio.create_task(ts.backend.close())
    for _ in range(50):
        await asyncio.sleep(0)
    assert not closing.done()  # the platform has not answered: closing waits
    assert ts.platform.gate is not None
    ts.platform.gate.set()
    await asyncio.wait_for(closing, 5)
    case = await ts.case()
    assert case.state is State.PUBLISHED and len(ts.platform.received) == 1


async def test_closing_gives_up_on_a_publish_after_its_grace_and_says_so(
    ts: TeamsSystem, caplog: pytest.LogCaptureFixture
) -> None:
    await held_publish(ts)
    await asyncio.wait_for(ts.platform.arrived.wait(), 5)
    ts.backend.close_grace = 0.2  # the bound, not a stand-in for the platform's time
    await asyncio.wait_for(ts.backend.close(), 5)
    assert "still under way" in caplog.text
    assert (await ts.case()).state is State.PUBLISHING  # for recovery: publish_unknown
    assert await ts.backend.settle(0)


# -- what you see is what you publish --------------------------------------------------------


async def card_click(
    ts: TeamsSystem,
    card: dict[str, Any],
    verb: str,
    person: Person,
    *,
    box: str | None = None,
    settle: bool = True,
) -> dict[str, Any]:
    """Click `verb` on `card` exactly as Teams sends it: the action's own data (with the
    fingerprint of the draft the card shows) and the draft box, as left or as typed."""
    [action] = [a for a in actions_of(card) if a["verb"] == verb]
    [draft] = [e for e in card["body"] if e.get("id") == "draft"]
    data = {**action["data"], "draft": draft["value"] if box is None else box}
    post = await ts.post()
    activity = card_action(
        ts.connector.url, person, verb, data, channel=post.channel, post_id=post.id
    )
    return await ts.invoke(activity, settle=settle)


def told(card: dict[str, Any]) -> str:
    """What a click did instead of what its label says (the ℹ️ line on top), or ""."""
    return next((b["text"] for b in card.get("body", []) if b.get("text", "").startswith("ℹ️")), "")


def box_of(card: dict[str, Any]) -> str:
    [draft] = [e for e in card["body"] if e.get("id") == "draft"]
    return str(draft["value"])


async def awaiting_approval(ts: TeamsSystem, draft: str) -> dict[str, Any]:
    """A sensitive case Anna drafted and sent for approval; the card everyone sees."""
    await ts.ingest(mention_json("m-1", "post-1", "I'm a journalist, comment please?"))
    await ts.flush()
    await ts.click(Action.EDIT, ANNA, draft=draft)
    await ts.click(Action.PUBLISH, ANNA)
    assert (await ts.case()).state is State.AWAITING_APPROVAL
    await ts.flush()
    return (await ts.post()).card or {}


async def test_an_approvers_edit_is_a_new_draft_another_approver_must_approve(
    ts: TeamsSystem,
) -> None:
    card = await awaiting_approval(ts, "Hello! Our press office will call.")
    edited = "Hello! Our press office will call you today."
    # Anna owns the case: the approver's change is refused with the reason, and kept.
    answer = await card_click(ts, card, Action.APPROVE, COMMS1, box=edited)
    assert "take it over" in (notice(answer) or "")
    assert box_of(answer) == edited  # the text typed is not lost
    case = await ts.case()
    assert case.draft == "Hello! Our press office will call." and ts.platform.received == []
    await ts.rt.wf.take_over("1001", COMMS1.aad)
    # Approve with the changed box: nothing is approved, the text is a new draft of COMMS1's.
    answer = await card_click(ts, answer, Action.APPROVE, COMMS1)
    assert notice(answer) is None
    assert "Not approved" in told(answer) and "another approver" in told(answer)
    case = await ts.case()
    assert case.state is State.AWAITING_APPROVAL and case.draft == edited
    assert case.draft_author == COMMS1.aad and ts.platform.received == []
    answer = await card_click(ts, answer, Action.APPROVE, COMMS1)  # four eyes: not alone
    assert "someone else must approve" in (notice(answer) or "")
    assert ts.platform.received == []
    await ts.flush()
    answer = await card_click(ts, (await ts.post()).card or {}, Action.APPROVE, COMMS2)
    assert notice(answer) is None and (await ts.case()).state is State.PUBLISHED
    assert [r["text"] for r in ts.platform.received] == [edited]  # what COMMS2 saw


async def test_saving_a_draft_that_awaits_approval_says_what_happened(ts: TeamsSystem) -> None:
    card = await awaiting_approval(ts, "Hello! Our press office will call.")
    answer = await card_click(ts, card, Action.EDIT, ANNA, box="Hello! We call you at 10.")
    assert notice(answer) is None and "approval" in told(answer)
    case = await ts.case()
    assert case.state is State.AWAITING_APPROVAL and case.draft == "Hello! We call you at 10."
    await ts.flush()
    await card_click(ts, (await ts.post()).card or {}, Action.APPROVE, COMMS1)
    assert [r["text"] for r in ts.platform.received] == ["Hello! We call you at 10."]


async def test_approving_from_a_card_older_than_the_draft_is_refused(ts: TeamsSystem) -> None:
    old = await awaiting_approval(ts, "Hello! Our press office will call.")
    await ts.click(Action.EDIT, ANNA, draft="Hello! We call you at 10.")
    answer = await card_click(ts, old, Action.APPROVE, COMMS1)  # the box shows the old text
    assert "changed since this card was shown" in (notice(answer) or "")
    assert box_of(answer) == "Hello! We call you at 10."  # the new text, to read first
    case = await ts.case()
    assert case.draft == "Hello! We call you at 10." and case.draft_author == ANNA.aad
    assert ts.platform.received == []


async def test_publishing_from_an_old_card_never_sends_or_saves_its_old_text(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    await ts.click(Action.EDIT, ANNA, draft="Hej! Vi öppnar 10.")
    await ts.flush()
    old = (await ts.post()).card or {}
    post = await ts.post()
    newer = channel_message(
        ts.connector.url, ANNA, ">> Hej! Vi öppnar 9.", channel=SOCIAL, post_id=post.id
    )
    await ts.send(newer)
    answer = await card_click(ts, old, Action.PUBLISH, ANNA)
    assert "changed since" in (notice(answer) or "") and ts.platform.received == []
    assert (await ts.case()).draft == "Hej! Vi öppnar 9."


async def test_two_people_editing_at_once_neither_text_is_lost(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    await ts.click(Action.EDIT, ANNA, draft="Hej! Vi öppnar 10.")
    await ts.flush()
    old = (await ts.post()).card or {}
    await ts.click(Action.EDIT, ANNA, draft="Hej! Vi öppnar 9.")  # in another window
    answer = await card_click(ts, old, Action.EDIT, ANNA, box="Hej! Vi öppnar 11.")
    assert "Hej! Vi öppnar 9." in (notice(answer) or "")  # theirs, to compare
    assert box_of(answer) == "Hej! Vi öppnar 11."  # mine, still in the box
    assert (await ts.case()).draft == "Hej! Vi öppnar 9."
    answer = await card_click(ts, answer, Action.EDIT, ANNA)  # saved, knowingly
    assert notice(answer) is None and (await ts.case()).draft == "Hej! Vi öppnar 11."


async def test_an_emptied_draft_box_publishes_nothing(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    await ts.click(Action.EDIT, ANNA, draft="Hej! Vi öppnar 10.")
    await ts.flush()
    card = (await ts.post()).card or {}
    answer = await card_click(ts, card, Action.PUBLISH, ANNA, box="  ")
    assert "box is empty" in (notice(answer) or "") and ts.platform.received == []
    assert (await ts.case()).state is State.DRAFTED


async def test_reject_needs_a_reason(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "This is going to a lawsuit."))
    await ts.flush()
    await ts.click(Action.PUBLISH, ANNA)
    card = await ts.click(Action.REJECT, COMMS1, reason=" ")
    assert notice(card) is not None and (await ts.case()).state is State.AWAITING_APPROVAL
    await ts.click(Action.REJECT, COMMS1, reason="Too casual for a legal matter")
    case = await ts.case()
    assert case.state is State.DRAFTED and case.reject_reason == "Too casual for a legal matter"


async def test_an_escalation_is_a_card_in_the_chain_with_claim_snooze_and_the_lead(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.flush()
    await ts.rt.wf.command(
        "1001", Command.ESCALATE, SYSTEM, Args(text="unanswered for 60 min", notify=(LEAD.aad,))
    )
    await ts.flush()
    post = await ts.post()
    [ping] = ts.connector.replies(post)
    assert ping.card is not None
    assert {"case.claim", "case.snooze"} <= verbs(ping.card)
    entities = ping.card["msteams"]["entities"]
    assert [e["mentioned"]["id"] for e in entities] == [LEAD.aad]
    snoozed = card_action(
        ts.connector.url,
        ANNA,
        Action.SNOOZE,
        {"case_id": "1001", "source": "ping", "snooze": "1h"},
        channel=SOCIAL,
        post_id=post.id,
        card_id=ping.id,
    )
    card = await ts.invoke(snoozed)
    assert notice(card) is None and (await ts.case()).snoozed_until is not None


async def test_reroute_moves_the_case_and_rewrites_the_old_card(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    old = await ts.post()
    await ts.click(Action.REROUTE, ANNA, department="billing")
    assert (await ts.case()).department == "billing"
    await ts.flush()
    assert "moved to **Billing**" in text_of(old.card or {})
    assert verbs(old.card or {}) == set()
    assert any("Billing" in r.text for r in ts.connector.replies(old))
    [new] = ts.connector.posts(BILLING)
    assert (await ts.post()).id == new.id
    assert "case.claim" in verbs(new.card or {})


async def test_a_digest_click_is_answered_with_the_digest_brought_up_to_date(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    from escalation import digest

    await digest.send(ts.rt.wf, ts.rt.chat, ts.rt.store, "social", ts.clock(), once_per_day=False)
    await ts.flush()
    post = await ts.post()
    [listing] = [m for m in ts.connector.posts(SOCIAL) if m.id != post.id]
    assert "1 unanswered case" in text_of(listing.card or {})
    assert f"parentMessageId={post.id}" in text_of(listing.card or {})
    clicked = card_action(
        ts.connector.url,
        ANNA,
        Action.CLAIM,
        {"case_id": "1001", "source": "digest"},
        channel=SOCIAL,
        post_id=listing.id,
    )
    card = await ts.invoke(clicked)
    assert "unanswered case" in text_of(card) and "<at>Anna Lind</at>" in text_of(card)
    assert (await ts.case()).owner == ANNA.aad
    assert (await ts.backend.outbox.post_of("1001")).activity == post.id  # type: ignore[union-attr]


async def test_the_weekly_report_is_a_card_with_its_chart(ts: TeamsSystem) -> None:
    department = ts.rt.wf.department("social")
    lines = ((Strong("Total"), Text(": 12 cases, 11 answered")),)
    await ts.backend.post_report(department, Report("Weekly report", lines, b"\x89PNG"))
    await ts.flush()
    [report] = ts.connector.posts(SOCIAL)
    card = report.card or {}
    assert "Weekly report" in text_of(card) and "**Total**: 12 cases, 11 answered" in text_of(card)
    [image] = [e for e in card["body"] if e["type"] == "Image"]
    assert image["url"] == "data:image/png;base64,iVBORw=="


# -- every verb from every state, through /api/messages ---------------------------------------

VERB_COMMAND = {
    Action.CLAIM: Command.CLAIM,
    Action.UNCLAIM: Command.UNCLAIM,
    Action.TAKE_OVER: Command.TAKE_OVER,
    Action.EDIT: Command.EDIT,
    Action.PUBLISH: Command.PUBLISH,
    Action.PRIVATE: Command.PRIVATE,
    Action.APPROVE: Command.APPROVE,
    Action.REJECT: Command.REJECT,
    Action.REROUTE: Command.REROUTE,
    Action.DISMISS: Command.DISMISS,
    Action.SNOOZE: Command.SNOOZE,
    Action.REPLY_TO: Command.REPLY_TO,
    Action.CONFIRM_SENT: Command.CONFIRM_SENT,
    Action.CONFIRM_NOT_SENT: Command.CONFIRM_NOT_SENT,
}
ARGUMENT = {
    Action.REJECT: {"reason": "Too casual"},
    Action.REROUTE: {"department": "billing"},
    Action.DISMISS: {"reason": "no_reply_needed"},
    Action.SNOOZE: {"snooze": "30m"},
    Action.REPLY_TO: {"mention": "sandbox:m-1"},
}


@pytest.mark.parametrize("verb", list(VERB_COMMAND), ids=[v.value for v in VERB_COMMAND])
async def test_every_verb_in_every_state(ts: TeamsSystem, verb: Action) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    user = {Action.APPROVE: COMMS1, Action.REJECT: COMMS1, Action.TAKE_OVER: BOB}.get(verb, ANNA)
    for state in State:
        case = await ts.case()
        forced = case.model_copy(
            update={
                "state": state,
                "department": "social",
                "owner": None if state is State.NEW else ANNA.aad,
                "draft": f"Hej! Vi öppnar 10 ({state.value}).",
                "draft_author": BOB.aad,
                "sensitive_reasons": ["keyword:lawsuit"]
                if state is State.AWAITING_APPROVAL
                else [],
                "state_before_publish": State.DRAFTED,
            }
        )
        stored = await ts.rt.store.cases.save(forced, expected_version=case.version)
        assert stored is not None
        box = forced.draft + (" Välkomna!" if verb is Action.EDIT else "")  # a real change
        card = await ts.click(verb, user, **{**ARGUMENT.get(verb, {}), "draft": box})
        allowed = state in ALLOWED[VERB_COMMAND[verb]]
        after = await ts.case()
        if allowed:
            assert notice(card) is None, (state, notice(card))
            assert after.version > stored.version, state
        else:
            assert notice(card), state
            assert after.state is state and after.version == stored.version, state


# -- the outbox against Teams' limits and failures --------------------------------------------


async def test_a_429_is_honoured_and_nothing_is_lost_or_doubled(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    ts.connector.throttle("create", times=1, retry_after=1)
    wait = await ts.backend.sender.tick()
    assert 0.5 <= wait <= 1.0 and ts.connector.posts(SOCIAL) == []
    assert await ts.rt.store.redis.pttl(pause_key(SOCIAL)) > 0
    await ts.backend.sender.tick()
    assert ts.connector.posts(SOCIAL) == []  # still paused: Retry-After is honoured
    await eventually(lambda: _tick_until_posted(ts, SOCIAL), within=5)
    assert len(ts.connector.posts(SOCIAL)) == 1 and ts.connector.rejected_429 == 1
    assert await ts.rt.store.redis.llen(f"chatops:{{g}}:teams:inflight:{SOCIAL}") == 0


async def test_a_429_on_replies_and_refreshes_keeps_them_in_order(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.flush()
    ts.connector.throttle("send", times=1, retry_after=0.3)
    ts.connector.throttle("update", times=1, retry_after=0.3)
    await ts.click(Action.CLAIM, ANNA)
    await ts.click(Action.EDIT, ANNA, draft="Hej! Vi kollar.")
    wait = await ts.backend.sender.tick()
    assert 0 < wait <= 0.3
    await eventually(lambda: _drained(ts), within=5)
    post = await ts.post()
    texts = [r.text for r in ts.connector.replies(post)]
    assert len(texts) == 2 and "Claimed" in texts[0] and "Draft saved" in texts[1]
    assert "Hej! Vi kollar." in str(post.card)
    assert ts.connector.rejected_429 == 2


async def test_a_case_posted_before_a_crash_is_recognised_by_a_click_not_posted_twice(
    ts: TeamsSystem, store: Store, teams_config: Config, clock: Clock
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    ts.connector.delay_answer = 1.0  # Teams stores the post; the answer comes late
    crashed = asyncio.create_task(ts.backend.sender.tick())
    await eventually(lambda: _async(ts.connector.posts(SOCIAL)))
    crashed.cancel()  # the process dies before it records the post
    ts.connector.delay_answer = 0.0
    [post] = ts.connector.posts(SOCIAL)
    assert await ts.backend.outbox.post_of("1001") is None
    await store.redis.delete(f"chatops:{{g}}:teams:lease:{SOCIAL}")  # its lease would expire
    # Someone clicks the card; a new process starts on the same Redis.
    clicked = card_action(
        ts.connector.url,
        ANNA,
        Action.CLAIM,
        {"case_id": "1001", "source": "case"},
        channel=SOCIAL,
        post_id=post.id,
    )
    await ts.invoke(clicked)
    restarted = await runtime.start(ts.rt.settings, teams_config, store=store, clock=clock)
    backend = restarted.chat
    assert isinstance(backend, TeamsBackend)
    tune(backend)
    for _ in range(5):
        await backend.sender.tick()
    assert ts.connector.posts(SOCIAL) == [post]  # not posted a second time
    assert any("Claimed" in r.text for r in ts.connector.replies(post))
    assert post.versions, "the adopted post is refreshed like any other"
    await restarted.http.aclose()


async def test_without_a_click_a_crashed_post_is_posted_again_never_lost(
    ts: TeamsSystem,
) -> None:
    """Teams cannot be searched for a post whose answer was lost: the case goes out again
    (the one window where a second card is possible), and the new post is the one kept."""
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    ts.connector.delay_answer = 1.0
    crashed = asyncio.create_task(ts.backend.sender.tick())
    await eventually(lambda: _async(ts.connector.posts(SOCIAL)))
    crashed.cancel()
    ts.connector.delay_answer = 0.0
    await ts.rt.store.redis.delete(f"chatops:{{g}}:teams:lease:{SOCIAL}")
    await ts.flush()
    _, second = ts.connector.posts(SOCIAL)
    assert (await ts.post()).id == second.id


async def test_a_refused_write_is_reported_not_retried_forever(ts: TeamsSystem) -> None:
    ts.connector.not_member.add(SOCIAL)
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.backend.sender.tick()
    r = await ts.client.get("/readyz")
    assert r.status == 503 and "BotNotInConversationRoster" in await r.text()
    ts.connector.not_member.discard(SOCIAL)
    await eventually(lambda: _tick_until_posted(ts, SOCIAL), within=5)
    assert (await ts.client.get("/readyz")).status == 200


# -- the ActivityHandler on botbuilder's TestAdapter ------------------------------------------


async def test_the_handler_answers_help_and_sets_drafts_on_the_test_adapter(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej?"))
    await ts.flush()
    post = await ts.post()
    template = Activity(
        channel_id="msteams",
        service_url=ts.connector.url,
        conversation=ConversationAccount(
            id=f"{SOCIAL};messageid={post.id}", is_group=True, conversation_type="channel"
        ),
        recipient=ChannelAccount(id=BOT_ID, name=BOT_NAME),
        from_property=ChannelAccount(id=BOB.id, name=BOB.name, aad_object_id=BOB.aad),
    )
    adapter = TestAdapter(ts.backend.bot.on_turn, template)

    def addressed(text: str) -> Activity:
        at = f"<at>{BOT_NAME}</at>"
        mention = Entity().deserialize(
            {"type": "mention", "text": at, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}
        )
        return Activity(type="message", text=f"{at} {text}", entities=[mention])

    def says(fragment: str) -> Callable[[Activity, str], None]:
        def check(reply: Activity, description: str) -> None:
            assert fragment in (reply.text or ""), reply.text

        return check

    flow = await adapter.send(addressed("help"))
    await flow.assert_reply(says(">>"))
    flow = await adapter.send(addressed("cases"))
    await flow.assert_reply(says("#1001"))
    flow = await adapter.send(addressed(">>"))
    await flow.assert_reply(says("The draft is empty"))
    await adapter.send(addressed(">> Hej! chatops svarar."))
    case = await ts.case()
    assert case.draft == "Hej! chatops svarar." and case.draft_author == BOB.aad


# -- helpers ----------------------------------------------------------------------------------


async def _async(value: Any) -> Any:
    return value


async def _tick_until_posted(ts: TeamsSystem, channel: str) -> bool:
    await ts.backend.sender.tick()
    return bool(ts.connector.posts(channel))


async def _drained(ts: TeamsSystem) -> bool:
    await ts.backend.sender.tick()
    return not await ts.backend.sender.pending()


# -- dialogs: the choice sets a case card sheds -------------------------------------------------

MANY_DEPARTMENTS = "".join(
    f'  - {{id: dept-{i:03d}, name: "Avdelning {i:03d} {"Ö" * 60}", '
    f'channel: "19:dept{i:03d}@thread.tacv2"}}\n'
    for i in range(247)
)


@pytest.fixture
async def crowded(store: Store, clock: Clock) -> AsyncIterator[TeamsSystem]:
    """The product installed, with 250 departments: no case card can list them all."""
    text = TEAMS_CONFIG.replace("departments:\n", "departments:\n" + MANY_DEPARTMENTS, 1)
    ts = await start_system(store, load_config_text(text, source="teams.yaml"), clock)
    try:
        await ts.install()
        yield ts
    finally:
        await stop_system(ts)


def dialog_opener(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the card's button that opens the dialog for `verb` (task/fetch)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if node.get("type") == "Action.Submit" and isinstance(data, dict):
                if data.get("msteams") == {"type": "task/fetch"} and data.get("dialog") == verb:
                    found.append(data)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    [data] = found
    return data


async def task(ts: TeamsSystem, name: str, person: Person, data: dict[str, Any]) -> dict[str, Any]:
    """A `task/fetch` or `task/submit` invoke from the case's post, as Teams sends it; returns
    the `task` of the TaskModuleResponse."""
    post = await ts.post()
    activity = card_action(ts.connector.url, person, "", {}, channel=post.channel, post_id=post.id)
    activity["name"] = name
    activity["value"] = {"type": name, "data": data, "context": {"theme": "default"}}
    r = await ts.send(activity)
    assert r.status == 200, await r.text()
    body = await r.json()
    return body["task"]


def dialog_page(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["type"] == "continue"
    assert answer["value"]["card"]["contentType"] == CARD_TYPE
    card = answer["value"]["card"]["content"]
    assert card["version"] == "1.5"
    return card


async def test_a_shed_department_choice_is_reached_through_its_dialog(
    crowded: TeamsSystem,
) -> None:
    ts = crowded
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    card = (await ts.post()).card or {}
    assert card["version"] == "1.5"
    opener = dialog_opener(card, Action.REROUTE)
    page = dialog_page(await task(ts, "task/fetch", ANNA, opener))
    seen: list[str] = []
    while True:
        [choice] = [e for e in page["body"] if e["type"] == "Input.ChoiceSet"]
        seen += [c["value"] for c in choice["choices"]]
        nexts = [a for a in page["actions"] if a["title"] == "Next page"]
        if not nexts:
            break
        page = dialog_page(await task(ts, "task/submit", ANNA, nexts[0]["data"]))
        assert (await ts.case()).department == "social"  # paging changes nothing
    assert len(seen) == len(set(seen)) == 249 and "dept-246" in seen
    [move] = [a for a in page["actions"] if a["title"] == "Move"]

    refused = dialog_page(await task(ts, "task/submit", ANNA, move["data"]))
    assert "Choose the department" in refused["body"][0]["text"]
    done = await task(ts, "task/submit", ANNA, {**move["data"], "department": "dept-246"})
    assert done["type"] == "message" and "moved to Avdelning 246" in done["value"]
    assert (await ts.case()).department == "dept-246"


async def test_a_dialog_without_a_case_or_a_known_choice_is_answered_not_acted_on(
    ts: TeamsSystem,
) -> None:
    await ts.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await ts.flush()
    for data in ({"dialog": "case.reroute"}, {"case_id": "1001", "dialog": "case.publish"}):
        answer = await task(ts, "task/submit", ANNA, data)
        assert answer["type"] == "message"
    gone = await task(ts, "task/fetch", ANNA, {"case_id": "9999", "dialog": "case.reroute"})
    assert gone == {"type": "message", "value": "There is no case #9999."}
    assert (await ts.case()).state is State.NEW


async def test_a_shed_reply_to_choice_is_reached_through_its_dialog(ts: TeamsSystem) -> None:
    """Thirty comments with Instagram-sized ids (164 characters) in one case: more than the
    card offers inline, so the comment the draft answers is chosen in a dialog."""
    ids = [f"{i:03d}".ljust(164, "x") for i in range(30)]
    await ts.ingest(*(mention_json(mid, "post-1", f"Fråga {i}?") for i, mid in enumerate(ids)))
    await ts.flush()
    case = await ts.case()
    assert len(case.mention_keys) == 30
    await ts.click(Action.CLAIM, ANNA)
    await ts.flush()
    card = (await ts.post()).card or {}
    page = dialog_page(await task(ts, "task/fetch", ANNA, dialog_opener(card, Action.REPLY_TO)))
    [choice] = [e for e in page["body"] if e["type"] == "Input.ChoiceSet"]
    assert [c["value"] for c in choice["choices"]] == case.mention_keys
    [answer] = [a for a in page["actions"] if a["title"] == "Answer this one"]
    chosen = case.mention_keys[3]
    done = await task(ts, "task/submit", ANNA, {**answer["data"], "mention": chosen})
    assert done["type"] == "message"
    assert (await ts.case()).reply_to == chosen


async def test_a_click_naming_a_case_of_another_channel_is_refused(ts: TeamsSystem) -> None:
    """Card data is written by the client: a crafted invoke from another channel (or a chat
    with the bot) that names a case changes nothing and shows nothing of it; an approver may
    act from anywhere."""
    await ts.ingest(mention_json("m-1", "post-1", "Var är min faktura?"))
    await ts.flush()
    post = await ts.post()
    assert post.channel != SOCIAL  # the case lives in Billing
    for verb in (Action.CLAIM.value, REFRESH_VERB):
        crafted = card_action(
            ts.connector.url,
            BOB,
            verb,
            {"case_id": "1001", "source": "case"},
            channel=SOCIAL,
            post_id="1700000000000",
        )
        answer = await ts.invoke(crafted)
        assert "handled in" in json.dumps(answer) and "faktura" not in json.dumps(answer)
    assert (await ts.case()).owner is None
    approver = card_action(
        ts.connector.url,
        COMMS1,
        Action.CLAIM.value,
        {"case_id": "1001", "source": "case"},
        channel=SOCIAL,
        post_id="1700000000000",
    )
    await ts.invoke(approver)
    assert (await ts.case()).owner == COMMS1.aad
