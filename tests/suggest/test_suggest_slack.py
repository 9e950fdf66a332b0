"""Model suggestions in Slack: the case message is posted with the template draft, then the
suggestion updates it in place and says where it came from; a failure is one thread line.
Slack is a local server speaking the Web API, the model a local chat-completions server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from chatops import runtime
from chatops.config import load_config_text
from chatops.processes import web_app
from chatops.settings import Settings
from chatops.store import Store
from tests.conftest import Clock
from tests.fakes import SandboxPlatform, mention_json
from tests.fakes.openai import FakeOpenAI
from tests.fakes.slack import FakeSlack
from tests.slack.test_slack import SlackSystem

QUESTION = "Hur lång är leveranstiden till Norge?"
CONFIG = """
brand: Acme
chat: {backend: slack}
platforms: {sandbox: {}}
departments:
  - {id: social, name: Social team, channel: C0SOCIAL01, languages: [sv, en]}
routing: {default: social}
knowledge: [{path: %s}]
drafting:
  llm: {base_url: "%s", model: gpt-4o-mini, timeout: 20s}
  allowed_domains: [acme.se]
"""


def thread_texts(chat: SlackSystem) -> list[str]:
    [root] = chat.slack.messages("C0SOCIAL01")
    return [m["text"] for m in chat.slack.thread("C0SOCIAL01", root["ts"])]


def root_text(chat: SlackSystem) -> str:
    [root] = chat.slack.messages("C0SOCIAL01")
    return str(root["blocks"])


@pytest.fixture
async def chat(
    store: Store, clock: Clock, kb: Path, openai: FakeOpenAI
) -> AsyncIterator[SlackSystem]:
    """A case from Anna posted in Slack with its template draft; the model not asked yet."""
    platform = SandboxPlatform()
    url = await platform.start()
    slack = FakeSlack()
    await slack.start()
    settings = Settings.from_env(
        {
            "SANDBOX_SECRET": "test-secret",
            "SANDBOX_API_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "slack-signing-secret",
            "SLACK_API_URL": slack.url,
        }
    )
    config = load_config_text(CONFIG % (kb, openai.url), source="slack.yaml")
    http = httpx.AsyncClient(timeout=httpx.Timeout(20.0))
    rt = await runtime.start(settings, config, store=store, http=http, clock=clock)
    client = TestClient(TestServer(web_app(rt)))
    chat = SlackSystem(rt, slack, client, platform, clock)
    sender = chat.backend.sender
    sender.post_rate, sender.post_burst = 1000.0, 1000
    sender.update_rate, sender.update_burst = 1000.0, 1000
    sender.probe_every = 0.0
    await client.start_server()
    try:
        await chat.ingest(mention_json("m-1", "post-1", QUESTION))
        await chat.flush()
        yield chat
    finally:
        await client.close()
        await rt.close()
        await slack.stop()
        await platform.stop()


async def test_the_suggestion_updates_the_case_message_and_names_its_sources(
    chat: SlackSystem, openai: FakeOpenAI
) -> None:
    assert "from the template" in root_text(chat)
    openai.reply("Hej Anna! Paket till Norge kommer inom 5–7 arbetsdagar.")
    assert chat.rt.suggestions is not None
    await chat.rt.suggestions.drain()
    await chat.flush()
    root = root_text(chat)
    assert "Paket till Norge kommer inom 5–7 arbetsdagar" in root
    assert "suggested by gpt-4o-mini from: Leveranstid till Norge" in root
    assert chat.slack.calls_to("chat.update")
    assert any("Draft suggested by gpt-4o-mini" in t for t in thread_texts(chat))


async def test_a_failed_suggestion_is_one_line_in_the_thread(
    chat: SlackSystem, openai: FakeOpenAI
) -> None:
    openai.fail(429, retry_after="30")
    assert chat.rt.suggestions is not None
    await chat.rt.suggestions.drain()
    await chat.flush()
    assert thread_texts(chat)[-1] == (
        ":grey_exclamation: Model suggestion unavailable (rate limited): template draft kept"
    )
    assert "from the template" in root_text(chat)
